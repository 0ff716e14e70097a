"""This season's deliveries of a member's farms, drawn as demo.deliveries draws them, most of them settled."""

from decimal import Decimal

from django.db import models

from bench.seeding.draws import CENT, ZERO, random_days
from bench.seeding.reference import Context
from bench.seeding.tables import Ids, Table
from credit import schedule
from deliveries.models import ESTIMATE_STATE, DeductionKind, Delivery, ProductState, Settlement, SettlementDeduction
from demo.deliveries import ASSOCIATION_FEE, OTHER_STATE, PRICES, SEASON_DAYS
from members.models import Farm

DELIVERING_SHARE = 0.25  # farms delivering in the current season (as the demo's deliveries)


def _two(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


class DeliveryRows:
    """The deliveries and settlements of a member: a part of bench.seeding.generator.Generator."""

    c: Context
    tables: dict[type[models.Model], Table]
    ids: dict[type[models.Model], Ids]

    def _deliveries(self, rng, member_id, code, farms, joined) -> None:
        """This season's deliveries of some active farms with an estimate (as demo.deliveries draws them): most
        in the state the estimate counts, typed in quintals for dry parchment, four in five settled a few days
        later with the association fee. Settled without credit deductions (delivery_settle's apply_credit=False),
        so the loan ledger stays as _disburse wrote it."""
        as_of, officer = self.c.as_of, self.c.credit_officer
        number = 0
        for farm_id, crop, _hectares, active, production in farms:
            if not active or not production or rng.random() >= DELIVERING_SHARE:
                continue
            for _delivery in range(1 if rng.random() < 0.6 else 2):
                state = ESTIMATE_STATE[crop] if rng.random() < 0.85 else OTHER_STATE[crop]
                kilograms = production * Decimal(0.1 + 0.3 * rng.random())
                unit = Farm.ProductionUnit.QUINTAL if state == ProductState.DRY_PARCHMENT else Farm.ProductionUnit.KG
                quantity = (kilograms / Farm.UNIT_KG[unit]).quantize(CENT)
                delivered_on = as_of - random_days(rng, 7, SEASON_DAYS)
                low, high = (Decimal(price) for price in PRICES[state])
                price = schedule.to_cents(low + (high - low) * Decimal(rng.random()))
                quantity_kg = quantity * Farm.UNIT_KG[unit]
                gross = schedule.to_cents(quantity_kg * price)
                if delivered_on < joined or gross <= 0:
                    continue
                # Quality: moisture for both, yield and cup score for coffee, the cut test's fermentation for cocoa.
                if crop == "coffee":
                    moisture, fermentation = rng.uniform(10.5, 12.5), None
                    yield_percent = _two(rng.uniform(76, 84)) if rng.random() < 0.5 else None
                    cup_score = _two(rng.uniform(80, 87)) if rng.random() < 0.2 else None
                else:
                    moisture, fermentation = rng.uniform(6.5, 7.8), _two(rng.uniform(65, 92))
                    yield_percent = cup_score = None
                number += 1
                delivery_id = self.ids[Delivery].take()
                self.tables[Delivery].add(
                    (
                        delivery_id, f"EN-{code}-{number}", member_id, farm_id, delivered_on, crop, state, quantity,
                        unit, quantity_kg, _two(moisture), yield_percent, cup_score, fermentation, price, gross,
                        officer,
                    )
                )  # fmt: skip
                if rng.random() >= 0.8:
                    continue  # not paid yet
                paid_on = min(delivered_on + random_days(rng, 0, 6), as_of)
                fee = ASSOCIATION_FEE if gross > 50 else ZERO
                settlement_id = self.ids[Settlement].take()
                self.tables[Settlement].add((settlement_id, delivery_id, paid_on, gross, fee, gross - fee, officer))
                if fee:
                    self.tables[SettlementDeduction].add((settlement_id, DeductionKind.ASSOCIATION_FEE, fee))
