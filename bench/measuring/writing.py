"""The write made before every timed sample: the figures must be as fast right after a change as at any other
time, so each request is measured just after a real write to the rows the figures read.

`AfterWrite` sets one column of a member, one of its farms, loans, certifications and visits to its own value:
an UPDATE each, in one committed transaction, so PostgreSQL writes new row versions (and any cache or
version keyed on writes would be invalidated), yet every value, `updated_at` included, stays as it was. It
goes through QuerySet.update(), not a service or Model.save(): those write audit history rows
(django-simple-history), which would change the data the benchmark promises to leave alone.
"""

from collections.abc import Iterator
from dataclasses import dataclass

from django.db import models, transaction
from django.db.models import F

from certifications.models import Certification
from credit.models import Loan
from members.models import Farm, FarmVisit, Member


@dataclass(frozen=True)
class TouchedRow:
    """One row of the write: `model`'s row `pk`, its `column` set to itself."""

    model: type[models.Model]
    pk: int
    column: str

    def __str__(self) -> str:
        return f"{self.model._meta.label} {self.pk} ({self.column})"


# Each model's column the figures read: statuses count members, loans and certifications, hectares sum farms,
# purposes group visits.
COLUMNS: dict[type[models.Model], str] = {
    Member: "status",
    Farm: "hectares",
    Loan: "status",
    Certification: "status",
    FarmVisit: "purpose",
}


class AfterWrite:
    """The write before each sample (call it): the rows of `member` (or of the first member, when None) and
    of its first farm, loan, certification and visit, each model falling back to its first row when the
    member has none. Models without rows are left out. Cost: one UPDATE per row, in one transaction."""

    def __init__(self, member: Member | None) -> None:
        self.rows = list(_rows(member))

    def __call__(self) -> None:
        with transaction.atomic():
            for row in self.rows:
                row.model._base_manager.filter(pk=row.pk).update(**{row.column: F(row.column)})

    def describe(self) -> list[str]:
        return [str(row) for row in self.rows]


def _rows(member: Member | None) -> Iterator[TouchedRow]:
    member_pk = member.pk if member is not None else _first(Member.objects.all())
    if member_pk is None:
        return
    yield TouchedRow(Member, member_pk, COLUMNS[Member])
    owned = {
        Farm: Farm.objects.filter(member_id=member_pk),
        Loan: Loan.objects.filter(member_id=member_pk),
        Certification: Certification.objects.filter(farm__member_id=member_pk),
        FarmVisit: FarmVisit.objects.filter(farm__member_id=member_pk),
    }
    for model, queryset in owned.items():
        pk = _first(queryset)
        if pk is None:
            pk = _first(model._base_manager.all())
        if pk is not None:
            yield TouchedRow(model, pk, COLUMNS[model])


def _first(queryset: models.QuerySet) -> int | None:
    return queryset.order_by("pk").values_list("pk", flat=True).first()


def no_write() -> None:
    """For targets measured without a write (tests)."""
