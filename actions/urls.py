from django.urls import path

from actions import plan_views, views

app_name = "actions"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("fiches/", views.ActionListView.as_view(), name="action_list"),
    path("fiches/choix/<str:name>/", views.ActionFilterChoicesView.as_view(), name="filter_choices"),
    path("fiches/nouvelle/", views.ActionCreateView.as_view(), name="action_create"),
    path("fiches/<int:pk>/", views.ActionDetailView.as_view(), name="action_detail"),
    path("fiches/<int:pk>/modifier/", views.ActionUpdateView.as_view(), name="action_update"),
    path("fiches/<int:pk>/avancement/", views.ProgressCreateView.as_view(), name="progress_create"),
    path(
        "fiches/<int:pk>/jalons/<int:milestone_pk>/atteint/",
        views.MilestoneAchieveView.as_view(),
        name="milestone_achieve",
    ),
    path("fiches/<int:pk>/versions/", plan_views.ActionVersionsView.as_view(), name="action_versions"),
    path(
        "fiches/<int:pk>/avancement/<int:update_pk>/corriger/",
        plan_views.ProgressCorrectView.as_view(),
        name="progress_correct",
    ),
    path("fiches/<int:pk>/validation/", plan_views.ActionValidationView.as_view(), name="action_validation"),
    path("fiches/ligne-vide/<str:kind>/", views.FormsetRowView.as_view(), name="formset_row"),
    path("fiches/ligne-retiree/", views.FormsetRowRemoveView.as_view(), name="formset_row_remove"),
    # The documents: each convention and avenant, and the next avenant while it is prepared.
    path("documents/", plan_views.DocumentListView.as_view(), name="document_list"),
    path("documents/conventions/<int:pk>/", plan_views.ConventionDetailView.as_view(), name="convention_detail"),
    path("documents/avenants/nouveau/", plan_views.AmendmentCreateView.as_view(), name="amendment_create"),
    path("documents/avenants/<int:pk>/", plan_views.AmendmentDetailView.as_view(), name="amendment_detail"),
    path("documents/avenants/<int:pk>/modifier/", plan_views.AmendmentUpdateView.as_view(), name="amendment_update"),
    path("documents/avenants/<int:pk>/signer/", plan_views.AmendmentSignView.as_view(), name="amendment_sign"),
    path("documents/avenants/<int:pk>/bilan/ecarts/", plan_views.BalanceNotesView.as_view(), name="balance_notes"),
    # Under the comités' addresses, but here: the decisions name fiches, which conventions may not import.
    path("comites/<int:pk>/decisions/", plan_views.MeetingDecisionsView.as_view(), name="meeting_decisions"),
]
