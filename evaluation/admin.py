from django.contrib import admin
from django.core.exceptions import ValidationError
from simple_history.admin import SimpleHistoryAdmin

from evaluation.models import (
    Criterion,
    DataSource,
    EndOfActionReport,
    Indicator,
    IndicatorValue,
    ResultIndicatorLink,
    SemesterReport,
)
from evaluation.services import (
    VALUE_FIELDS,
    indicator_value_delete,
    indicator_value_save,
    result_indicator_link_delete,
    result_indicator_link_save,
)


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
    list_display = ["name", "criterion", "unit", "unit_kind", "perimeter", "direction", "scope", "frequency"]
    list_filter = ["criterion__axis", "direction", "scope", "frequency", "unit_kind"]
    search_fields = ["name"]
    filter_horizontal = ["sources"]


@admin.register(DataSource)
class DataSourceAdmin(admin.ModelAdmin):
    list_display = ["name", "producer"]
    search_fields = ["name", "producer"]


@admin.register(IndicatorValue)
class IndicatorValueAdmin(SimpleHistoryAdmin):
    """Writes go through indicator_value_save, as on the grid page and the API: one set of rules and the
    author recorded."""

    list_display = ["indicator", "place_label", "period", "series", "value", "source", "entered_by"]
    list_filter = ["series", "period_kind", "year", "territory", "neighbourhood"]
    search_fields = ["indicator__name"]
    list_select_related = ["indicator", "territory", "sector", "neighbourhood", "source", "entered_by"]
    exclude = ["entered_by"]

    def delete_model(self, request, obj):
        indicator_value_delete(user=request.user, value=obj)

    def delete_queryset(self, request, queryset):
        # One by one through the service: each removal is checked and recorded in the history.
        for value in queryset:
            indicator_value_delete(user=request.user, value=value)

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in VALUE_FIELDS if name in form.cleaned_data}
        data["period"] = obj.period
        try:
            indicator_value_save(user=request.user, data=data, value=obj if change else None)
        except ValidationError as error:
            # The form ran the same model rules already: only a concurrent duplicate can land here.
            self.message_user(request, " ".join(error.messages), level="error")
            raise


@admin.register(ResultIndicatorLink)
class ResultIndicatorLinkAdmin(SimpleHistoryAdmin):
    """Links drawn and removed through evaluation.services, as on the indicator page and the API."""

    list_display = ["result_indicator", "indicator", "created_by"]
    list_select_related = ["result_indicator__action", "indicator", "created_by"]
    list_filter = ["indicator"]
    search_fields = ["result_indicator__label", "result_indicator__action__code", "indicator__name"]
    raw_id_fields = ["result_indicator"]
    exclude = ["created_by"]

    def has_change_permission(self, request, obj=None):
        # A link is drawn or removed, never moved: to feed another indicator, remove it and draw a new one.
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        saved = result_indicator_link_save(
            user=request.user, result_indicator=obj.result_indicator, indicator=obj.indicator
        )
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        result_indicator_link_delete(user=request.user, link=obj)

    def delete_queryset(self, request, queryset):
        for link in queryset:
            result_indicator_link_delete(user=request.user, link=link)


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
