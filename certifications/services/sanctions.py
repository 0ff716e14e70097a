"""Writes of the approval committee's sanctions: imposing one on a farm's certification, and lifting it.

Status decisions themselves go through certifications.services.certifications.certification_change_status,
which records each one as an event; a sanction that changes the status links that event. Every function here is
atomic and writes nothing when it raises ValidationError.
"""

import datetime
from collections.abc import Mapping

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from certifications.models import (
    TERMINAL_STATUSES,
    Certification,
    CertificationEvent,
    CertificationStatus,
    ConversionStage,
    NonConformity,
    Sanction,
)
from certifications.services.certifications import certification_change_status
from certifications.services.errors import ErrorDict, add_error, check_not_future, check_reason, raise_if, short_date
from certifications.services.history import attributed

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


def _locked_certification(pk: int) -> Certification:
    return Certification.objects.select_for_update(of=("self",)).select_related("standard").get(pk=pk)


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
    check_reason(errors, reason)
    check_not_future(errors, "starts_on", starts_on)
    if ends_on is not None:
        if ends_on < starts_on:
            add_error(errors, "ends_on", _("The end of the sanction cannot be before its start."))
        elif kind == Sanction.Kind.EXCLUSION:
            add_error(errors, "ends_on", _("An exclusion is final: it has no end date."))
        elif kind in LIFTABLE_WITH_REINSTATEMENT:
            add_error(
                errors,
                "ends_on",
                _("A %(kind)s holds until the committee lifts it: leave the end date empty.")
                % {"kind": str(label).lower()},
            )
    if non_conformity is not None and (
        non_conformity.farm_id != certification.farm_id or non_conformity.standard_id != certification.standard_id
    ):
        add_error(
            errors,
            "non_conformity",
            _("The non-conformity must be one of this farm's under %(standard)s.") % {"standard": standard.name},
        )
    raise_if(errors)

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
    attributed(sanction, decided_by)
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
            _("This sanction already ended on %(date)s.") % {"date": short_date(sanction.ends_on)}, code="ended"
        )
    check_reason(errors, reason)
    check_not_future(errors, "ends_on", ends_on)
    if ends_on < sanction.starts_on:
        add_error(
            errors,
            "ends_on",
            _("A sanction cannot be lifted before it started (%(date)s).") % {"date": short_date(sanction.starts_on)},
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
            add_error(
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
            add_error(
                errors,
                "reinstate",
                _(
                    "Another sanction still holds this certification (%(kind)s since %(date)s): lift it first, "
                    "or lift this one without reinstatement."
                )
                % {"kind": holding.get_kind_display().lower(), "date": short_date(holding.starts_on)},
            )
        else:
            reinstate_to = _status_before_sanction(sanction) if sanction.event_id else None
            if reinstate_to is None:
                add_error(
                    errors,
                    "reinstate",
                    _("The certification was never certified nor in conversion: there is no status to reinstate."),
                )
    raise_if(errors)

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
    attributed(sanction, decided_by, change_reason=reason)
    sanction.save()
    return sanction
