"""Bounded pages at national scale: the partners' portal pages its lines and its fiches to give a word on, the list
of fiches shows a window of page links, and the API walks fiches by cursor, each exactly once even while fiches
are added between two pages."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests import factories as f

PORTAL = reverse("financing:partner_portal")


@pytest.fixture
def sixty_fiches(db, bdt, region, bethune):
    """60 fiches funded by the Banque des Territoires (one line each, alternately accordé and prévu) and by the
    Région (settled on the first 5, in negotiation elsewhere)."""
    convention = f.ConventionFactory()
    fiches = []
    for n in range(60):
        fiche = f.ActionFactory(convention=convention, code=f"FA {n + 1}", territory=bethune)
        f.FundingLineFactory(
            action=fiche, funder=bdt, amount=Decimal(1000 + n), status="granted" if n % 2 else "planned"
        )
        f.FundingLineFactory(action=fiche, funder=region, amount=Decimal(7), status="granted" if n < 5 else "requested")
        fiches.append(fiche)
    return fiches


def _line_codes(body):
    section = body.split('id="h-lines"', 1)[1]
    return re.findall(r">(FA \d+)</a> —", section)


def test_portal_pages_the_partner_lines_fifty_at_a_time_with_totals_of_all(client, partner_bdt, sixty_fiches):
    client.force_login(partner_bdt)
    first = client.get(PORTAL).content.decode()
    second = client.get(PORTAL, {"page": 2}).content.decode()
    shown = _line_codes(first) + _line_codes(second)
    assert len(_line_codes(first)) == 50
    assert sorted(shown) == sorted(fiche.code for fiche in sixty_fiches)  # each of its lines once, none other
    assert "60 lignes, 1 à 50 ci-dessous" in first
    # The totals are those of every line, not of the page: 30 accordées (1 001 + 1 003 + … + 1 059 = 30 900 €).
    accorde = '<th scope="row">Accordé</th><td class="num">30\u202f900\u00a0€</td>'
    assert accorde in first
    assert accorde in second
    # The fiches to give a word on are paged too: 60 fiches, 50 on the first page.
    assert "60 fiches action, celles qui attendent votre avis d'abord ; 1 à 50 ci-dessous" in first
    assert "?avis=2#h-validations" in first


def test_partner_portal_queries_are_bounded(client, partner_bdt, sixty_fiches, django_assert_max_num_queries):
    client.force_login(partner_bdt)
    with django_assert_max_num_queries(18):
        client.get(PORTAL, {"page": 2, "avis": 2})


def test_list_shows_a_window_of_page_links_not_every_page(client, coordinator, sixty_fiches, monkeypatch):
    monkeypatch.setattr("actions.views.PAGE_SIZE", 2)  # 30 pages of 2 fiches
    client.force_login(coordinator)
    body = client.get(reverse("actions:action_list"), {"page": 15}).content.decode()
    pagination = body.split('aria-label="Pages de résultats"', 1)[1].split("</nav>", 1)[0]
    links = sorted({int(n) for n in re.findall(r'href="\?page=(\d+)"', pagination)})
    assert links == [1, 13, 14, 15, 16, 17, 30]  # the ends, two each side, previous and next among them
    assert pagination.count("…") == 2
    rows = re.findall(r'<a href="/fiches/(\d+)/">', body.split("<tbody>", 1)[1].split("</tbody>", 1)[0])
    assert len(set(rows)) == 2  # this page's two fiches (each linked twice in its row)
    last = client.get(reverse("actions:action_list"), {"page": "last"}).content.decode()
    assert 'aria-current="page" href="?page=30"' in last


def test_cursor_walks_every_fiche_once_while_fiches_are_added(coordinator, sixty_fiches, bethune):
    client = APIClient()
    client.force_login(coordinator)
    seen, url, added = [], "/api/v1/actions/?cursor=&page_size=7", []
    while url:
        body = client.get(url).json()
        assert set(body) == {"count", "next", "previous", "results"}
        seen += [row["id"] for row in body["results"]]
        # A fiche added between two pages, as a user would while a machine walks the list.
        added.append(f.ActionFactory(convention=sixty_fiches[0].convention, territory=bethune).pk)
        url = body["next"]
    assert len(seen) == len(set(seen))  # nobody twice
    assert set(fiche.pk for fiche in sixty_fiches) <= set(seen)  # nobody missed
    assert set(seen) <= set(fiche.pk for fiche in sixty_fiches) | set(added)


def test_cursor_pages_show_a_partner_only_its_fiches(partner_bdt, partner_region, sixty_fiches):
    client = APIClient()
    client.force_login(partner_region)
    body = client.get("/api/v1/actions/", {"cursor": "", "page_size": 100}).json()
    assert body["count"] == 60
    rows = {row["code"]: row for row in body["results"]}
    assert len(rows) == 60
    # Its own lines in every state, the Banque des Territoires' only once accordé.
    assert sorted(line["status"] for line in rows["FA 8"]["funding_lines"]) == ["granted", "requested"]
    assert [line["status"] for line in rows["FA 7"]["funding_lines"]] == ["requested"]  # not the BdT's prévu


def test_numbered_pages_walk_the_plan_order_from_both_ends_alike(db, bethune):
    """Pages in the second half of a list are picked walking the order backwards: every page must hold what the
    forward order puts there, ties in the order (here, one code in three conventions of the same date and title)
    included."""
    from actions.models import Action
    from acv.pagination import IdFirstPaginator

    for n in range(3):
        convention = f.ConventionFactory(key=f"tie-{n}", title="Convention-cadre", signed_on="2018-09-24")
        for code in ("FA 2", "FA 10", "AM.1", "FA 1"):
            f.ActionFactory(convention=convention, code=code, territory=bethune)
    fiches = Action.objects.all()
    forward = list(fiches.order_by(*Action._meta.ordering, "pk").values_list("pk", flat=True))
    paginator = IdFirstPaginator(fiches, 5)
    pages = [[fiche.pk for fiche in paginator.page(number)] for number in paginator.page_range]
    assert pages == [forward[0:5], forward[5:10], forward[10:12]]
