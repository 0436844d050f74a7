from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("double-authentification/activation/", views.SecondFactorSetupView.as_view(), name="second_factor_setup"),
    path("double-authentification/verification/", views.SecondFactorVerifyView.as_view(), name="second_factor_verify"),
]
