"""No list page or list endpoint runs more SQL queries when it shows more rows (no N+1).

Each test counts the queries of one page for one persona twice: after a first, small batch of fiches,
then after a second batch that shares nothing with the first (other communes, funders, axes, sous-axes,
conventions, partners, authors), so a per-row query cannot hide behind a related row already loaded. The
two counts must be equal and under the ceiling measured when these tests were written. The BDT partner
funds most fiches of each batch and sees them; on the same fiches other funders hold a line in every
status, of which it sees only the settled ones. Each test also checks that the page shows the rows it
was given, computed from the rule rather than from the code under test: a page that showed nothing
would run few queries too.
"""

import datetime
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from conventions.models import Organisation
from evaluation.models import ResultIndicatorLink
from tests.factories import (
    ActionFactory,
    AmendmentFactory,
    AxisFactory,
    CommitteeMeetingFactory,
    ConventionFactory,
    FundingLineFactory,
    FundingLineYearFactory,
    FundingSchemeFactory,
    IndicatorFactory,
    MilestoneFactory,
    OperationFactory,
    OrganisationFactory,
    ProgressUpdateFactory,
    QualityNoteFactory,
    ResultIndicatorFactory,
    SubAxisFactory,
    UserFactory,
)

STATUSES = ("planned", "requested", "granted", "paid", "refused")
SETTLED = ("granted", "paid")
SMALL, LARGE = 2, 7


@dataclass
class Batches:
    """What the batches created so far hold, for the oracles of what each persona must be shown."""

    fiches: list = field(default_factory=list)
    partner_fiches: list = field(default_factory=list)
    lines: list = field(default_factory=list)
    meetings: int = 0


def _batch(batches, index, size, *, bdt):
    """`size` fiches funded by the BDT and one it does not fund, on rows no earlier batch uses."""
    tag, axis_number = str(index), str(5 + index)
    commune = OrganisationFactory(key=f"commune-{tag}", name=f"Commune {tag}", kind="commune")
    funders = [OrganisationFactory(key=f"financeur-{tag}-{n}", kind="region") for n in range(2)]
    partner = OrganisationFactory(key=f"partenaire-{tag}", kind="association")
    convention = ConventionFactory(key=f"convention-{tag}")
    amendment = AmendmentFactory(convention=convention)
    axis = AxisFactory(number=axis_number)
    sub_axis = SubAxisFactory(axis=axis, code=f"{axis_number}.1")
    scheme = FundingSchemeFactory(code=f"dispositif-{tag}")
    author = UserFactory(username=f"auteur-{tag}")
    for n in range(size + 1):
        funded_by_bdt = n < size
        fiche = ActionFactory(
            convention=convention,
            amendment=amendment,
            code=f"Q{tag}.{n}",
            territory=commune,
            axes=[axis],
            sub_axis=sub_axis,
            end_until=datetime.date(2020, 12, 31),
            status="in_progress",
        )
        fiche.partners.add(partner)
        operation = OperationFactory(action=fiche)
        MilestoneFactory(action=fiche)
        indicator = ResultIndicatorFactory(action=fiche, label=f"Indicateur {tag}{n}", target_value=n, unit="places")
        # Each result indicator feeds a grid indicator of its own (the page names it).
        ResultIndicatorLink.objects.create(
            result_indicator=indicator, indicator=IndicatorFactory(name=f"Grille {tag}{n}")
        )
        QualityNoteFactory(action=fiche)
        ProgressUpdateFactory(action=fiche, author=author)
        lines = [
            FundingLineFactory(action=fiche, funder=funders[k % 2], status=status, scheme=scheme)
            for k, status in enumerate(STATUSES)
        ]
        if funded_by_bdt:
            lines.append(
                FundingLineFactory(action=fiche, funder=bdt, status=STATUSES[n % 5], scheme=scheme, operation=operation)
            )
            batches.partner_fiches.append(fiche)
        for line in lines:
            FundingLineYearFactory(funding_line=line, year=2025, amount=Decimal("1000.00"))
        batches.fiches.append(fiche)
        batches.lines.extend(lines)
    meeting = CommitteeMeetingFactory(convention=convention, held_on=datetime.date(2026, index, 15))
    meeting.attending_organisations.add(commune, *funders)
    batches.meetings += 1


def _seen_lines(batches, persona, bdt):
    """The rule: a partner sees its own lines and, on the fiches it funds, the settled lines of others."""
    if persona == "coordinator":
        return batches.lines
    funded = {fiche.pk for fiche in batches.partner_fiches}
    return [
        line
        for line in batches.lines
        if line.funder_id == bdt.pk or (line.action_id in funded and line.status in SETTLED)
    ]


def _seen_fiches(batches, persona):
    return batches.fiches if persona == "coordinator" else batches.partner_fiches


# --- What each page must show ------------------------------------------------------------------


def _codes(response):
    return set(re.findall(r"Q\d\.\d+", response.content.decode()))


def _shows_fiche_codes(response, batches, persona, bdt):
    assert _codes(response) == {fiche.code for fiche in _seen_fiches(batches, persona)}


def _shows_bdt_fiche_codes(response, batches, persona, bdt):
    assert _codes(response) == {fiche.code for fiche in batches.partner_fiches}


def _counts_fiches(response, batches, persona, bdt):
    assert response.context["total"] == len(_seen_fiches(batches, persona))


def _api_count(expected):
    def check(response, batches, persona, bdt):
        assert response.json()["count"] == expected(batches, persona, bdt)

    return check


def _aggregates(response, batches, persona, bdt):
    assert response.json()["actions"]["count"] == len(_seen_fiches(batches, persona))


def _xlsx_rows(response, batches, persona, bdt):
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert sheet.max_row - 1 == len(_seen_lines(batches, persona, bdt))


def _own_lines_on_portal(response, batches, persona, bdt):
    assert _codes(response) == {fiche.code for fiche in batches.partner_fiches}


# Stands for the BDT's id in a query string: the organisation exists only once the test's data does.
BDT = object()


@dataclass(frozen=True)
class Page:
    url_name: str
    shows: object
    query: dict = field(default_factory=dict)

    def request(self, bdt):
        return reverse(self.url_name), {key: bdt.pk if value is BDT else value for key, value in self.query.items()}


PAGES = {
    "dashboard": Page("actions:dashboard", _counts_fiches),
    "fiche list": Page("actions:action_list", _shows_fiche_codes),
    "fiche list by funding": Page("actions:action_list", _shows_fiche_codes, {"ordering": "-funded"}),
    "fiche list of a funder": Page("actions:action_list", _shows_bdt_fiche_codes, {"funder": BDT}),
    "partner portal": Page("financing:partner_portal", _own_lines_on_portal),
    "funding export": Page("financing:funding_export", _xlsx_rows),
    "api actions": Page(
        "api:action-list",
        _api_count(lambda batches, persona, bdt: len(_seen_fiches(batches, persona))),
        {"page_size": 100},
    ),
    "api funding lines": Page(
        "api:funding-line-list",
        _api_count(lambda batches, persona, bdt: len(_seen_lines(batches, persona, bdt))),
        {"page_size": 100},
    ),
    "api aggregates": Page("api:aggregates", _aggregates),
    "api committee meetings": Page(
        "api:committee-meeting-list",
        # A partner does not read the comités' meetings: its list stays empty whatever the batches.
        _api_count(lambda batches, persona, bdt: batches.meetings if persona == "coordinator" else 0),
        {"page_size": 100},
    ),
    "api organisations": Page(
        "api:organisation-list",
        _api_count(lambda batches, persona, bdt: Organisation.objects.count()),
        {"page_size": 100},
    ),
}

# The queries measured at both sizes when these tests were written, without headroom: a change that needs
# more raises the ceiling and says why. Every page counts the session, its user and the profile (3); every
# API call also the per-user throttle in the database cache (6: read, count, savepoint, read, write, release).
# Every numbered page also reads its ids before its rows (acv.pagination.IdFirstPaginator: 1 per list shown).
CEILINGS = {
    # + the funding per HT / TTC basis (its rows also give the lines of unknown amount), the funding per year and the
    # envelopes to watch (one query each); the names of the fiches' territories and axes read apart from their
    # counts, the number of fiches added up from the states' counts.
    ("coordinator", "dashboard"): 18,
    ("partner_bdt", "dashboard"): 17,
    # + the choices of the « issue de… » filter (the earlier fiches the viewer sees that another follows).
    ("coordinator", "fiche list"): 19,
    ("partner_bdt", "fiche list"): 19,
    ("coordinator", "fiche list by funding"): 19,
    ("partner_bdt", "fiche list by funding"): 19,
    ("coordinator", "fiche list of a funder"): 20,
    ("partner_bdt", "fiche list of a funder"): 20,
    # + the partner's own envelopes near or over their ceiling, and its lines per HT / TTC basis; + the fiches
    # it pilots or funds and its word on each (2); + the names of the axes its funding is grouped by, read apart.
    ("partner_bdt", "partner portal"): 21,
    # One more than a single pass: the years (one column each) are read first, so the rows stream in one go;
    # + the count of the lines, which decides between writing at once and a background job.
    ("coordinator", "funding export"): 9,
    ("partner_bdt", "funding export"): 10,
    # + each line's events (its life), one prefetch for the whole page; + the links between periods (origins,
    # continuations: 2).
    ("coordinator", "api actions"): 18,
    ("partner_bdt", "api actions"): 18,
    ("coordinator", "api funding lines"): 14,
    ("partner_bdt", "api funding lines"): 14,
    # + the funding per HT / TTC basis (and, for a partner, its own lines' bases); + the names of the funders,
    # territories, sous-axes and axes the funding is grouped by, read apart (up to 4: grouped on the names,
    # PostgreSQL sorted or hashed every summary row's texts), as are the names of the fiches' territories and axes;
    # the number of fiches is added up from the states' counts.
    ("coordinator", "api aggregates"): 28,
    ("partner_bdt", "api aggregates"): 31,
    ("coordinator", "api committee meetings"): 13,
    ("partner_bdt", "api committee meetings"): 9,
    ("coordinator", "api organisations"): 12,
    ("partner_bdt", "api organisations"): 12,
    # + the envelopes the fiche's lines count against, near or over their ceiling; + the result indicators'
    # history and the grid indicators they feed; + the plan's life (5): the documents that acted on it, its links,
    # its snapshots, the partners' word, the comité decisions (for a partner, the documents it signed instead of the
    # decisions it may not read); + the semesters frozen by a presented report and the corrections of the états
    # d'avancement (2); + for who may record an état d'avancement, the end of the programme's period (1).
    ("coordinator", "fiche page"): 35,
    ("partner_bdt", "fiche page"): 31,
}


def _normalised(sql):
    return re.sub(r"\b\d+\b|'[^']*'", "?", sql)


def _repeated(small, large):
    """The statements the larger batch ran more often: where an N+1 shows."""
    grown = Counter(_normalised(q["sql"]) for q in large.captured_queries)
    grown.subtract(Counter(_normalised(q["sql"]) for q in small.captured_queries))
    return "\n".join(f"+{times} × {sql[:600]}" for sql, times in grown.items() if times > 0)


def _measure(client, url, query):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, query)
    assert response.status_code == 200, url
    return response, queries


def _signed_in(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    return client


@pytest.mark.parametrize(("persona", "page"), [key for key in CEILINGS if key[1] != "fiche page"])
def test_list_queries_do_not_grow_with_rows(client, request, persona, page, bdt):
    client = _signed_in(client, request, persona)
    url, query = PAGES[page].request(bdt)
    shows = PAGES[page].shows
    # The partner's portal lists what changed since the last visit: after a first one, both batches are news.
    _measure(client, url, query)
    batches = Batches()
    _batch(batches, 1, SMALL, bdt=bdt)
    response, small = _measure(client, url, query)
    shows(response, batches, persona, bdt)
    _batch(batches, 2, LARGE, bdt=bdt)
    response, large = _measure(client, url, query)
    shows(response, batches, persona, bdt)
    assert len(large) == len(small), _repeated(small, large)
    assert len(large) <= CEILINGS[persona, page]


def _fiche(tag, size, *, bdt, users):
    """A fiche funded by the BDT, with `size` of everything a fiche page lists and a history of changes
    made by `size` people."""
    commune = OrganisationFactory(key=f"commune-{tag}", kind="commune")
    fiche = ActionFactory(code=f"Q{tag}.0", territory=commune, axes=[AxisFactory(number=f"{tag}1")])
    for n in range(size):
        funder = OrganisationFactory(key=f"financeur-{tag}-{n}", kind="region")
        operation = OperationFactory(action=fiche, name=f"Opération {tag}{n}")
        fiche.partners.add(funder)
        line = FundingLineFactory(action=fiche, funder=funder, status=STATUSES[n % 5], operation=operation)
        FundingLineYearFactory(funding_line=line, year=2020 + n)
        MilestoneFactory(action=fiche)
        indicator = ResultIndicatorFactory(action=fiche, label=f"Indicateur {tag}{n}", target_value=n, unit="places")
        # Each result indicator feeds a grid indicator of its own (the page names it).
        ResultIndicatorLink.objects.create(
            result_indicator=indicator, indicator=IndicatorFactory(name=f"Grille {tag}{n}")
        )
        QualityNoteFactory(action=fiche)
        ProgressUpdateFactory(action=fiche, year=2020 + n, author=users[n])
        # Changes by `size` people: the page's history names each of them.
        fiche._history_user = line._history_user = indicator._history_user = users[n]
        fiche.title = f"Intitulé {tag}{n}"
        fiche.save()
        line.amount += 1
        line.save()
        indicator.achieved_value = n
        indicator.save()
    FundingLineFactory(action=fiche, funder=bdt, status="granted")
    return fiche


@pytest.mark.parametrize("persona", ["coordinator", "partner_bdt"])
def test_fiche_page_queries_do_not_grow_with_lines_operations_or_history(client, request, persona, bdt):
    client = _signed_in(client, request, persona)
    few = _fiche("a", 1, bdt=bdt, users=[UserFactory(username="auteur-a0")])
    _, small = _measure(client, reverse("actions:action_detail", args=[few.pk]), {})
    many = _fiche("b", 8, bdt=bdt, users=[UserFactory(username=f"auteur-b{n}") for n in range(8)])
    response, large = _measure(client, reverse("actions:action_detail", args=[many.pk]), {})
    content = response.content.decode()
    assert all(f"Opération b{n}" in content for n in range(8))
    assert all(f"Grille b{n}" in content for n in range(8))
    assert len(large) == len(small), _repeated(small, large)
    assert len(large) <= CEILINGS[persona, "fiche page"]
