from rest_framework.routers import SimpleRouter

from financing.api import views

router = SimpleRouter()
router.register("funding-lines", views.FundingLineViewSet, basename="funding-line")

urlpatterns = router.urls
