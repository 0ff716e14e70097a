"""Writes for certifications. Every status a certification takes is recorded as a CertificationEvent.

The certification row keeps the current status in step with its events: both are written in the same
transaction, and only by these functions. Each of them also refreshes, in that transaction, which certification
is the farm's current one under the standard (`is_current`, certifications.read_models). The rules they apply
are in certifications.services.certification_rules.
"""

import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from certifications.models import (
    ALLOWED_TRANSITIONS,
    OPEN_STATUSES,
    Certification,
    CertificationEvent,
    CertificationStatus,
    ConversionStage,
    Standard,
)
from certifications.read_models import refresh_current_certification
from certifications.services.certification_rules import (
    certificate_terms,
    check_conversion_completed,
    check_conversion_stage,
    check_crop,
    check_expiry_date,
    check_farm_is_current,
    check_no_open_critical_non_conformity,
    read_only_history_message,
    retired_standard_message,
    stage_label,
    status_label,
    transition_error,
)
from certifications.services.errors import ErrorDict, add_error, check_not_future, check_reason, raise_if, short_date
from members.models import Farm

# Statuses under which the farm holds a certificate that can run out.
STATUSES_WITH_VALIDITY = (CertificationStatus.CERTIFIED, CertificationStatus.SANCTIONED, CertificationStatus.SUSPENDED)


def _lock_farm(farm: Farm) -> Farm:
    # Serialises the opening of certifications for one farm, so that two staff opening the same one at
    # once get the clear message below instead of an IntegrityError from the partial unique index.
    return Farm.objects.select_for_update(of=("self",)).select_related("member").get(pk=farm.pk)


def _record_event(
    *,
    certification: Certification,
    from_status: str,
    to_status: str,
    to_stage: str,
    occurred_on: datetime.date,
    reason: str,
    decided_by: AbstractBaseUser | None,
) -> CertificationEvent:
    event = CertificationEvent(
        certification=certification,
        from_status=from_status,
        to_status=to_status,
        to_stage=to_stage,
        occurred_on=occurred_on,
        reason=reason.strip(),
        decided_by=decided_by,
    )
    event.full_clean()
    event.save()
    return event


def _refresh_current(certification: Certification) -> None:
    # The farm's current certification under the standard may have changed with this write: refresh the read
    # model in the same transaction, and on the instance the service returns.
    current = refresh_current_certification(farm_id=certification.farm_id, standard_id=certification.standard_id)
    certification.is_current = current == certification.pk


def _save(certification: Certification, decided_by: AbstractBaseUser | None) -> None:
    certification.full_clean()
    if decided_by is not None:
        # Attributes the simple-history record to the person who decided, outside a request too.
        certification._history_user = decided_by
    certification.save()


@transaction.atomic
def certification_create(
    *,
    farm: Farm,
    standard: Standard,
    decided_by: AbstractBaseUser | None,
    occurred_on: datetime.date,
    reason: str,
    certifier: str = "",
    status: str = CertificationStatus.CANDIDATE,
    conversion_stage: str = "",
) -> Certification:
    """Open a farm's certification under a standard, as a candidate or (organic) in conversion at C1.

    Writes the certification and its first event. Locks the farm row until the transaction ends.
    Raises ValidationError for a standard that accepts nothing new (UTZ), a retired farm, a withdrawn
    member, a crop the standard does not cover, an open certification already there, or a future date.
    About a dozen queries, most of them full_clean's checks of foreign keys and constraints.
    """
    farm = _lock_farm(farm)
    errors: ErrorDict = {}

    if not standard.accepts_new_certifications:
        add_error(errors, "standard", retired_standard_message(standard))
    check_crop(errors, farm=farm, standard=standard)
    check_farm_is_current(errors, farm=farm, field="farm")
    open_one = (
        Certification.objects.filter(farm=farm, standard=standard, status__in=OPEN_STATUSES).only("status").first()
    )
    if open_one is not None:
        add_error(
            errors,
            "standard",
            _(
                "The farm %(farm)s already has an open %(standard)s certification (status: %(status)s). "
                "Change the status of that certification instead of opening another."
            )
            % {"farm": farm, "standard": standard.name, "status": open_one.get_status_display()},
        )

    if status == CertificationStatus.IN_CONVERSION:
        if not standard.requires_conversion:
            add_error(errors, "status", _("%(standard)s has no conversion period.") % {"standard": standard.name})
        elif conversion_stage != ConversionStage.C1:
            add_error(
                errors,
                "conversion_stage",
                _("A conversion starts at stage %(stage)s.") % {"stage": stage_label(ConversionStage.C1)},
            )
    elif status == CertificationStatus.CANDIDATE:
        if conversion_stage:
            add_error(
                errors, "conversion_stage", _("A conversion stage applies only to a certification in conversion.")
            )
    else:
        add_error(
            errors,
            "status",
            _("A certification opens as %(candidate)s or %(in_conversion)s; later statuses come from status changes.")
            % {
                "candidate": status_label(CertificationStatus.CANDIDATE),
                "in_conversion": status_label(CertificationStatus.IN_CONVERSION),
            },
        )
    check_not_future(errors, "occurred_on", occurred_on)
    check_reason(errors, reason)
    raise_if(errors)

    certification = Certification(
        farm=farm,
        standard=standard,
        status=status,
        conversion_stage=conversion_stage,
        certifier=certifier.strip(),
    )
    _save(certification, decided_by)
    _record_event(
        certification=certification,
        from_status="",
        to_status=status,
        to_stage=conversion_stage,
        occurred_on=occurred_on,
        reason=reason,
        decided_by=decided_by,
    )
    _refresh_current(certification)
    return certification


@transaction.atomic
def certification_change_status(
    *,
    certification: Certification,
    to_status: str,
    occurred_on: datetime.date,
    reason: str,
    decided_by: AbstractBaseUser | None,
    conversion_stage: str = "",
    certificate_number: str | None = None,
    valid_from: datetime.date | None = None,
    valid_until: datetime.date | None = None,
) -> Certification:
    """Move a certification to another status and record the event; return the updated certification.

    The row is locked (SELECT ... FOR UPDATE) so that two decisions cannot both start from the same status.
    Becoming certified needs a certificate number and valid_from; valid_until defaults to the standard's
    validity (the day before the anniversary). A reinstatement from sanctioned or suspended keeps the
    certificate already recorded unless new values are given. Becoming certified (reinstatement included)
    is refused while the farm has an open critical non-conformity under the standard. The object passed in
    is not modified: use the one returned. Raises ValidationError and writes nothing when the change is not
    allowed.
    About a dozen queries, most of them full_clean's checks of foreign keys and constraints.
    """
    certification = (
        Certification.objects.select_for_update(of=("self",))
        .select_related("standard__successor", "farm__member")
        .get(pk=certification.pk)
    )
    standard = certification.standard
    from_status = certification.status

    if to_status not in CertificationStatus.values:
        raise ValidationError({"to_status": _("Unknown certification status “%(status)s”.") % {"status": to_status}})
    if not standard.accepts_new_certifications and to_status != CertificationStatus.EXPIRED:
        raise ValidationError(read_only_history_message(standard), code="read_only_history")
    if to_status not in ALLOWED_TRANSITIONS[from_status]:
        raise transition_error(from_status, to_status)

    facts = certification.events.aggregate(
        last_on=Max("occurred_on"), times_certified=Count("id", filter=Q(to_status=CertificationStatus.CERTIFIED))
    )
    last_on: datetime.date | None = facts["last_on"]
    errors: ErrorDict = {}

    check_reason(errors, reason)
    check_not_future(errors, "occurred_on", occurred_on)
    if last_on is not None and occurred_on < last_on:
        add_error(
            errors,
            "occurred_on",
            _("The date cannot be before the last recorded change of this certification (%(date)s).")
            % {"date": short_date(last_on)},
        )
    if to_status in (CertificationStatus.IN_CONVERSION, CertificationStatus.CERTIFIED):
        check_farm_is_current(errors, farm=certification.farm, field="to_status")

    if to_status == CertificationStatus.IN_CONVERSION:
        check_conversion_stage(errors, certification=certification, conversion_stage=conversion_stage)
    elif conversion_stage:
        add_error(errors, "conversion_stage", _("A conversion stage applies only to a certification in conversion."))

    if to_status == CertificationStatus.CERTIFIED:
        if standard.requires_conversion:
            check_conversion_completed(errors, certification=certification)
        check_no_open_critical_non_conformity(errors, certification=certification)
        if (
            from_status in (CertificationStatus.SANCTIONED, CertificationStatus.SUSPENDED)
            and not facts["times_certified"]
        ):
            add_error(
                errors,
                "to_status",
                _("This certification was never certified, so it cannot be reinstated as certified."),
            )
        certificate_number, valid_from, valid_until = certificate_terms(
            errors,
            certification=certification,
            occurred_on=occurred_on,
            certificate_number=certificate_number,
            valid_from=valid_from,
            valid_until=valid_until,
        )
    else:
        for field, value in (
            ("certificate_number", certificate_number),
            ("valid_from", valid_from),
            ("valid_until", valid_until),
        ):
            if value is not None:
                add_error(
                    errors,
                    field,
                    _("Certificate details are recorded only when the certification becomes %(certified)s.")
                    % {"certified": status_label(CertificationStatus.CERTIFIED)},
                )

    if to_status == CertificationStatus.EXPIRED:
        check_expiry_date(errors, certification=certification, occurred_on=occurred_on, last_on=last_on)
    raise_if(errors)

    certification.status = to_status
    certification.conversion_stage = conversion_stage if to_status == CertificationStatus.IN_CONVERSION else ""
    if to_status == CertificationStatus.CERTIFIED:
        certification.certificate_number = certificate_number
        certification.valid_from = valid_from
        certification.valid_until = valid_until
    _save(certification, decided_by)
    _record_event(
        certification=certification,
        from_status=from_status,
        to_status=to_status,
        to_stage=certification.conversion_stage,
        occurred_on=occurred_on,
        reason=reason,
        decided_by=decided_by,
    )
    _refresh_current(certification)
    return certification


@transaction.atomic
def certification_import_history(
    *,
    farm: Farm,
    standard: Standard,
    certificate_number: str,
    certifier: str,
    valid_from: datetime.date,
    valid_until: datetime.date,
    recorded_by: AbstractBaseUser | None,
    reason: str,
) -> Certification:
    """Record a certificate that has already ended, as an expired certification with its two events.

    Any standard is accepted, UTZ included: this is how UTZ history enters the system. The farm may be
    retired and its member withdrawn (it is history). Writes a certified event on valid_from and an expired
    event on valid_until. Refuses a certificate still valid today or one overlapping another certificate
    of the same farm and standard.
    """
    farm = _lock_farm(farm)
    errors: ErrorDict = {}
    today = timezone.localdate()

    if not certificate_number.strip():
        add_error(errors, "certificate_number", _("Give the certificate number."))
    check_reason(errors, reason)
    check_crop(errors, farm=farm, standard=standard)
    if valid_until < valid_from:
        add_error(errors, "valid_until", _("The end of validity cannot be before its start."))
    elif valid_until >= today:
        add_error(
            errors,
            "valid_until",
            _(
                "Only a certificate whose validity has ended can be imported as history; this one is valid "
                "until %(date)s."
            )
            % {"date": short_date(valid_until)},
        )
    else:
        overlapping = Certification.objects.filter(
            farm=farm, standard=standard, valid_from__lte=valid_until, valid_until__gte=valid_from
        ).first()
        if overlapping is not None:
            add_error(
                errors,
                "valid_from",
                _(
                    "The farm %(farm)s already has a %(standard)s certificate for part of this period "
                    "(%(number)s, %(start)s to %(end)s)."
                )
                % {
                    "farm": farm,
                    "standard": standard.name,
                    "number": overlapping.certificate_number or "–",
                    "start": short_date(overlapping.valid_from),
                    "end": short_date(overlapping.valid_until),
                },
            )
    raise_if(errors)

    certification = Certification(
        farm=farm,
        standard=standard,
        status=CertificationStatus.EXPIRED,
        certificate_number=certificate_number.strip(),
        certifier=certifier.strip(),
        valid_from=valid_from,
        valid_until=valid_until,
    )
    _save(certification, recorded_by)
    _record_event(
        certification=certification,
        from_status="",
        to_status=CertificationStatus.CERTIFIED,
        to_stage="",
        occurred_on=valid_from,
        reason=reason,
        decided_by=recorded_by,
    )
    _record_event(
        certification=certification,
        from_status=CertificationStatus.CERTIFIED,
        to_status=CertificationStatus.EXPIRED,
        to_stage="",
        occurred_on=valid_until,
        reason=_("Validity ended"),
        decided_by=recorded_by,
    )
    _refresh_current(certification)
    return certification


@transaction.atomic
def certification_expire_due(*, as_of: datetime.date, decided_by: AbstractBaseUser | None = None) -> int:
    """Expire every certificate whose validity ended before as_of; return how many were expired.

    Each expiry is dated on valid_until (or on the last recorded change, if that is later) and goes
    through certification_change_status, so it costs a handful of queries per certification. The due
    rows stay locked until the transaction ends.
    """
    if as_of > timezone.localdate():
        raise ValidationError({"as_of": _("The date cannot be in the future.")})
    last_event_on = (
        CertificationEvent.objects.filter(certification=OuterRef("pk"))
        .order_by("-occurred_on")
        .values("occurred_on")[:1]
    )
    due = (
        Certification.objects.select_for_update(of=("self",))
        .filter(status__in=STATUSES_WITH_VALIDITY, valid_until__lt=as_of)
        .annotate(last_event_on=Subquery(last_event_on))
        .order_by("pk")
    )
    count = 0
    for certification in due:
        occurred_on = certification.valid_until
        if certification.last_event_on and certification.last_event_on > occurred_on:
            occurred_on = certification.last_event_on
        certification_change_status(
            certification=certification,
            to_status=CertificationStatus.EXPIRED,
            occurred_on=occurred_on,
            reason=_("Validity ended"),
            decided_by=decided_by,
        )
        count += 1
    return count
