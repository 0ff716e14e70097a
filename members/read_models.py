"""The members app's read models (cooperative.read_models) and their reconcilers.

"Each farm's EUDR status" (`Farm.eudr_status`): the rule is members.eudr.status.eudr_status_expression (the
geolocation, the hectares, the farm's status, its overlaps with active farms, its declaration); the services
that write those rows store it with refresh_eudr_status in their own transaction. Writes that bypass them (raw
SQL, a COPY, a restore) are found and repaired by reconcile_farm_eudr_status.

"Each member's active hectares" (`Member.active_hectares`): the sum of the hectares of the member's active
farms (active_hectares_expression, the rule of members.selectors.with_farm_totals); every write that changes a
farm's hectares, status or member stores it with refresh_active_hectares in its own transaction;
reconcile_member_hectares finds and repairs the members a write around them left behind.
"""

from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.db.models import DecimalField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Round
from django.utils.translation import gettext as _

from cooperative.read_models import EXAMPLES_SHOWN, Drift
from members.eudr.status import eudr_status_expression
from members.models import Farm, Member


def _farms_differing():
    """Farms whose stored EUDR status is not what their rows say (lazy)."""
    return Farm.objects.filter(~Q(eudr_status=eudr_status_expression()))


def reconcile_farm_eudr_status(*, fix: bool = False) -> Drift:
    """Compare every farm's stored `eudr_status` with the rule over its rows; with `fix`, store the rule's value
    on the differing farms (and only those), in one transaction.

    E.g. "Parcela 1 (BA-00012): stored “ready”, by its rows “missing_geometry”" for the first EXAMPLES_SHOWN
    differing farms. Queries: a count, the differing count (one pass of the rule over the table, under a second
    at 315,000 farms), the examples, and with `fix` one UPDATE of the differing rows.
    """
    with transaction.atomic():
        checked = Farm.objects.count()
        differing = _farms_differing().count()
        examples = []
        if differing:
            shown = (
                _farms_differing()
                .annotate(computed_eudr_status=eudr_status_expression())
                .select_related("member")
                .order_by("pk")[:EXAMPLES_SHOWN]
            )
            examples = [
                _("%(farm)s: stored “%(stored)s”, by its rows “%(computed)s”")
                % {"farm": farm, "stored": farm.eudr_status, "computed": farm.computed_eudr_status}
                for farm in shown
            ]
            if fix:
                _farms_differing().update(eudr_status=eudr_status_expression())
    return Drift(
        name=_("Farms' EUDR status"),
        checked=checked,
        differing=differing,
        examples=examples,
        fixed=fix and bool(differing),
    )


# -- Member.active_hectares ------------------------------------------------------------------------------------

FIX_BATCH = 5000


def active_hectares_expression() -> Coalesce:
    """The sum of the hectares of the active farms of the member OuterRef("pk"), 0 without any: the rule of
    members.selectors.with_farm_totals' `total_hectares`. A correlated subquery on the farms' member index."""
    total = (
        Farm.objects.filter(member=OuterRef("pk"), status=Farm.Status.ACTIVE)
        .order_by()
        .values("member")
        .annotate(total=Sum("hectares"))
        .values("total")
    )
    hectares = DecimalField(max_digits=12, decimal_places=2)
    return Coalesce(Subquery(total, output_field=hectares), Value(Decimal("0")), output_field=hectares)


def refresh_active_hectares(member_ids: Iterable[int]) -> int:
    """Store `Member.active_hectares` of the members `member_ids` from their farms as they are now. Call it in
    the transaction of every write that changes a farm's hectares, status or member (both members of a
    transfer), after the write. One UPDATE (none for no ids); returns the rows updated."""
    ids = sorted(set(member_ids))
    if not ids:
        return 0
    return Member.objects.filter(pk__in=ids).update(active_hectares=active_hectares_expression())


def reconcile_member_hectares(*, fix: bool = False) -> Drift:
    """Compare every member's stored active hectares with the sum of their active farms' hectares; with `fix`,
    store the sum in the members that differ (and only those), in one transaction.

    E.g. "Member BA-00012: 3.50 ha stored, 4.00 according to their farms" for the first EXAMPLES_SHOWN
    differing members. Queries: a count, the differing members (the farm sum per member, a correlated
    subquery on the farms' member index: about a second at 225,000 members on PostgreSQL), and with `fix` one
    UPDATE per FIX_BATCH differing members. Both sides are compared at 2 places (SQLite sums decimals as
    floats).
    """
    with transaction.atomic():
        checked = Member.objects.count()
        differing = (
            Member.objects.annotate(computed=active_hectares_expression(), stored=Round(F("active_hectares"), 2))
            .exclude(stored=Round(F("computed"), 2))
            .order_by("code")
        )
        rows = list(differing.values_list("pk", "code", "active_hectares", "computed"))
        examples = [
            _("Member %(code)s: %(stored)s ha stored, %(computed)s according to their farms")
            % {"code": code, "stored": _two_places(stored), "computed": _two_places(computed)}
            for _pk, code, stored, computed in rows[:EXAMPLES_SHOWN]
        ]
        if fix:
            ids = [pk for pk, *_rest in rows]
            for start in range(0, len(ids), FIX_BATCH):  # bind parameters are limited (65,535 on PostgreSQL)
                refresh_active_hectares(ids[start : start + FIX_BATCH])
    return Drift(
        name=_("Members' active hectares"),
        checked=checked,
        differing=len(rows),
        examples=examples,
        fixed=fix and bool(rows),
    )


def _two_places(value: Decimal | float | None) -> str:
    return str(Decimal(str(value or 0)).quantize(Decimal("0.01")))
