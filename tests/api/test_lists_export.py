"""?format=csv and ?format=xlsx: the whole filtered set, with the JSON rows' fields."""

import csv
import io

import openpyxl
import pytest
from django.test import Client

from cooperative.models import ApiRequestLog
from tests.factories import MemberFactory, ProgramEnrollmentFactory

pytestmark = pytest.mark.django_db


def csv_rows(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff"))))


def xlsx_rows(response) -> list[dict]:
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    header, *rows = workbook.active.iter_rows(values_only=True)
    return [dict(zip(header, row, strict=True)) for row in rows]


@pytest.fixture
def sixty_members(program_a, population):
    """More than one JSON page (50): the export must not stop at the first."""
    for member in MemberFactory.create_batch(58):
        ProgramEnrollmentFactory(program=program_a, member=member)


def test_csv_holds_every_filtered_member_beyond_one_page(partner_a_client, sixty_members):
    response = partner_a_client.get("/api/v1/members/", {"format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="members-')
    rows = csv_rows(response)
    assert len(rows) == 60
    private = next(row for row in rows if row["code"] == "M-a_private")
    assert private["first_names"] == private["dni"] == ""
    assert private["programs"] == "LWR-CACAO"
    assert list(rows[0]) == list(partner_a_client.get("/api/v1/members/").json()["results"][0])


def test_csv_applies_the_filters(partner_a_client, sixty_members):
    response = partner_a_client.get("/api/v1/members/", {"format": "csv", "region": "San Martín"})

    assert [row["code"] for row in csv_rows(response)] == ["M-a_private"]


def test_xlsx_holds_every_filtered_member(partner_a_client, sixty_members):
    response = partner_a_client.get("/api/v1/members/", {"format": "xlsx"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert ".xlsx" in response["Content-Disposition"]
    rows = xlsx_rows(response)
    assert len(rows) == 60
    assert next(row for row in rows if row["code"] == "M-a_private")["dni"] is None


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
@pytest.mark.parametrize("endpoint", ["farms", "certifications", "visits", "loans"])
def test_every_list_exports_its_scoped_rows(partner_b_client, manager_client, population, endpoint, export_format):
    parse = csv_rows if export_format == "csv" else xlsx_rows

    partner_rows = parse(partner_b_client.get(f"/api/v1/{endpoint}/", {"format": export_format}))
    staff_rows = parse(manager_client.get(f"/api/v1/{endpoint}/", {"format": export_format}))

    assert [row["member"] for row in partner_rows] == ["M-b_member"]
    assert len(staff_rows) == 4


def test_visit_pests_are_one_json_cell_in_csv(partner_b_client, population):
    row = csv_rows(partner_b_client.get("/api/v1/visits/", {"format": "csv"}))[0]

    assert row["pests"] == '[{"pest": "frosty_pod_rot", "severity": 2}]'
    assert row["technician"] == ""


def test_text_that_a_spreadsheet_would_run_as_a_formula_is_quoted(manager_client, population):
    population["unenrolled"].__class__.objects.filter(pk=population["unenrolled"].pk).update(community="=HYPERLINK(1)")

    rows = {row["code"]: row for row in csv_rows(manager_client.get("/api/v1/members/", {"format": "csv"}))}

    assert rows["M-unenrolled"]["community"] == "'=HYPERLINK(1)"


@pytest.mark.parametrize("endpoint", ["members", "farms", "certifications", "visits", "loans"])
def test_an_unknown_format_answers_400_naming_the_formats(partner_a_client, population, endpoint):
    response = partner_a_client.get(f"/api/v1/{endpoint}/", {"format": "pdf"})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"format": ["Unknown format “pdf”: give one of json, csv, xlsx."]}


def test_an_unknown_format_with_a_malformed_authorization_header_answers_400_not_a_server_error(population):
    # The format is refused before authentication runs; the request log then authenticates, and refuses.
    response = Client(headers={"Authorization": "Bearer ", "Accept-Language": "en"}).get(
        "/api/v1/members/", {"format": "AAA"}
    )

    assert response.status_code == 400
    assert list(response.json()) == ["format"]
    assert ApiRequestLog.objects.get().status_code == 400


def test_anonymous_export_answers_401(client, population):
    assert client.get("/api/v1/members/", {"format": "csv"}).status_code == 401
