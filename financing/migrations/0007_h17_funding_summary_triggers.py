"""The funding summary kept by the database: a trigger on the funding lines recomputes the rows of every fiche
whose lines an INSERT, UPDATE or DELETE touched, in the same transaction; then the summary is filled from the
lines already there. One SQL text per engine (PostgreSQL: statement-level triggers with transition tables, so a
bulk load recomputes each fiche once; SQLite: row-level triggers)."""

from django.db import migrations

# Recompute the summary rows of the fiches listed by `{fiches}` (a subquery of action ids) from their lines.
RECOMPUTE = """
DELETE FROM financing_fundingsummary WHERE action_id IN ({fiches});
INSERT INTO financing_fundingsummary (action_id, funder_id, status, basis, amount, lines, unknown_lines)
SELECT action_id, funder_id, status, basis, COALESCE(SUM(amount), 0), COUNT(*), COUNT(*) - COUNT(amount)
FROM financing_fundingline WHERE action_id IN ({fiches})
GROUP BY action_id, funder_id, status, basis;
"""

POSTGRESQL = """
CREATE OR REPLACE FUNCTION financing_summary_refresh(fiches bigint[]) RETURNS void AS $$
BEGIN
    -- Two transactions writing lines of the same fiche recompute its rows one after the other: the second then
    -- reads the first one's committed lines (READ COMMITTED takes a new snapshot per statement). NO KEY UPDATE
    -- does not block the foreign-key checks of lines being inserted on the fiche.
    PERFORM 1 FROM actions_action WHERE id = ANY(fiches) ORDER BY id FOR NO KEY UPDATE;
    DELETE FROM financing_fundingsummary WHERE action_id = ANY(fiches);
    INSERT INTO financing_fundingsummary (action_id, funder_id, status, basis, amount, lines, unknown_lines)
    SELECT action_id, funder_id, status, basis, COALESCE(SUM(amount), 0), COUNT(*), COUNT(*) - COUNT(amount)
    FROM financing_fundingline WHERE action_id = ANY(fiches)
    GROUP BY action_id, funder_id, status, basis;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION financing_summary_after_insert() RETURNS trigger AS $$
BEGIN
    PERFORM financing_summary_refresh(ARRAY(SELECT DISTINCT action_id FROM changed_rows));
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION financing_summary_after_update() RETURNS trigger AS $$
BEGIN
    PERFORM financing_summary_refresh(ARRAY(
        SELECT action_id FROM old_rows UNION SELECT action_id FROM new_rows
    ));
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER financing_summary_after_insert AFTER INSERT ON financing_fundingline
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION financing_summary_after_insert();
CREATE TRIGGER financing_summary_after_delete AFTER DELETE ON financing_fundingline
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION financing_summary_after_insert();
CREATE TRIGGER financing_summary_after_update AFTER UPDATE ON financing_fundingline
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION financing_summary_after_update();
"""

POSTGRESQL_DROP = """
DROP TRIGGER IF EXISTS financing_summary_after_insert ON financing_fundingline;
DROP TRIGGER IF EXISTS financing_summary_after_delete ON financing_fundingline;
DROP TRIGGER IF EXISTS financing_summary_after_update ON financing_fundingline;
DROP FUNCTION IF EXISTS financing_summary_after_insert();
DROP FUNCTION IF EXISTS financing_summary_after_update();
DROP FUNCTION IF EXISTS financing_summary_refresh(bigint[]);
"""

# SQLite has no statement-level triggers: each row recomputes its fiche (a handful of lines, by index).
SQLITE = [
    "CREATE TRIGGER financing_summary_after_insert AFTER INSERT ON financing_fundingline BEGIN "
    + RECOMPUTE.format(fiches="NEW.action_id")
    + " END",
    "CREATE TRIGGER financing_summary_after_delete AFTER DELETE ON financing_fundingline BEGIN "
    + RECOMPUTE.format(fiches="OLD.action_id")
    + " END",
    "CREATE TRIGGER financing_summary_after_update "
    "AFTER UPDATE OF action_id, funder_id, status, basis, amount ON financing_fundingline BEGIN "
    + RECOMPUTE.format(fiches="OLD.action_id, NEW.action_id")
    + " END",
]

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS financing_summary_after_insert",
    "DROP TRIGGER IF EXISTS financing_summary_after_delete",
    "DROP TRIGGER IF EXISTS financing_summary_after_update",
]

FILL = RECOMPUTE.format(fiches="SELECT DISTINCT action_id FROM financing_fundingline")


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
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_DROP)
    else:
        for statement in SQLITE_DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("financing", "0006_h17_funding_summary")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
