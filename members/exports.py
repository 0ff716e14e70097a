"""The filtered members list as CSV or XLSX, and the filtered farm visits as XLSX, streamed so a list of any
size exports in bounded memory.

Rows come from QuerySet.iterator(chunk_size=...): the database hands them over in chunks (a server-side
cursor on PostgreSQL) and nothing holds the whole list. Labels are resolved before streaming starts, in the
language of the request.
"""

import csv
import re
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

from django.db.models import Model, QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from cooperative.models import Crop
from members.models import FarmVisit, Gender, Member, Pest, Practice
from members.selectors import active_crops

CHUNK_SIZE = 2000
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A spreadsheet runs a text cell starting with one of these as a formula (CSV injection); phone numbers
# such as "+51 987 654 321" are left alone.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER_LIKE = re.compile(r"^[+-]?[\d\s().-]+$")

Row = list[Any]


def export_filename(extension: str, model: type[Model] = Member) -> str:
    """E.g. socios-2026-11-29.xlsx (the model's plural name in the active language)."""
    return f"{slugify(model._meta.verbose_name_plural)}-{timezone.localdate().isoformat()}.{extension}"


def _columns() -> list[tuple[str, Callable[[Member], Any]]]:
    """(header, value) per column; labels are looked up now, in the active language."""
    genders = {value: str(label) for value, label in Gender.choices}
    statuses = {value: str(label) for value, label in Member.Status.choices}
    crops = {value: str(label) for value, label in Crop.choices}

    def crop_names(member: Member) -> str:
        return ", ".join(crops[crop] for crop in active_crops(member))

    return [
        (_("Member code"), lambda m: m.code),
        (_("First names"), lambda m: m.first_names),
        (_("Last names"), lambda m: m.last_names),
        (_("DNI"), lambda m: m.dni or ""),
        (_("Gender"), lambda m: genders.get(m.gender, m.gender)),
        (_("Birth date"), lambda m: m.birth_date),
        (_("Phone"), lambda m: m.phone),
        (_("Region"), lambda m: m.region.name),
        (_("District"), lambda m: m.district),
        (_("Community"), lambda m: m.community),
        (_("Ubigeo"), lambda m: m.ubigeo),
        (_("Joined on"), lambda m: m.joined_on),
        (_("Status"), lambda m: statuses.get(m.status, m.status)),
        (_("Crops"), crop_names),
        (_("Active farms"), lambda m: m.farm_count),
        (_("Total hectares"), lambda m: m.total_hectares),
    ]


def export_rows(members: QuerySet[Member]) -> tuple[Row, Iterator[Row]]:
    """The header row and a lazy iterator over one row per member (needs members_for_list's joins and
    annotations). One query, run when the iterator is first read."""
    columns = _columns()

    def rows() -> Iterator[Row]:
        for member in members.iterator(chunk_size=CHUNK_SIZE):
            yield [value(member) for _header, value in columns]

    return [header for header, _value in columns], rows()


class _Echo:
    """A file-like object whose write() returns the line, so csv.writer can feed a streaming response."""

    def write(self, value: str) -> str:
        return value


def _csv_safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START) and not NUMBER_LIKE.match(value):
        return "'" + value
    return value


def csv_response(members: QuerySet[Member]) -> StreamingHttpResponse:
    """UTF-8 with a byte order mark, so Excel shows accents (Huánuco) correctly."""
    header, rows = export_rows(members)
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff" + writer.writerow(header)
        for row in rows:
            yield writer.writerow([_csv_safe(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export_filename("csv")}"'
    return response


def _xlsx_cell(sheet, value: Any) -> Any:
    if not isinstance(value, str):
        return value  # numbers (Decimal hectares included) and dates keep their type
    cell = WriteOnlyCell(sheet, ILLEGAL_CHARACTERS_RE.sub("", value))
    cell.data_type = "s"  # text, even when it starts with "=" (openpyxl would write a formula)
    return cell


def _xlsx_response(header: Row, rows: Iterator[Row], model: type[Model]) -> FileResponse:
    """A write-only workbook (rows go to disk as they are appended) saved to a temporary file, which is
    streamed and then deleted when the response closes it. One sheet named after the model, bold header."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(model._meta.verbose_name_plural).capitalize()[:31])
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
    return FileResponse(
        file, as_attachment=True, filename=export_filename("xlsx", model), content_type=XLSX_CONTENT_TYPE
    )


def xlsx_response(members: QuerySet[Member]) -> FileResponse:
    header, rows = export_rows(members)
    return _xlsx_response(header, rows, Member)


# -- farm visits --------------------------------------------------------------------------------------------

LIST_SEPARATOR = "; "


def _visit_columns() -> list[tuple[str, Callable[[FarmVisit], Any]]]:
    """(header, value) per column; labels are looked up now, in the active language."""
    crops = {value: str(label) for value, label in Crop.choices}
    purposes = {value: str(label) for value, label in FarmVisit.Purpose.choices}
    practices = {value: str(label) for value, label in Practice.choices}
    pests = {value: str(label) for value, label in Pest.choices}

    def practice_names(visit: FarmVisit) -> str:
        return LIST_SEPARATOR.join(practices.get(code, code) for code in visit.practices_observed or [])

    def pest_severities(visit: FarmVisit) -> str:
        return LIST_SEPARATOR.join(f"{pests.get(seen.pest, seen.pest)}: {seen.severity}" for seen in visit.pest_list)

    return [
        (_("Visit date"), lambda v: v.visited_on),
        (_("Farm"), lambda v: v.farm.name),
        (_("Member code"), lambda v: v.farm.member.code),
        (_("Member"), lambda v: v.farm.member.full_name),
        (_("Region"), lambda v: v.farm.member.region.name),
        (_("Crop"), lambda v: crops.get(v.farm.crop, v.farm.crop)),
        (_("Technician"), lambda v: v.technician.get_full_name() or v.technician.get_username()),
        (_("Purpose"), lambda v: purposes.get(v.purpose, v.purpose)),
        (_("Good practices observed"), practice_names),
        (_("Pests and diseases (severity 0-3)"), pest_severities),
        (_("Estimated yield (kg)"), lambda v: v.estimated_yield_kg),
        (_("Recommendations"), lambda v: v.recommendations),
        (_("Follow-up date"), lambda v: v.follow_up_on),
    ]


def visit_export_rows(visits: QuerySet[FarmVisit]) -> tuple[Row, Iterator[Row]]:
    """The header row and a lazy iterator over one row per visit (needs visits_for_export's joins and
    prefetch). Two queries per CHUNK_SIZE visits (the rows, their pests), run as the iterator is read."""
    columns = _visit_columns()

    def rows() -> Iterator[Row]:
        for visit in visits.iterator(chunk_size=CHUNK_SIZE):
            yield [value(visit) for _header, value in columns]

    return [header for header, _value in columns], rows()


def visits_xlsx_response(visits: QuerySet[FarmVisit]) -> FileResponse:
    header, rows = visit_export_rows(visits)
    return _xlsx_response(header, rows, FarmVisit)
