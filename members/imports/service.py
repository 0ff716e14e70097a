"""Validating the rows of an import against the database, and writing them through the services.

``member_import_preview`` reads only; ``member_import`` validates again (the database may have changed
since the preview) and writes every row in one transaction, or nothing.
"""

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members.imports.columns import (
    COLUMNS,
    COLUMNS_BY_KEY,
    EMPTY_VALUES,
    LOOKUP_CHUNK,
    PARSERS,
    CellLookups,
    InvalidCell,
    normalize_label,
    read_text,
)
from members.imports.files import ImportFile
from members.models import Farm, Member
from members.services import farm_create, farm_update, member_create, member_update

# ---------------------------------------------------------------------------------------------------
# Validation and planning
# ---------------------------------------------------------------------------------------------------


class Action(models.TextChoices):
    CREATE = "create", gettext_lazy("New")
    UPDATE = "update", gettext_lazy("Update")
    UNCHANGED = "unchanged", gettext_lazy("Unchanged")


@dataclass
class RowError:
    column: str  # the header as written in the file; empty for an error of the whole row
    message: str


@dataclass
class ImportRow:
    """One spreadsheet row: its cells, its errors, and what importing it does."""

    number: int
    cells: dict[str, str]
    errors: list[RowError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    member_action: str = ""
    member_row: int = 0  # the first row of this member in the file
    member_changes: list[str] = field(default_factory=list)
    farm_action: str = ""
    farm_changes: list[str] = field(default_factory=list)
    member_values: dict[str, Any] = field(default_factory=dict, repr=False)
    farm_values: dict[str, Any] = field(default_factory=dict, repr=False)
    bad_fields: set[str] = field(default_factory=set, repr=False)

    def get_member_action_display(self) -> str:
        return Action(self.member_action).label if self.member_action else ""

    def get_farm_action_display(self) -> str:
        return Action(self.farm_action).label if self.farm_action else ""


@dataclass
class ImportCounts:
    rows: int = 0
    members_created: int = 0
    members_updated: int = 0
    members_unchanged: int = 0
    farms_created: int = 0
    farms_updated: int = 0
    farms_unchanged: int = 0


@dataclass
class _FarmPlan:
    row: ImportRow
    values: dict[str, Any]
    existing: Farm | None
    action: str


@dataclass
class _MemberPlan:
    row: ImportRow  # the member's first row
    rows: list[ImportRow]  # all its rows, one per farm
    values: dict[str, Any]
    existing: Member | None
    action: str
    farms: list[_FarmPlan] = field(default_factory=list)


@dataclass
class ImportPreview:
    file: ImportFile
    rows: list[ImportRow]
    plans: list[_MemberPlan] = field(repr=False)

    @property
    def is_valid(self) -> bool:
        return not any(row.errors for row in self.rows)

    @property
    def rows_with_errors(self) -> int:
        return sum(bool(row.errors) for row in self.rows)

    @property
    def counts(self) -> ImportCounts:
        counts = ImportCounts(rows=len(self.rows))
        for plan in self.plans:
            counts.members_created += plan.action == Action.CREATE
            counts.members_updated += plan.action == Action.UPDATE
            counts.members_unchanged += plan.action == Action.UNCHANGED
            for farm in plan.farms:
                counts.farms_created += farm.action == Action.CREATE
                counts.farms_updated += farm.action == Action.UPDATE
                counts.farms_unchanged += farm.action == Action.UNCHANGED
        return counts


class ImportRejected(Exception):
    """Some row is invalid; nothing was written. ``preview`` lists every row's errors."""

    def __init__(self, preview: ImportPreview):
        super().__init__("import rejected")
        self.preview = preview


def _column_label(file: ImportFile, key: str) -> str:
    return file.columns.get(key, key)


def _field_column(model: str, field_name: str) -> str:
    """The column of a model field; a farm's region, district and community come from the member's."""
    for column in sorted(COLUMNS, key=lambda column: column.model != model):
        if column.field == field_name:
            return column.key
    return ""


def _add_errors(row: ImportRow, file: ImportFile, model: str, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        row.errors.extend(RowError("", message) for message in exc.messages)
        return
    for field_name, messages in exc.message_dict.items():
        key = "" if field_name == NON_FIELD_ERRORS else _field_column(model, field_name)
        label = _column_label(file, key) if key else ""
        row.errors.extend(RowError(label, message) for message in messages)


def _read_row(number: int, cells: dict[str, str], file: ImportFile, lookups: CellLookups) -> ImportRow:
    row = ImportRow(number=number, cells=cells)
    for key, text in cells.items():
        column = COLUMNS_BY_KEY[key]
        values = row.member_values if column.model == "member" else row.farm_values
        if not text:
            if column.required:
                row.errors.append(RowError(_column_label(file, key), _("This field is required.")))
                row.bad_fields.add(column.field)
            else:
                values[column.field] = EMPTY_VALUES.get(key, "")
            continue
        try:
            values[column.field] = PARSERS.get(key, read_text)(text, lookups)
        except InvalidCell as exc:
            row.errors.append(RowError(_column_label(file, key), str(exc)))
            row.bad_fields.add(column.field)
    if "production_quantity" in row.farm_values:
        row.farm_values.setdefault("production_unit", Farm.ProductionUnit.KG)
        if row.farm_values["production_quantity"] is None:
            # Farm.clean derives the kilograms from a quantity; with none, clear them too.
            row.farm_values["estimated_production_kg"] = None
    return row


def _chunks(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), LOOKUP_CHUNK):
        yield values[start : start + LOOKUP_CHUNK]


def _existing_members(codes: set[str], dnis: set[str]) -> tuple[dict[str, Member], dict[str, Member]]:
    """Registered members with one of these codes or DNIs: one query per 500 of each."""
    by_code: dict[str, Member] = {}
    by_dni: dict[str, Member] = {}
    members = Member.objects.select_related("region")
    for chunk in _chunks(sorted(codes)):
        by_code.update((member.code, member) for member in members.filter(code__in=chunk))
    for chunk in _chunks(sorted(dnis)):
        by_dni.update((member.dni, member) for member in members.filter(dni__in=chunk))
    return by_code, by_dni


def _existing_farms(member_ids: set[int]) -> dict[int, list[Farm]]:
    """The farms of these members: one query per 500 members."""
    farms: dict[int, list[Farm]] = {}
    for chunk in _chunks(sorted(member_ids)):
        for farm in Farm.objects.filter(member_id__in=chunk).select_related("region"):
            farms.setdefault(farm.member_id, []).append(farm)
    return farms


def _farm_key(name: str) -> str:
    return normalize_label(name)


def _match_farm(farms: list[Farm], name: str) -> Farm | None:
    """The member's farm with this name: the exact name first, then ignoring case and accents."""
    exact = [farm for farm in farms if farm.name == name]
    if exact:
        return exact[0]
    return next((farm for farm in farms if _farm_key(farm.name) == _farm_key(name)), None)


def _differ(first: object, second: object) -> bool:
    if isinstance(first, models.Model) or isinstance(second, models.Model):
        return getattr(first, "pk", None) != getattr(second, "pk", None)
    return first != second


def _changed_fields(obj: models.Model, values: dict[str, Any]) -> list[str]:
    return [name for name, value in values.items() if _differ(getattr(obj, name), value)]


def _validate(obj: models.Model, exclude: set[str]) -> ValidationError | None:
    """The model's own validation without writing; uniqueness is checked by the planner."""
    try:
        obj.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        return exc
    return None


def _plan_member(rows: list[ImportRow], existing: Member | None, file: ImportFile) -> _MemberPlan:
    lead = rows[0]
    values = dict(lead.member_values)
    if existing is None:
        obj = Member(**values)
        action = Action.CREATE
        changes: list[str] = []
    else:
        code = values.pop("code", existing.code)
        if code != existing.code:
            lead.notes.append(
                _("Matched by DNI to member %(code)s; that member's code is kept.") % {"code": existing.code}
            )
        obj = copy.copy(existing)
        for name, value in values.items():
            setattr(obj, name, value)
        changes = _changed_fields(existing, values)
        action = Action.UPDATE if changes else Action.UNCHANGED
    error = _validate(obj, lead.bad_fields)
    if error is not None:
        _add_errors(lead, file, "member", error)
    plan = _MemberPlan(row=lead, rows=rows, values=values, existing=existing, action=action)
    labels = [_column_label(file, _field_column("member", name)) for name in changes]
    for row in rows:
        row.member_action, row.member_row, row.member_changes = action, lead.number, labels
    return plan


def _plan_farm(row: ImportRow, member: _MemberPlan, farms: list[Farm], file: ImportFile) -> _FarmPlan:
    values = dict(row.farm_values)
    exclude = set(row.bad_fields)
    region = member.values.get("region") or (member.existing.region if member.existing else None)
    if region is not None:
        values["region"] = region
    else:
        exclude.add("region")  # reported on the member's columns
    for name in ("district", "community"):
        if name in member.values:
            values[name] = member.values[name]
    existing = _match_farm(farms, values["name"]) if "name" in values else None
    if existing is None:
        obj = Farm(**values) if member.existing is None else Farm(member=member.existing, **values)
        if member.existing is None:
            exclude.add("member")  # the member does not exist yet
        elif member.existing.status == Member.Status.WITHDRAWN:
            row.errors.append(RowError("", _("A withdrawn member cannot register new farms.")))
        action, changes = Action.CREATE, []
    else:
        if values.get("crop") and values["crop"] != existing.crop:
            # The farm keeps its history: the crop it leaves becomes the previous crop.
            values["previous_crop"] = existing.crop
        obj = copy.copy(existing)
        for name, value in values.items():
            setattr(obj, name, value)
        changes = _changed_fields(existing, values)
        action = Action.UPDATE if changes else Action.UNCHANGED
    error = _validate(obj, exclude)
    if error is not None:
        _add_errors(row, file, "farm", error)
    row.farm_action = action
    row.farm_changes = [
        _column_label(file, key) for key in dict.fromkeys(_field_column("farm", n) for n in changes) if key
    ]
    return _FarmPlan(row=row, values=values, existing=existing, action=action)


def member_import_preview(*, file: ImportFile, user: AbstractBaseUser) -> ImportPreview:
    """Validate every row and plan what it does. Reads only; writes nothing.

    Queries: regions (1), the user's scope (1-2), members by code and by DNI (1 each per 500) and their
    farms (1 per 500 members): the count does not grow with the rows.
    """
    lookups = CellLookups.load(user)
    rows = [_read_row(number, cells, file, lookups) for number, cells in file.rows]

    # Rows of one member share a code; a row without a readable code stands alone.
    groups: dict[object, list[ImportRow]] = {}
    for row in rows:
        code = row.member_values.get("code")
        groups.setdefault(code if code else ("row", row.number), []).append(row)

    dni_rows: dict[str, ImportRow] = {}
    for group in groups.values():
        lead = group[0]
        for row in group[1:]:
            shared = set(lead.member_values) & set(row.member_values)  # fields both rows could read
            differing = [name for name in shared if _differ(lead.member_values[name], row.member_values[name])]
            if differing:
                labels = ", ".join(_column_label(file, _field_column("member", name)) for name in sorted(differing))
                row.errors.append(
                    RowError(
                        "",
                        _("The member columns differ from row %(row)s, which has the same code: %(columns)s.")
                        % {"row": lead.number, "columns": labels},
                    )
                )
        dni = lead.member_values.get("dni")
        if dni:
            if dni in dni_rows:
                lead.errors.append(
                    RowError(
                        _column_label(file, "dni"),
                        _("This DNI is also on row %(row)s, with another member code.") % {"row": dni_rows[dni].number},
                    )
                )
            else:
                dni_rows[dni] = lead

    codes = {row.member_values["code"] for row in rows if row.member_values.get("code")}
    by_code, by_dni = _existing_members(codes, set(dni_rows))
    plans: list[_MemberPlan] = []
    matched_rows: dict[int, ImportRow] = {}
    for group in groups.values():
        lead = group[0]
        code, dni = lead.member_values.get("code"), lead.member_values.get("dni")
        by_its_dni, by_its_code = by_dni.get(dni) if dni else None, by_code.get(code) if code else None
        existing = by_its_dni or by_its_code
        in_scope = existing is None or existing.region_id in lookups.scope_ids
        if by_its_dni and by_its_code and by_its_dni.pk != by_its_code.pk:
            lead.errors.append(
                RowError(
                    _column_label(file, "dni"),
                    _("This DNI belongs to member %(dni_code)s, but the code %(code)s belongs to another member.")
                    % {"dni_code": by_its_dni.code, "code": code},
                )
            )
        if existing is not None:
            if not in_scope:
                lead.errors.append(
                    RowError(_column_label(file, "codigo"), _("This member is registered in a region outside yours."))
                )
            if existing.pk in matched_rows and matched_rows[existing.pk] is not lead:
                lead.errors.append(
                    RowError(
                        "",
                        _("This row and row %(row)s match the same registered member %(code)s.")
                        % {"row": matched_rows[existing.pk].number, "code": existing.code},
                    )
                )
            matched_rows.setdefault(existing.pk, lead)
        # A member outside the user's regions is not planned against: the preview would show their code,
        # which of their fields differ from the file, and their farms (the row is refused anyway).
        plans.append(_plan_member(group, existing if in_scope else None, file))

    farms_by_member = _existing_farms({plan.existing.pk for plan in plans if plan.existing})
    for plan in plans:
        farms = farms_by_member.get(plan.existing.pk, []) if plan.existing else []
        seen: dict[str, ImportRow] = {}
        for row in plan.rows:
            name = row.farm_values.get("name")
            if name and _farm_key(name) in seen:
                row.errors.append(
                    RowError(
                        _column_label(file, "parcela"),
                        _("The farm “%(name)s” of this member is also on row %(row)s.")
                        % {"name": name, "row": seen[_farm_key(name)].number},
                    )
                )
            elif name:
                seen[_farm_key(name)] = row
            plan.farms.append(_plan_farm(row, plan, farms, file))
    return ImportPreview(file=file, rows=rows, plans=plans)


@transaction.atomic
def member_import(*, file: ImportFile, user: AbstractBaseUser) -> ImportCounts:
    """Validate every row again and write them all through the services, in one transaction.

    Raises ImportRejected (nothing written) when any row is invalid, including a conflict that only the
    database notices (another user registered the same DNI since the preview). Returns what was done.
    """
    preview = member_import_preview(file=file, user=user)
    if not preview.is_valid:
        raise ImportRejected(preview)
    failed = False
    for plan in preview.plans:
        member = plan.existing
        try:
            if plan.action == Action.CREATE:
                member = member_create(**plan.values)
            elif plan.action == Action.UPDATE:
                member = member_update(member=plan.existing, **plan.values)
        except ValidationError as exc:
            _add_errors(plan.row, file, "member", exc)
            failed = True
            continue
        for farm in plan.farms:
            try:
                if farm.action == Action.CREATE:
                    farm_create(member=member, **farm.values)
                elif farm.action == Action.UPDATE:
                    farm_update(farm=farm.existing, **farm.values)
            except ValidationError as exc:
                _add_errors(farm.row, file, "farm", exc)
                failed = True
    if failed:
        # Leaving the atomic block with an exception rolls every row back.
        raise ImportRejected(preview)
    return preview.counts
