"""Writes for input credit: the loan life cycle and the transaction ledger.

submitted -> approved -> active (disbursed) -> closed | written off; rejected / withdrawn before
disbursement. Every money movement is a LoanTransaction and every fee or penalty a LoanCharge, both
append-only (a mistake is undone by a reversal entry); balances are read from them (credit.selectors).
Payments are split over the schedule oldest instalment first, each instalment's components in the loan's
allocation order (credit.schedule). Services that move money, charge or change a loan's status lock the
loan row first (select_for_update), so two requests on the same loan run one after the other and the
second one sees what the first wrote.

By responsibility: applications (create, approve, reject, withdraw), disbursement, repayments (repay, waive,
write off, reverse), charges (fees and penalties, and their reversal); ledger holds what they share. The
service functions are imported here, so callers write `services.loan_repay(...)` whichever module holds it.
"""

from credit.services.applications import loan_approve, loan_create, loan_reject, loan_withdraw
from credit.services.charges import loan_charge_add, loan_charge_reverse
from credit.services.disbursement import loan_disburse
from credit.services.repayments import loan_repay, loan_reverse, loan_waive, loan_write_off

__all__ = [
    "loan_approve",
    "loan_charge_add",
    "loan_charge_reverse",
    "loan_create",
    "loan_disburse",
    "loan_reject",
    "loan_repay",
    "loan_reverse",
    "loan_waive",
    "loan_withdraw",
    "loan_write_off",
]
