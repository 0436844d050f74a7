"""What a newcomer reads: amounts in French, dates written alike, texts without internal values, links only to
what the role may open, an API root, and one log record per refusal."""

import datetime
import html
import io
import logging
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from acv.values import format_cost, format_duration, format_fuzzy_date
from tests import factories as f

pytestmark = pytest.mark.django_db

LIST = reverse("actions:action_list")


def plain(text):
    """French formats use no-break and narrow no-break spaces; the expectations below are written with spaces,
    one between words, and without HTML escapes."""
    return " ".join(html.unescape(text).replace("\u00a0", " ").replace("\u202f", " ").split(" "))


class Page(HTMLParser):
    """The parts of a page these tests read: table rows (text of each cell, by the row's first cell), links,
    and the attributes of elements by id."""

    def __init__(self, markup):
        super().__init__()
        self.rows, self.links, self.by_id, self.svg_links = {}, [], {}, 0
        self._row = self._cell = None
        self._in_svg_img = 0
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "br" and self._cell is not None:
            self._cell.append(" ")
        if "id" in attrs:
            self.by_id[attrs["id"]] = {"tag": tag, **attrs, "text": ""}
        if tag == "svg" and attrs.get("role") == "img":
            self._in_svg_img += 1
        if tag == "a":
            self.links.append(attrs.get("href", ""))
            self.svg_links += bool(self._in_svg_img)
        if tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        self._open_id = attrs.get("id")

    def handle_endtag(self, tag):
        if tag == "svg" and self._in_svg_img:
            self._in_svg_img -= 1
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(plain(" ".join("".join(self._cell).split())))
            self._cell = None
        elif tag == "tr" and self._row:
            self.rows[self._row[0]] = self._row
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if getattr(self, "_open_id", None) in self.by_id:
            self.by_id[self._open_id]["text"] += plain(data)


def page(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, (url, response.status_code)
    return Page(response.content.decode())


# -- 2. Costs: the amount in French, the text as written beside it ---------------------------------------------


@pytest.fixture
def costed(bethune):
    make = f.ActionFactory
    return {
        "estimated": make(
            code="FA 801", territory=bethune, cost_kind="estimated", cost_amount=Decimal("150000"), cost_basis="HT"
        ),
        "written": make(code="FA 802", territory=bethune, cost_amount=Decimal("120000"), cost_text="120 000€"),
        "unknown": make(
            code="FA 803",
            territory=bethune,
            cost_kind="unknown",
            cost_amount=None,
            cost_basis="",
            cost_text="A déterminer",
        ),
        "yearly": make(
            code="FA 804",
            territory=bethune,
            cost_kind="range",
            cost_amount=None,
            cost_min=Decimal("35000"),
            cost_max=Decimal("40000"),
            cost_per_year=True,
            cost_text="35 à 40 000 €/an",
        ),
    }


def test_cost_column_shows_the_amount_in_french_and_the_text_as_written_beside_it(client, coordinator, costed):
    costed["estimated"].cost_text = "Estimation à 150 000"
    costed["estimated"].save()
    client.force_login(coordinator)
    rows = page(client, LIST).rows
    cost = {code: rows[code][4] for code in ("FA 801", "FA 802", "FA 803", "FA 804")}
    assert cost == {
        "FA 801": "150 000 € HT, estimé tel qu'écrit : « Estimation à 150 000 »",
        "FA 802": "120 000 € TTC tel qu'écrit : « 120 000€ »",
        # The text says nothing the display does not: it is not repeated.
        "FA 803": "à déterminer",
        "FA 804": "35 000 € à 40 000 € TTC par an tel qu'écrit : « 35 à 40 000 €/an »",
    }


def test_fiche_page_and_api_give_the_amount_not_the_raw_text(client, coordinator, costed):
    client.force_login(coordinator)
    fiche = costed["written"]
    content = plain(client.get(fiche.get_absolute_url()).content.decode())
    assert '<strong>120 000 € TTC</strong><br><span class="muted small">tel qu\'écrit : « 120 000€ »</span>' in content
    api = client.get(reverse("api:action-detail", args=[fiche.pk])).json()
    assert plain(api["cost"]["display"]) == "120 000 € TTC"
    assert api["cost"]["text"] == "120 000€"


def test_format_cost_readings():
    assert plain(format_cost("estimated", Decimal("26300"), None, None, False, "TTC")) == "26 300 € TTC, estimé"
    assert plain(format_cost("exact", Decimal("1032.50"), None, None, True, "")) == "1 032,50 € par an"
    assert format_cost("unknown", None, None, None, False, "HT") == "à déterminer"


# -- 6. Texts ----------------------------------------------------------------------------------------------------


def test_lockout_page_says_fifteen_minutes(client, coordinator):
    for _ in range(5):
        response = client.post(reverse("login"), {"username": "coordinateur", "password": "faux"})
    text = " ".join(plain(response.content.decode()).split())
    assert response.status_code == 429
    assert "est suspendue pendant 15 minutes." in text
    assert "PT15M" not in text


def test_durations_in_words():
    minutes = [format_duration(datetime.timedelta(minutes=m)) for m in (1, 15, 60, 90, 24 * 60 + 5)]
    assert minutes == ["1 minute", "15 minutes", "1 heure", "1 heure et 30 minutes", "1 jour et 5 minutes"]


def test_list_total_says_one_fiche_or_several(client, coordinator, bethune):
    client.force_login(coordinator)
    first = f.ActionFactory(code="FA 811", territory=bethune, title="Unique")
    total = "Total de la fiche action sélectionnée"
    assert page(client, LIST, q="unique").rows[total][0] == total
    f.ActionFactory(code="FA 812", convention=first.convention, territory=bethune, title="Unique aussi")
    assert "Total des 2 fiches action sélectionnées" in page(client, LIST, q="unique").rows


def test_months_are_written_in_lower_case_and_alike():
    day = datetime.date
    assert format_fuzzy_date(day(2018, 6, 1), "month", "Juin 2018") == "juin 2018"
    assert format_fuzzy_date(day(2019, 9, 1), "month", "sept. 2019") == "septembre 2019"
    assert format_fuzzy_date(day(2018, 7, 16), "day", "16 Juillet 2018") == "16 juillet 2018"
    # A text that says more than its reading is kept, its months in lower case.
    assert format_fuzzy_date(day(2018, 9, 1), "month", "Début Septembre 2018") == "Début septembre 2018"
    assert format_fuzzy_date(day(2018, 12, 1), "month", "Fin décembre 2018") == "Fin décembre 2018"
    # A text that does not match its reading is not replaced by it.
    assert format_fuzzy_date(day(2018, 6, 1), "month", "Juillet 2018") == "juillet 2018"


def test_fiche_page_dates_and_quality_notes_in_the_words_of_the_fiche(client, coordinator, bethune):
    fiche = f.ActionFactory(
        code="FA 821",
        territory=bethune,
        start_on=datetime.date(2018, 6, 1),
        start_precision="month",
        start_text="Juin 2018",
        end_on=datetime.date(2019, 9, 1),
        end_until=datetime.date(2019, 9, 30),
        end_precision="month",
        end_text="sept. 2019",
    )
    f.QualityNoteFactory(action=fiche, field="status", description="Statut « delivered » d'après le bilan.")
    f.QualityNoteFactory(action=fiche, field="budget", description="Coût laissé « unknown »; voir « taux ».")
    client.force_login(coordinator)
    content = plain(client.get(fiche.get_absolute_url()).content.decode())
    assert "<dd>juin 2018</dd>" in content
    assert "<dd>septembre 2019</dd>" in content
    assert "Statut « réalisée » d'après le bilan." in content
    assert "Coût laissé « à déterminer »; voir « taux »." in content
    assert "« delivered »" not in content and "« unknown »" not in content


def test_filter_help_texts_are_shown_and_tied_to_their_field(client, coordinator):
    client.force_login(coordinator)
    found = page(client, LIST).by_id
    assert found["id_year"]["aria-describedby"] == "id_year_helptext"
    assert "commencées avant sa fin" in found["id_year_helptext"]["text"]
    assert found["id_late"]["aria-describedby"] == "id_late_helptext"
    assert "Fin prévue dépassée" in found["id_late_helptext"]["text"]
    assert "accents et majuscules indifférents" in found["id_q_helptext"]["text"]


def test_sortable_headers_are_links_that_say_their_state(client, coordinator, bethune):
    f.ActionFactory(territory=bethune)
    client.force_login(coordinator)
    content = client.get(LIST, {"ordering": "-cost"}).content.decode()
    assert re.search(r'<th scope="col" class="num"\s+aria-sort="descending">\s*<a href="\?ordering=cost">Coût', content)
    assert '<a href="?ordering=code">Code<span class="sort-hint" aria-hidden="true">↕</span>' in content
    assert content.count("aria-sort=") == 1


def test_refusals_end_with_one_full_stop(client, referent_bethune, partner_bdt, outsider):
    """Each 403 gives its reason as a sentence: never « .. », never an empty reason."""
    cases = [
        (referent_bethune, reverse("evaluation:report_index")),
        (referent_bethune, reverse("financing:partner_portal")),
        (partner_bdt, reverse("actions:action_create")),
        (outsider, reverse("actions:action_list")),
    ]
    for user, url in cases:
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 403, url
        reason = re.search(r"<h1>Accès refusé</h1>\s*<p>(.*?)</p>", response.content.decode(), re.S)[1]
        assert reason.endswith(".") and not reason.endswith(".."), (url, reason)
    api = client.post(reverse("api:organisation-list"), {}, content_type="application/json")
    assert api.status_code == 403
    assert api.json()["detail"].endswith(".") and ".." not in api.json()["detail"]


# -- 7. Links only to what the role may use; the export where the list is ---------------------------------------


@pytest.fixture
def funded(bethune, bruay, bdt, region):
    fiche = f.ActionFactory(code="FA 831", territory=bethune, title="Halle de Béthune")
    other = f.ActionFactory(code="FA 832", convention=fiche.convention, territory=bruay, title="Parc")
    f.FundingLineFactory(action=fiche, funder=bdt, amount=Decimal("40000"), status="granted")
    f.FundingLineFactory(action=other, funder=bdt, amount=Decimal("7000"), status="requested")
    f.FundingLineFactory(action=fiche, funder=region, amount=Decimal("9000"), status="planned")
    f.CommitteeMeetingFactory(convention=fiche.convention)
    return fiche


# The roles that read less than they are offered by default (the comité's one link is checked below).
@pytest.mark.parametrize("persona", ["referent_bethune", "partner_bdt"])
def test_no_link_a_role_is_shown_leads_to_a_refusal(client, request, funded, persona):
    """From the pages a role starts on, every link of the site it is offered opens (no 403)."""
    client.force_login(request.getfixturevalue(persona))
    starts = [reverse("actions:dashboard"), LIST, funded.get_absolute_url(), reverse("conventions:meeting_list")]
    seen, refused = set(), []
    for start in starts:
        response = client.get(start)
        if response.status_code != 200:
            continue  # a page the role may not open is not one of its starting points
        for href in Page(response.content.decode()).links:
            path = href.split("?")[0]
            # PDFs take a second each to build: their links ask the same role functions the matrix checks.
            if not href.startswith("/") or href.startswith("/static/") or path.endswith("/pdf/") or path in seen:
                continue
            seen.add(path)
            if client.get(href).status_code == 403:
                refused.append(f"{href} (depuis {start})")
    assert refused == []
    assert len(seen) > 5


def test_report_link_only_for_roles_that_may_produce_it(client, referent_bethune, coordinator, committee_member):
    report = reverse("evaluation:report_index")
    for user, offered in ((referent_bethune, False), (coordinator, True), (committee_member, True)):
        client.force_login(user)
        for url in (reverse("actions:dashboard"), reverse("conventions:meeting_list")):
            assert (report in page(client, url).links) is offered, (user, url)


def test_list_links_to_the_xlsx_of_its_fiches_as_filtered(client, coordinator, committee_member, funded):
    for user in (coordinator, committee_member):
        client.force_login(user)
        links = page(client, LIST, q="bethune").links
        [export] = [href for href in links if href.startswith(reverse("financing:funding_export"))]
        assert export == reverse("financing:funding_export") + "?q=bethune"
        sheet = load_workbook(io.BytesIO(client.get(export).content))["Engagements"]
        rows = [(row[0], row[4], row[7]) for row in sheet.iter_rows(min_row=2, values_only=True)]
        assert sorted(rows) == [
            ("FA 831", "Banque des Territoires", 40000),
            ("FA 831", "Région Hauts-de-France", 9000),
        ]


def test_partner_export_from_the_list_holds_only_what_it_may_see(client, partner_bdt, funded):
    client.force_login(partner_bdt)
    sheet = load_workbook(io.BytesIO(client.get(reverse("financing:funding_export"), {"q": "fa 83"}).content))
    rows = sorted((row[0], row[7]) for row in sheet["Engagements"].iter_rows(min_row=2, values_only=True))
    assert rows == [("FA 831", 40000), ("FA 832", 7000)]  # its own lines; not the Région's prévu line


# -- 5. The dashboard chart ---------------------------------------------------------------------------------------


def test_dashboard_chart_is_one_image_with_its_links_in_a_table(client, coordinator, funded):
    axis = f.AxisFactory(number="4", title="Fournir l'accès aux équipements et services publics")
    funded.axes.set([axis])
    client.force_login(coordinator)
    found = page(client, reverse("actions:dashboard"))
    assert found.svg_links == 0
    row = found.rows["Axe 4 (TTC) – Fournir l'accès aux éq… (Fournir l'accès aux équipements et services publics)"]
    assert row[1:] == ["100 000 €", "1"]
    assert f"{LIST}?axis={axis.pk}" in found.links


# -- 9. The API root ----------------------------------------------------------------------------------------------


def test_api_root_lists_the_endpoints_and_the_docs(client, coordinator):
    root = client.get("/api/v1/")
    assert root.status_code == 200
    body = root.json()
    assert body["documentation"].endswith(reverse("api:docs"))
    assert body["schema"].endswith(reverse("api:schema"))
    endpoints = body["endpoints"]
    assert endpoints["actions"].endswith(reverse("api:action-list"))
    assert endpoints["funding-lines"].endswith(reverse("api:funding-line-list"))
    assert endpoints["reports/semester"].endswith(reverse("api:semester-report"))
    assert "actions/{id}" not in str(endpoints) and len(endpoints) >= 14
    client.force_login(coordinator)
    for name in ("actions", "organisations", "indicator-values"):
        assert client.get(endpoints[name]).status_code == 200, name


# -- 10. One refusal, one log record ------------------------------------------------------------------------------


def _handlers_that_write(record):
    """The handlers the logging configuration sends this record to (pytest's own capture left aside)."""
    logger, handlers = logging.getLogger(record.name), []
    while logger is not None:
        handlers += [
            handler
            for handler in logger.handlers
            if not type(handler).__module__.startswith("_pytest")
            and record.levelno >= handler.level
            and handler.filter(record)
        ]
        logger = logger.parent if logger.propagate else None
    return handlers


def test_one_refusal_is_logged_once(client, referent_bethune, settings, caplog):
    settings.DEBUG = True  # Django's own console handler writes only then: the double showed in development
    client.force_login(referent_bethune)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get(reverse("evaluation:report_index")).status_code == 403
    [record] = [record for record in caplog.records if record.name == "django.request"]
    assert record.status_code == 403
    assert len(_handlers_that_write(record)) == 1
