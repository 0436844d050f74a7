"""RGAA as a test: every page of every role, and the states that matter, checked with axe-core in Chromium.

Zero WCAG 2.1 A/AA violation is required (the criteria the RGAA is built on); the déclaration d'accessibilité
(/accessibilite/) says so and lists what is left out: third-party pages, below. The same pages are then shown
320 px wide (what 400 % zoom gives on a laptop, RGAA 10.11): the page itself must never scroll sideways.

Every page the sweep opens is also held to the Content-Security-Policy: nothing it loads or runs may be refused
by the policy (the browser says so in its console); the pages the sweep leaves out, third-party ones included,
are opened for that alone.

The site is served once for the module, on the session's reference programme, by a server of our own rather
than pytest-django's `live_server` (which flushes the database after each test): the pages are only read here,
and loading the programme again for each role would cost more than all the checks.
"""

import os
import re
from types import SimpleNamespace

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from django.contrib.auth import get_user_model
from django.test import override_settings
from playwright.sync_api import expect, sync_playwright
from pytest_django.live_server_helper import LiveServer

from actions.models import Action
from conventions.management.commands.create_demo_accounts import DEMO_ACCOUNTS
from conventions.models import Amendment, Organisation, PriorityNeighbourhood, Programme, Signatory, UserProfile
from evaluation.models import Indicator, IndicatorValue, ResultIndicatorLink
from financing.models import FundingLine
from tests.browser.conftest import ARGS, CHROMIUM, PASSWORD, sign_in
from tests.conftest import MD5
from tests.factories import CommitteeMeetingFactory

# django_db: so that pytest-django sets the test database up; each test's own transaction holds only the
# sessions of its sign-ins, rolled back after it.
pytestmark = [pytest.mark.browser, pytest.mark.django_db]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Pages the application serves but does not write: not checked here, and named as such in the statement.
THIRD_PARTY = {
    "/api/v1/docs/": "Swagger UI",
    "/admin/": "Django",
}
# The longest sweeps first (tests/conftest.py starts the browser tests with them), the shortest last.
ROLES = ["coordinateur", "comite", "referent.bethune", "partenaire.bdt", "anonyme"]
# The axe rules left out on a page, each with the reason. Empty when everything passes.
KNOWN_EXCEPTIONS: dict[str, dict[str, str]] = {}

# Pages whose content is the same for everyone: checked once, by the first role that reaches them.
SAME_FOR_ALL = {"/accessibilite/", "/mot-de-passe/"}


@pytest.fixture(scope="module")
def site(reference_db, django_db_blocker):
    """The reference programme with the demo personae (one per role), for the whole module."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=[MD5]):
        users = get_user_model()
        created = {}
        staff = {"admin": {"is_staff": True, "is_superuser": True}}  # as create_demo_accounts: the admin's pages
        # The demo personae: one per role of ACV, the Contrat de Ville's coordinator and partner (the CAF), and the
        # direction, coordinator of both.
        for username, code, role, key, first_name, last_name in DEMO_ACCOUNTS:
            if username not in created:
                created[username] = users.objects.create_user(
                    username, password=PASSWORD, first_name=first_name, last_name=last_name, **staff.get(username, {})
                )
            organisation = Organisation.objects.get(key=key) if key else None
            UserProfile.objects.create(
                programme=Programme.objects.get(code=code), user=created[username], role=role, organisation=organisation
            )
        # A project of the Contrat de Ville the CAF funds (6,2 % of the 2019 programming).
        caf_project = Action.objects.get(convention__key="cdv-cabbalr", title="Manger Bouger !")
        caf_line = FundingLine.objects.create(
            action=caf_project, funder=Organisation.objects.get(key="caf"), amount=3000, status="granted"
        )
        fa42 = Action.objects.get(code="FA 42")  # Béthune's, funded by the Banque des Territoires
        meeting = CommitteeMeetingFactory(convention=fa42.convention, title="Comité de projet de juin")
        meeting.attending_organisations.set(Organisation.objects.filter(key__in=["cabbalr", "bdt"]))
        # A value on a QPV and a fiche indicator feeding the grid: the indicator page shows both, with their buttons.
        indicator = Indicator.objects.order_by("pk").first()
        qpv = PriorityNeighbourhood.objects.get(key="qpv-bethune-mont-liebaut")
        value = IndicatorValue.objects.create(indicator=indicator, neighbourhood=qpv, period="2025", value=12)
        link = ResultIndicatorLink.objects.create(result_indicator=fa42.result_indicators.first(), indicator=indicator)
        # The next avenant, in preparation, named to be signed by the Banque des Territoires.
        draft = Amendment.objects.create(
            key="avenant-3-a11y", convention=fa42.convention, number=3, title="Avenant n°3", status="draft"
        )
        Signatory.objects.create(
            convention=fa42.convention, amendment=draft, organisation=Organisation.objects.get(key="bdt"), role="funder"
        )
        try:
            yield SimpleNamespace(
                fa42=fa42.pk,
                fa54=Action.objects.get(code="FA 54").pk,
                delivered=Action.objects.get(code="AM.7").pk,
                bdt_line=FundingLine.objects.get(action=fa42, funder__key="bdt").pk,
                meeting=meeting.pk,
                indicator=indicator.pk,
                qpv=qpv.pk,
                value=value.pk,
                convention=fa42.convention_id,
                avenant=Amendment.objects.get(key="avenant-2").pk,
                draft=draft.pk,
                caf_project=caf_project.pk,
                cdv_project=Action.objects.filter(convention__key="cdv-cabbalr", funding_lines__isnull=False)
                .order_by("code")[0]
                .pk,
            )
        finally:
            caf_line.delete()
            link.delete()
            value.delete()
            draft.signatories.all().delete()
            draft.delete()
            meeting.delete()
            for user in created.values():
                user.delete()


@pytest.fixture
def served(site):
    """The site on a server started inside the test, so that it shares the test's own database connection
    (SQLite in memory): what the requests write (sessions, sign-in dates) is rolled back with the test."""
    server = LiveServer("localhost:0")
    site.url = server.url
    yield site
    server.stop()


@pytest.fixture(scope="module")
def chromium():
    """One browser for the module; each role gets its own context (cookies) in it."""
    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium système absent : installez le paquet chromium (scripts/system-deps.sh test)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def open_as(chromium, site, role, **context):
    context.setdefault("viewport", {"width": 1366, "height": 900})
    browser_context = chromium.new_context(locale="fr-FR", **context)
    # axe-core in every page of the context, as the browser's own script (not subject to the page's CSP).
    browser_context.add_init_script(script=AXE_SCRIPT)
    page = browser_context.new_page()
    # What the Content-Security-Policy refused, as the browser reports it in its console: read by csp_refusals.
    page.csp_refusals = []
    page.on("console", lambda message: _refused_by_csp(message.text) and page.csp_refusals.append(message.text))
    if role != "anonyme":
        sign_in(page, site.url, role)
    return page


def _refused_by_csp(text):
    return "Content Security Policy" in text or "Refused to" in text


def csp_refusals(page):
    """What the policy refused since the last call (the page loaded, axe has run on it)."""
    refused = list(page.csp_refusals)
    page.csp_refusals.clear()
    return refused


def pages_of(role, site):
    """What each role reaches besides its navigation: the objects it works on."""
    return {
        "anonyme": ["/connexion/", "/accessibilite/"],
        "coordinateur": [
            "/fiches/nouvelle/",
            f"/fiches/{site.fa54}/",
            f"/fiches/{site.fa54}/modifier/",
            f"/fiches/{site.delivered}/bilan/",
            f"/evaluation/indicateurs/{site.indicator}/",
            f"/evaluation/grille/?neighbourhood={site.qpv}",
            f"/evaluation/valeurs/{site.value}/supprimer/",
            "/comites/nouveau/",
            f"/comites/{site.meeting}/",
            f"/comites/{site.meeting}/decisions/",
            "/mot-de-passe/",
            f"/documents/conventions/{site.convention}/",
            f"/documents/avenants/{site.avenant}/",
            f"/documents/avenants/{site.draft}/",
            f"/documents/avenants/{site.draft}/modifier/",
            f"/documents/avenants/{site.draft}/signer/",
            "/documents/avenants/nouveau/",
            f"/fiches/{site.fa54}/versions/",
        ],
        "referent.bethune": [
            f"/fiches/{site.fa42}/",
            f"/fiches/{site.fa42}/modifier/",
            "/mot-de-passe/",
            f"/documents/avenants/{site.avenant}/",
        ],
        "partenaire.bdt": [
            f"/fiches/{site.fa42}/",
            f"/engagements/lignes/{site.bdt_line}/",
            f"/documents/avenants/{site.avenant}/",
            f"/documents/avenants/{site.draft}/",
            f"/fiches/{site.fa42}/versions/",
            f"/evaluation/indicateurs/{site.indicator}/",
        ],
        "comite": [
            f"/fiches/{site.fa54}/",
            f"/comites/{site.meeting}/",
            f"/documents/conventions/{site.convention}/",
            f"/fiches/{site.fa54}/versions/?date=2026-01-01",
            f"/evaluation/indicateurs/{site.indicator}/",
            "/traitements/",
        ],
    }[role]


def failed_fiche_save(page, site, pk):
    page.goto(f"{site.url}/fiches/{pk}/modifier/")
    page.get_by_label("Intitulé").fill("")
    page.get_by_label("Montant (€)", exact=True).first.fill("-5")
    page.get_by_role("button", name="Enregistrer la fiche").click()
    expect(page.locator("[data-error-summary]")).to_be_focused()
    expect(page.locator("[data-error-summary] a").first).to_have_attribute("href", "#id_title")


def open_progress_form(page, site, pk):
    page.goto(f"{site.url}/fiches/{pk}/")
    page.get_by_text("Saisir l'état d'avancement du semestre").click()
    expect(page.get_by_label("Réalisé ce semestre")).to_be_visible()


def failed_progress_save(page, site, pk):
    open_progress_form(page, site, pk)
    page.get_by_label("Avancement (%)").fill("250")
    page.get_by_role("button", name="Enregistrer l'état d'avancement").click()
    expect(page.locator("[data-error-summary]")).to_be_focused()


def failed_line_update(page, site):
    page.goto(f"{site.url}/engagements/lignes/{site.bdt_line}/")
    page.get_by_label("Montant", exact=True).first.fill("beaucoup")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.locator("[data-error-summary]")).to_be_focused()


def failed_link(page, site):
    page.goto(f"{site.url}/evaluation/indicateurs/{site.indicator}/")
    page.get_by_role("button", name="Relier à cet indicateur").click()
    expect(page.get_by_text("Choisissez l'indicateur de résultat d'une fiche.")).to_be_visible()


def failed_draft_save(page, site):
    page.goto(f"{site.url}/documents/avenants/{site.draft}/modifier/")
    page.get_by_label("Intitulé").fill("")
    page.get_by_role("button", name="Enregistrer l'avenant en préparation").click()
    expect(page.locator("[data-error-summary]")).to_be_focused()


def failed_login(page, site):
    page.goto(f"{site.url}/connexion/")
    page.get_by_label("Identifiant").fill("personne")
    page.get_by_label("Mot de passe").fill("pas-le-bon")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("alert")).to_be_visible()


def envelope_fiches(page, site):
    # From the Enveloppes page, the count of an envelope's fiches opens the list filtered on it, which names it.
    page.goto(f"{site.url}/enveloppes/")
    page.get_by_role("link", name=re.compile(r"^\d+ fiches? action$")).first.click()
    expect(page.get_by_text("compte dans l'enveloppe")).to_be_visible()


def report_asked(page, site):
    page.goto(f"{site.url}/rapports/")
    page.get_by_role("button", name="Produire le rapport semestriel (PDF)").click()
    expect(page.get_by_role("link", name="Télécharger rapport-semestriel")).to_be_visible()


def states_of(role, site):
    """The states a user meets that a plain visit does not show: (name, how to get there)."""
    return {
        "anonyme": [("connexion refusée", failed_login)],
        "coordinateur": [
            ("liste sans résultat", lambda page, site: page.goto(f"{site.url}/fiches/?q=aucune-fiche-ainsi")),
            ("liste des fiches d'une enveloppe", envelope_fiches),
            ("fiche refusée avec ses erreurs", lambda page, site: failed_fiche_save(page, site, site.fa54)),
            ("état d'avancement ouvert", lambda page, site: open_progress_form(page, site, site.fa54)),
            ("état d'avancement refusé", lambda page, site: failed_progress_save(page, site, site.fa54)),
            ("lien vers la grille refusé", failed_link),
            ("avenant en préparation refusé avec ses erreurs", failed_draft_save),
        ],
        "referent.bethune": [
            ("fiche refusée avec ses erreurs", lambda page, site: failed_fiche_save(page, site, site.fa42)),
        ],
        "partenaire.bdt": [("ligne refusée avec ses erreurs", failed_line_update)],
        "comite": [
            ("liste sans résultat", lambda page, site: page.goto(f"{site.url}/fiches/?q=aucune-fiche-ainsi")),
            ("rapport semestriel produit", report_asked),
        ],
    }[role]


def navigation(page):
    """Every page the role's menu and footer offer, so that a page added to the menu is checked too."""
    links = page.locator("nav.main-nav a, .site-footer a").evaluate_all("links => links.map(a => a.pathname)")
    return [link for link in links if link not in THIRD_PARTY]


def violations(page):
    exceptions = KNOWN_EXCEPTIONS.get(page.evaluate("location.pathname"), {})
    options = {"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]}
    if exceptions:
        options["rules"] = {rule: {"enabled": False} for rule in exceptions}
    return page.evaluate("options => axe.run(document, options)", options)["violations"]


def report(found):
    """Readable on failure: page, rule, impact, what to do, and each offending element."""
    lines = []
    for where, items in found.items():
        lines.append(f"\n== {where}")
        for violation in items:
            lines.append(f"  [{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})")
            for node in violation["nodes"][:5]:
                lines.append(f"      {' '.join(node['target'])}: {node['html'][:160]}")
                lines.append(f"        {node['failureSummary'].replace(chr(10), ' ')[:300]}")
    return "\n".join(lines)


@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_the_role_has_no_wcag_violation(served, chromium, role):
    site = served
    page = open_as(chromium, site, role)
    urls = navigation(page) if role != "anonyme" else []
    urls += [url for url in pages_of(role, site) if url not in urls]
    found, seen, refused = {}, [], {}
    for url in urls:
        seen.append(url)
        if url in SAME_FOR_ALL and role not in {"anonyme", "coordinateur"}:
            continue
        response = page.goto(site.url + url)
        assert response.status == 200, url
        if items := violations(page):
            found[url] = items
        if messages := csp_refusals(page):
            refused[url] = messages
    page.context.close()
    assert found == {}, report(found)
    assert refused == {}
    assert "/accessibilite/" in seen  # linked from every page's footer, signed in or not
    assert role == "anonyme" or {"/", "/fiches/"} <= set(seen)  # the menu was read


# Apart from the pages (one test each), so that the two halves of a role's sweep run on both workers.
@pytest.mark.parametrize("role", ROLES)
def test_every_state_of_the_role_has_no_wcag_violation(served, chromium, role):
    site = served
    page = open_as(chromium, site, role)
    found, refused = {}, {}
    for name, reach in states_of(role, site):
        reach(page, site)
        if items := violations(page):
            found[name] = items
        if messages := csp_refusals(page):
            refused[name] = messages
    page.context.close()
    assert found == {}, report(found)
    assert refused == {}


# Main pages, 320 px wide: the page never scrolls sideways; a wide table scrolls in its own named box.
REFLOW = {
    "coordinateur": [
        "/",
        "/fiches/",
        "{fa54}/",
        "{fa54}/modifier/",
        "{fa54}/versions/",
        "/comites/",
        "/enveloppes/",
        "/rapports/",
        "/documents/",
        "/documents/avenants/{avenant}/",
    ],
    "partenaire.bdt": ["/", "/engagements/", "/engagements/lignes/{bdt_line}/", "/accessibilite/"],
}


@pytest.mark.parametrize("role", list(REFLOW))
def test_main_pages_reflow_at_320_px_without_scrolling_sideways(served, chromium, role):
    site = served
    page = open_as(chromium, site, role, viewport={"width": 320, "height": 720})
    too_wide = {}
    for url in REFLOW[role]:
        url = url.replace("{fa54}", f"/fiches/{site.fa54}").replace("{bdt_line}", str(site.bdt_line))
        url = url.replace("{avenant}", str(site.avenant))
        page.goto(site.url + url)
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if width[0] > width[1]:
            too_wide[url] = width
        # A table wider than the screen is in a box that scrolls, that the keyboard reaches and that has a name.
        boxes = page.locator(".table-wrap").evaluate_all(
            "boxes => boxes.filter(box => box.scrollWidth > box.clientWidth)"
            ".map(box => [box.tabIndex, box.getAttribute('role'), box.getAttribute('aria-label') || ''])"
        )
        for tab_index, box_role, label in boxes:
            assert (tab_index, box_role) == (0, "region") and label, (url, label)
    page.context.close()
    assert too_wide == {}, too_wide


# The Contrat de Ville, as its own coordinator and its partner (the CAF) read it: the key pages, in its words.
CDV_PAGES = {
    "coordinateur.cdv": ["/cdv/", "/cdv/fiches/", "/cdv/fiches/{cdv_project}/"],
    "partenaire.caf": ["/cdv/", "/cdv/engagements/", "/cdv/fiches/{caf_project}/"],
}


@pytest.mark.parametrize("role", list(CDV_PAGES))
def test_the_contrat_de_ville_pages_have_no_wcag_violation(served, chromium, role):
    site = served
    page = open_as(chromium, site, role)
    found, refused = {}, {}
    for url in CDV_PAGES[role]:
        url = url.format(cdv_project=site.cdv_project, caf_project=site.caf_project)
        response = page.goto(site.url + url)
        assert response.status == 200, url
        # Its own words: the menu names the projects, the footer the Contrat de Ville (every ACV word is looked for
        # in tests/test_programme_settings.py).
        expect(page.locator("nav.main-nav")).to_contain_text("Projets" if role == "coordinateur.cdv" else "")
        expect(page.locator(".site-footer")).to_contain_text("pilotage du programme Contrat de Ville")
        if items := violations(page):
            found[url] = items
        if messages := csp_refusals(page):
            refused[url] = messages
    page.context.close()
    assert found == {}, report(found)
    assert refused == {}


def test_the_pages_the_sweep_leaves_out_keep_the_content_security_policy(served, chromium):
    """The third-party pages (the API's docs, the admin), the API as a browser shows it and a list sorted by a
    computed column."""
    site = served
    page = open_as(chromium, site, "admin")
    refused = {}
    for url in [
        "/api/v1/docs/",
        "/api/v1/actions/?code=FA+54",
        "/admin/",
        f"/admin/actions/action/{site.fa54}/change/",
        "/fiches/?territory=&status=unknown&sort=-cost",
    ]:
        response = page.goto(site.url + url)
        assert response.status == 200, url
        if url == "/api/v1/docs/":
            page.wait_for_load_state("networkidle")  # Swagger UI fetches the schema once loaded
        if messages := csp_refusals(page):
            refused[url] = messages
    page.context.close()
    assert refused == {}


def test_the_direction_switches_to_the_contrat_de_ville_and_opens_a_project(served, chromium):
    """A journey only a browser shows: the switcher in the layout takes the coordinator of both programmes from
    ACV to the Contrat de Ville (its URL, its words), where it opens a project."""
    site = served
    page = open_as(chromium, site, "direction")
    nav = page.locator("nav.main-nav")
    expect(nav.get_by_role("link", name="Fiches action")).to_be_visible()
    page.get_by_label("Programme", exact=True).select_option("cdv")
    page.get_by_role("button", name="Changer de programme").click()
    expect(page).to_have_url(f"{site.url}/cdv/")
    expect(page.get_by_role("heading", name="Coût des projets par pilier")).to_be_visible()
    nav.get_by_role("link", name="Projets", exact=True).click()
    expect(page).to_have_url(f"{site.url}/cdv/fiches/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Projets")
    expect(page.get_by_label("Pilier", exact=True)).to_be_visible()
    page.get_by_label("Recherche").fill("Manger Bouger")
    page.get_by_role("button", name="Filtrer").click()
    page.get_by_role("link", name="Manger Bouger !").click()
    expect(page).to_have_url(f"{site.url}/cdv/fiches/{site.caf_project}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Manger Bouger !")
    expect(page.get_by_role("link", name="Modifier le projet")).to_be_visible()
    expect(page.locator("#identite")).to_contain_text("Piliers")
    expect(page.locator("#identite")).not_to_contain_text("Sous-axe")
    page.context.close()
