"""What an API client may see: the one place where the API's querysets are scoped.

- A partner token sees the programs its partner runs and, through them, the members enrolled in them
  (enrolment active or completed, cooperative.models.PARTNER_VISIBLE_ENROLMENTS; withdrawing a member
  withdraws their active enrolments, so they drop out) and those members' farms, whatever their
  region. Personal data only for members who consented to share with partners.
- A staff session sees what its roles' regions cover (as on the staff pages): programs touching those
  regions, members of those regions and their farms, with personal data.
- Certifications, visits and loans follow their member (through the farm for the first two), like farms.

Every queryset is lazy; the scope itself costs no query until one is evaluated (for staff, one query
to learn whether a role covers all regions, run when the scope is built; for a partner, one query for its
programs' ids, the first time its members are needed).
"""

from dataclasses import dataclass
from functools import cached_property

from django.db.models import Exists, OuterRef, QuerySet
from rest_framework.request import Request

from api.permissions import request_token
from certifications.models import Certification
from cooperative.access import has_role
from cooperative.models import AllianceProgram, Partner, ProgramEnrollment, Region, StaffRole
from cooperative.selectors import programs_in_scope, regions_in_scope
from credit.models import Loan
from members.models import Farm, FarmVisit, Member


@dataclass(frozen=True)
class ApiScope:
    """Either `partner` (a token) or `regions` (a staff user) is set, never both."""

    partner: Partner | None = None
    regions: QuerySet[Region] | None = None
    # Loan rows are credit data: partners (for their members), managers and credit officers.
    sees_loans: bool = True

    @classmethod
    def for_request(cls, request: Request) -> "ApiScope":
        token = request_token(request)
        if token is not None:
            return cls(partner=token.partner)
        return cls(
            regions=regions_in_scope(request.user),
            sees_loans=has_role(request.user, {StaffRole.Role.MANAGER, StaffRole.Role.CREDIT_OFFICER}),
        )

    @cached_property
    def partner_program_ids(self) -> tuple[int, ...]:
        """The ids of the partner's programs, read once (one query). The scope names them as values: through
        a join to the programs PostgreSQL cannot tell which program's enrolments it will get, estimates a few
        hundred members where there are tens of thousands, and builds the whole scope before each page."""
        return tuple(AllianceProgram.objects.filter(partner=self.partner).values_list("pk", flat=True))

    @property
    def is_partner(self) -> bool:
        return self.partner is not None

    def programs(self) -> QuerySet[AllianceProgram]:
        if self.partner is not None:
            return AllianceProgram.objects.filter(partner=self.partner)
        return programs_in_scope(self._regions())

    def members(self) -> QuerySet[Member]:
        if self.partner is not None:
            enrolled = ProgramEnrollment.objects.visible_to_partners().filter(
                member=OuterRef("pk"), program_id__in=self.partner_program_ids
            )
            return Member.objects.filter(Exists(enrolled))
        return Member.objects.filter(region__in=self._regions())

    def farms(self) -> QuerySet[Farm]:
        """Farms of the members in scope (a staff user: the member's region decides, as on the dashboard)."""
        if self.partner is not None:
            return Farm.objects.filter(member__in=self.members())
        return Farm.objects.filter(member__region__in=self._regions())

    def certifications(self) -> QuerySet[Certification]:
        """Certifications of the farms in scope."""
        if self.partner is not None:
            return Certification.objects.filter(farm__member__in=self.members())
        return Certification.objects.filter(farm__member__region__in=self._regions())

    def visits(self) -> QuerySet[FarmVisit]:
        """Visits to the farms in scope."""
        if self.partner is not None:
            return FarmVisit.objects.filter(farm__member__in=self.members())
        return FarmVisit.objects.filter(farm__member__region__in=self._regions())

    def loans(self) -> QuerySet[Loan]:
        """Loans of the members in scope, whichever program (if any) financed them."""
        if self.partner is not None:
            return Loan.objects.filter(member__in=self.members())
        if not self.sees_loans:
            return Loan.objects.none()
        return Loan.objects.filter(member__region__in=self._regions())

    def can_see_personal_data(self, member: Member) -> bool:
        """Names, DNI, phone, birth date and exact coordinates: staff always, partners with consent."""
        if self.partner is not None:
            return member.consents_to_share
        return True

    def _regions(self) -> QuerySet[Region]:
        return self.regions if self.regions is not None else Region.objects.none()
