from django.urls import path

from evaluation import views

app_name = "evaluation"

urlpatterns = [
    path("rapports/", views.ReportIndexView.as_view(), name="report_index"),
    path("rapports/semestriel/", views.SemesterReportPdfView.as_view(), name="semester_report_pdf"),
    path("rapports/<int:pk>/pdf/", views.StoredReportPdfView.as_view(), name="stored_report_pdf"),
    path("comites/<int:meeting_pk>/rapport/", views.ReportPresentView.as_view(), name="report_present"),
    path("fiches/<int:pk>/pdf/", views.ActionPdfView.as_view(), name="action_pdf"),
    path("fiches/<int:pk>/bilan/", views.EndOfActionReportView.as_view(), name="end_of_action_report"),
    path("fiches/<int:pk>/bilan/pdf/", views.EndOfActionPdfView.as_view(), name="end_of_action_pdf"),
]
