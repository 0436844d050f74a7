"""The admin of every model loads for a superuser, in French (generated over the admin registry)."""

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils.html import escape

MODELS = sorted(
    (
        model
        for model in admin.site._registry
        if model._meta.app_label in {"conventions", "actions", "financing", "evaluation"}
    ),
    key=lambda model: model._meta.label,
)


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
@pytest.mark.parametrize("page", ["changelist", "add"])
def test_admin_page_loads_in_french(client, admin_user, reference_data, model, page):
    client.force_login(admin_user)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}")
    response = client.get(url)
    if page == "add" and not admin.site._registry[model].has_add_permission(response.wsgi_request):
        assert response.status_code == 403  # kept as produced (reports): nobody adds one by hand
        return
    assert response.status_code == 200
    assert 'lang="fr"' in response.content.decode()
    # The page names the model in French, as its title says ("Sélectionnez l'objet fiche action à changer").
    assert escape(str(model._meta.verbose_name)).lower() in response.content.decode().lower()


def test_fiche_change_page_shows_its_inlines(client, admin_user, reference_data):
    from actions.models import Action

    client.force_login(admin_user)
    fiche = Action.objects.get(code="AM.3")
    response = client.get(reverse("admin:actions_action_change", args=[fiche.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Opérations" in body
    assert "Lignes de financement" in body
    assert "Jalons" in body


def test_every_app_model_is_in_the_admin():
    from django.apps import apps

    missing = [
        model._meta.label
        for app in ("conventions", "actions", "financing", "evaluation")
        for model in apps.get_app_config(app).get_models()
        if model not in admin.site._registry and not model.__name__.startswith("Historical")
    ]
    assert missing == []


def test_the_coordinator_demo_account_can_work_in_the_admin(client, reference_data, settings):
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    settings.DEBUG = True  # demo accounts exist only in development
    call_command("create_demo_accounts", verbosity=0)
    client.force_login(get_user_model().objects.get(username="coordinateur"))
    assert client.get(reverse("admin:actions_action_changelist")).status_code == 200
    assert client.get(reverse("admin:conventions_organisation_add")).status_code == 200
    # Fiches and funding lines are read in the admin and written in the workspace (one write path).
    assert client.get(reverse("admin:financing_fundingline_add")).status_code == 403


def test_demo_accounts_are_refused_outside_development(db, settings):
    from django.core.management import CommandError, call_command

    settings.DEBUG = False
    with pytest.raises(CommandError, match="développement"):
        call_command("create_demo_accounts")
