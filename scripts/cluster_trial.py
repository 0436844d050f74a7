"""Several machines' worth of processes on one: two application servers and two task workers on one PostgreSQL,
loaded through both servers at once. It checks what running on several machines relies on — no error, no lost
write, work done by whichever worker, files served by either server — and prints what it measured.

    .venv/bin/python scripts/cluster_trial.py [--clients 8] [--writes 15] [--reports 4]

It builds its own database (`acv_cluster` on the local PostgreSQL, or CLUSTER_DATABASE_URL) and removes nothing
else. See docs/deployment.md.
"""

import argparse
import base64
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
DATABASE_URL = os.environ.get("CLUSTER_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/acv_cluster")
PORTS = (8201, 8202)
PASSWORD = "demo-acv-2026"


def environment(media):
    return {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "cluster-trial-only-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": DATABASE_URL,
        "ACV_REQUIRE_OTP": "0",
        "API_USER_RATE": "100000/minute",
        "ACV_VAR_DIR": str(media),
        "MEDIA_ROOT": str(media / "media"),
        # Plain HTTP on the loopback: no TLS proxy in front of the servers here.
        "SECURE_SSL_REDIRECT": "0",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "CONN_MAX_AGE": "60",
    }


def manage(env, *args):
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def prepare(env):
    """A fresh database with the reference programme and the demo accounts (created in DEBUG, as make run does)."""
    import psycopg2

    admin_url = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    name = DATABASE_URL.rsplit("/", 1)[1]
    connection = psycopg2.connect(admin_url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    manage(env, "migrate", "--noinput")
    manage(env, "load_reference_data")
    manage({**env, "DEBUG": "1"}, "create_demo_accounts")
    manage(env, "collectstatic", "--noinput")


def start(env):
    processes = []
    for port in PORTS:
        processes.append(
            subprocess.Popen(
                [GUNICORN, "acv.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--access-logfile", "-"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        )
    for number in (1, 2):
        processes.append(
            subprocess.Popen(
                [PYTHON, "manage.py", "db_worker", "--no-reload", "--interval", "0.5", f"--worker-id=trial-{number}"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
        )
    for port in PORTS:
        for _ in range(60):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/sante/", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        else:
            raise SystemExit(f"le serveur du port {port} ne répond pas")
    return processes


class Client:
    """Token-authenticated JSON calls to one server; every answer's status and time is recorded."""

    def __init__(self, port, token, record):
        self.base, self.token, self.record = f"http://127.0.0.1:{port}", token, record

    def call(self, method, path, body=None, headers=None):
        request = urllib.request.Request(
            path if path.startswith("http") else self.base + path,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Token {self.token}", "Content-Type": "application/json", **(headers or {})},
        )
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                status, payload, reply_headers = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            status, payload, reply_headers = error.code, error.read(), error.headers
        self.record(method, status, time.perf_counter() - started)
        return status, payload, reply_headers


def token_for(port, username):
    """The API's own way for a machine: its account's password (HTTP Basic) buys a token."""
    credentials = base64.b64encode(f"{username}:{PASSWORD}".encode()).decode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/auth/token/",
        method="POST",
        headers={"Authorization": f"Basic {credentials}"},
    )
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())["token"]


def trial(clients, writes, reports):
    results, lock = [], threading.Lock()

    def record(method, status, seconds):
        with lock:
            results.append((method, status, seconds))

    token = token_for(PORTS[0], "coordinateur")
    api = [Client(port, token, record) for port in PORTS]
    status, payload, _ = api[0].call("GET", "/api/v1/funding-lines/?page_size=1")
    line = json.loads(payload)["results"][0]
    line_url = f"/api/v1/funding-lines/{line['id']}/"
    api[0].call("PATCH", line_url, {"note": ""})
    appended, conflicts, jobs = [0], [0], []

    def client_work(number):
        for step in range(writes):
            server = api[(number + step) % 2]  # alternately through each server
            while True:
                status, payload, headers = server.call("GET", line_url)
                note = json.loads(payload)["note"]
                status, payload, _ = server.call("PATCH", line_url, {"note": note + "x"}, {"If-Match": headers["ETag"]})
                if status == 412:
                    with lock:
                        conflicts[0] += 1
                    continue  # someone wrote between the read and the write: read again, never overwrite
                if status == 200:
                    with lock:
                        appended[0] += 1
                break
            server.call("GET", "/api/v1/actions/?page_size=50")
        for report in range(reports if number < 2 else 0):
            server = api[(number + report) % 2]
            status, payload, _ = server.call("POST", "/api/v1/reports/semester/", {"year": 2026, "semester": 2})
            if status == 202:
                with lock:
                    jobs.append((number, json.loads(payload)["id"]))

    started = time.perf_counter()
    threads = [threading.Thread(target=client_work, args=(number,)) for number in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    load_seconds = time.perf_counter() - started

    # Each job was asked of one server: follow it through the other, and take its file there.
    deadline, done, files = time.monotonic() + 600, {}, 0
    while len(done) < len(jobs) and time.monotonic() < deadline:
        for number, job_id in jobs:
            if job_id in done:
                continue
            server = api[(number + 1) % 2]
            status, payload, _ = server.call("GET", f"/api/v1/jobs/{job_id}/")
            job = json.loads(payload)
            if job["finished"]:
                done[job_id] = job
                if job["file_url"]:
                    status, payload, _ = server.call("GET", job["file_url"])
                    files += status == 200 and payload.startswith(b"%PDF-")  # with the token, by the API
        time.sleep(1)
    reports_seconds = time.perf_counter() - started - load_seconds

    status, payload, _ = api[1].call("GET", line_url)
    final_note = json.loads(payload)["note"]
    errors = [row for row in results if row[1] >= 500 or row[1] not in (200, 201, 202, 412)]
    times = sorted(row[2] for row in results if row[0] in ("GET", "PATCH"))
    return {
        "requests": len(results),
        "errors": len(errors),
        "error_statuses": sorted({row[1] for row in errors}),
        "successful_writes": appended[0],
        "conflicts_refused_and_retried": conflicts[0],
        "note_length": len(final_note),
        "lost_writes": appended[0] - len(final_note),
        "load_seconds": round(load_seconds, 1),
        "p50_ms": round(statistics.median(times) * 1000),
        "p95_ms": round(times[int(len(times) * 0.95) - 1] * 1000),
        "reports_asked": len(jobs),
        "reports_done": sum(job["status"] == "done" for job in done.values()),
        "report_files_through_the_other_server": files,
        "reports_seconds": round(reports_seconds, 1),
        "workers_used": sorted(worker_ids()),
    }


def worker_ids():
    import psycopg2

    connection = psycopg2.connect(DATABASE_URL)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT jsonb_array_elements_text(worker_ids::jsonb) FROM django_tasks_database_dbtaskresult"
        )
        ids = [row[0] for row in cursor.fetchall()]
    connection.close()
    return ids


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--writes", type=int, default=15, help="écritures par client")
    parser.add_argument("--reports", type=int, default=3, help="rapports demandés par chacun des deux premiers clients")
    options = parser.parse_args()
    media = Path(tempfile.mkdtemp(prefix="acv-cluster-"))
    env = environment(media)
    prepare(env)
    processes = start(env)
    try:
        outcome = trial(options.clients, options.writes, options.reports)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(media, ignore_errors=True)
    outcome["load_average"] = Path("/proc/loadavg").read_text().split()[:3]
    print(json.dumps(outcome, indent=2, ensure_ascii=False))
    ok = outcome["errors"] == 0 and outcome["lost_writes"] == 0 and outcome["reports_done"] == outcome["reports_asked"]
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
