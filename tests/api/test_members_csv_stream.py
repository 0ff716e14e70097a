"""`GET /api/v1/members/?format=csv`: streamed from two queries (api.members.member_csv_export), with the
JSON list's rows, cell for cell, for every client and filter."""

import csv
import datetime
import io

import pytest
from django.http import StreamingHttpResponse

import api.lists
import api.members
from api.lists import _cell, _csv_chunks, _may_need_cell
from api.members import _member_csv_rows
from cooperative.models import ProgramEnrollment
from tests.api.test_lists_queries import PARTNER_OVERHEAD, STAFF_OVERHEAD
from tests.factories import AllianceProgramFactory, FarmFactory, MemberFactory, ProgramEnrollmentFactory, region

pytestmark = pytest.mark.django_db

# The export's own queries: the members (region joined), the scope's enrolments (program joined).
EXPORT_QUERIES = 2


def csv_rows(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff"))))


def json_rows_as_csv(client, params: dict) -> list[dict[str, str]]:
    """Every row of the JSON list (page after page), each value as the CSV cell `_cell` makes of it."""
    rows, url, query = [], "/api/v1/members/", {**params, "page_size": 500}
    while url:
        response = client.get(url, query)
        assert response.status_code == 200, response.content
        page = response.json()
        rows += [{name: str(_cell(value)) for name, value in row.items()} for row in page["results"]]
        url, query = page["next"], None
    return rows


@pytest.fixture
def program_a2(partner_a):
    """Partner A's second program. Its code sorts before LWR-CACAO by code point, after it in most
    collations (lower case): the programs cell must keep the JSON list's order."""
    return AllianceProgramFactory(partner=partner_a, code="LWR-cafe", regions=[region("Huánuco")])


@pytest.fixture
def members(population, program_a, program_a2, program_b):
    """The population, plus: a member of Huánuco in both of A's programs and in B's; members of A's program
    whose text a spreadsheet would take for a formula, or holds characters it refuses; one born on an
    unknown date."""
    both = MemberFactory(
        code="M-both", region=region("Huánuco"), consents_to_share=True, consent_date=datetime.date(2021, 3, 1)
    )
    for program in (program_a2, program_a, program_b):
        ProgramEnrollmentFactory(program=program, member=both)
    FarmFactory(member=both, crop="coffee")
    tricky = [
        MemberFactory(code="M-formula", community="=HYPERLINK(1)", district="-12", phone="+51 999"),
        MemberFactory(code="M-bell", first_names="Ana\x07", last_names="\tRuiz", community="Alto, =Bajo"),
        MemberFactory(code="M-quoted", district='"=1"', community="Sector\r\n2", birth_date=None),
    ]
    for member in tricky:
        member.__class__.objects.filter(pk=member.pk).update(
            consents_to_share=True, consent_date=datetime.date(2022, 1, 1)
        )
        ProgramEnrollmentFactory(program=program_a, member=member, status=ProgramEnrollment.Status.COMPLETED)
    return population


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"region": "Huánuco"},
        {"crop": "coffee"},
        {"status": "active"},
        {"program": "own"},
        {"search": "ruiz"},
        {"joined_after": "2000-01-01", "joined_before": "2030-12-31"},
        {"updated_since": "2000-01-01"},
    ],
)
@pytest.mark.parametrize("who", ["manager_client", "partner_a_client", "partner_b_client"])
def test_the_csv_holds_the_json_lists_rows_cell_for_cell(request, members, who, params):
    client = request.getfixturevalue(who)
    if params.get("program") == "own":  # a program of the client's scope (another one answers 400)
        params = {"program": "CCS-CAFE" if who == "partner_b_client" else "LWR-cafe"}

    response = client.get("/api/v1/members/", {**params, "format": "csv"})

    assert response.status_code == 200
    assert csv_rows(response) == json_rows_as_csv(client, params)


def test_the_csv_and_json_agree_on_a_sample_that_shows_each_rule(members, manager_client, partner_a_client):
    # Checks the comparison above sees something: consent, program order, formulas, refused characters.
    staff = {row["code"]: row for row in csv_rows(manager_client.get("/api/v1/members/", {"format": "csv"}))}
    partner = {row["code"]: row for row in csv_rows(partner_a_client.get("/api/v1/members/", {"format": "csv"}))}

    assert staff["M-both"]["programs"] == "LWR-CACAO; LWR-cafe"  # B's program is in Cusco: not the manager's
    assert partner["M-both"]["programs"] == "LWR-CACAO; LWR-cafe"
    assert partner["M-a_private"]["first_names"] == partner["M-a_private"]["dni"] == ""
    assert partner["M-a_private"]["birth_date"] == partner["M-a_private"]["phone"] == ""
    assert partner["M-a_consenting"]["birth_date"] == "1980-05-17"
    assert partner["M-a_consenting"]["consents_to_share"] == "true"
    assert partner["M-formula"]["community"] == "'=HYPERLINK(1)"
    assert partner["M-formula"]["district"] == "-12"
    assert partner["M-formula"]["phone"] == "'+51 999"
    assert partner["M-bell"]["first_names"] == "Ana"
    assert partner["M-bell"]["last_names"] == "'\tRuiz"
    assert partner["M-quoted"]["community"] == "Sector\r\n2"
    assert partner["M-quoted"]["birth_date"] == ""


def test_the_header_is_the_json_rows_fields(members, manager_client):
    response = manager_client.get("/api/v1/members/", {"format": "csv"})
    body = b"".join(response.streaming_content).decode()

    header = next(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))
    assert header == list(manager_client.get("/api/v1/members/").json()["results"][0])


def test_a_partner_gets_only_its_members_and_its_programs(members, partner_a_client):
    rows = csv_rows(partner_a_client.get("/api/v1/members/", {"format": "csv"}))

    codes = {row["code"] for row in rows}
    assert codes == {"M-a_consenting", "M-a_private", "M-both", "M-formula", "M-bell", "M-quoted"}
    assert not {"M-b_member", "M-unenrolled", "M-a_withdrawn"} & codes
    assert all("CCS-CAFE" not in row["programs"] for row in rows)


def test_staff_get_only_the_members_of_their_regions(members, manager_client):
    rows = csv_rows(manager_client.get("/api/v1/members/", {"format": "csv"}))

    # The manager covers Huánuco and San Martín: B's member (Cusco) is out.
    assert {row["region"] for row in rows} == {"Huánuco", "San Martín"}
    assert "M-b_member" not in {row["code"] for row in rows}
    both = next(row for row in rows if row["code"] == "M-both")
    assert both["programs"] == "LWR-CACAO; LWR-cafe"  # B's program is in Cusco, outside the manager's regions
    assert both["first_names"] != ""


def test_the_response_is_streamed_and_its_first_chunk_is_the_header_before_any_query(
    members, partner_a_client, django_assert_num_queries
):
    response = partner_a_client.get("/api/v1/members/", {"format": "csv"})
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    chunks = iter(response.streaming_content)

    with django_assert_num_queries(0):
        first = next(chunks)

    assert first.decode().startswith("\ufeffcode,first_names,")
    assert first.count(b"\n") == 1


@pytest.mark.parametrize(
    ("client_fixture", "overhead"), [("partner_a_client", PARTNER_OVERHEAD), ("manager_client", STAFF_OVERHEAD)]
)
def test_the_query_count_is_the_same_for_3_and_30_members_across_many_chunks(
    request, program_a, client_fixture, overhead, monkeypatch, django_assert_num_queries
):
    # Chunks of 2 rows from the database and 4 lines per written chunk: the members and the enrolments are
    # read in 15 round trips each, which must not be queries of their own (the serializer path ran the
    # enrolments' prefetch once per chunk).
    monkeypatch.setattr(api.members, "EXPORT_CHUNK_SIZE", 2)
    monkeypatch.setattr(api.lists, "EXPORT_CHUNK_SIZE", 2)
    monkeypatch.setattr(api.lists, "CSV_ROWS_PER_CHUNK", 4)
    client = request.getfixturevalue(client_fixture)
    huanuco = region("Huánuco")

    def export_rows() -> list[dict[str, str]]:
        with django_assert_num_queries(overhead + EXPORT_QUERIES):
            return csv_rows(client.get("/api/v1/members/", {"format": "csv"}))

    for member in MemberFactory.create_batch(3, region=huanuco):
        ProgramEnrollmentFactory(program=program_a, member=member)
    assert [row["programs"] for row in export_rows()] == ["LWR-CACAO"] * 3

    for member in MemberFactory.create_batch(27, region=huanuco):
        ProgramEnrollmentFactory(program=program_a, member=member)
    rows = export_rows()
    assert len(rows) == 30
    assert {row["programs"] for row in rows} == {"LWR-CACAO"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"region": "Atlántida"}, "region"),
        ({"crop": "rice"}, "crop"),
        ({"program": "CCS-CAFE"}, "program"),  # partner B's: unknown to partner A
        ({"joined_after": "2024-13-45"}, "joined_after"),
        ({"updated_since": ""}, "updated_since"),
        ({"search": "x" * 101}, "search"),
    ],
)
def test_a_bad_filter_answers_400_in_json_naming_the_field(members, partner_a_client, params, field):
    response = partner_a_client.get("/api/v1/members/", {**params, "format": "csv"})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert list(response.json()) == [field]


def test_enrolments_of_members_outside_the_member_rows_are_skipped():
    # The two queries are separate statements: a member registered (and enrolled) between them has
    # enrolments but no row.
    updated = datetime.datetime(2026, 11, 29, 15, 0, tzinfo=datetime.UTC)

    def member(member_id: int) -> tuple:
        # id, code, first and last names, DNI, phone, birth date, gender, region, district, community,
        # status, joined on, consent, updated at: as member_csv_export's values_list.
        return (member_id, f"M-{member_id}", "Ana", "Ruiz", "1", "", None, "female", "Junín", "", "", "active")[:12] + (
            "2020-01-01",
            True,
            updated,
        )

    rows = list(
        _member_csv_rows(
            iter([member(2), member(5), member(7)]),
            iter([(1, "X"), (2, "B"), (2, "A"), (3, "Y"), (7, "C"), (9, "Z")]),
            hide_without_consent=False,
        )
    )

    assert [(row[0], row[13]) for row in rows] == [("M-2", "A; B"), ("M-5", None), ("M-7", "C")]
    assert rows[0][14] == "2026-11-29T10:00:00-05:00"  # DRF's form, in Lima time


@pytest.mark.parametrize(
    "value",
    ["=1", "+1", "-1", "-1.5", "-x", "@a", "\tx", "\rx", "a\x07b", "\x1f", "x,=y", "a\n=b", '"=q"', "ok", "", None],
)
def test_raw_text_chunks_are_written_as_every_cell_through_cell_would_be(value):
    rows = [("plain", value, "true"), (value, "after", None)]

    fast = b"".join(_csv_chunks(["a", "b", "c"], rows, raw_text=True))
    exact = b"".join(_csv_chunks(["a", "b", "c"], [[_cell(cell) for cell in row] for row in rows]))

    assert fast == exact


def test_ordinary_member_rows_are_written_without_a_cell_call_each():
    # Accents, hyphens inside codes and dates, empty cells: nothing a spreadsheet would run or refuse, so
    # the chunk is written once (the national export's speed depends on it).
    row = ("S-00000001", "Percy", "Vásquez Mego", "70000001", "", "1949-12-11", "male", "Junín", "Río Negro")
    data = b"".join(_csv_chunks(["x"] * 9, [row] * 3))

    assert not _may_need_cell(data.split(b"\r\n", 1)[1])
    assert _may_need_cell(data.replace(b"Percy", b"-Percy"))
