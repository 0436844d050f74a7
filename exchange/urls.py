from django.urls import path

from exchange import views

app_name = "exchange"

urlpatterns = [
    path("classeurs/", views.ExchangeView.as_view(), name="exchange"),
    path("classeurs/imports/<uuid:pk>/", views.ImportDetailView.as_view(), name="import_detail"),
    path("classeurs/imports/<uuid:pk>/confirmer/", views.ImportConfirmView.as_view(), name="import_confirm"),
    path("classeurs/export/<slug:kind>.xlsx", views.KindExportView.as_view(), name="kind_export"),
    path("classeurs/programme/", views.ProgrammeExportView.as_view(), name="programme_export"),
    path("fiches/export.xlsx", views.FicheListExportView.as_view(), name="fiche_list_export"),
    path("tableau-national/", views.NationalTableView.as_view(), name="national_table"),
    path("tableau-national/apercu.<str:fmt>", views.NationalPreviewView.as_view(), name="national_preview"),
    path("tableau-national/deposer/", views.NationalSubmitView.as_view(), name="national_submit"),
    path("tableau-national/<uuid:pk>/fichier.<str:fmt>", views.NationalFileView.as_view(), name="national_file"),
]
