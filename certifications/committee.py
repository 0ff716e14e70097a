"""Writes of the approval committee: sanctions, C.A.F.E. Practices verifications and group certificates.

Status decisions themselves go through certifications.services.certification_change_status, which records
each one as an event; a sanction that changes the status links that event. Every function here is atomic
and writes nothing when it raises ValidationError.
"""

import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from certifications.models import (
    TERMINAL_STATUSES,
    CafeTier,
    CafeVerification,
    Certification,
    CertificationEvent,
    CertificationStatus,
    ConversionStage,
    GroupCertificate,
    NonConformity,
    Sanction,
    Standard,
    StandardCode,
)
from certifications.services import certification_change_status
from cooperative.models import Crop

ErrorDict = dict[str, list[str]]

# The status each kind of sanction puts the certification in; a warning leaves it as it is.
SANCTION_STATUS: dict[str, str | None] = {
    Sanction.Kind.WARNING: None,
    Sanction.Kind.SALES_BLOCK: CertificationStatus.SANCTIONED,
    Sanction.Kind.SUSPENSION: CertificationStatus.SUSPENDED,
    Sanction.Kind.EXCLUSION: CertificationStatus.EXCLUDED,
}
# Sanctions the committee lifts, reinstating the certification: they hold until lifted, with no planned end.
LIFTABLE_WITH_REINSTATEMENT = frozenset({Sanction.Kind.SALES_BLOCK, Sanction.Kind.SUSPENSION})
# Statuses a reinstatement returns to: the last of them the certification held before its sanction.
REINSTATED_STATUSES = (CertificationStatus.CERTIFIED, CertificationStatus.IN_CONVERSION)

# C.A.F.E. Practices scorecard thresholds (percent, in each of the social and environmental dimensions).
CAFE_STRATEGIC = Decimal("80")
CAFE_PREFERRED = Decimal("60")
CAFE_PERCENT_PLACES = Decimal("0.01")
# history_change_reason of django-simple-history is a 100-character column.
HISTORY_REASON_LENGTH = 100


def _date(value: datetime.date) -> str:
    return date_format(value, "SHORT_DATE_FORMAT")


def _add_error(errors: ErrorDict, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _raise_if(errors: ErrorDict) -> None:
    if errors:
        raise ValidationError(errors)


def _check_reason(errors: ErrorDict, reason: str) -> None:
    if not reason.strip():
        _add_error(errors, "reason", _("Give the reason for this decision."))


def _check_not_future(errors: ErrorDict, field: str, day: datetime.date) -> None:
    if day > timezone.localdate():
        _add_error(errors, field, _("The date cannot be in the future."))


def _renamed(error: ValidationError, fields: Mapping[str, str], *, prefix: str = "") -> ValidationError:
    """certification_change_status's error with its fields renamed to the caller's (`fields`). An error on
    no field goes to fields["__all__"] when given, each message after `prefix`."""
    if hasattr(error, "error_dict"):
        renamed: ErrorDict = {}
        for name, errors in error.message_dict.items():
            renamed.setdefault(fields.get(name, name), []).extend(errors)
        return ValidationError(renamed)
    messages = [f"{prefix}{message}" for message in error.messages]
    target = fields.get("__all__")
    return ValidationError({target: messages} if target else messages)


def _attributed(instance, user: AbstractBaseUser | None, change_reason: str = "") -> None:
    """Attribute the simple-history record to the person who decided, outside a request too."""
    if user is not None:
        instance._history_user = user
    if change_reason:
        reason = change_reason.strip()
        if len(reason) > HISTORY_REASON_LENGTH:
            reason = reason[: HISTORY_REASON_LENGTH - 1] + "…"
        instance._change_reason = reason


def _locked_certification(pk: int) -> Certification:
    return Certification.objects.select_for_update(of=("self",)).select_related("standard").get(pk=pk)


# -- Sanctions -------------------------------------------------------------------------------------------


@transaction.atomic
def sanction_impose(
    *,
    certification: Certification,
    kind: str,
    starts_on: datetime.date,
    ends_on: datetime.date | None,
    reason: str,
    decided_by: AbstractBaseUser,
    non_conformity: NonConformity | None = None,
) -> Sanction:
    """Impose a sanction on a farm's certification; return it.

    A warning leaves the status as it is; a sales block makes the certification sanctioned, a suspension
    suspended, an exclusion excluded. That change goes through certification_change_status (an event dated
    starts_on with the reason and who decided) and is linked as the sanction's event, so the lifecycle's
    rules apply: a sanction whose status change is not allowed from the current status is refused.
    A sales block or suspension holds until the committee lifts it (sanction_lift), so it takes no planned
    end; an exclusion is final. Locks the certification row. Writes nothing when it raises ValidationError.
    About fifteen queries, most of them full_clean's checks.
    """
    certification = _locked_certification(certification.pk)
    standard = certification.standard
    errors: ErrorDict = {}

    if kind not in Sanction.Kind.values:
        raise ValidationError({"kind": _("Unknown sanction “%(kind)s”.") % {"kind": kind}})
    label = Sanction.Kind(kind).label
    if not standard.accepts_new_certifications:
        raise ValidationError(
            _("%(standard)s records are read-only history: no sanction can be imposed on them.")
            % {"standard": standard.name},
            code="read_only_history",
        )
    if certification.status in TERMINAL_STATUSES:
        raise ValidationError(
            _("This certification is closed (“%(status)s”): no sanction can be imposed on it.")
            % {"status": certification.get_status_display()},
            code="closed",
        )
    _check_reason(errors, reason)
    _check_not_future(errors, "starts_on", starts_on)
    if ends_on is not None:
        if ends_on < starts_on:
            _add_error(errors, "ends_on", _("The end of the sanction cannot be before its start."))
        elif kind == Sanction.Kind.EXCLUSION:
            _add_error(errors, "ends_on", _("An exclusion is final: it has no end date."))
        elif kind in LIFTABLE_WITH_REINSTATEMENT:
            _add_error(
                errors,
                "ends_on",
                _("A %(kind)s holds until the committee lifts it: leave the end date empty.")
                % {"kind": str(label).lower()},
            )
    if non_conformity is not None and (
        non_conformity.farm_id != certification.farm_id or non_conformity.standard_id != certification.standard_id
    ):
        _add_error(
            errors,
            "non_conformity",
            _("The non-conformity must be one of this farm's under %(standard)s.") % {"standard": standard.name},
        )
    _raise_if(errors)

    event = None
    to_status = SANCTION_STATUS[kind]
    if to_status is not None:
        try:
            certification_change_status(
                certification=certification,
                to_status=to_status,
                occurred_on=starts_on,
                reason=reason,
                decided_by=decided_by,
            )
        except ValidationError as error:
            raise _renamed(
                error,
                {"to_status": "kind", "occurred_on": "starts_on", "__all__": "kind"},
                prefix=_("%(kind)s refused: ") % {"kind": label},
            ) from error
        # The certification row is locked: the latest event is the one just written.
        event = CertificationEvent.objects.filter(certification=certification).latest("id")

    sanction = Sanction(
        certification=certification,
        kind=kind,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=reason.strip(),
        non_conformity=non_conformity,
        decided_by=decided_by,
        event=event,
    )
    sanction.full_clean()
    _attributed(sanction, decided_by)
    sanction.save()
    return sanction


def _status_before_sanction(sanction: Sanction) -> str | None:
    """The last certified or in-conversion status the certification held before the sanction's event."""
    before = (
        CertificationEvent.objects.filter(
            certification_id=sanction.certification_id,
            to_status__in=REINSTATED_STATUSES,
            id__lt=sanction.event_id,
        )
        .order_by("-id")
        .values_list("to_status", flat=True)
        .first()
    )
    return before


@transaction.atomic
def sanction_lift(
    *,
    sanction: Sanction,
    ends_on: datetime.date,
    reason: str,
    decided_by: AbstractBaseUser,
    reinstate: bool = True,
) -> Sanction:
    """Lift a sanction on ends_on (the day it stops applying); return it.

    Decision: lifting a sales block or a suspension reinstates the certification (unless `reinstate` is
    False) to the status it held before: certified again with the certificate already recorded, or back in
    conversion, which restarts at C1 (the lifecycle's rule for a conversion interrupted by a sanction). The
    reinstatement goes through certification_change_status (an event dated ends_on with this reason and who
    decided), so its rules apply: no certified status while a critical non-conformity is open or once the
    certificate has run out. It is refused when the certification is no longer in the status the sanction
    put it in, or while another sales block or suspension still holds it. Without reinstatement, the status
    is left for a separate decision. A warning just ends. An exclusion is final and cannot be lifted.
    The reason is kept as the event's reason, and (shortened to 100 characters) as the change reason of the
    sanction's history record. Locks the sanction and the certification rows.
    """
    sanction = Sanction.objects.select_for_update(of=("self",)).select_related("event").get(pk=sanction.pk)
    certification = _locked_certification(sanction.certification_id)
    today = timezone.localdate()
    errors: ErrorDict = {}

    if sanction.kind == Sanction.Kind.EXCLUSION:
        raise ValidationError(
            _("An exclusion is final and cannot be lifted: if the farm is admitted again, open a new certification."),
            code="final",
        )
    if sanction.ends_on is not None and sanction.ends_on <= today:
        raise ValidationError(
            _("This sanction already ended on %(date)s.") % {"date": _date(sanction.ends_on)}, code="ended"
        )
    _check_reason(errors, reason)
    _check_not_future(errors, "ends_on", ends_on)
    if ends_on < sanction.starts_on:
        _add_error(
            errors,
            "ends_on",
            _("A sanction cannot be lifted before it started (%(date)s).") % {"date": _date(sanction.starts_on)},
        )

    reinstate_to = None
    if reinstate and sanction.kind in LIFTABLE_WITH_REINSTATEMENT:
        sanction_status = SANCTION_STATUS[sanction.kind]
        holding = (
            Sanction.objects.filter(
                certification=certification, kind__in=LIFTABLE_WITH_REINSTATEMENT, starts_on__lte=ends_on
            )
            .filter(Q(ends_on__isnull=True) | Q(ends_on__gt=ends_on))
            .exclude(pk=sanction.pk)
            .order_by("starts_on", "id")
            .first()
        )
        if certification.status != sanction_status:
            _add_error(
                errors,
                "reinstate",
                _(
                    "The certification is now “%(status)s”, no longer “%(sanction_status)s” as this sanction left "
                    "it, so lifting it cannot reinstate it. Lift it without reinstatement."
                )
                % {
                    "status": certification.get_status_display(),
                    "sanction_status": CertificationStatus(sanction_status).label,
                },
            )
        elif holding is not None:
            _add_error(
                errors,
                "reinstate",
                _(
                    "Another sanction still holds this certification (%(kind)s since %(date)s): lift it first, "
                    "or lift this one without reinstatement."
                )
                % {"kind": holding.get_kind_display().lower(), "date": _date(holding.starts_on)},
            )
        else:
            reinstate_to = _status_before_sanction(sanction) if sanction.event_id else None
            if reinstate_to is None:
                _add_error(
                    errors,
                    "reinstate",
                    _("The certification was never certified nor in conversion: there is no status to reinstate."),
                )
    _raise_if(errors)

    if reinstate_to is not None:
        try:
            certification_change_status(
                certification=certification,
                to_status=reinstate_to,
                occurred_on=ends_on,
                reason=reason,
                decided_by=decided_by,
                conversion_stage=ConversionStage.C1 if reinstate_to == CertificationStatus.IN_CONVERSION else "",
            )
        except ValidationError as error:
            fields = {
                "occurred_on": "ends_on",
                "to_status": "reinstate",
                "conversion_stage": "reinstate",
                "certificate_number": "reinstate",
                "valid_from": "reinstate",
                "valid_until": "reinstate",
                "__all__": "reinstate",
            }
            raise _renamed(error, fields) from error

    sanction.ends_on = ends_on
    sanction.full_clean()
    _attributed(sanction, decided_by, change_reason=reason)
    sanction.save()
    return sanction


# -- C.A.F.E. Practices ----------------------------------------------------------------------------------


def _percent(errors: ErrorDict, field: str, value: Decimal | int) -> Decimal | None:
    """The percentage as a Decimal, or None with an error: floats (binary rounding), values outside 0-100
    and more than two decimals are refused."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        _add_error(errors, field, _("Give the percentage as a number with up to two decimals."))
        return None
    number = Decimal(value)
    if not number.is_finite() or not Decimal(0) <= number <= Decimal(100):
        _add_error(errors, field, _("A percentage is between 0 and 100."))
        return None
    try:
        two_places = number == number.quantize(CAFE_PERCENT_PLACES)
    except InvalidOperation:  # more digits than the context's precision
        two_places = False
    if not two_places:
        _add_error(errors, field, _("Give the percentage with at most two decimals."))
        return None
    return number


def cafe_tier(social_percent: Decimal, environmental_percent: Decimal, zero_tolerance_failures: int) -> str:
    """The C.A.F.E. Practices tier (a CafeTier value) of a verifier's scorecard. Pure: no query.

    Any zero-tolerance failure blocks status; otherwise 80% or more in both the social and the environmental
    dimension is Strategic, 60% or more in both is Preferred, anything else Verified. Raises ValidationError
    (on the argument's name) for a percentage outside 0-100 or with more than two decimals, a float, or a
    negative number of failures.
    """
    errors: ErrorDict = {}
    social = _percent(errors, "social_percent", social_percent)
    environmental = _percent(errors, "environmental_percent", environmental_percent)
    if isinstance(zero_tolerance_failures, bool) or not isinstance(zero_tolerance_failures, int):
        _add_error(errors, "zero_tolerance_failures", _("Give the number of zero-tolerance failures."))
    elif zero_tolerance_failures < 0:
        _add_error(errors, "zero_tolerance_failures", _("The number of zero-tolerance failures cannot be negative."))
    _raise_if(errors)

    if zero_tolerance_failures > 0:
        return CafeTier.BLOCKED
    lowest = min(social, environmental)
    if lowest >= CAFE_STRATEGIC:
        return CafeTier.STRATEGIC
    if lowest >= CAFE_PREFERRED:
        return CafeTier.PREFERRED
    return CafeTier.VERIFIED


@transaction.atomic
def cafe_verification_record(
    *,
    certification: Certification,
    verified_on: datetime.date,
    verifier: str,
    social_percent: Decimal,
    environmental_percent: Decimal,
    zero_tolerance_failures: int,
    recorded_by: AbstractBaseUser | None,
) -> CafeVerification:
    """Record a C.A.F.E. Practices verification of a farm's certification, with the tier its scorecard gives
    (cafe_tier); return it. Only for a C.A.F.E. Practices certification. The tier is informative: the
    certification's status changes only by the committee's decisions. A handful of queries.
    """
    certification = Certification.objects.select_related("standard").get(pk=certification.pk)
    errors: ErrorDict = {}
    if certification.standard.code != StandardCode.CAFE_PRACTICES:
        _add_error(
            errors,
            "certification",
            _(
                "C.A.F.E. Practices verifications are recorded only on a C.A.F.E. Practices certification; "
                "this one is %(standard)s."
            )
            % {"standard": certification.standard.name},
        )
    if not verifier.strip():
        _add_error(errors, "verifier", _("Give the verifier (the verification organization)."))
    _check_not_future(errors, "verified_on", verified_on)
    tier = None
    try:
        tier = cafe_tier(social_percent, environmental_percent, zero_tolerance_failures)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    _raise_if(errors)

    verification = CafeVerification(
        certification=certification,
        verified_on=verified_on,
        verifier=verifier.strip(),
        social_percent=social_percent,
        environmental_percent=environmental_percent,
        zero_tolerance_failures=zero_tolerance_failures,
        tier=tier,
    )
    verification.full_clean()
    _attributed(verification, recorded_by)
    verification.save()
    return verification


# -- Group certificates ----------------------------------------------------------------------------------


def _crops(errors: ErrorDict, crops: Iterable[str]) -> list[str]:
    if isinstance(crops, str):
        crops = [crops]
    chosen = list(dict.fromkeys(crops or []))
    if not chosen:
        _add_error(errors, "crops", _("Choose the crops the certificate covers."))
    unknown = [crop for crop in chosen if crop not in Crop.values]
    if unknown:
        _add_error(
            errors,
            "crops",
            _("Unknown crop: %(crops)s. A certificate covers coffee, cocoa or both.") % {"crops": ", ".join(unknown)},
        )
    return [crop for crop in Crop.values if crop in chosen]


def group_certificate_errors(
    *,
    standard: Standard,
    number: str,
    certification_body: str,
    valid_from: datetime.date,
    valid_until: datetime.date,
    crops: Iterable[str],
    certificate: GroupCertificate | None = None,
) -> tuple[ErrorDict, list[str]]:
    """The rules of a group certificate (also used by the admin's form): the errors found, and the crops in
    their canonical order. No query beyond the standard's successor for UTZ's message."""
    errors: ErrorDict = {}
    if certificate is not None and certificate.pk and not certificate.standard.accepts_new_certifications:
        _add_error(
            errors,
            NON_FIELD_ERRORS,
            _("%(standard)s certificates are read-only history.") % {"standard": certificate.standard.name},
        )
    elif not standard.accepts_new_certifications and (certificate is None or certificate.standard_id != standard.pk):
        message = _("%(standard)s accepts nothing new: no new certificate can be recorded under it.") % {
            "standard": standard.name
        }
        if standard.successor_id:
            message = _(
                "%(standard)s merged into %(successor)s and accepts nothing new: record the %(successor)s "
                "certificate instead."
            ) % {"standard": standard.name, "successor": standard.successor.name}
        _add_error(errors, "standard", message)
    if not number.strip():
        _add_error(errors, "number", _("Give the certificate number."))
    if not certification_body.strip():
        _add_error(errors, "certification_body", _("Give the certification body."))
    if valid_from and valid_until and valid_until < valid_from:
        _add_error(errors, "valid_until", _("The end of validity cannot be before its start."))
    return errors, _crops(errors, crops)


def _group_certificate_save(
    certificate: GroupCertificate,
    *,
    standard: Standard,
    number: str,
    certification_body: str,
    valid_from: datetime.date,
    valid_until: datetime.date,
    crops: Iterable[str],
    notes: str,
    recorded_by: AbstractBaseUser | None,
) -> GroupCertificate:
    errors, crops = group_certificate_errors(
        standard=standard,
        number=number,
        certification_body=certification_body,
        valid_from=valid_from,
        valid_until=valid_until,
        crops=crops,
        certificate=certificate,
    )
    _raise_if(errors)
    certificate.standard = standard
    certificate.number = number.strip()
    certificate.certification_body = certification_body.strip()
    certificate.valid_from = valid_from
    certificate.valid_until = valid_until
    certificate.crops = crops
    certificate.notes = notes.strip()
    certificate.full_clean()
    _attributed(certificate, recorded_by)
    certificate.save()
    return certificate


@transaction.atomic
def group_certificate_create(
    *,
    standard: Standard,
    number: str,
    certification_body: str,
    valid_from: datetime.date,
    valid_until: datetime.date,
    crops: Iterable[str],
    recorded_by: AbstractBaseUser | None,
    notes: str = "",
) -> GroupCertificate:
    """Record a certificate the cooperative holds as a group; return it. Crops: "coffee", "cocoa" or both.
    Refused under a standard that accepts nothing new (UTZ), with dates reversed, or with a number already
    recorded for the standard. A few queries (full_clean checks the unique number)."""
    return _group_certificate_save(
        GroupCertificate(),
        standard=standard,
        number=number,
        certification_body=certification_body,
        valid_from=valid_from,
        valid_until=valid_until,
        crops=crops,
        notes=notes,
        recorded_by=recorded_by,
    )


@transaction.atomic
def group_certificate_update(
    *,
    certificate: GroupCertificate,
    standard: Standard,
    number: str,
    certification_body: str,
    valid_from: datetime.date,
    valid_until: datetime.date,
    crops: Iterable[str],
    recorded_by: AbstractBaseUser | None,
    notes: str = "",
) -> GroupCertificate:
    """Correct or renew a group certificate; return it. The same rules as group_certificate_create; a UTZ
    certificate is read-only history, and no certificate can be moved to UTZ. Locks the row."""
    certificate = (
        GroupCertificate.objects.select_for_update(of=("self",)).select_related("standard").get(pk=certificate.pk)
    )
    return _group_certificate_save(
        certificate,
        standard=standard,
        number=number,
        certification_body=certification_body,
        valid_from=valid_from,
        valid_until=valid_until,
        crops=crops,
        notes=notes,
        recorded_by=recorded_by,
    )
