"""One multi-row INSERT for the batch paths whose speed is measured (the Excel import).

Django's bulk_create compiles every value of every row into its statement; at thousands of rows that
compilation costs more than the database's work. insert_rows sends one parameterised statement with
executemany instead (on PostgreSQL, a COPY): values of plain fields (text, integers, booleans, foreign
keys) go as they are, and every other value (amounts, dates, times, JSON) through its field's own
preparation for the database, as bulk_create would send it. The rows' primary keys are not read back.
"""

from django.db import connections, models

PLAIN = (models.CharField, models.TextField, models.IntegerField, models.BooleanField, models.ForeignKey)
PLAIN_VALUES = (str, int, bool)


def _column_fields(model) -> list:
    """The fields an INSERT names: every concrete one but a primary key the database generates."""
    return [
        field
        for field in model._meta.concrete_fields
        if not (field.primary_key and isinstance(field, models.AutoField | models.BigAutoField))
    ]


def insert_rows(model, objects, *, using: str = "default") -> None:
    """INSERT the new instances `objects` of `model`, in one statement run once per row."""
    connection = connections[using]
    fields = _column_fields(model)
    plain = [
        isinstance(field, PLAIN)
        and not isinstance(field, models.JSONField)
        and not getattr(field, "auto_now", False)
        and not getattr(field, "auto_now_add", False)
        for field in fields
    ]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({columns}) VALUES ({placeholders})"
    rows = []
    for instance in objects:
        row = []
        for field, is_plain in zip(fields, plain, strict=True):
            value = getattr(instance, field.attname)
            if not (is_plain and (value is None or type(value) in PLAIN_VALUES)):
                value = field.get_db_prep_save(field.pre_save(instance, True), connection)
            row.append(value)
        rows.append(row)
    if not rows:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: the rows stream to the server in one command (the database's own bulk path).
            table = connection.ops.quote_name(model._meta.db_table)
            with (
                connection.wrap_database_errors,
                cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(sql, rows)
