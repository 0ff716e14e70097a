"""Portfolio at risk (PAR1, PAR30, PAR90) over the loans active now, and the portfolio report: loans,
balances and PAR on any date, by region, program or product.

PAR<N> = outstanding principal of the loans more than N days past due (credit.selectors.arrears) /
outstanding principal of all of them: the whole outstanding principal of a late loan counts, not only its
late part.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, DecimalField, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from cooperative.models import Region
from credit import schedule
from credit.models import Loan, LoanStatus
from credit.selectors.arrears import days_past_due_of_annotated, is_past_due, is_past_due_q
from credit.selectors.balances import ZERO, annotate_balances, charges_by_loan, has_charges, with_schedule

CENT = Decimal("0.01")
RATIO_PLACES = Decimal("0.0001")
PAR_DAYS = (1, 30, 90)


# -- portfolio at risk ----------------------------------------------------------------------------------------


def par_ratio(part: Decimal, whole: Decimal) -> Decimal:
    """`part` / `whole` as a Decimal fraction with 4 places (ROUND_HALF_UP); 0 when `whole` is 0."""
    if whole <= 0:
        return Decimal("0.0000")
    return (part / whole).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)


def portfolio_at_risk_report(
    as_of: datetime.date, days: Iterable[int] = PAR_DAYS, queryset: QuerySet[Loan] | None = None
) -> dict[int, Decimal]:
    """PAR for several thresholds at once, e.g. {1: PAR1, 30: PAR30, 90: PAR90}, over the loans active now.

    PAR<N> = outstanding principal of active loans more than N days past due / outstanding principal of
    all active loans. The whole outstanding principal of a late loan counts, not only its late part.
    Ratios are Decimal fractions (0.1250 = 12.5 %), 4 places, ROUND_HALF_UP; 0 for an empty portfolio.
    `queryset` narrows the portfolio (a region, a program); only its active loans are counted. For the
    portfolio on a past date, by region, program or product, see portfolio_report.

    The balances are the ones stored on the loans and the days past due on `as_of` are counted from
    Loan.oldest_unpaid_due_on (is_past_due_q), both kept equal to the ledger as committed now by the credit
    services (credit.read_models). One aggregate query, whatever the number of loans.
    """
    if queryset is None:
        queryset = Loan.objects.all()
    thresholds = tuple(days)
    money = DecimalField(max_digits=16, decimal_places=2)

    def principal(**options) -> Coalesce:
        return Coalesce(Sum("outstanding_principal", output_field=money, **options), ZERO, output_field=money)

    totals = (
        queryset.filter(status=LoanStatus.ACTIVE)
        .order_by()
        .aggregate(
            total=principal(),
            **{
                f"late_{threshold}": principal(filter=is_past_due_q(as_of=as_of, more_than=threshold))
                for threshold in thresholds
            },
        )
    )
    total = schedule.to_cents(Decimal(totals["total"]))
    return {
        threshold: par_ratio(schedule.to_cents(Decimal(totals[f"late_{threshold}"])), total) for threshold in thresholds
    }


def portfolio_at_risk(as_of: datetime.date, days: int = 30, queryset: QuerySet[Loan] | None = None) -> Decimal:
    """PAR<days> as a Decimal fraction (see portfolio_at_risk_report). One query."""
    return portfolio_at_risk_report(as_of, days=(days,), queryset=queryset)[days]


# -- portfolio report --------------------------------------------------------------------------------------

GROUP_BY_REGION = "region"
GROUP_BY_PROGRAM = "program"
GROUP_BY_PRODUCT = "product"
GROUP_BY = (GROUP_BY_REGION, GROUP_BY_PROGRAM, GROUP_BY_PRODUCT)
# What each grouping joins to label its groups.
_GROUP_RELATION = {GROUP_BY_REGION: "member__region", GROUP_BY_PROGRAM: "program", GROUP_BY_PRODUCT: "product"}


@dataclass
class PortfolioRow:
    """One group of the portfolio report (or its total): loans outstanding on the date and their risk.

    `at_risk` maps N (1, 30, 90) to the outstanding principal of the group's loans more than N days past due.
    """

    label: str
    loans: int = 0
    principal_outstanding: Decimal = ZERO
    total_outstanding: Decimal = ZERO
    at_risk: dict[int, Decimal] = field(default_factory=lambda: dict.fromkeys(PAR_DAYS, ZERO))

    def add(self, loan: Loan, late_days: int) -> None:
        self.loans += 1
        self.principal_outstanding += loan.principal_outstanding
        self.total_outstanding += loan.total_outstanding
        for threshold in self.at_risk:
            if is_past_due(late_days, more_than=threshold):
                self.at_risk[threshold] += loan.principal_outstanding

    def par(self, days: int) -> Decimal:
        """PAR<days>: a Decimal fraction, 4 places, ROUND_HALF_UP (0.1250 = 12.5 %); 0 without principal."""
        return par_ratio(self.at_risk[days], self.principal_outstanding)

    @property
    def par_percents(self) -> list[Decimal]:
        """PAR1, PAR30, PAR90 (the order of PAR_DAYS) in percent with 2 places: 12.50 = 12.5 %."""
        return [(self.par(days) * 100).quantize(CENT) for days in self.at_risk]

    @property
    def par1(self) -> Decimal:
        return self.par(1)

    @property
    def par30(self) -> Decimal:
        return self.par(30)

    @property
    def par90(self) -> Decimal:
        return self.par(90)


@dataclass(frozen=True)
class PortfolioReport:
    as_of: datetime.date
    group_by: str
    rows: list[PortfolioRow]
    total: PortfolioRow


def _group_of(loan: Loan, group_by: str) -> tuple[tuple, str]:
    """(sort key, label) of the loan's group; loans without a program come last."""
    if group_by == GROUP_BY_REGION:
        label = loan.member.region.name
    elif group_by == GROUP_BY_PRODUCT:
        label = loan.product.name
    elif loan.program is None:
        return (1, ""), _("No program")
    else:
        label = f"{loan.program.code} – {loan.program.name}"
    return (0, label.casefold()), label


def portfolio_report(
    *, as_of: datetime.date, regions: QuerySet[Region] | Iterable[Region], group_by: str
) -> PortfolioReport:
    """The credit portfolio of the members of `regions` on `as_of`, grouped by region, program or product,
    with a total: loans, outstanding principal, total outstanding (principal, interest, fees, penalties),
    and PAR1, PAR30, PAR90.

    The portfolio on a date: loans disbursed by then with something outstanding then, i.e. neither repaid
    in full nor written off by then (a loan closed or written off later still counts on earlier dates).
    Balances and days past due read only the transactions and charges dated by `as_of`; a reversal dated
    later does not cancel its original yet. PAR<N> = outstanding principal of the loans more than N days
    past due / outstanding principal of all of them: the whole outstanding principal of a late loan counts.

    Cost: two queries, three when some loan has fees or penalties, whatever the number of loans: the loans
    with their balances on the date (correlated subqueries) and the grouping's relation joined; their
    instalments; their charges. Then one pass in Python over each loan's schedule for days past due. On
    today's date (the current state) one aggregate query instead, grouped in SQL over the balances stored on
    the loans and their oldest unpaid due dates, which the credit services keep equal to the ledger as
    committed now (_portfolio_now). `regions` may be a lazy queryset, which stays a subquery. Raises
    ValueError for an unknown `group_by`.
    """
    if group_by not in GROUP_BY:
        raise ValueError(f"unknown grouping {group_by!r}")
    if as_of == timezone.localdate():
        return _portfolio_now(as_of=as_of, regions=regions, group_by=group_by)
    queryset = (
        annotate_balances(Loan.objects.filter(member__region__in=regions, disbursed_on__lte=as_of), as_of=as_of)
        .annotate(has_charges=has_charges(as_of))
        .filter(total_outstanding__gt=0)
        .select_related(_GROUP_RELATION[group_by])
        .order_by()
    )
    loans = list(with_schedule(queryset))
    charges = charges_by_loan(loans, as_of)
    groups: dict[tuple, PortfolioRow] = {}
    total = PortfolioRow(label=_("Total"))
    for loan in loans:
        late_days = days_past_due_of_annotated(loan, loan.instalments.all(), as_of, charges.get(loan.pk, ()))
        key, label = _group_of(loan, group_by)
        groups.setdefault(key, PortfolioRow(label=label)).add(loan, late_days)
        total.add(loan, late_days)
    return PortfolioReport(as_of=as_of, group_by=group_by, rows=[groups[key] for key in sorted(groups)], total=total)


# What each grouping reads to label its groups in SQL (see _group_of).
_GROUP_VALUES = {
    GROUP_BY_REGION: ("member__region_id", "member__region__name"),
    GROUP_BY_PROGRAM: ("program_id", "program__code", "program__name"),
    GROUP_BY_PRODUCT: ("product_id", "product__name"),
}


def _group_label(row: dict, group_by: str) -> tuple[tuple, str]:
    """(sort key, label) of a group read by _portfolio_now: what _group_of gives for its loans."""
    if group_by == GROUP_BY_REGION:
        label = row["member__region__name"]
    elif group_by == GROUP_BY_PRODUCT:
        label = row["product__name"]
    elif row["program_id"] is None:
        return (1, ""), _("No program")
    else:
        label = f"{row['program__code']} – {row['program__name']}"
    return (0, label.casefold()), label


def _portfolio_now(
    *, as_of: datetime.date, regions: QuerySet[Region] | Iterable[Region], group_by: str
) -> PortfolioReport:
    """portfolio_report on today's date from the stored balances (Loan.outstanding_*) and
    Loan.oldest_unpaid_due_on (credit.read_models): the loans with something outstanding now, grouped and
    summed in SQL. Equal to the ledger's report on that date, since no ledger row or charge is dated in the
    future. One query."""
    money = DecimalField(max_digits=16, decimal_places=2)

    def summed(field_name: str, **options) -> Coalesce:
        return Coalesce(Sum(field_name, output_field=money, **options), ZERO, output_field=money)

    rows = (
        Loan.objects.filter(member__region__in=regions, disbursed_on__lte=as_of, outstanding_total__gt=0)
        .order_by()
        .values(*_GROUP_VALUES[group_by])
        .annotate(
            loans=Count("pk"),
            principal=summed("outstanding_principal"),
            total=summed("outstanding_total"),
            **{
                f"late_{days}": summed("outstanding_principal", filter=is_past_due_q(as_of=as_of, more_than=days))
                for days in PAR_DAYS
            },
        )
    )
    groups: dict[tuple, PortfolioRow] = {}
    total = PortfolioRow(label=_("Total"))
    for row in rows:
        key, label = _group_label(row, group_by)
        for target in (groups.setdefault(key, PortfolioRow(label=label)), total):
            target.loans += row["loans"]
            target.principal_outstanding += schedule.to_cents(Decimal(row["principal"]))
            target.total_outstanding += schedule.to_cents(Decimal(row["total"]))
            for days in PAR_DAYS:
                target.at_risk[days] += schedule.to_cents(Decimal(row[f"late_{days}"]))
    return PortfolioReport(as_of=as_of, group_by=group_by, rows=[groups[key] for key in sorted(groups)], total=total)
