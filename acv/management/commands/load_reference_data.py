from pathlib import Path

import yaml
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from actions.reference_data import (
    load_action_links,
    load_actions,
    load_balance,
    load_call_notes,
    load_document_fiches,
    money,
)
from conventions import reference_data as ref
from evaluation.reference_data import load_criteria, load_data_sources
from financing.reference_data import load_envelopes, load_programme_schemes, load_schemes

# libyaml's safe loader when PyYAML was built with it (its wheels are): the same documents, read ~7× faster — the
# reference data is loaded by every test process and every `make run`.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Sections in dependency order; each is read from every file before the next one.
SECTIONS = [
    ("programmes", ref.load_programmes),
    ("organisations", ref.load_organisations),
    ("axes", ref.load_axes),
    ("sub_axes", ref.load_sub_axes),
    ("objectives", ref.load_objectives),
    ("conventions", ref.load_conventions),
    ("amendments", ref.load_amendments),
    ("signatories", ref.load_signatories),
    ("articles", ref.load_articles),
    ("sectors", ref.load_sectors),
    ("priority_neighbourhoods", ref.load_priority_neighbourhoods),
    ("calls", ref.load_calls),
    ("call_quality_notes", load_call_notes),
    ("figures", lambda ctx, rows: ref.load_figures(ctx, rows, money)),
    ("schemes", lambda ctx, rows: load_schemes(ctx, rows, money)),
    ("programme_schemes", load_programme_schemes),
    ("envelopes", lambda ctx, rows: load_envelopes(ctx, rows, money)),
    ("data_sources", load_data_sources),
    ("criteria", load_criteria),
    ("actions", load_actions),
    # After the fiches: what the documents did to them (and each carried fiche frozen as signed), the links
    # between periods, the balance of the past period compared with the fiches.
    ("document_fiches", load_document_fiches),
    ("action_links", load_action_links),
    ("balance", load_balance),
]
NATURAL_KEYS = {"organisations": "key", "actions": "code", "schemes": "code", "data_sources": "key"}


def read_fixtures(directory):
    """{section: [(file name, rows)]} from every YAML file of the directory, in name order."""
    files = sorted(Path(directory).glob("*.yaml"))
    if not files:
        raise CommandError(f"Aucun fichier de données de référence dans {directory}.")
    sections = {}
    for path in files:
        content = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER) or {}
        unknown = set(content) - {name for name, _ in SECTIONS}
        if unknown:
            raise CommandError(f"{path.name} : sections inconnues {sorted(unknown)}.")
        for name, rows in content.items():
            sections.setdefault(name, []).append((path.name, rows or []))
    for name, key in NATURAL_KEYS.items():
        seen = {}
        for file_name, rows in sections.get(name, []):
            for row in rows:
                identity = (row.get("convention"), row.get(key))
                if identity in seen:
                    raise CommandError(f"{file_name} : « {row.get(key)} » est déjà défini dans {seen[identity]}.")
                seen[identity] = file_name
    return sections


class Command(BaseCommand):
    help = "Charge les données de référence du programme (dossier fixtures/). Sans effet si elles sont déjà là."

    def add_arguments(self, parser):
        parser.add_argument("--directory", default=str(settings.BASE_DIR / "fixtures"))
        parser.add_argument(
            "--update",
            action="store_true",
            help="Réécrit les lignes existantes qui diffèrent des fichiers (sinon elles sont laissées telles quelles).",
        )

    def handle(self, *args, directory, update, **options):
        sections = read_fixtures(directory)
        ctx = ref.LoadContext(update=update)
        try:
            with transaction.atomic():
                for name, loader in SECTIONS:
                    for file_name, rows in sections.get(name, []):
                        ctx.where = file_name
                        loader(ctx, rows)
        except ref.ReferenceDataError as error:
            raise CommandError(f"Rien n'a été chargé. {error}") from error
        if not ctx.created and not ctx.updated:
            self.stdout.write("Données de référence déjà à jour : rien à changer.")
        for bucket, label in (("created", "ajout(s)"), ("updated", "mise(s) à jour")):
            for model_name, count in sorted(getattr(ctx, bucket).items()):
                self.stdout.write(f"{model_name} : {count} {label}")
