"""Every page renders for the coordinator on the real programme."""

import pytest
from django.urls import reverse

from actions.models import Action


@pytest.mark.django_db
def test_every_page_renders_for_the_coordinator(client, reference_data, coordinator):
    client.force_login(coordinator)
    fiches = list(Action.objects.filter(convention__programme__code="acv").values_list("pk", flat=True))
    assert len(fiches) >= 53
    urls = ["/", "/fiches/", "/fiches/?page=2", reverse("actions:action_create")]
    for pk in fiches:
        urls += [reverse("actions:action_detail", args=[pk]), reverse("actions:action_update", args=[pk])]
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
