"""The loan read model: each loan's balance now (Loan.outstanding_principal, outstanding_interest,
outstanding_fees, outstanding_penalties, outstanding_total) and the due date of its oldest unpaid schedule row
(Loan.oldest_unpaid_due_on), stored on the loan as Apache Fineract keeps its loan summary, so that lists and
figures over many loans sum indexed columns instead of the ledger.

The rule, one for every writer: the stored amounts equal credit.selectors.annotate_balances with no date
(principal disbursed less paid, the schedule's interest less paid, fees and penalties in force less paid, and
their total), and the stored date equals credit.selectors.loan_oldest_unpaid_due_on. `stored_state` computes
both from a loan's balance sums, schedule and charges; the credit services call `refresh_loan` after every
change to a loan's schedule, ledger or charges, inside the write's transaction (credit.services.ledger), and
`reconcile_loan_balances` compares every loan with the same computation and repairs the ones a write that
bypassed the services left behind. Days past due are never stored: they are the date of a read minus
oldest_unpaid_due_on (credit.selectors.arrears). Balances on a past date are read from the ledger.
"""

import datetime
from collections import defaultdict
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, NamedTuple

from django.db import transaction
from django.db.models import Expression, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from cooperative.read_models import EXAMPLES_SHOWN, Drift
from credit import schedule
from credit.models import REDUCING_KINDS, Instalment, Loan, LoanTransaction, TransactionKind
from credit.selectors.arrears import oldest_unpaid_due_on_of_annotated
from credit.selectors.balances import (
    OUTSTANDING_COMPONENTS,
    ZERO,
    balance_sums,
    charges_in_force,
    has_charges,
    outstanding_expressions,
)

# Each stored amount and the annotation of annotate_balances it equals.
STORED_BALANCE = {
    "outstanding_principal": "principal_outstanding",
    "outstanding_interest": "interest_outstanding",
    "outstanding_fees": "fee_outstanding",
    "outstanding_penalties": "penalty_outstanding",
    "outstanding_total": "total_outstanding",
}
STORED_FIELDS = (*STORED_BALANCE, "oldest_unpaid_due_on")
SUM_NAMES = tuple(balance_sums())
# Loans compared per round trip by the reconciler (three queries each: loans with their sums, instalments,
# charges), and loans repaired per UPDATE.
RECONCILE_BATCH = 2000
FIX_BATCH = 500


class _Charge(NamedTuple):
    """A fee or penalty in force, as schedule.allocate_paid reads it."""

    kind: str
    amount: Decimal
    due_on: datetime.date


def stored_state(
    loan: Any,
    instalments: list[schedule.ScheduledInstalment] | tuple = (),
    charges: list[schedule.ScheduledCharge] | tuple = (),
) -> dict[str, Decimal | datetime.date | None]:
    """What the loan's stored fields (STORED_FIELDS) should hold: `loan` carries the eight sums of
    credit.selectors.balance_sums and its arrears_tolerance (as attributes), `instalments` are its schedule in
    due order and `charges` its fees and penalties in force. No query."""
    values: dict[str, Decimal | datetime.date | None] = {}
    for column, annotation in STORED_BALANCE.items():
        owed = ZERO
        for component in OUTSTANDING_COMPONENTS[annotation]:
            due = "principal_disbursed" if component == "principal" else f"{component}_due_total"
            owed += getattr(loan, due) - getattr(loan, f"{component}_paid")
        values[column] = schedule.to_cents(owed)
    components = ("outstanding_principal", "outstanding_interest", "outstanding_fees", "outstanding_penalties")
    if all(values[name] == 0 for name in components):
        values["oldest_unpaid_due_on"] = None  # everything due is paid: no row is unpaid (allocate_paid agrees)
    else:
        values["oldest_unpaid_due_on"] = oldest_unpaid_due_on_of_annotated(loan, instalments, charges)
    return values


def stored_balance_expressions() -> dict[str, Expression]:
    """The stored amounts as SQL expressions on the outer loan (correlated subqueries on the ledger, the
    charges and the schedule: the expressions of annotate_balances), for a set-based UPDATE such as
    `Loan.objects.update(**stored_balance_expressions())` (the migration that added the columns)."""
    expressions = outstanding_expressions()
    return {column: expressions[annotation] for column, annotation in STORED_BALANCE.items()}


def refresh_loan(loan: Loan) -> None:
    """Recompute the loan's stored balance and oldest unpaid due date from its ledger, charges and schedule
    (as this transaction sees them) and write them to its row, and onto `loan`, so that a later save of `loan`
    keeps them; the row's updated_at moves too (the API's `updated_since` sees a changed balance). Call it
    after every change to a loan's schedule, ledger or charges, in the same transaction. Three queries (the
    sums, the instalments, the UPDATE), four when the loan has fees or penalties (the charges)."""
    sums = SimpleNamespace(
        **Loan.objects.filter(pk=loan.pk)
        .annotate(**balance_sums(), has_charges=has_charges(None))
        .values(*SUM_NAMES, "has_charges", "arrears_tolerance")
        .get()
    )
    instalments = list(Instalment.objects.filter(loan_id=loan.pk).order_by("due_on", "number"))
    charges = list(charges_in_force().filter(loan_id=loan.pk)) if sums.has_charges else []
    values = stored_state(sums, instalments, charges)
    values["updated_at"] = timezone.now()
    for name, value in values.items():
        setattr(loan, name, value)
    Loan.objects.filter(pk=loan.pk).update(**values)


def _describe(value: Decimal | datetime.date | None) -> str:
    if value is None:
        return _("none")
    return value.isoformat() if isinstance(value, datetime.date) else f"{value:.2f}"


def _difference(reference: str, stored: dict, expected: dict, fields: list[str]) -> str:
    """ "Loan CR-00012: principal outstanding (S/) stored 100.00, by the ledger 80.00; …"."""
    parts = [
        _("%(field)s stored %(stored)s, by the ledger %(expected)s")
        % {
            "field": Loan._meta.get_field(name).verbose_name,
            "stored": _describe(stored[name]),
            "expected": _describe(expected[name]),
        }
        for name in fields
    ]
    return _("Loan %(reference)s: %(differences)s") % {"reference": reference, "differences": "; ".join(parts)}


def _cents(value: Decimal | float | None) -> Decimal:
    """A sum read from the database in céntimos (SQLite sums decimals in floating point)."""
    return ZERO if value is None else schedule.to_cents(Decimal(str(value)))


def _batches():
    """Every loan with its balance sums (the attributes stored_state reads), schedule and charges in force,
    RECONCILE_BATCH loans at a time in primary key order: (loans, instalments by loan id, charges by loan id)
    per batch, in four queries each, every one a range scan of the batch's loan ids: the loans; their ledger
    summed per loan (the sums of balance_sums: disbursed principal, and what the reducing entries not
    reversed paid of each component); their instalments; their charges in force. Summing the batch's ledger
    grouped by loan reads each entry once, where balance_sums' correlated subqueries (the same rule) probe the
    ledger eight times per loan."""
    reducing = Q(kind__in=REDUCING_KINDS, reversed_by__isnull=True)
    last = 0
    while True:
        rows = list(
            Loan.objects.filter(pk__gt=last)
            .order_by("pk")
            .values("pk", "reference", "arrears_tolerance", *STORED_FIELDS)[:RECONCILE_BATCH]
        )
        if not rows:
            return
        first, last = rows[0]["pk"], rows[-1]["pk"]
        in_batch = {"loan_id__gte": first, "loan_id__lte": last}
        loans = {row["pk"]: {**row, **dict.fromkeys(SUM_NAMES, ZERO)} for row in rows}
        for summed in (
            LoanTransaction.objects.filter(**in_batch)
            .order_by()
            .values("loan_id")
            .annotate(
                principal_disbursed=Sum("principal_portion", filter=Q(kind=TransactionKind.DISBURSEMENT)),
                principal_paid=Sum("principal_portion", filter=reducing),
                interest_paid=Sum("interest_portion", filter=reducing),
                fee_paid=Sum("fee_portion", filter=reducing),
                penalty_paid=Sum("penalty_portion", filter=reducing),
            )
        ):
            loan = loans[summed.pop("loan_id")]
            loan.update({name: _cents(value) for name, value in summed.items()})
        instalments = defaultdict(list)
        for loan_id, number, due_on, principal_due, interest_due in (
            Instalment.objects.filter(**in_batch)
            .order_by("loan_id", "due_on", "number")
            .values_list("loan_id", "number", "due_on", "principal_due", "interest_due")
        ):
            instalments[loan_id].append(schedule.ScheduleRow(number, due_on, principal_due, interest_due))
            loans[loan_id]["interest_due_total"] += interest_due
        charges = defaultdict(list)
        for loan_id, kind, amount, due_on in (
            charges_in_force().filter(**in_batch).values_list("loan_id", "kind", "amount", "due_on")
        ):
            charges[loan_id].append(_Charge(kind, amount, due_on))
            loans[loan_id][f"{kind}_due_total"] += amount
        yield list(loans.values()), instalments, charges


def reconcile_loan_balances(*, fix: bool = False) -> Drift:
    """Compare every loan's stored balance and oldest unpaid due date (STORED_FIELDS) with what its ledger,
    charges and schedule say (stored_state), and describe the loans that differ. With `fix`, write the
    computed values on those loans only (and move their updated_at), in one transaction.

    Cost: the loans are read in batches of RECONCILE_BATCH (four queries each, see _batches) and the schedule
    of each loan with something outstanding is allocated in Python, which the oldest unpaid due date needs;
    with `fix`, one UPDATE per FIX_BATCH loans repaired.
    """
    with transaction.atomic():
        checked = differing = 0
        examples: list[str] = []
        repairs: list[Loan] = []
        for rows, instalments, charges in _batches():
            for row in rows:
                checked += 1
                expected = stored_state(
                    SimpleNamespace(**row), instalments.get(row["pk"], ()), charges.get(row["pk"], ())
                )
                fields = [name for name in STORED_FIELDS if row[name] != expected[name]]
                if not fields:
                    continue
                differing += 1
                if len(examples) < EXAMPLES_SHOWN:
                    examples.append(_difference(row["reference"], row, expected, fields))
                if fix:
                    repairs.append(Loan(pk=row["pk"], **expected))
        if repairs:
            now = timezone.now()
            for loan in repairs:
                loan.updated_at = now
            Loan.objects.bulk_update(repairs, [*STORED_FIELDS, "updated_at"], batch_size=FIX_BATCH)
    return Drift(
        name=_("Loan balances"), checked=checked, differing=differing, examples=examples, fixed=fix and differing > 0
    )
