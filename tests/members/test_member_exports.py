"""The filtered members list as CSV and XLSX: the same filters and scope as the page, streamed, bounded queries."""

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from members.models import Farm
from tests.conftest import ROLE_CLIENTS
from tests.factories import FarmFactory, MemberFactory, region

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
HEADER = [
    "Member code",
    "First names",
    "Last names",
    "DNI",
    "Gender",
    "Birth date",
    "Phone",
    "Region",
    "District",
    "Community",
    "Ubigeo",
    "Joined on",
    "Status",
    "Crops",
    "Active farms",
    "Total hectares",
]


def export(client, file_format: str, params: dict | None = None, **extra):
    return client.get(reverse("member_export", args=[file_format]), params or {}, **extra)


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def xlsx_rows(response) -> list[tuple]:
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return list(workbook.active.iter_rows(values_only=True))


@pytest.fixture
def cooperative():
    """Two Huánuco members (coffee, cocoa), one in San Martín, one in Cusco (out of everyone's scope)."""
    coffee = MemberFactory(
        code="BA-1",
        first_names="Teodoro",
        last_names="Espiritu Lino",
        dni="10117410",
        birth_date=datetime.date(1970, 5, 2),
    )
    FarmFactory(member=coffee, crop="coffee", hectares=Decimal("1.25"))
    FarmFactory(member=coffee, crop="coffee", hectares=Decimal("0.50"))
    cocoa = MemberFactory(code="BA-2", first_names="María", last_names="Quispe Huamán", dni=None)
    FarmFactory(member=cocoa, crop="cocoa", hectares=Decimal("6.00"))
    FarmFactory(member=cocoa, crop="coffee", hectares=Decimal("2.00"), status=Farm.Status.RETIRED)
    FarmFactory(member=MemberFactory(code="SM-3", region=region("San Martín")), crop="cocoa")
    FarmFactory(member=MemberFactory(code="CU-4", region=region("Cusco")), crop="coffee")


def test_the_csv_has_the_translated_header_and_exactly_the_filtered_rows(manager_client, cooperative):
    response = export(manager_client, "csv", {"crop": "coffee"}, **EN)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = csv_rows(response)
    assert rows[0] == HEADER
    assert rows[1:] == [
        [
            "BA-1",
            "Teodoro",
            "Espiritu Lino",
            "10117410",
            "Female",
            "1970-05-02",
            "",
            "Huánuco",
            "Tingo María",
            "Juan Velasco Alvarado",
            "",
            "2012-03-01",
            "Active",
            "Coffee",
            "2",
            "1.75",
        ]
    ]


def test_the_xlsx_has_the_translated_header_and_exactly_the_filtered_rows(manager_client, cooperative):
    response = export(manager_client, "xlsx", {"crop": "cocoa"}, **EN)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    rows = xlsx_rows(response)
    assert list(rows[0]) == HEADER
    assert [row[0] for row in rows[1:]] == ["BA-2", "SM-3"]
    quispe = dict(zip(HEADER, rows[1], strict=True))
    assert quispe["Last names"] == "Quispe Huamán"
    assert quispe["DNI"] is None  # an empty text cell
    assert quispe["Joined on"] == datetime.datetime(2012, 3, 1)
    assert quispe["Crops"] == "Cocoa"  # the retired coffee farm does not count
    assert quispe["Active farms"] == 1
    assert quispe["Total hectares"] == 6  # a number, not text


def test_hectares_are_numbers_in_the_xlsx(manager_client, cooperative):
    rows = xlsx_rows(export(manager_client, "xlsx", {"q": "BA-1"}))

    assert rows[1][-1] == pytest.approx(1.75)
    assert isinstance(rows[1][-1], float)


@pytest.mark.spanish
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_file_is_named_with_todays_date(manager_client, file_format):
    response = export(manager_client, file_format)

    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="socios-{today}.{file_format}"'


def test_the_file_name_follows_the_language(manager_client):
    response = export(manager_client, "csv", **EN)

    assert f"members-{timezone.localdate().isoformat()}.csv" in response["Content-Disposition"]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_export_keeps_the_sort_order(manager_client, cooperative, file_format):
    response = export(manager_client, file_format, {"sort": "-hectares"})

    rows = csv_rows(response) if file_format == "csv" else xlsx_rows(response)
    assert [row[0] for row in rows[1:]] == ["BA-2", "SM-3", "BA-1"]


@pytest.mark.parametrize("role_client", ROLE_CLIENTS)
def test_each_role_exports_only_the_members_in_its_regions(request, role_client, cooperative):
    client = request.getfixturevalue(role_client)
    expected = ["BA-1", "BA-2", "SM-3"] if role_client == "manager_client" else ["BA-1", "BA-2"]

    assert [row[0] for row in csv_rows(export(client, "csv"))[1:]] == expected
    assert [row[0] for row in xlsx_rows(export(client, "xlsx"))[1:]] == expected


def test_a_region_filter_outside_the_scope_exports_no_outsider(manager_client, cooperative):
    rows = csv_rows(export(manager_client, "csv", {"region": region("Cusco").pk}))

    assert "CU-4" not in [row[0] for row in rows[1:]]


def test_bad_filter_values_are_ignored_in_the_export(manager_client, cooperative):
    response = export(manager_client, "csv", {"status": "deceased", "program": "abc", "sort": "dni"})

    assert response.status_code == 200
    assert [row[0] for row in csv_rows(response)[1:]] == ["BA-1", "BA-2", "SM-3"]


def test_an_unknown_format_is_not_found(manager_client):
    assert export(manager_client, "pdf").status_code == 404
    assert manager_client.get("/members/export.").status_code == 404


def test_outsiders_and_anonymous_visitors_get_no_export(outsider_client, client, cooperative):
    assert export(outsider_client, "csv").status_code == 403
    outsider_client.logout()
    response = export(outsider_client, "xlsx")
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_text_that_a_spreadsheet_would_run_as_a_formula_is_kept_as_text(manager_client):
    MemberFactory(code="BA-1", last_names='=HYPERLINK("http://example.org","x")', phone="+51 987 654 321")

    csv_row = csv_rows(export(manager_client, "csv"))[1]
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(export(manager_client, "xlsx").streaming_content)))
    cell = workbook.active["C2"]

    assert csv_row[2] == '\'=HYPERLINK("http://example.org","x")'
    assert csv_row[6] == "+51 987 654 321"  # a phone number is not a formula
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://example.org","x")', "s")


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
@pytest.mark.parametrize("members", [1, 20])
def test_the_export_query_count_does_not_grow_with_its_rows(
    manager_client, django_assert_num_queries, file_format, members
):
    for member in MemberFactory.create_batch(members):
        FarmFactory(member=member)

    # session, user, staff roles; scope (does a role cover all regions?); the crop filter needs none; the
    # members with region and farm totals, read in chunks from one query.
    with django_assert_num_queries(5):
        response = export(manager_client, file_format, {"crop": "cocoa"})
        rows = csv_rows(response) if file_format == "csv" else xlsx_rows(response)

    assert len(rows) == members + 1
