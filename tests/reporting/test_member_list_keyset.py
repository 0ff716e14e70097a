"""The members list read by keyset (reporting.member_list.member_page): the "Next", "Previous" and "First page"
links walk every sort order, both ways, with no member missing or twice however values tie; a deep page costs
the queries page 1 costs; a cursor that cannot be read gives the first page; the links keep the filters; the
hectares order is the order of the farms' sums (Member.active_hectares); member_list_cursor (the benchmark's
way into the middle of the list).

Roles and regions: tests/conftest.py (the manager covers Huánuco and San Martín).
"""

import base64
import json
from decimal import Decimal

import pytest
from django.urls import reverse

from members.models import Farm, Member
from members.selectors import with_farm_totals
from reporting.member_list import member_list_cursor
from reporting.views import member_list as member_list_view
from tests.factories import FarmFactory, MemberFactory, region

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
PER_PAGE = 3
SORTS = [
    f"{direction}{column}"
    for column in ("code", "last_names", "region", "community", "hectares", "status")
    for direction in ("", "-")
]


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(member_list_view, "MEMBERS_PER_PAGE", PER_PAGE)


@pytest.fixture
def tied_members():
    """Eleven members whose last names, communities, regions, statuses and hectares tie in groups (accents
    and an empty community included), so every page boundary falls inside a run of equal values somewhere."""
    san_martin = region("San Martín")
    rows = [
        ("BA-01", "Quispe", "Alto", None, "active", ["2.00"]),
        ("BA-02", "Quispe", "Alto", None, "inactive", ["1.00", "1.00"]),
        ("BA-03", "Núñez", "", san_martin, "active", []),
        ("BA-04", "Quispe", "Alto", san_martin, "active", ["2.00"]),
        ("BA-05", "Alvarado", "Naranjillo", None, "withdrawn", ["0.50"]),
        ("BA-06", "Núñez", "Naranjillo", None, "active", []),
        ("BA-07", "Zevallos", "Alto", san_martin, "active", ["2.00"]),
        ("BA-08", "Alvarado", "", None, "active", ["3.25"]),
        ("BA-09", "Quispe", "Naranjillo", None, "inactive", []),
        ("BA-10", "Mendoza", "Alto", san_martin, "active", ["1.50", "0.50"]),
        ("BA-11", "Quispe", "Alto", None, "active", ["4.00"]),
    ]
    members = []
    for code, last_names, community, place, status, farms in rows:
        extra = {"region": place} if place else {}
        withdrawn = {"withdrawn_on": "2020-01-01"} if status == "withdrawn" else {}
        member = MemberFactory(
            code=code, last_names=last_names, community=community, status=status, **extra, **withdrawn
        )
        for hectares in farms:
            FarmFactory(member=member, hectares=Decimal(hectares))
        members.append(member)
    FarmFactory(member=members[2], hectares=Decimal("9.00"), status=Farm.Status.RETIRED)  # not counted
    return members


def _codes(response) -> list[str]:
    return [member.code for member in response.context["page_obj"]]


def _walk(client, params: dict, direction: str = "next") -> list[list[str]]:
    """Every page from the first, following the "next" cursors (then, with direction "previous", back)."""
    url = reverse("member_list")
    response = client.get(url, params)
    pages = [_codes(response)]
    while response.context["page_obj"].next_cursor:
        response = client.get(url, {**params, "cursor": response.context["page_obj"].next_cursor})
        pages.append(_codes(response))
        assert len(pages) < 50, "the walk does not end"
    if direction == "previous":
        pages = [pages[-1]]
        while response.context["page_obj"].previous_cursor:
            response = client.get(url, {**params, "cursor": response.context["page_obj"].previous_cursor})
            pages.insert(0, _codes(response))
            assert len(pages) < 50, "the walk does not end"
        assert response.context["page_obj"].is_first
    return pages


def _expected(client, sort: str) -> list[str]:
    """The order members_for_list gives (what the exports write): the database's order."""
    from reporting.member_list import members_for_list

    return [member.code for member in members_for_list(user=client.user, filters={"sort": sort})]


# --- Walking the pages ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("sort", SORTS)
def test_next_links_walk_every_member_once_in_the_sort_order(manager_client, small_pages, tied_members, sort):
    pages = _walk(manager_client, {"sort": sort})

    walked = [code for page in pages for code in page]
    assert walked == _expected(manager_client, sort)
    assert sorted(walked) == sorted(member.code for member in tied_members)
    assert all(len(page) == PER_PAGE for page in pages[:-1])


@pytest.mark.parametrize("sort", SORTS)
def test_previous_links_walk_back_through_the_same_pages(manager_client, small_pages, tied_members, sort):
    forward = _walk(manager_client, {"sort": sort})

    assert _walk(manager_client, {"sort": sort}, direction="previous") == forward


def test_the_tie_breaker_follows_the_direction_of_the_column(manager_client, tied_members):
    ascending = _expected(manager_client, "status")
    descending = _expected(manager_client, "-status")

    assert descending == ascending[::-1]


def test_the_hectares_order_is_the_order_of_the_active_farms_sums(manager_client, tied_members):
    sums = {
        member.code: member.total_hectares
        for member in with_farm_totals(Member.objects.filter(pk__in=[m.pk for m in tied_members]))
    }
    pks = {member.code: member.pk for member in tied_members}

    assert _expected(manager_client, "hectares") == sorted(sums, key=lambda code: (sums[code], pks[code]))
    assert _expected(manager_client, "-hectares") == sorted(sums, key=lambda code: (sums[code], pks[code]))[::-1]
    assert Member.objects.get(code="BA-10").active_hectares == Decimal("2.00") == sums["BA-10"]


def test_a_walk_keeps_the_filters_and_the_links_carry_them(manager_client, small_pages, tied_members):
    params = {"community": "alto", "status": "active", "sort": "-hectares"}

    pages = _walk(manager_client, params)

    assert [code for page in pages for code in page] == ["BA-11", "BA-10", "BA-07", "BA-04", "BA-01"]
    first = manager_client.get(reverse("member_list"), params)
    cursor = first.context["page_obj"].next_cursor
    assert f'href="?community=alto&amp;status=active&amp;sort=-hectares&amp;cursor={cursor}" rel="next"' in (
        first.content.decode()
    )


def test_a_later_page_shows_its_range_the_total_and_links_to_the_first_page(manager_client, small_pages, tied_members):
    first = manager_client.get(reverse("member_list"), **EN)
    second = manager_client.get(reverse("member_list"), {"cursor": first.context["page_obj"].next_cursor}, **EN)

    first_content, second_content = first.content.decode(), second.content.decode()
    assert "1–3 of 11" in first_content
    assert "First page" not in first_content and 'rel="prev"' not in first_content
    assert "4–6 of 11" in second_content
    assert '<a href="?">« First page</a>' in second_content
    assert 'rel="prev"' in second_content and 'rel="next"' in second_content


# --- Bad cursors ---------------------------------------------------------------------------------------------


def _raw(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        "%%%",
        "",
        "A" * 2000,
        _raw("just a string"),
        _raw(["code", "BA-03", 3]),
        _raw(["code", "BA-03", "3", 0, 4]),
        _raw(["code", "BA-03", -3, 0, 4]),
        _raw(["code", "BA-03", 3, 2, 4]),
        _raw(["code", "BA-03", 3, 0, 0]),
        _raw(["code", ["BA-03"], 3, 0, 4]),
        _raw(["code", "BA-03", True, 0, 4]),
        _raw(["last_names", "Quispe", 3, 0, 4]),  # written for another sort order
        _raw(["password", "x", 3, 0, 4]),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
def test_a_cursor_that_cannot_be_read_gives_the_first_page(manager_client, small_pages, tied_members, cursor):
    response = manager_client.get(reverse("member_list"), {"cursor": cursor})

    assert response.status_code == 200
    assert _codes(response) == ["BA-01", "BA-02", "BA-03"]
    assert response.context["page_obj"].is_first


@pytest.mark.parametrize("value", ["NaN", "Infinity", "abc", "1e999999", "-1e10"])
def test_a_tampered_hectares_cursor_gives_the_first_page(manager_client, small_pages, tied_members, value):
    response = manager_client.get(
        reverse("member_list"), {"sort": "hectares", "cursor": _raw(["active_hectares", value, 3, 0, 4])}
    )

    assert response.status_code == 200
    assert response.context["page_obj"].is_first
    assert _codes(response) == _expected(manager_client, "hectares")[:PER_PAGE]


def test_a_tampered_position_is_kept_within_the_list(manager_client, small_pages, tied_members):
    first = manager_client.get(reverse("member_list"), **EN)
    ordering, value, pk, backward, _position = json.loads(
        base64.urlsafe_b64decode(first.context["page_obj"].next_cursor + "==")
    )

    response = manager_client.get(
        reverse("member_list"), {"cursor": _raw([ordering, value, pk, backward, 10**9])}, **EN
    )

    assert _codes(response) == ["BA-04", "BA-05", "BA-06"]
    assert response.context["page_obj"].end <= 11


def test_a_cursor_whose_member_was_deleted_still_leads_to_the_members_after_it(manager_client, small_pages):
    members = [MemberFactory(code=f"BA-{n:02d}") for n in range(1, 8)]
    first = manager_client.get(reverse("member_list"))
    members[2].delete()  # the last member of the first page

    response = manager_client.get(reverse("member_list"), {"cursor": first.context["page_obj"].next_cursor})

    assert _codes(response) == ["BA-04", "BA-05", "BA-06"]


def test_previous_from_a_page_that_no_longer_lines_up_gives_a_full_first_page(manager_client, small_pages):
    for n in range(1, 8):
        MemberFactory(code=f"BA-{n:02d}")
    first = manager_client.get(reverse("member_list"))
    second = manager_client.get(reverse("member_list"), {"cursor": first.context["page_obj"].next_cursor})
    Member.objects.filter(code="BA-01").delete()

    back = manager_client.get(reverse("member_list"), {"cursor": second.context["page_obj"].previous_cursor})

    assert _codes(back) == ["BA-02", "BA-03", "BA-04"]
    assert back.context["page_obj"].is_first


# --- Query counts --------------------------------------------------------------------------------------------


def test_a_deep_page_runs_the_queries_of_the_first_page(manager_client, small_pages, django_assert_num_queries):
    for member in MemberFactory.create_batch(20):
        FarmFactory(member=member)
    url = reverse("member_list")

    # session, user, staff roles; scope for the filter form and for the selector; COUNT of the matching
    # members; the page of members with their region (after the cursor); the farm totals of the page's
    # members (one GROUP BY); the choices of the region, standard and program selects.
    with django_assert_num_queries(11):
        response = manager_client.get(url, {"sort": "-hectares"})
    for _page in range(4):
        with django_assert_num_queries(11):
            response = manager_client.get(
                url, {"sort": "-hectares", "cursor": response.context["page_obj"].next_cursor}
            )
    with django_assert_num_queries(11):
        back = manager_client.get(url, {"sort": "-hectares", "cursor": response.context["page_obj"].previous_cursor})

    assert len(response.context["page_obj"]) == PER_PAGE
    assert len(back.context["page_obj"]) == PER_PAGE


# --- The benchmark's cursor ----------------------------------------------------------------------------------


@pytest.mark.parametrize("sort", SORTS)
def test_member_list_cursor_opens_the_list_after_the_member(manager_client, small_pages, tied_members, sort):
    order = _expected(manager_client, sort)
    middle = Member.objects.get(code=order[4])

    response = manager_client.get(
        reverse("member_list"), {"sort": sort, "cursor": member_list_cursor(sort=sort, after=middle)}, **EN
    )

    assert _codes(response) == order[5:8]
    assert "6–8 of 11" in response.content.decode()


def test_member_list_cursor_refuses_an_unknown_sort(tied_members):
    with pytest.raises(ValueError):
        member_list_cursor(sort="password", after=tied_members[0])


# --- The exports ---------------------------------------------------------------------------------------------


def test_the_export_writes_every_matching_member_in_the_sort_order_whatever_the_cursor(
    manager_client, small_pages, tied_members
):
    first = manager_client.get(reverse("member_list"), {"sort": "-hectares"})
    cursor = first.context["page_obj"].next_cursor

    response = manager_client.get(reverse("member_export", args=["csv"]), {"sort": "-hectares", "cursor": cursor})

    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()[1:]
    assert [line.split(",")[0] for line in lines] == _expected(manager_client, "-hectares")
