"""The semester report over the API: GET /api/v1/reports/semester/?year=2026&semester=2 → application/pdf.

A DRF APIView so that token and session authentication apply as on every endpoint; the PDF is the same bytes
the reports page gives (evaluation.reports), the parameters are checked by the same form
(conventions.forms.SemesterForm).
"""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, renderers
from rest_framework.response import Response
from rest_framework.views import APIView

from acv.api import ErrorSerializer
from conventions import roles
from conventions.forms import SemesterForm
from evaluation.reports import semester_report_pdf
from evaluation.views import report_fiches


class PDFRenderer(renderers.BaseRenderer):
    """Lets a client ask for `Accept: application/pdf`; the view answers PDFs itself, errors stay JSON."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class SemesterReportAPIView(APIView):
    renderer_classes = [renderers.JSONRenderer, PDFRenderer]

    @extend_schema(
        operation_id="reports_semester_retrieve",
        summary="Rapport semestriel (PDF)",
        description="Le rapport semestriel du programme, tel que la page Rapports le produit. Réservé à la "
        "coordination et au comité de projet (403 pour un partenaire ou un référent).",
        parameters=[
            OpenApiParameter("year", OpenApiTypes.INT, required=True, description="Année, par exemple 2026."),
            OpenApiParameter(
                "semester",
                OpenApiTypes.INT,
                required=True,
                enum=[1, 2],
                description="1 : janvier–juin ; 2 : juillet–décembre.",
            ),
        ],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="Le rapport en PDF."),
            400: ErrorSerializer,
            401: ErrorSerializer,
            403: ErrorSerializer,
        },
    )
    def get(self, request):
        if not roles.can_export_programme_reports(request.user):
            raise exceptions.PermissionDenied(
                "Le rapport semestriel est réservé à la coordination et au comité de projet."
            )
        form = SemesterForm(request.query_params)
        if not form.is_valid():
            raise exceptions.ValidationError({name: list(errors) for name, errors in form.errors.items()})
        year, semester = form.cleaned_data["year"], form.cleaned_data["semester"]
        content = semester_report_pdf(report_fiches(request.user), year=year, semester=semester)
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="rapport-semestriel-{year}-S{semester}.pdf"'
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # Errors are JSON whatever the client asked for: a PDF reader has nothing to show of them.
        if isinstance(response, Response) and response.status_code >= 400:
            response.accepted_renderer = renderers.JSONRenderer()
            response.accepted_media_type = "application/json"
        return response
