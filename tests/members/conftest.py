"""Members test helpers: the member import's files (a header, rows, CSV and Excel uploads) and how the tests
upload and confirm them (tests/members/test_import_*.py). The farm of member BA-00001 in Huánuco, every staff
fixture's region, is tests/conftest.py's `farm`."""

import csv
import io

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

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
