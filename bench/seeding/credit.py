"""A member's loans through their life as the credit services leave them: lines, the product's terms,
the schedule of credit.schedule.generate_schedule, the disbursement and the repayments split like
credit.services.loan_repay, never above what is outstanding."""

import datetime
from decimal import Decimal

from django.db import models

from bench.seeding.draws import CENT, DAY, HISTORY_YEARS, ZERO, random_days
from bench.seeding.reference import FERTILIZER, POST_HARVEST, RENOVATION, Context
from bench.seeding.tables import Ids, Table
from credit import schedule
from credit.models import Instalment, Loan, LoanLine, LoanStatus, LoanTransaction, RepaymentMode, TransactionKind

TERM_FIELDS = (
    "interest_method",
    "annual_rate",
    "repayment_mode",
    "number_of_repayments",
    "grace_periods",
    "max_deduction_percent",
    "arrears_tolerance",
    "allocation_order",
)
NO_TERMS = ("", None, "", None, None, None, None, "")


class CreditRows:
    """The loans of a member: a part of bench.seeding.generator.Generator."""

    c: Context
    tables: dict[type[models.Model], Table]
    ids: dict[type[models.Model], Ids]

    def _loan(self, rng, member_id, code, k, crop, joined, programs) -> None:
        """One loan through its life as the credit services leave it: submitted, then for most approved (the
        product's terms copied) and disbursed (schedule and disbursement), with repayments of the instalments
        due; repaid loans are closed, a few written off."""
        c, as_of = self.c, self.c.as_of
        submitted = as_of - random_days(rng, 5, 365 * HISTORY_YEARS)
        if submitted < joined + 30 * DAY:
            submitted = joined + random_days(rng, 30, 90)
        if crop == "coffee":
            key = FERTILIZER if rng.random() < 0.75 else RENOVATION
        else:
            key = POST_HARVEST if rng.random() < 0.5 else FERTILIZER
        if key == FERTILIZER:
            lines = [("Guano de isla", rng.randint(4, 12)), ("Roca fosfórica", rng.randint(1, 4))]
            if rng.random() < 0.3:
                lines.append(("Abono orgánico compostado", rng.randint(5, 15)))
        elif key == RENOVATION:
            lines = [("Plantones de café injertados", rng.randint(10, 40)), ("Guano de isla", rng.randint(2, 6))]
        else:
            draw = rng.random()
            lines = [("Secador solar" if draw < 0.2 else "Cajón fermentador" if draw < 0.7 else "Tendal de secado", 1)]
        if submitted > as_of:
            return
        loan_id = self.ids[Loan].take()
        principal = ZERO
        for name, quantity in lines:
            item_id, price = c.items[name]
            amount = schedule.to_cents(quantity * price)
            principal += amount
            self.tables[LoanLine].add((loan_id, item_id, Decimal(quantity).quantize(CENT), price, amount))

        product = c.products[key]
        status, approved_on, disbursed_on, closed_on, terms = LoanStatus.SUBMITTED, None, None, None, NO_TERMS
        oldest_unpaid, outstanding = None, (ZERO, ZERO)
        age = (as_of - submitted).days
        draw = rng.random()
        if age < 15 and draw < 0.5:
            pass  # waiting for approval
        elif draw < 0.03:
            status = LoanStatus.REJECTED
        elif draw < 0.04:
            status = LoanStatus.WITHDRAWN
        elif submitted + 5 * DAY <= as_of:
            status, approved_on = LoanStatus.APPROVED, submitted + random_days(rng, 1, 5)
            terms = tuple(getattr(product, name) for name in TERM_FIELDS)
            if not (draw < 0.05 and age < 60) and approved_on + 7 * DAY <= as_of:
                disbursed_on = approved_on + random_days(rng, 0, 7)
                status, closed_on, oldest_unpaid, outstanding = self._disburse(
                    rng, loan_id, product, principal, disbursed_on
                )
        program = programs[0] if programs and rng.random() < 0.5 else None
        self.tables[Loan].add(
            (
                loan_id, f"CR-{code}-{k}", member_id, product.pk, program, status, principal, submitted,
                c.credit_officer, approved_on, c.manager if approved_on else None, disbursed_on, closed_on, *terms,
                oldest_unpaid, *outstanding, ZERO, ZERO, sum(outstanding, ZERO),
            )
        )  # fmt: skip

    def _disburse(
        self, rng, loan_id, product, principal, disbursed_on
    ) -> tuple[str, datetime.date | None, datetime.date | None, tuple[Decimal, Decimal]]:
        """Schedule, disbursement and repayments of a disbursed loan; return its status, closing date, the due
        date of its oldest instalment unpaid beyond the arrears tolerance (None when all is paid) and its
        principal and interest outstanding (credit.read_models: what the ledger leaves; no fees or penalties
        are generated)."""
        as_of, officer = self.c.as_of, self.c.credit_officer
        add = self.tables[LoanTransaction].add
        rows = schedule.generate_schedule(
            principal=principal,
            annual_rate=product.annual_rate,
            interest_method=product.interest_method,
            repayment_mode=product.repayment_mode,
            number_of_repayments=product.number_of_repayments,
            grace_periods=product.grace_periods,
            disbursed_on=disbursed_on,
        )
        for row in rows:
            self.tables[Instalment].add((loan_id, row.number, row.due_on, row.principal_due, row.interest_due))
        add((loan_id, TransactionKind.DISBURSEMENT, disbursed_on, principal, principal, ZERO, "", officer))

        bullet = product.repayment_mode == RepaymentMode.HARVEST_BULLET
        if bullet and rng.random() < 0.7:
            kind, note = TransactionKind.HARVEST_DEDUCTION, "Descuento de la liquidación de cosecha"
        else:
            kind, note = TransactionKind.REPAYMENT, "Pago en oficina"
        due = [row for row in rows if row.due_on < as_of]
        draw = rng.random()
        # Most members pay on time; a few pay part or nothing yet (they feed PAR). A loan long past its last
        # due date is either settled late or, for a few, written off.
        settled_long_ago = rows[-1].due_on < as_of - 365 * DAY
        write_off = draw >= 0.98 and rows[-1].due_on < as_of - 180 * DAY
        late = draw >= 0.93 and settled_long_ago and not write_off
        partial = 0.93 <= draw < 0.955 and not late
        if draw < 0.93 or late:
            paying = due
        elif partial:
            paying = due[: len(due) // 2]  # half, then part of the next one
        elif write_off:
            paying = due[: rng.randint(0, len(due) - 1)]
        else:
            paying = []
        principal_paid = interest_paid = ZERO
        last_on = disbursed_on
        for row in paying:
            # Whole instalments oldest first: the portions are the instalment's (what split_payment gives).
            delay = random_days(rng, 30, 200) if late else random_days(rng, -6, 8)
            last_on = min(max(last_on, row.due_on + delay), as_of)
            add((loan_id, kind, last_on, row.total_due, row.principal_due, row.interest_due, note, officer))
            principal_paid += row.principal_due
            interest_paid += row.interest_due
        if partial and len(paying) < len(due):
            row = due[len(paying)]
            amount = schedule.to_cents(row.total_due * rng.randint(30, 80) / 100)
            allocation = schedule.allocate_paid(rows, principal_paid=principal_paid, interest_paid=interest_paid)
            portions = schedule.split_payment(
                allocation, amount, schedule.parse_allocation_order(product.allocation_order)
            )
            last_on = min(max(last_on, row.due_on + random_days(rng, 0, 20)), as_of)
            add((loan_id, kind, last_on, amount, portions.principal, portions.interest, note, officer))
            principal_paid += portions.principal
            interest_paid += portions.interest
        interest = sum((row.interest_due for row in rows), ZERO)
        if write_off:
            on = min(max(last_on, rows[-1].due_on + random_days(rng, 120, 240)), as_of)
            principal_left, interest_left = principal - principal_paid, interest - interest_paid
            add(
                (
                    loan_id,
                    TransactionKind.WRITE_OFF,
                    on,
                    principal_left + interest_left,
                    principal_left,
                    interest_left,
                    "Incobrable: sin cosecha dos campañas seguidas",
                    officer,
                )
            )
            return LoanStatus.WRITTEN_OFF, None, None, (ZERO, ZERO)
        if principal_paid + interest_paid == principal + interest:
            # loan_repay closes a loan with nothing left outstanding
            return LoanStatus.CLOSED, last_on, None, (ZERO, ZERO)
        allocation = schedule.allocate_paid(rows, principal_paid=principal_paid, interest_paid=interest_paid)
        oldest = next((paid.due_on for paid in allocation if paid.total_unpaid > product.arrears_tolerance), None)
        return LoanStatus.ACTIVE, None, oldest, (principal - principal_paid, interest - interest_paid)
