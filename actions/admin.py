from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from actions.models import (
    Action,
    ActionDocument,
    ActionLink,
    ActionSnapshot,
    ActionValidation,
    CommitteeDecision,
    Milestone,
    Operation,
    ProgressUpdate,
    QualityNote,
    ResultIndicator,
)
from financing.models import FundingLine


class ReadOnlyAdminMixin:
    """Fiches, their operations, funding lines, milestones and progress are written in the workspace, through
    actions.services and financing.services (access, versions, history, rules): the admin shows them — with
    their history — and links to the page that edits them, so no second write path exists."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OperationInline(ReadOnlyAdminMixin, admin.StackedInline):
    model = Operation
    extra = 0
    fields = [
        "position",
        "reference",
        "name",
        "description",
        ("cost_kind", "cost_amount", "cost_min", "cost_max", "cost_per_year", "cost_basis"),
        "cost_text",
        ("start_on", "start_precision", "start_until", "start_text"),
        ("end_on", "end_precision", "end_until", "end_text"),
    ]


class FundingLineInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = FundingLine
    extra = 0
    fields = ["funder", "scheme", "nature", "amount", "share", "basis", "status", "decision_reference", "decision_date"]
    autocomplete_fields = ["funder"]


class MilestoneInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Milestone
    extra = 0
    fields = ["position", "label", "planned_on", "planned_precision", "planned_text", "achieved_on"]


class ResultIndicatorInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ResultIndicator
    extra = 0


class QualityNoteInline(admin.StackedInline):
    model = QualityNote
    extra = 0


@admin.register(Action)
class ActionAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ["code", "title", "territory", "project_owner", "status", "cost_display", "workspace_link"]
    list_filter = [
        "convention",
        "amendment",
        "kind",
        "project_type",
        "status",
        ("territory", admin.RelatedOnlyFieldListFilter),
        ("project_owner", admin.RelatedOnlyFieldListFilter),
        "axes",
        "sub_axis",
    ]
    search_fields = ["code", "title", "description"]
    autocomplete_fields = ["territory", "project_owner", "partners"]
    filter_horizontal = ["axes"]
    fieldsets = [
        (None, {"fields": ["convention", "amendment", "code", "title", "kind", "project_type", "status"]}),
        ("Rattachement", {"fields": ["territory", "project_owner", "axes", "sub_axis", "partners"]}),
        ("Contenu", {"fields": ["description", "objectives", "stakeholders", "funding_text"]}),
        (
            "Budget",
            {
                "fields": [
                    ("cost_kind", "cost_amount", "cost_min", "cost_max", "cost_per_year", "cost_basis"),
                    "cost_text",
                ]
            },
        ),
        (
            "Calendrier",
            {
                "fields": [
                    ("start_on", "start_precision", "start_until", "start_text"),
                    ("end_on", "end_precision", "end_until", "end_text"),
                ]
            },
        ),
        ("Source", {"fields": ["source_document", "source_reference"]}),
    ]
    inlines = [OperationInline, FundingLineInline, MilestoneInline, ResultIndicatorInline, QualityNoteInline]

    @admin.display(description="Coût")
    def cost_display(self, obj):
        return obj.cost_display

    @admin.display(description="Modifier")
    def workspace_link(self, obj):
        return format_html('<a href="{}">Modifier la fiche</a>', reverse("actions:action_update", args=[obj.pk]))


@admin.register(Operation)
class OperationAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ["name", "action", "cost_display"]
    list_filter = ["action__territory"]
    search_fields = ["name", "action__code"]

    @admin.display(description="Coût")
    def cost_display(self, obj):
        return obj.cost_display


@admin.register(Milestone)
class MilestoneAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["label", "action", "planned_display", "achieved_on"]
    search_fields = ["label", "action__code"]

    @admin.display(description="Prévu")
    def planned_display(self, obj):
        return obj.planned_display


@admin.register(ResultIndicator)
class ResultIndicatorAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ["label", "action", "target_display", "due_display", "achieved_display", "achieved_on"]
    list_select_related = ["action"]
    search_fields = ["label", "action__code"]

    @admin.display(description="Cible")
    def target_display(self, obj):
        return obj.target_display

    @admin.display(description="Échéance")
    def due_display(self, obj):
        return obj.due_display

    @admin.display(description="Atteint")
    def achieved_display(self, obj):
        return obj.achieved_display


@admin.register(ProgressUpdate)
class ProgressUpdateAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["action", "year", "semester", "status", "percent_done", "author"]
    list_filter = ["year", "semester", "status"]
    search_fields = ["action__code", "achievements"]


@admin.register(QualityNote)
class QualityNoteAdmin(admin.ModelAdmin):
    list_display = ["action", "field", "is_open"]
    list_filter = ["is_open", "field"]
    search_fields = ["action__code", "description"]


# --- The plan's life --------------------------------------------------------------------------------------


@admin.register(ActionDocument)
class ActionDocumentAdmin(admin.ModelAdmin):
    """What each document did to its fiches: reference data, kept here by the coordination."""

    list_display = ["action", "convention", "amendment", "kind", "reference"]
    list_filter = ["kind", "convention", "amendment"]
    search_fields = ["action__code", "reference"]
    raw_id_fields = ["action"]


@admin.register(ActionLink)
class ActionLinkAdmin(admin.ModelAdmin):
    """Links between fiches of two periods; one the documents do not write is marked inferred, with why."""

    list_display = ["later", "kind", "earlier", "inferred"]
    list_filter = ["kind", "inferred"]
    search_fields = ["earlier__code", "later__code", "reason"]
    raw_id_fields = ["earlier", "later"]


@admin.register(ActionSnapshot)
class ActionSnapshotAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Fiches as signed: frozen, read only (the fiche page compares them with today)."""

    list_display = ["action", "convention", "amendment", "origin", "taken_at"]
    list_filter = ["origin", "convention", "amendment"]
    search_fields = ["action__code"]


@admin.register(ActionValidation)
class ActionValidationAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """Partners' validations: given by each partner from its portal or the fiche page, shown here with their
    history."""

    list_display = ["action", "organisation", "decision", "to_renew", "decided_at"]
    list_filter = ["decision", "to_renew"]
    search_fields = ["action__code", "organisation__name", "comment"]


@admin.register(CommitteeDecision)
class CommitteeDecisionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Comité decisions naming fiches: written from the meeting's page (actions.services.committee_decisions_save)."""

    list_display = ["meeting", "action", "text"]
    search_fields = ["action__code", "text"]
