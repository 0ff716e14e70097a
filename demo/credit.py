"""The input catalogue, two credit products and 191 loans through the credit services: created, most approved
and disbursed, and repaid as members pay (most on time, some in part, a few not yet)."""

import datetime
import random
from decimal import Decimal

from cooperative.models import AllianceProgram, StaffRole
from credit.models import CreditProduct, InputItem, InterestMethod, Loan, RepaymentMode
from credit.selectors import loan_balance
from credit.services import loan_approve, loan_create, loan_disburse, loan_repay
from demo.constants import SEED
from demo.context import Demo
from members.models import Member


def build_loans(demo: Demo, users: dict, programs: dict[str, AllianceProgram]) -> None:
    """The catalogue and products (found again by name), then the loans not yet there (by reference)."""
    items = {}
    for name, kind, unit, price in [
        ("Guano de isla", InputItem.Kind.FERTILIZER, "saco 50 kg", "78.00"),
        ("Abono orgánico compostado", InputItem.Kind.FERTILIZER, "saco 50 kg", "35.00"),
        ("Roca fosfórica", InputItem.Kind.FERTILIZER, "saco 50 kg", "42.50"),
        ("Tendal de secado", InputItem.Kind.DRYING_BED, "unidad", "650.00"),
        ("Cajón fermentador", InputItem.Kind.FERMENTATION_BOX, "unidad", "480.00"),
        ("Secador solar", InputItem.Kind.SOLAR_DRYER, "unidad", "1850.00"),
    ]:
        item, created = InputItem.objects.get_or_create(
            name=name, defaults={"kind": kind, "unit": unit, "unit_price": Decimal(price)}
        )
        demo.report.count("input items", int(created))
        items[name] = item
    products = {}
    for name, method, rate, mode, repayments, grace in [
        ("Fertilizantes – 6 cuotas", InterestMethod.FLAT, "12.00", RepaymentMode.PERIODIC, 6, 1),
        (
            "Módulos poscosecha – pago a la cosecha",
            InterestMethod.DECLINING_BALANCE,
            "10.00",
            RepaymentMode.HARVEST_BULLET,
            1,
            6,
        ),
    ]:
        product, created = CreditProduct.objects.get_or_create(
            name=name,
            defaults=dict(
                interest_method=method,
                annual_rate=Decimal(rate),
                repayment_mode=mode,
                number_of_repayments=repayments,
                grace_periods=grace,
                max_deduction_percent=Decimal("30.00"),
            ),
        )
        demo.report.count("credit products", int(created))
        products[name] = product
    officer, manager = users[StaffRole.Role.CREDIT_OFFICER], users[StaffRole.Role.MANAGER]
    existing = set(Loan.objects.values_list("reference", flat=True))
    rng = random.Random(SEED + 2)
    members = list(Member.objects.select_related("region").order_by("code"))
    borrowers = rng.sample(members[:-1], 190) + [members[-1]]  # the last cocoa member is Teodoro
    for number, member in enumerate(borrowers, start=1):
        reference = f"CR-DEMO-{number:04d}"
        draw = rng.random()
        cocoa = member.region.name in ("San Martín", "Huánuco")
        post_harvest = cocoa and (draw < 0.5 or number == len(borrowers))
        if post_harvest:
            product = products["Módulos poscosecha – pago a la cosecha"]
            lines = [(items["Secador solar" if draw < 0.2 else "Cajón fermentador"], Decimal("1"))]
            if number == len(borrowers):
                lines = [(items["Secador solar"], Decimal("1")), (items["Guano de isla"], Decimal("6"))]
        else:
            product = products["Fertilizantes – 6 cuotas"]
            lines = [
                (items["Guano de isla"], Decimal(rng.randint(4, 12))),
                (items["Roca fosfórica"], Decimal(rng.randint(1, 4))),
            ]
        if reference in existing:
            continue
        submitted = datetime.date(2026, rng.randint(1, 10), rng.randint(1, 25))
        program = (
            programs["ECOM-SMS"] if cocoa and member.enrollments.filter(program__code="ECOM-SMS").exists() else None
        )
        loan = loan_create(
            member=member,
            product=product,
            lines=lines,
            submitted_by=officer,
            submitted_on=submitted,
            program=program,
            reference=reference,
        )
        demo.report.count("loans")
        if draw > 0.95:
            continue  # still waiting for approval
        loan = loan_approve(loan=loan, approved_by=manager, approved_on=submitted + datetime.timedelta(days=3))
        disbursed = submitted + datetime.timedelta(days=7)
        loan = loan_disburse(loan=loan, disbursed_by=officer, disbursed_on=disbursed)
        due = list(loan.instalments.order_by("number"))
        paid_through = datetime.date(2026, 11, 15)
        payable = [inst for inst in due if inst.due_on <= paid_through]
        if not payable:
            continue
        # Most members pay on time; some pay part; a few have paid nothing yet (they feed PAR).
        behaviour = rng.random()
        if behaviour < 0.06:
            continue
        to_pay = payable if behaviour > 0.16 else payable[: max(1, len(payable) // 2)]
        for inst in to_pay:
            outstanding = loan_balance(loan).total_outstanding
            amount = min(inst.principal_due + inst.interest_due, outstanding)
            if amount <= 0:
                break
            loan_repay(
                loan=loan,
                amount=amount,
                occurred_on=min(inst.due_on + datetime.timedelta(days=rng.randint(-5, 10)), paid_through),
                recorded_by=officer,
                kind="harvest_deduction" if product.repayment_mode == RepaymentMode.HARVEST_BULLET else "repayment",
                note="Pago en oficina"
                if product.repayment_mode == RepaymentMode.PERIODIC
                else "Descuento de la liquidación de cosecha",
            )
            demo.report.count("repayments")
