"""The member list (reporting.views.member_list over reporting.member_list): who reads and exports it,
regional scope, search, filters, sorting, pagination, the export links, the selector, and a pinned query count.
The forms that change members and farms: tests/members/test_member_pages.py.

Roles (tests/conftest.py): the manager covers Huánuco and San Martín, the other roles Huánuco; Cusco is out of
everybody's scope (tests/conftest.py's `cusco_farm`). Pages are requested in English (HTTP_ACCEPT_LANGUAGE) where
a test reads labels.
"""

from decimal import Decimal

import pytest
from django.urls import reverse

from certifications.models import CertificationStatus
from cooperative.models import ProgramEnrollment
from members.models import Farm, Member
from reporting import member_list
from reporting.member_list import members_for_list
from tests.conftest import ROLE_CLIENTS
from tests.factories import (
    AllianceProgramFactory,
    CertificationFactory,
    FarmFactory,
    MemberFactory,
    ProgramEnrollmentFactory,
    region,
    standard,
)

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
READER_ROLES = ROLE_CLIENTS


def read_urls(member: Member) -> list[str]:
    return [reverse("member_list"), reverse("member_detail", args=[member.pk])]


def export_urls() -> list[str]:
    return [reverse("member_export", args=["csv"]), reverse("member_export", args=["xlsx"])]


def listed_codes(response) -> list[str]:
    return [member.code for member in response.context["page_obj"]]


# --- Who may read the list ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role_client", READER_ROLES)
def test_every_staff_role_reads_the_list_and_the_member_page(request, role_client, farm):
    client = request.getfixturevalue(role_client)

    for url in read_urls(farm.member):
        response = client.get(url, **EN)
        assert response.status_code == 200, url
        assert "BA-00001" in response.content.decode()


@pytest.mark.parametrize("role_client", READER_ROLES)
def test_every_staff_role_exports_the_list(request, role_client, farm):
    client = request.getfixturevalue(role_client)

    for url in export_urls():
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize("role_client", READER_ROLES)
def test_a_member_outside_the_users_regions_is_not_found_and_not_listed(request, role_client, farm, cusco_farm):
    client = request.getfixturevalue(role_client)

    assert client.get(reverse("member_detail", args=[cusco_farm.member.pk])).status_code == 404
    assert listed_codes(client.get(reverse("member_list"))) == ["BA-00001"]


@pytest.mark.spanish
def test_pages_render_in_spanish_by_default(manager_client, farm):
    response = manager_client.get(reverse("member_list"))

    assert '<html lang="es">' in response.content.decode()


# --- Search and filters -------------------------------------------------------------------------------------


@pytest.fixture
def three_members():
    return [
        MemberFactory(code="BA-00010", first_names="Teodoro", last_names="Espiritu Lino", dni="10117410"),
        MemberFactory(code="BA-00020", first_names="María", last_names="Quispe Huamán", dni="42345678"),
        MemberFactory(code="SM-00030", first_names="Rosa", last_names="Quispe Torres", region=region("San Martín")),
    ]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("quispe", ["BA-00020", "SM-00030"]),
        ("Quispe Torres", ["SM-00030"]),
        ("teodoro", ["BA-00010"]),
        ("BA-00020", ["BA-00020"]),
        ("sm-000", ["SM-00030"]),
        ("42345678", ["BA-00020"]),
        ("nadie", []),
    ],
)
def test_it_searches_by_name_code_or_dni(manager_client, three_members, q, expected):
    response = manager_client.get(reverse("member_list"), {"q": q})

    assert listed_codes(response) == expected


def test_it_filters_by_region(manager_client, three_members):
    response = manager_client.get(reverse("member_list"), {"region": region("San Martín").pk})

    assert listed_codes(response) == ["SM-00030"]


def test_the_region_filter_offers_only_the_users_regions(manager_client, three_members):
    form = manager_client.get(reverse("member_list")).context["filterset"].form

    assert [name for _pk, name in form.fields["region"].choices][1:] == ["Huánuco", "San Martín"]


def test_a_region_outside_the_scope_is_a_form_error_and_shows_no_outsider(manager_client, three_members, cusco_farm):
    response = manager_client.get(reverse("member_list"), {"region": region("Cusco").pk})

    assert response.status_code == 200
    assert "region" in response.context["filterset"].form.errors
    assert "CU-00001" not in listed_codes(response)


def test_it_filters_by_community_in_part_and_any_case(manager_client):
    MemberFactory(code="BA-1", community="Juan Velasco Alvarado")
    MemberFactory(code="BA-2", community="Pueblo Nuevo")

    response = manager_client.get(reverse("member_list"), {"community": "velasco"})

    assert listed_codes(response) == ["BA-1"]


def test_it_filters_by_the_crop_of_an_active_farm(manager_client):
    FarmFactory(member=MemberFactory(code="BA-1"), crop="coffee")
    FarmFactory(member=MemberFactory(code="BA-2"), crop="cocoa")
    FarmFactory(member=MemberFactory(code="BA-3"), crop="coffee", status=Farm.Status.RETIRED)

    response = manager_client.get(reverse("member_list"), {"crop": "coffee"})

    assert listed_codes(response) == ["BA-1"]


def test_it_filters_by_status(manager_client):
    MemberFactory(code="BA-1")
    MemberFactory(code="BA-2", status=Member.Status.INACTIVE)

    response = manager_client.get(reverse("member_list"), {"status": "inactive"})

    assert listed_codes(response) == ["BA-2"]


@pytest.fixture
def certified_members():
    """BA-1: organic candidate on one farm, RA certified on another. BA-2: organic certified. BA-3: none."""
    first = MemberFactory(code="BA-1")
    CertificationFactory(farm=FarmFactory(member=first), standard=standard("organic"))
    CertificationFactory(
        farm=FarmFactory(member=first), standard=standard("rainforest_alliance"), status=CertificationStatus.CERTIFIED
    )
    CertificationFactory(
        farm=FarmFactory(member=MemberFactory(code="BA-2")),
        standard=standard("organic"),
        status=CertificationStatus.CERTIFIED,
    )
    FarmFactory(member=MemberFactory(code="BA-3"))


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"standard": "organic"}, ["BA-1", "BA-2"]),
        ({"certification_status": "certified"}, ["BA-1", "BA-2"]),
        ({"certification_status": "candidate"}, ["BA-1"]),
        # Both on the same certification: BA-1's organic one is only a candidate.
        ({"standard": "organic", "certification_status": "certified"}, ["BA-2"]),
        ({"standard": "utz"}, []),
    ],
)
def test_it_filters_by_certification_standard_and_status(manager_client, certified_members, params, expected):
    response = manager_client.get(reverse("member_list"), params)

    assert listed_codes(response) == expected


def test_it_filters_by_program_enrolment(manager_client):
    program = AllianceProgramFactory()
    ProgramEnrollmentFactory(program=program, member=MemberFactory(code="BA-1"))
    ProgramEnrollmentFactory(
        program=program, member=MemberFactory(code="BA-2"), status=ProgramEnrollment.Status.WITHDRAWN
    )
    ProgramEnrollmentFactory(program=AllianceProgramFactory(), member=MemberFactory(code="BA-3"))

    response = manager_client.get(reverse("member_list"), {"program": program.pk})

    assert listed_codes(response) == ["BA-1"]


@pytest.mark.parametrize(
    "params",
    [
        {"status": "deceased"},
        {"program": "abc"},
        {"program": "999999"},
        {"region": "huanuco"},
        {"crop": "coca"},
        {"standard": "fairtrade"},
        {"certification_status": "x"},
        {"sort": "password"},
        {"page": "last-but-one"},
        {"cursor": "not-a-cursor"},
    ],
)
def test_bad_filter_values_show_an_error_or_are_ignored_never_a_server_error(manager_client, params):
    MemberFactory(code="BA-1")

    response = manager_client.get(reverse("member_list"), params, **EN)

    assert response.status_code == 200
    assert listed_codes(response) == ["BA-1"]
    field = next(iter(params))
    if field not in ("page", "cursor"):
        assert field in response.context["filterset"].form.errors
        assert "Select a valid choice" in response.content.decode()


# --- Sorting, columns, pagination and the export links --------------------------------------------------------


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (None, ["BA-1", "BA-2", "SM-3"]),
        ("-code", ["SM-3", "BA-2", "BA-1"]),
        ("last_names", ["BA-2", "SM-3", "BA-1"]),
        ("-hectares", ["SM-3", "BA-1", "BA-2"]),
        ("hectares", ["BA-2", "BA-1", "SM-3"]),
        ("-region", ["SM-3", "BA-2", "BA-1"]),  # ties in the same direction as the column: newest first
        ("community", ["SM-3", "BA-2", "BA-1"]),
        ("status", ["BA-1", "SM-3", "BA-2"]),
    ],
)
def test_it_sorts_by_a_whitelisted_column(manager_client, sort, expected):
    one = MemberFactory(code="BA-1", last_names="Zevallos", community="Pueblo Nuevo")
    two = MemberFactory(code="BA-2", last_names="Alvarado", community="Naranjillo", status=Member.Status.INACTIVE)
    three = MemberFactory(code="SM-3", last_names="Mendoza", community="Alto", region=region("San Martín"))
    FarmFactory(member=one, hectares=Decimal("2.00"))
    FarmFactory(member=three, hectares=Decimal("3.00"))
    FarmFactory(member=three, hectares=Decimal("1.50"))
    FarmFactory(member=two, hectares=Decimal("9.00"), status=Farm.Status.RETIRED)  # retired: not counted

    response = manager_client.get(reverse("member_list"), {"sort": sort} if sort else {})

    assert listed_codes(response) == expected


def test_column_headers_link_to_the_opposite_order_and_keep_the_filters(manager_client):
    MemberFactory(code="BA-1")

    response = manager_client.get(reverse("member_list"), {"sort": "code", "status": "active"}, **EN)

    content = response.content.decode()
    assert 'aria-sort="ascending"' in content
    assert 'href="?sort=-code&amp;status=active"' in content
    assert 'href="?sort=hectares&amp;status=active"' in content


def test_the_list_shows_each_members_columns(manager_client):
    member = MemberFactory(code="BA-1", first_names="Teodoro", last_names="Espiritu", dni="10117410")
    FarmFactory(member=member, crop="coffee", hectares=Decimal("1.25"))
    FarmFactory(member=member, crop="cocoa", hectares=Decimal("6.00"))

    response = manager_client.get(reverse("member_list"), **EN)

    row = response.context["page_obj"][0]
    assert (row.farm_count, row.total_hectares, row.crop_names) == (2, Decimal("7.25"), ["Coffee", "Cocoa"])
    content = response.content.decode()
    for text in ["BA-1", "Espiritu, Teodoro", "10117410", "Huánuco", "Coffee, Cocoa", "7.25", "Active"]:
        assert text in content


def test_it_shows_50_members_a_page_with_links_that_keep_the_filters(manager_client):
    MemberFactory.create_batch(51, community="Pueblo Nuevo")
    MemberFactory(code="ZZ-OTHER", community="Naranjillo")

    first = manager_client.get(reverse("member_list"), {"community": "pueblo"}, **EN)
    next_cursor = first.context["page_obj"].next_cursor
    second = manager_client.get(reverse("member_list"), {"community": "pueblo", "cursor": next_cursor}, **EN)

    assert len(first.context["page_obj"]) == 50
    assert len(second.context["page_obj"]) == 1
    assert set(listed_codes(first)).isdisjoint(listed_codes(second))
    assert f'href="?community=pueblo&amp;cursor={next_cursor}" rel="next"' in first.content.decode()
    assert "1–50 of 51" in first.content.decode()
    assert "51–51 of 51" in second.content.decode()
    assert second.context["page_obj"].next_cursor is None


@pytest.mark.parametrize("small_result", [0, 1000])
def test_pages_are_the_same_whether_the_result_is_read_whole_or_by_limit(manager_client, monkeypatch, small_result):
    # A small result (up to SMALL_RESULT rows) is read whole and cut in Python; a larger one with LIMIT.
    monkeypatch.setattr(member_list, "SMALL_RESULT", small_result)
    codes = [f"PN-{number:03d}" for number in range(53)]
    for code in codes:
        MemberFactory(code=code, community="Pueblo Nuevo")

    params = {"community": "pueblo", "sort": "-code"}
    first = manager_client.get(reverse("member_list"), params)
    second = manager_client.get(reverse("member_list"), {**params, "cursor": first.context["page_obj"].next_cursor})

    assert [listed_codes(first), listed_codes(second)] == [
        sorted(codes, reverse=True)[:50],
        sorted(codes, reverse=True)[50:],
    ]


def test_the_export_links_keep_the_filters_and_sort_but_not_the_page(manager_client):
    MemberFactory()

    response = manager_client.get(
        reverse("member_list"), {"crop": "cocoa", "sort": "-code", "page": "1", "cursor": "x"}
    )

    content = response.content.decode()
    assert 'href="/members/export.xlsx?crop=cocoa&amp;sort=-code"' in content
    assert 'href="/members/export.csv?crop=cocoa&amp;sort=-code"' in content


# --- The selector and the query count ------------------------------------------------------------------------


def test_the_selector_scopes_filters_and_annotates(manager_client, three_members, cusco_farm):
    members = members_for_list(user=manager_client.user, filters={"q": "quispe", "sort": "-code"})

    assert [(m.code, m.farm_count, m.total_hectares) for m in members] == [
        ("SM-00030", 0, Decimal("0")),
        ("BA-00020", 0, Decimal("0")),
    ]


@pytest.mark.parametrize("members", [1, 20])
def test_the_list_query_count_does_not_grow_with_its_rows(manager_client, django_assert_num_queries, members):
    for member in MemberFactory.create_batch(members):
        FarmFactory(member=member)
        FarmFactory(member=member, crop="coffee")
        CertificationFactory(farm=FarmFactory(member=member))
        ProgramEnrollmentFactory(member=member)

    # session, user, staff roles; scope (does a role cover all regions?) for the filter form and for the
    # selector; COUNT of the matching members; the page of members with their region; the farm totals of the
    # page's members (one GROUP BY); the choices of the region, standard and program selects.
    with django_assert_num_queries(11):
        response = manager_client.get(reverse("member_list"))

    assert len(response.context["page_obj"]) == members
