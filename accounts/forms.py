import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class OneTimeCodeForm(forms.Form):
    """The 6-digit code of an authenticator app; spaces are allowed, as apps show "123 456"."""

    code = forms.CharField(
        label=_("Code à 6 chiffres"),
        help_text=_("Le code affiché en ce moment par votre application d'authentification."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9 ]*",
                "maxlength": "7",
                "size": "8",
                "autofocus": True,
                "spellcheck": "false",
            }
        ),
        error_messages={"required": _("Saisissez le code à 6 chiffres de votre application d'authentification.")},
    )

    def clean_code(self):
        code = self.cleaned_data["code"].replace(" ", "")
        if not re.fullmatch(r"[0-9]{6}", code):
            raise ValidationError(_("Le code se compose de 6 chiffres."), code="format")
        return code

    def add_error(self, field, error):
        super().add_error(field, error)
        if field == "code":
            # The message is read with the field by screen readers, after its help text.
            auto_id = self["code"].auto_id
            self.fields["code"].widget.attrs["aria-describedby"] = f"{auto_id}_helptext {auto_id}-erreurs"
