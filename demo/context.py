"""What every step of the demo shares: the reference data the migrations seed, the log and the report."""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from certifications.models import Standard
from cooperative.models import Region
from demo.constants import TWO_PLACES


@dataclass
class Report:
    """What a run created (name -> count) and the demo users' logins (role, username, password)."""

    created: dict[str, int] = field(default_factory=dict)
    logins: list[tuple[str, str, str]] = field(default_factory=list)

    def count(self, name: str, n: int = 1) -> None:
        if n:
            self.created[name] = self.created.get(name, 0) + n


@dataclass
class Demo:
    """Regions and standards by name and code (read once), the progress log, and the report being written."""

    log: Callable[[str], None]
    regions: dict[str, Region]
    standards: dict[str, Standard]
    report: Report = field(default_factory=Report)

    @classmethod
    def load(cls, log: Callable[[str], None]) -> "Demo":
        """Two queries: the regions and the standards."""
        return cls(
            log=log,
            regions={region.name: region for region in Region.objects.all()},
            standards={standard.code: standard for standard in Standard.objects.all()},
        )

    def standard_by_pk(self, pk: int) -> Standard:
        return next(standard for standard in self.standards.values() if standard.pk == pk)


def money(value: Decimal) -> Decimal:
    return value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
