from django.urls import path

from evaluation.api.reports import SemesterReportAPIView
from evaluation.api.views import GridAPIView

urlpatterns = [
    path("evaluation/grid/", GridAPIView.as_view(), name="evaluation-grid"),
    path("reports/semester/", SemesterReportAPIView.as_view(), name="semester-report"),
]
