"""Database triggers that mark a district's tally stale on every write to what it sums (see
portfolio.tallies): rows of the projects, their stored totals, funding lines, loans, drawings, repayments,
installments, plans, monthly reports and stage changes. In the database, so that no path of writing can
leave a tally unmarked: services, the admin, bulk writes and imports alike."""

from django.db import migrations

PROJECT = "{row}.district_id"
VIA_PROJECT = "(SELECT p.district_id FROM projects_project p WHERE p.id = {row}.project_id)"
VIA_LOAN = (
    "(SELECT p.district_id FROM financing_loan l JOIN projects_project p ON p.id = l.project_id"
    " WHERE l.id = {row}.loan_id)"
)
TABLES = {
    "projects_project": PROJECT,
    "financing_financingtotals": VIA_PROJECT,
    "financing_fundingline": VIA_PROJECT,
    "financing_loan": VIA_PROJECT,
    "financing_disbursement": VIA_LOAN,
    "financing_repayment": VIA_LOAN,
    "financing_installment": VIA_LOAN,
    "projects_investmentplan": VIA_PROJECT,
    "projects_progressreport": VIA_PROJECT,
    "projects_stagechange": VIA_PROJECT,
}
MARK = "INSERT INTO portfolio_tallymark (district)"


def _sqlite(table: str, district: str) -> list[str]:
    new, old = district.format(row="NEW"), district.format(row="OLD")
    return [
        f"CREATE TRIGGER tally_{table}_insert AFTER INSERT ON {table} BEGIN"
        f" {MARK} SELECT d FROM (SELECT {new} AS d) WHERE d IS NOT NULL; END",
        f"CREATE TRIGGER tally_{table}_delete AFTER DELETE ON {table} BEGIN"
        f" {MARK} SELECT d FROM (SELECT {old} AS d) WHERE d IS NOT NULL; END",
        f"CREATE TRIGGER tally_{table}_update AFTER UPDATE ON {table} BEGIN"
        f" {MARK} SELECT d FROM (SELECT {new} AS d) WHERE d IS NOT NULL;"
        f" {MARK} SELECT d FROM (SELECT {old} AS d, {new} AS n) WHERE d IS NOT NULL AND d IS NOT n; END",
    ]


def _postgresql(table: str, district: str) -> list[str]:
    new, old = district.format(row="NEW"), district.format(row="OLD")
    return [
        f"CREATE OR REPLACE FUNCTION tally_mark_{table}() RETURNS trigger LANGUAGE plpgsql AS $$"
        " DECLARE old_d text; new_d text; BEGIN"
        f" IF TG_OP <> 'INSERT' THEN old_d := {old}; END IF;"
        f" IF TG_OP <> 'DELETE' THEN new_d := {new}; END IF;"
        f" IF new_d IS NOT NULL THEN {MARK} VALUES (new_d); END IF;"
        f" IF old_d IS NOT NULL AND old_d IS DISTINCT FROM new_d THEN {MARK} VALUES (old_d); END IF;"
        " RETURN NULL; END $$",
        f"CREATE TRIGGER tally_mark AFTER INSERT OR UPDATE OR DELETE ON {table}"
        f" FOR EACH ROW EXECUTE FUNCTION tally_mark_{table}()",
    ]


def _drop(vendor: str, table: str) -> list[str]:
    if vendor == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS tally_mark ON {table}",
            f"DROP FUNCTION IF EXISTS tally_mark_{table}()",
        ]
    return [f"DROP TRIGGER IF EXISTS tally_{table}_{event}" for event in ("insert", "delete", "update")]


def _run(schema_editor, statements) -> None:
    with schema_editor.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    make = _postgresql if vendor == "postgresql" else _sqlite
    _run(schema_editor, [sql for table, district in TABLES.items() for sql in make(table, district)])


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    _run(schema_editor, [sql for table in TABLES for sql in _drop(vendor, table)])


class Migration(migrations.Migration):
    dependencies = [
        ("portfolio", "0006_district_tallies"),
        ("projects", "0006_project_district_code_index"),
        ("financing", "0010_entry_list_order"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
