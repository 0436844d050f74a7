"""Forms of the fiche screens: they read and type what is typed; the rules live in the models (clean() and
constraints) and in actions.services (the « text as written » rule, versions, access)."""

from django import forms
from django.forms.models import inlineformset_factory
from django.urls import reverse

from actions.models import (
    EDITABLE_ACTION_FIELDS,
    Action,
    Milestone,
    Operation,
    ProgressUpdate,
    ResultIndicator,
    kind_choices,
)
from acv.forms import (
    BaseRowFormSet,
    DateInput,
    FieldLayoutMixin,
    FrenchNumbersMixin,
    NamedModelChoiceField,
    SuggestionsInput,
)
from conventions import roles
from conventions.models import Organisation
from financing.forms import FundingLineFormSet

PERIOD_WIDGETS = {
    "start_on": DateInput(),
    "end_on": DateInput(),
    "start_until": DateInput(),
    "end_until": DateInput(),
}


class ActionForm(FrenchNumbersMixin, forms.ModelForm):
    class Meta:
        model = Action
        fields = EDITABLE_ACTION_FIELDS
        widgets = {
            **PERIOD_WIDGETS,
            "title": forms.TextInput(attrs={"class": "wide"}),
            "description": forms.Textarea(attrs={"rows": 6}),
            "objectives": forms.Textarea(attrs={"rows": 4}),
            "stakeholders": forms.Textarea(attrs={"rows": 3}),
            "funding_text": forms.Textarea(attrs={"rows": 3}),
            "axes": forms.CheckboxSelectMultiple,
            "partners": forms.SelectMultiple(attrs={"size": 8}),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amendment"].queryset = self.fields["amendment"].queryset.select_related("convention")
        self.fields["sub_axis"].queryset = self.fields["sub_axis"].queryset.select_related("axis")
        self.fields["axes"].queryset = self.fields["axes"].queryset.select_related("programme")
        if user is not None:
            # The lists and the words of the programme the user works in: its axes or piliers, not another's.
            for name in ("convention", "amendment", "axes", "sub_axis"):
                self.fields[name].queryset = self.fields[name].queryset.visible_to(user)
            programme = roles.active_programme(user)
            if programme is not None:
                self.fields["axes"].label = programme.level1_title_plural
                self.fields["sub_axis"].label = programme.level2_title
                if programme.fiche_code_example:
                    self.fields["code"].help_text = f"Par exemple {programme.fiche_code_example}."
                self.fields["kind"].choices = kind_choices(programme)


class OperationForm(FrenchNumbersMixin, forms.ModelForm):
    class Meta:
        model = Operation
        fields = [
            "reference",
            "name",
            "cost_kind",
            "cost_amount",
            "cost_min",
            "cost_max",
            "cost_basis",
            "start_on",
            "start_precision",
            "start_text",
            "end_on",
            "end_precision",
            "end_text",
        ]
        widgets = {**PERIOD_WIDGETS, "name": forms.TextInput(attrs={"class": "wide"})}


OperationFormSet = inlineformset_factory(
    Action, Operation, form=OperationForm, formset=BaseRowFormSet, extra=0, can_delete=True
)


class ResultIndicatorForm(FrenchNumbersMixin, forms.ModelForm):
    """One indicateur de résultat: its figures typed the French way (« 2 000 », « 12,5 »), its échéance as a
    fuzzy date (first day, precision, and the words of the document)."""

    class Meta:
        model = ResultIndicator
        fields = [
            "label",
            "target_value",
            "unit",
            "target_text",
            "due_on",
            "due_precision",
            "due_until",
            "due_text",
            "achieved_value",
            "achieved_text",
            "achieved_on",
        ]
        widgets = {
            "label": forms.TextInput(attrs={"class": "wide"}),
            "due_on": DateInput(),
            "due_until": DateInput(),
            "achieved_on": DateInput(),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("target_value", "achieved_value"):
            field = self.fields[name]
            field.localize = True
            field.widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "size": 10})
            field.widget.is_localized = True
            field.error_messages["invalid"] = "Saisissez un nombre, par exemple 2 000 ou 12,5."
            # Stored with four decimals: shown as written, « 120 » rather than « 120,0000 ».
            value = self.initial.get(name)
            if value is not None:
                self.initial[name] = value.quantize(1) if value == value.to_integral_value() else value.normalize()


ResultIndicatorFormSet = inlineformset_factory(
    Action, ResultIndicator, form=ResultIndicatorForm, formset=BaseRowFormSet, extra=0, can_delete=True
)

# The row formsets of the fiche form, by the name their « add a row » button asks for, with their prefix.
FORMSETS = {"operations": OperationFormSet, "funding": FundingLineFormSet, "results": ResultIndicatorFormSet}
FORMSET_PREFIXES = {"operations": "operations", "funding": "funding", "results": "results"}


class ProgressUpdateForm(FieldLayoutMixin, forms.ModelForm):
    correction_reason = forms.CharField(
        label="Motif de la correction",
        required=False,
        max_length=300,
        help_text="Seulement pour un semestre dont le rapport a déjà été présenté au comité (la coordination).",
    )

    class Meta:
        model = ProgressUpdate
        fields = [
            "year",
            "semester",
            "status",
            "status_reason",
            "decided_by",
            "percent_done",
            "achievements",
            "difficulties",
            "next_steps",
        ]
        widgets = {
            "achievements": forms.Textarea(attrs={"rows": 3}),
            "difficulties": forms.Textarea(attrs={"rows": 3}),
            "next_steps": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The period follows the programme's rhythm: an annual programme records the year, with no semester —
        # nor a correction reason, which only a semester frozen by its presented report asks for.
        words = self.instance.action.convention.programme if self.instance.action_id else None
        if words is not None:
            it = "la" if words.is_fiche_feminine else "le"
            self.fields["status_reason"].help_text = (
                f"Requis pour abandonner {words.the_fiche}, {it} rouvrir une fois "
                f"{words.fiche_agreed('réalisée')} ou {it} relancer."
            )
        if words is not None and words.is_annual:
            del self.fields["semester"]
            del self.fields["correction_reason"]
            self.fields["achievements"].label = "Réalisé cette année"
        else:
            self.fields["semester"].required = True
            self.fields["achievements"].label = "Réalisé ce semestre"

    def _get_validation_exclusions(self):
        # The fiche is set by the view, not typed: keep it in the model's checks so that the
        # "one update per semester" constraint answers with its message instead of a database error.
        exclusions = super()._get_validation_exclusions()
        exclusions.discard("action")
        return exclusions


class MilestoneAchieveForm(forms.ModelForm):
    class Meta:
        model = Milestone
        fields = ["achieved_on"]
        widgets = {"achieved_on": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["achieved_on"].required = True


class YearTerritoryForm(forms.Form):
    """The dashboard's choice of one territory for its year table, among `territories` (the rows of
    ActionQuerySet.by_territory: the communes of the fiches the user sees). Up to `max_options` of them, a list;
    beyond (250 communes at national scale), a text input whose suggestions load as the user types, from the fiche
    list's Commune filter, which offers the same communes. Named as that filter, so that both speak of one choice."""

    territory = NamedModelChoiceField(
        queryset=Organisation.objects.none(), required=False, label="Territoire", empty_label="Tout le programme"
    )

    def __init__(self, data, *, territories, max_options):
        super().__init__(data if data and data.get("territory") else None, auto_id="year-%s")
        field = self.fields["territory"]
        field.queryset = Organisation.objects.filter(pk__in=[row["id"] for row in territories])
        if len(territories) > max_options:
            field.widget = SuggestionsInput(reverse("actions:filter_choices", args=["territory"]))
            field.help_text = "Tapez quelques lettres, puis choisissez dans la liste ; laissé vide : tout le programme."
        else:
            # The rows are already read, with their names: the list needs no query of its own.
            field.choices = [("", field.empty_label), *((row["id"], row["label"]) for row in territories)]

    def chosen(self, territories):
        """The row of `territories` chosen, None for the whole programme (also when what was typed matches none)."""
        if not self.is_bound or not self.is_valid() or self.cleaned_data["territory"] is None:
            return None
        chosen = self.cleaned_data["territory"].pk
        return next(row for row in territories if row["id"] == chosen)
