"""The production report as XLSX: one sheet per member and crop, one of totals per region and crop.

The conventions of members.exports: a write-only workbook saved to a temporary file and streamed, bold
headers, numbers and dates kept as such, text cells written as text (never as a formula, so a name starting
with "=" is harmless), labels in the language of the request.
"""

import tempfile
from collections.abc import Iterable
from typing import Any

from django.http import FileResponse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from deliveries.selectors import ProductionFigures, ProductionReport
from members.exports import XLSX_CONTENT_TYPE

LIST_SEPARATOR = "; "


def _figures_header() -> list[str]:
    return [
        _("Delivered (kg)"),
        _("Delivered (qq of 46 kg)"),
        _("Delivered (69 kg bags)"),
        _("Estimated (kg)"),
        _("Estimated (qq of 46 kg)"),
        _("Estimated (69 kg bags)"),
        _("Delivered / estimated (%)"),
        _("Other states delivered (kg, not converted)"),
    ]


def _figures(figures: ProductionFigures) -> list[Any]:
    return [
        figures.delivered_kg,
        figures.delivered_qq,
        figures.delivered_bags,
        figures.estimated_kg,
        figures.estimated_qq,
        figures.estimated_bags,
        figures.percent_of_estimate,
        LIST_SEPARATOR.join(f"{label}: {kg}" for label, kg in figures.other_states),
    ]


def _cell(sheet, value: Any, bold: bool = False) -> Any:
    if isinstance(value, str) or bold:
        cell = WriteOnlyCell(sheet, ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value)
        if isinstance(value, str):
            cell.data_type = "s"  # text, even when it starts with "=" (openpyxl would write a formula)
        if bold:
            cell.font = Font(bold=True)
        return cell
    return value  # Decimal kilograms and percentages stay numbers


def _sheet(workbook: Workbook, title: str, header: list[str], rows: Iterable[list[Any]]) -> None:
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append([_cell(sheet, text, bold=True) for text in header])
    for row in rows:
        sheet.append([_cell(sheet, value) for value in row])


def production_xlsx_response(report: ProductionReport) -> FileResponse:
    """Sheet 1: per member and crop; sheet 2: per region and crop, then per crop (region "All regions")."""
    workbook = Workbook(write_only=True)
    _sheet(
        workbook,
        _("Members"),
        [_("Region"), _("Member code"), _("Member"), _("Crop"), *_figures_header()],
        (
            [row.member.region.name, row.member.code, row.member.full_name, row.crop_label, *_figures(row)]
            for row in report.rows
        ),
    )
    all_regions = _("All regions")
    _sheet(
        workbook,
        _("Totals"),
        [_("Region"), _("Crop"), _("Members"), *_figures_header()],
        (
            [total.region.name if total.region else all_regions, total.crop_label, total.members, *_figures(total)]
            for total in [*report.totals, *report.crop_totals]
        ),
    )
    # Not a `with` block: FileResponse closes (and so deletes) the file once it has been sent.
    file = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115
    try:
        workbook.save(file)
    except BaseException:
        file.close()
        raise
    file.seek(0)
    filename = f"{slugify(_('production'))}-{report.date_from.isoformat()}-{report.date_to.isoformat()}.xlsx"
    return FileResponse(file, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)
