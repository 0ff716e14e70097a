"""The generated rows of one chunk, table by table, and how they reach the database: COPY from an in-memory CSV
buffer on PostgreSQL, bulk_create elsewhere; and the primary keys handed out before the rows are written."""

import csv
import datetime
import io
import json
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from django.db import connection, models
from django.db.models import Max

ID_BLOCK = 20_000
SQLITE_BATCH = 500


@lru_cache(maxsize=4096)
def _json_of_tuple(value: tuple) -> str:
    return json.dumps(list(value))


def _json_text(value: Any) -> str | None:
    """A JSON column's text for COPY. Lists are generated as tuples, so the few distinct ones are cached."""
    if value is None:
        return None
    if isinstance(value, tuple):
        return _json_of_tuple(value)
    return json.dumps(value)


class Table:
    """A model's rows of the current chunk, then written with COPY (PostgreSQL) or bulk_create.

    `fields` are the attnames a generated row gives, in order; every other concrete field (the primary key
    excepted) gets its default, or `now` for auto_now/auto_now_add timestamps. JSON values may be tuples.
    """

    def __init__(self, model: type[models.Model], fields: Sequence[str], *, now: datetime.datetime) -> None:
        self.model = model
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        given = [by_attname[name] for name in fields]
        rest = [f for f in model._meta.concrete_fields if f.attname not in fields and not f.primary_key]
        self.tail = tuple(
            now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) else f.get_default() for f in rest
        )
        self.fields = given + rest
        self.json_positions = [i for i, f in enumerate(self.fields) if isinstance(f, models.JSONField)]
        self.written = 0
        self.rows: list[tuple] = []
        self.add: Callable[[tuple], None] = self.rows.append

    def flush(self) -> int:
        """Write the chunk's rows and forget them; return how many there were. Call inside a transaction."""
        rows, count = self.rows, len(self.rows)
        if count:
            if connection.vendor == "postgresql":
                self._copy(rows)
            else:
                self._bulk_create(rows)
        self.written += count
        rows.clear()
        return count

    def _full_rows(self, rows: list[tuple], json: Callable[[Any], Any]):
        tail, positions = self.tail, self.json_positions
        for row in rows:
            values = row + tail
            if positions:
                values = list(values)
                for position in positions:
                    values[position] = json(values[position])
            yield values

    def _copy(self, rows: list[tuple]) -> None:
        buffer = io.StringIO()
        # COPY's CSV reads an unquoted empty value as NULL, except in FORCE_NOT_NULL columns (the non-null ones).
        csv.writer(buffer, lineterminator="\n").writerows(self._full_rows(rows, _json_text))
        buffer.seek(0)
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in self.fields)
        not_null = ", ".join(quote(f.column) for f in self.fields if not f.null)
        options = "FORMAT csv" + (f", FORCE_NOT_NULL ({not_null})" if not_null else "")
        sql = f"COPY {quote(self.model._meta.db_table)} ({columns}) FROM STDIN WITH ({options})"
        with connection.cursor() as cursor:
            cursor.copy_expert(sql, buffer)

    def _bulk_create(self, rows: list[tuple]) -> None:
        names = [f.attname for f in self.fields]
        objects = [
            self.model(**dict(zip(names, values, strict=True)))
            for values in self._full_rows(rows, lambda value: list(value) if isinstance(value, tuple) else value)
        ]
        self.model.objects.bulk_create(objects, batch_size=SQLITE_BATCH)


class Ids:
    """Primary keys handed out before the rows are written. PostgreSQL: reserved from the table's sequence in
    blocks (nextval), so concurrent writers never collide. Elsewhere: counted on from the highest id."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self._ids = iter(())
        self._next: int | None = None

    def take(self) -> int:
        pk = next(self._ids, None)
        if pk is None:
            self._ids = iter(self._reserve(ID_BLOCK))
            pk = next(self._ids)
        return pk

    def _reserve(self, count: int) -> list[int] | range:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [self.model._meta.db_table, self.model._meta.pk.column, count],
                )
                return sorted(row[0] for row in cursor.fetchall())
        if self._next is None:
            self._next = (self.model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
        start, self._next = self._next, self._next + count
        return range(start, start + count)
