"""Every read model of the domain apps (cooperative.read_models) and their reconcilers, in one list: what
`manage.py reconcile_figures` runs, nightly and after `seed_scale`."""

from certifications.read_models import reconcile_current_certifications
from cooperative.read_models import Drift, Reconciler
from credit.read_models import reconcile_loan_balances
from members.read_models import reconcile_farm_eudr_status, reconcile_member_hectares

RECONCILERS: tuple[Reconciler, ...] = (
    reconcile_member_hectares,
    reconcile_farm_eudr_status,
    reconcile_current_certifications,
    reconcile_loan_balances,
)


def reconcile_all(*, fix: bool = False) -> list[Drift]:
    """Compare every read model with its source rows (and, with `fix`, repair the rows that differ): one Drift per
    read model, in RECONCILERS' order. Each reconciler runs in its own transaction."""
    return [reconcile(fix=fix) for reconcile in RECONCILERS]
