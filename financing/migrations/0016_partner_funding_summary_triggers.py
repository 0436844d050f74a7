"""The settled funding each organisation sees as a partner (PartnerFundingSummary), kept with the summary per
convention (migration 0012): wherever a convention's summary rows are recomputed — a write of a line, a change of
a fiche —, its partners' rows are recomputed after them; naming a partner on a fiche, or removing it, recomputes
its convention's rows too. Then the table is filled.

Who sees a fiche as a partner restates actions.managers.ActionQuerySet._visible: the organisations that fund it
(a line of theirs, in any state) and those named its partners. tests/financing/test_summary.py checks the stored
rows against their Python definition after every kind of write, and a partner's figures from them against those
of the fiches Action.objects.visible_to gives it."""

from importlib import import_module

from django.db import migrations

summary_per_convention = import_module("financing.migrations.0012_convention_funding_summary_triggers")

RECOMPUTE = """
DELETE FROM financing_partnerfundingsummary WHERE convention_id IN ({conventions});
INSERT INTO financing_partnerfundingsummary
    (partner_id, convention_id, territory_id, sub_axis_id, funder_id, status, basis, cost_basis, comparable,
     amount, lines, unknown_lines)
SELECT seer.organisation_id, fiche.convention_id, fiche.territory_id, fiche.sub_axis_id, summary.funder_id,
       summary.status, summary.basis, fiche.cost_basis,
       (fiche.cost_kind IN ('exact', 'estimated') AND NOT fiche.cost_per_year),
       SUM(summary.amount), SUM(summary.lines), SUM(summary.unknown_lines)
FROM financing_fundingsummary summary
JOIN actions_action fiche ON fiche.id = summary.action_id
JOIN (
    -- Read from the convention's fiches on both sides: joined after the UNION, every line would be read.
    SELECT line.action_id, line.funder_id AS organisation_id
    FROM financing_fundingline line JOIN actions_action of_line ON of_line.id = line.action_id
    WHERE of_line.convention_id IN ({conventions})
    UNION
    SELECT named.action_id, named.organisation_id
    FROM actions_action_partners named JOIN actions_action of_named ON of_named.id = named.action_id
    WHERE of_named.convention_id IN ({conventions})
) seer ON seer.action_id = fiche.id
WHERE fiche.convention_id IN ({conventions}) AND summary.status IN ('granted', 'paid')
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9;
"""


def _refresh_function(extra):
    """financing_convention_summary_refresh as migration 0012 wrote it, followed by `extra`."""
    return f"""
CREATE OR REPLACE FUNCTION financing_convention_summary_refresh(conventions bigint[]) RETURNS void AS $$
BEGIN
    PERFORM 1 FROM conventions_convention WHERE id = ANY(conventions) ORDER BY id FOR NO KEY UPDATE;
    {summary_per_convention.RECOMPUTE.format(conventions="SELECT unnest(conventions)")}
    {extra}
END
$$ LANGUAGE plpgsql;
"""


POSTGRESQL = (
    _refresh_function(RECOMPUTE.format(conventions="SELECT unnest(conventions)"))
    + """
-- A partner named on a fiche or removed: the fiche first, then its convention, as every other path locks them.
CREATE OR REPLACE FUNCTION financing_partners_refresh(fiches bigint[]) RETURNS void AS $$
BEGIN
    PERFORM 1 FROM actions_action WHERE id = ANY(fiches) ORDER BY id FOR NO KEY UPDATE;
    PERFORM financing_convention_summary_refresh(
        ARRAY(SELECT DISTINCT convention_id FROM actions_action WHERE id = ANY(fiches))
    );
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION financing_partners_after_write() RETURNS trigger AS $$
BEGIN
    PERFORM financing_partners_refresh(ARRAY(SELECT DISTINCT action_id FROM changed_rows));
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER financing_partners_after_insert AFTER INSERT ON actions_action_partners
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION financing_partners_after_write();
CREATE TRIGGER financing_partners_after_delete AFTER DELETE ON actions_action_partners
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION financing_partners_after_write();
"""
)

POSTGRESQL_DROP = (
    """
DROP TRIGGER IF EXISTS financing_partners_after_insert ON actions_action_partners;
DROP TRIGGER IF EXISTS financing_partners_after_delete ON actions_action_partners;
DROP FUNCTION IF EXISTS financing_partners_after_write();
DROP FUNCTION IF EXISTS financing_partners_refresh(bigint[]);
"""
    + _refresh_function("")
)


def _with_partners(statement, conventions):
    """A SQLite trigger of migration 0012 with the partners' rows recomputed at the end of its body."""
    assert statement.endswith(" END")
    return statement[: -len(" END")] + RECOMPUTE.format(conventions=conventions) + " END"


_LINE_TRIGGERS = {  # name: the conventions its row leads to
    "financing_summary_after_insert": summary_per_convention._conventions_of("NEW.action_id"),
    "financing_summary_after_delete": summary_per_convention._conventions_of("OLD.action_id"),
    "financing_summary_after_update": summary_per_convention._conventions_of("OLD.action_id", "NEW.action_id"),
    "financing_convention_summary_after_fiche_update": "OLD.convention_id, NEW.convention_id",
}


def _sqlite_statements():
    """The triggers of migration 0012, recomputing the partners' rows too, and those on the named partners."""
    created = [s for s in summary_per_convention.SQLITE if s.startswith("CREATE TRIGGER")]
    statements = [f"DROP TRIGGER IF EXISTS {name}" for name in _LINE_TRIGGERS]
    for statement in created:
        name = statement.split()[2]
        statements.append(_with_partners(statement, _LINE_TRIGGERS[name]))
    for event, row in (("INSERT", "NEW"), ("DELETE", "OLD")):
        statements.append(
            f"CREATE TRIGGER financing_partners_after_{event.lower()} AFTER {event} ON actions_action_partners BEGIN "
            + RECOMPUTE.format(conventions=summary_per_convention._conventions_of(f"{row}.action_id"))
            + " END"
        )
    return statements


SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS financing_partners_after_insert",
    "DROP TRIGGER IF EXISTS financing_partners_after_delete",
]

FILL = RECOMPUTE.format(conventions="SELECT id FROM conventions_convention")


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL)
    elif vendor == "sqlite":
        for statement in _sqlite_statements():
            schema_editor.execute(statement)
    else:
        raise NotImplementedError(f"Pas de déclencheur de synthèse des partenaires pour {vendor}.")
    for statement in FILL.strip().split(";"):
        if statement.strip():
            schema_editor.execute(statement)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_DROP)
        return
    for statement in SQLITE_DROP + [f"DROP TRIGGER IF EXISTS {name}" for name in _LINE_TRIGGERS]:
        schema_editor.execute(statement)
    for statement in summary_per_convention.SQLITE:
        if statement.startswith("CREATE TRIGGER"):
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("financing", "0015_partner_funding_summary"),
        ("financing", "0014_convention_funding_year_triggers"),
    ]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
