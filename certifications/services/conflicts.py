"""Writes for the inspectors' declared conflicts of interest, and the message that refuses an inspector who
declared one."""

import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from certifications.models import InspectorConflict
from certifications.services.errors import ErrorDict, add_error, check_not_future, person, raise_if, short_date
from members.models import Member


@transaction.atomic
def conflict_declare(
    *,
    inspector: AbstractBaseUser,
    member: Member,
    relationship: str,
    declared_on: datetime.date,
    note: str = "",
    declared_by: AbstractBaseUser | None = None,
) -> InspectorConflict:
    """Record that an inspector may not inspect (nor verify corrections on) a member's farms.

    Locks the member row so that a declaration and an inspection of the member are serialised. Raises
    ValidationError for an unknown relationship, a future date, or a conflict already declared.
    """
    member = Member.objects.select_for_update(of=("self",)).get(pk=member.pk)
    errors: ErrorDict = {}
    if relationship not in InspectorConflict.Relationship.values:
        add_error(errors, "relationship", _("Choose the relationship between the inspector and the member."))
    check_not_future(errors, "declared_on", declared_on)
    existing = InspectorConflict.objects.filter(inspector=inspector, member=member).first()
    if existing is not None:
        add_error(
            errors,
            "member",
            _("%(inspector)s already declared a conflict of interest with %(member)s (%(relationship)s) on %(date)s.")
            % {
                "inspector": person(inspector),
                "member": member,
                "relationship": existing.get_relationship_display().lower(),
                "date": short_date(existing.declared_on),
            },
        )
    raise_if(errors)

    conflict = InspectorConflict(
        inspector=inspector, member=member, relationship=relationship, declared_on=declared_on, note=note.strip()
    )
    conflict.full_clean()
    if declared_by is not None:
        conflict._history_user = declared_by
    conflict.save()
    return conflict


def conflict_message(conflict: InspectorConflict, *, action: str) -> str:
    return _(
        "%(inspector)s declared a conflict of interest with %(member)s (%(relationship)s) on %(date)s and may "
        "not %(action)s: another person must do it."
    ) % {
        "inspector": person(conflict.inspector),
        "member": conflict.member,
        "relationship": conflict.get_relationship_display().lower(),
        "date": short_date(conflict.declared_on),
        "action": action,
    }
