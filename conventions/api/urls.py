from rest_framework.routers import SimpleRouter

from conventions.api import views

router = SimpleRouter()
router.register("organisations", views.OrganisationViewSet, basename="organisation")
router.register("conventions", views.ConventionViewSet, basename="convention")
router.register("amendments", views.AmendmentViewSet, basename="amendment")
router.register("axes", views.AxisViewSet, basename="axis")
router.register("sub-axes", views.SubAxisViewSet, basename="sub-axis")
router.register("priority-neighbourhoods", views.PriorityNeighbourhoodViewSet, basename="priority-neighbourhood")
router.register("committee-meetings", views.CommitteeMeetingViewSet, basename="committee-meeting")

urlpatterns = router.urls
