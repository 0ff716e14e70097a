"""Staff pages for members and farms: every view for every role, regional scope, search, filters, sorting,
pagination, forms (bad input writes nothing), withdrawal, and pinned query counts.

Roles (tests/conftest.py): the manager covers Huánuco and San Martín, the other roles Huánuco; Cusco is out of
everybody's scope. Pages are requested in English (HTTP_ACCEPT_LANGUAGE) where a test reads labels.
"""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from certifications.models import CertificationStatus
from cooperative.models import ProgramEnrollment
from credit import services as credit_services
from members.models import Farm, Member
from members.selectors import _SmallSetPaginator, members_for_list
from tests.conftest import ROLE_CLIENTS
from tests.factories import (
    AllianceProgramFactory,
    CertificationEventFactory,
    CertificationFactory,
    CreditProductFactory,
    FarmFactory,
    FarmVisitFactory,
    InputItemFactory,
    MemberFactory,
    ProgramEnrollmentFactory,
    UserFactory,
    region,
    standard,
)

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
READER_ROLES = ROLE_CLIENTS
NON_MANAGER_ROLES = ["technician_client", "credit_officer_client", "ics_client"]


@pytest.fixture
def farm():
    return FarmFactory(member=MemberFactory(code="BA-00001", region=region("Huánuco")), name="La Esperanza")


@pytest.fixture
def cusco_farm():
    return FarmFactory(member=MemberFactory(code="CU-00001", region=region("Cusco")), name="Santa Rosa")


def read_urls(member: Member) -> list[str]:
    return [reverse("member_list"), reverse("member_detail", args=[member.pk])]


def write_urls(farm: Farm) -> list[str]:
    member = farm.member
    return [
        reverse("member_create"),
        reverse("member_edit", args=[member.pk]),
        reverse("member_withdraw", args=[member.pk]),
        reverse("farm_create", args=[member.pk]),
        reverse("farm_edit", args=[farm.pk]),
    ]


def export_urls() -> list[str]:
    return [reverse("member_export", args=["csv"]), reverse("member_export", args=["xlsx"])]


def listed_codes(response) -> list[str]:
    return [member.code for member in response.context["page_obj"]]


def member_form_data(**overrides) -> dict:
    data = {
        "code": "BA-90001",
        "first_names": "Teodoro",
        "last_names": "Espiritu Lino",
        "dni": "10117410",
        "gender": "male",
        "region": region("Huánuco").pk,
        "district": "Rupa-Rupa",
        "community": "Juan Velasco Alvarado",
        "ubigeo": "",
        "ubigeo_source": "inei",
        "joined_on": "2013-02-04",
        "status": "active",
        "phone": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def farm_form_data(**overrides) -> dict:
    data = {
        "name": "Nueva Esperanza",
        "region": region("Huánuco").pk,
        "district": "Rupa-Rupa",
        "community": "Juan Velasco Alvarado",
        "hectares": "6.00",
        "crop": "cocoa",
        "varieties": "CCN-51, criollo",
        "altitude_m": "680",
        "latitude": "-9.295000",
        "longitude": "-75.995000",
        "planted_year": "2013",
        "previous_crop": "coca",
        "crop_changed_on": "2013-03-01",
        "production_quantity": "20",
        "production_unit": "qq",
        "status": "active",
    }
    data.update(overrides)
    return data


# --- Who may open what -------------------------------------------------------------------------------------


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


def test_the_manager_opens_every_form(manager_client, farm):
    for url in write_urls(farm):
        assert manager_client.get(url, **EN).status_code == 200, url


@pytest.mark.parametrize("role_client", NON_MANAGER_ROLES)
def test_read_only_roles_are_refused_the_forms_and_change_nothing(request, role_client, farm):
    client = request.getfixturevalue(role_client)
    member = farm.member

    for url in write_urls(farm):
        assert client.get(url).status_code == 403, url
        assert client.post(url, member_form_data() | farm_form_data(hectares="9")).status_code == 403, url

    member.refresh_from_db()
    farm.refresh_from_db()
    assert member.status == Member.Status.ACTIVE
    assert farm.hectares == Decimal("2.50")
    assert Member.objects.count() == 1
    assert Farm.objects.count() == 1


def test_a_user_without_a_staff_role_is_refused_every_page(outsider_client, farm):
    for url in [*read_urls(farm.member), *export_urls(), *write_urls(farm)]:
        assert outsider_client.get(url).status_code == 403, url
    assert outsider_client.post(reverse("member_create"), member_form_data()).status_code == 403
    assert not Member.objects.filter(code="BA-90001").exists()


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, farm):
    for url in [*read_urls(farm.member), *export_urls(), *write_urls(farm)]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login") + "?next="), url
    client.post(reverse("member_create"), member_form_data())
    assert not Member.objects.filter(code="BA-90001").exists()


@pytest.mark.parametrize("role_client", READER_ROLES)
def test_a_member_outside_the_users_regions_is_not_found_and_not_listed(request, role_client, farm, cusco_farm):
    client = request.getfixturevalue(role_client)

    assert client.get(reverse("member_detail", args=[cusco_farm.member.pk])).status_code == 404
    assert listed_codes(client.get(reverse("member_list"))) == ["BA-00001"]


def test_the_manager_cannot_change_a_member_or_farm_outside_their_regions(manager_client, cusco_farm):
    for url in write_urls(cusco_farm)[1:]:
        assert manager_client.get(url).status_code == 404, url
        assert manager_client.post(url, member_form_data() | farm_form_data()).status_code == 404, url

    cusco_farm.refresh_from_db()
    assert cusco_farm.member.status == Member.Status.ACTIVE
    assert cusco_farm.name == "Santa Rosa"
    assert Farm.objects.count() == 1


@pytest.mark.spanish
def test_pages_render_in_spanish_by_default(manager_client, farm):
    response = manager_client.get(reverse("member_list"))

    assert '<html lang="es">' in response.content.decode()


def test_the_member_page_hides_the_edit_links_from_read_only_roles(technician_client, farm):
    content = technician_client.get(reverse("member_detail", args=[farm.member.pk]), **EN).content.decode()

    assert reverse("member_edit", args=[farm.member.pk]) not in content
    assert reverse("farm_edit", args=[farm.pk]) not in content


def test_the_member_page_links_the_managers_actions(manager_client, farm):
    content = manager_client.get(reverse("member_detail", args=[farm.member.pk]), **EN).content.decode()

    for url in write_urls(farm)[1:]:
        assert url in content


# --- Search, filters, sorting, pagination ----------------------------------------------------------------------


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
    ],
)
def test_bad_filter_values_show_an_error_or_are_ignored_never_a_server_error(manager_client, params):
    MemberFactory(code="BA-1")

    response = manager_client.get(reverse("member_list"), params, **EN)

    assert response.status_code == 200
    assert listed_codes(response) == ["BA-1"]
    field = next(iter(params))
    if field != "page":
        assert field in response.context["filterset"].form.errors
        assert "Select a valid choice" in response.content.decode()


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (None, ["BA-1", "BA-2", "SM-3"]),
        ("-code", ["SM-3", "BA-2", "BA-1"]),
        ("last_names", ["BA-2", "SM-3", "BA-1"]),
        ("-hectares", ["SM-3", "BA-1", "BA-2"]),
        ("hectares", ["BA-2", "BA-1", "SM-3"]),
        ("-region", ["SM-3", "BA-1", "BA-2"]),
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

    first = manager_client.get(reverse("member_list"), {"community": "pueblo"})
    second = manager_client.get(reverse("member_list"), {"community": "pueblo", "page": 2})

    assert len(first.context["page_obj"]) == 50
    assert first.context["page_obj"].paginator.num_pages == 2
    assert len(second.context["page_obj"]) == 1
    assert set(listed_codes(first)).isdisjoint(listed_codes(second))
    assert 'href="?community=pueblo&amp;page=2"' in first.content.decode()


@pytest.mark.parametrize("small_result", [0, 1000])
def test_pages_are_the_same_whether_the_result_is_read_whole_or_by_limit(manager_client, monkeypatch, small_result):
    # A small result (up to SMALL_RESULT rows) is read whole and sliced in Python; a larger one with LIMIT.
    monkeypatch.setattr(_SmallSetPaginator, "SMALL_RESULT", small_result)
    codes = [f"PN-{number:03d}" for number in range(53)]
    for code in codes:
        MemberFactory(code=code, community="Pueblo Nuevo")

    pages = [
        listed_codes(manager_client.get(reverse("member_list"), {"community": "pueblo", "sort": "-code", "page": n}))
        for n in (1, 2)
    ]

    assert pages == [sorted(codes, reverse=True)[:50], sorted(codes, reverse=True)[50:]]


def test_the_export_links_keep_the_filters_and_sort_but_not_the_page(manager_client):
    MemberFactory()

    response = manager_client.get(reverse("member_list"), {"crop": "cocoa", "sort": "-code", "page": "1"})

    content = response.content.decode()
    assert 'href="/members/export.xlsx?crop=cocoa&amp;sort=-code"' in content
    assert 'href="/members/export.csv?crop=cocoa&amp;sort=-code"' in content


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
    # selector; COUNT for the paginator; the page of members with their region; the farm totals of the
    # page's members (one GROUP BY); the choices of the region, standard and program selects.
    with django_assert_num_queries(11):
        response = manager_client.get(reverse("member_list"))

    assert len(response.context["page_obj"]) == members


# --- Member page -----------------------------------------------------------------------------------------------


def _disbursed_loan(member: Member):
    """S/ 1,200 over 6 monthly instalments of S/ 212 (flat 12 %), disbursed 15 Jan 2026; one instalment repaid."""
    maker, checker = UserFactory(username="maker"), UserFactory(username="checker")
    loan = credit_services.loan_create(
        member=member,
        product=CreditProductFactory(),
        lines=[(InputItemFactory(name="Guano de isla", unit_price=Decimal("120.00")), Decimal("10"))],
        submitted_by=maker,
        submitted_on=datetime.date(2026, 1, 10),
    )
    credit_services.loan_approve(loan=loan, approved_by=checker, approved_on=datetime.date(2026, 1, 12))
    credit_services.loan_disburse(loan=loan, disbursed_by=maker, disbursed_on=datetime.date(2026, 1, 15))
    credit_services.loan_repay(
        loan=loan, amount=Decimal("212.00"), occurred_on=datetime.date(2026, 2, 15), recorded_by=maker
    )
    return loan


def _member_with_records(farms: int, visits: int) -> Member:
    member = MemberFactory(code="BA-00001", first_names="Teodoro", last_names="Espiritu Lino")
    decider = UserFactory(username="comite", first_name="Comité", last_name="SCI")
    for number in range(farms):
        farm = FarmFactory(member=member, name=f"Parcela {number + 1}", estimated_production_kg=Decimal("1380"))
        certification = CertificationFactory(farm=farm, status=CertificationStatus.CERTIFIED)
        CertificationEventFactory(certification=certification, to_status="candidate", reason="Registro inicial")
        CertificationEventFactory(
            certification=certification,
            from_status="candidate",
            to_status="certified",
            occurred_on=datetime.date(2026, 3, 1),
            reason="Auditoría aprobada",
            decided_by=decider,
        )
    for number in range(visits):
        FarmVisitFactory(farm=member.farms.first(), visited_on=datetime.date(2026, 10, 1) - datetime.timedelta(number))
    ProgramEnrollmentFactory(member=member, program=AllianceProgramFactory(code="LWR-2012", name="Cacao Huánuco"))
    _disbursed_loan(member)
    return member


def test_the_member_page_shows_profile_farms_certifications_loans_visits_and_programs(manager_client):
    member = _member_with_records(farms=1, visits=12)

    response = manager_client.get(reverse("member_detail", args=[member.pk]), **EN)

    content = response.content.decode()
    for text in [
        "Teodoro Espiritu Lino",
        "Parcela 1",
        "1380",  # kg
        "30.0",  # 1380 / 46 kg quintals
        "20.0",  # 1380 / 69 kg export bags
        "Rainforest Alliance",
        "Candidate → Certified",
        "Auditoría aprobada",
        "Comité SCI",
        "1200.00",  # principal
        "1060.00",  # outstanding: S/ 1,272 - S/ 212 repaid
        "03/15/2026",  # the second instalment is the next unpaid one
        "LWR-2012",
    ]:
        assert text in content, text
    profile = response.context["profile"]
    assert len(profile.recent_visits) == 10
    assert profile.loans[0].loan.total_outstanding == Decimal("1060.00")
    assert profile.loans[0].next_due_on == datetime.date(2026, 3, 15)


@pytest.mark.parametrize(("farms", "visits"), [(1, 1), (5, 12)])
def test_the_member_page_query_count_does_not_grow_with_farms_or_visits(
    manager_client, django_assert_num_queries, farms, visits
):
    member = _member_with_records(farms=farms, visits=visits)

    # session, user, staff roles; scope (all regions?); the member with region; may the user write here
    # (manager roles covering all regions? covering this region?); farms with region; their certifications
    # with standard; the certifications' events with who decided; loans with balances; their instalments;
    # the latest visits with farm and technician; their pests of severity 2 or more; program enrolments with
    # program.
    with django_assert_num_queries(15):
        response = manager_client.get(reverse("member_detail", args=[member.pk]))

    assert len(response.context["profile"].farms) == farms


# --- Register and edit a member --------------------------------------------------------------------------------


def test_the_manager_registers_a_member(manager_client):
    response = manager_client.post(reverse("member_create"), member_form_data(phone="987654321"))

    member = Member.objects.get(code="BA-90001")
    assert response.status_code == 302
    assert response.url == reverse("member_detail", args=[member.pk])
    assert (member.dni, member.region.name, member.phone, member.joined_on) == (
        "10117410",
        "Huánuco",
        "987654321",
        datetime.date(2013, 2, 4),
    )


def test_a_member_without_dni_is_stored_without_one(manager_client):
    manager_client.post(reverse("member_create"), member_form_data(dni=""))

    assert Member.objects.get(code="BA-90001").dni is None


def test_a_bad_dni_shows_the_field_error_and_writes_nothing(manager_client):
    response = manager_client.post(reverse("member_create"), member_form_data(dni="1234"), **EN)

    assert response.status_code == 200
    assert "Enter a valid DNI" in response.context["form"].errors["dni"][0]
    assert "Enter a valid DNI" in response.content.decode()
    assert not Member.objects.exists()


def test_a_duplicate_dni_shows_the_field_error_and_writes_nothing(manager_client):
    MemberFactory(code="BA-1", dni="10117410")

    response = manager_client.post(reverse("member_create"), member_form_data(), **EN)

    assert response.status_code == 200
    assert response.context["form"].errors["dni"] == ["Another member is registered with this DNI."]
    assert list(Member.objects.values_list("code", flat=True)) == ["BA-1"]


def test_a_model_rule_shows_under_its_field(manager_client):
    future = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()

    response = manager_client.post(reverse("member_create"), member_form_data(joined_on=future), **EN)

    assert response.context["form"].errors["joined_on"] == ["The joining date cannot be in the future."]
    assert not Member.objects.exists()


def test_a_member_cannot_be_registered_in_a_region_the_manager_does_not_cover(manager_client):
    response = manager_client.post(reverse("member_create"), member_form_data(region=region("Cusco").pk))

    assert "region" in response.context["form"].errors
    assert not Member.objects.exists()


def test_withdrawn_is_not_a_status_offered_when_registering(manager_client):
    response = manager_client.post(reverse("member_create"), member_form_data(status="withdrawn"))

    assert "status" in response.context["form"].errors
    assert not Member.objects.exists()


def test_the_manager_edits_a_member(manager_client, farm):
    member = farm.member

    response = manager_client.post(
        reverse("member_edit", args=[member.pk]),
        member_form_data(code="CHANGED", phone="987000111", community="Pueblo Nuevo", status="inactive"),
    )

    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.code, member.phone, member.community, member.status) == (
        "BA-00001",  # the code is fixed once registered
        "987000111",
        "Pueblo Nuevo",
        Member.Status.INACTIVE,
    )


def test_editing_with_a_taken_dni_shows_the_error_and_changes_nothing(manager_client, farm):
    MemberFactory(dni="42345678")
    member = farm.member
    original_dni = member.dni

    response = manager_client.post(
        reverse("member_edit", args=[member.pk]), member_form_data(dni="42345678", phone="999"), **EN
    )

    assert response.context["form"].errors["dni"] == ["Another member is registered with this DNI."]
    member.refresh_from_db()
    assert (member.dni, member.phone) == (original_dni, "")


# --- Withdraw a member -----------------------------------------------------------------------------------------


def test_the_manager_withdraws_a_member_who_stays_on_record(manager_client, farm):
    member = farm.member

    response = manager_client.post(
        reverse("member_withdraw", args=[member.pk]),
        {"withdrawn_on": "2026-06-30", "reason": "Se mudó a Lima", "confirm": "on"},
    )

    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.status, member.withdrawn_on, member.withdrawal_reason) == (
        Member.Status.WITHDRAWN,
        datetime.date(2026, 6, 30),
        "Se mudó a Lima",
    )
    assert Farm.objects.filter(member=member).exists()


def test_a_withdrawal_needs_the_confirmation(manager_client, farm):
    response = manager_client.post(
        reverse("member_withdraw", args=[farm.member.pk]), {"withdrawn_on": "2026-06-30", "reason": "Se mudó"}, **EN
    )

    assert response.context["form"].errors["confirm"] == ["Tick the box to confirm the withdrawal."]
    assert Member.objects.get().status == Member.Status.ACTIVE


def test_a_withdrawal_before_joining_shows_the_services_error_under_the_date(manager_client, farm):
    response = manager_client.post(
        reverse("member_withdraw", args=[farm.member.pk]),
        {"withdrawn_on": "2000-01-01", "reason": "Se mudó", "confirm": "on"},
        **EN,
    )

    assert response.context["form"].errors["withdrawn_on"] == [
        "The withdrawal date cannot be before the member joined."
    ]
    assert Member.objects.get().status == Member.Status.ACTIVE


def test_a_blank_reason_is_refused(manager_client, farm):
    response = manager_client.post(
        reverse("member_withdraw", args=[farm.member.pk]),
        {"withdrawn_on": "2026-06-30", "reason": "  ", "confirm": "on"},
    )

    assert "reason" in response.context["form"].errors
    assert Member.objects.get().status == Member.Status.ACTIVE


def test_withdrawing_twice_is_refused(manager_client, farm):
    url = reverse("member_withdraw", args=[farm.member.pk])
    manager_client.post(url, {"withdrawn_on": "2026-06-30", "reason": "Se mudó", "confirm": "on"})

    response = manager_client.post(url, {"withdrawn_on": "2026-07-30", "reason": "Otra vez", "confirm": "on"})

    assert response.status_code == 200
    member = Member.objects.get()
    assert (member.withdrawn_on, member.withdrawal_reason) == (datetime.date(2026, 6, 30), "Se mudó")


def test_a_withdrawn_member_stays_withdrawn_when_edited(manager_client, farm):
    member = farm.member
    manager_client.post(
        reverse("member_withdraw", args=[member.pk]),
        {"withdrawn_on": "2026-06-30", "reason": "Se mudó", "confirm": "on"},
    )

    response = manager_client.post(
        reverse("member_edit", args=[member.pk]), member_form_data(status="active", phone="987000111")
    )

    assert "status" in response.context["form"].errors
    member.refresh_from_db()
    assert (member.status, member.phone) == (Member.Status.WITHDRAWN, "")
    response = manager_client.post(
        reverse("member_edit", args=[member.pk]), member_form_data(status="withdrawn", phone="987000111")
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.status, member.phone, member.withdrawn_on) == (
        Member.Status.WITHDRAWN,
        "987000111",
        datetime.date(2026, 6, 30),
    )


# --- Farms ---------------------------------------------------------------------------------------------------


def test_the_manager_adds_a_farm_with_production_in_quintals(manager_client, farm):
    member = farm.member

    response = manager_client.post(reverse("farm_create", args=[member.pk]), farm_form_data())

    assert response.status_code == 302
    assert response.url == reverse("member_detail", args=[member.pk])
    new = Farm.objects.get(member=member, name="Nueva Esperanza")
    assert (new.hectares, new.crop, new.previous_crop, new.region.name) == (Decimal("6.00"), "cocoa", "coca", "Huánuco")
    assert (new.production_quantity, new.production_unit, new.estimated_production_kg) == (
        Decimal("20.00"),
        "qq",
        Decimal("920.00"),
    )


def test_a_farm_of_zero_hectares_shows_the_error_and_writes_nothing(manager_client, farm):
    response = manager_client.post(reverse("farm_create", args=[farm.member.pk]), farm_form_data(hectares="0"), **EN)

    assert response.status_code == 200
    assert response.context["form"].errors["hectares"] == ["The area must be greater than zero."]
    assert "The area must be greater than zero." in response.content.decode()
    assert Farm.objects.count() == 1


def test_latitude_without_longitude_is_refused(manager_client, farm):
    response = manager_client.post(reverse("farm_create", args=[farm.member.pk]), farm_form_data(longitude=""))

    assert "longitude" in response.context["form"].errors
    assert Farm.objects.count() == 1


def test_a_withdrawn_member_gets_no_new_farm(manager_client, farm):
    Member.objects.filter(pk=farm.member.pk).update(status="withdrawn", withdrawn_on=datetime.date(2026, 6, 30))

    response = manager_client.post(reverse("farm_create", args=[farm.member.pk]), farm_form_data(), **EN)

    assert response.context["form"].non_field_errors() == ["A withdrawn member cannot register new farms."]
    assert Farm.objects.count() == 1


def test_the_manager_edits_a_farm(manager_client, farm):
    response = manager_client.post(
        reverse("farm_edit", args=[farm.pk]),
        farm_form_data(name="La Esperanza", hectares="3.75", status="retired", production_quantity=""),
    )

    assert response.status_code == 302
    farm.refresh_from_db()
    assert (farm.hectares, farm.status, farm.estimated_production_kg) == (Decimal("3.75"), "retired", None)


def test_the_farm_form_shows_a_production_recorded_in_kilograms(manager_client, farm):
    form = manager_client.get(reverse("farm_edit", args=[farm.pk])).context["form"]

    assert (form["production_quantity"].value(), form["production_unit"].value()) == (Decimal("1500.00"), "kg")


def test_a_farm_edit_with_a_duplicate_name_changes_nothing(manager_client, farm):
    other = FarmFactory(member=farm.member, name="El Milagro")

    response = manager_client.post(reverse("farm_edit", args=[other.pk]), farm_form_data(name="La Esperanza"))

    assert response.status_code == 200
    assert response.context["form"].errors
    other.refresh_from_db()
    assert other.name == "El Milagro"


@pytest.mark.parametrize(
    ("fixture", "sees_loans"),
    [("manager_client", True), ("credit_officer_client", True), ("technician_client", False), ("ics_client", False)],
)
def test_loan_balances_on_the_member_page_are_for_managers_and_credit_officers_only(request, fixture, sees_loans):
    from tests.factories import LoanFactory, MemberFactory, region

    client = request.getfixturevalue(fixture)
    loan = LoanFactory(member=MemberFactory(region=region("Huánuco")), reference="CR-VISIBLE-1")

    response = client.get(reverse("member_detail", args=[loan.member.pk]))

    assert response.status_code == 200
    assert ("CR-VISIBLE-1" in response.content.decode()) is sees_loans
