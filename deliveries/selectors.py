"""Reads for the deliveries pages: scope, the list, a delivery with its settlement, the settlement preview
and the production report. Each selector owns its joins, so its query count does not grow with its rows.

Scope: a user sees the deliveries of the members whose region one of their credit roles (manager, credit
officer) covers; the member's region decides, as on the members list.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db.models import DecimalField, Exists, OuterRef, Prefetch, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from cooperative.access import CREDIT_ROLES
from cooperative.models import Crop, Region
from cooperative.selectors import regions_in_scope
from credit.models import Loan, LoanStatus
from credit.selectors import loans_with_outstanding
from deliveries.filters import DeliveryFilter
from deliveries.models import ESTIMATE_STATE, UNIT_KG, Delivery, ProductState, SettlementDeduction, Unit
from deliveries.settlement import LoanDue, SettlementPlan, clean_other_deductions, plan_settlement
from members.models import Farm, Member

QUINTAL_KG = UNIT_KG[Unit.QUINTAL]
EXPORT_BAG_KG = UNIT_KG[Unit.EXPORT_BAG]
KG_PLACES = Decimal("0.01")
PERCENT_PLACES = Decimal("0.1")
ZERO_KG = Decimal("0.00")


def deliveries_in_scope(user: AbstractBaseUser, roles: Iterable[str] = CREDIT_ROLES) -> QuerySet[Delivery]:
    """Deliveries of the members in the regions the user's credit roles (or `roles`) cover. One query (the
    scope check); the regions stay a subquery of the returned, lazy queryset."""
    return Delivery.objects.filter(member__region__in=regions_in_scope(user, roles))


def credit_regions(user: AbstractBaseUser) -> QuerySet[Region]:
    return regions_in_scope(user, CREDIT_ROLES)


def deliveries_for_list(*, user: AbstractBaseUser, filters: Mapping[str, Any] | None = None) -> QuerySet[Delivery]:
    """Deliveries in the user's regions matching `filters` (see DeliveryFilter; invalid values are left out),
    newest first, with member, region, farm, settlement and reversal joined.

    Cost: one query for the scope, one to check a region chosen, then one query for the rows however many
    there are (a paginator adds a COUNT).
    """
    regions = credit_regions(user)
    deliveries = (
        Delivery.objects.filter(member__region__in=regions)
        .select_related("member__region", "farm", "settlement", "reversal")
        .order_by("-delivered_on", "-id")
    )
    return DeliveryFilter(filters or {}, queryset=deliveries, regions=regions).qs


def delivery_for_detail(*, user: AbstractBaseUser) -> QuerySet[Delivery]:
    """The queryset a delivery page is fetched from: in scope, with member, region, farm, the users, the
    settlement, its deductions (with loan, product and ledger entry, and that entry's reversal) and the
    reversal. Two queries for a settled delivery (the row, its deductions), plus the scope check."""
    deductions = SettlementDeduction.objects.select_related("loan__product", "loan_transaction__reversed_by").order_by(
        "id"
    )
    return (
        deliveries_in_scope(user)
        .select_related(
            "member__region",
            "farm",
            "received_by",
            "settlement__settled_by",
            "reversal__reversed_by",
        )
        .prefetch_related(Prefetch("settlement__deductions", queryset=deductions))
    )


def member_for_delivery(*, user: AbstractBaseUser, lookup: str) -> Member | None:
    """The member in the user's credit regions whose code or DNI is `lookup` (exactly, case-insensitive)."""
    lookup = lookup.strip()
    if not lookup:
        return None
    return (
        Member.objects.filter(region__in=credit_regions(user))
        .filter(Q(code__iexact=lookup) | Q(dni=lookup))
        .select_related("region")
        .first()
    )


def farms_for_delivery(member: Member) -> QuerySet[Farm]:
    """The member's active farms by name: those a delivery can come from (lazy)."""
    return Farm.objects.filter(member=member, status=Farm.Status.ACTIVE).order_by("name")


# -- settlement ----------------------------------------------------------------------------------------------


def loans_due(*, member_id: int, paid_on: datetime.date) -> list[LoanDue]:
    """The member's active loans a payment on `paid_on` may repay (disbursed by then), with what each owes
    now (the ledger's total outstanding) and its cap, oldest first. One query."""
    loans = loans_with_outstanding(
        Loan.objects.filter(member_id=member_id, status=LoanStatus.ACTIVE, disbursed_on__lte=paid_on)
    ).order_by("disbursed_on", "pk")
    return [
        LoanDue(
            loan=loan,
            disbursed_on=loan.disbursed_on,
            loan_id=loan.pk,
            outstanding=loan.total_outstanding,
            max_deduction_percent=loan.max_deduction_percent,
        )
        for loan in loans
    ]


def settlement_plan(
    *,
    delivery: Delivery,
    paid_on: datetime.date,
    other_deductions: Iterable[tuple[str, Decimal, str]] = (),
    apply_credit: bool = True,
) -> SettlementPlan:
    """What settling `delivery` on `paid_on` would deduct and pay, read from the ledger as committed now.

    The settlement page's preview calls this directly; deliveries.services.delivery_settle calls it after
    locking the delivery and the loans, so the preview and the payment run the same code. Writes nothing.
    Raises ValidationError on bad input (dates, deductions). One query (the loans), none without credit.
    """
    if paid_on > timezone.localdate():
        raise ValidationError({"paid_on": _("The payment date cannot be in the future.")})
    if paid_on < delivery.delivered_on:
        raise ValidationError({"paid_on": _("A delivery cannot be paid before it was delivered.")})
    others = clean_other_deductions(other_deductions)
    loans = loans_due(member_id=delivery.member_id, paid_on=paid_on) if apply_credit else []
    return plan_settlement(
        gross_amount=delivery.gross_amount, loans=loans, other_deductions=others, apply_credit=apply_credit
    )


# -- production report ---------------------------------------------------------------------------------------


class _KgField(DecimalField):
    """Sums of kilograms quantized to 2 places: SQLite sums decimals in floating point."""

    def from_db_value(self, value, expression, connection) -> Decimal | None:
        return None if value is None else Decimal(value).quantize(KG_PLACES, rounding=ROUND_HALF_UP)


def _kg() -> DecimalField:
    return _KgField(max_digits=14, decimal_places=2)


def _in_unit(kg: Decimal, unit_kg: Decimal) -> Decimal:
    return (kg / unit_kg).quantize(KG_PLACES, rounding=ROUND_HALF_UP)


@dataclass
class ProductionFigures:
    """Delivered and estimated kilograms, in quintals (46 kg) and 69 kg bags too (2 places, ROUND_HALF_UP).

    `delivered_kg` counts the deliveries in the state the estimate is recorded in (dry parchment coffee, dry
    cocoa beans); deliveries in other states are in `other_states_kg`, by state, not converted (converting
    states is a per-season setting of the cooperative, not a constant).
    """

    delivered_kg: Decimal = ZERO_KG
    estimated_kg: Decimal = ZERO_KG
    other_states_kg: dict[str, Decimal] = field(default_factory=dict)

    def add(self, other: "ProductionFigures") -> None:
        self.delivered_kg += other.delivered_kg
        self.estimated_kg += other.estimated_kg
        for state, kg in other.other_states_kg.items():
            self.other_states_kg[state] = self.other_states_kg.get(state, ZERO_KG) + kg

    @property
    def delivered_qq(self) -> Decimal:
        return _in_unit(self.delivered_kg, QUINTAL_KG)

    @property
    def delivered_bags(self) -> Decimal:
        return _in_unit(self.delivered_kg, EXPORT_BAG_KG)

    @property
    def estimated_qq(self) -> Decimal:
        return _in_unit(self.estimated_kg, QUINTAL_KG)

    @property
    def estimated_bags(self) -> Decimal:
        return _in_unit(self.estimated_kg, EXPORT_BAG_KG)

    @property
    def percent_of_estimate(self) -> Decimal | None:
        """Delivered as a percentage of the estimate (1 place, ROUND_HALF_UP); None without an estimate."""
        if self.estimated_kg <= 0:
            return None
        return (self.delivered_kg * 100 / self.estimated_kg).quantize(PERCENT_PLACES, rounding=ROUND_HALF_UP)

    @property
    def other_states(self) -> list[tuple[str, Decimal]]:
        """(state label, kg) of the other states delivered, in the order of ProductState."""
        labels = dict(ProductState.choices)
        return [
            (str(labels[state]), self.other_states_kg[state])
            for state in ProductState.values
            if self.other_states_kg.get(state)
        ]


@dataclass
class ProductionRow(ProductionFigures):
    member: Member | None = None
    crop: str = ""

    @property
    def crop_label(self) -> str:
        return str(Crop(self.crop).label)


@dataclass
class ProductionTotal(ProductionFigures):
    region: Region | None = None  # None: every region of the report
    crop: str = ""
    members: int = 0

    @property
    def crop_label(self) -> str:
        return str(Crop(self.crop).label)


@dataclass(frozen=True)
class ProductionReport:
    date_from: datetime.date
    date_to: datetime.date
    rows: list[ProductionRow]  # per member and crop, by region, then member code
    totals: list[ProductionTotal]  # per region and crop
    crop_totals: list[ProductionTotal]  # per crop, every region of the report

    @property
    def estimate_state_labels(self) -> list[tuple[str, str]]:
        return [(str(Crop(crop).label), str(ProductState(state).label)) for crop, state in ESTIMATE_STATE.items()]


def production_report(
    *,
    user: AbstractBaseUser,
    date_from: datetime.date,
    date_to: datetime.date,
    region: Region | None = None,
    crop: str | None = None,
) -> ProductionReport:
    """Delivered (from `date_from` to `date_to`, both included) against estimated production, per member and
    crop, with totals per region and crop and per crop, for the members in the user's credit regions
    (narrowed to `region` and `crop` when given).

    A member appears for a crop when they delivered it in the period or have an active farm of it with an
    estimate. Estimated = the sum of Farm.estimated_production_kg over the member's active farms of the crop
    (a yearly figure). Reversed deliveries do not count. Totals are sums of the kilograms, converted to
    quintals and bags once (not sums of rounded figures).

    Cost: four queries however many members: the scope check, the delivered kilograms (GROUP BY member,
    crop, state), the estimates (GROUP BY member, crop), the members with their region.
    """
    regions = credit_regions(user)
    member_filter = Q(member__region__in=regions)
    if region is not None:
        member_filter &= Q(member__region=region)
    crop_filter = Q(crop=crop) if crop else Q()

    delivered = (
        Delivery.objects.filter(member_filter, crop_filter, delivered_on__range=(date_from, date_to))
        .filter(reversal__isnull=True)
        .values("member_id", "crop", "product_state")
        .annotate(kg=Sum("quantity_kg", output_field=_kg()))
        .order_by()
    )
    estimated = (
        Farm.objects.filter(member_filter, crop_filter, status=Farm.Status.ACTIVE, estimated_production_kg__gt=0)
        .values("member_id", "crop")
        .annotate(kg=Sum("estimated_production_kg", output_field=_kg()))
        .order_by()
    )
    figures: dict[tuple[int, str], ProductionFigures] = defaultdict(ProductionFigures)
    for row in delivered:
        key = (row["member_id"], row["crop"])
        if row["product_state"] == ESTIMATE_STATE[row["crop"]]:
            figures[key].delivered_kg += row["kg"]
        else:
            states = figures[key].other_states_kg
            states[row["product_state"]] = states.get(row["product_state"], ZERO_KG) + row["kg"]
    for row in estimated:
        figures[(row["member_id"], row["crop"])].estimated_kg += row["kg"]

    members = _report_members(regions, region, crop, date_from, date_to)
    rows = []
    for member in members:
        for crop_value in Crop.values:
            found = figures.get((member.pk, crop_value))
            if found is not None:
                rows.append(
                    ProductionRow(
                        member=member,
                        crop=crop_value,
                        delivered_kg=found.delivered_kg,
                        estimated_kg=found.estimated_kg,
                        other_states_kg=dict(found.other_states_kg),
                    )
                )
    totals = _totals(rows, lambda row: (row.member.region, row.crop))
    crop_totals = _totals(rows, lambda row: (None, row.crop))
    return ProductionReport(date_from=date_from, date_to=date_to, rows=rows, totals=totals, crop_totals=crop_totals)


def _report_members(
    regions: QuerySet[Region],
    region: Region | None,
    crop: str | None,
    date_from: datetime.date,
    date_to: datetime.date,
) -> QuerySet[Member]:
    """The members with a delivery in the period or an estimate (one query, region joined), by region then code."""
    deliveries = Delivery.objects.filter(
        member=OuterRef("pk"), delivered_on__range=(date_from, date_to), reversal__isnull=True
    )
    farms = Farm.objects.filter(member=OuterRef("pk"), status=Farm.Status.ACTIVE, estimated_production_kg__gt=0)
    if crop:
        deliveries, farms = deliveries.filter(crop=crop), farms.filter(crop=crop)
    members = Member.objects.filter(region__in=regions)
    if region is not None:
        members = members.filter(region=region)
    return members.filter(Exists(deliveries) | Exists(farms)).select_related("region").order_by("region__name", "code")


def _totals(rows: Sequence[ProductionRow], key) -> list[ProductionTotal]:
    totals: dict[tuple, ProductionTotal] = {}
    for row in rows:
        group_region, group_crop = key(row)
        group = (group_region.pk if group_region else None, group_crop)
        if group not in totals:
            totals[group] = ProductionTotal(region=group_region, crop=group_crop)
        totals[group].add(row)
        totals[group].members += 1
    return sorted(
        totals.values(),
        key=lambda total: (total.region.name if total.region else "", Crop.values.index(total.crop)),
    )
