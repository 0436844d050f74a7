from django.urls import path
from rest_framework.routers import SimpleRouter

from actions.api import plan, views

router = SimpleRouter()
router.register("actions", views.ActionViewSet, basename="action")
router.register("action-validations", plan.ActionValidationViewSet, basename="action-validation")

urlpatterns = [
    path("aggregates/", views.AggregatesView.as_view(), name="aggregates"),
    *router.urls,
]
