"""Site-wide views: the login pages (throttled), the error pages and the accessibility statement."""

import time

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.shortcuts import render
from django.views.generic import TemplateView


def too_many_attempts(request):
    """Count this address's login attempts in the current minute (in the cache shared by all workers),
    on every login page together: trying accounts on the admin's page spends the same budget.

    A counter per address and minute is enough here: it only has to slow a client down, exactness
    under concurrent requests does not matter (django-axes does the per-account lockout).
    """
    key = f"login-attempts:{request.META.get('REMOTE_ADDR', '')}:{int(time.time() // 60)}"
    cache.add(key, 0, timeout=120)
    try:
        attempts = cache.incr(key)
    except ValueError:  # expired between add and incr
        attempts = 1
    return attempts > settings.LOGIN_ATTEMPTS_PER_MINUTE


class LoginView(auth_views.LoginView):
    """Django's login, with a per-address throttle on top of django-axes' per-username lockout: axes
    stops guessing one account's password, the throttle stops one address trying many accounts."""

    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        if too_many_attempts(request):
            return throttled(request)
        return super().post(request, *args, **kwargs)


def admin_login(request, extra_context=None):
    """The admin site's login page, with /connexion/'s per-address throttle (django-axes covers both)."""
    if request.method == "POST" and too_many_attempts(request):
        return throttled(request)
    return admin.site.login(request, extra_context)


def throttled(request):
    """429, with the way back to the login page the client was trying."""
    return render(request, "registration/throttled.html", {"login_url": request.path}, status=429)


def server_error(request):
    """The 500 page, rendered without the request context that may be what failed."""
    return render(request, "500.html", status=500, context={})


class AccessibilityStatementView(TemplateView):
    """The déclaration d'accessibilité that the RGAA requires of a public service, open to everyone.

    What it says was tested is what tests/browser/test_accessibility.py and test_keyboard.py check on every
    run: a page that breaks it fails the suite, so the statement stays true.
    """

    template_name = "accessibility_statement.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(contact=settings.ACV_ACCESSIBILITY_CONTACT, **kwargs)


def health(request):
    """For the load balancer and the monitoring: is this process able to serve? 200 when the database answers,
    503 otherwise; with the task queue's backlog (tasks waiting, and for how long the oldest has), so that a
    worker pool that stopped is seen. Public and anonymous: it names no row and no person."""
    from django.db import DatabaseError, connection
    from django.http import JsonResponse
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        waiting = DBTaskResult.objects.ready().order_by("enqueued_at").values_list("enqueued_at", flat=True)
        count = waiting.count()
        oldest = waiting.first()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "error"}, status=503)
    age = round((timezone.now() - oldest).total_seconds()) if oldest else 0
    return JsonResponse(
        {"status": "ok", "database": "ok", "tasks": {"waiting": count, "oldest_waiting_seconds": age}},
        headers={"Cache-Control": "no-store"},
    )
