"""The member import's files: the template to fill in, the files that cannot be imported (each a form error,
never a server error), and the reading and parsing of cells underneath, which touch no database.
The whole flow: upload -> preview (tests/members/test_import_preview.py) -> confirm
(tests/members/test_import_commit.py)."""

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from members.imports import ImportFileError, files, read_upload, template_xlsx
from members.imports.columns import parse_date, parse_decimal
from members.models import Farm, Member
from tests.members.conftest import HEADER, confirm, csv_upload, three_rows, upload

pytestmark = pytest.mark.django_db


# --- The template -----------------------------------------------------------------------------------


def test_the_xlsx_template_has_the_header_and_one_example_row(manager_client):
    response = manager_client.get(reverse("member_import_template", args=["xlsx"]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER
    assert len(rows) == 2
    example = dict(zip(HEADER, rows[1], strict=True))
    assert example["region"] == "Huánuco"
    assert example["fecha_ingreso"] == datetime.datetime(2012, 3, 1)  # a real date cell


def test_the_csv_template_has_the_header_and_one_example_row(manager_client):
    response = manager_client.get(reverse("member_import_template", args=["csv"]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == HEADER
    assert len(rows) == 2
    assert dict(zip(HEADER, rows[1], strict=True))["cultivo"] == "cacao"


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_the_downloaded_template_imports_as_it_is(manager_client, file_format):
    template = manager_client.get(reverse("member_import_template", args=[file_format])).content

    preview = upload(manager_client, SimpleUploadedFile(f"plantilla.{file_format}", template))
    response = confirm(manager_client, preview)

    assert response.status_code == 302
    farm = Farm.objects.select_related("member").get()
    assert farm.member.dni == "12345678"
    assert farm.hectares == Decimal("2.50")
    assert farm.estimated_production_kg == Decimal("920.00")


def test_an_unknown_template_format_is_not_found(manager_client):
    assert manager_client.get(reverse("member_import_template", args=["ods"])).status_code == 404


# --- Files that cannot be imported ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("socios.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "Upload an Excel (.xlsx) or CSV (.csv) file."),
        ("socios.xlsx", b"PK\x03\x04 not really a zip archive", "The Excel file could not be read."),
        ("socios.xlsx", b"just text", "The file is not a valid Excel (.xlsx) file."),
        ("socios.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40, "This is an old Excel file (.xls)."),
        ("socios.csv", b"\x00\x01\x02binary", "The file is not a CSV text file."),
        ("socios.csv", b"hello;world\n1;2\n", "No header row found"),
        ("socios.csv", b"codigo;nombres\nSOC-1;Rosa\n", "Required columns are missing: apellidos, sexo, region"),
        ("socios.csv", ";".join(HEADER).encode() + b"\n", "The file has a header but no rows of members."),
        ("socios.csv", b"codigo;codigo_socio;nombres\n", "are the same column"),
    ],
)
def test_a_file_that_is_not_an_importable_spreadsheet_is_a_form_error(manager_client, name, content, message):
    response = upload(manager_client, SimpleUploadedFile(name, content))

    assert response.status_code == 200
    assert response.templates[0].name == "members/import.html"
    assert any(message in error for error in response.context["form"].errors["file"])
    assert not Member.objects.exists()


def test_an_oversize_upload_is_a_form_error(manager_client, settings):
    big = SimpleUploadedFile("socios.csv", b"a" * (5 * 1024 * 1024 + 1))

    response = upload(manager_client, big)

    assert response.context["form"].errors["file"] == ["The file is larger than 5 MB. Split it into smaller files."]


def test_a_file_with_too_many_rows_is_a_form_error(manager_client, monkeypatch):
    monkeypatch.setattr("members.imports.files.MAX_ROWS", 2)

    response = upload(manager_client, csv_upload(three_rows()))

    assert response.context["form"].errors["file"] == ["The file has more than 2 rows. Split it into smaller files."]


def test_an_empty_file_is_a_form_error(manager_client):
    response = upload(manager_client, SimpleUploadedFile("socios.csv", b""))

    assert response.context["form"].errors["file"]
    assert not Member.objects.exists()


def test_an_xlsx_that_unpacks_to_more_than_a_sheet_would_is_refused_before_parsing(monkeypatch):
    # openpyxl loads every shared string into memory: a small archive of repeated text is a memory bomb.
    monkeypatch.setattr(files, "MAX_XLSX_UNPACKED_BYTES", 1_000)

    with pytest.raises(ImportFileError, match="could not be read"):
        read_upload(filename="socios.xlsx", content=template_xlsx())


def test_a_truncated_xlsx_is_a_form_error_not_a_server_error():
    with pytest.raises(ImportFileError, match="could not be read"):
        read_upload(filename="socios.xlsx", content=template_xlsx()[:200])


# --- The parsing underneath ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2,5", "2.5"), ("2.5", "2.5"), (" 3 ", "3"), ("1.234,5", "1234.5"), ("1,234.5", "1234.5"), ("-9.295", "-9.295")],
)
def test_decimals_accept_a_comma_or_a_point(text, expected):
    assert parse_decimal(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["dos", "2,5,1", "NaN", "Infinity", "1e3", ""])
def test_text_that_is_not_a_plain_number_is_refused(text):
    from members.imports.columns import InvalidCell

    with pytest.raises(InvalidCell):
        parse_decimal(text)


@pytest.mark.parametrize("text", ["2012-03-01", "01/03/2012", "1/3/2012", "01-03-2012", "2012-03-01 00:00:00"])
def test_dates_accept_iso_and_day_month_year(text):
    assert parse_date(text) == datetime.date(2012, 3, 1)


def test_reading_a_file_touches_no_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        file = read_upload(filename="socios.csv", content=csv_upload(three_rows()).read())

    assert [number for number, _cells in file.rows] == [2, 3, 4]
    assert file.rows[0][1]["hectareas"] == "2,5"


def test_reading_rejects_an_unreadable_file_with_a_message():
    with pytest.raises(ImportFileError, match="Upload an Excel"):
        read_upload(filename="socios.pdf", content=b"%PDF-1.4")
