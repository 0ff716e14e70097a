"""Writes for the non-conformities internal inspections raise: closing one once its correction is verified,
by someone other than the inspector who raised it (four eyes)."""

import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from certifications.models import InspectorConflict, NonConformity
from certifications.services.conflicts import conflict_message
from certifications.services.errors import ErrorDict, add_error, check_not_future, person, raise_if, short_date


@transaction.atomic
def non_conformity_close(
    *,
    non_conformity: NonConformity,
    closed_on: datetime.date,
    verified_by: AbstractBaseUser,
    closing_note: str,
) -> NonConformity:
    """Close a non-conformity once its correction has been verified; return the closed non-conformity.

    The row is locked (SELECT ... FOR UPDATE), so two people closing it at once get "already closed" for the
    second. Refuses: closing twice, a date in the future or before the inspection that found it, no note on
    how the correction was verified, and a verifier who is the inspector who raised it (the correction is
    verified by someone else: four eyes) or who declared a conflict of interest with the member. The object
    passed in is not modified: use the one returned.
    """
    # The verifier is not joined here: a row re-read after waiting for the lock keeps the joined rows of the
    # first read (PostgreSQL), so a verifier set meanwhile would come back empty. It is read once locked.
    non_conformity = (
        NonConformity.objects.select_for_update(of=("self",))
        .select_related("inspection__inspector", "farm__member", "requirement")
        .get(pk=non_conformity.pk)
    )
    if non_conformity.closed_on is not None:
        raise ValidationError(
            _("This non-conformity was already closed on %(date)s by %(person)s.")
            % {"date": short_date(non_conformity.closed_on), "person": person(non_conformity.verified_by)},
            code="already_closed",
        )
    inspection = non_conformity.inspection
    closing_note = closing_note.strip()
    errors: ErrorDict = {}
    check_not_future(errors, "closed_on", closed_on)
    if closed_on < inspection.inspected_on:
        add_error(
            errors,
            "closed_on",
            _("The non-conformity was found on %(date)s and cannot be closed before that.")
            % {"date": short_date(inspection.inspected_on)},
        )
    if verified_by.pk == inspection.inspector_id:
        add_error(
            errors,
            "verified_by",
            _("%(person)s raised this non-conformity: another person must verify its correction.")
            % {"person": person(verified_by)},
        )
    else:
        conflict = InspectorConflict.objects.filter(inspector=verified_by, member=non_conformity.farm.member).first()
        if conflict is not None:
            conflict.inspector, conflict.member = verified_by, non_conformity.farm.member
            add_error(errors, "verified_by", conflict_message(conflict, action=_("verify this correction")))
    if not closing_note:
        add_error(errors, "closing_note", _("Describe how the correction was verified."))
    raise_if(errors)

    non_conformity.closed_on = closed_on
    non_conformity.verified_by = verified_by
    non_conformity.closing_note = closing_note
    non_conformity.full_clean()
    non_conformity._history_user = verified_by
    non_conformity.save()
    return non_conformity
