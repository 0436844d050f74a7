"""Continuity between periods (ActionLink): on both fiches, in the list's « issue de… » filter shared by the page and
the API, in the fiche serializer and the fiche PDF — and never revealing a fiche the reader may not see."""

import pytest
from django.db import IntegrityError
from django.urls import reverse

from actions.models import ActionLink
from tests import factories as f
from tests.evaluation.pdf import pdf_text


@pytest.fixture
def periods(bethune, bdt):
    earlier = f.ActionFactory(code="AM.40", title="Étude de la place", territory=bethune)
    later = f.ActionFactory(code="FA 140", title="Travaux de la place", territory=bethune)
    hidden = f.ActionFactory(code="FA 141", title="Éclairage de la place", territory=bethune)
    f.FundingLineFactory(action=earlier, funder=bdt, status="planned")
    f.FundingLineFactory(action=later, funder=bdt, status="planned")
    ActionLink.objects.create(earlier=earlier, later=later, kind="continues", reference="Avenant n°3, Article 7.1")
    ActionLink.objects.create(
        earlier=earlier, later=hidden, kind="replaces", inferred=True, reason="Même place, même maître d'ouvrage."
    )
    return earlier, later, hidden


def test_a_link_the_documents_do_not_write_says_why(periods):
    earlier, later, _hidden = periods
    with pytest.raises(IntegrityError):
        ActionLink.objects.create(earlier=later, later=earlier, kind="continues", inferred=True, reason="")


def test_the_list_filter_issue_de_selects_the_fiches_that_follow(client, periods, coordinator):
    earlier, _later, _hidden = periods
    client.force_login(coordinator)
    body = client.get(reverse("actions:action_list"), {"derived_from": earlier.pk}).content.decode()
    assert "FA 140" in body and "FA 141" in body and ">AM.40<" not in body
    api = client.get(reverse("api:action-list"), {"derived_from": earlier.pk}).json()
    assert sorted(row["code"] for row in api["results"]) == ["FA 140", "FA 141"]


def test_a_partner_filters_and_reads_only_links_between_fiches_it_sees(client, periods, partner_bdt):
    earlier, _later, _hidden = periods
    client.force_login(partner_bdt)
    api = client.get(reverse("api:action-list"), {"derived_from": earlier.pk}).json()
    assert [row["code"] for row in api["results"]] == ["FA 140"]
    detail = client.get(reverse("api:action-detail", args=[earlier.pk])).json()
    assert [link["fiche"]["code"] for link in detail["continuations"]] == ["FA 140"]
    page = client.get(earlier.get_absolute_url()).content.decode()
    assert "FA 140" in page and "FA 141" not in page and "Éclairage" not in page


def test_the_api_gives_the_links_with_their_kind_and_why(client, periods, coordinator):
    earlier, _later, hidden = periods
    client.force_login(coordinator)
    detail = client.get(reverse("api:action-detail", args=[hidden.pk])).json()
    assert detail["origins"] == [
        {
            "fiche": {"id": earlier.pk, "code": "AM.40", "title": "Étude de la place"},
            "kind": "replaces",
            "kind_label": "remplace",
            "inferred": True,
            "reason": "Même place, même maître d'ouvrage.",
            "reference": "",
        }
    ]


def test_both_fiches_show_the_link_and_the_pdf_too(client, periods, coordinator):
    earlier, later, _hidden = periods
    client.force_login(coordinator)
    assert "Issue de" in client.get(later.get_absolute_url()).content.decode()
    assert "Suite" in client.get(earlier.get_absolute_url()).content.decode()
    text = pdf_text(client.get(reverse("evaluation:action_pdf", args=[later.pk])).content)
    assert "Issue de AM.40" in " ".join(text.split())


def test_the_filter_offers_only_fiches_the_reader_sees(client, periods, partner_bdt, coordinator, bethune):
    _earlier, later, _hidden = periods
    # A fiche of the earlier period the Banque does not fund, followed by one it funds.
    secret = f.ActionFactory(code="AM.41", title="Étude confidentielle", territory=bethune)
    ActionLink.objects.create(earlier=secret, later=later, kind="continues", reference="Avenant n°3, Article 7.1")
    client.force_login(coordinator)
    assert "AM.41 – Étude confidentielle" in client.get(reverse("actions:action_list")).content.decode()
    client.force_login(partner_bdt)
    body = client.get(reverse("actions:action_list")).content.decode()
    assert "AM.40 – Étude de la place" in body
    assert "AM.41" not in body and "confidentielle" not in body
    assert client.get(reverse("api:action-list"), {"derived_from": secret.pk}).status_code == 400
