from django.urls import path

from evaluation import document_views, views

app_name = "evaluation"

urlpatterns = [
    path("evaluation/grille/", views.GridView.as_view(), name="grid"),
    path("evaluation/grille/export.xlsx", views.GridExportView.as_view(), name="grid_export"),
    path("evaluation/grille/cellule/", views.GridCellView.as_view(), name="grid_cell"),
    path("evaluation/indicateurs/<int:pk>/", views.IndicatorDetailView.as_view(), name="indicator_detail"),
    path(
        "evaluation/indicateurs/<int:pk>/fiches/",
        views.ResultIndicatorLinkCreateView.as_view(),
        name="indicator_link_create",
    ),
    path(
        "evaluation/indicateurs/<int:pk>/fiches/<int:link_pk>/retirer/",
        views.ResultIndicatorLinkDeleteView.as_view(),
        name="indicator_link_delete",
    ),
    path(
        "evaluation/valeurs/<int:pk>/supprimer/",
        views.IndicatorValueDeleteView.as_view(),
        name="indicator_value_delete",
    ),
    path("rapports/", views.ReportIndexView.as_view(), name="report_index"),
    path("rapports/semestriel/", views.SemesterReportStartView.as_view(), name="semester_report_start"),
    path("rapports/annuel/", views.AnnualReportStartView.as_view(), name="annual_report_start"),
    path("programmes/", views.CrossProgrammeView.as_view(), name="cross_programme"),
    path("rapports/<int:pk>/pdf/", views.StoredReportPdfView.as_view(), name="stored_report_pdf"),
    path("comites/<int:meeting_pk>/rapport/", views.ReportPresentView.as_view(), name="report_present"),
    path("fiches/<int:pk>/pdf/", views.ActionPdfView.as_view(), name="action_pdf"),
    path("fiches/<int:pk>/bilan/", views.EndOfActionReportView.as_view(), name="end_of_action_report"),
    path("fiches/<int:pk>/bilan/pdf/", views.EndOfActionPdfView.as_view(), name="end_of_action_pdf"),
    path(
        "documents/avenants/<int:pk>/annexe.pdf",
        document_views.AmendmentAnnexPdfView.as_view(),
        name="amendment_annex_pdf",
    ),
]
