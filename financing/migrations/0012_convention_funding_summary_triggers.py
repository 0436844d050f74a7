"""The funding summary per convention, kept by the database like the summary per fiche (migration 0007): after a
write of funding lines recomputes its fiches' summary rows, the rows of their conventions are recomputed from the
summary per fiche; a change of a fiche's convention, territory, sous-axe or cost recomputes the rows of its old
and new convention. Then the table is filled from the summary already there.

Recomputed rather than adjusted by differences: SQLite adds decimal amounts as floating-point numbers, and
differences added up over years of writes would drift; a recomputation reads at most a few hundred summary rows
(the fiches of one convention), by index."""

from django.db import migrations

# The summary rows per convention of the conventions listed by `{conventions}`. `comparable` restates
# actions.managers.COMPARABLE_COST (a one-off cost, exact or estimated); tests/financing/test_summary.py checks the
# stored rows against the Python definition, which reads that constant.
RECOMPUTE = """
DELETE FROM financing_conventionfundingsummary WHERE convention_id IN ({conventions});
INSERT INTO financing_conventionfundingsummary
    (convention_id, territory_id, sub_axis_id, funder_id, status, basis, cost_basis, comparable,
     amount, lines, unknown_lines)
SELECT fiche.convention_id, fiche.territory_id, fiche.sub_axis_id, summary.funder_id, summary.status,
       summary.basis, fiche.cost_basis,
       (fiche.cost_kind IN ('exact', 'estimated') AND NOT fiche.cost_per_year),
       SUM(summary.amount), SUM(summary.lines), SUM(summary.unknown_lines)
FROM financing_fundingsummary summary JOIN actions_action fiche ON fiche.id = summary.action_id
WHERE fiche.convention_id IN ({conventions})
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
"""

# The fiche's columns the rows are grouped by.
FICHE_COLUMNS = ("convention_id", "territory_id", "sub_axis_id", "cost_basis", "cost_kind", "cost_per_year")

POSTGRESQL = f"""
CREATE OR REPLACE FUNCTION financing_convention_summary_refresh(conventions bigint[]) RETURNS void AS $$
BEGIN
    -- Transactions writing lines of different fiches of one convention recompute its rows one after the other,
    -- the second reading the first one's committed summary (as financing_summary_refresh does per fiche). The
    -- fiches are locked before their convention, in every path: no two writers wait for each other.
    PERFORM 1 FROM conventions_convention WHERE id = ANY(conventions) ORDER BY id FOR NO KEY UPDATE;
    {RECOMPUTE.format(conventions="SELECT unnest(conventions)")}
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION financing_summary_refresh(fiches bigint[]) RETURNS void AS $$
BEGIN
    PERFORM 1 FROM actions_action WHERE id = ANY(fiches) ORDER BY id FOR NO KEY UPDATE;
    DELETE FROM financing_fundingsummary WHERE action_id = ANY(fiches);
    INSERT INTO financing_fundingsummary (action_id, funder_id, status, basis, amount, lines, unknown_lines)
    SELECT action_id, funder_id, status, basis, COALESCE(SUM(amount), 0), COUNT(*), COUNT(*) - COUNT(amount)
    FROM financing_fundingline WHERE action_id = ANY(fiches)
    GROUP BY action_id, funder_id, status, basis;
    PERFORM financing_convention_summary_refresh(
        ARRAY(SELECT DISTINCT convention_id FROM actions_action WHERE id = ANY(fiches))
    );
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION financing_convention_summary_after_fiche_update() RETURNS trigger AS $$
BEGIN
    PERFORM financing_convention_summary_refresh(ARRAY(
        SELECT old_row.convention_id FROM old_rows old_row JOIN new_rows new_row ON new_row.id = old_row.id
        WHERE ({", ".join(f"old_row.{c}" for c in FICHE_COLUMNS)})
            IS DISTINCT FROM ({", ".join(f"new_row.{c}" for c in FICHE_COLUMNS)})
        UNION
        SELECT new_row.convention_id FROM old_rows old_row JOIN new_rows new_row ON new_row.id = old_row.id
        WHERE ({", ".join(f"old_row.{c}" for c in FICHE_COLUMNS)})
            IS DISTINCT FROM ({", ".join(f"new_row.{c}" for c in FICHE_COLUMNS)})
    ));
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER financing_convention_summary_after_fiche_update AFTER UPDATE ON actions_action
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION financing_convention_summary_after_fiche_update();
"""

# financing_summary_refresh as migration 0007 left it (the reverse of this migration).
POSTGRESQL_DROP = """
DROP TRIGGER IF EXISTS financing_convention_summary_after_fiche_update ON actions_action;
DROP FUNCTION IF EXISTS financing_convention_summary_after_fiche_update();
CREATE OR REPLACE FUNCTION financing_summary_refresh(fiches bigint[]) RETURNS void AS $$
BEGIN
    PERFORM 1 FROM actions_action WHERE id = ANY(fiches) ORDER BY id FOR NO KEY UPDATE;
    DELETE FROM financing_fundingsummary WHERE action_id = ANY(fiches);
    INSERT INTO financing_fundingsummary (action_id, funder_id, status, basis, amount, lines, unknown_lines)
    SELECT action_id, funder_id, status, basis, COALESCE(SUM(amount), 0), COUNT(*), COUNT(*) - COUNT(amount)
    FROM financing_fundingline WHERE action_id = ANY(fiches)
    GROUP BY action_id, funder_id, status, basis;
END
$$ LANGUAGE plpgsql;
DROP FUNCTION IF EXISTS financing_convention_summary_refresh(bigint[]);
"""


def _conventions_of(*fiche_ids):
    return "SELECT convention_id FROM actions_action WHERE id IN ({})".format(", ".join(fiche_ids))


# SQLite fires several triggers on one event in no documented order: each line trigger of migration 0007 gets the
# convention's recomputation after the fiche's, in its own body. Row-level, as there.
def _sqlite_line_trigger(event, fiche_ids, columns=""):
    name = f"financing_summary_after_{event.lower()}"
    fiche_summary = """
DELETE FROM financing_fundingsummary WHERE action_id IN ({fiches});
INSERT INTO financing_fundingsummary (action_id, funder_id, status, basis, amount, lines, unknown_lines)
SELECT action_id, funder_id, status, basis, COALESCE(SUM(amount), 0), COUNT(*), COUNT(*) - COUNT(amount)
FROM financing_fundingline WHERE action_id IN ({fiches})
GROUP BY action_id, funder_id, status, basis;
""".format(fiches=", ".join(fiche_ids))
    return (
        f"CREATE TRIGGER {name} AFTER {event}{columns} ON financing_fundingline BEGIN "
        + fiche_summary
        + RECOMPUTE.format(conventions=_conventions_of(*fiche_ids))
        + " END"
    )


LINE_COLUMNS = " OF action_id, funder_id, status, basis, amount"

SQLITE = [
    "DROP TRIGGER IF EXISTS financing_summary_after_insert",
    "DROP TRIGGER IF EXISTS financing_summary_after_delete",
    "DROP TRIGGER IF EXISTS financing_summary_after_update",
    _sqlite_line_trigger("INSERT", ["NEW.action_id"]),
    _sqlite_line_trigger("DELETE", ["OLD.action_id"]),
    _sqlite_line_trigger("UPDATE", ["OLD.action_id", "NEW.action_id"], LINE_COLUMNS),
    # A fiche saved rewrites every column: recompute only when one the rows are grouped by has changed.
    "CREATE TRIGGER financing_convention_summary_after_fiche_update AFTER UPDATE OF "
    + ", ".join(FICHE_COLUMNS)
    + " ON actions_action WHEN "
    + " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in FICHE_COLUMNS)
    + " BEGIN "
    + RECOMPUTE.format(conventions="OLD.convention_id, NEW.convention_id")
    + " END",
]

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS financing_convention_summary_after_fiche_update",
    "DROP TRIGGER IF EXISTS financing_summary_after_insert",
    "DROP TRIGGER IF EXISTS financing_summary_after_delete",
    "DROP TRIGGER IF EXISTS financing_summary_after_update",
]

FILL = RECOMPUTE.format(conventions="SELECT id FROM conventions_convention")


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL)
    elif vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement)
    else:
        raise NotImplementedError(f"Pas de déclencheur de synthèse des financements pour {vendor}.")
    for statement in FILL.strip().split(";"):
        if statement.strip():
            schema_editor.execute(statement)


def drop_triggers(apps, schema_editor):
    """Back to migration 0007's triggers: the summary per fiche alone."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_DROP)
        return
    from importlib import import_module

    previous = import_module("financing.migrations.0007_h17_funding_summary_triggers")
    for statement in SQLITE_DROP + previous.SQLITE:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("financing", "0011_convention_funding_summary"),
        ("actions", "0011_progress_update_annual_rhythm"),
    ]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
