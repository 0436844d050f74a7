"""Every page renders for the coordinator on the real programme."""

import pytest
from django.urls import reverse

from actions.models import Action


@pytest.mark.django_db
def test_every_page_renders_for_the_coordinator(client, reference_data, coordinator):
    client.force_login(coordinator)
    fiches = Action.objects.filter(convention__programme__code="acv").order_by("pk")
    assert fiches.count() >= 53
    urls = ["/", "/fiches/", "/fiches/?page=2", reverse("actions:action_create")]
    # Every fiche's page (what it shows depends on its data); the edit form of the first fiche of each
    # convention and kind (the form's fields depend on those, the rest is the same form).
    urls += [reverse("actions:action_detail", args=[pk]) for pk in fiches.values_list("pk", flat=True)]
    first_of_each = {(fiche.convention_id, fiche.kind): fiche.pk for fiche in reversed(fiches)}
    urls += [reverse("actions:action_update", args=[pk]) for pk in sorted(first_of_each.values())]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "style=" not in response.content.decode(), url


@pytest.mark.django_db
def test_reference_list_filters_bruay_axis_4(client, reference_data, coordinator):
    from conventions.models import Axis, Organisation

    client.force_login(coordinator)
    bruay = Organisation.objects.get(name__icontains="Bruay-La-Buissière", kind="commune")
    axis = Axis.objects.get(number="4")
    response = client.get("/fiches/", {"territory": bruay.pk, "axis": axis.pk})
    assert "FA 54" in response.content.decode()
