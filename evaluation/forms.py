"""Forms of the evaluation app: the grid's filters and one value of a cell; the end-of-action report of a fiche
(the semester to report on is conventions.forms.SemesterForm, a notion of the programme's calendar)."""

from django import forms
from django.template.defaultfilters import truncatechars
from django.utils import timezone

from actions.models import ResultIndicator
from acv.forms import FieldLayoutMixin
from conventions.forms import SemesterForm
from conventions.models import Axis, Convention, Organisation, PriorityNeighbourhood, Sector
from evaluation.models import (
    DataSource,
    EndOfActionReport,
    Series,
    programme_neighbourhoods,
    programme_territories,
)
from evaluation.periods import PERIOD_HELP, Period, PeriodError


class EndOfActionReportForm(forms.ModelForm):
    class Meta:
        model = EndOfActionReport
        fields = ["implementation", "results", "sustainability", "final_cost"]
        widgets = {
            "implementation": forms.Textarea(attrs={"rows": 8}),
            "results": forms.Textarea(attrs={"rows": 8}),
            "sustainability": forms.Textarea(attrs={"rows": 6}),
        }
        error_messages = {
            "implementation": {"required": "Décrivez comment l'action a été menée."},
            "results": {"required": "Décrivez les résultats obtenus."},
            "sustainability": {"required": "Dites comment les effets de l'action vont durer."},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Amounts are typed the French way (« 1 712 934,50 ») and read either way.
        field = self.fields["final_cost"]
        field.localize = True
        field.widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
        field.widget.is_localized = True


class GridFilterForm(forms.Form):
    """The grid's filters, for the page (GET form, in the URL) and the API alike."""

    axis = forms.ModelChoiceField(
        label="Axe", queryset=Axis.objects.none(), required=False, empty_label="Tous les axes"
    )
    territory = forms.ModelChoiceField(
        label="Territoire", queryset=Organisation.objects.none(), required=False, empty_label="Tous les territoires"
    )
    sector = forms.ModelChoiceField(
        label="Secteur ORT", queryset=Sector.objects.none(), required=False, empty_label="Aucun secteur"
    )
    neighbourhood = forms.ModelChoiceField(
        label="Quartier prioritaire (QPV)",
        queryset=PriorityNeighbourhood.objects.none(),
        required=False,
        empty_label="Aucun quartier",
    )
    period = forms.CharField(
        label="Période",
        required=False,
        max_length=20,
        help_text=PERIOD_HELP,
        widget=forms.TextInput(attrs={"placeholder": "toutes", "size": 10}),
    )

    def __init__(self, *args, programme=None, **kwargs):
        super().__init__(*args, **kwargs)
        programme_id = getattr(programme, "pk", None)
        territories = programme_territories(programme_id).order_by("kind", "name")
        self.fields["axis"].queryset = Axis.objects.filter(criteria__programme_id=programme_id).distinct()
        if programme is not None:
            self.fields["axis"].label = programme.level1_title
            self.fields["axis"].empty_label = programme.every_level1_title
        self.fields["territory"].queryset = territories
        self.fields["sector"].queryset = Sector.objects.filter(commune__in=territories).select_related("commune")
        self.fields["neighbourhood"].queryset = programme_neighbourhoods(programme_id).order_by("name")
        self.fields["neighbourhood"].label_from_instance = lambda item: item.label

    def clean_period(self):
        text = self.cleaned_data["period"].strip()
        if not text:
            return None
        try:
            return Period.parse(text)
        except PeriodError as error:
            raise forms.ValidationError(str(error)) from error

    def clean(self):
        cleaned = super().clean()
        # A quartier is a place of its own, straddling communes: with a territory or a sector it would say two
        # places at once.
        if cleaned.get("neighbourhood") and (cleaned.get("territory") or cleaned.get("sector")):
            self.add_error(
                "neighbourhood",
                "Un quartier prioritaire se consulte seul : videz le territoire et le secteur ORT, ou le quartier.",
            )
        return cleaned


class IndicatorValueForm(forms.Form):
    """One value of one cell: the indicator and the place come from the cell, the rest is typed here; the rules
    are the model's, run by evaluation.services.indicator_value_save."""

    period = forms.CharField(label="Période", max_length=20, help_text=PERIOD_HELP)
    series = forms.ChoiceField(label="Série", choices=Series.choices, initial=Series.MEASURED)
    value = forms.DecimalField(
        label="Valeur",
        max_digits=16,
        decimal_places=4,
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "size": 10}),
        error_messages={"required": "Saisissez la valeur.", "invalid": "Saisissez un nombre, par exemple 12,5."},
    )
    source = forms.ModelChoiceField(
        label="Source", queryset=DataSource.objects.none(), required=False, empty_label="Non précisée"
    )
    measured_on = forms.DateField(
        label="Date de la mesure",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    note = forms.CharField(label="Remarque", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, indicator, **kwargs):
        super().__init__(*args, **kwargs)
        self.indicator = indicator
        # The indicator's own sources first: they are the ones the grid names.
        self.fields["source"].queryset = DataSource.objects.order_by("name")
        unit = indicator.unit_label
        if unit:
            self.fields["value"].label = f"Valeur ({unit})"

    def clean_period(self):
        try:
            return Period.parse(self.cleaned_data["period"])
        except PeriodError as error:
            raise forms.ValidationError(str(error)) from error

    def add_service_errors(self, error):
        """Put the service's messages next to the fields they are about (others above the form)."""
        for name, messages in error.message_dict.items():
            target = name if name in self.fields else None
            for message in messages:
                self.add_error(target, message)


class SemesterReportForm(SemesterForm):
    """The semester report to build: a semester and, where the instance holds several conventions (one per city
    at national scale), the convention it covers — the report of one city, not of every city at once."""

    convention = forms.ModelChoiceField(
        label="Convention",
        queryset=Convention.objects.none(),
        required=False,
        empty_label="Toutes les conventions",
        error_messages={"invalid_choice": "Choisissez une convention de la liste."},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        conventions = Convention.objects.visible_to(user).order_by("signed_on", "title")
        self.fields["convention"].queryset = conventions
        if self.initial.get("convention") is None and len(conventions[:2]) == 1:
            self.initial["convention"] = conventions[0].pk

    @classmethod
    def for_day(cls, day=None, data=None, *, user):
        day = day or timezone.localdate()
        return cls(data, user=user, initial={"year": day.year, "semester": 1 if day.month <= 6 else 2})


class ResultIndicatorLinkForm(FieldLayoutMixin, forms.Form):
    """The fiche indicator that feeds a grid indicator: chosen among the indicators of the programme's fiches that
    feed none yet, grouped by fiche in plan order."""

    result_indicator = forms.TypedChoiceField(
        label="Relier un indicateur de résultat d'une fiche",
        help_text="Les indicateurs des fiches du programme qui n'alimentent encore aucun indicateur de la grille, "
        "fiche par fiche.",
        coerce=int,
        error_messages={
            "required": "Choisissez l'indicateur de résultat d'une fiche.",
            "invalid_choice": "Cet indicateur n'est pas un indicateur libre d'une fiche du programme.",
        },
    )

    def __init__(self, *args, indicator, **kwargs):
        super().__init__(*args, **kwargs)
        free = (
            ResultIndicator.objects.filter(
                action__convention__programme_id=indicator.criterion.programme_id, grid_link__isnull=True
            )
            .select_related("action")
            .order_by("action", "position", "pk")
        )
        self.available = {item.pk: item for item in free}
        groups = {}
        for item in self.available.values():
            groups.setdefault(item.action, []).append((item.pk, item.label))
        self.fields["result_indicator"].choices = [
            ("", "Choisissez…"),
            *((f"{action.code} – {truncatechars(action.title, 70)}", choices) for action, choices in groups.items()),
        ]

    def clean_result_indicator(self):
        return self.available[self.cleaned_data["result_indicator"]]
