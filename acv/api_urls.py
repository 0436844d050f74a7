"""The REST API, version 1: every app's endpoints, token management, the OpenAPI schema and its docs."""

from csp.decorators import csp_update
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from acv.api_auth import TokenView
from evaluation.api import views as evaluation_views

# The grid lives in evaluation/api/views.py; evaluation/api/urls.py belongs to the reports.
evaluation_router = SimpleRouter()
evaluation_router.register("criteria", evaluation_views.CriterionViewSet, basename="criterion")
evaluation_router.register("indicators", evaluation_views.IndicatorViewSet, basename="indicator")
evaluation_router.register("indicator-values", evaluation_views.IndicatorValueViewSet, basename="indicator-value")

app_name = "api"

DOCS_CSP = csp_update({"style-src": ["'unsafe-inline'"]})

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="token"),
    path("", include("actions.api.urls")),
    path("", include("financing.api.urls")),
    path("", include("conventions.api.urls")),
    path("", include(evaluation_router.urls)),
    path("", include("evaluation.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI sets inline styles from its own script: allowed on that page, and only there.
    # The split view serves Swagger UI's start-up script as a file, so no inline script is needed.
    path("docs/", DOCS_CSP(SpectacularSwaggerSplitView.as_view(url_name="api:schema")), name="docs"),
]
