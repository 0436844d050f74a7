#!/usr/bin/env python
"""The benchmark of `make bench`: the main pages and endpoints on the national data set, as the coordinator and
as a partner, printed as one Markdown table.

    .venv/bin/python scripts/bench.py                 # everything, on DATABASE_URL (default: PostgreSQL acv_bench)
    .venv/bin/python scripts/bench.py --quick         # pages only: no load test, no PDF/XLSX
    DATABASE_URL=sqlite:////tmp/acv-bench.sqlite3 .venv/bin/python scripts/bench.py --territories 25

What it does, in order:
1. creates the PostgreSQL database if it is missing, migrates, loads the reference data and the demo accounts,
   and builds the national set (manage.py generate_scale_data) unless one of the size asked is already there;
2. each page and endpoint, in this process through Django's test client, as « coordinateur » and as
   « partenaire.bdt » (Banque des Territoires): SQL query count (one request under CaptureQueriesContext), then
   median and p95 (nearest rank: with 5 runs, the slowest) of --runs timed requests after one warm-up;
3. the 50-row API page against a hand-written SQL query returning the same rows (the page's fiches, their
   totals, funding lines and axes), the two timed alternately, and their ratio;
4. the semester report PDF (reference programme, one national territory) and the national XLSX export of the
   funding lines, each in a fresh process: time and peak resident memory;
5. gunicorn (2 workers, production settings) under locust (headless, --connections users that never wait) for
   --load-seconds each: the login page (the cheapest Django page there is: the machine's ceiling), the 50-row
   API page and the list of fiches, as the coordinator: throughput, p50 and p95.
"""

import argparse
import csv
import http.client
import io
import json
import math
import os
import platform
import resource
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/acv_bench"
COORDINATOR, PARTNER = "coordinateur", "partenaire.bdt"
API_PAGE = "/api/v1/actions/?page_size=50"
# The national set's conventions and organisations (acv/management/commands/generate_scale_data.py).
NATIONAL_PREFIX = "nat-"

# (label, url, personae): the pages and endpoints measured in process.
PAGES = [
    ("tableau de bord `/`", "/", (COORDINATOR, PARTNER)),
    ("`/fiches/` page 1", "/fiches/", (COORDINATOR, PARTNER)),
    ("`/fiches/` dernière page", "/fiches/?page=last", (COORDINATOR, PARTNER)),
    ("`/fiches/?q=gare`", "/fiches/?q=gare", (COORDINATOR, PARTNER)),
    ("`/engagements/` (portail partenaire)", "/engagements/", (PARTNER,)),
    ("`/enveloppes/`", "/enveloppes/", (COORDINATOR, PARTNER)),
    ("`/api/v1/actions/` 50 lignes, page 1", API_PAGE, (COORDINATOR, PARTNER)),
    # Page 100, or the last page of a smaller set.
    ("`/api/v1/actions/` 50 lignes, page {deep}", API_PAGE + "&page={deep}", (COORDINATOR, PARTNER)),
    ("`/api/v1/aggregates/`", "/api/v1/aggregates/", (COORDINATOR, PARTNER)),
    ("`/api/v1/funding-lines/` 50 lignes", "/api/v1/funding-lines/?page_size=50", (COORDINATOR, PARTNER)),
]


def configure_environment():
    """Before Django starts: the engine, the hosts the test client and gunicorn use, and a secret shared with the
    gunicorn workers so that the sessions opened here are valid there."""
    os.environ.setdefault("DEBUG", "1")
    os.environ["DATABASE_URL"] = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    os.environ.setdefault("ACV_VAR_DIR", str(ROOT / "var" / "bench"))
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(48))
    # The per-user API throttle (1 000 calls a minute) would answer 429 to the load test within seconds.
    os.environ["API_USER_RATE"] = "100000000/minute"
    Path(os.environ["ACV_VAR_DIR"]).mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "acv.settings")


def ensure_postgres_database(url):
    """CREATE DATABASE when the PostgreSQL database of `url` does not exist yet (nothing to do for SQLite)."""
    import dj_database_url
    import psycopg2

    config = dj_database_url.parse(url)
    if "postgresql" not in config["ENGINE"]:
        return
    connection = psycopg2.connect(
        dbname="postgres",
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
        host=config.get("HOST") or None,
        port=config.get("PORT") or None,
    )
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{config["NAME"]}"')
    connection.close()


def percentile(values, fraction):
    """Nearest-rank percentile: with 5 values, p95 is the largest."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def number(value, decimals=0):
    """French grouping of thousands: 1 234 567."""
    return f"{value:,.{decimals}f}".replace(",", "\u202f").replace(".", ",")


def ms(seconds):
    return f"{number(seconds * 1000)} ms"


# --- 1. the data ---------------------------------------------------------------------------------------------


def prepare_data(args):
    from django.core.management import call_command

    from actions.models import Action
    from conventions.models import Convention, Programme

    quiet = io.StringIO()
    call_command("migrate", verbosity=0, interactive=False)
    if (
        not Programme.objects.filter(code="acv").exists()
        or not Convention.objects.exclude(key__startswith=NATIONAL_PREFIX).exists()
    ):
        call_command("load_reference_data", stdout=quiet)
    call_command("create_demo_accounts", stdout=quiet)
    national = Convention.objects.filter(key__startswith=NATIONAL_PREFIX)
    fiches = Action.objects.filter(convention__in=national).count()
    wanted = args.territories * args.fiches_per_territory
    built = None
    if args.rebuild or national.count() != args.territories or fiches != wanted:
        started = time.monotonic()
        call_command(
            "generate_scale_data",
            territories=args.territories,
            fiches_per_territory=args.fiches_per_territory,
            lines_per_fiche=args.lines_per_fiche,
            seed=args.seed,
            reset=True,
            stdout=quiet,
        )
        built = time.monotonic() - started
    return built


def data_set_summary():
    from actions.models import Action, ProgressUpdate
    from conventions.models import Convention
    from financing.models import FundingLine, FundingLineYear, Payment

    return {
        "territoires nationaux": Convention.objects.filter(key__startswith=NATIONAL_PREFIX).count(),
        "fiches": Action.objects.count(),
        "lignes de financement": FundingLine.objects.count(),
        "échéances annuelles": FundingLineYear.objects.count(),
        "versements": Payment.objects.count(),
        "états d'avancement": ProgressUpdate.objects.count(),
    }


def clients():
    """A signed-in test client per persona, and the API page measured deep in the list (100, or the last)."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from actions.models import Action

    result, deep = {}, {}
    for username in (COORDINATOR, PARTNER):
        user = get_user_model().objects.get(username=username)
        client = Client()
        client.force_login(user)
        result[username] = client
        deep[username] = max(1, min(100, math.ceil(Action.objects.visible_to(user).count() / 50)))
    return result, deep


# --- 2. pages in process -----------------------------------------------------------------------------------


def measure_page(client, url, runs, slow):
    """Query count, then median and p95 of `runs` requests; a page whose warm-up took more than `slow` seconds
    is timed once only (the counted request), so that one pathological page does not hold the run for hours."""
    from django.db import connection

    started = time.perf_counter()
    client.get(url)  # warm-up: caches, prepared templates, first connection
    warm_up = time.perf_counter() - started
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    # Counted by a wrapper rather than CaptureQueriesContext: with DEBUG on, connection.queries_log keeps only
    # the last 9 000 queries, and once it is full a slice of it counts nothing.
    started = time.perf_counter()
    with connection.execute_wrapper(count):
        response = client.get(url)
    times = [time.perf_counter() - started] if warm_up > slow else []
    for _ in range(0 if warm_up > slow else runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
    return {
        "status": response.status_code,
        "queries": len(queries),
        "median": statistics.median(times),
        "p95": percentile(times, 0.95),
        "size": len(response.content),
        "runs": len(times),
    }


# --- 3. the API page against hand-written SQL ---------------------------------------------------------------


def raw_page_sql(partner_id=None):
    """The fiches of one 50-row page in the list's order, their funding totals, and (two more queries) their
    funding lines and axes: what the API page returns, as one would write it by hand."""
    from actions.models import Action
    from conventions.models import Convention, Organisation
    from financing.models import FundingLine

    action, convention = Action._meta.db_table, Convention._meta.db_table
    organisation, line = Organisation._meta.db_table, FundingLine._meta.db_table
    partners = Action.partners.through._meta.db_table
    # The fiches of the programme the API serves (the default one): the instance also holds the Contrat de Ville.
    where = "WHERE c.programme_id = %s"
    if partner_id is not None:
        where += (
            f" AND (a.id IN (SELECT action_id FROM {line} WHERE funder_id = %s) "
            f"OR a.id IN (SELECT action_id FROM {partners} WHERE organisation_id = %s))"
        )
    order = "c.signed_on, c.title, a.amendment_id NULLS FIRST, a.kind, LENGTH(a.code), a.code"
    own = "SUM(CASE WHEN l.funder_id = %s AND l.status <> 'refused' THEN l.amount END)" if partner_id else "NULL"
    page = f"""
        WITH page AS (
            SELECT a.id FROM {action} a JOIN {convention} c ON c.id = a.convention_id {where}
            ORDER BY {order} LIMIT %s OFFSET %s
        ), totals AS (
            SELECT l.action_id,
                SUM(CASE WHEN l.status IN ('granted', 'paid') THEN l.amount END) AS acquired,
                SUM(CASE WHEN l.status <> 'refused' THEN l.amount END) AS counted,
                SUM(CASE WHEN l.status = 'planned' THEN l.amount END) AS planned,
                SUM(CASE WHEN l.status = 'requested' THEN l.amount END) AS requested,
                SUM(CASE WHEN l.status = 'granted' THEN l.amount END) AS granted,
                SUM(CASE WHEN l.status = 'paid' THEN l.amount END) AS paid,
                {own} AS own
            FROM {line} l WHERE l.action_id IN (SELECT id FROM page) GROUP BY l.action_id
        )
        SELECT a.id, a.code, a.title, a.kind, a.project_type, a.status, a.cost_kind, a.cost_amount, a.cost_min,
            a.cost_max, a.cost_basis, a.start_on, a.start_precision, a.end_on, a.end_precision, a.version,
            a.updated_at, c.title, t.name, o.name, totals.*
        FROM page JOIN {action} a ON a.id = page.id JOIN {convention} c ON c.id = a.convention_id
            JOIN {organisation} t ON t.id = a.territory_id LEFT JOIN {organisation} o ON o.id = a.project_owner_id
            LEFT JOIN totals ON totals.action_id = a.id
        ORDER BY {order}
    """
    visible_lines = "AND (l.funder_id = %s OR l.status IN ('granted', 'paid'))" if partner_id else ""
    lines = f"""
        SELECT l.id, l.action_id, l.amount, l.status, l.basis, l.nature, f.name, l.decision_date
        FROM {line} l JOIN {organisation} f ON f.id = l.funder_id
        WHERE l.action_id IN ({{ids}}) {visible_lines} ORDER BY l.action_id, l.position, l.id
    """
    axes = f"SELECT action_id, axis_id FROM {Action.axes.through._meta.db_table} WHERE action_id IN ({{ids}})"
    return page, lines, axes


def run_raw_page(page_number, partner_id=None):
    from django.conf import settings
    from django.db import connection

    from conventions.models import Programme

    page, lines, axes = raw_page_sql(partner_id)
    offset = (page_number - 1) * 50
    programme_id = Programme.objects.get(code=settings.ACV_DEFAULT_PROGRAMME).pk
    # Parameters in textual order: the programme and the partner's filter, LIMIT and OFFSET, then the partner's
    # own total.
    params = (
        [programme_id, partner_id, partner_id, 50, offset, partner_id] if partner_id else [programme_id, 50, offset]
    )
    with connection.cursor() as cursor:
        cursor.execute(page, params)
        rows = cursor.fetchall()
        ids = [row[0] for row in rows]
        placeholders = ", ".join(["%s"] * len(ids)) or "NULL"
        cursor.execute(lines.format(ids=placeholders), [*ids, *([partner_id] if partner_id else [])])
        cursor.fetchall()
        cursor.execute(axes.format(ids=placeholders), ids)
        cursor.fetchall()
    return ids


def measure_against_sql(client, page_number, runs, partner_id=None):
    url = f"{API_PAGE}&page={page_number}"
    api_ids = [row["id"] for row in client.get(url).json()["results"]]
    raw_ids = run_raw_page(page_number, partner_id)
    api_times, sql_times = [], []
    for _ in range(runs):
        started = time.perf_counter()
        client.get(url)
        api_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        run_raw_page(page_number, partner_id)
        sql_times.append(time.perf_counter() - started)
    api, sql = statistics.median(api_times), statistics.median(sql_times)
    return {"api": api, "sql": sql, "ratio": api / sql, "same_rows": api_ids == raw_ids, "rows": len(api_ids)}


# --- 4. reports and exports, each in its own process ---------------------------------------------------------


def child(kind):
    """Run in a fresh process by the parent: one report or export, then its time and peak memory as JSON."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    from evaluation.reports import semester_report_pdf
    from evaluation.views import report_fiches
    from financing.exports import funding_lines_xlsx, selected_funding_lines

    if kind.startswith("workbook-"):
        print(json.dumps(workbook_child(kind)))
        return
    coordinator = get_user_model().objects.get(username=COORDINATOR)
    baseline = peak_resident_kib()
    started = time.perf_counter()
    if kind == "xlsx":
        # What the job of /engagements/export.xlsx writes (past ACV_EXPORT_MAX_SYNC_ROWS lines the page hands the
        # workbook to a background job): every line the coordinator sees.
        content = funding_lines_xlsx(selected_funding_lines(coordinator, ""), viewer=coordinator)
    else:
        fiches = report_fiches(coordinator)
        if kind == "pdf-reference":
            fiches = fiches.filter(~Q(convention__key__startswith=NATIONAL_PREFIX))
        else:
            fiches = fiches.filter(convention__key=f"{NATIONAL_PREFIX}0001")
        count = fiches.count()
        content = semester_report_pdf(fiches, year=2025, semester=2)
    elapsed = time.perf_counter() - started
    peak = peak_resident_kib()
    result = {"seconds": elapsed, "peak_mb": peak / 1024, "baseline_mb": baseline / 1024, "bytes": len(content)}
    if kind != "xlsx":
        result["fiches"] = count
    print(json.dumps(result))


WORKBOOK_FICHES = 5000


def workbook_child(kind):
    """The « fiches » workbook of WORKBOOK_FICHES national fiches (with their operations and funding lines):
    its export, or its import with every fiche's title changed — the analysis (the preview) and the writes (the
    confirmation, through the services, in one transaction rolled back at the end so the set stays as built)."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from openpyxl import load_workbook

    from actions.models import Action
    from exchange.analysis import analyse, apply_plan
    from exchange.exports import fiches_workbook_xlsx, with_list_measures

    coordinator = get_user_model().objects.get(username=COORDINATOR)
    ids = list(
        Action.objects.filter(convention__key__startswith=NATIONAL_PREFIX)
        .order_by("convention__key", "code")
        .values_list("pk", flat=True)[:WORKBOOK_FICHES]
    )
    fiches = (
        with_list_measures(Action.objects.visible_to(coordinator), coordinator)
        .filter(pk__in=ids)
        .order_by("code", "pk")
    )
    if kind == "workbook-export":
        baseline = peak_resident_kib()
        started = time.perf_counter()
        content = fiches_workbook_xlsx(coordinator, fiches, [("Export", "banc d'essai")])
        elapsed = time.perf_counter() - started
        return {
            "seconds": elapsed,
            "peak_mb": peak_resident_kib() / 1024,
            "baseline_mb": baseline / 1024,
            "bytes": len(content),
            "fiches": len(ids),
        }
    content = fiches_workbook_xlsx(coordinator, fiches, [("Export", "banc d'essai")])
    book = load_workbook(io.BytesIO(content))
    sheet = book["Fiches"]
    title = [cell.value for cell in sheet[1]].index("Intitulé") + 1
    for row in range(2, sheet.max_row + 1):
        sheet.cell(row=row, column=title).value = f"{sheet.cell(row=row, column=title).value} (modifiée)"
    buffer = io.BytesIO()
    book.save(buffer)
    content = buffer.getvalue()
    del book, sheet, buffer
    baseline = peak_resident_kib()
    started = time.perf_counter()
    analysis = analyse("fiches", content, coordinator)
    analysed = time.perf_counter() - started
    assert not analysis.problems, analysis.problems[:3]
    with transaction.atomic():
        started = time.perf_counter()
        apply_plan(analysis, coordinator)
        written = time.perf_counter() - started
        transaction.set_rollback(True)
    return {
        "seconds": analysed + written,
        "analysis": analysed,
        "writes": written,
        "peak_mb": peak_resident_kib() / 1024,
        "baseline_mb": baseline / 1024,
        "bytes": len(content),
        "fiches": len(ids),
        "updated": analysis.counts["updated"],
        "unchanged": analysis.counts["unchanged"],
    }


def peak_resident_kib():
    """This process's peak resident memory (VmHWM): unlike ru_maxrss, which Linux carries over from the parent
    across fork and exec, it counts this program only."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure_in_child(kind, timeout):
    try:
        done = subprocess.run(
            [sys.executable, __file__, "--child", kind],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=os.environ.copy(),
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"interrompu après {timeout} s"}
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["échec"])[-1][:200]}
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- 5. gunicorn under locust --------------------------------------------------------------------------------

LOCUSTFILE = """
import os

from locust import FastHttpUser, constant, task


class Visitor(FastHttpUser):
    wait_time = constant(0)

    @task
    def page(self):
        self.client.get(os.environ["BENCH_PATH"], headers={"Cookie": os.environ["BENCH_COOKIE"]}, name="page")
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_environment():
    env = os.environ.copy()
    env.update(
        {
            # Production settings (no query log, compressed static files), but plain HTTP on the loopback.
            "DEBUG": "0",
            "SECURE_SSL_REDIRECT": "0",
            "ACV_REQUIRE_OTP": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "LOG_LEVEL": "ERROR",
        }
    )
    return env


def get_status(port, path, cookie):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", path, headers={"Cookie": cookie})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status


def start_gunicorn(port):
    env = server_environment()
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "acv.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{port}", "--log-level", "error"],
        cwd=ROOT,
        env=env,
    )
    for _ in range(120):
        try:
            if get_status(port, "/connexion/", "") == 200:
                return server
        except OSError:
            pass
        time.sleep(0.5)
    server.terminate()
    raise RuntimeError("gunicorn n'a pas démarré")


def load_test(port, path, cookie, connections, seconds, workdir):
    """locust, headless, `connections` users with no wait: throughput, p50, p95 (locust's rounded buckets)."""
    status = get_status(port, path, cookie)
    if status != 200:
        return {"error": f"HTTP {status}"}
    locustfile = Path(workdir) / "locustfile.py"
    locustfile.write_text(LOCUSTFILE)
    prefix = Path(workdir) / f"run-{free_port()}"
    env = os.environ.copy()
    env.update({"BENCH_PATH": path, "BENCH_COOKIE": cookie})
    subprocess.run(
        [
            str(BIN / "locust"),
            "-f",
            str(locustfile),
            "--headless",
            "--users",
            str(connections),
            "--spawn-rate",
            str(connections),
            "--run-time",
            f"{seconds}s",
            "--host",
            f"http://127.0.0.1:{port}",
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "ERROR",
        ],
        env=env,
        capture_output=True,
        check=False,
    )
    with open(f"{prefix}_stats.csv", newline="") as stats:
        row = next(row for row in csv.DictReader(stats) if row["Name"] == "Aggregated")
    if not int(row["Request Count"]):
        return {"error": "aucune requête terminée"}
    return {
        "requests": int(row["Request Count"]),
        "failures": int(row["Failure Count"]),
        "rps": float(row["Requests/s"]),
        "p50": float(row["50%"]) / 1000,
        "p95": float(row["95%"]) / 1000,
    }


# --- the table ------------------------------------------------------------------------------------------------


def machine():
    memory = next(line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    return {
        "cpus": os.cpu_count(),
        "memory_gb": int(memory.split()[1]) / 1024 / 1024,
        "load": Path("/proc/loadavg").read_text().split()[:3],
        "python": platform.python_version(),
    }


def engine_name():
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="requêtes chronométrées par page (5 au moins)")
    parser.add_argument("--quick", action="store_true", help="pages seulement : ni test de charge, ni PDF/XLSX")
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--skip-pages", action="store_true", help="ni pages ni rapport API ÷ SQL")
    parser.add_argument("--skip-exports", action="store_true")
    parser.add_argument(
        "--workbooks-only", action="store_true", help="seulement l'export et l'import du classeur de 5 000 fiches"
    )
    parser.add_argument("--slow", type=int, default=30, help="au-delà (s), une page n'est mesurée qu'une fois")
    parser.add_argument("--load-seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--export-timeout", type=int, default=900)
    parser.add_argument("--territories", type=int, default=250)
    parser.add_argument("--fiches-per-territory", type=int, default=100)
    parser.add_argument("--lines-per-fiche", type=int, default=4)
    parser.add_argument("--seed", type=int, default=20260)
    parser.add_argument("--rebuild", action="store_true", help="reconstruit le jeu national même s'il est là")
    parser.add_argument("--output", help="écrit aussi le tableau dans ce fichier")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    configure_environment()
    if args.child:
        child(args.child)
        return
    ensure_postgres_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    load_before = machine()["load"]
    built = prepare_data(args)
    sizes = data_set_summary()
    personae, deep = clients()
    from conventions.models import Organisation

    partner_id = Organisation.objects.get(key="bdt").pk
    rows = []

    def row(measure, persona, queries="", median="", p95="", other=""):
        rows.append(f"| {measure} | {persona} | {queries} | {median} | {p95} | {other} |")

    if args.workbooks_only:
        args.skip_pages = args.skip_exports = args.skip_load = True
    for label_pattern, url_pattern, who in [] if args.skip_pages else PAGES:
        for username in who:
            label, url = label_pattern.format(deep=deep[username]), url_pattern.format(deep=deep[username])
            result = measure_page(personae[username], url, args.runs, args.slow)
            other = f"HTTP {result['status']}, {number(result['size'] / 1024)} Kio"
            if result["runs"] == 1:
                other += f", **une seule mesure** (plus de {args.slow} s)"
            row(label, username, result["queries"], ms(result["median"]), ms(result["p95"]), other)
            print(f"  {label} / {username}: {ms(result['median'])}", file=sys.stderr)

    ratios = () if args.skip_pages else ((1, COORDINATOR), (deep[COORDINATOR], COORDINATOR), (1, PARTNER))
    for page_number, username in ratios:
        result = measure_against_sql(
            personae[username], page_number, args.runs, partner_id if username == PARTNER else None
        )
        same = "mêmes lignes" if result["same_rows"] else "LIGNES DIFFÉRENTES"
        row(
            f"API 50 lignes page {page_number} ÷ SQL écrit à la main",
            username,
            "",
            f"{ms(result['api'])} / {ms(result['sql'])}",
            "",
            f"**{number(result['ratio'], 1)}×** ({result['rows']} lignes, {same})",
        )

    if not (args.quick or args.skip_exports):
        for kind, label in (
            ("pdf-reference", "rapport semestriel PDF, programme de référence"),
            ("pdf-territory", "rapport semestriel PDF, un territoire national"),
            ("xlsx", "export XLSX national des lignes de financement"),
        ):
            print(f"  {label}…", file=sys.stderr)
            result = measure_in_child(kind, args.export_timeout)
            if "error" in result:
                row(label, COORDINATOR, other=result["error"])
                continue
            fiches = f"{result['fiches']} fiches, " if "fiches" in result else ""
            row(
                label,
                COORDINATOR,
                "",
                ms(result["seconds"]),
                "",
                f"{fiches}pic mémoire {number(result['peak_mb'])} Mo (dont {number(result['baseline_mb'])} Mo au "
                f"démarrage), {number(result['bytes'] / 1024)} Kio",
            )

    for kind, label in (
        ("workbook-export", f"classeur « fiches » de {WORKBOOK_FICHES} fiches : export"),
        ("workbook-import", f"classeur « fiches » de {WORKBOOK_FICHES} fiches : import, chaque intitulé modifié"),
    ):
        if args.quick or (args.skip_exports and not args.workbooks_only):
            break
        print(f"  {label}…", file=sys.stderr)
        result = measure_in_child(kind, args.export_timeout)
        if "error" in result:
            row(label, COORDINATOR, other=result["error"])
            continue
        detail = ""
        if "analysis" in result:
            detail = (
                f"aperçu {ms(result['analysis'])}, écriture {ms(result['writes'])} "
                f"({result['updated']} modifiées, {result['unchanged']} inchangées), "
            )
        row(
            label,
            COORDINATOR,
            "",
            ms(result["seconds"]),
            "",
            f"{result['fiches']} fiches, {detail}pic mémoire {number(result['peak_mb'])} Mo (dont "
            f"{number(result['baseline_mb'])} Mo au démarrage), {number(result['bytes'] / 1024)} Kio",
        )

    if not (args.quick or args.skip_load):
        port = free_port()
        server = start_gunicorn(port)
        cookie = f"sessionid={personae[COORDINATOR].cookies['sessionid'].value}"
        try:
            with tempfile.TemporaryDirectory() as workdir:
                for label, path, session in (
                    ("charge : page de connexion (plafond de la machine)", "/connexion/", ""),
                    ("charge : API 50 lignes page 1", API_PAGE, cookie),
                    ("charge : `/fiches/` page 1", "/fiches/", cookie),
                ):
                    print(f"  {label}…", file=sys.stderr)
                    result = load_test(port, path, session, args.connections, args.load_seconds, workdir)
                    persona = "anonyme" if not session else COORDINATOR
                    if "error" in result:
                        row(label, persona, other=result["error"])
                        continue
                    row(
                        label,
                        persona,
                        "",
                        ms(result["p50"]),
                        ms(result["p95"]),
                        f"**{number(result['rps'], 1)} req/s**, {result['requests']} requêtes, "
                        f"{result['failures']} échecs",
                    )
        finally:
            server.terminate()
            server.wait(timeout=30)

    info = machine()
    header = [
        f"Moteur : {engine_name()} · Python {info['python']} · {info['cpus']} cœurs · "
        f"{info['memory_gb']:.0f} Go de mémoire · charge (/proc/loadavg 1/5/15 min) au début "
        f"{' '.join(load_before)}, à la fin {' '.join(info['load'])}",
        "Jeu de données : "
        + ", ".join(f"{count} {label}" for label, count in sizes.items())
        + (f" (construit en {built:.0f} s)" if built is not None else " (déjà construit)"),
        f"Médiane et p95 (rang le plus proche) de {args.runs} requêtes après une requête d'échauffement ; "
        f"charge : gunicorn 2 workers, locust {args.connections} utilisateurs sans attente, {args.load_seconds} s.",
        "",
        "| mesure | persona | requêtes SQL | médiane | p95 | autre |",
        "|---|---|---|---|---|---|",
        *rows,
    ]
    table = "\n".join(header)
    print(table)
    if args.output:
        Path(args.output).write_text(table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
