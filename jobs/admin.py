from django.contrib import admin

from jobs.models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    """Read-only: a job is written by its task; the admin shows what ran, for whom, and why it failed."""

    list_display = ["title", "kind", "requested_by", "requested_at", "status"]
    list_filter = ["status", "kind"]
    search_fields = ["title", "requested_by__username"]

    def has_add_permission(self, request):
        return False

    def has_view_permission(self, request, obj=None):
        # A job's title names what a person exported or imported: the administrator's to see, for support.
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return False
