"""Read models: derived state stored next to the rows it is derived from (a loan's balance, a farm's EUDR
status, the current certification of a farm under a standard), kept true by the services in the write's
transaction, so that figures are indexed aggregates over stored columns.

Writes that bypass the services (a DBA's UPDATE, a script, a COPY) leave a read model behind its source rows:
each domain app offers a reconciler that recomputes its read model from the source rows, reports the rows that
differ (`Drift`) and, asked to, repairs them. `manage.py reconcile_figures [--fix]` runs them all.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

EXAMPLES_SHOWN = 5


@dataclass(frozen=True)
class Drift:
    """What a reconciler found: `checked` rows compared, `differing` of them stored differently from what their
    source rows say (the first EXAMPLES_SHOWN described in `examples`), and whether they were `fixed`."""

    name: str
    checked: int
    differing: int
    examples: list[str] = field(default_factory=list)
    fixed: bool = False


Reconciler = Callable[..., Drift]  # called as reconcile(fix=bool)
