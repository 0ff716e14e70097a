"""The run: members numbered after the highest S- code, generated and written chunk by chunk, each chunk in
one transaction (see the bench.seeding package docstring)."""

import datetime
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO

from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from tqdm import tqdm

from bench.seeding.generator import CODE_DIGITS, CODE_PREFIX, DNI_BASE, Generator
from bench.seeding.reference import load_context
from bench.seeding.tables import Table
from members.models import Member

MIN_MEMBERS, MAX_MEMBERS = 1, 1_000_000
CHUNK_MEMBERS = 5_000


@dataclass
class SeedReport:
    first_code: str
    last_code: str
    rows: dict[type[models.Model], int]
    seconds: float


def check_member_count(members: int) -> None:
    if not MIN_MEMBERS <= members <= MAX_MEMBERS:
        message = _("The number of members must be between %(low)s and %(high)s.")
        raise ValueError(message % {"low": MIN_MEMBERS, "high": f"{MAX_MEMBERS:,}"})


def _next_number() -> int:
    """One above the highest member number written by earlier runs (codes S-<8 digits>)."""
    top = Member.objects.filter(code__regex=rf"^{CODE_PREFIX}[0-9]{{{CODE_DIGITS}}}$").aggregate(top=Max("code"))["top"]
    return int(top.removeprefix(CODE_PREFIX)) + 1 if top else 1


def _taken_dnis(first: int, last: int) -> frozenset[str]:
    """DNIs in this run's range that members not made by seed_scale already hold (those members win)."""
    members = Member.objects.filter(dni__gte=f"{DNI_BASE + first:08d}", dni__lte=f"{DNI_BASE + last:08d}")
    members = members.exclude(code__regex=rf"^{CODE_PREFIX}[0-9]{{{CODE_DIGITS}}}$")
    return frozenset(members.values_list("dni", flat=True))


def _finish(tables: Sequence[Table]) -> None:
    """PostgreSQL: sequences past the highest id (ids were reserved from them, this is a safety net), and
    fresh planner statistics for the tables written."""
    if connection.vendor != "postgresql":
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in tables:
            meta = table.model._meta
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [meta.db_table, meta.pk.column])
            (sequence,) = cursor.fetchone()
            if sequence:
                cursor.execute(
                    f"SELECT setval(%s, top) FROM (SELECT MAX({quote(meta.pk.column)}) AS top "
                    f"FROM {quote(meta.db_table)}) AS highest WHERE top > (SELECT last_value FROM {sequence})",
                    [sequence],
                )
            cursor.execute(f"ANALYZE {quote(meta.db_table)}")


def seed_scale(
    *,
    members: int,
    seed: int = 1,
    as_of: datetime.date | None = None,
    progress: bool = True,
    progress_file: IO[str] | None = None,
    chunk_size: int = CHUNK_MEMBERS,
) -> SeedReport:
    """Add `members` members with everything they own (bench.seeding), numbered after the highest S- code.

    Deterministic for a given seed and first member number (and `as_of`, today by default). Creates the
    staff users, programs and credit products it needs on the first run. Writes one transaction per chunk
    of `chunk_size` members; a failure rolls back that chunk only. Raises ValueError for a count outside
    1-1,000,000 or missing reference data.
    """
    check_member_count(members)
    if seed < 0:
        raise ValueError(_("The seed cannot be negative."))
    started = time.monotonic()
    context = load_context(as_of or timezone.localdate())
    first = _next_number()
    last = first + members - 1
    if last >= 10**CODE_DIGITS or DNI_BASE + last > 99_999_999:
        raise ValueError(_("No member numbers left for %(count)s more members.") % {"count": members})
    generator = Generator(context, seed, _taken_dnis(first, last))
    with tqdm(total=members, unit="socios", file=progress_file, disable=not progress) as bar:
        for start in range(first, last + 1, chunk_size):
            stop = min(start + chunk_size, last + 1)
            for number in range(start, stop):
                generator.member(number)
            with transaction.atomic():
                for table in generator.tables.values():
                    table.flush()
                generator.refresh_chunk_eudr_status()
            bar.update(stop - start)
    _finish(list(generator.tables.values()))
    return SeedReport(
        first_code=f"{CODE_PREFIX}{first:0{CODE_DIGITS}d}",
        last_code=f"{CODE_PREFIX}{last:0{CODE_DIGITS}d}",
        rows={model: table.written for model, table in generator.tables.items()},
        seconds=time.monotonic() - started,
    )
