"""Reading an uploaded XLSX or CSV file into rows of text cells, and writing the template to download."""

import csv
import datetime
import hashlib
import io
import logging
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

import openpyxl
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from members.imports.columns import (
    COLUMNS,
    HEADER_SEARCH_ROWS,
    MAX_COLUMNS,
    MAX_EMPTY_RUN,
    MAX_ROWS,
    MAX_UPLOAD_BYTES,
    TEMPLATE_EXAMPLE,
    TEMPLATE_HEADER,
    header_key,
)

logger = logging.getLogger(__name__)

# 2,000 rows of 100 columns unpack to a few MB; 20 times the upload limit leaves room for other sheets.
MAX_XLSX_UNPACKED_BYTES = 20 * MAX_UPLOAD_BYTES

# ---------------------------------------------------------------------------------------------------
# Reading the file
# ---------------------------------------------------------------------------------------------------


class ImportFileError(Exception):
    """The upload is not a spreadsheet this import can read; the message is translated, for the form."""


@dataclass
class ImportFile:
    """The rows of an uploaded file as text, keyed by column. JSON-serialisable (kept in the session)."""

    filename: str
    digest: str  # SHA-256 of the uploaded bytes: the confirmation must be for the file that was previewed
    columns: dict[str, str]  # column key -> the header as written in the file
    ignored_columns: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (row number in the spreadsheet, cells)

    def to_session(self) -> dict:
        """Plain JSON; each row's cells as a list in column order, which halves the size of repeated keys."""
        keys = list(self.columns)
        return {
            "filename": self.filename,
            "digest": self.digest,
            "columns": [[key, self.columns[key]] for key in keys],
            "ignored_columns": self.ignored_columns,
            "rows": [[number, [cells[key] for key in keys]] for number, cells in self.rows],
        }

    @classmethod
    def from_session(cls, data: dict) -> "ImportFile":
        columns = dict(data["columns"])
        return cls(
            filename=data["filename"],
            digest=data["digest"],
            columns=columns,
            ignored_columns=list(data["ignored_columns"]),
            rows=[(int(number), dict(zip(columns, cells, strict=True))) for number, cells in data["rows"]],
        )


def read_upload(*, filename: str, content: bytes) -> ImportFile:
    """Read an XLSX (first sheet) or CSV file. Raises ImportFileError with a message for the user.

    The format is recognised from the bytes (an XLSX file is a zip archive), not trusted from the name.
    """
    if not content:
        raise ImportFileError(_("The file is empty."))
    if len(content) > MAX_UPLOAD_BYTES:
        raise ImportFileError(_("The file is larger than 5 MB. Split it into smaller files."))
    lowered = filename.lower()
    if content.startswith(b"PK\x03\x04"):
        table = _xlsx_table(content)
    elif content.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(_("This is an old Excel file (.xls). Save it as .xlsx or .csv and upload it again."))
    elif lowered.endswith(".xlsx"):
        raise ImportFileError(_("The file is not a valid Excel (.xlsx) file."))
    elif lowered.endswith((".csv", ".txt")):
        table = _csv_table(content)
    else:
        raise ImportFileError(_("Upload an Excel (.xlsx) or CSV (.csv) file."))
    columns, ignored, rows = _read_table(table)
    return ImportFile(
        filename=filename,
        digest=hashlib.sha256(content).hexdigest(),
        columns=columns,
        ignored_columns=ignored,
        rows=rows,
    )


def _xlsx_table(content: bytes) -> Iterator[tuple[object, ...]]:
    # openpyxl reads the whole shared-strings part into memory even in read-only mode: a 5 MB archive of
    # repeated text can unpack to gigabytes. Refuse archives that unpack to more than a real sheet would.
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as exc:
        logger.info("Unreadable XLSX upload: %r", exc)
        raise ImportFileError(_("The Excel file could not be read. Is it damaged?")) from None
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        logger.info("XLSX upload unpacks to %s bytes", unpacked)
        raise ImportFileError(_("The Excel file could not be read. Is it damaged?"))
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
    except Exception as exc:  # openpyxl raises many kinds of errors on a damaged file
        logger.info("Unreadable XLSX upload: %r", exc)
        raise ImportFileError(_("The Excel file could not be read. Is it damaged?")) from None

    def rows() -> Iterator[tuple[object, ...]]:
        try:
            # Read-only mode fills in empty rows, so the position is the spreadsheet's row number.
            yield from sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)
        except Exception as exc:
            logger.info("Unreadable XLSX upload: %r", exc)
            raise ImportFileError(_("The Excel file could not be read. Is it damaged?")) from None
        finally:
            workbook.close()

    return rows()


def _csv_table(content: bytes) -> Iterator[list[str]]:
    if b"\x00" in content:
        raise ImportFileError(_("The file is not a CSV text file."))
    if content.startswith(b"\xef\xbb\xbf"):
        text = content[3:].decode("utf-8", errors="replace")
    else:
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            # Excel on Windows saves CSV in the ANSI code page; Latin-1 reads any byte.
            try:
                text = content.decode("cp1252")
            except UnicodeDecodeError:
                text = content.decode("latin-1")
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    try:
        delimiter = csv.Sniffer().sniff(first_line, delimiters=";,\t").delimiter
    except csv.Error:
        delimiter = max(";,\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    def rows() -> Iterator[list[str]]:
        try:
            yield from reader
        except csv.Error as exc:
            raise ImportFileError(_("The CSV file could not be read: %(error)s") % {"error": exc}) from None

    return rows()


def _read_table(table: Iterable[Iterable[object]]) -> tuple[dict[str, str], list[str], list[tuple[int, dict]]]:
    iterator = iter(enumerate(table, start=1))
    header_positions: dict[int, str] | None = None
    columns: dict[str, str] = {}
    ignored: list[str] = []
    for number, cells in iterator:
        cells = list(cells)[:MAX_COLUMNS]
        headers = [_plain_text(cell) for cell in cells]
        keys = [header_key(header) if header else None for header in headers]
        if sum(key is not None for key in keys) >= 2:
            header_positions = {}
            for position, (header, key) in enumerate(zip(headers, keys, strict=True)):
                if key is None:
                    if header:
                        ignored.append(header)
                    continue
                if key in columns:
                    raise ImportFileError(
                        _("The columns “%(first)s” and “%(second)s” are the same column.")
                        % {"first": columns[key], "second": header}
                    )
                columns[key] = header
                header_positions[position] = key
            break
        if number >= HEADER_SEARCH_ROWS:
            break
    if header_positions is None:
        raise ImportFileError(
            _(
                "No header row found: the first row must name the columns (codigo, nombres, apellidos, dni, ...). "
                "Download the template to see them."
            )
        )
    missing = [column.key for column in COLUMNS if column.required and column.key not in columns]
    if missing:
        raise ImportFileError(_("Required columns are missing: %(columns)s.") % {"columns": ", ".join(missing)})
    rows: list[tuple[int, dict[str, str]]] = []
    empty_run = 0
    for number, cells in iterator:
        cells = list(cells)[:MAX_COLUMNS]
        if not any(_plain_text(cell) for cell in cells):
            empty_run += 1
            if empty_run > MAX_EMPTY_RUN:
                break
            continue
        empty_run = 0
        if len(rows) >= MAX_ROWS:
            raise ImportFileError(
                _("The file has more than %(limit)s rows. Split it into smaller files.")
                % {"limit": number_format(MAX_ROWS, force_grouping=True)}
            )
        values = dict.fromkeys(columns, "")
        for position, key in header_positions.items():
            if position < len(cells):
                values[key] = _cell_text(cells[position], key)
        rows.append((number, values))
    if not rows:
        raise ImportFileError(_("The file has a header but no rows of members."))
    return columns, ignored, rows


def _plain_text(value: object) -> str:
    return "" if value is None else " ".join(str(value).split())


def _cell_text(value: object, key: str) -> str:
    """A cell as text: real Excel dates as YYYY-MM-DD, numbers without a float's noise."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "si" if value else "no"
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, int | float):
        text = str(int(value)) if float(value).is_integer() else format(Decimal(repr(value)), "f")
        # A DNI typed as a number loses its leading zero in Excel.
        if key == "dni" and (text.isascii() and text.isdigit()) and len(text) < 8:
            text = text.zfill(8)
        return text
    return _plain_text(value)


# ---------------------------------------------------------------------------------------------------
# The template to download
# ---------------------------------------------------------------------------------------------------


def template_csv() -> bytes:
    """The header and one example row; UTF-8 with a BOM and ";" so Excel in Spanish opens it in columns."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(TEMPLATE_HEADER)
    writer.writerow([_template_text(TEMPLATE_EXAMPLE[key]) for key in TEMPLATE_HEADER])
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def _template_text(value: object) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def template_xlsx() -> bytes:
    """The header, one example row, text-formatted identifier columns, and a sheet of instructions."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Socios"
    sheet.append(TEMPLATE_HEADER)
    example = []
    for key in TEMPLATE_HEADER:
        value = TEMPLATE_EXAMPLE[key]
        example.append(float(value) if isinstance(value, Decimal) else value)
    sheet.append(example)
    text_columns = {"codigo", "dni", "telefono"}  # kept as text so leading zeros survive
    for position, key in enumerate(TEMPLATE_HEADER, start=1):
        letter = get_column_letter(position)
        sheet.cell(row=1, column=position).font = Font(bold=True)
        sheet.column_dimensions[letter].width = max(12, len(key) + 4)
        cell = sheet.cell(row=2, column=position)
        if key in text_columns:
            cell.number_format = "@"
        elif isinstance(cell.value, datetime.date):
            cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    help_sheet = workbook.create_sheet(str(_("Instructions")))
    help_sheet.append([str(_("Column")), str(_("Required")), str(_("What to write"))])
    for cell in help_sheet[1]:
        cell.font = Font(bold=True)
    for column in COLUMNS:
        help_sheet.append([column.key, str(_("yes") if column.required else _("no")), str(column.description)])
    help_sheet.column_dimensions["A"].width = 24
    help_sheet.column_dimensions["C"].width = 80
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
