"""Search that ignores accents and case, the same on PostgreSQL and SQLite: "nunez" finds Núñez, "nique"
finds Ñique, "junin" finds Junín.

Both sides are folded the same way: the column in SQL with `UPPER(f_unaccent(column))`, the typed word in
Python with `fold()`. On PostgreSQL `f_unaccent` is an IMMUTABLE wrapper of the `unaccent` extension (created
by cooperative migration 0008), so a trigram index can be built on the very expression the search filters on
(members migration 0006); on SQLite it is a Python function registered on each new connection. Both strip
the marks Unicode decomposes (á é í ó ú ü ñ → a e i o u u n), which is what Spanish names need.
"""

import unicodedata
from typing import Any

from django.db.models import CharField, Func, Q
from django.db.models.lookups import Contains

SQL_FUNCTION = "f_unaccent"


def unaccent(text: str | None) -> str | None:
    """`text` without its combining marks (NFKD, marks dropped); None stays None."""
    if text is None:
        return None
    return "".join(char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char))


def fold(text: str) -> str:
    """What a typed word is compared as: without accents, in capitals (as UPPER(f_unaccent(column)))."""
    return unaccent(text).upper()


class Folded(Func):
    """UPPER(f_unaccent(column)): a text column without accents, in capitals."""

    template = f"UPPER({SQL_FUNCTION}(%(expressions)s))"
    output_field = CharField()


def folded_contains(*fields: str, word: str) -> Q:
    """Rows where one of `fields` contains `word`, ignoring accents and case (fields may follow relations,
    e.g. "member__last_names"). One LIKE per field; on PostgreSQL a trigram index on the folded column
    answers it."""
    needle = fold(word)
    condition = Q()
    for field in fields:
        condition |= Q(Contains(Folded(field), needle))
    return condition


def register_sqlite_function(sender: Any, connection: Any, **kwargs: Any) -> None:
    """connection_created receiver: give SQLite the f_unaccent PostgreSQL gets from its migration."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQL_FUNCTION, 1, unaccent, deterministic=True)
