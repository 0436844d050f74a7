"""The test databases: migrated once per engine, then copied for each test process.

A new database costs 16–20 s of migrations (117 of them, most of the time spent by Django re-rendering its model
state) and the reference programme 10–17 s more to load. `make test` runs three test processes per engine (two
workers and the schemathesis module), and each paid both. Now each engine has a *template*: a database migrated
once; and the reference programme's rows, loaded once into a scratch copy of SQLite's template, are kept in a file
that the test processes of both engines read (rows as Python data: the same whatever the engine). A test process
copies the template (PostgreSQL: `CREATE DATABASE … TEMPLATE`; SQLite: the backup API into its in-memory database),
and puts the rows back in bulk when a test first asks for them (`reference_rows.restore`, about a second).

The template is rebuilt when what it is built from changed: its fingerprint covers the apps' Python code
(migrations, models, the loader), fixtures/ and the locked library versions. `scripts/test.sh` builds both
engines' templates first, beside the static checks (`python -m tests.template_db`); a test process that finds no
template up to date builds it itself, under a lock the engine's other processes wait on.
"""

import fcntl
import hashlib
import os
import pickle
import shutil
import sqlite3
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "var" / "test-templates"
# What the template and the reference rows are made from.
SOURCES = ("acv", "accounts", "jobs", "conventions", "actions", "financing", "evaluation", "exchange")
EXTRA_SOURCES = ("fixtures", "requirements.lock", "tests/reference_rows.py", "tests/template_db.py")


def fingerprint():
    digest = hashlib.sha256()
    files = [path for source in SOURCES for path in (ROOT / source).rglob("*.py")]
    for extra in EXTRA_SOURCES:
        path = ROOT / extra
        files.extend(sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path])
    for path in sorted(files):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


class Template:
    """The template of one engine, named after the database the settings point at."""

    def __init__(self, connection):
        self.connection = connection
        self.vendor = connection.vendor
        self.fingerprint = fingerprint()
        if self.vendor == "postgresql":
            self.name = f"test_{connection.settings_dict['NAME']}_template"
            self.key = f"postgresql-{self.name}"
        elif self.vendor == "sqlite":
            self.key = "sqlite"
            self.path = FOLDER / f"sqlite-{self.fingerprint}.sqlite3"
        else:
            raise NotImplementedError(f"moteur non pris en charge par les tests : {self.vendor}")
        # The reference programme's rows are Python data, the same whatever the engine: loaded once, into a scratch
        # copy of the SQLite template, and kept for both engines (PostgreSQL's template is only migrated).
        self.rows_path = FOLDER / f"sqlite-{self.fingerprint}.rows.pickle"

    # -- Built once ------------------------------------------------------------------------------------------

    @contextmanager
    def _lock(self):
        FOLDER.mkdir(parents=True, exist_ok=True)
        with open(FOLDER / f"{self.key}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def ensure(self):
        """Build the template unless an up-to-date one is there."""
        with self._lock():
            if not self._is_current():
                self._build()
        if not self.rows_path.exists():
            # PostgreSQL's template is there, but the rows are made with SQLite's: built by another process now
            # (waited for, under its lock) or to be built.
            _this_module([], "")

    def _is_current(self):
        if self.vendor == "sqlite":
            return self.rows_path.exists() and self.path.exists()
        with self.connection._nodb_cursor() as cursor:
            cursor.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [self.name]
            )
            row = cursor.fetchone()
        return row is not None and row[0] == self.fingerprint

    def _build(self):
        for old in FOLDER.glob(f"{self.key}-*"):
            old.unlink()
        if self.vendor == "sqlite":
            building = self.path.with_suffix(".building")
            building.unlink(missing_ok=True)
            _manage(["migrate", "--noinput"], f"sqlite:///{building}")
            scratch = self.path.with_suffix(".scratch")
            shutil.copy(building, scratch)
            try:
                _snapshot_rows(f"sqlite:///{scratch}", self.rows_path)
            finally:
                scratch.unlink(missing_ok=True)
            building.rename(self.path)  # last: the file's presence says the template is whole
            return
        self._execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)', f'CREATE DATABASE "{self.name}"')
        _manage(["migrate", "--noinput"], self._url(self.name))
        # Last: the comment says the template is whole and what it was built from.
        self._execute(f"COMMENT ON DATABASE \"{self.name}\" IS '{self.fingerprint}'")

    def _execute(self, *statements):
        with self.connection._nodb_cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)

    def _url(self, database):
        """The URL of another database on the same server, for the commands run in a process of their own."""
        parts = urlsplit(os.environ["DATABASE_URL"])
        return urlunsplit(parts._replace(path=f"/{database}"))

    # -- Copied for each test process ------------------------------------------------------------------------

    def copy_to_test_database(self):
        """Point the connection at this process's own test database, a copy of the template; its former name."""
        from django.conf import settings

        creation = self.connection.creation
        old_name = self.connection.settings_dict["NAME"]
        test_name = creation._get_test_db_name()
        if self.vendor == "postgresql":
            self._execute(
                f'DROP DATABASE IF EXISTS "{test_name}" WITH (FORCE)',
                f'CREATE DATABASE "{test_name}" TEMPLATE "{self.name}"',
            )
        self.connection.close()
        settings.DATABASES[self.connection.alias]["NAME"] = test_name
        self.connection.settings_dict["NAME"] = test_name
        self.connection.ensure_connection()
        if self.vendor == "sqlite":
            # The test database is in memory (shared with the live server's threads): filled from the file.
            template = sqlite3.connect(self.path)
            try:
                template.backup(self.connection.connection)
            finally:
                template.close()
        return old_name

    def drop_test_database(self, old_name):
        """At the end of the process: PostgreSQL drops its copy, even if a live server's thread left a connection
        open to it (SQLite's copy goes with the process's memory)."""
        from django.conf import settings

        test_name = self.connection.settings_dict["NAME"]
        self.connection.close()
        if self.vendor == "postgresql":
            self._execute(f'DROP DATABASE IF EXISTS "{test_name}" WITH (FORCE)')
        settings.DATABASES[self.connection.alias]["NAME"] = old_name
        self.connection.settings_dict["NAME"] = old_name

    def reference_rows(self):
        with open(self.rows_path, "rb") as kept:
            return pickle.load(kept)


def _manage(arguments, database_url):
    environment = {**os.environ, "DATABASE_URL": database_url}
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *arguments, "-v", "0"], env=environment, check=True)


def _this_module(arguments, database_url, **options):
    """This module run on `database_url`, in a process of its own: with the settings a test process has."""
    environment = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "acv.settings"}
    subprocess.run(
        [sys.executable, "-m", "tests.template_db", *arguments], env=environment, check=True, cwd=ROOT, **options
    )


def _snapshot_rows(database_url, path):
    """Load the reference programme into the scratch database and keep its rows in `path`."""
    # What the loader added is not printed: the tests of the loader look at that.
    _this_module(["--rows", str(path)], database_url, stdout=subprocess.DEVNULL)


def _write_rows(path):
    from django.core.management import call_command

    from tests.reference_rows import snapshot

    call_command("load_reference_data", verbosity=0)
    building = Path(f"{path}.building")
    with open(building, "wb") as kept:
        pickle.dump(snapshot(), kept)
    building.rename(path)


if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "acv.settings")
    django.setup()
    if sys.argv[1:2] == ["--rows"]:
        _write_rows(sys.argv[2])
    else:
        from django.db import connection

        Template(connection).ensure()
