"""The ICS audit pack: one XLSX row per certified (or once certified) farm, with its status under each
standard, its last internal inspection, open non-conformities, sanctions in force and C.A.F.E. tier.

What an external auditor asks the Internal Control System for first. Built like the members export
(members/exports.py): a write-only workbook, rows read in chunks (certifications.selectors.reports.audit_pack_farms),
every text cell written as text so nothing a member typed can run as a formula. Labels and headers are
resolved before the rows are read, in the language of the request.
"""

import datetime
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from certifications.models import CafeTier, CertificationStatus, ConversionStage, Sanction, Standard, StandardCode
from certifications.selectors.reports import audit_pack_farms, audit_pack_standards, current_by_standard
from cooperative.models import Crop, Region
from members.models import Farm

CHUNK_SIZE = 2000
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LIST_SEPARATOR = "; "

Row = list[Any]
Column = tuple[str, Callable[[Farm], Any]]


def audit_pack_filename(as_of: datetime.date) -> str:
    """E.g. paquete-de-auditoria-sci-2026-11-29.xlsx (in the active language)."""
    return f"{slugify(_('ICS audit pack'))}-{as_of.isoformat()}.xlsx"


def _standard_label(standard: Standard) -> str:
    """The standard's name in the active language (the stored name is Spanish)."""
    if standard.code in StandardCode.values:
        return str(StandardCode(standard.code).label)
    return standard.name


def _standard_columns(standard: Standard) -> list[Column]:
    statuses = {value: str(label) for value, label in CertificationStatus.choices}
    stages = {value: str(label) for value, label in ConversionStage.choices if value}
    name = _standard_label(standard)

    def current(farm: Farm):
        return farm.current_certifications.get(standard.pk)

    def status(farm: Farm) -> str:
        certification = current(farm)
        return statuses.get(certification.status, certification.status) if certification else ""

    def stage(farm: Farm) -> str:
        certification = current(farm)
        return stages.get(certification.conversion_stage, "") if certification else ""

    columns: list[Column] = [(_("%(standard)s status") % {"standard": name}, status)]
    if standard.requires_conversion:
        columns.append((_("%(standard)s conversion stage") % {"standard": name}, stage))
    return columns


def _columns(standards: list[Standard]) -> list[Column]:
    """(header, value) per column; labels are looked up now, in the active language."""
    crops = {value: str(label) for value, label in Crop.choices}
    tiers = {value: str(label) for value, label in CafeTier.choices}
    kinds = {value: str(label) for value, label in Sanction.Kind.choices}
    standard_labels = {standard.pk: _standard_label(standard) for standard in standards}
    compliant, non_compliant = _("Compliant"), _("Non-compliant")

    def inspection_result(farm: Farm) -> str:
        if farm.last_inspection_raised is None:
            return ""
        return non_compliant if farm.last_inspection_raised else compliant

    def sanctions(farm: Farm) -> str:
        """E.g. "Warning (Organic); Sales block (Rainforest Alliance)", the earliest started first."""
        in_force = sorted(
            (
                (sanction.starts_on, sanction.pk, sanction.kind, certification.standard_id)
                for certification in farm.certification_list
                for sanction in certification.active_sanctions
            ),
        )
        return LIST_SEPARATOR.join(
            f"{kinds.get(kind, kind)} ({standard_labels.get(standard_id, '')})"
            for _on, _pk, kind, standard_id in in_force
        )

    return [
        (_("Member code"), lambda farm: farm.member.code),
        (_("Member"), lambda farm: farm.member.full_name),
        (_("DNI"), lambda farm: farm.member.dni or ""),
        (_("Farm"), lambda farm: farm.name),
        (_("Region"), lambda farm: farm.region.name),
        (_("District"), lambda farm: farm.district),
        (_("Community"), lambda farm: farm.community),
        (_("Hectares"), lambda farm: farm.hectares),
        (_("Crop"), lambda farm: crops.get(farm.crop, farm.crop)),
        (_("Estimated production (kg)"), lambda farm: farm.estimated_production_kg),
        *[column for standard in standards for column in _standard_columns(standard)],
        (_("Last internal inspection"), lambda farm: farm.last_inspected_on),
        (_("Last inspection result"), inspection_result),
        (_("Open non-conformities"), lambda farm: farm.open_non_conformities),
        (_("Open critical non-conformities"), lambda farm: farm.open_critical_non_conformities),
        (_("Active sanctions"), sanctions),
        (_("C.A.F.E. tier"), lambda farm: tiers.get(farm.cafe_tier, farm.cafe_tier or "")),
    ]


def audit_pack_rows(farms: QuerySet[Farm], standards: list[Standard]) -> tuple[Row, Iterator[Row]]:
    """The header row and a lazy iterator over one row per farm (needs audit_pack_farms' annotations and
    prefetches). Three queries per CHUNK_SIZE farms, run as the iterator is read."""
    columns = _columns(standards)

    def rows() -> Iterator[Row]:
        for farm in farms.iterator(chunk_size=CHUNK_SIZE):
            farm.current_certifications = current_by_standard(farm.certification_list)
            yield [value(farm) for _header, value in columns]

    return [header for header, _value in columns], rows()


def _xlsx_cell(sheet, value: Any) -> Any:
    if not isinstance(value, str):
        return value  # numbers (Decimal hectares included), dates and empty cells keep their type
    cell = WriteOnlyCell(sheet, ILLEGAL_CHARACTERS_RE.sub("", value))
    cell.data_type = "s"  # text, even when it starts with "=" (openpyxl would write a formula)
    return cell


def audit_pack_response(*, regions: QuerySet[Region], as_of: datetime.date | None = None) -> FileResponse:
    """The audit pack of the farms of `regions` as an XLSX attachment. The write-only workbook goes to a
    temporary file as rows are appended; the file is streamed and deleted once the response is closed.
    Queries: the standards, then three per CHUNK_SIZE farms."""
    as_of = as_of or timezone.localdate()
    standards = audit_pack_standards()
    header, rows = audit_pack_rows(audit_pack_farms(regions=regions, as_of=as_of), standards)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("ICS audit pack")[:31])
    bold = Font(bold=True)
    header_cells = []
    for title in header:
        cell = WriteOnlyCell(sheet, title)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    # Not a `with` block: FileResponse closes (and so deletes) the file once it has been sent.
    file = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115
    try:
        workbook.save(file)
    except BaseException:
        file.close()
        raise
    file.seek(0)
    return FileResponse(file, as_attachment=True, filename=audit_pack_filename(as_of), content_type=XLSX_CONTENT_TYPE)
