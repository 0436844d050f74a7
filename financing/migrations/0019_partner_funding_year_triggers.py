"""The yearly split each organisation sees as a partner (PartnerFundingYear), kept by the database. Its rows of a
convention are recomputed with the convention's yearly split (migration 0014) — a write of a line's years, a change
of a line's fiche, state or basis, of a fiche's convention, territory or cost basis —, and by triggers of their own
when who sees a fiche changes: a line inserted or deleted, a line's funder changed, a partner named on a fiche or
removed. A line's amount, which the years do not read, recomputes nothing here. Then the table is filled.

It reads the years, the lines, the fiches and their named partners, never another summary: the order in which the
triggers of one event run does not matter. The fiches are locked before their conventions, as on every other path.
Who sees a fiche as a partner restates actions.managers.ActionQuerySet._visible, as migration 0016 does;
tests/financing/test_summary.py checks the stored rows against their Python definition after every kind of write."""

from importlib import import_module

from django.db import migrations

summary_per_convention = import_module("financing.migrations.0012_convention_funding_summary_triggers")
yearly = import_module("financing.migrations.0014_convention_funding_year_triggers")

RECOMPUTE = """
DELETE FROM financing_partnerfundingyear WHERE convention_id IN ({conventions});
INSERT INTO financing_partnerfundingyear
    (partner_id, convention_id, territory_id, year, status, basis, cost_basis, amount)
SELECT seer.organisation_id, fiche.convention_id, fiche.territory_id, split.year, line.status, line.basis,
       fiche.cost_basis, COALESCE(SUM(split.amount), 0)
FROM financing_fundinglineyear split
JOIN financing_fundingline line ON line.id = split.funding_line_id
JOIN actions_action fiche ON fiche.id = line.action_id
JOIN (
    SELECT seen.action_id, seen.funder_id AS organisation_id
    FROM financing_fundingline seen JOIN actions_action of_line ON of_line.id = seen.action_id
    WHERE of_line.convention_id IN ({conventions})
    UNION
    SELECT named.action_id, named.organisation_id
    FROM actions_action_partners named JOIN actions_action of_named ON of_named.id = named.action_id
    WHERE of_named.convention_id IN ({conventions})
) seer ON seer.action_id = fiche.id
WHERE fiche.convention_id IN ({conventions}) AND line.status IN ('granted', 'paid')
GROUP BY 1, 2, 3, 4, 5, 6, 7;
"""

IN_FUNCTION = RECOMPUTE.format(conventions="SELECT unnest(conventions)")


def _years_refresh(extra):
    """financing_convention_years_refresh as migration 0014 wrote it, followed by `extra`."""
    return f"""
CREATE OR REPLACE FUNCTION financing_convention_years_refresh(fiches bigint[], conventions bigint[])
RETURNS void AS $$
BEGIN
    PERFORM 1 FROM actions_action WHERE id = ANY(fiches) ORDER BY id FOR NO KEY UPDATE;
    PERFORM 1 FROM conventions_convention WHERE id = ANY(conventions) ORDER BY id FOR NO KEY UPDATE;
    {yearly.RECOMPUTE.format(conventions="SELECT unnest(conventions)")}
    {extra}
END
$$ LANGUAGE plpgsql;
"""


POSTGRESQL = (
    _years_refresh(IN_FUNCTION)
    + f"""
CREATE OR REPLACE FUNCTION financing_partner_years_refresh(fiches bigint[]) RETURNS void AS $$
DECLARE
    conventions bigint[];
BEGIN
    PERFORM 1 FROM actions_action WHERE id = ANY(fiches) ORDER BY id FOR NO KEY UPDATE;
    conventions := ARRAY(SELECT DISTINCT convention_id FROM actions_action WHERE id = ANY(fiches));
    PERFORM 1 FROM conventions_convention WHERE id = ANY(conventions) ORDER BY id FOR NO KEY UPDATE;
    {IN_FUNCTION}
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION financing_partner_years_after_write() RETURNS trigger AS $$
BEGIN
    PERFORM financing_partner_years_refresh(ARRAY(SELECT DISTINCT action_id FROM changed_rows));
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION financing_partner_years_after_funder_change() RETURNS trigger AS $$
BEGIN
    PERFORM financing_partner_years_refresh(ARRAY[OLD.action_id, NEW.action_id]);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER financing_partner_years_after_line_insert AFTER INSERT ON financing_fundingline
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION financing_partner_years_after_write();
CREATE TRIGGER financing_partner_years_after_line_delete AFTER DELETE ON financing_fundingline
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION financing_partner_years_after_write();
CREATE TRIGGER financing_partner_years_after_funder_update AFTER UPDATE ON financing_fundingline
    FOR EACH ROW WHEN (OLD.funder_id IS DISTINCT FROM NEW.funder_id)
    EXECUTE FUNCTION financing_partner_years_after_funder_change();
CREATE TRIGGER financing_partner_years_after_partner_insert AFTER INSERT ON actions_action_partners
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION financing_partner_years_after_write();
CREATE TRIGGER financing_partner_years_after_partner_delete AFTER DELETE ON actions_action_partners
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION financing_partner_years_after_write();
"""
)
POSTGRESQL_REVERSE = (
    """
DROP TRIGGER IF EXISTS financing_partner_years_after_line_insert ON financing_fundingline;
DROP TRIGGER IF EXISTS financing_partner_years_after_line_delete ON financing_fundingline;
DROP TRIGGER IF EXISTS financing_partner_years_after_funder_update ON financing_fundingline;
DROP TRIGGER IF EXISTS financing_partner_years_after_partner_insert ON actions_action_partners;
DROP TRIGGER IF EXISTS financing_partner_years_after_partner_delete ON actions_action_partners;
DROP FUNCTION IF EXISTS financing_partner_years_after_write();
DROP FUNCTION IF EXISTS financing_partner_years_after_funder_change();
DROP FUNCTION IF EXISTS financing_partner_years_refresh(bigint[]);
"""
    + _years_refresh("")
)


def _appended(statement, conventions):
    """A SQLite trigger with this table's rows of `conventions` recomputed at the end of its body."""
    assert statement.endswith(" END")
    return statement[: -len(" END")] + RECOMPUTE.format(conventions=conventions) + " END"


# The yearly split's SQLite triggers (migration 0014), and the conventions each one's row leads to.
_YEARLY_CONVENTIONS = {
    "financing_years_after_insert": yearly._conventions_of_lines("NEW.funding_line_id"),
    "financing_years_after_delete": yearly._conventions_of_lines("OLD.funding_line_id"),
    "financing_years_after_update": yearly._conventions_of_lines("OLD.funding_line_id", "NEW.funding_line_id"),
    "financing_years_after_line_update": summary_per_convention._conventions_of("OLD.action_id", "NEW.action_id"),
    "financing_years_after_fiche_update": "OLD.convention_id, NEW.convention_id",
}


def _sqlite_trigger(name, event, table, conventions, when=""):
    return f"CREATE TRIGGER {name} AFTER {event} ON {table}{when} BEGIN {RECOMPUTE.format(conventions=conventions)} END"


# Row-level, SQLite having no statement-level triggers.
SQLITE_OWN = [
    _sqlite_trigger(
        "financing_partner_years_after_line_insert",
        "INSERT",
        "financing_fundingline",
        summary_per_convention._conventions_of("NEW.action_id"),
    ),
    _sqlite_trigger(
        "financing_partner_years_after_line_delete",
        "DELETE",
        "financing_fundingline",
        summary_per_convention._conventions_of("OLD.action_id"),
    ),
    _sqlite_trigger(
        "financing_partner_years_after_funder_update",
        "UPDATE OF funder_id",
        "financing_fundingline",
        summary_per_convention._conventions_of("OLD.action_id", "NEW.action_id"),
        " WHEN OLD.funder_id IS NOT NEW.funder_id",
    ),
    _sqlite_trigger(
        "financing_partner_years_after_partner_insert",
        "INSERT",
        "actions_action_partners",
        summary_per_convention._conventions_of("NEW.action_id"),
    ),
    _sqlite_trigger(
        "financing_partner_years_after_partner_delete",
        "DELETE",
        "actions_action_partners",
        summary_per_convention._conventions_of("OLD.action_id"),
    ),
]


FILL = RECOMPUTE.format(conventions="SELECT id FROM conventions_convention")


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL)
    elif vendor == "sqlite":
        for statement in yearly.SQLITE:
            name = statement.split()[2]
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
            schema_editor.execute(_appended(statement, _YEARLY_CONVENTIONS[name]))
        for statement in SQLITE_OWN:
            schema_editor.execute(statement)
    else:
        raise NotImplementedError(f"Pas de déclencheur d'échéancier des partenaires pour {vendor}.")
    for statement in FILL.strip().split(";"):
        if statement.strip():
            schema_editor.execute(statement)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_REVERSE)
        return
    for statement in SQLITE_OWN + yearly.SQLITE:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {statement.split()[2]}")
    for statement in yearly.SQLITE:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("financing", "0018_partner_funding_year")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
