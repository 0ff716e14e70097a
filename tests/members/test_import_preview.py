"""The member import's preview: what a valid file will write (it writes nothing until confirmed), every
bad row listed with its error (and then nothing is written), the manager's regional scope, and a query
count that does not grow with the rows."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members.imports import member_import_preview, read_upload
from members.models import Farm, Member
from tests.factories import MemberFactory, region
from tests.members.conftest import (
    HEADER,
    IMPORT_URL,
    confirm,
    csv_upload,
    member_row,
    row_errors,
    three_rows,
    upload,
    xlsx_upload,
)

pytestmark = pytest.mark.django_db


# --- A valid file -----------------------------------------------------------------------------------


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


def test_a_coordinate_with_too_many_digits_is_a_row_error_not_a_server_error(manager_client):
    # Decimal.quantize raised InvalidOperation (a 500) on a number longer than the decimal context.
    response = upload(manager_client, csv_upload([member_row(latitud="1" * 30)]))

    assert response.status_code == 200
    assert ("latitud", f"“{'1' * 30}” is not a number.") in row_errors(response, 2)
    assert not Member.objects.exists()


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
def test_without_accept_language_the_preview_is_spanish_and_still_lists_the_row_error(manager_client):
    preview = upload(manager_client, csv_upload([member_row(hectareas="dos")]))

    assert '<html lang="es">' in preview.content.decode()
    assert len(row_errors(preview, 2)) == 1
    assert 'id="row-2" class="import-row-error"' in preview.content.decode()


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


def test_the_preview_does_not_reveal_a_member_outside_the_users_regions(manager_client):
    # Matched by DNI, a Cusco member's code was shown in a note, and which of their personal fields differ
    # from the file (an oracle on birth date, phone, consent...) was listed, to a manager of other regions.
    MemberFactory(code="CUS-77", dni="70000001", region=region("Cusco"))

    response = upload(manager_client, csv_upload([member_row()]))

    row = response.context["preview"].rows[0]
    assert ("codigo", "This member is registered in a region outside yours.") in row_errors(response, 2)
    assert row.notes == []
    assert row.member_changes == []
    assert "CUS-77" not in response.content.decode()
    assert not response.context["can_confirm"]


# --- Query count ----------------------------------------------------------------------------------


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
