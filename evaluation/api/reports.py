"""The semester report over the API: POST /api/v1/reports/semester/ {"year": 2026, "semester": 2} → 202 and the
job that builds it; the client follows GET /api/v1/jobs/<id>/ until `finished`, then fetches `file_url`.

A DRF APIView so that token and session authentication apply as on every endpoint; the parameters are checked by
the same form as the reports page (evaluation.forms.SemesterReportForm), the job started by the same function.
"""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from acv.api import ErrorSerializer
from conventions import roles
from evaluation.forms import SemesterReportForm
from evaluation.services import NO_SEMESTER_REPORT
from evaluation.views import semester_report_job
from jobs.api.serializers import JobSerializer

REQUEST = inline_serializer(
    "SemesterReportRequest",
    {
        "year": serializers.IntegerField(help_text="Année, par exemple 2026."),
        "semester": serializers.IntegerField(
            min_value=1, max_value=2, help_text="1 : janvier–juin ; 2 : juillet–décembre."
        ),
        "convention": serializers.IntegerField(
            required=False, allow_null=True, help_text="La convention couverte (sans elle : toutes celles visibles)."
        ),
    },
)


class SemesterReportAPIView(APIView):
    @extend_schema(
        operation_id="reports_semester_create",
        summary="Produire le rapport semestriel (PDF, en arrière-plan)",
        description="Demande le rapport semestriel, tel que la page Rapports le produit : la réponse 202 donne le "
        "traitement qui le prépare (son adresse est aussi dans l'en-tête Location). Suivre "
        "GET /api/v1/jobs/<id>/ jusqu'à `finished` vrai, puis télécharger `file_url`. Réservé à la "
        "coordination et au comité de projet (403 pour un partenaire ou un référent), dans un programme qui rend "
        "compte chaque semestre (404 dans un programme annuel, comme le Contrat de Ville).",
        request=REQUEST,
        examples=[OpenApiExample("S2 2026", value={"year": 2026, "semester": 2}, request_only=True)],
        responses={
            202: OpenApiResponse(JobSerializer, description="Le traitement, en attente ou déjà terminé."),
            400: ErrorSerializer,
            401: ErrorSerializer,
            403: ErrorSerializer,
            404: ErrorSerializer,
        },
    )
    def post(self, request):
        if not roles.can_export_programme_reports(request.user):
            raise exceptions.PermissionDenied(
                "Le rapport semestriel est réservé à la coordination et au comité de projet."
            )
        # The endpoint exists only for a programme that reports every semester, as the page's form.
        if not roles.programme_reports_every_semester(request.user):
            raise exceptions.NotFound(NO_SEMESTER_REPORT)
        data = request.data if isinstance(request.data, dict) else {}
        form = SemesterReportForm(
            {key: data.get(key) for key in ("year", "semester", "convention") if data.get(key) is not None},
            user=request.user,
        )
        if not form.is_valid():
            raise exceptions.ValidationError({name: list(errors) for name, errors in form.errors.items()})
        job = semester_report_job(user=request.user, **form.cleaned_data)
        body = JobSerializer(job, context={"request": request}).data
        location = reverse("api:job-detail", args=[job.pk], request=request)
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": location})
