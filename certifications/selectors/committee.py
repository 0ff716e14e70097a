"""Reads of the approval committee's pages: open certifications with their inspection facts, a
certification's dossier, sanctions, group certificates. Each selector owns its joins and states its cost.

Scope: a certification belongs to its farm's member's region (as members.selectors.farms_in_scope); a user
sees the certifications of the regions their roles cover. Group certificates are cooperative-wide.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from certifications.models import (
    OPEN_STATUSES,
    CafeVerification,
    Certification,
    CertificationEvent,
    GroupCertificate,
    Inspection,
    NonConformity,
    Sanction,
)
from cooperative.access import ICS_MANAGERS, has_role
from cooperative.models import Region
from cooperative.selectors import regions_in_scope

# A group certificate ending within this many days (or already ended) is shown as a warning.
EXPIRY_WARNING_DAYS = 60


def certifications_in_scope(user: AbstractBaseUser, roles: Iterable[str] | None = None) -> QuerySet[Certification]:
    """Certifications of the farms whose member is in the regions the user's roles (all, or only `roles`)
    cover. One query (the scope check); the regions stay a subquery of the lazy queryset."""
    return Certification.objects.filter(farm__member__region__in=regions_in_scope(user, roles))


def certifications_to_decide(user: AbstractBaseUser) -> QuerySet[Certification]:
    """Certifications of the regions the user's ICS manager roles cover, farm, member and standard joined (what
    the decision forms show). Lazy: the scope check now, the row when read."""
    return certifications_in_scope(user, ICS_MANAGERS).select_related("farm__member", "standard")


def can_decide(*, user: AbstractBaseUser, certification: Certification) -> bool:
    """Whether the user is an ICS manager of the certification's region. Up to three queries (the role, the
    scope check, the certification)."""
    return (
        has_role(user, ICS_MANAGERS)
        and certifications_in_scope(user, ICS_MANAGERS).filter(pk=certification.pk).exists()
    )


def _count(queryset: QuerySet) -> Coalesce:
    """COUNT(*) of a correlated queryset, as a subquery (0 when it has no row)."""
    counted = queryset.order_by().values("farm_id").annotate(count=Count("id")).values("count")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def with_committee_facts(queryset: QuerySet[Certification]) -> QuerySet[Certification]:
    """Annotate each certification with what the committee looks at, as subqueries of the same query:
    `latest_inspection_on` and `latest_recommendation` (an Inspection.Recommendation value) of the farm's
    latest internal inspection covering the standard (None without one), `open_non_conformities` and
    `open_critical_non_conformities` of the farm under the standard."""
    latest = Inspection.objects.filter(farm_id=OuterRef("farm_id"), standards=OuterRef("standard_id")).order_by(
        "-inspected_on", "-id"
    )
    open_ones = NonConformity.objects.filter(
        farm_id=OuterRef("farm_id"), standard_id=OuterRef("standard_id"), closed_on__isnull=True
    )
    return queryset.annotate(
        latest_inspection_on=Subquery(latest.values("inspected_on")[:1]),
        latest_recommendation=Subquery(latest.values("recommendation")[:1]),
        open_non_conformities=_count(open_ones),
        open_critical_non_conformities=_count(open_ones.filter(severity=NonConformity.Severity.CRITICAL)),
    )


def committee_certifications(*, regions: QuerySet[Region]) -> QuerySet[Certification]:
    """The open certifications of the farms whose member is in `regions`, by member code and standard, with
    farm, member, member's region and standard joined and the committee facts annotated
    (with_committee_facts). One query however many rows (a paginator adds a COUNT)."""
    return with_committee_facts(
        Certification.objects.filter(farm__member__region__in=regions, status__in=sorted(OPEN_STATUSES))
        .select_related("farm__member__region", "standard")
        .order_by("farm__member__code", "farm__name", "standard__name", "pk")
    )


@dataclass(frozen=True)
class CertificationDossier:
    """What the committee reads before deciding on a certification."""

    certification: Certification  # with_committee_facts annotated
    events: list[CertificationEvent]  # newest first, `decided_by` and `sanction` joined
    sanctions: list[Sanction]  # newest first
    cafe_verifications: list[CafeVerification]  # newest first
    open_non_conformities: list[NonConformity]  # the farm's under the standard, soonest deadline first


def certification_dossier(*, certification: Certification) -> CertificationDossier:
    """The certification's events, sanctions, C.A.F.E. verifications and open non-conformities: four
    queries, however many rows. `certification` should come from certification_for_detail."""
    events = list(certification.events.select_related("decided_by", "sanction").order_by("-occurred_on", "-id"))
    sanctions = list(
        certification.sanctions.select_related("decided_by", "non_conformity__requirement").order_by(
            "-starts_on", "-id"
        )
    )
    verifications = list(certification.cafe_verifications.order_by("-verified_on", "-id"))
    open_non_conformities = list(
        NonConformity.objects.filter(
            farm_id=certification.farm_id, standard_id=certification.standard_id, closed_on__isnull=True
        )
        .select_related("requirement", "inspection")
        .order_by("deadline", "id")
    )
    return CertificationDossier(
        certification=certification,
        events=events,
        sanctions=sanctions,
        cafe_verifications=verifications,
        open_non_conformities=open_non_conformities,
    )


def certification_for_detail(queryset: QuerySet[Certification]) -> QuerySet[Certification]:
    """Certifications with farm, member, regions and standard joined and the committee facts annotated."""
    return with_committee_facts(queryset.select_related("farm__member__region", "farm__region", "standard"))


def sanctions_in_scope(user: AbstractBaseUser, roles: Iterable[str] | None = None) -> QuerySet[Sanction]:
    """Sanctions on the certifications of certifications_in_scope. One query (the scope check)."""
    return Sanction.objects.filter(certification__farm__member__region__in=regions_in_scope(user, roles))


def sanctions_to_lift(user: AbstractBaseUser) -> QuerySet[Sanction]:
    """Sanctions of the regions the user's ICS manager roles cover, with the certification's farm, member and
    standard joined. Lazy: the scope check now, the row when read."""
    return sanctions_in_scope(user, ICS_MANAGERS).select_related(
        "certification__farm__member", "certification__standard"
    )


def active_sanctions_condition(as_of: datetime.date | None = None) -> Q:
    """A sanction applies from its start until the day before its end (ends_on is the day it stops)."""
    as_of = as_of or timezone.localdate()
    return Q(starts_on__lte=as_of) & (Q(ends_on__isnull=True) | Q(ends_on__gt=as_of))


def sanctions_for_list(*, regions: QuerySet[Region]) -> QuerySet[Sanction]:
    """Sanctions on the certifications of the farms whose member is in `regions`, newest first, with the
    certification's farm, member, region and standard, who decided and the non-conformity's requirement
    joined. One query however many rows (a paginator adds a COUNT)."""
    return (
        Sanction.objects.filter(certification__farm__member__region__in=regions)
        .select_related(
            "certification__farm__member__region",
            "certification__standard",
            "decided_by",
            "non_conformity__requirement",
        )
        .order_by("-starts_on", "-id")
    )


@dataclass(frozen=True)
class GroupCertificateRow:
    certificate: GroupCertificate
    days_left: int  # negative once expired: valid_until is the last valid day
    warning: bool  # ends within EXPIRY_WARNING_DAYS, or has ended

    @property
    def expired(self) -> bool:
        return self.days_left < 0


def group_certificates_with_standard() -> QuerySet[GroupCertificate]:
    """Group certificates with their standard joined. Lazy: one query when read."""
    return GroupCertificate.objects.select_related("standard")


def group_certificates_for_list(*, as_of: datetime.date | None = None) -> list[GroupCertificateRow]:
    """Every group certificate with its days left on `as_of` (default today): those still valid first,
    soonest to end first, then the ended ones, latest first. One query, standard joined."""
    as_of = as_of or timezone.localdate()
    rows = [
        GroupCertificateRow(
            certificate=certificate,
            days_left=(certificate.valid_until - as_of).days,
            warning=(certificate.valid_until - as_of).days <= EXPIRY_WARNING_DAYS,
        )
        for certificate in GroupCertificate.objects.select_related("standard").order_by("valid_until", "pk")
    ]
    current = [row for row in rows if not row.expired]
    ended = [row for row in reversed(rows) if row.expired]
    return current + ended
