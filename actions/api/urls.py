from django.urls import path
from rest_framework.routers import SimpleRouter

from actions.api import views

router = SimpleRouter()
router.register("actions", views.ActionViewSet, basename="action")

urlpatterns = [
    path("aggregates/", views.AggregatesView.as_view(), name="aggregates"),
    *router.urls,
]
