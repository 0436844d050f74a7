from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from acv.views import AccessibilityStatementView, LoginView, admin_login, health
from conventions.views import ProgrammeSwitchView

admin.site.site_header = "ACV Suivi — administration"
admin.site.site_title = "ACV Suivi"
admin.site.index_title = "Données du programme"

urlpatterns = [
    # Ahead of the admin's own login page, which it replaces with the same page behind the login throttle.
    path("admin/login/", admin_login, name="admin_login"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("acv.api_urls")),
    path("connexion/", LoginView.as_view(), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    # Changing the password logs out the user's other sessions (Django checks the session's password hash).
    path("mot-de-passe/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("mot-de-passe/fait/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("compte/", include("accounts.urls")),
    path("traitements/", include("jobs.urls")),
    # Public, as the law asks: anyone must be able to read it, and to find how to report a problem, signed in or not.
    path("accessibilite/", AccessibilityStatementView.as_view(), name="accessibility_statement"),
    # For load balancers and monitoring: the process, its database and the task queue's backlog.
    path("sante/", health, name="health"),
    path("", include("actions.urls")),
    path("comites/", include("conventions.urls")),
    path("programme/", ProgrammeSwitchView.as_view(), name="programme_switch"),
    path("", include("evaluation.urls")),
    path("", include("financing.urls")),
    path("", include("exchange.urls")),
]

handler500 = "acv.views.server_error"
