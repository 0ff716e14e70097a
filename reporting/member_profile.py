"""The member page's file: the member's farms with their certifications, loans with balances and next
instalment, recent visits and program enrolments. It reads from members, certifications and credit, so it
sits above them."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch

from certifications.models import Certification, CertificationEvent
from cooperative.models import ProgramEnrollment
from credit import schedule
from credit.models import Instalment, Loan
from credit.selectors import loans_with_outstanding
from members.models import Farm, FarmVisit, Member
from members.selectors import notable_pests

RECENT_VISITS = 10
# Production estimates are shown in kilograms (stored), quintals of 46 kg and 69 kg export bags.
QUINTAL_KG = Farm.UNIT_KG[Farm.ProductionUnit.QUINTAL]
EXPORT_BAG_KG = Farm.UNIT_KG[Farm.ProductionUnit.EXPORT_BAG]
ONE_DECIMAL = Decimal("0.1")


@dataclass(frozen=True)
class LoanSummary:
    """A loan with its ledger balance (the annotations of credit.selectors.annotate_balances on `loan`) and
    the first instalment not yet fully paid."""

    loan: Loan
    next_instalment: schedule.InstalmentPaid | None

    @property
    def next_due_on(self) -> datetime.date | None:
        return self.next_instalment.instalment.due_on if self.next_instalment else None


@dataclass(frozen=True)
class MemberProfile:
    member: Member
    # Each farm has `certification_list` (every certification, current and closed, with `event_list`),
    # `production_qq` and `production_bags`.
    farms: list[Farm]
    loans: list[LoanSummary]
    recent_visits: list[FarmVisit]
    enrollments: list[ProgramEnrollment]

    @property
    def has_certifications(self) -> bool:
        return any(farm.certification_list for farm in self.farms)


def _per_unit(kg: Decimal | None, unit_kg: Decimal) -> Decimal | None:
    return None if kg is None else (kg / unit_kg).quantize(ONE_DECIMAL)


def member_profile(*, member: Member, recent_visits: int = RECENT_VISITS) -> MemberProfile:
    """Everything the member page shows besides the profile itself. Eight queries, however many farms,
    certifications, events, loans, instalments and visits: farms, their certifications, the events of
    those, loans with balances, their instalments, the latest visits, their pests at NOTABLE_SEVERITY or
    above (`notable_pests`), the program enrolments."""
    events = CertificationEvent.objects.select_related("decided_by").order_by("occurred_on", "id")
    certifications = (
        Certification.objects.select_related("standard")
        .prefetch_related(Prefetch("events", queryset=events, to_attr="event_list"))
        .order_by("standard__name", "-pk")
    )
    farms = list(
        Farm.objects.filter(member=member)
        .select_related("region")
        .prefetch_related(Prefetch("certifications", queryset=certifications, to_attr="certification_list"))
        .order_by("status", "name")
    )
    for farm in farms:
        farm.member = member  # str(farm) and links need the member: it is the one already loaded
        farm.production_qq = _per_unit(farm.estimated_production_kg, QUINTAL_KG)
        farm.production_bags = _per_unit(farm.estimated_production_kg, EXPORT_BAG_KG)

    loans = (
        loans_with_outstanding(Loan.objects.filter(member=member))
        .prefetch_related(Prefetch("instalments", queryset=Instalment.objects.order_by("due_on", "number")))
        .order_by("-submitted_on", "-id")
    )
    loan_summaries = []
    for loan in loans:
        allocation = schedule.allocate_paid(
            loan.instalments.all(), principal_paid=loan.principal_paid, interest_paid=loan.interest_paid
        )
        loan_summaries.append(LoanSummary(loan, next((paid for paid in allocation if not paid.is_paid), None)))

    visits = list(
        FarmVisit.objects.filter(farm__member=member)
        .select_related("farm", "technician")
        .prefetch_related(notable_pests())
        .order_by("-visited_on", "-id")[:recent_visits]
    )
    enrollments = list(member.enrollments.select_related("program").order_by("-enrolled_on", "-id"))
    return MemberProfile(
        member=member, farms=farms, loans=loan_summaries, recent_visits=visits, enrollments=enrollments
    )
