"""What every endpoint of the REST API shares: the one error shape, ETag / If-Match, the
serializer base that runs the model's own rules, and the schema of error responses.

Access itself is not decided here: viewsets ask conventions.roles and the visible_to / editable_by
QuerySets, as pages do.
"""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from drf_spectacular.openapi import AutoSchema
from rest_framework import exceptions, serializers, status
from rest_framework.fields import get_error_detail
from rest_framework.settings import api_settings
from rest_framework.validators import UniqueTogetherValidator, UniqueValidator
from rest_framework.views import exception_handler as drf_exception_handler


class ChoiceLabelField(serializers.CharField):
    """The French label of a choice field's value, read from a dict built once from its choices: get_FOO_display
    rebuilds that dict on every call, which a 50-row page with its funding lines makes hundreds of times."""

    def __init__(self, choices, **kwargs):
        self.labels = dict(choices)
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value):
        return str(self.labels.get(value, value))


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = (
        "Cet enregistrement a été modifié depuis votre lecture : rien n'a été enregistré. "
        "Relisez-le pour obtenir son nouvel ETag, puis renvoyez vos changements."
    )
    default_code = "precondition_failed"


class ErrorSerializer(serializers.Serializer):
    """The body of every error answer (400, 401, 403, 404, 412): one shape for clients to read."""

    detail = serializers.CharField(help_text="Message en français.")
    code = serializers.CharField(help_text="Code stable de l'erreur (invalid, not_authenticated, not_found…).")
    fields = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        help_text="Pour une erreur 400 : les messages par champ (non_field_errors pour l'objet entier).",
    )


def exception_handler(exc, context):
    """DRF's handler, then the body rewritten to the ErrorSerializer shape."""
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        fields = data if isinstance(data, dict) else {api_settings.NON_FIELD_ERRORS_KEY: data}
        response.data = {
            "detail": "Données invalides : corrigez les champs signalés.",
            "code": "invalid",
            "fields": fields,
        }
    else:
        detail = data.get("detail", "") if isinstance(data, dict) else data
        response.data = {"detail": str(detail), "code": getattr(detail, "code", None) or "error"}
    return response


def validation_error_from_django(exc: DjangoValidationError) -> exceptions.ValidationError:
    """The model's French messages, field by field, as a DRF 400."""
    if hasattr(exc, "error_dict"):
        detail = {
            (api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field): messages
            for field, messages in exc.message_dict.items()
        }
    else:
        detail = {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}
    return exceptions.ValidationError(get_error_detail(DjangoValidationError(detail)))


class ModelCleanSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose rules are the model's: validate() applies the data to the instance and
    runs full_clean() (clean(), field validators, unique and check constraints, with their French
    messages). DRF's own uniqueness validators are dropped so no rule has a second copy."""

    def get_validators(self):
        return [v for v in super().get_validators() if not isinstance(v, UniqueTogetherValidator)]

    def get_fields(self):
        # DRF re-creates min/max and uniqueness checks with its own wording; full_clean() runs the
        # model's, with the messages the forms show.
        duplicated = (UniqueValidator, MinValueValidator, MaxValueValidator)
        fields = super().get_fields()
        for field in fields.values():
            field.validators = [v for v in field.validators if not isinstance(v, duplicated)]
        return fields

    def validate(self, attrs):
        attrs = super().validate(attrs)
        instance = self.instance if self.instance is not None else self.Meta.model()
        many_to_many = {}
        for name, value in attrs.items():
            if instance._meta.get_field(name).many_to_many:
                many_to_many[name] = value
            else:
                setattr(instance, name, value)
        try:
            instance.full_clean()
        except DjangoValidationError as exc:
            raise validation_error_from_django(exc) from exc
        self.cleaned_instance, self.cleaned_many_to_many = instance, many_to_many
        return attrs

    def save(self, **kwargs):
        instance = self.cleaned_instance
        for name, value in kwargs.items():
            setattr(instance, name, value)
        instance.save()
        for name, values in self.cleaned_many_to_many.items():
            getattr(instance, name).set(values)
        self.instance = instance
        return instance


def etag_for(obj) -> str:
    """Strong ETag of a versioned row: changes whenever the row's version does."""
    return f'"{obj._meta.model_name}-{obj.pk}-v{obj.version}"'


def expected_version(request, obj) -> int:
    """The version the client read, from If-Match. No If-Match means no check (the service still
    refuses a save that lost a race); a stale one is a 412."""
    header = request.headers.get("If-Match", "").strip()
    if not header:
        return obj.version
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    if "*" in tags or etag_for(obj) in tags:
        return obj.version
    raise PreconditionFailed()


class VersionedResponseMixin:
    """Detail answers of fiches and funding lines carry the ETag of what they show."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        obj = getattr(self, "etag_object", None)
        if obj is not None and response.status_code < 300:
            response["ETag"] = etag_for(obj)
        return response


ERROR_DESCRIPTIONS = {
    "400": "Données ou paramètres invalides (messages par champ).",
    "401": "Non authentifié.",
    "403": "Authentifié mais non autorisé.",
    "404": "Introuvable ou non visible pour cet utilisateur.",
    "412": "If-Match ne correspond plus à la version enregistrée.",
}


class ApiAutoSchema(AutoSchema):
    """Every operation documents the error answers it may give, all with ErrorSerializer."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = ["400", "401", "403", "404"]
        if self.method in ("PUT", "PATCH") and getattr(self.view, "versioned", False):
            codes.append("412")
        for code in codes:
            if code not in responses:
                response = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                response["description"] = ERROR_DESCRIPTIONS[code]
                responses[code] = response
        return responses
