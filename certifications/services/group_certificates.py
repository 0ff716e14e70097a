"""Writes for the certificates the cooperative holds as a group (the certification body's, for all its
members): recording, correcting and renewing one. Cooperative-wide: a group certificate belongs to no region."""

import datetime
from collections.abc import Iterable

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import transaction
from django.utils.translation import gettext as _

from certifications.models import GroupCertificate, Standard
from certifications.services.errors import ErrorDict, add_error, raise_if
from certifications.services.history import attributed
from cooperative.models import Crop


def _crops(errors: ErrorDict, crops: Iterable[str]) -> list[str]:
    if isinstance(crops, str):
        crops = [crops]
    chosen = list(dict.fromkeys(crops or []))
    if not chosen:
        add_error(errors, "crops", _("Choose the crops the certificate covers."))
    unknown = [crop for crop in chosen if crop not in Crop.values]
    if unknown:
        add_error(
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
        add_error(
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
        add_error(errors, "standard", message)
    if not number.strip():
        add_error(errors, "number", _("Give the certificate number."))
    if not certification_body.strip():
        add_error(errors, "certification_body", _("Give the certification body."))
    if valid_from and valid_until and valid_until < valid_from:
        add_error(errors, "valid_until", _("The end of validity cannot be before its start."))
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
    raise_if(errors)
    certificate.standard = standard
    certificate.number = number.strip()
    certificate.certification_body = certification_body.strip()
    certificate.valid_from = valid_from
    certificate.valid_until = valid_until
    certificate.crops = crops
    certificate.notes = notes.strip()
    certificate.full_clean()
    attributed(certificate, recorded_by)
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
