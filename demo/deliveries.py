"""The season's deliveries of the demo cooperative, recorded and settled through the deliveries services.

`build_deliveries` is load_demo's step, after the members, farms and loans exist; `seed_demo_deliveries`
does the work. Deterministic (a seeded random generator, dates fixed by `season_end`) and idempotent as a
step: once any delivery exists it writes nothing, so a second run of the demo changes nothing.
"""

import datetime
import random
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from cooperative.models import Crop, StaffRole
from deliveries.models import ESTIMATE_STATE, DeductionKind, Delivery, ProductState
from deliveries.services import delivery_record, delivery_settle
from demo.constants import DEMO_DATE
from demo.context import Demo
from members.models import Farm, Member

SEED = 2026
SHARE_OF_FARMS = 0.25  # a quarter of the active farms with an estimate deliver in the demo season
SEASON_DAYS = 150
# S/ per kg by state, low-high: dry parchment about S/ 650-780 a quintal; cocoa beans by the kilogram.
PRICES = {
    ProductState.CHERRY: ("2.20", "2.80"),
    ProductState.DRY_PARCHMENT: ("14.00", "17.00"),
    ProductState.WET_BEANS: ("3.20", "3.90"),
    ProductState.DRY_BEANS: ("9.00", "12.00"),
}
OTHER_STATE = {Crop.COFFEE: ProductState.CHERRY, Crop.COCOA: ProductState.WET_BEANS}
ASSOCIATION_FEE = Decimal("5.00")


def _price(rng: random.Random, state: str) -> Decimal:
    low, high = (Decimal(value) for value in PRICES[state])
    return (low + (high - low) * Decimal(rng.random())).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@transaction.atomic
def seed_demo_deliveries(
    *, received_by: AbstractBaseUser, season_end: datetime.date, share_of_farms: float = SHARE_OF_FARMS
) -> int:
    """Record one or two deliveries for a share of the active farms with an estimate (most in the state the
    estimate counts, some as cherry or wet beans), in the SEASON_DAYS up to `season_end`, and settle four in
    five of them a few days later with the association fee and the members' loans deducted within their caps.
    `season_end` is at most today (a payment is never dated in the future). Returns the number of deliveries
    recorded (0 when deliveries already exist)."""
    if Delivery.objects.exists():
        return 0
    rng = random.Random(SEED)
    farms = (
        Farm.objects.filter(
            status=Farm.Status.ACTIVE, member__status=Member.Status.ACTIVE, estimated_production_kg__gt=0
        )
        .select_related("member")
        .order_by("member__code", "name")
    )
    recorded = 0
    for farm in farms:
        if rng.random() >= share_of_farms:
            continue
        for _ in range(1 if rng.random() < 0.6 else 2):
            state = ESTIMATE_STATE[farm.crop] if rng.random() < 0.85 else OTHER_STATE[farm.crop]
            # A delivery is a fraction of the yearly estimate, typed in quintals for parchment coffee.
            kilograms = farm.estimated_production_kg * Decimal(0.1 + 0.3 * rng.random())
            in_quintals = state == ProductState.DRY_PARCHMENT
            quantity = (kilograms / 46 if in_quintals else kilograms).quantize(Decimal("0.01"))
            if quantity <= 0:
                continue
            delivered_on = season_end - datetime.timedelta(days=rng.randint(7, SEASON_DAYS))
            delivery = delivery_record(
                member=farm.member,
                farm=farm,
                delivered_on=delivered_on,
                product_state=state,
                quantity=quantity,
                unit="qq" if in_quintals else "kg",
                price_per_kg=_price(rng, state),
                received_by=received_by,
                moisture_percent=Decimal("11.50") if farm.crop == Crop.COFFEE else Decimal("7.00"),
            )
            recorded += 1
            if rng.random() < 0.8:
                fee = [(DeductionKind.ASSOCIATION_FEE, ASSOCIATION_FEE, "")] if delivery.gross_amount > 50 else []
                delivery_settle(
                    delivery=delivery,
                    paid_on=delivered_on + datetime.timedelta(days=rng.randint(0, 6)),
                    other_deductions=fee,
                    settled_by=received_by,
                )
    return recorded


def build_deliveries(demo: Demo, users: dict) -> None:
    """Deliveries of the season up to the demo date, most settled with the loans deducted (through the
    deliveries and credit services, so the ledger and the statements show them)."""
    season_end = min(DEMO_DATE, timezone.localdate())
    recorded = seed_demo_deliveries(received_by=users[StaffRole.Role.CREDIT_OFFICER], season_end=season_end)
    demo.report.count("deliveries", recorded)
