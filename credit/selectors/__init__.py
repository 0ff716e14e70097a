"""Reads for input credit: balances from the ledger, instalment allocation, days past due, portfolio at risk,
the portfolio report, the member statement and the querysets of the credit pages.

Balances are sums of the ledger (credit.selectors.balances has the rules, also as of a past date); the
balance now is also stored on each loan, kept in step by the credit services (credit.read_models). By
responsibility: balances (the balance annotations, a loan's balance, its allocation over the schedule), arrears
(days past due and the one rule for calling a loan late), portfolio (PAR and the portfolio report), statements
(a member's statement of account), loans (the loans, transactions and loan details of a user's credit regions)
and catalogue (input items, credit products). The public readers are imported here, so callers write
`selectors.loan_balance(...)` whichever module holds it.
"""

from credit.selectors.arrears import (
    days_past_due,
    days_past_due_on_record,
    is_past_due,
    is_past_due_q,
    loan_oldest_unpaid_due_on,
    overdue_loans,
    set_days_past_due,
    with_schedule_and_charges,
)
from credit.selectors.balances import (
    BALANCE_FIELDS,
    LoanBalance,
    allocation_of_balance,
    annotate_balances,
    charges_in_force,
    instalment_allocation,
    loan_balance,
    loans_with_outstanding,
)
from credit.selectors.catalogue import credit_products, input_items
from credit.selectors.loans import (
    loan_charges,
    loan_lines,
    loan_status_changes,
    loan_transactions,
    loans_awaiting_approval,
    loans_for_action,
    loans_for_detail,
    loans_for_list,
    loans_in_scope,
    overdue_on_record,
    set_days_past_due_on_record,
    transactions_for_reversal,
)
from credit.selectors.portfolio import (
    GROUP_BY,
    GROUP_BY_PRODUCT,
    GROUP_BY_PROGRAM,
    GROUP_BY_REGION,
    PAR_DAYS,
    PortfolioReport,
    PortfolioRow,
    par_ratio,
    portfolio_at_risk,
    portfolio_at_risk_report,
    portfolio_report,
)
from credit.selectors.statements import (
    STATEMENT_EXCLUDED_STATUSES,
    LedgerEntry,
    LoanStatement,
    MemberStatement,
    member_statement,
)

__all__ = [
    "BALANCE_FIELDS",
    "GROUP_BY",
    "GROUP_BY_PRODUCT",
    "GROUP_BY_PROGRAM",
    "GROUP_BY_REGION",
    "PAR_DAYS",
    "STATEMENT_EXCLUDED_STATUSES",
    "LedgerEntry",
    "LoanBalance",
    "LoanStatement",
    "MemberStatement",
    "PortfolioReport",
    "PortfolioRow",
    "allocation_of_balance",
    "annotate_balances",
    "charges_in_force",
    "credit_products",
    "days_past_due",
    "days_past_due_on_record",
    "input_items",
    "instalment_allocation",
    "is_past_due",
    "is_past_due_q",
    "loan_balance",
    "loan_charges",
    "loan_lines",
    "loan_oldest_unpaid_due_on",
    "loan_status_changes",
    "loan_transactions",
    "loans_awaiting_approval",
    "loans_for_action",
    "loans_for_detail",
    "loans_for_list",
    "loans_in_scope",
    "loans_with_outstanding",
    "member_statement",
    "overdue_loans",
    "overdue_on_record",
    "par_ratio",
    "portfolio_at_risk",
    "portfolio_at_risk_report",
    "portfolio_report",
    "set_days_past_due",
    "set_days_past_due_on_record",
    "transactions_for_reversal",
    "with_schedule_and_charges",
]
