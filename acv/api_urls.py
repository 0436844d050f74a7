"""The REST API, version 1: every app's endpoints, token management, the OpenAPI schema and its docs."""

from csp.decorators import csp_update
from django.conf import settings
from django.urls import URLResolver, include, path
from django.utils import translation
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from acv.api_auth import TokenView
from evaluation.api import views as evaluation_views

# The grid lives in evaluation/api/views.py; evaluation/api/urls.py belongs to the reports.
evaluation_router = SimpleRouter()
evaluation_router.register("criteria", evaluation_views.CriterionViewSet, basename="criterion")
evaluation_router.register("indicators", evaluation_views.IndicatorViewSet, basename="indicator")
evaluation_router.register("indicator-values", evaluation_views.IndicatorValueViewSet, basename="indicator-value")
evaluation_router.register(
    "result-indicator-links", evaluation_views.ResultIndicatorLinkViewSet, basename="result-indicator-link"
)

app_name = "api"

DOCS_CSP = csp_update({"style-src": ["'unsafe-inline'"]})


class SchemaView(SpectacularAPIView):
    """The OpenAPI schema, generated once per process, then served from memory.

    It is public and the same for everyone (it reads no credentials, SPECTACULAR_SETTINGS) and changes only with the
    code, while generating it costs half a second of CPU: on an endpoint anyone may call, that was an open door to
    tying up the workers. Only the generation is kept; each request still negotiates its format (JSON or YAML).
    """

    _schema = None

    def _get_schema_response(self, request):
        # As drf-spectacular's own method, with the generated schema kept. The API has one version (in its path) and
        # speaks one language: ?version= and ?lang= change nothing, and a schema in another language is never kept.
        if SchemaView._schema is None:
            with translation.override(settings.LANGUAGE_CODE):
                generator = self.generator_class(urlconf=self.urlconf, patterns=self.patterns)
                SchemaView._schema = generator.get_schema(request=request, public=self.serve_public)
        return Response(
            data=SchemaView._schema,
            headers={"Content-Disposition": f'inline; filename="{self._get_filename(request, None)}"'},
        )


# Not endpoints of the data: the root itself, the schema and its docs (listed apart), DRF's format variants.
_NOT_ENDPOINTS = {"root", "schema", "docs"}


def _endpoints(patterns, prefix=""):
    """(name, route) of every endpoint reachable without an id, in the order of urlpatterns."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _endpoints(pattern.url_patterns, prefix + str(pattern.pattern))
        elif (
            pattern.name
            and pattern.name not in _NOT_ENDPOINTS
            and not pattern.pattern.regex.groups
            and "format" not in str(pattern.pattern)
        ):
            yield pattern.name, prefix + str(pattern.pattern)


class ApiRootView(APIView):
    """What a visitor of /api/v1/ needs to start: the endpoints, the OpenAPI schema and its documentation.

    Open to everyone, like the schema and the docs it points to: it names the endpoints, never a row.
    """

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(exclude=True)
    def get(self, request):
        endpoints = {
            route.strip("^$/"): reverse(f"api:{name}", request=request) for name, route in _endpoints(urlpatterns)
        }
        return Response(
            {
                "documentation": reverse("api:docs", request=request),
                "schema": reverse("api:schema", request=request),
                "authentication": "En-tête « Authorization: Token <clé> » ; la clé se crée sur auth/token/.",
                "endpoints": endpoints,
            }
        )


urlpatterns = [
    path("", ApiRootView.as_view(), name="root"),
    path("auth/token/", TokenView.as_view(), name="token"),
    path("", include("actions.api.urls")),
    path("", include("financing.api.urls")),
    path("", include("conventions.api.urls")),
    path("", include(evaluation_router.urls)),
    path("", include("evaluation.api.urls")),
    path("", include("jobs.api.urls")),
    path("schema/", SchemaView.as_view(), name="schema"),
    # Swagger UI sets inline styles from its own script: allowed on that page, and only there.
    # The split view serves Swagger UI's start-up script as a file, so no inline script is needed.
    path("docs/", DOCS_CSP(SpectacularSwaggerSplitView.as_view(url_name="api:schema")), name="docs"),
]
