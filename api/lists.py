"""Shared machinery of the list endpoints (members, farms, certifications, visits, loans).

- `ScopedListViewSet`: read-only list (GET only), scoped and logged through ScopedApiMixin, filtered
  with django-filter, paginated by id cursor with a validated `page_size`.
- `?format=csv` / `?format=xlsx` (or the matching Accept header) answer the WHOLE filtered set, not one
  page, with the fields of the JSON rows: CSV streamed from `queryset.iterator()`, XLSX written by
  openpyxl's write-only workbook to a temporary file and sent as a file. Any other format: 400
  (api.negotiation). A list whose CSV must be fast at national scale (members) gives `csv_export()`:
  plain rows from a fixed number of streamed queries, written without a serializer (ExportListMixin).
- Filter fields shared by the endpoints: region (name or ubigeo code), program (code or id, in scope),
  `updated_since`. Unknown, malformed or empty values answer 400 naming the parameter (an empty value is
  not taken for "no filter": the schema says what a value must be, and leaving it out is the way to not
  filter).
"""

import csv
import datetime
import io
import json
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from rest_framework import exceptions, mixins, renderers, viewsets
from rest_framework.request import Request
from rest_framework.settings import api_settings

from api.schema import TEXT
from api.serializers import EMPTY_VALUE
from api.views import IdCursorPagination, ScopedApiMixin
from cooperative.models import AllianceProgram, Region

MAX_PAGE_SIZE = 500
# Rows fetched per database round trip while exporting (prefetches run once per chunk).
EXPORT_CHUNK_SIZE = 2000
# CSV rows written per chunk of the streamed body: one chunk per row costs a generator step and an encode
# per row; 500 rows of members are about 80 kB.
CSV_ROWS_PER_CHUNK = 500
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class PageSizeCursorPagination(IdCursorPagination):
    """Id cursor pages of `page_size` rows (1..500, default 50). A bad page size answers 400.

    DRF's own parsing silently falls back to the default on a bad value; a partner's script should learn
    instead that it asked for something else than it gets.
    """

    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_PAGE_SIZE:
            raise exceptions.ValidationError(
                {self.page_size_query_param: [_("Give a whole number from 1 to %(max)d.") % {"max": MAX_PAGE_SIZE}]}
            )
        return int(raw)

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=MAX_PAGE_SIZE, default=self.page_size)
        return parameters


# -- export renderers ---------------------------------------------------------------------------------
# They only let content negotiation accept `?format=csv|xlsx`: the list view builds the file itself
# (the whole set, streamed), and error responses are switched back to JSON (see ExportListMixin).


class CSVRenderer(renderers.BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return json.dumps(data).encode() if data is not None else b""


class XLSXRenderer(renderers.BaseRenderer):
    media_type = XLSX_CONTENT_TYPE
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return json.dumps(data).encode() if data is not None else b""


EXPORT_FORMATS = (CSVRenderer.format, XLSXRenderer.format)

# A cell starting with one of these is a formula to Excel and LibreOffice (CSV injection): such text is
# prefixed with an apostrophe. Numbers (a negative latitude) are left alone.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def _cell(value: Any) -> Any:
    """A JSON row value as one spreadsheet cell: lists of text joined with "; ", structures as JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        value = "; ".join(value)
    elif isinstance(value, list | dict):
        value = json.dumps(value, ensure_ascii=False)
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value.startswith(FORMULA_START) and not NUMBER.match(value):
            value = "'" + value
    return value


# Bytes of written CSV (UTF-8) that `_cell` would remove: no other character's encoding holds them.
_REFUSED_BYTES = bytes(character for character in range(256) if ILLEGAL_CHARACTERS_RE.match(chr(character)))


def _may_need_cell(data: bytes) -> bool:
    """Whether a chunk of written CSV (UTF-8) may hold a cell that `_cell` would change: one starting as a
    formula does, or holding a character spreadsheets refuse. Every such chunk answers True; some others do
    too (any "=", "+", "@", tab or quote, a field starting with "-"), and `_cell` then decides exactly.

    A field starts after a comma or at a line's start; one starting with "\r" is always quoted. The rare
    characters are looked for anywhere, "-" (in every date) only at a field's start: byte searches, about a
    millisecond per 500 members, where a regular expression for field starts took ten times as long.
    """
    return (
        any(character in data for character in b'=+@\t"')
        or data.startswith(b"-")
        or b",-" in data
        or b"\n-" in data
        or len(data.translate(None, _REFUSED_BYTES)) != len(data)
    )


@dataclass(frozen=True)
class CsvExport:
    """What a list's fast CSV path (ExportListMixin.csv_export) writes: the header, and rows of values as
    csv.writer takes them (None is an empty cell). Text comes as stored: the writer passes the rows of a
    chunk that needs it through `_cell` (see _may_need_cell). Booleans and lists come as `_cell` writes
    them ("true", "a; b")."""

    header: list[str]
    rows: Iterable[Sequence[Any]]


class ExportListMixin:
    """list() answers the whole filtered set as CSV or XLSX when that format was negotiated.

    Cost: the same queries as one JSON page (the prefetches once per 2,000 rows). A view may instead give
    `csv_export(queryset)` for its CSV: the filtered queryset (in id order) in, a CsvExport out, its rows
    read from streamed queries (no serializer per row, a query count that does not grow with the rows).
    """

    export_basename: str  # file name stem, e.g. "members" -> members-2026-11-29.csv

    def get_renderers(self):
        return [renderer() for renderer in api_settings.DEFAULT_RENDERER_CLASSES] + [CSVRenderer(), XLSXRenderer()]

    def handle_exception(self, exc):
        # Errors (400, 401, 404, 429) are JSON even when a file was asked for.
        request = self.request
        if getattr(getattr(request, "accepted_renderer", None), "format", None) in EXPORT_FORMATS:
            request.accepted_renderer = renderers.JSONRenderer()
            request.accepted_media_type = request.accepted_renderer.media_type
        return super().handle_exception(exc)

    def list(self, request: Request, *args, **kwargs):
        export_format = getattr(request.accepted_renderer, "format", None)
        if export_format not in EXPORT_FORMATS:
            return super().list(request, *args, **kwargs)
        queryset = self.filter_queryset(self.get_queryset()).order_by("id")
        filename = f"{self.export_basename}-{timezone.localdate().isoformat()}.{export_format}"
        if export_format == CSVRenderer.format and hasattr(self, "csv_export"):
            export = self.csv_export(queryset)
            return _csv_response(export.header, export.rows, filename, raw_text=True)
        serializer = self.get_serializer()
        header = list(serializer.fields)
        rows = (
            [_cell(value) for value in serializer.to_representation(obj).values()]
            for obj in queryset.iterator(chunk_size=EXPORT_CHUNK_SIZE)
        )
        if export_format == CSVRenderer.format:
            return _csv_response(header, rows, filename)
        return _xlsx_response(header, rows, filename)


def _csv_chunks(header: list[str], rows: Iterable[Sequence[Any]], *, raw_text: bool = False) -> Iterator[bytes]:
    """The header line alone first (the first byte goes out before the query runs), then the rows,
    CSV_ROWS_PER_CHUNK lines per chunk, in UTF-8. `raw_text`: the rows' text has not been through `_cell`;
    a chunk in which a cell may need it is written again with every cell through it (rare: most chunks are
    written once, without a Python call per cell)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def written() -> bytes:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text.encode()

    writer.writerow(header)
    # The byte order mark makes Excel read the file as UTF-8 (names with ñ and accents).
    yield "\ufeff".encode() + written()
    rows = iter(rows)
    while batch := list(islice(rows, CSV_ROWS_PER_CHUNK)):
        writer.writerows(batch)
        data = written()
        if raw_text and _may_need_cell(data):
            writer.writerows([_cell(value) for value in row] for row in batch)
            data = written()
        yield data


def _csv_response(
    header: list[str], rows: Iterable[Sequence[Any]], filename: str, *, raw_text: bool = False
) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        _csv_chunks(header, rows, raw_text=raw_text), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _xlsx_response(header: list[str], rows: Iterable[list[Any]], filename: str) -> FileResponse:
    """Write-only workbook (rows are not kept in memory) saved to a temporary file, closed when sent."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(filename.split("-", 1)[0])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    file = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it once sent)
    workbook.save(file)
    file.seek(0)
    return FileResponse(file, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)


class ScopedListViewSet(ExportListMixin, ScopedApiMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Base of the list endpoints: GET only (other methods 405), scoped in get_queryset via self.scope."""

    pagination_class = PageSizeCursorPagination
    filter_backends = [DjangoFilterBackend]


# -- filters ------------------------------------------------------------------------------------------


class RegionField(forms.CharField):
    """A region by name (“Huánuco”) or department ubigeo code (“10”). One query."""

    def clean(self, value: str | None) -> Region | None:
        value = super().clean(value)
        if not value:
            return None
        field = "ubigeo_code" if (value.isascii() and value.isdigit()) else "name__iexact"
        region = Region.objects.filter(**{field: value}).first()
        if region is None:
            raise forms.ValidationError(
                _("Unknown region “%(value)s”: give its name or ubigeo code."), params={"value": value}
            )
        return region


@extend_schema_field({**TEXT, "description": "Region name or 2-digit ubigeo code."})
class RegionFilter(django_filters.Filter):
    field_class = RegionField


class ProgramField(forms.CharField):
    """A program by code or id, among those of the client's scope (set by ProgramFilter). One query."""

    programs: QuerySet[AllianceProgram] = AllianceProgram.objects.none()

    def clean(self, value: str | None) -> AllianceProgram | None:
        value = super().clean(value)
        if not value:
            return None
        lookup = {"pk": int(value)} if (value.isascii() and value.isdigit()) else {"code": value}
        program = self.programs.filter(**lookup).first()
        if program is None:
            raise forms.ValidationError(_("Unknown program “%(value)s”."), params={"value": value})
        return program


@extend_schema_field({**TEXT, "description": "Program code or id (within your scope)."})
class ProgramFilter(django_filters.Filter):
    """Limited to the programs of the requesting client's scope (another partner's program is unknown)."""

    field_class = ProgramField

    @property
    def field(self):
        field = super().field
        view = self.parent.request.parser_context["view"]
        field.programs = view.scope.programs()
        return field


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO date or datetime, handed to the database in UTC.

    ISO 8601 allows offsets up to ±23:59, which PostgreSQL refuses beyond ±15:59: in UTC there is no
    offset. A moment at the very edge of the calendar (year 1 east of Greenwich, 9999 west of it) has no
    UTC datetime: it becomes the first or last one, which compares with every stored row the same way.
    """

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(datetime.UTC)
        except OverflowError:
            edge = datetime.datetime.min if value.year == datetime.MINYEAR else datetime.datetime.max
            return edge.replace(tzinfo=datetime.UTC)


@extend_schema_field(
    {
        "anyOf": [{"type": "string", "format": "date-time"}, {"type": "string", "format": "date"}],
        "description": "Rows changed at or after this moment (ISO 8601; a date means its midnight, local time).",
    }
)
class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class NoEmptyValuesForm(forms.Form):
    """A filter form on which a parameter given empty (`?updated_since=`) is an error, not "no filter"."""

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean()
        for name in self.fields:
            value = self.data.get(name)
            if value is not None and not str(value).strip():
                self.add_error(name, EMPTY_VALUE)
        return cleaned_data


class ApiFilterSet(django_filters.FilterSet):
    """Every list filters on `updated_since` (ISO date or datetime; a date means its midnight).

    A parameter given empty answers 400 (NoEmptyValuesForm), as a malformed one does.
    """

    updated_since = UtcIsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    def get_form_class(self) -> type[forms.Form]:
        form_class = super().get_form_class()
        return type(form_class.__name__, (NoEmptyValuesForm, form_class), {})
