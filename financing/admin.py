from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from actions.admin import ReadOnlyAdminMixin
from financing.models import Envelope, FundingLine, FundingLineYear, FundingScheme


@admin.register(FundingScheme)
class FundingSchemeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "funder", "max_rate", "max_amount"]
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
