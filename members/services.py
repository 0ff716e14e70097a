"""Writes for members, farms and farm visits. Staff pages, the API, imports and commands call these."""

import datetime
import enum
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cooperative.models import AllianceProgram, ProgramEnrollment
from members.eudr.status import refresh_eudr_status
from members.models import PESTS_BY_CROP, Farm, FarmVisit, Member, VisitPestObservation, VisitPhoto
from members.photos import resize_photos
from members.read_models import refresh_active_hectares
from members.signals import member_withdrawn

MEMBER_FIELDS = frozenset(
    {
        "code",
        "first_names",
        "last_names",
        "dni",
        "gender",
        "birth_date",
        "phone",
        "region",
        "district",
        "community",
        "ubigeo",
        "ubigeo_source",
        "joined_on",
        "status",
        "consents_to_share",
        "consent_date",
    }
)
FARM_FIELDS = frozenset(
    {
        "name",
        "region",
        "district",
        "community",
        "hectares",
        "crop",
        "varieties",
        "altitude_m",
        "latitude",
        "longitude",
        "boundary",
        "planted_year",
        "previous_crop",
        "crop_changed_on",
        "estimated_production_kg",
        "production_quantity",
        "production_unit",
        "status",
    }
)


def _check_fields(values: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = set(values) - allowed
    if unknown:
        raise TypeError(f"Unknown fields: {', '.join(sorted(unknown))}")


def _save(obj) -> None:
    """Validate and save; a race that slips past full_clean's unique checks still ends as a ValidationError."""
    obj.full_clean()
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:
        # A concurrent save won a uniqueness race after full_clean() passed; the details stay in the log.
        raise ValidationError(_("This record conflicts with one saved at the same time. Please try again.")) from exc


@transaction.atomic
def member_create(**values: Any) -> Member:
    """Register a member. Raises ValidationError (field messages) and writes nothing on bad input."""
    _check_fields(values, MEMBER_FIELDS)
    if values.get("status") == Member.Status.WITHDRAWN:
        raise ValidationError({"status": _("A new member cannot be registered as withdrawn.")})
    member = Member(**values)
    _save(member)
    return member


@transaction.atomic
def member_update(*, member: Member, **values: Any) -> Member:
    """Change a member's profile. Withdrawal goes through member_withdraw (it needs a date and reason)."""
    _check_fields(values, MEMBER_FIELDS - {"code"})
    member = Member.objects.select_for_update().get(pk=member.pk)
    if values.get("status") == Member.Status.WITHDRAWN and member.status != Member.Status.WITHDRAWN:
        raise ValidationError({"status": _("Use the withdrawal action: it records the date and the reason.")})
    for name, value in values.items():
        setattr(member, name, value)
    _save(member)
    return member


@transaction.atomic
def member_withdraw(
    *, member: Member, withdrawn_on: datetime.date, reason: str, decided_by: AbstractBaseUser | None = None
) -> Member:
    """Withdraw a member (never a delete): status, date and reason are kept in the history.

    In the same transaction the member's active program enrolments become withdrawn, and member_withdrawn
    is sent (members.signals): the apps above follow, e.g. the member's open certifications are withdrawn
    (certifications.receivers). A receiver that raises undoes the whole withdrawal.
    """
    member = Member.objects.select_for_update().get(pk=member.pk)
    if member.status == Member.Status.WITHDRAWN:
        raise ValidationError(_("The member is already withdrawn."))
    if not reason.strip():
        raise ValidationError({"withdrawal_reason": _("Give the reason for the withdrawal.")})
    if withdrawn_on > timezone.localdate():
        raise ValidationError({"withdrawn_on": _("The withdrawal date cannot be in the future.")})
    if withdrawn_on < member.joined_on:
        raise ValidationError({"withdrawn_on": _("The withdrawal date cannot be before the member joined.")})
    member.status = Member.Status.WITHDRAWN
    member.withdrawn_on = withdrawn_on
    member.withdrawal_reason = reason.strip()
    _save(member)
    for enrollment in ProgramEnrollment.objects.filter(member=member, status=ProgramEnrollment.Status.ACTIVE):
        enrollment.status = ProgramEnrollment.Status.WITHDRAWN
        enrollment.save(update_fields=["status", "updated_at"])
    member_withdrawn.send(sender=Member, member=member, decided_by=decided_by)
    return member


@transaction.atomic
def farm_create(*, member: Member, **values: Any) -> Farm:
    """Register a farm (plot) of a member. Production typed in qq or bags is stored in kilograms too."""
    _check_fields(values, FARM_FIELDS)
    # Locked so a withdrawal running at the same time cannot slip a farm onto a withdrawn member.
    member = Member.objects.select_for_update().get(pk=member.pk)
    if member.status == Member.Status.WITHDRAWN:
        raise ValidationError(_("A withdrawn member cannot register new farms."))
    if "region" not in values:
        values["region"] = member.region
    farm = Farm(member=member, **values)
    _save(farm)
    refresh_active_hectares([member.pk])
    _refresh_eudr_status(farm)
    return farm


@transaction.atomic
def farm_update(*, farm: Farm, **values: Any) -> Farm:
    _check_fields(values, FARM_FIELDS)
    farm = Farm.objects.select_for_update().get(pk=farm.pk)
    for name, value in values.items():
        setattr(farm, name, value)
    _save(farm)
    if {"hectares", "status"} & set(values):
        refresh_active_hectares([farm.member_id])
    _refresh_eudr_status(farm)
    return farm


def _refresh_eudr_status(farm: Farm) -> None:
    """The farm's stored EUDR status, and its overlapping neighbours' (a retired farm no longer counts as an
    overlap), after a write of its hectares, point, boundary or status. Two queries (the UPDATE, the reread)."""
    refresh_eudr_status([farm.pk])
    farm.refresh_from_db(fields=["eudr_status"])


class VisitOutcome(enum.Enum):
    """What visit_record did with an upload."""

    CREATED = "created"
    # The same technician sent the same visit again (a retry after a lost answer): nothing written.
    REPLAYED = "replayed"
    # The same technician sent the UUID again with other content: nothing written, the stored visit wins.
    REPLAY_DIFFERS = "replay_differs"
    # The UUID belongs to another user's visit: nothing written, and that visit is not returned.
    UUID_TAKEN = "uuid_taken"


@dataclass(frozen=True)
class VisitRecordResult:
    outcome: VisitOutcome
    # The stored visit; None only for UUID_TAKEN, so no caller can hand another user's visit out.
    visit: FarmVisit | None

    @property
    def created(self) -> bool:
        return self.outcome is VisitOutcome.CREATED


@transaction.atomic
def visit_record(
    *,
    client_uuid: uuid.UUID,
    farm: Farm,
    technician: AbstractBaseUser,
    visited_on: datetime.date,
    purpose: str,
    practices_observed: list[str] | None = None,
    pests: dict[str, int] | None = None,
    estimated_yield_kg: Decimal | None = None,
    recommendations: str = "",
    follow_up_on: datetime.date | None = None,
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    photos: Sequence[UploadedFile] = (),
) -> VisitRecordResult:
    """Store a farm visit once per client UUID. The one place that decides what a repeated UUID means.

    - A new UUID: the visit is validated and stored with its pests and photos (CREATED).
    - A UUID this technician already stored: nothing is written and the stored visit is returned, as
      REPLAYED when the content is the same (a phone that lost the answer and sent again) or as
      REPLAY_DIFFERS when it is not (the phone changed the visit after it was stored), so the caller can
      tell the phone its changes were not kept. The replay is settled before any other check: a retry
      is answered even when the farm was retired since.
    - A UUID of another user's visit: UUID_TAKEN, without that visit.

    Photos are not compared: the server keeps only resized re-encodings (so sameness cannot be told from
    the bytes) and a phone may retry without them; a replay's photos are neither decoded nor stored.
    Two concurrent uploads of one UUID are settled by the unique constraint on client_uuid and the loser
    is answered like a replay. Photos are resized before anything is written, so a bad photo refuses the
    whole visit and stores nothing. Queries: two for a replay (the visit, its pests); for a new visit, the
    lookup, the insert, one per pest and one per photo.
    """
    pests = pests or {}
    visit = FarmVisit(
        client_uuid=client_uuid,
        farm=farm,
        technician=technician,
        visited_on=visited_on,
        purpose=purpose,
        practices_observed=practices_observed or [],
        estimated_yield_kg=estimated_yield_kg,
        recommendations=recommendations,
        follow_up_on=follow_up_on,
        latitude=latitude,
        longitude=longitude,
    )
    replay = _replay_of(visit, sent_pests=pests)
    if replay is not None:
        return replay
    if farm.status != Farm.Status.ACTIVE:
        raise ValidationError({"farm": _("The farm is retired; visits can no longer be recorded on it.")})
    allowed_pests = PESTS_BY_CROP.get(farm.crop, set())
    pest_errors = [code for code in pests if code not in allowed_pests]
    if pest_errors:
        raise ValidationError(
            {
                "pests": _("Not a pest or disease of %(crop)s: %(codes)s")
                % {"crop": farm.get_crop_display(), "codes": ", ".join(pest_errors)}
            }
        )
    bad_severity = [code for code, severity in pests.items() if not (isinstance(severity, int) and 0 <= severity <= 3)]
    if bad_severity:
        raise ValidationError({"pests": _("Severity goes from 0 (absent) to 3 (severe).")})
    visit.full_clean(validate_unique=False)
    resized = resize_photos(photos)
    try:
        with transaction.atomic():
            visit.save()
    except IntegrityError:
        # Another upload of the same UUID committed between the lookup above and this insert (the unique
        # constraint made this one wait for it): answer as the replay it is.
        replay = _replay_of(visit, sent_pests=pests)
        if replay is None:
            raise
        return replay
    for code, severity in sorted(pests.items()):
        VisitPestObservation.objects.create(visit=visit, pest=code, severity=severity)
    for position, content in enumerate(resized, start=1):
        VisitPhoto.objects.create(visit=visit, position=position, image=content)
    return VisitRecordResult(VisitOutcome.CREATED, visit)


def _replay_of(sent: FarmVisit, *, sent_pests: dict[str, int]) -> VisitRecordResult | None:
    """None when no visit is stored under the sent visit's UUID; otherwise what the upload is: the same user's
    replay (same content or not), or a taken UUID. Queries: the stored visit, then its pests if it is the
    same user's."""
    stored = FarmVisit.objects.filter(client_uuid=sent.client_uuid).first()
    if stored is None:
        return None
    if stored.technician_id != sent.technician_id:
        return VisitRecordResult(VisitOutcome.UUID_TAKEN, None)
    stored_pests = dict(stored.pest_observations.values_list("pest", "severity"))
    same = _visit_content(stored, stored_pests) == _visit_content(sent, sent_pests)
    return VisitRecordResult(VisitOutcome.REPLAYED if same else VisitOutcome.REPLAY_DIFFERS, stored)


# What makes two uploads of one UUID the same visit, besides the practices and the pests. Photos are left
# out on purpose (see visit_record).
VISIT_CONTENT_FIELDS = (
    "farm_id",
    "visited_on",
    "purpose",
    "estimated_yield_kg",
    "recommendations",
    "follow_up_on",
    "latitude",
    "longitude",
)


def _visit_content(visit: FarmVisit, pests: dict[str, int]) -> tuple:
    """A visit's meaningful content as a value that compares equal for the same visit: decimals compare by
    value (850.5 is 850.50) and the practices are sorted (the phone lists them in the page's order)."""
    return (*(getattr(visit, name) for name in VISIT_CONTENT_FIELDS), sorted(visit.practices_observed), pests)


# -- program enrolments ----------------------------------------------------------------------------------------


@transaction.atomic
def enrollment_create(*, program: AllianceProgram, member: Member, enrolled_on: datetime.date) -> ProgramEnrollment:
    """Enrol a member in a program (once per program and member)."""
    if member.status != Member.Status.ACTIVE:
        raise ValidationError({"member": _("Only active members can be enrolled.")})
    if enrolled_on > timezone.localdate():
        raise ValidationError({"enrolled_on": _("The enrolment date cannot be in the future.")})
    if not program.regions.filter(pk=member.region_id).exists():
        raise ValidationError({"member": _("The member's region is not covered by this program.")})
    if ProgramEnrollment.objects.filter(program=program, member=member).exists():
        raise ValidationError({"member": _("The member is already enrolled in this program.")})
    enrollment = ProgramEnrollment(program=program, member=member, enrolled_on=enrolled_on)
    enrollment.full_clean()
    try:
        with transaction.atomic():
            enrollment.save()
    except IntegrityError:
        # Someone enrolled the same member between the check above and this insert.
        raise ValidationError({"member": _("The member is already enrolled in this program.")}) from None
    return enrollment


@transaction.atomic
def enrollments_create(*, program: AllianceProgram, members: Iterable[Member], enrolled_on: datetime.date) -> int:
    """Enrol several members in one transaction: all of them, or none when one is refused.

    Returns how many were enrolled. A member enrolled by someone else meanwhile ends the whole batch with a
    ValidationError (nothing written). Cost: enrollment_create's few queries per member.
    """
    count = 0
    try:
        with transaction.atomic():
            for member in members:
                enrollment_create(program=program, member=member, enrolled_on=enrolled_on)
                count += 1
    except IntegrityError:
        raise ValidationError(
            _("Another user enrolled members at the same time. Nothing was written; try again.")
        ) from None
    return count
