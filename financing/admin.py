from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from actions.admin import ReadOnlyAdminMixin
from financing.models import (
    ConventionFundingSummary,
    ConventionFundingYear,
    Envelope,
    FundingEvent,
    FundingLine,
    FundingLineYear,
    FundingScheme,
    FundingSummary,
    PartnerFundingSummary,
    PartnerFundingYear,
    Payment,
)


@admin.register(FundingScheme)
class FundingSchemeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "funder", "max_rate", "max_amount", "at_most_share_of"]
    list_filter = ["funder"]
    search_fields = ["name", "code"]


@admin.register(Envelope)
class EnvelopeAdmin(admin.ModelAdmin):
    list_display = ["funder", "territory", "scheme", "period_start", "period_end", "ceiling"]
    list_filter = ["funder", "territory"]
    search_fields = ["funder__name", "description"]


class FundingLineYearInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = FundingLineYear
    extra = 0


@admin.register(FundingLine)
class FundingLineAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ["action", "funder", "scheme", "nature", "amount", "status"]
    list_filter = [
        "status",
        "nature",
        ("funder", admin.RelatedOnlyFieldListFilter),
        ("scheme", admin.RelatedOnlyFieldListFilter),
        "action__territory",
    ]
    search_fields = ["action__code", "action__title", "funder__name", "decision_reference"]
    autocomplete_fields = ["funder", "action"]
    inlines = [FundingLineYearInline]


@admin.register(FundingLineYear)
class FundingLineYearAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["funding_line", "year", "amount"]
    list_filter = ["year"]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """Versements are recorded on the line's page (financing.services.payment_record checks the grant)."""

    list_display = ["funding_line", "paid_on", "amount", "reference", "recorded_by"]
    list_filter = ["paid_on"]
    search_fields = ["reference", "funding_line__action__code", "funding_line__funder__name"]


@admin.register(FundingEvent)
class FundingEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["funding_line", "at", "user", "from_status", "to_status", "amount", "note"]
    list_filter = ["to_status"]
    search_fields = ["funding_line__action__code", "funding_line__funder__name", "note"]


@admin.register(FundingSummary)
class FundingSummaryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The funding summary is written by the database from the lines (see FundingSummary): shown, never edited."""

    list_display = ["action", "funder", "status", "basis", "amount", "lines", "unknown_lines"]
    list_filter = ["status", "basis"]
    list_select_related = ["action", "funder"]
    search_fields = ["action__code", "funder__name"]


@admin.register(ConventionFundingSummary)
class ConventionFundingSummaryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Written by the database from the summary per fiche (see ConventionFundingSummary): shown, never edited."""

    list_display = ["convention", "territory", "funder", "status", "basis", "cost_basis", "amount", "lines"]
    list_filter = ["status", "basis", "cost_basis", "comparable"]
    list_select_related = ["convention", "territory", "funder"]
    search_fields = ["convention__title", "funder__name"]


@admin.register(PartnerFundingSummary)
class PartnerFundingSummaryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Written by the database (see PartnerFundingSummary): shown, never edited."""

    list_display = ["partner", "convention", "funder", "status", "basis", "cost_basis", "amount", "lines"]
    list_filter = ["status", "basis", "cost_basis", "comparable"]
    list_select_related = ["partner", "convention", "funder"]
    search_fields = ["partner__name", "convention__title", "funder__name"]


@admin.register(ConventionFundingYear)
class ConventionFundingYearAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Written by the database from the lines' years (see ConventionFundingYear): shown, never edited."""

    list_display = ["convention", "territory", "year", "status", "basis", "cost_basis", "amount"]
    list_filter = ["year", "status", "basis", "cost_basis"]
    list_select_related = ["convention", "territory"]
    search_fields = ["convention__title"]


@admin.register(PartnerFundingYear)
class PartnerFundingYearAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Written by the database (see PartnerFundingYear): shown, never edited."""

    list_display = ["partner", "convention", "territory", "year", "status", "basis", "cost_basis", "amount"]
    list_filter = ["year", "status", "basis", "cost_basis"]
    list_select_related = ["partner", "convention", "territory"]
    search_fields = ["partner__name", "convention__title"]
