"""The one FilterSet of funding lines: used by the REST API and by any page that lists lines."""

import django_filters

from conventions.models import Organisation
from financing.models import FundingLine, FundingScheme, FundingStatus


def _funders(request):
    # Only funders whose lines the user may see: a choice would otherwise reveal who is negotiating.
    return Organisation.objects.filter(
        pk__in=FundingLine.objects.visible_to(getattr(request, "user", None)).values("funder_id")
    )


def _schemes(request):
    return FundingScheme.objects.visible_to(getattr(request, "user", None))


class FundingLineFilterSet(django_filters.FilterSet):
    action = django_filters.NumberFilter(field_name="action_id", label="Fiche")
    funder = django_filters.ModelChoiceFilter(queryset=_funders, label="Financeur")
    status = django_filters.ChoiceFilter(choices=FundingStatus.choices, label="État")
    # The schemes of the programme the user works in (or of every programme).
    scheme = django_filters.ModelChoiceFilter(queryset=_schemes, label="Dispositif")
    year = django_filters.NumberFilter(
        label="Échéance en", method="filter_year", help_text="Lignes dont l'échéancier prévoit un montant cette année."
    )

    class Meta:
        model = FundingLine
        fields = []

    def filter_year(self, queryset, name, value):
        from financing.models import FundingLineYear

        # Subquery: a line is one row whatever the number of its years.
        return queryset.filter(pk__in=FundingLineYear.objects.filter(year=value).values("funding_line_id"))
