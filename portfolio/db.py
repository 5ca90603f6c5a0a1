"""One multi-row INSERT for the batch paths whose speed is measured (the Excel import, the demo seed, the
stored schedules and search pairs).

Django's bulk_create compiles every value of every row into its statement; at thousands of rows that
compilation costs more than the database's work. insert_rows sends one parameterised statement with
executemany instead (on PostgreSQL, a COPY): values of plain fields (text, integers, booleans, foreign
keys), finite Decimals, dates and aware datetimes go as the fields' own preparation would send them, by
a shortcut, and every other value (JSON, strings for amounts, …) through that preparation, as
bulk_create would send it. insert_values takes tuples instead of instances. The rows' primary keys are
not read back.
"""

import contextlib
import datetime
import gc
from decimal import Decimal

from django.db import connections, models
from django.utils import timezone

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


def _send(field, connection):
    """How a value of `field` goes to the driver: a function of the value, the same as the field's own
    preparation (get_db_prep_save) for the values it takes, and that preparation for the others.

    The shortcuts are those of the values a batch holds by the thousand: a value of a plain field's type
    or None goes as it is, a finite Decimal as it is (what DecimalField sends, to_python being the identity
    on it), a date or an aware datetime through the backend's own adaptation (what DateField and
    DateTimeField end in)."""
    prepare = field.get_db_prep_save
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return lambda value: prepare(value, connection)
    plain = _plain_type(field)
    if plain is str:
        # A text choice (a str subclass) goes as it is too: CharField's preparation keeps it.
        return lambda value: value if value is None or isinstance(value, str) else prepare(value, connection)
    if plain is not None:
        return lambda value: value if value is None or type(value) is plain else prepare(value, connection)
    if isinstance(field, models.DecimalField):
        decimal = Decimal
        return lambda value: (
            value
            if value is None or (type(value) is decimal and value.is_finite())
            else prepare(value, connection)
        )
    if isinstance(field, models.DateTimeField):
        adapt, moment = connection.ops.adapt_datetimefield_value, datetime.datetime
        return lambda value: (
            adapt(value)
            if type(value) is moment and value.utcoffset() is not None
            else prepare(value, connection)
        )
    if isinstance(field, models.DateField):
        adapt, day = connection.ops.adapt_datefield_value, datetime.date
        return lambda value: adapt(value) if type(value) is day else prepare(value, connection)
    return lambda value: prepare(value, connection)


def insert_rows(model, objects, *, using: str = "default") -> None:
    """INSERT the new instances `objects` of `model`, in one statement run once per row."""
    fields = _column_fields(model)
    rows = []
    for instance in objects:
        # As bulk_create does: a foreign key set to an instance saved since takes that instance's id.
        instance._prepare_related_fields_for_save(operation_name="insert_rows")
        row = []
        for field in fields:
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                row.append(field.pre_save(instance, True))
            else:
                row.append(getattr(instance, field.attname))
        rows.append(row)
    _insert(model, fields, rows, using)


def insert_values(model, names: list[str], rows, *, using: str = "default") -> None:
    """INSERT rows of `model` given as tuples of the values of the fields `names` (attribute names: project_id
    for a foreign key), in that order, for the batches of hundreds of thousands of rows that building an
    instance each would slow (a third of the demo seed's time went into instances' __init__). Every other
    column takes what a new instance would hold: its field's default, computed for each row ("" for text,
    None otherwise, which a NOT NULL column refuses), the time of the row for auto_now fields."""
    fields = _column_fields(model)
    by_name = {field.attname: field for field in fields}
    unknown = set(names) - set(by_name)
    if unknown:
        raise TypeError(f"{model.__name__} has no columns {sorted(unknown)} that insert_values writes")
    others = [field for field in fields if field.attname not in names]
    order = [by_name[name] for name in names] + others
    defaults = [
        (lambda field=field: timezone.now()) if _dated_now(field) else field.get_default for field in others
    ]
    _insert(model, order, (list(row) + [default() for default in defaults] for row in rows), using)


def _dated_now(field) -> bool:
    return bool(getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False))


def _insert(model, fields: list, rows, using: str) -> None:
    connection = connections[using]
    send = [_send(field, connection) for field in fields]
    rows = [[to(value) for to, value in zip(send, row, strict=True)] for row in rows]
    if not rows:
        return
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: the rows stream to the server in one command (the database's own bulk path).
            with (
                connection.wrap_database_errors,
                cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", rows)
