from django.urls import path

from evaluation.api.reports import SemesterReportAPIView

urlpatterns = [
    path("reports/semester/", SemesterReportAPIView.as_view(), name="semester-report"),
]
