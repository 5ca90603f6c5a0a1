"""One multi-row INSERT for the batch paths whose speed is measured (the Excel import).

Django's bulk_create compiles every value of every row into its statement; at thousands of rows that
compilation costs more than the database's work. insert_rows sends one parameterised statement with
executemany instead (on PostgreSQL, a COPY): values of plain fields (text, integers, booleans, foreign
keys) go as they are, and every other value (amounts, dates, times, JSON) through its field's own
preparation for the database, as bulk_create would send it. The rows' primary keys are not read back.
"""

import contextlib
import gc

from django.db import connections, models

# Fields whose values the drivers take as they are, with the one Python type each may then have.
PLAIN = (
    (models.CharField, str),
    (models.TextField, str),
    (models.BooleanField, bool),
    (models.IntegerField, int),
)


@contextlib.contextmanager
def cyclic_gc_paused():
    """Pause Python's cyclic garbage collector while a batch allocates hundreds of thousands of objects.

    Reference counting still frees every one of them; only cycles wait for the end. Without the pause, the
    collector's full passes, each over every object of the process, took 13% of a 5,000-row import
    (measured by bench_excel). The collector is global: a pause in another thread simply overlaps.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _column_fields(model) -> list:
    """The fields an INSERT names: every concrete one but a primary key the database generates."""
    if model._meta.parents or any(
        getattr(field, "generated", False) or field.db_default is not models.NOT_PROVIDED
        for field in model._meta.concrete_fields
    ):
        raise TypeError(f"insert_rows does not write {model.__name__}: use bulk_create")
    return [
        field
        for field in model._meta.concrete_fields
        if not (field.primary_key and isinstance(field, models.AutoField | models.BigAutoField))
    ]


def _plain_type(field):
    """The type of the values `field` sends as they are, or None when every value needs preparing."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return None
    if field.is_relation:
        field = field.target_field
    if isinstance(field, models.JSONField):
        return None
    for kind, python_type in PLAIN:
        if isinstance(field, kind):
            return python_type
    return None


def insert_rows(model, objects, *, using: str = "default") -> None:
    """INSERT the new instances `objects` of `model`, in one statement run once per row."""
    connection = connections[using]
    fields = _column_fields(model)
    plain = [_plain_type(field) for field in fields]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({columns}) VALUES ({placeholders})"
    rows = []
    for instance in objects:
        row = []
        for field, kind in zip(fields, plain, strict=True):
            value = getattr(instance, field.attname)
            if not (kind is not None and (value is None or type(value) is kind)):
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
