"""The read model "current certification of each farm under each standard" (`Certification.is_current`).

The rule is certifications.selectors.certifications.current_certifications_by_events (the open certification,
else the closed one whose last event is the latest, ties the latest created). The certification services keep
the flag true in their own transaction with refresh_current_certification; writes that bypass them (raw SQL, a
COPY, a restore) are found and repaired by reconcile_current_certifications (cooperative.read_models).
"""

from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext as _

from certifications.models import Certification
from certifications.selectors.certifications import (
    certifications_differing_from_events,
    current_certifications_by_events,
)
from cooperative.read_models import EXAMPLES_SHOWN, Drift

UPDATE_BATCH = 500  # primary keys per UPDATE when repairing (SQLite limits the parameters of one statement)


def refresh_current_certification(*, farm_id: int, standard_id: int) -> int | None:
    """Make `is_current` true for the current certification of the farm under the standard (by the rule)
    and false for the others; return the current one's id (None when the farm has none under it).

    Call it inside the write's transaction, after the certification and its event are saved. The group's rows
    are locked (SELECT ... FOR UPDATE, in id order) until the transaction ends, so two writes to the same farm
    and standard refresh one after the other. The stale flag is cleared before the new one is set, as the
    one-current unique constraint requires. Two queries, plus one UPDATE per flag that changes.
    """
    group = Certification.objects.filter(farm_id=farm_id, standard_id=standard_id)
    flagged = [
        pk for pk, is_current in group.select_for_update().order_by("pk").values_list("pk", "is_current") if is_current
    ]
    current = current_certifications_by_events(group).order_by().values_list("pk", flat=True).first()
    stale = [pk for pk in flagged if pk != current]
    if stale:
        Certification.objects.filter(pk__in=stale).update(is_current=False)
    if current is not None and current not in flagged:
        Certification.objects.filter(pk=current).update(is_current=True)
    return current


def reconcile_current_certifications(*, fix: bool = False) -> Drift:
    """Compare every certification's `is_current` with the rule decided from the statuses and the events; with
    `fix`, repair the differing rows (and only those), in one transaction.

    `checked` counts certifications, `differing` those whose flag is wrong (a wrongly current one and the one
    that should be current count as two); the examples describe one farm and standard each. One pass of the
    rule over the table (about a second at 332,000 certifications), a count, one query for the examples, and
    with `fix` one UPDATE per UPDATE_BATCH differing rows. The differing rows stay locked until it commits.
    """
    with transaction.atomic():
        rows = list(
            certifications_differing_from_events()
            .select_for_update()
            .order_by("farm_id", "standard_id", "pk")
            .values_list("pk", "farm_id", "standard_id", "is_current")
        )
        checked = Certification.objects.count()
        wrongly_current = [pk for pk, _farm, _standard, is_current in rows if is_current]
        should_be_current = [pk for pk, _farm, _standard, is_current in rows if not is_current]
        examples = _examples(rows)
        if fix and rows:
            # Clear first: the one-current constraint holds after every statement.
            _update(wrongly_current, is_current=False)
            _update(should_be_current, is_current=True)
    return Drift(
        name=_("Current certifications"),
        checked=checked,
        differing=len(rows),
        examples=examples,
        fixed=fix and bool(rows),
    )


def _update(pks: Sequence[int], *, is_current: bool) -> None:
    for start in range(0, len(pks), UPDATE_BATCH):
        Certification.objects.filter(pk__in=pks[start : start + UPDATE_BATCH]).update(is_current=is_current)


def _examples(rows: list[tuple[int, int, int, bool]]) -> list[str]:
    """E.g. "La Loma (BA-00001) – Rainforest Alliance: certification #12 is marked current; by its events
    the current one is #15", for the first EXAMPLES_SHOWN farms and standards among `rows`. One query."""
    groups: dict[tuple[int, int], dict[bool, int]] = {}
    for pk, farm_id, standard_id, is_current in rows:
        key = (farm_id, standard_id)
        if key not in groups and len(groups) == EXAMPLES_SHOWN:
            break
        groups.setdefault(key, {})[is_current] = pk
    if not groups:
        return []
    shown = [pk for flags in groups.values() for pk in flags.values()]
    named = {
        (certification.farm_id, certification.standard_id): certification
        for certification in Certification.objects.filter(pk__in=shown).select_related("farm__member", "standard")
    }
    examples = []
    for key, flags in groups.items():
        certification = named[key]
        values = {
            "farm": certification.farm,
            "standard": certification.standard.name,
            "stored": flags.get(True),
            "expected": flags.get(False),
        }
        if flags.get(True) is None:
            text = _("%(farm)s – %(standard)s: no certification is marked current; by its events it is #%(expected)s")
        elif flags.get(False) is None:
            text = _("%(farm)s – %(standard)s: certification #%(stored)s is marked current; by its events none is")
        else:
            text = _(
                "%(farm)s – %(standard)s: certification #%(stored)s is marked current; by its events the current "
                "one is #%(expected)s"
            )
        examples.append(text % values)
    return examples
