from django import forms
from django.utils.translation import gettext_lazy as _

from exchange.models import ImportKind


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("Nature du classeur"), choices=ImportKind.choices)
    file = forms.FileField(
        label=_("Classeur (.xlsx)"),
        help_text=_(
            "Un classeur exporté d'ici, modifié dans votre tableur : seules ses colonnes modifiables comptent."
        ),
    )

    def __init__(self, *args, kinds=None, **kwargs):
        super().__init__(*args, **kwargs)
        if kinds is not None:
            self.fields["kind"].choices = [(value, label) for value, label in ImportKind.choices if value in kinds]
