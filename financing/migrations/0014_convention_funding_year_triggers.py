"""The yearly split per convention (ConventionFundingYear), kept by the database: a write of a line's years, a change
of a line's fiche, state or basis, or of a fiche's convention, territory or cost basis recomputes the rows of the
conventions concerned, in the same statement. Then the table is filled from the years already there.

Its own triggers, apart from those of the funding summary (migrations 0007 and 0012): it reads the years, the
lines and the fiches, not the summary, so the order in which the triggers of one event run does not matter. As
there, the fiches are locked before their conventions, and a convention's rows are recomputed, not adjusted."""

from django.db import migrations

RECOMPUTE = """
DELETE FROM financing_conventionfundingyear WHERE convention_id IN ({conventions});
INSERT INTO financing_conventionfundingyear (convention_id, territory_id, year, status, basis, cost_basis, amount)
SELECT fiche.convention_id, fiche.territory_id, split.year, line.status, line.basis, fiche.cost_basis,
       COALESCE(SUM(split.amount), 0)
FROM financing_fundinglineyear split
JOIN financing_fundingline line ON line.id = split.funding_line_id
JOIN actions_action fiche ON fiche.id = line.action_id
WHERE fiche.convention_id IN ({conventions})
GROUP BY 1, 2, 3, 4, 5, 6;
"""

LINE_COLUMNS = ("action_id", "status", "basis")
FICHE_COLUMNS = ("convention_id", "territory_id", "cost_basis")


def _changed(columns):
    return "({}) IS DISTINCT FROM ({})".format(
        ", ".join(f"old_row.{c}" for c in columns), ", ".join(f"new_row.{c}" for c in columns)
    )


POSTGRESQL = f"""
CREATE OR REPLACE FUNCTION financing_convention_years_refresh(fiches bigint[], conventions bigint[])
RETURNS void AS $$
BEGIN
    PERFORM 1 FROM actions_action WHERE id = ANY(fiches) ORDER BY id FOR NO KEY UPDATE;
    PERFORM 1 FROM conventions_convention WHERE id = ANY(conventions) ORDER BY id FOR NO KEY UPDATE;
    {RECOMPUTE.format(conventions="SELECT unnest(conventions)")}
END
$$ LANGUAGE plpgsql;

-- Years written: the fiches of their lines, then those fiches' conventions.
CREATE OR REPLACE FUNCTION financing_years_of_lines_refresh(lines bigint[]) RETURNS void AS $$
DECLARE
    fiches bigint[] := ARRAY(SELECT DISTINCT action_id FROM financing_fundingline WHERE id = ANY(lines));
BEGIN
    PERFORM financing_convention_years_refresh(
        fiches, ARRAY(SELECT DISTINCT convention_id FROM actions_action WHERE id = ANY(fiches))
    );
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION financing_years_after_write() RETURNS trigger AS $$
BEGIN
    PERFORM financing_years_of_lines_refresh(ARRAY(SELECT funding_line_id FROM changed_rows));
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION financing_years_after_update() RETURNS trigger AS $$
BEGIN
    PERFORM financing_years_of_lines_refresh(ARRAY(
        SELECT funding_line_id FROM old_rows UNION SELECT funding_line_id FROM new_rows
    ));
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

-- A line moved to another fiche, or changing state or basis, moves its years.
CREATE OR REPLACE FUNCTION financing_years_after_line_update() RETURNS trigger AS $$
DECLARE
    fiches bigint[] := ARRAY(
        SELECT old_row.action_id FROM old_rows old_row JOIN new_rows new_row ON new_row.id = old_row.id
        WHERE {_changed(LINE_COLUMNS)}
        UNION
        SELECT new_row.action_id FROM old_rows old_row JOIN new_rows new_row ON new_row.id = old_row.id
        WHERE {_changed(LINE_COLUMNS)}
    );
BEGIN
    IF cardinality(fiches) > 0 THEN
        PERFORM financing_convention_years_refresh(
            fiches, ARRAY(SELECT DISTINCT convention_id FROM actions_action WHERE id = ANY(fiches))
        );
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

-- A fiche moved to another convention or territory, or changing its cost basis.
CREATE OR REPLACE FUNCTION financing_years_after_fiche_update() RETURNS trigger AS $$
DECLARE
    conventions bigint[] := ARRAY(
        SELECT old_row.convention_id FROM old_rows old_row JOIN new_rows new_row ON new_row.id = old_row.id
        WHERE {_changed(FICHE_COLUMNS)}
        UNION
        SELECT new_row.convention_id FROM old_rows old_row JOIN new_rows new_row ON new_row.id = old_row.id
        WHERE {_changed(FICHE_COLUMNS)}
    );
BEGIN
    IF cardinality(conventions) > 0 THEN
        PERFORM financing_convention_years_refresh(ARRAY[]::bigint[], conventions);
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER financing_years_after_insert AFTER INSERT ON financing_fundinglineyear
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION financing_years_after_write();
CREATE TRIGGER financing_years_after_delete AFTER DELETE ON financing_fundinglineyear
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION financing_years_after_write();
CREATE TRIGGER financing_years_after_update AFTER UPDATE ON financing_fundinglineyear
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION financing_years_after_update();
CREATE TRIGGER financing_years_after_line_update AFTER UPDATE ON financing_fundingline
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION financing_years_after_line_update();
CREATE TRIGGER financing_years_after_fiche_update AFTER UPDATE ON actions_action
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION financing_years_after_fiche_update();
"""

POSTGRESQL_DROP = """
DROP TRIGGER IF EXISTS financing_years_after_insert ON financing_fundinglineyear;
DROP TRIGGER IF EXISTS financing_years_after_delete ON financing_fundinglineyear;
DROP TRIGGER IF EXISTS financing_years_after_update ON financing_fundinglineyear;
DROP TRIGGER IF EXISTS financing_years_after_line_update ON financing_fundingline;
DROP TRIGGER IF EXISTS financing_years_after_fiche_update ON actions_action;
DROP FUNCTION IF EXISTS financing_years_after_write();
DROP FUNCTION IF EXISTS financing_years_after_update();
DROP FUNCTION IF EXISTS financing_years_after_line_update();
DROP FUNCTION IF EXISTS financing_years_after_fiche_update();
DROP FUNCTION IF EXISTS financing_years_of_lines_refresh(bigint[]);
DROP FUNCTION IF EXISTS financing_convention_years_refresh(bigint[], bigint[]);
"""


def _conventions_of_lines(*line_ids):
    return (
        "SELECT fiche.convention_id FROM financing_fundingline line JOIN actions_action fiche ON fiche.id = "
        "line.action_id WHERE line.id IN ({})".format(", ".join(line_ids))
    )


def _sqlite_trigger(name, event, table, conventions, when=""):
    return f"CREATE TRIGGER {name} AFTER {event} ON {table}{when} BEGIN {RECOMPUTE.format(conventions=conventions)} END"


def _sqlite_when(columns):
    return " WHEN " + " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)


# Row-level, SQLite having no statement-level triggers: a few hundred years of one convention, by index.
SQLITE = [
    _sqlite_trigger(
        "financing_years_after_insert", "INSERT", "financing_fundinglineyear", _conventions_of_lines("NEW.funding_line_id")
    ),
    _sqlite_trigger(
        "financing_years_after_delete", "DELETE", "financing_fundinglineyear", _conventions_of_lines("OLD.funding_line_id")
    ),
    _sqlite_trigger(
        "financing_years_after_update",
        "UPDATE OF funding_line_id, year, amount",
        "financing_fundinglineyear",
        _conventions_of_lines("OLD.funding_line_id", "NEW.funding_line_id"),
    ),
    _sqlite_trigger(
        "financing_years_after_line_update",
        "UPDATE OF " + ", ".join(LINE_COLUMNS),
        "financing_fundingline",
        "SELECT convention_id FROM actions_action WHERE id IN (OLD.action_id, NEW.action_id)",
        _sqlite_when(LINE_COLUMNS),
    ),
    _sqlite_trigger(
        "financing_years_after_fiche_update",
        "UPDATE OF " + ", ".join(FICHE_COLUMNS),
        "actions_action",
        "OLD.convention_id, NEW.convention_id",
        _sqlite_when(FICHE_COLUMNS),
    ),
]

SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {name}"
    for name in (
        "financing_years_after_insert",
        "financing_years_after_delete",
        "financing_years_after_update",
        "financing_years_after_line_update",
        "financing_years_after_fiche_update",
    )
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
        raise NotImplementedError(f"Pas de déclencheur d'échéancier par convention pour {vendor}.")
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
    dependencies = [("financing", "0013_convention_funding_year")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
