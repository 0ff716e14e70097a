"""Writes for certifications. Every status a certification takes is recorded as a CertificationEvent.

The certification row keeps the current status in step with its events: both are written in the same
transaction, and only by these functions.
"""

import calendar
import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from certifications.models import (
    ALLOWED_TRANSITIONS,
    OPEN_STATUSES,
    TERMINAL_STATUSES,
    Certification,
    CertificationEvent,
    CertificationStatus,
    ConversionStage,
    NonConformity,
    Standard,
    StandardCode,
)
from cooperative.models import Crop
from members.models import Farm, Member

# C.A.F.E. Practices is Starbucks' coffee sourcing standard: a cocoa farm cannot be verified under it.
COFFEE_ONLY_STANDARDS = frozenset({StandardCode.CAFE_PRACTICES})

# Organic conversion of perennial crops takes three years, one stage per year (EU 2018/848).
NEXT_CONVERSION_STAGE = {ConversionStage.C1: ConversionStage.C2, ConversionStage.C2: ConversionStage.C3}

# Statuses under which the farm holds a certificate that can run out.
STATUSES_WITH_VALIDITY = (CertificationStatus.CERTIFIED, CertificationStatus.SANCTIONED, CertificationStatus.SUSPENDED)

ErrorDict = dict[str, list[str]]


def _label(status: str) -> str:
    return str(CertificationStatus(status).label)


def _stage_label(stage: str) -> str:
    return str(ConversionStage(stage).label)


def _date(value: datetime.date) -> str:
    return date_format(value, "SHORT_DATE_FORMAT")


def _add_error(errors: ErrorDict, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _raise_if(errors: ErrorDict) -> None:
    if errors:
        raise ValidationError(errors)


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def _default_valid_until(*, standard: Standard, valid_from: datetime.date) -> datetime.date:
    # valid_until is the last valid day: 36 months from 15 Jan 2026 runs to 14 Jan 2029 inclusive.
    return _add_months(valid_from, standard.validity_months) - datetime.timedelta(days=1)


def _retired_standard_message(standard: Standard) -> str:
    if standard.successor_id:
        return _(
            "%(standard)s merged into %(successor)s and accepts no new certifications. "
            "%(successor)s status comes only from a %(successor)s audit: open a %(successor)s certification "
            "as a candidate. A past %(standard)s certificate can be recorded as history."
        ) % {"standard": standard.name, "successor": standard.successor.name}
    return _(
        "%(standard)s accepts no new certifications. A past %(standard)s certificate can be recorded as history."
    ) % {"standard": standard.name}


def _read_only_history_message(standard: Standard) -> str:
    if standard.successor_id:
        return _(
            "%(standard)s merged into %(successor)s: %(standard)s records are read-only history and the only "
            "change allowed is recording their expiry. %(successor)s status comes only from a %(successor)s audit."
        ) % {"standard": standard.name, "successor": standard.successor.name}
    return _("%(standard)s records are read-only history; the only change allowed is recording their expiry.") % {
        "standard": standard.name
    }


def _check_crop(errors: ErrorDict, *, farm: Farm, standard: Standard) -> None:
    if standard.code in COFFEE_ONLY_STANDARDS and farm.crop != Crop.COFFEE:
        _add_error(
            errors,
            "standard",
            _("%(standard)s is a coffee-only standard; the farm %(farm)s grows %(crop)s.")
            % {"standard": standard.name, "farm": farm, "crop": farm.get_crop_display().lower()},
        )


def _check_farm_is_current(errors: ErrorDict, *, farm: Farm, field: str) -> None:
    if farm.status != Farm.Status.ACTIVE:
        _add_error(errors, field, _("The farm %(farm)s is retired.") % {"farm": farm})
    if farm.member.status == Member.Status.WITHDRAWN:
        _add_error(
            errors,
            field,
            _("%(member)s withdrew from the cooperative on %(date)s.")
            % {"member": farm.member, "date": _date(farm.member.withdrawn_on)},
        )


def _check_reason(errors: ErrorDict, reason: str) -> None:
    if not reason.strip():
        _add_error(errors, "reason", _("Give the reason for this decision."))


def _check_not_future(errors: ErrorDict, field: str, day: datetime.date) -> None:
    if day > timezone.localdate():
        _add_error(errors, field, _("The date cannot be in the future."))


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
        _add_error(errors, "standard", _retired_standard_message(standard))
    _check_crop(errors, farm=farm, standard=standard)
    _check_farm_is_current(errors, farm=farm, field="farm")
    open_one = (
        Certification.objects.filter(farm=farm, standard=standard, status__in=OPEN_STATUSES).only("status").first()
    )
    if open_one is not None:
        _add_error(
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
            _add_error(errors, "status", _("%(standard)s has no conversion period.") % {"standard": standard.name})
        elif conversion_stage != ConversionStage.C1:
            _add_error(
                errors,
                "conversion_stage",
                _("A conversion starts at stage %(stage)s.") % {"stage": _stage_label(ConversionStage.C1)},
            )
    elif status == CertificationStatus.CANDIDATE:
        if conversion_stage:
            _add_error(
                errors, "conversion_stage", _("A conversion stage applies only to a certification in conversion.")
            )
    else:
        _add_error(
            errors,
            "status",
            _("A certification opens as %(candidate)s or %(in_conversion)s; later statuses come from status changes.")
            % {
                "candidate": _label(CertificationStatus.CANDIDATE),
                "in_conversion": _label(CertificationStatus.IN_CONVERSION),
            },
        )
    _check_not_future(errors, "occurred_on", occurred_on)
    _check_reason(errors, reason)
    _raise_if(errors)

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
    return certification


def _transition_error(from_status: str, to_status: str) -> ValidationError:
    labels = {"from": _label(from_status), "to": _label(to_status)}
    if from_status in TERMINAL_STATUSES:
        return ValidationError(
            _(
                "A certification cannot go from “%(from)s” to “%(to)s”: “%(from)s” is final. "
                "Open a new certification instead."
            )
            % labels,
            code="transition",
        )
    allowed = ", ".join(
        f"“{_label(status)}”" for status in CertificationStatus.values if status in ALLOWED_TRANSITIONS[from_status]
    )
    return ValidationError(
        _("A certification cannot go from “%(from)s” to “%(to)s”. From “%(from)s” it can go to: %(allowed)s.")
        % {**labels, "allowed": allowed},
        code="transition",
    )


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
        raise ValidationError(_read_only_history_message(standard), code="read_only_history")
    if to_status not in ALLOWED_TRANSITIONS[from_status]:
        raise _transition_error(from_status, to_status)

    facts = certification.events.aggregate(
        last_on=Max("occurred_on"), times_certified=Count("id", filter=Q(to_status=CertificationStatus.CERTIFIED))
    )
    last_on: datetime.date | None = facts["last_on"]
    errors: ErrorDict = {}

    _check_reason(errors, reason)
    _check_not_future(errors, "occurred_on", occurred_on)
    if last_on is not None and occurred_on < last_on:
        _add_error(
            errors,
            "occurred_on",
            _("The date cannot be before the last recorded change of this certification (%(date)s).")
            % {"date": _date(last_on)},
        )
    if to_status in (CertificationStatus.IN_CONVERSION, CertificationStatus.CERTIFIED):
        _check_farm_is_current(errors, farm=certification.farm, field="to_status")

    if to_status == CertificationStatus.IN_CONVERSION:
        _check_conversion_stage(errors, certification=certification, conversion_stage=conversion_stage)
    elif conversion_stage:
        _add_error(errors, "conversion_stage", _("A conversion stage applies only to a certification in conversion."))

    if to_status == CertificationStatus.CERTIFIED:
        if standard.requires_conversion:
            _check_conversion_completed(errors, certification=certification)
        _check_no_open_critical_non_conformity(errors, certification=certification)
        if (
            from_status in (CertificationStatus.SANCTIONED, CertificationStatus.SUSPENDED)
            and not facts["times_certified"]
        ):
            _add_error(
                errors,
                "to_status",
                _("This certification was never certified, so it cannot be reinstated as certified."),
            )
        certificate_number, valid_from, valid_until = _certificate_terms(
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
                _add_error(
                    errors,
                    field,
                    _("Certificate details are recorded only when the certification becomes %(certified)s.")
                    % {"certified": _label(CertificationStatus.CERTIFIED)},
                )

    if to_status == CertificationStatus.EXPIRED:
        _check_expiry_date(errors, certification=certification, occurred_on=occurred_on, last_on=last_on)
    _raise_if(errors)

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
    return certification


def _check_conversion_stage(errors: ErrorDict, *, certification: Certification, conversion_stage: str) -> None:
    standard = certification.standard
    if not standard.requires_conversion:
        _add_error(errors, "to_status", _("%(standard)s has no conversion period.") % {"standard": standard.name})
        return
    if conversion_stage not in ConversionStage.values or not conversion_stage:
        _add_error(errors, "conversion_stage", _("Choose the conversion stage (C1, C2 or C3)."))
        return
    if certification.status == CertificationStatus.IN_CONVERSION:
        expected = NEXT_CONVERSION_STAGE.get(certification.conversion_stage)
        if expected is None:
            _add_error(
                errors,
                "conversion_stage",
                _("The farm is already at the last conversion stage (%(stage)s); the next step is certification.")
                % {"stage": _stage_label(certification.conversion_stage)},
            )
        elif conversion_stage != expected:
            _add_error(
                errors,
                "conversion_stage",
                _("Conversion advances one stage at a time: from %(current)s the next stage is %(next)s.")
                % {"current": _stage_label(certification.conversion_stage), "next": _stage_label(expected)},
            )
    elif conversion_stage != ConversionStage.C1:
        _add_error(
            errors,
            "conversion_stage",
            _("A conversion starts at stage %(stage)s.") % {"stage": _stage_label(ConversionStage.C1)},
        )


def _check_conversion_completed(errors: ErrorDict, *, certification: Certification) -> None:
    if certification.status == CertificationStatus.CANDIDATE:
        _add_error(
            errors,
            "to_status",
            _(
                "%(standard)s requires a conversion period: put the farm in conversion (stage C1) and complete "
                "stage C3 before certifying it."
            )
            % {"standard": certification.standard.name},
        )
    elif certification.status == CertificationStatus.IN_CONVERSION and (
        certification.conversion_stage != ConversionStage.C3
    ):
        _add_error(
            errors,
            "to_status",
            _(
                "%(standard)s requires the full conversion period: the farm is at %(stage)s and can be certified "
                "only after stage C3."
            )
            % {"standard": certification.standard.name, "stage": _stage_label(certification.conversion_stage)},
        )


def _check_no_open_critical_non_conformity(errors: ErrorDict, *, certification: Certification) -> None:
    """A critical requirement found non-compliant blocks certification (and reinstatement) under its standard
    until the non-conformity is closed, whatever the certificate says. One query."""
    blocking = list(
        NonConformity.objects.filter(
            farm_id=certification.farm_id,
            standard_id=certification.standard_id,
            severity=NonConformity.Severity.CRITICAL,
            closed_on__isnull=True,
        )
        .select_related("requirement")
        .order_by("deadline", "id")
    )
    if not blocking:
        return
    findings = "; ".join(
        _("%(code)s (corrective action due %(deadline)s)")
        % {"code": non_conformity.requirement.code, "deadline": _date(non_conformity.deadline)}
        for non_conformity in blocking
    )
    message = ngettext(
        "The farm %(farm)s has an open critical non-conformity under %(standard)s: %(findings)s. "
        "It can be certified only once it is closed.",
        "The farm %(farm)s has open critical non-conformities under %(standard)s: %(findings)s. "
        "It can be certified only once they are closed.",
        len(blocking),
    )
    _add_error(
        errors,
        "to_status",
        message % {"farm": certification.farm, "standard": certification.standard.name, "findings": findings},
    )


def _certificate_terms(
    errors: ErrorDict,
    *,
    certification: Certification,
    occurred_on: datetime.date,
    certificate_number: str | None,
    valid_from: datetime.date | None,
    valid_until: datetime.date | None,
) -> tuple[str, datetime.date | None, datetime.date | None]:
    """The certificate number and validity for a certification becoming certified, defaults applied."""
    number = (certificate_number if certificate_number is not None else certification.certificate_number).strip()
    if valid_from is None and valid_until is None:
        valid_from, valid_until = certification.valid_from, certification.valid_until
    elif valid_from is None:
        valid_from = certification.valid_from
    if not number:
        _add_error(errors, "certificate_number", _("Give the certificate number."))
    if valid_from is None:
        _add_error(errors, "valid_from", _("Give the date the certificate is valid from."))
        return number, valid_from, valid_until
    if valid_until is None:
        valid_until = _default_valid_until(standard=certification.standard, valid_from=valid_from)
    if valid_until < valid_from:
        _add_error(errors, "valid_until", _("The end of validity cannot be before its start."))
    elif valid_until < occurred_on:
        _add_error(
            errors,
            "valid_until",
            _("The certificate ended on %(date)s; a certificate that has run out cannot make the farm certified.")
            % {"date": _date(valid_until)},
        )
    return number, valid_from, valid_until


def _check_expiry_date(
    errors: ErrorDict, *, certification: Certification, occurred_on: datetime.date, last_on: datetime.date | None
) -> None:
    valid_until = certification.valid_until
    if valid_until is None:
        _add_error(
            errors,
            "to_status",
            _("This certification has no validity period that could expire; record it as withdrawn or excluded."),
        )
        return
    if occurred_on < valid_until:
        _add_error(
            errors,
            "occurred_on",
            _(
                "The certificate is valid until %(date)s and cannot expire before then; to end it early, "
                "record it as withdrawn or excluded."
            )
            % {"date": _date(valid_until)},
        )
    # A retired standard's records (UTZ) must show them expired on their real expiry, not when noticed.
    real_expiry = max(valid_until, last_on) if last_on else valid_until
    if not certification.standard.accepts_new_certifications and occurred_on > real_expiry:
        _add_error(
            errors,
            "occurred_on",
            _("%(standard)s records expire on their real expiry date, %(date)s.")
            % {"standard": certification.standard.name, "date": _date(real_expiry)},
        )


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
        _add_error(errors, "certificate_number", _("Give the certificate number."))
    _check_reason(errors, reason)
    _check_crop(errors, farm=farm, standard=standard)
    if valid_until < valid_from:
        _add_error(errors, "valid_until", _("The end of validity cannot be before its start."))
    elif valid_until >= today:
        _add_error(
            errors,
            "valid_until",
            _(
                "Only a certificate whose validity has ended can be imported as history; this one is valid "
                "until %(date)s."
            )
            % {"date": _date(valid_until)},
        )
    else:
        overlapping = Certification.objects.filter(
            farm=farm, standard=standard, valid_from__lte=valid_until, valid_until__gte=valid_from
        ).first()
        if overlapping is not None:
            _add_error(
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
                    "start": _date(overlapping.valid_from),
                    "end": _date(overlapping.valid_until),
                },
            )
    _raise_if(errors)

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
