"""Writes for harvest deliveries: record a delivery, settle it (pay it, posting credit repayments to the loan
ledger), reverse it. Staff pages, imports and commands call these.

Locks, always in this order so two requests never wait for each other in a circle: the delivery row, then
the member's active loans by id (credit.services.loan_repay and loan_reverse lock a loan again, which the
transaction already holds).
"""

import datetime
import re
from collections.abc import Iterable
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from credit import services as credit_services
from credit.models import Loan, LoanStatus, TransactionKind
from credit.schedule import to_cents
from deliveries import selectors
from deliveries.models import (
    UNIT_KG,
    DeductionKind,
    Delivery,
    DeliveryReversal,
    Settlement,
    SettlementDeduction,
)
from members.models import Farm, Member

REFERENCE_ATTEMPTS = 5
# What fits in a ledger entry's note (255) once the delivery's reference is put in front of it.
REVERSAL_REASON_LENGTH = 200


def _check_decimal(value: Decimal | None, name: str) -> None:
    if value is not None and not isinstance(value, Decimal):
        raise TypeError(f"{name} must be a Decimal")


def _next_reference(year: int) -> str:
    """EN-<year>-<5-digit sequence> ("entrega"), one above the highest of that year."""
    prefix = f"EN-{year}-"
    last = (
        Delivery.objects.filter(reference__regex=rf"^{re.escape(prefix)}[0-9]{{5}}$")
        .order_by("-reference")
        .values_list("reference", flat=True)
        .first()
    )
    number = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{number:05d}"


def _insert_with_reference(delivery: Delivery) -> None:
    """Save a new delivery under the next free reference; one taken by a concurrent request is replaced."""
    for attempt in range(REFERENCE_ATTEMPTS):
        delivery.reference = _next_reference(delivery.delivered_on.year)
        delivery.full_clean()
        try:
            # A savepoint, so a unique violation from a concurrent insert leaves our transaction usable.
            with transaction.atomic():
                delivery.save()
            return
        except IntegrityError:
            if attempt == REFERENCE_ATTEMPTS - 1:
                raise ValidationError(_("No free delivery reference was found; try again.")) from None


@transaction.atomic
def delivery_record(
    *,
    member: Member,
    farm: Farm,
    delivered_on: datetime.date,
    product_state: str,
    quantity: Decimal,
    unit: str,
    price_per_kg: Decimal,
    received_by: AbstractBaseUser,
    moisture_percent: Decimal | None = None,
    yield_percent: Decimal | None = None,
    cup_score: Decimal | None = None,
    fermentation_percent: Decimal | None = None,
    notes: str = "",
) -> Delivery:
    """Record a delivery from one of the member's active farms; its crop is the farm's.

    Stores the quantity as typed and in kilograms (quantity × 46 for quintals, × 69 for export bags), and
    the gross amount: kilograms × price per kg, quantized to céntimos with ROUND_HALF_UP. The reference is
    the next free EN-<year>-<nnnnn> of the delivery year. Locks the farm row (a retirement cannot slip in
    between the check and the insert). Raises ValidationError and writes nothing on bad input.
    """
    for name, value in [
        ("quantity", quantity),
        ("price_per_kg", price_per_kg),
        ("moisture_percent", moisture_percent),
        ("yield_percent", yield_percent),
        ("cup_score", cup_score),
        ("fermentation_percent", fermentation_percent),
    ]:
        _check_decimal(value, name)
    if member.status != Member.Status.ACTIVE:
        raise ValidationError({"member": _("Only an active member can deliver.")})
    if delivered_on > timezone.localdate():
        raise ValidationError({"delivered_on": _("The delivery date cannot be in the future.")})
    if unit not in UNIT_KG:
        raise ValidationError({"unit": _("Unknown unit.")})
    if farm.member_id != member.pk:
        raise ValidationError({"farm": _("The farm does not belong to the member.")})
    farm = Farm.objects.select_for_update().get(pk=farm.pk)
    farm.member = member

    quantity_kg = quantity * UNIT_KG[unit]
    gross_amount = to_cents(quantity_kg * price_per_kg)
    if quantity > 0 and price_per_kg > 0 and gross_amount <= 0:
        raise ValidationError({"price_per_kg": _("The amount of this delivery rounds to zero.")})
    delivery = Delivery(
        member=member,
        farm=farm,
        delivered_on=delivered_on,
        crop=farm.crop,
        product_state=product_state,
        quantity=quantity,
        unit=unit,
        quantity_kg=quantity_kg,
        moisture_percent=moisture_percent,
        yield_percent=yield_percent,
        cup_score=cup_score,
        fermentation_percent=fermentation_percent,
        price_per_kg=price_per_kg,
        gross_amount=gross_amount,
        received_by=received_by,
        notes=notes.strip(),
    )
    _insert_with_reference(delivery)
    return delivery


def _lock_delivery(delivery: Delivery) -> Delivery:
    """The delivery re-read under a row lock (held until the surrounding transaction ends)."""
    return Delivery.objects.select_for_update().get(pk=delivery.pk)


@transaction.atomic
def delivery_settle(
    *,
    delivery: Delivery,
    paid_on: datetime.date,
    other_deductions: Iterable[tuple[str, Decimal, str]] = (),
    apply_credit: bool = True,
    settled_by: AbstractBaseUser,
) -> Settlement:
    """Pay a delivery once: the settlement, its deduction lines, and a harvest deduction in the loan ledger
    for each loan it repays.

    `other_deductions` are (kind, amount, note) with kind association_fee, transport or other. With
    `apply_credit`, the member's active loans are repaid oldest first (disbursement date, then id), each
    through credit.services.loan_repay(kind="harvest_deduction", delivery_payment=gross), within the cap
    rule of deliveries.settlement (each loan its own cap, the whole at most the largest cap, no loan more than
    it owes). Net paid = gross − deductions, never negative: other deductions above the gross are refused.

    One transaction: the delivery row is locked, then the member's active loans in id order; a failure
    anywhere writes nothing (no settlement, no ledger entry). A second settlement of the same delivery is
    refused, also when two requests race (the delivery lock makes the second one see the first).
    """
    delivery = _lock_delivery(delivery)
    if Settlement.objects.filter(delivery=delivery).exists():
        raise ValidationError(_("This delivery has already been settled."))
    if DeliveryReversal.objects.filter(delivery=delivery).exists():
        raise ValidationError(_("This delivery was reversed; it cannot be settled."))
    if apply_credit:
        # Locked in id order before reading their balances (the fixed order of the module docstring).
        list(
            Loan.objects.select_for_update()
            .filter(member_id=delivery.member_id, status=LoanStatus.ACTIVE)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    plan = selectors.settlement_plan(
        delivery=delivery, paid_on=paid_on, other_deductions=other_deductions, apply_credit=apply_credit
    )
    if plan.net_paid < 0:  # plan_settlement guarantees it; a payment below zero must never be written
        raise ValidationError(_("The deductions are more than the gross amount."))

    settlement = Settlement(
        delivery=delivery,
        paid_on=paid_on,
        gross_amount=plan.gross_amount,
        total_deductions=plan.total_deductions,
        net_paid=plan.net_paid,
        settled_by=settled_by,
    )
    settlement.full_clean(validate_unique=False)  # the lock and the check above; the database backs them
    settlement.save()
    lines = []
    note = _("Harvest deduction, delivery %(reference)s") % {"reference": delivery.reference}
    for credit_line in plan.credit_lines:
        entry = credit_services.loan_repay(
            loan=credit_line.loan,
            amount=credit_line.amount,
            occurred_on=paid_on,
            recorded_by=settled_by,
            kind=TransactionKind.HARVEST_DEDUCTION,
            note=note,
            delivery_payment=plan.gross_amount,
        )
        lines.append(
            SettlementDeduction(
                settlement=settlement,
                kind=DeductionKind.CREDIT_REPAYMENT,
                amount=credit_line.amount,
                loan_id=entry.loan_id,
                loan_transaction=entry,
            )
        )
    for other in plan.other_lines:
        lines.append(SettlementDeduction(settlement=settlement, kind=other.kind, amount=other.amount, note=other.note))
    for line in lines:
        line.full_clean(validate_unique=False)
        line.save()
    if sum((line.amount for line in lines), Decimal("0.00")) != settlement.total_deductions:
        raise ValidationError(_("The deduction lines do not add up to the total deducted."))
    return settlement


@transaction.atomic
def delivery_reverse(
    *, delivery: Delivery, reversed_on: datetime.date, reason: str, reversed_by: AbstractBaseUser
) -> DeliveryReversal:
    """Cancel a delivery recorded by mistake. If it was settled, each credit repayment of its settlement is
    reversed in the loan ledger (credit.services.loan_reverse: the loan owes it again, and a loan the
    deduction had closed is active again). The delivery and settlement rows stay, marked reversed, and stop
    counting in the reports; record the corrected delivery anew.

    Money already paid in cash is not moved by this: the cashier recovers it or sets it against the corrected
    delivery's payment. Locks the delivery, then the loans in id order. Writes nothing on error (e.g. a loan
    since written off, whose ledger refuses the reversal).
    """
    delivery = _lock_delivery(delivery)
    reason = reason.strip()
    if DeliveryReversal.objects.filter(delivery=delivery).exists():
        raise ValidationError(_("This delivery has already been reversed."))
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the reversal.")})
    if len(reason) > REVERSAL_REASON_LENGTH:
        raise ValidationError(
            {"reason": _("Keep the reason within %(limit)d characters.") % {"limit": REVERSAL_REASON_LENGTH}}
        )
    if reversed_on > timezone.localdate():
        raise ValidationError({"reversed_on": _("The date cannot be in the future.")})
    settlement = Settlement.objects.filter(delivery=delivery).first()
    earliest = settlement.paid_on if settlement else delivery.delivered_on
    if reversed_on < earliest:
        raise ValidationError({"reversed_on": _("A reversal cannot be dated before the delivery or its payment.")})
    if settlement is not None:
        credit_lines = (
            SettlementDeduction.objects.filter(settlement=settlement, kind=DeductionKind.CREDIT_REPAYMENT)
            .select_related("loan_transaction")
            .order_by("loan_id", "id")
        )
        ledger_reason = _("Delivery %(reference)s reversed: %(reason)s") % {
            "reference": delivery.reference,
            "reason": reason,
        }
        for line in credit_lines:
            credit_services.loan_reverse(
                transaction=line.loan_transaction,
                recorded_by=reversed_by,
                occurred_on=reversed_on,
                reason=ledger_reason,
            )
    reversal = DeliveryReversal(delivery=delivery, reversed_on=reversed_on, reason=reason, reversed_by=reversed_by)
    reversal.full_clean(validate_unique=False)
    reversal.save()
    return reversal
