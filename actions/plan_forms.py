"""Forms of the plan's life: the next avenant (draft, then signed), a partner's word on a fiche, the comité
decisions that name fiches. Only types and labels here: the rules are in actions.services."""

from django import forms
from django.db.models import Q
from django.utils import timezone

from actions.models import ActionStatus, ValidationDecision
from acv.forms import DateInput, FieldLayoutMixin
from conventions.models import Amendment, Convention, Organisation

# Who signs a document: collectivités, the State and its agencies, regions, departments, chambers, landlords, and
# whoever already signed one or funds a fiche — not the firms and associations the fiches merely name.
SIGNING_KINDS = ("commune", "epci", "etat", "agence", "region", "departement", "chambre", "bailleur")


def _organisations():
    from conventions.models import Signatory
    from financing.models import FundingLine

    return Organisation.objects.filter(
        Q(kind__in=SIGNING_KINDS)
        | Q(pk__in=Signatory.objects.values("organisation_id"))
        | Q(pk__in=FundingLine.objects.values("funder_id"))
    ).order_by("name")


class OrganisationChoices(forms.ModelMultipleChoiceField):
    """Organisations by their full name, in the order of that name."""

    def label_from_instance(self, obj):
        return obj.name


class AmendmentDraftForm(FieldLayoutMixin, forms.ModelForm):
    """The next avenant while it is prepared: its number, title, period and the parties named to sign it."""

    signatories = OrganisationChoices(
        queryset=Organisation.objects.none(),
        required=False,
        label="Parties appelées à signer",
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Amendment
        fields = ["convention", "number", "title", "covers_from", "covers_to", "note"]
        widgets = {
            "covers_from": DateInput(),
            "covers_to": DateInput(),
            "note": forms.Textarea(attrs={"rows": 4}),
        }
        error_messages = {
            "number": {"required": "Indiquez le numéro de l'avenant.", "invalid": "Le numéro s'écrit en chiffres."},
            "title": {"required": "Indiquez l'intitulé de l'avenant."},
            "convention": {"required": "Choisissez la convention que l'avenant modifie."},
            "covers_from": {"invalid": "Saisissez une date valide."},
            "covers_to": {"invalid": "Saisissez une date valide."},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["convention"].queryset = Convention.objects.order_by("signed_on", "title")
        self.fields["signatories"].queryset = _organisations()
        self.fields["number"].widget.attrs.update(min=1, inputmode="numeric")
        if self.instance.pk:
            self.fields["signatories"].initial = list(
                self.instance.signatories.values_list("organisation_id", flat=True)
            )
        elif not self.is_bound:
            conventions = list(self.fields["convention"].queryset[:2])
            if len(conventions) == 1:
                self.fields["convention"].initial = conventions[0].pk
                last = conventions[0].amendments.order_by("-number").first()
                self.fields["number"].initial = (last.number + 1) if last else 1


class AmendmentSignForm(FieldLayoutMixin, forms.Form):
    """Marking the avenant signed: the date written under the signatures, and who signed it."""

    signed_on = forms.DateField(
        label="Signé le",
        widget=DateInput(),
        error_messages={"required": "Indiquez la date de signature.", "invalid": "Saisissez une date valide."},
    )
    signatories = OrganisationChoices(
        queryset=Organisation.objects.none(),
        label="Signataires",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Cochez au moins un signataire."},
    )

    def __init__(self, *args, amendment=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["signatories"].queryset = _organisations()
        if amendment is not None and not self.is_bound:
            self.fields["signatories"].initial = list(amendment.signatories.values_list("organisation_id", flat=True))
            self.fields["signed_on"].initial = timezone.localdate()


class ValidationForm(FieldLayoutMixin, forms.Form):
    """A partner's word on a fiche: validated, or reservations that it says."""

    decision = forms.ChoiceField(
        label="Votre avis",
        choices=ValidationDecision.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choisissez « validée » ou « réserves »."},
    )
    comment = forms.CharField(
        label="Commentaire",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Obligatoire avec des réserves : dites lesquelles.",
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class CommitteeDecisionForm(FieldLayoutMixin, forms.Form):
    """One decision of a comité about one fiche (a row of the meeting's « décisions sur les fiches »)."""

    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    action = forms.ModelChoiceField(
        queryset=None,
        label="Fiche",
        required=False,
        error_messages={"invalid_choice": "Choisissez une fiche de la liste."},
    )
    text = forms.CharField(label="Décision", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    delete = forms.BooleanField(label="Retirer", required=False)

    def __init__(self, *args, fiches=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].queryset = fiches
        self.fields["action"].label_from_instance = lambda fiche: f"{fiche.code} – {fiche.title}"

    def clean(self):
        data = super().clean()
        if data.get("delete") or (not data.get("action") and not data.get("text") and not data.get("id")):
            return data
        if not data.get("action"):
            self.add_error("action", "Choisissez la fiche dont parle la décision.")
        if not (data.get("text") or "").strip():
            self.add_error("text", "Écrivez la décision.")
        return data


CommitteeDecisionFormSet = forms.formset_factory(CommitteeDecisionForm, extra=2)


class ProgressCorrectionForm(FieldLayoutMixin, forms.Form):
    """A correction of a semester's état d'avancement after its report was presented: the reason is required."""

    status = forms.ChoiceField(label="État", choices=ActionStatus.choices)
    percent_done = forms.IntegerField(label="Avancement (%)", min_value=0, max_value=100)
    achievements = forms.CharField(
        label="Réalisé ce semestre", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    difficulties = forms.CharField(label="Difficultés", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    next_steps = forms.CharField(label="Prochaines étapes", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    reason = forms.CharField(
        label="Motif de la correction",
        max_length=300,
        help_text="Le rapport de ce semestre a été présenté au comité : dites pourquoi vous le corrigez.",
        error_messages={"required": "Indiquez le motif de la correction."},
    )
