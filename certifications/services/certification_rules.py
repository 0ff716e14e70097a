"""The rules a certification is checked against when it opens or changes status (certifications.services.
certifications). Each check adds its problems to an ErrorDict under the field they concern and writes nothing;
the queries one makes are stated in its docstring.
"""

import calendar
import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from certifications.models import (
    ALLOWED_TRANSITIONS,
    TERMINAL_STATUSES,
    Certification,
    CertificationStatus,
    ConversionStage,
    NonConformity,
    Standard,
    StandardCode,
)
from certifications.services.errors import ErrorDict, add_error, short_date
from cooperative.models import Crop
from members.models import Farm, Member

# C.A.F.E. Practices is Starbucks' coffee sourcing standard: a cocoa farm cannot be verified under it.
COFFEE_ONLY_STANDARDS = frozenset({StandardCode.CAFE_PRACTICES})

# Organic conversion of perennial crops takes three years, one stage per year (EU 2018/848).
NEXT_CONVERSION_STAGE = {ConversionStage.C1: ConversionStage.C2, ConversionStage.C2: ConversionStage.C3}


def status_label(status: str) -> str:
    return str(CertificationStatus(status).label)


def stage_label(stage: str) -> str:
    return str(ConversionStage(stage).label)


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def default_valid_until(*, standard: Standard, valid_from: datetime.date) -> datetime.date:
    # valid_until is the last valid day: 36 months from 15 Jan 2026 runs to 14 Jan 2029 inclusive.
    return _add_months(valid_from, standard.validity_months) - datetime.timedelta(days=1)


def retired_standard_message(standard: Standard) -> str:
    if standard.successor_id:
        return _(
            "%(standard)s merged into %(successor)s and accepts no new certifications. "
            "%(successor)s status comes only from a %(successor)s audit: open a %(successor)s certification "
            "as a candidate. A past %(standard)s certificate can be recorded as history."
        ) % {"standard": standard.name, "successor": standard.successor.name}
    return _(
        "%(standard)s accepts no new certifications. A past %(standard)s certificate can be recorded as history."
    ) % {"standard": standard.name}


def read_only_history_message(standard: Standard) -> str:
    if standard.successor_id:
        return _(
            "%(standard)s merged into %(successor)s: %(standard)s records are read-only history and the only "
            "change allowed is recording their expiry. %(successor)s status comes only from a %(successor)s audit."
        ) % {"standard": standard.name, "successor": standard.successor.name}
    return _("%(standard)s records are read-only history; the only change allowed is recording their expiry.") % {
        "standard": standard.name
    }


def check_crop(errors: ErrorDict, *, farm: Farm, standard: Standard) -> None:
    if standard.code in COFFEE_ONLY_STANDARDS and farm.crop != Crop.COFFEE:
        add_error(
            errors,
            "standard",
            _("%(standard)s is a coffee-only standard; the farm %(farm)s grows %(crop)s.")
            % {"standard": standard.name, "farm": farm, "crop": farm.get_crop_display().lower()},
        )


def check_farm_is_current(errors: ErrorDict, *, farm: Farm, field: str) -> None:
    if farm.status != Farm.Status.ACTIVE:
        add_error(errors, field, _("The farm %(farm)s is retired.") % {"farm": farm})
    if farm.member.status == Member.Status.WITHDRAWN:
        add_error(
            errors,
            field,
            _("%(member)s withdrew from the cooperative on %(date)s.")
            % {"member": farm.member, "date": short_date(farm.member.withdrawn_on)},
        )


def transition_error(from_status: str, to_status: str) -> ValidationError:
    labels = {"from": status_label(from_status), "to": status_label(to_status)}
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
        f"“{status_label(status)}”"
        for status in CertificationStatus.values
        if status in ALLOWED_TRANSITIONS[from_status]
    )
    return ValidationError(
        _("A certification cannot go from “%(from)s” to “%(to)s”. From “%(from)s” it can go to: %(allowed)s.")
        % {**labels, "allowed": allowed},
        code="transition",
    )


def check_conversion_stage(errors: ErrorDict, *, certification: Certification, conversion_stage: str) -> None:
    standard = certification.standard
    if not standard.requires_conversion:
        add_error(errors, "to_status", _("%(standard)s has no conversion period.") % {"standard": standard.name})
        return
    if conversion_stage not in ConversionStage.values or not conversion_stage:
        add_error(errors, "conversion_stage", _("Choose the conversion stage (C1, C2 or C3)."))
        return
    if certification.status == CertificationStatus.IN_CONVERSION:
        expected = NEXT_CONVERSION_STAGE.get(certification.conversion_stage)
        if expected is None:
            add_error(
                errors,
                "conversion_stage",
                _("The farm is already at the last conversion stage (%(stage)s); the next step is certification.")
                % {"stage": stage_label(certification.conversion_stage)},
            )
        elif conversion_stage != expected:
            add_error(
                errors,
                "conversion_stage",
                _("Conversion advances one stage at a time: from %(current)s the next stage is %(next)s.")
                % {"current": stage_label(certification.conversion_stage), "next": stage_label(expected)},
            )
    elif conversion_stage != ConversionStage.C1:
        add_error(
            errors,
            "conversion_stage",
            _("A conversion starts at stage %(stage)s.") % {"stage": stage_label(ConversionStage.C1)},
        )


def check_conversion_completed(errors: ErrorDict, *, certification: Certification) -> None:
    if certification.status == CertificationStatus.CANDIDATE:
        add_error(
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
        add_error(
            errors,
            "to_status",
            _(
                "%(standard)s requires the full conversion period: the farm is at %(stage)s and can be certified "
                "only after stage C3."
            )
            % {"standard": certification.standard.name, "stage": stage_label(certification.conversion_stage)},
        )


def check_no_open_critical_non_conformity(errors: ErrorDict, *, certification: Certification) -> None:
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
        % {"code": non_conformity.requirement.code, "deadline": short_date(non_conformity.deadline)}
        for non_conformity in blocking
    )
    message = ngettext(
        "The farm %(farm)s has an open critical non-conformity under %(standard)s: %(findings)s. "
        "It can be certified only once it is closed.",
        "The farm %(farm)s has open critical non-conformities under %(standard)s: %(findings)s. "
        "It can be certified only once they are closed.",
        len(blocking),
    )
    add_error(
        errors,
        "to_status",
        message % {"farm": certification.farm, "standard": certification.standard.name, "findings": findings},
    )


def certificate_terms(
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
        add_error(errors, "certificate_number", _("Give the certificate number."))
    if valid_from is None:
        add_error(errors, "valid_from", _("Give the date the certificate is valid from."))
        return number, valid_from, valid_until
    if valid_until is None:
        valid_until = default_valid_until(standard=certification.standard, valid_from=valid_from)
    if valid_until < valid_from:
        add_error(errors, "valid_until", _("The end of validity cannot be before its start."))
    elif valid_until < occurred_on:
        add_error(
            errors,
            "valid_until",
            _("The certificate ended on %(date)s; a certificate that has run out cannot make the farm certified.")
            % {"date": short_date(valid_until)},
        )
    return number, valid_from, valid_until


def check_expiry_date(
    errors: ErrorDict, *, certification: Certification, occurred_on: datetime.date, last_on: datetime.date | None
) -> None:
    valid_until = certification.valid_until
    if valid_until is None:
        add_error(
            errors,
            "to_status",
            _("This certification has no validity period that could expire; record it as withdrawn or excluded."),
        )
        return
    if occurred_on < valid_until:
        add_error(
            errors,
            "occurred_on",
            _(
                "The certificate is valid until %(date)s and cannot expire before then; to end it early, "
                "record it as withdrawn or excluded."
            )
            % {"date": short_date(valid_until)},
        )
    # A retired standard's records (UTZ) must show them expired on their real expiry, not when noticed.
    real_expiry = max(valid_until, last_on) if last_on else valid_until
    if not certification.standard.accepts_new_certifications and occurred_on > real_expiry:
        add_error(
            errors,
            "occurred_on",
            _("%(standard)s records expire on their real expiry date, %(date)s.")
            % {"standard": certification.standard.name, "date": short_date(real_expiry)},
        )
