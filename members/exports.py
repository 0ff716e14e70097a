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
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from cooperative.models import Crop
from members.models import FarmVisit, Gender, Member, Pest, Practice
from members.selectors import crop_count_name

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


# (header, field read by values_list) per column, in the file's order. The crops column is made from the
# per-crop counts that with_farm_totals annotates.
_FIELDS = [
    (gettext_lazy("Member code"), "code"),
    (gettext_lazy("First names"), "first_names"),
    (gettext_lazy("Last names"), "last_names"),
    (gettext_lazy("DNI"), "dni"),
    (gettext_lazy("Gender"), "gender"),
    (gettext_lazy("Birth date"), "birth_date"),
    (gettext_lazy("Phone"), "phone"),
    (gettext_lazy("Region"), "region__name"),
    (gettext_lazy("District"), "district"),
    (gettext_lazy("Community"), "community"),
    (gettext_lazy("Ubigeo"), "ubigeo"),
    (gettext_lazy("Joined on"), "joined_on"),
    (gettext_lazy("Status"), "status"),
    (gettext_lazy("Crops"), None),
    (gettext_lazy("Active farms"), "farm_count"),
    (gettext_lazy("Total hectares"), "total_hectares"),
]


def export_rows(members: QuerySet[Member]) -> tuple[Row, Iterator[Row]]:
    """The header row and a lazy iterator over one row per member (needs members_for_list's annotations).

    One query, run when the iterator is first read, streamed in chunks (a server-side cursor on
    PostgreSQL). It reads plain tuples (values_list), not Member instances: building 225,000 model objects
    cost more than the query. Labels (gender, status, crops) are looked up now, in the active language.
    """
    genders = {value: str(label) for value, label in Gender.choices}
    statuses = {value: str(label) for value, label in Member.Status.choices}
    crops = [(crop_count_name(value), str(label)) for value, label in Crop.choices]
    fields = [field for _header, field in _FIELDS if field is not None]
    crop_at = [field for _header, field in _FIELDS].index(None)
    gender_at, status_at, dni_at = (fields.index(name) for name in ("gender", "status", "dni"))
    count_names = [name for name, _label in crops]

    def rows() -> Iterator[Row]:
        tuples = members.prefetch_related(None).values_list(*fields, *count_names)
        for values in tuples.iterator(chunk_size=CHUNK_SIZE):
            row = list(values[: len(fields)])
            row[gender_at] = genders.get(row[gender_at], row[gender_at])
            row[status_at] = statuses.get(row[status_at], row[status_at])
            row[dni_at] = row[dni_at] or ""
            counts = values[len(fields) :]
            row.insert(crop_at, ", ".join(label for (_name, label), count in zip(crops, counts, strict=True) if count))
            yield row

    return [str(header) for header, _field in _FIELDS], rows()


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
