"""Writes for the internal inspection checklists: a standard's checklist in versions, and its requirements.

A checklist an inspection has answered is frozen; it changes only by a new version, which replaces it in use.
"""

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from simple_history.utils import bulk_create_with_history

from certifications.models import Checklist, Inspection, Requirement, Standard
from certifications.services.errors import ErrorDict, add_error, raise_if

# Requirements added to a new checklist go after the last one, leaving room to insert between them.
POSITION_STEP = 10


def _lock_checklist(checklist: Checklist) -> Checklist:
    # Serialises changes to a checklist with the inspections that answer it and with a new version replacing it.
    return Checklist.objects.select_for_update(of=("self",)).select_related("standard").get(pk=checklist.pk)


def _check_checklist_unused(errors: ErrorDict, checklist: Checklist) -> None:
    """An answered checklist is frozen: changing a question would change what past inspections answered."""
    used_by = Inspection.objects.filter(answers__requirement__checklist=checklist).distinct().count()
    if used_by:
        add_error(
            errors,
            "checklist",
            ngettext(
                "The checklist %(checklist)s has been used in %(count)s inspection, so its requirements can no "
                "longer change. Create a new version of the checklist to change them.",
                "The checklist %(checklist)s has been used in %(count)s inspections, so its requirements can no "
                "longer change. Create a new version of the checklist to change them.",
                used_by,
            )
            % {"checklist": checklist, "count": used_by},
        )


def _check_requirement_values(
    errors: ErrorDict,
    *,
    checklist: Checklist,
    code: str,
    text_es: str,
    text_en: str,
    exclude_pk: int | None = None,
) -> None:
    if not code:
        add_error(errors, "code", _("Give the requirement's code, for example ORG-01."))
    elif Requirement.objects.filter(checklist=checklist, code__iexact=code).exclude(pk=exclude_pk).exists():
        add_error(
            errors,
            "code",
            _("The checklist %(checklist)s already has a requirement %(code)s.")
            % {"checklist": checklist, "code": code},
        )
    if not text_es:
        add_error(errors, "text_es", _("Give the requirement's text in Spanish."))
    if not text_en:
        add_error(errors, "text_en", _("Give the requirement's text in English."))


def _save_requirement(requirement: Requirement, changed_by: AbstractBaseUser | None) -> Requirement:
    requirement.full_clean()
    if changed_by is not None:
        requirement._history_user = changed_by
    requirement.save()
    return requirement


@transaction.atomic
def requirement_create(
    *,
    checklist: Checklist,
    code: str,
    text_es: str,
    text_en: str,
    section: str = "",
    critical: bool = False,
    position: int | None = None,
    changed_by: AbstractBaseUser | None = None,
) -> Requirement:
    """Add a requirement to a checklist that no inspection has answered yet; position defaults to the end.

    Locks the checklist row. Raises ValidationError for a checklist already used, a code the checklist
    already has (case-insensitive), or a missing text. About six queries.
    """
    checklist = _lock_checklist(checklist)
    code, text_es, text_en = code.strip(), text_es.strip(), text_en.strip()
    errors: ErrorDict = {}
    _check_checklist_unused(errors, checklist)
    _check_requirement_values(errors, checklist=checklist, code=code, text_es=text_es, text_en=text_en)
    raise_if(errors)

    if position is None:
        last = checklist.requirements.aggregate(last=Max("position"))["last"]
        position = (last or 0) + POSITION_STEP
    requirement = Requirement(
        checklist=checklist,
        code=code,
        section=section.strip(),
        text_es=text_es,
        text_en=text_en,
        critical=critical,
        position=position,
    )
    return _save_requirement(requirement, changed_by)


@transaction.atomic
def requirement_update(
    *,
    requirement: Requirement,
    code: str,
    text_es: str,
    text_en: str,
    section: str = "",
    critical: bool = False,
    position: int = 0,
    changed_by: AbstractBaseUser | None = None,
) -> Requirement:
    """Change a requirement of a checklist that no inspection has answered yet; return the updated requirement.

    Locks the checklist row. Raises ValidationError as requirement_create does. The object passed in is not
    modified: use the one returned.
    """
    checklist = _lock_checklist(requirement.checklist)
    requirement = Requirement.objects.get(pk=requirement.pk)
    code, text_es, text_en = code.strip(), text_es.strip(), text_en.strip()
    errors: ErrorDict = {}
    _check_checklist_unused(errors, checklist)
    _check_requirement_values(
        errors, checklist=checklist, code=code, text_es=text_es, text_en=text_en, exclude_pk=requirement.pk
    )
    raise_if(errors)

    requirement.checklist = checklist
    requirement.code = code
    requirement.section = section.strip()
    requirement.text_es = text_es
    requirement.text_en = text_en
    requirement.critical = critical
    requirement.position = position
    return _save_requirement(requirement, changed_by)


@transaction.atomic
def checklist_create(
    *,
    standard: Standard,
    version: str,
    title: str,
    created_by: AbstractBaseUser | None = None,
    copy_requirements: bool = True,
    activate: bool = True,
) -> Checklist:
    """Create a new version of a standard's checklist, by default with a copy of the requirements of the version
    in use, and put it in use (the version in use until then is retired in the same transaction).

    Locks the standard row and the checklist in use, so two new versions, or a new version and an inspection
    answering the old one, are serialised. Raises ValidationError for a standard that accepts nothing new
    (UTZ), an empty or already used version, or an empty title. Past inspections keep pointing to the
    requirements of the version they answered.
    """
    standard = Standard.objects.select_for_update(of=("self",)).get(pk=standard.pk)
    current = Checklist.objects.select_for_update(of=("self",)).filter(standard=standard, active=True).first()
    version, title = version.strip(), title.strip()
    errors: ErrorDict = {}
    if not standard.accepts_new_certifications:
        add_error(
            errors,
            "standard",
            _("%(standard)s accepts no new certifications: it gets no new checklist.") % {"standard": standard.name},
        )
    if not version:
        add_error(errors, "version", _("Give the version, for example 2027.1."))
    elif Checklist.objects.filter(standard=standard, version__iexact=version).exists():
        add_error(
            errors,
            "version",
            _("%(standard)s already has a checklist version %(version)s.")
            % {"standard": standard.name, "version": version},
        )
    if not title:
        add_error(errors, "title", _("Give the checklist's title."))
    raise_if(errors)

    if activate and current is not None:
        # Retired first: the database allows one checklist in use per standard.
        current.active = False
        current.full_clean()
        if created_by is not None:
            current._history_user = created_by
        current.save(update_fields=["active", "updated_at"])
    checklist = Checklist(standard=standard, version=version, title=title, active=activate)
    checklist.full_clean()
    if created_by is not None:
        checklist._history_user = created_by
    checklist.save()
    if copy_requirements and current is not None:
        copies = [
            Requirement(
                checklist=checklist,
                code=requirement.code,
                section=requirement.section,
                text_es=requirement.text_es,
                text_en=requirement.text_en,
                critical=requirement.critical,
                position=requirement.position,
            )
            for requirement in current.requirements.order_by("position", "code")
        ]
        bulk_create_with_history(copies, Requirement, default_user=created_by)
    return checklist
