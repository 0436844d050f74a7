from django.urls import path

from conventions import views

app_name = "conventions"

urlpatterns = [
    path("", views.MeetingListView.as_view(), name="meeting_list"),
    path("nouveau/", views.MeetingCreateView.as_view(), name="meeting_create"),
    path("<int:pk>/", views.MeetingDetailView.as_view(), name="meeting_detail"),
    path("<int:pk>/modifier/", views.MeetingUpdateView.as_view(), name="meeting_update"),
]
