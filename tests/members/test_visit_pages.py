"""Staff pages for farm visits: the visits list and its XLSX export (managers only), the farm page with its visit
timeline and the visit photos (every staff role in scope), the visits on the member page, the navigation link.

Roles (tests/conftest.py): the manager covers Huánuco and San Martín, the other roles Huánuco; Cusco is out of
everybody's scope. `cusco_manager_client` is a manager of another region: it finds no object of Huánuco and lists
none of its visits. Pages are requested in English where a test reads labels.
"""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from PIL import Image

from cooperative.models import StaffRole
from members.models import FarmVisit, VisitPhoto
from tests.conftest import ROLE_CLIENTS, _client_with_role
from tests.factories import (
    FarmFactory,
    FarmVisitFactory,
    MemberFactory,
    StaffRoleFactory,
    UserFactory,
    VisitPestObservationFactory,
    region,
)

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
NON_MANAGER_ROLES = ["technician_client", "credit_officer_client", "ics_client"]
XLSX_HEADER = (
    "Visit date",
    "Farm",
    "Member code",
    "Member",
    "Region",
    "Crop",
    "Technician",
    "Purpose",
    "Good practices observed",
    "Pests and diseases (severity 0-3)",
    "Estimated yield (kg)",
    "Recommendations",
    "Follow-up date",
)


def jpeg_bytes(size: tuple[int, int] = (32, 24)) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", size, (34, 139, 34)).save(output, format="JPEG")
    return output.getvalue()


def add_photo(visit: FarmVisit, position: int = 1) -> VisitPhoto:
    return VisitPhoto.objects.create(visit=visit, position=position, image=ContentFile(jpeg_bytes(), name="photo.jpg"))


def technician(username: str, *regions: str, first_name: str = "", last_name: str = ""):
    """A user holding the technician role in `regions`."""
    user = UserFactory(username=username, first_name=first_name, last_name=last_name)
    StaffRoleFactory(user=user, role=StaffRole.Role.TECHNICIAN, regions=[region(name) for name in regions])
    return user


def listed(response) -> list[FarmVisit]:
    return list(response.context["page_obj"])


def listed_farms(response) -> list[str]:
    return [visit.farm.name for visit in response.context["page_obj"]]


@pytest.fixture
def cusco_manager_client(client, db):
    """A manager of another region (Cusco only)."""
    return _client_with_role(client, "gerente_cusco", "manager", ("Cusco",))


@pytest.fixture
def rosa():
    return technician("rosa", "Huánuco", "San Martín", first_name="Rosa", last_name="Quispe")


@pytest.fixture
def visit(farm, rosa):
    """A follow-up visit to the Huánuco cocoa farm: frosty pod rot moderate (2), black pod low (1), one photo."""
    visit = FarmVisitFactory(
        farm=farm,
        technician=rosa,
        visited_on=datetime.date(2026, 10, 3),
        purpose=FarmVisit.Purpose.FOLLOW_UP,
        practices_observed=["composting", "shade_management"],
        estimated_yield_kg=Decimal("1200.00"),
        recommendations="Podar y retirar mazorcas enfermas.",
        follow_up_on=datetime.date(2026, 11, 3),
    )
    VisitPestObservationFactory(visit=visit, pest="frosty_pod_rot", severity=2)
    VisitPestObservationFactory(visit=visit, pest="black_pod", severity=1)
    return visit


@pytest.fixture
def photo(visit):
    return add_photo(visit)


@pytest.fixture
def cusco_visit():
    farm = FarmFactory(member=MemberFactory(code="CU-00001", region=region("Cusco")), name="Santa Rosa")
    return FarmVisitFactory(farm=farm, technician=technician("cusco", "Cusco"))


@pytest.fixture
def cusco_photo(cusco_visit):
    return add_photo(cusco_visit)


@pytest.fixture
def visits(rosa):
    """Visits across the manager's two regions, two crops and two technicians (and one out of scope, in Cusco):

    - Huánuco cocoa by Rosa on 1 Oct: frosty pod rot severity 1 (below the pest filter)
    - Huánuco cocoa by Rosa on 5 Oct: frosty pod rot severity 2
    - San Martín coffee by Juan on 10 Oct: leaf rust severity 3
    - Cusco coffee by Rosa on 12 Oct: leaf rust severity 3 (nobody here covers Cusco)
    """
    juan = technician("juan", "San Martín", first_name="Juan", last_name="Torres")
    huanuco = MemberFactory(code="BA-00010", region=region("Huánuco"))
    san_martin = MemberFactory(code="SM-00020", region=region("San Martín"))
    cusco = MemberFactory(code="CU-00030", region=region("Cusco"))
    light = FarmVisitFactory(
        farm=FarmFactory(member=huanuco, name="Light", crop="cocoa"),
        technician=rosa,
        visited_on=datetime.date(2026, 10, 1),
    )
    moderate = FarmVisitFactory(
        farm=FarmFactory(member=huanuco, name="Moderate", crop="cocoa"),
        technician=rosa,
        visited_on=datetime.date(2026, 10, 5),
    )
    severe = FarmVisitFactory(
        farm=FarmFactory(member=san_martin, name="Severe", crop="coffee"),
        technician=juan,
        visited_on=datetime.date(2026, 10, 10),
    )
    outside = FarmVisitFactory(
        farm=FarmFactory(member=cusco, name="Outside", crop="coffee"),
        technician=rosa,
        visited_on=datetime.date(2026, 10, 12),
    )
    VisitPestObservationFactory(visit=light, pest="frosty_pod_rot", severity=1)
    VisitPestObservationFactory(visit=moderate, pest="frosty_pod_rot", severity=2)
    VisitPestObservationFactory(visit=severe, pest="leaf_rust", severity=3)
    VisitPestObservationFactory(visit=outside, pest="leaf_rust", severity=3)
    return {"juan": juan, "light": light, "moderate": moderate, "severe": severe, "outside": outside}


def manager_urls() -> list[str]:
    return [reverse("visit_list"), reverse("visit_export")]


def reader_urls(farm, photo) -> list[str]:
    return [reverse("farm_detail", args=[farm.pk]), reverse("visit_photo", args=[photo.pk])]


# --- Who may open what -------------------------------------------------------------------------------------


def test_the_manager_opens_the_visit_list_and_its_export(manager_client, visit):
    for url in manager_urls():
        assert manager_client.get(url).status_code == 200, url


@pytest.mark.parametrize("role_client", NON_MANAGER_ROLES)
def test_other_staff_roles_are_refused_the_visit_list_and_its_export(request, role_client, visit):
    client = request.getfixturevalue(role_client)

    for url in manager_urls():
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("role_client", ROLE_CLIENTS)
def test_every_staff_role_reads_the_farm_page_and_its_photos(request, role_client, farm, photo):
    client = request.getfixturevalue(role_client)

    farm_page = client.get(reverse("farm_detail", args=[farm.pk]), **EN)
    photo_response = client.get(reverse("visit_photo", args=[photo.pk]))

    assert farm_page.status_code == 200
    assert "La Esperanza" in farm_page.content.decode()
    assert photo_response.status_code == 200


def test_a_user_without_a_staff_role_is_refused_every_visit_page(outsider_client, farm, photo):
    for url in [*manager_urls(), *reader_urls(farm, photo)]:
        assert outsider_client.get(url).status_code == 403, url


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, farm, photo):
    for url in [*manager_urls(), *reader_urls(farm, photo)]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login") + "?next="), url


@pytest.mark.parametrize("role_client", ROLE_CLIENTS)
def test_a_farm_and_photo_outside_the_users_regions_are_not_found(request, role_client, cusco_visit, cusco_photo):
    client = request.getfixturevalue(role_client)

    for url in reader_urls(cusco_visit.farm, cusco_photo):
        assert client.get(url).status_code == 404, url


def test_a_manager_of_another_region_finds_none_of_these_farms_photos_or_visits(
    cusco_manager_client, farm, photo, visits
):
    for url in reader_urls(farm, photo):
        assert cusco_manager_client.get(url).status_code == 404, url
    assert listed_farms(cusco_manager_client.get(reverse("visit_list"))) == ["Outside"]


def test_a_manager_of_another_region_gets_an_empty_list_and_an_empty_export(cusco_manager_client, visit):
    assert listed(cusco_manager_client.get(reverse("visit_list"))) == []
    assert len(xlsx_rows(cusco_manager_client.get(reverse("visit_export")))) == 1  # the header only


def test_the_navigation_links_the_visit_list_for_managers(manager_client):
    assert f'href="{reverse("visit_list")}"' in manager_client.get(reverse("member_list")).content.decode()


@pytest.mark.parametrize("role_client", NON_MANAGER_ROLES)
def test_the_navigation_hides_the_visit_list_from_other_roles(request, role_client):
    client = request.getfixturevalue(role_client)

    assert f'href="{reverse("visit_list")}"' not in client.get(reverse("member_list")).content.decode()


# --- The visit list ----------------------------------------------------------------------------------------------


def test_the_list_shows_the_managers_regions_newest_first(manager_client, visits):
    response = manager_client.get(reverse("visit_list"), **EN)

    assert listed_farms(response) == ["Severe", "Moderate", "Light"]
    assert "1 visit found" not in response.content.decode()
    assert "3 visits found" in response.content.decode()


def test_each_row_shows_the_visit_with_links_to_the_farm_and_member(manager_client, visit):
    content = manager_client.get(reverse("visit_list"), **EN).content.decode()

    for text in [
        "10/03/2026",  # visit date
        f'href="{reverse("farm_detail", args=[visit.farm.pk])}"',
        f'href="{reverse("member_detail", args=[visit.farm.member.pk])}"',
        "BA-00001",
        "Huánuco",
        "Cocoa",
        "Rosa Quispe",
        "Follow-up",
        "Frosty pod rot (moniliasis): 2 (moderate)",
        "11/03/2026",  # follow-up date
    ]:
        assert text in content, text
    assert "Black pod (Phytophthora): 1" not in content  # severity 1 is not shown in the list


def test_it_filters_by_technician(manager_client, visits):
    response = manager_client.get(reverse("visit_list"), {"technician": visits["juan"].pk})

    assert listed_farms(response) == ["Severe"]


def test_the_technician_filter_offers_the_technicians_of_the_managers_regions(manager_client, rosa, visits):
    technician("cusco_only", "Cusco", first_name="Zoila")
    UserFactory(username="not_a_technician", first_name="Ana")

    form = manager_client.get(reverse("visit_list")).context["filterset"].form

    assert [label for _pk, label in form.fields["technician"].choices][1:] == ["Juan Torres", "Rosa Quispe"]


def test_it_filters_by_region(manager_client, visits):
    response = manager_client.get(reverse("visit_list"), {"region": region("San Martín").pk})

    assert listed_farms(response) == ["Severe"]


def test_the_region_filter_offers_only_the_managers_regions(manager_client, visits):
    form = manager_client.get(reverse("visit_list")).context["filterset"].form

    assert [name for _pk, name in form.fields["region"].choices][1:] == ["Huánuco", "San Martín"]


def test_it_filters_by_crop(manager_client, visits):
    response = manager_client.get(reverse("visit_list"), {"crop": "cocoa"})

    assert listed_farms(response) == ["Moderate", "Light"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"visited_from": "2026-10-05"}, ["Severe", "Moderate"]),
        ({"visited_to": "2026-10-05"}, ["Moderate", "Light"]),
        ({"visited_from": "2026-10-02", "visited_to": "2026-10-09"}, ["Moderate"]),
        ({"visited_from": "2026-10-11"}, []),
    ],
)
def test_it_filters_by_visit_dates_both_ends_included(manager_client, visits, params, expected):
    assert listed_farms(manager_client.get(reverse("visit_list"), params)) == expected


def test_an_end_date_before_the_start_date_is_a_form_error(manager_client, visits):
    response = manager_client.get(
        reverse("visit_list"), {"visited_from": "2026-10-06", "visited_to": "2026-10-01"}, **EN
    )

    assert response.status_code == 200
    assert response.context["filterset"].form.errors["visited_to"] == [
        "The end date must not be before the start date."
    ]
    assert listed_farms(response) == ["Severe"]  # the valid "from" date still applies


@pytest.mark.parametrize(
    ("pest", "expected"),
    [("frosty_pod_rot", ["Moderate"]), ("leaf_rust", ["Severe"]), ("black_pod", [])],
)
def test_the_pest_filter_keeps_visits_that_saw_it_at_severity_two_or_more(manager_client, visits, pest, expected):
    # "Light" saw frosty pod rot at severity 1: below the boundary, left out; "Moderate" at 2 is kept.
    assert listed_farms(manager_client.get(reverse("visit_list"), {"pest": pest})) == expected


def test_filters_combine(manager_client, visits):
    response = manager_client.get(
        reverse("visit_list"), {"crop": "coffee", "pest": "leaf_rust", "region": region("San Martín").pk}
    )

    assert listed_farms(response) == ["Severe"]


def test_invalid_filter_values_are_form_errors_not_server_errors(manager_client, visits):
    params = {
        "technician": "999999",
        "region": "abc",
        "crop": "tea",
        "visited_from": "2026-13-45",
        "visited_to": "yesterday",
        "pest": "locust",
        "page": "x",
    }

    response = manager_client.get(reverse("visit_list"), params, **EN)

    assert response.status_code == 200
    assert set(response.context["filterset"].form.errors) == set(params) - {"page"}
    assert listed_farms(response) == ["Severe", "Moderate", "Light"]  # bad values are left out
    assert 'role="alert"' in response.content.decode()


def test_a_region_outside_the_managers_scope_is_refused_as_a_filter_value(manager_client, visits):
    response = manager_client.get(reverse("visit_list"), {"region": region("Cusco").pk})

    assert "region" in response.context["filterset"].form.errors
    assert "Outside" not in listed_farms(response)


def test_the_list_is_paginated_by_fifty(manager_client, farm, rosa):
    FarmVisitFactory.create_batch(51, farm=farm, technician=rosa)

    first = manager_client.get(reverse("visit_list"))
    second = manager_client.get(reverse("visit_list"), {"page": 2})

    assert len(listed(first)) == 50
    assert len(listed(second)) == 1
    assert first.context["page_obj"].paginator.num_pages == 2


def _visits_on_distinct_farms(count: int) -> None:
    """Each visit with its own member, farm and technician, and a pest at severity 2: any per-row query shows."""
    for number in range(count):
        farm = FarmFactory(member=MemberFactory(region=region("Huánuco" if number % 2 else "San Martín")))
        visit = FarmVisitFactory(farm=farm, technician=technician(f"tec{number}", "Huánuco"))
        VisitPestObservationFactory(visit=visit, pest="frosty_pod_rot", severity=2)


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_query_count_does_not_grow_with_its_rows(manager_client, django_assert_num_queries, count):
    _visits_on_distinct_farms(count)

    # session, user, staff roles; scope (does a manager role cover all regions?) for the filter form and for
    # the selector; COUNT for the paginator; the page of visits with farm, member, region and technician; their
    # pests of severity 2 or more; the choices of the technician and region selects.
    with django_assert_num_queries(10):
        response = manager_client.get(reverse("visit_list"))

    assert len(listed(response)) == count


# --- The export ----------------------------------------------------------------------------------------------


def xlsx_rows(response) -> list[tuple]:
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return list(workbook.active.iter_rows(values_only=True))


def test_the_export_has_the_header_and_one_row_per_visit_with_readable_labels(manager_client, visit):
    response = manager_client.get(reverse("visit_export"), **EN)

    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].startswith('attachment; filename="farm-visits-')
    rows = xlsx_rows(response)
    assert rows[0] == XLSX_HEADER
    assert rows[1:] == [
        (
            datetime.datetime(2026, 10, 3),
            "La Esperanza",
            "BA-00001",
            visit.farm.member.full_name,
            "Huánuco",
            "Cocoa",
            "Rosa Quispe",
            "Follow-up",
            "Composting; Shade management",
            "Frosty pod rot (moniliasis): 2; Black pod (Phytophthora): 1",
            1200,
            "Podar y retirar mazorcas enfermas.",
            datetime.datetime(2026, 11, 3),
        )
    ]


@pytest.mark.spanish
def test_the_export_is_in_the_users_language_spanish_by_default(manager_client, visit):
    response = manager_client.get(reverse("visit_export"))

    assert response["Content-Disposition"].startswith('attachment; filename="visitas-de-campo-')
    row = xlsx_rows(response)[1]
    assert row[8].startswith("Compostaje; ")
    assert row[9].startswith("Moniliasis: 2; ")


def test_the_export_applies_the_lists_filters_and_scope(manager_client, visits):
    rows = xlsx_rows(manager_client.get(reverse("visit_export"), {"pest": "frosty_pod_rot"}))

    assert [row[1] for row in rows[1:]] == ["Moderate"]
    assert len(xlsx_rows(manager_client.get(reverse("visit_export")))) == 1 + 3  # header, visits in scope


def test_export_text_that_a_spreadsheet_would_run_as_a_formula_is_kept_as_text(manager_client, farm):
    FarmVisitFactory(farm=farm, recommendations='=HYPERLINK("http://example.org","x")')

    response = manager_client.get(reverse("visit_export"))
    cell = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active["L2"]

    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://example.org","x")', "s")


@pytest.mark.parametrize("count", [3, 30])
def test_the_export_query_count_does_not_grow_with_its_rows(manager_client, django_assert_num_queries, count):
    _visits_on_distinct_farms(count)

    # session, user, staff roles; scope; the visits with farm, member, region and technician, then all their
    # pests, once per chunk of 2,000.
    with django_assert_num_queries(6):
        rows = xlsx_rows(manager_client.get(reverse("visit_export")))

    assert len(rows) == 1 + count


# --- The farm page ---------------------------------------------------------------------------------------------


def test_the_farm_page_shows_the_farm_and_its_visits_newest_first(technician_client, visit, photo):
    older = FarmVisitFactory(
        farm=visit.farm, technician=visit.technician, visited_on=datetime.date(2026, 9, 1), purpose="training"
    )

    response = technician_client.get(reverse("farm_detail", args=[visit.farm.pk]), **EN)

    content = response.content.decode()
    assert listed(response) == [visit, older]
    for text in [
        "BA-00001",
        f'href="{reverse("member_detail", args=[visit.farm.member.pk])}"',
        "Huánuco",
        "Cocoa",
        "2.50",  # hectares
        "Active",
        "latitude -9.295000, longitude -75.995000",
        "Follow-up",
        "Training",
        "Rosa Quispe",
        "Composting; Shade management",
        "Frosty pod rot (moniliasis): 2 (moderate)",
        "Black pod (Phytophthora): 1 (low)",
        "1200",  # estimated yield, kg
        "Podar y retirar mazorcas enfermas.",
        "11/03/2026",  # follow-up date
        f'src="{reverse("visit_photo", args=[photo.pk])}"',
    ]:
        assert text in content, text


def test_the_farm_page_never_links_a_public_media_url(manager_client, photo):
    content = manager_client.get(reverse("farm_detail", args=[photo.visit.farm.pk])).content.decode()

    assert photo.image.name not in content
    assert photo.image.url not in content


def test_the_farm_timeline_is_paginated_by_twenty(manager_client, farm, rosa):
    for day in range(21):
        FarmVisitFactory(farm=farm, technician=rosa, visited_on=datetime.date(2026, 9, 1) + datetime.timedelta(day))

    first = manager_client.get(reverse("farm_detail", args=[farm.pk]))
    second = manager_client.get(reverse("farm_detail", args=[farm.pk]), {"page": 2})

    assert len(listed(first)) == 20
    assert listed(first)[0].visited_on == datetime.date(2026, 9, 21)
    assert [visit.visited_on for visit in listed(second)] == [datetime.date(2026, 9, 1)]


def test_a_farm_without_visits_says_so(manager_client, farm):
    content = manager_client.get(reverse("farm_detail", args=[farm.pk]), **EN).content.decode()

    assert "No visits recorded." in content


@pytest.mark.parametrize("count", [2, 20])
def test_the_farm_page_query_count_does_not_grow_with_its_visits(
    technician_client, django_assert_num_queries, farm, count
):
    for number in range(count):
        visit = FarmVisitFactory(farm=farm, technician=technician(f"tec{number}", "Huánuco"))
        VisitPestObservationFactory(visit=visit, pest="frosty_pod_rot", severity=number % 4)
        VisitPestObservationFactory(visit=visit, pest="black_pod", severity=2)
        add_photo(visit, 1)
        add_photo(visit, 2)

    # session, user, staff roles; scope (does a role cover all regions?); the farm with member and region;
    # COUNT for the paginator; the page of visits with technician; their pests; their photos.
    with django_assert_num_queries(9):
        response = technician_client.get(reverse("farm_detail", args=[farm.pk]))

    assert len(listed(response)) == count


# --- Photos ----------------------------------------------------------------------------------------------------


def test_the_photo_view_serves_the_stored_jpeg(credit_officer_client, photo):
    response = credit_officer_client.get(reverse("visit_photo", args=[photo.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, max-age=86400"
    body = b"".join(response.streaming_content)
    photo.image.open("rb")
    assert body == photo.image.read()
    assert Image.open(io.BytesIO(body)).size == (32, 24)


def test_an_unknown_photo_is_not_found(manager_client, db):
    assert manager_client.get(reverse("visit_photo", args=[999999])).status_code == 404


# --- The member page -------------------------------------------------------------------------------------------


def test_the_member_page_shows_notable_pests_and_links_each_farm_page(manager_client, visit):
    member = visit.farm.member
    second_farm = FarmFactory(member=member, name="Nueva Vida")

    content = manager_client.get(reverse("member_detail", args=[member.pk]), **EN).content.decode()

    assert "Frosty pod rot (moniliasis): 2 (moderate)" in content
    assert "Black pod (Phytophthora): 1" not in content  # severity 1
    for farm in (visit.farm, second_farm):
        assert f'<a href="{reverse("farm_detail", args=[farm.pk])}">{farm.name}</a>' in content  # farms table
        assert f"All visits: {farm.name}" in content
