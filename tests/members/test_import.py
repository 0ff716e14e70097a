"""The member import: template, upload -> preview (writes nothing) -> confirm (all rows in one transaction)."""

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members.imports import (
    ImportFileError,
    member_import_preview,
    read_upload,
)
from members.imports.columns import parse_date, parse_decimal
from members.models import Farm, Member
from tests.factories import FarmFactory, MemberFactory, UserFactory, region

pytestmark = pytest.mark.django_db

HEADER = [
    "codigo",
    "nombres",
    "apellidos",
    "dni",
    "sexo",
    "fecha_nacimiento",
    "telefono",
    "region",
    "distrito",
    "comunidad",
    "fecha_ingreso",
    "consentimiento",
    "fecha_consentimiento",
    "parcela",
    "cultivo",
    "hectareas",
    "variedades",
    "altitud",
    "latitud",
    "longitud",
    "produccion",
    "unidad",
]
IMPORT_URL = reverse("member_import")
CONFIRM_URL = reverse("member_import_confirm")


def member_row(**overrides: str) -> dict[str, str]:
    row = {
        "codigo": "SOC-0001",
        "nombres": "Rosa",
        "apellidos": "Quispe Huamán",
        "dni": "70000001",
        "sexo": "F",
        "fecha_nacimiento": "12/04/1985",
        "telefono": "987654321",
        "region": "Huánuco",
        "distrito": "Rupa-Rupa",
        "comunidad": "Juan Velasco Alvarado",
        "fecha_ingreso": "2012-03-01",
        "consentimiento": "si",
        "fecha_consentimiento": "2024-01-15",
        "parcela": "La Esperanza",
        "cultivo": "cacao",
        "hectareas": "2,5",
        "variedades": "CCN-51",
        "altitud": "680",
        "latitud": "-9.295",
        "longitud": "-75.995",
        "produccion": "20",
        "unidad": "qq",
    }
    row.update(overrides)
    return row


def three_rows() -> list[dict[str, str]]:
    """Two members: Rosa with one cocoa farm, Juan with two coffee farms (two rows, same code)."""
    return [
        member_row(),
        member_row(
            codigo="SOC-0002",
            nombres="Juan",
            apellidos="Mamani",
            dni="70000002",
            sexo="masculino",
            region="San Martín",
            consentimiento="no",
            fecha_consentimiento="",
            parcela="Alto Mayo",
            cultivo="café",
            hectareas="1.75",
            produccion="1200",
            unidad="kg",
        ),
        member_row(
            codigo="SOC-0002",
            nombres="Juan",
            apellidos="Mamani",
            dni="70000002",
            sexo="masculino",
            region="San Martín",
            consentimiento="no",
            fecha_consentimiento="",
            parcela="Bajo Mayo",
            cultivo="cafe",
            hectareas="0,8",
            produccion="",
            unidad="",
        ),
    ]


def csv_upload(
    rows: list[dict[str, str]],
    *,
    header: list[str] = HEADER,
    delimiter: str = ";",
    encoding: str = "utf-8-sig",
    name: str = "socios.csv",
) -> SimpleUploadedFile:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(column, "") for column in HEADER])
    return SimpleUploadedFile(name, out.getvalue().encode(encoding), content_type="text/csv")


def xlsx_upload(
    rows: list[list[object]], *, header: list[str] = HEADER, title: str | None = None
) -> SimpleUploadedFile:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    if title:
        sheet.append([title])
        sheet.append([])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return SimpleUploadedFile("socios.xlsx", out.getvalue())


def upload(client, file: SimpleUploadedFile):
    return client.post(IMPORT_URL, {"file": file})


def confirm(client, preview_response):
    digest = preview_response.context["preview"].file.digest
    return client.post(CONFIRM_URL, {"digest": digest})


def row_errors(response, number: int) -> list[tuple[str, str]]:
    row = next(row for row in response.context["preview"].rows if row.number == number)
    return [(error.column, error.message) for error in row.errors]


@pytest.fixture(autouse=True)
def english_requests(client):
    """Requests ask for English, so assertions read the English source strings of the messages."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


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


# --- A valid file -----------------------------------------------------------------------------------


def test_the_upload_page_has_a_labelled_file_input_and_the_template_links(manager_client):
    response = manager_client.get(IMPORT_URL)

    assert response.status_code == 200
    content = response.content.decode()
    assert 'type="file"' in content and 'accept=".xlsx,.csv"' in content
    assert '<label for="id_file">' in content
    assert reverse("member_import_template", args=["xlsx"]) in content


def test_a_valid_csv_is_previewed_without_writing_then_imported_on_confirmation(manager_client):
    preview = upload(manager_client, csv_upload(three_rows()))

    assert preview.status_code == 200
    assert preview.context["can_confirm"] is True
    counts = preview.context["counts"]
    assert (counts.rows, counts.members_created, counts.members_updated, counts.farms_created) == (3, 2, 0, 3)
    assert 'id="import-confirm"' in preview.content.decode()
    assert not Member.objects.exists() and not Farm.objects.exists()

    response = confirm(manager_client, preview)

    assert response.status_code == 302 and response["Location"] == reverse("member_list")
    rosa = Member.objects.get(code="SOC-0001")
    assert (rosa.first_names, rosa.last_names, rosa.dni, rosa.gender) == ("Rosa", "Quispe Huamán", "70000001", "female")
    assert rosa.birth_date == datetime.date(1985, 4, 12) and rosa.joined_on == datetime.date(2012, 3, 1)
    assert rosa.region == region("Huánuco") and rosa.phone == "987654321"
    assert rosa.consents_to_share is True and rosa.consent_date == datetime.date(2024, 1, 15)
    farm = rosa.farms.get()
    assert farm.name == "La Esperanza" and farm.crop == "cocoa" and farm.region == region("Huánuco")
    assert farm.hectares == Decimal("2.50") and isinstance(farm.hectares, Decimal)
    assert (farm.production_quantity, farm.production_unit) == (Decimal("20.00"), "qq")
    assert farm.estimated_production_kg == Decimal("920.00")  # 20 quintals of 46 kg
    assert (farm.altitude_m, farm.latitude, farm.longitude) == (680, Decimal("-9.295000"), Decimal("-75.995000"))
    juan = Member.objects.get(code="SOC-0002")
    assert juan.gender == "male" and juan.consents_to_share is False and juan.region == region("San Martín")
    assert list(juan.farms.order_by("name").values_list("name", "crop", "hectares", "estimated_production_kg")) == [
        ("Alto Mayo", "coffee", Decimal("1.75"), Decimal("1200.00")),
        ("Bajo Mayo", "coffee", Decimal("0.80"), None),
    ]


def test_a_valid_xlsx_with_real_date_and_number_cells_imports(manager_client):
    values = member_row()
    values.update(
        dni=1234567,  # typed as a number, Excel dropped the leading zero of 01234567
        fecha_nacimiento=datetime.datetime(1985, 4, 12),
        fecha_ingreso=datetime.date(2012, 3, 1),
        fecha_consentimiento=datetime.datetime(2024, 1, 15),
        hectareas=2.5,
        altitud=680,
        latitud=-9.2950001234,
        longitud=-75.995,
        produccion=20,
        telefono=987654321,
    )
    preview = upload(manager_client, xlsx_upload([[values[column] for column in HEADER]]))
    assert preview.context["preview"].is_valid, row_errors(preview, 2)

    confirm(manager_client, preview)

    member = Member.objects.get()
    assert member.dni == "01234567" and member.phone == "987654321"
    assert member.birth_date == datetime.date(1985, 4, 12)
    farm = member.farms.get()
    assert farm.hectares == Decimal("2.50")
    assert farm.latitude == Decimal("-9.295000")  # rounded to the 6 decimals the EUDR asks for
    assert farm.estimated_production_kg == Decimal("920.00")


def test_headers_match_ignoring_case_and_accents_and_english_field_names_are_accepted(manager_client):
    header = ["Código", "NOMBRES", "last_names", "DNI", "Género", "Fecha de nacimiento", "Teléfono", "Región"]
    header += ["Distrito", "community", "Fecha de Ingreso", "Consentimiento", "consent_date", "Parcela", "Cultivo"]
    header += ["Hectáreas (ha)", "Variedades", "Altitud (msnm)", "Latitud", "Longitud", "Producción", "Unidad"]

    preview = upload(manager_client, csv_upload([member_row()], header=header))

    assert preview.context["preview"].is_valid, row_errors(preview, 2)
    assert preview.context["preview"].file.ignored_columns == []


def test_a_comma_separated_latin1_file_without_bom_imports_with_its_accents(manager_client):
    rows = [member_row(apellidos="Ñaupari Huamán", hectareas="2.5")]
    preview = upload(manager_client, csv_upload(rows, delimiter=",", encoding="cp1252"))
    confirm(manager_client, preview)

    member = Member.objects.get()
    assert member.last_names == "Ñaupari Huamán" and member.region == region("Huánuco")


@pytest.mark.parametrize(
    ("typed", "expected"), [("huanuco", "Huánuco"), ("SAN MARTIN", "San Martín"), ("10", "Huánuco")]
)
def test_regions_match_ignoring_case_and_accents_or_by_ubigeo_code(manager_client, typed, expected):
    preview = upload(manager_client, csv_upload([member_row(region=typed)]))
    confirm(manager_client, preview)

    assert Member.objects.get().region.name == expected


def test_unknown_columns_are_listed_as_not_imported(manager_client):
    header = [*HEADER, "observaciones"]
    content = ";".join(header) + "\n" + ";".join([*member_row().values(), "buena socia"]) + "\n"

    preview = upload(manager_client, SimpleUploadedFile("socios.csv", content.encode()))

    assert preview.context["preview"].file.ignored_columns == ["observaciones"]
    assert "observaciones" in preview.content.decode()


# --- A file with a bad row writes nothing ---------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "column", "message"),
    [
        ({"dni": "1234"}, "dni", "Enter a valid DNI"),
        ({"region": "Narnia"}, "region", "Unknown region “Narnia”"),
        ({"hectareas": "dos"}, "hectareas", "“dos” is not a number."),
        ({"hectareas": "0"}, "hectareas", "The area must be greater than zero."),
        ({"cultivo": "coca"}, "cultivo", "Unknown crop “coca”"),
        ({"fecha_ingreso": "31/02/2012"}, "fecha_ingreso", "“31/02/2012” is not a valid date."),
        ({"fecha_ingreso": "2999-01-01"}, "fecha_ingreso", "The joining date cannot be in the future."),
        ({"nombres": ""}, "nombres", "This field is required."),
        ({"unidad": "saco"}, "unidad", "Unknown unit “saco”"),
        ({"consentimiento": "si", "fecha_consentimiento": ""}, "fecha_consentimiento", "Record the date"),
    ],
)
def test_a_bad_row_is_listed_with_its_error_and_nothing_is_written(manager_client, overrides, column, message):
    MemberFactory()
    rows = three_rows()
    rows[1].update(overrides)
    rows[2].update(overrides)  # the member's other row agrees with it

    preview = upload(manager_client, csv_upload(rows))

    assert preview.status_code == 200
    assert preview.context["can_confirm"] is False
    errors = row_errors(preview, 3)
    assert any(col == column and text.startswith(message) for col, text in errors), errors
    assert row_errors(preview, 2) == []
    assert 'id="import-confirm"' not in preview.content.decode()
    assert message in preview.content.decode().replace("&quot;", '"').replace("&#x27;", "'")
    assert (Member.objects.count(), Farm.objects.count()) == (1, 0)

    refused = confirm(manager_client, preview)

    assert refused.status_code == 302 and refused["Location"] == IMPORT_URL
    assert (Member.objects.count(), Farm.objects.count()) == (1, 0)


def test_a_dni_twice_in_the_file_under_different_codes_is_a_row_error(manager_client):
    rows = [member_row(), member_row(codigo="SOC-0009", parcela="Otra")]

    preview = upload(manager_client, csv_upload(rows))

    assert row_errors(preview, 3) == [("dni", "This DNI is also on row 2, with another member code.")]
    assert not Member.objects.exists()


def test_rows_of_one_member_must_agree_on_the_member_columns(manager_client):
    rows = [member_row(), member_row(parcela="Otra", telefono="999111222")]

    preview = upload(manager_client, csv_upload(rows))

    assert row_errors(preview, 3) == [("", "The member columns differ from row 2, which has the same code: telefono.")]


def test_the_same_farm_twice_for_one_member_is_a_row_error(manager_client):
    preview = upload(manager_client, csv_upload([member_row(), member_row(parcela="la esperanza")]))

    assert row_errors(preview, 3) == [("parcela", "The farm “la esperanza” of this member is also on row 2.")]


def test_after_the_bad_row_is_corrected_the_file_imports(manager_client):
    rows = three_rows()
    rows[0]["hectareas"] = "dos"
    assert upload(manager_client, csv_upload(rows)).context["can_confirm"] is False

    rows[0]["hectareas"] = "2,5"
    response = confirm(manager_client, upload(manager_client, csv_upload(rows)))

    assert response.status_code == 302
    assert (Member.objects.count(), Farm.objects.count()) == (2, 3)


def test_error_rows_keep_their_spreadsheet_row_number_below_a_title_row(manager_client):
    values = member_row(hectareas="dos")

    preview = upload(manager_client, xlsx_upload([[values[c] for c in HEADER]], title="Padrón de socios 2026"))

    assert [row.number for row in preview.context["preview"].rows] == [4]
    assert row_errors(preview, 4) == [("hectareas", "“dos” is not a number.")]


@pytest.mark.spanish
def test_without_accept_language_the_preview_is_spanish_and_still_lists_the_row_error(client, manager_client):
    del client.defaults["HTTP_ACCEPT_LANGUAGE"]

    preview = upload(manager_client, csv_upload([member_row(hectareas="dos")]))

    assert '<html lang="es">' in preview.content.decode()
    assert len(row_errors(preview, 2)) == 1
    assert 'id="row-2" class="import-row-error"' in preview.content.decode()


# --- Re-importing updates instead of duplicating --------------------------------------------------


def test_reimporting_the_same_file_updates_instead_of_duplicating(manager_client):
    rows = three_rows()
    confirm(manager_client, upload(manager_client, csv_upload(rows)))
    rosa_before = Member.objects.get(code="SOC-0001")
    farm_ids = set(Farm.objects.values_list("id", flat=True))

    rows[0]["telefono"] = "911222333"
    rows[2]["hectareas"] = "1,1"
    preview = upload(manager_client, csv_upload(rows))

    counts = preview.context["counts"]
    assert (counts.members_created, counts.members_updated, counts.members_unchanged) == (0, 1, 1)
    assert (counts.farms_created, counts.farms_updated, counts.farms_unchanged) == (0, 1, 2)
    response = confirm(manager_client, preview)

    assert response.status_code == 302
    assert (Member.objects.count(), Farm.objects.count()) == (2, 3)
    assert set(Farm.objects.values_list("id", flat=True)) == farm_ids
    rosa = Member.objects.get(code="SOC-0001")
    assert rosa.pk == rosa_before.pk and rosa.phone == "911222333"
    assert Farm.objects.get(name="Bajo Mayo").hectares == Decimal("1.10")
    assert rosa.history.count() == 2  # created, then the phone change; the unchanged member got no new version
    assert Member.objects.get(code="SOC-0002").history.count() == 1


def test_a_registered_member_is_matched_by_dni_when_the_code_differs(manager_client):
    registered = MemberFactory(code="M-ANTIGUO", dni="70000001", phone="")
    FarmFactory(member=registered, name="La Esperanza", hectares=Decimal("1.00"))

    preview = upload(manager_client, csv_upload([member_row(codigo="SOC-0001")]))

    assert preview.context["counts"].members_updated == 1
    assert "Matched by DNI to member M-ANTIGUO" in preview.content.decode()
    confirm(manager_client, preview)
    registered.refresh_from_db()
    assert Member.objects.count() == 1 and registered.code == "M-ANTIGUO"
    assert registered.phone == "987654321" and registered.first_names == "Rosa"
    assert registered.farms.get().hectares == Decimal("2.50")


def test_a_registered_member_is_matched_by_code_and_gets_a_new_farm(manager_client):
    registered = MemberFactory(code="SOC-0001", dni=None)
    FarmFactory(member=registered, name="Vieja")

    confirm(manager_client, upload(manager_client, csv_upload([member_row()])))

    registered.refresh_from_db()
    assert registered.dni == "70000001"
    assert sorted(registered.farms.values_list("name", flat=True)) == ["La Esperanza", "Vieja"]


def test_a_dni_of_one_member_with_the_code_of_another_is_a_conflict(manager_client):
    MemberFactory(code="M-A", dni="70000001")
    MemberFactory(code="SOC-0001", dni="70000099")

    preview = upload(manager_client, csv_upload([member_row()]))

    assert row_errors(preview, 2) == [
        ("dni", "This DNI belongs to member M-A, but the code SOC-0001 belongs to another member.")
    ]


def test_a_crop_change_on_reimport_keeps_the_previous_crop(manager_client):
    confirm(manager_client, upload(manager_client, csv_upload([member_row(cultivo="cafe")])))

    confirm(manager_client, upload(manager_client, csv_upload([member_row(cultivo="cacao")])))

    farm = Farm.objects.get()
    assert (farm.crop, farm.previous_crop) == ("cocoa", "coffee")


# --- Scope ----------------------------------------------------------------------------------------


def test_a_region_outside_the_managers_scope_is_a_row_error(manager_client):
    preview = upload(manager_client, csv_upload([member_row(region="Cusco")]))

    assert row_errors(preview, 2) == [("region", "The region Cusco is outside your regions.")]
    assert not Member.objects.exists()


def test_a_registered_member_outside_the_managers_scope_cannot_be_updated(manager_client):
    MemberFactory(code="SOC-0001", dni="70000001", region=region("Cusco"))

    preview = upload(manager_client, csv_upload([member_row()]))

    assert ("codigo", "This member is registered in a region outside yours.") in row_errors(preview, 2)
    assert Member.objects.get().region == region("Cusco")


# --- Confirmation -----------------------------------------------------------------------------------


def test_confirm_writes_nothing_when_the_database_changed_since_the_preview(manager_client):
    preview = upload(manager_client, csv_upload(three_rows()))
    MemberFactory(code="M-A", dni="70000002")  # registered meanwhile: Juan's DNI ...
    MemberFactory(code="SOC-0002", dni="70000088")  # ... and Juan's code, on two different members

    response = confirm(manager_client, preview)

    assert response.status_code == 200
    assert response.context["can_confirm"] is False
    assert "Nothing was imported" in response.content.decode()
    assert row_errors(response, 3)[0][0] == "dni"
    assert Member.objects.count() == 2 and not Farm.objects.exists()


def test_confirm_needs_the_digest_of_the_previewed_file(manager_client):
    upload(manager_client, csv_upload(three_rows()))

    response = manager_client.post(CONFIRM_URL, {"digest": "0" * 64})

    assert response.status_code == 302 and response["Location"] == IMPORT_URL
    assert not Member.objects.exists()


def test_confirm_without_a_preview_is_refused(manager_client):
    response = manager_client.post(CONFIRM_URL, {"digest": ""}, follow=True)

    assert "no longer waiting for confirmation" in response.content.decode()
    assert not Member.objects.exists()


def test_a_confirmed_import_cannot_be_confirmed_twice(manager_client):
    preview = upload(manager_client, csv_upload(three_rows()))
    confirm(manager_client, preview)

    again = confirm(manager_client, preview)

    assert again["Location"] == IMPORT_URL
    assert Member.objects.count() == 2


def test_confirm_answers_only_post(manager_client):
    assert manager_client.get(CONFIRM_URL).status_code == 405


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


# --- Roles ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", IMPORT_URL),
        ("post", IMPORT_URL),
        ("post", CONFIRM_URL),
        ("get", reverse("member_import_template", args=["xlsx"])),
    ],
)
@pytest.mark.parametrize("role_client", ["technician_client", "credit_officer_client", "ics_client", "outsider_client"])
def test_only_a_manager_may_import(request, role_client, method, url):
    client = request.getfixturevalue(role_client)

    response = getattr(client, method)(url)

    assert response.status_code == 403


@pytest.mark.parametrize(
    "url",
    [IMPORT_URL, CONFIRM_URL, reverse("member_import_template", args=["csv"])],
    ids=["form", "confirm", "template"],
)
def test_anonymous_users_are_sent_to_the_login_page(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_manager_may_open_the_import(manager_client):
    assert manager_client.get(IMPORT_URL).status_code == 200


def test_a_superuser_counts_as_a_manager_of_every_region(client):
    client.force_login(UserFactory(username="admin", is_superuser=True, is_staff=True))

    preview = upload(client, csv_upload([member_row(region="Cusco")]))

    assert preview.context["preview"].is_valid


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


def test_the_preview_query_count_does_not_grow_with_the_rows(manager_client):
    user = manager_client.user
    one = read_upload(filename="a.csv", content=csv_upload([member_row()]).read())
    many_rows = [member_row(codigo=f"SOC-{n:04d}", dni=f"{70000100 + n}", parcela=f"Parcela {n}") for n in range(20)]
    many = read_upload(filename="b.csv", content=csv_upload(many_rows).read())
    MemberFactory(code="SOC-0003", dni="70000103")  # some rows update, so farms are looked up too
    MemberFactory(code="SOC-0000", dni="70000001")

    with CaptureQueriesContext(connection) as for_one:
        member_import_preview(file=one, user=user)
    with CaptureQueriesContext(connection) as for_twenty:
        preview = member_import_preview(file=many, user=user)

    assert preview.is_valid
    # Regions, the user's scope (grants with all regions?, then the regions), members by code, members by
    # DNI, and the farms of the matched members.
    assert len(for_one) == len(for_twenty) == 6


def test_a_conflict_found_while_writing_rolls_back_every_row(manager_client, monkeypatch):
    from members.imports import ImportRejected, member_import, service

    real_preview = service.member_import_preview

    def preview_then_a_concurrent_registration(**kwargs):
        preview = real_preview(**kwargs)
        # Another user registers Juan's DNI after the rows were validated, before they are written.
        MemberFactory(code="OTRO", dni="70000002")
        return preview

    monkeypatch.setattr(service, "member_import_preview", preview_then_a_concurrent_registration)
    file = read_upload(filename="socios.csv", content=csv_upload(three_rows()).read())

    with pytest.raises(ImportRejected) as rejected:
        member_import(file=file, user=manager_client.user)

    rows = {row.number: row for row in rejected.value.preview.rows}
    assert [(error.column, error.message) for error in rows[3].errors] == [
        ("dni", "Another member is registered with this DNI.")
    ]
    assert not Member.objects.filter(code="SOC-0001").exists()  # Rosa was written first, then rolled back
    assert not Farm.objects.exists()
