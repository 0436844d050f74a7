from django.urls import path

from actions import views

app_name = "actions"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("fiches/", views.ActionListView.as_view(), name="action_list"),
    path("fiches/nouvelle/", views.ActionCreateView.as_view(), name="action_create"),
    path("fiches/<int:pk>/", views.ActionDetailView.as_view(), name="action_detail"),
    path("fiches/<int:pk>/modifier/", views.ActionUpdateView.as_view(), name="action_update"),
    path("fiches/<int:pk>/avancement/", views.ProgressCreateView.as_view(), name="progress_create"),
    path(
        "fiches/<int:pk>/jalons/<int:milestone_pk>/atteint/",
        views.MilestoneAchieveView.as_view(),
        name="milestone_achieve",
    ),
    path("fiches/ligne-vide/<str:kind>/", views.FormsetRowView.as_view(), name="formset_row"),
    path("fiches/ligne-retiree/", views.FormsetRowRemoveView.as_view(), name="formset_row_remove"),
]
