from django.contrib import admin

from evaluation.models import Criterion, DataSource, EndOfActionReport, Indicator, IndicatorValue, SemesterReport


class IndicatorInline(admin.StackedInline):
    model = Indicator
    extra = 0
    filter_horizontal = ["sources"]


@admin.register(Criterion)
class CriterionAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "axis"]
    list_filter = ["programme", "axis"]
    search_fields = ["code", "title"]
    inlines = [IndicatorInline]


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ["name", "criterion", "unit", "perimeter", "direction"]
    list_filter = ["criterion__axis", "direction"]
    search_fields = ["name"]
    filter_horizontal = ["sources"]


@admin.register(DataSource)
class DataSourceAdmin(admin.ModelAdmin):
    list_display = ["name", "producer"]
    search_fields = ["name", "producer"]


@admin.register(IndicatorValue)
class IndicatorValueAdmin(admin.ModelAdmin):
    list_display = ["indicator", "territory", "period", "value", "source"]
    list_filter = ["territory", "period"]
    search_fields = ["indicator__name"]


@admin.register(SemesterReport)
class SemesterReportAdmin(admin.ModelAdmin):
    """Kept as presented: the PDF of a report is never edited, only consulted or removed by an administrator."""

    list_display = ["__str__", "meeting", "generated_at", "generated_by"]
    list_filter = ["year", "semester", "convention"]
    readonly_fields = ["convention", "meeting", "year", "semester", "pdf", "generated_at", "generated_by"]

    def has_add_permission(self, request):
        return False


@admin.register(EndOfActionReport)
class EndOfActionReportAdmin(admin.ModelAdmin):
    list_display = ["action", "author", "updated_at"]
    search_fields = ["action__code", "action__title", "results"]
