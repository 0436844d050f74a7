from django.urls import path

from financing import views

app_name = "financing"

urlpatterns = [
    path("engagements/", views.PartnerPortalView.as_view(), name="partner_portal"),
    path("engagements/export.xlsx", views.FundingLineExportView.as_view(), name="funding_export"),
    path("enveloppes/", views.EnvelopeListView.as_view(), name="envelope_list"),
    path("engagements/lignes/<int:pk>/", views.FundingLineDecisionView.as_view(), name="funding_line_decision"),
    path("engagements/lignes/<int:pk>/versements/", views.PaymentCreateView.as_view(), name="payment_create"),
    path("engagements/versements/<int:pk>/annuler/", views.PaymentCancelView.as_view(), name="payment_cancel"),
    path("engagements/versements/<int:pk>/piece/", views.PaymentDocumentView.as_view(), name="payment_document"),
]
