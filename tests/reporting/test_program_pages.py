"""The program pages (managers only): who may use them, the list and detail, enrolling one member or every
member matching a filter, community projects, and pinned query counts. Progress itself: test_program_progress.py."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from certifications.models import CertificationStatus
from cooperative.models import AllianceProgram, CommunityProject, ProgramEnrollment
from members import services
from members.models import Farm, Member
from tests.factories import (
    AllianceProgramFactory,
    CertificationFactory,
    CommunityProjectFactory,
    FarmFactory,
    MemberFactory,
    ProgramEnrollmentFactory,
    region,
)

pytestmark = pytest.mark.django_db

READ_ONLY_ROLES = ["technician_client", "credit_officer_client", "ics_client", "outsider_client"]


@pytest.fixture
def cusco_program() -> AllianceProgram:
    return AllianceProgramFactory(code="CAFE-CUS", name="Café del Cusco", crops=["coffee"], regions=[region("Cusco")])


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def url(name: str, program: AllianceProgram) -> str:
    return reverse(name, args=[program.pk])


# -- who may use the pages --------------------------------------------------------------------------


def page_requests(program: AllianceProgram) -> list[tuple[str, str, dict]]:
    return [
        ("get", reverse("program_list"), {}),
        ("get", url("program_detail", program), {}),
        ("post", url("program_enrol", program), {"member_code": "X", "enrolled_on": "2020-01-01"}),
        ("get", url("program_enrol_matching", program), {}),
        ("post", url("program_enrol_matching", program), {"region": region("Huánuco").pk, "confirm": "1"}),
        ("post", url("community_project_create", program), {"project-name": "Escuela"}),
    ]


@pytest.mark.parametrize("role_client", READ_ONLY_ROLES)
def test_only_managers_may_use_the_program_pages(role_client, request, program):
    client = request.getfixturevalue(role_client)
    MemberFactory(code="X")

    for method, path, data in page_requests(program):
        assert getattr(client, method)(path, data).status_code == 403, path

    assert not ProgramEnrollment.objects.exists()
    assert not CommunityProject.objects.exists()


def test_anonymous_visitors_are_sent_to_the_login_page(client, program):
    for method, path, data in page_requests(program):
        response = getattr(client, method)(path, data)
        assert response.status_code == 302, path
        assert response["Location"].startswith(f"{reverse('login')}?next=/programs/"), path


def test_a_manager_may_use_every_program_page(manager_client, program):
    MemberFactory(code="X")
    statuses = [
        getattr(manager_client, method)(path, data).status_code for method, path, data in page_requests(program)
    ]

    # Member X is enrolled; the project without beneficiaries is refused and its form comes back.
    assert statuses == [200, 200, 302, 200, 302, 200]


def test_a_program_outside_the_managers_regions_answers_404(manager_client, cusco_program):
    MemberFactory(code="X", region=region("Cusco"))

    for method, path, data in page_requests(cusco_program)[1:]:
        assert getattr(manager_client, method)(path, data).status_code == 404, path

    assert not ProgramEnrollment.objects.exists()


def test_a_change_without_the_csrf_token_is_refused(manager_client, program):
    manager_client.handler.enforce_csrf_checks = True
    MemberFactory(code="X")

    for method, path, data in page_requests(program):
        if method == "post":
            assert manager_client.post(path, data).status_code == 403, path

    assert not ProgramEnrollment.objects.exists()
    assert not CommunityProject.objects.exists()


def test_changes_need_a_post(manager_client, program):
    assert manager_client.get(url("program_enrol", program)).status_code == 405
    assert manager_client.get(url("community_project_create", program)).status_code == 405


# -- list and detail ------------------------------------------------------------------------------


def test_the_list_shows_the_programs_of_the_managers_regions_with_progress_bars(manager_client, program, cusco_program):
    member = MemberFactory()
    ProgramEnrollmentFactory(program=program, member=member)
    CertificationFactory(farm=FarmFactory(member=member), status=CertificationStatus.CERTIFIED)

    response = manager_client.get(reverse("program_list"), HTTP_ACCEPT_LANGUAGE="en")

    assert [row.program for row in response.context["rows"]] == [program]
    page = response.content.decode()
    assert "Cacao certificado en Huánuco" in page and "Café del Cusco" not in page
    assert '<progress value="25" max="100"' in page  # 1 of 4 farmers certified
    assert "1 of 4" in page
    assert "Cocoa" in page and "Huánuco" in page


def test_the_detail_lists_only_the_enrolled_members_of_the_managers_regions(manager_client):
    shared = AllianceProgramFactory(regions=[region("Huánuco"), region("Cusco")])
    ProgramEnrollmentFactory(program=shared, member=MemberFactory(code="HUA-1", first_names="Rosa"))
    ProgramEnrollmentFactory(program=shared, member=MemberFactory(code="CUS-1", region=region("Cusco")))

    response = manager_client.get(url("program_detail", shared), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert [e.member.code for e in response.context["page"]] == ["HUA-1"]
    page = response.content.decode()
    assert "HUA-1" in page and "Rosa" in page and "CUS-1" not in page
    assert response.context["progress"].enrolled_members == 1


def test_the_enrolled_members_come_50_to_a_page(manager_client, program):
    for number in range(51):
        ProgramEnrollmentFactory(program=program, member=MemberFactory(code=f"P-{number:03d}"))

    first = manager_client.get(url("program_detail", program))
    second = manager_client.get(url("program_detail", program), {"page": 2})

    assert len(first.context["page"].object_list) == 50
    assert [e.member.code for e in second.context["page"]] == ["P-050"]
    assert 'href="?page=2#enrolled-heading"' in first.content.decode()


# -- enrolling one member ---------------------------------------------------------------------------


def enrol(client, program, code: str, on: datetime.date | None = None):
    data = {"member_code": code, "enrolled_on": (on or timezone.localdate()).isoformat()}
    return client.post(url("program_enrol", program), data, HTTP_ACCEPT_LANGUAGE="en")


def test_a_manager_enrols_a_member_by_code(manager_client, program):
    member = MemberFactory(code="HUA-7")

    response = enrol(manager_client, program, "hua-7 ", datetime.date(2024, 5, 2))

    assert response.status_code == 302
    assert response["Location"] == url("program_detail", program)
    enrolment = ProgramEnrollment.objects.get()
    assert (enrolment.program, enrolment.member, enrolment.enrolled_on) == (program, member, datetime.date(2024, 5, 2))
    assert messages_of(response) == [f"{member} is now enrolled in LWR-HUA."]


def form_errors(response, form: str = "enrol_form") -> dict[str, list[str]]:
    return {field: list(errors) for field, errors in response.context[form].errors.items()}


def test_enrolling_a_member_twice_shows_the_error_under_the_code_and_writes_nothing(manager_client, program):
    ProgramEnrollmentFactory(program=program, member=MemberFactory(code="HUA-7"))

    response = enrol(manager_client, program, "HUA-7")

    assert response.status_code == 200
    assert form_errors(response) == {"member_code": ["The member is already enrolled in this program."]}
    assert "The member is already enrolled in this program." in response.content.decode()
    assert ProgramEnrollment.objects.count() == 1


def test_a_member_outside_the_programs_regions_is_refused_and_nothing_is_written(manager_client, program):
    MemberFactory(code="SM-1", region=region("San Martín"))

    response = enrol(manager_client, program, "SM-1")

    assert response.status_code == 200
    assert form_errors(response) == {"member_code": ["The member's region is not covered by this program."]}
    assert not ProgramEnrollment.objects.exists()


def test_a_member_outside_the_managers_regions_cannot_be_found(manager_client):
    shared = AllianceProgramFactory(regions=[region("Huánuco"), region("Cusco")])
    MemberFactory(code="CUS-1", region=region("Cusco"))

    response = enrol(manager_client, shared, "CUS-1")

    assert form_errors(response) == {"member_code": ["No member in your regions has this code."]}
    assert not ProgramEnrollment.objects.exists()


def test_a_future_enrolment_date_is_refused_under_the_date(manager_client, program):
    MemberFactory(code="HUA-7")

    response = enrol(manager_client, program, "HUA-7", timezone.localdate() + datetime.timedelta(days=1))

    assert form_errors(response) == {"enrolled_on": ["The enrolment date cannot be in the future."]}
    assert not ProgramEnrollment.objects.exists()


# -- enrolling every member matching a filter ---------------------------------------------------------


@pytest.fixture
def huanuco_members(program):
    """Four active cocoa members of Tingo María, one of them enrolled already; others that never match."""
    cocoa = [MemberFactory(code=f"TM-{n}", community="Tingo María") for n in range(4)]
    for member in cocoa:
        FarmFactory(member=member)
    ProgramEnrollmentFactory(program=program, member=cocoa[0])
    FarmFactory(member=MemberFactory(code="OTHER-COMMUNITY", community="Naranjillo"))
    FarmFactory(member=MemberFactory(code="INACTIVE", community="Tingo María", status=Member.Status.INACTIVE))
    FarmFactory(member=MemberFactory(code="RETIRED-FARM", community="Tingo María"), status=Farm.Status.RETIRED)
    FarmFactory(member=MemberFactory(code="SAN-MARTIN", region=region("San Martín"), community="Tingo María"))
    return cocoa


def matching(region_name: str = "Huánuco", **extra) -> dict:
    return {"region": region(region_name).pk, "crop": "cocoa", "community": "tingo", **extra}


def test_the_matching_page_says_how_many_will_be_enrolled_and_writes_nothing(manager_client, program, huanuco_members):
    for response in [
        manager_client.get(url("program_enrol_matching", program), matching(), HTTP_ACCEPT_LANGUAGE="en"),
        manager_client.post(url("program_enrol_matching", program), matching(), HTTP_ACCEPT_LANGUAGE="en"),
    ]:
        assert response.status_code == 200
        assert response.context["count"] == 3
        assert [m.code for m in response.context["preview"]] == ["TM-1", "TM-2", "TM-3"]
        page = response.content.decode()
        assert "3 members will be enrolled" in page
        assert '<input type="hidden" name="confirm" value="1">' in page

    assert ProgramEnrollment.objects.count() == 1


def test_confirming_enrols_every_matching_member_once(manager_client, program, huanuco_members):
    response = manager_client.post(
        url("program_enrol_matching", program), matching(confirm="1"), HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 302
    assert response["Location"] == url("program_detail", program)
    assert messages_of(response) == ["3 members were enrolled in LWR-HUA."]
    enrolled = ProgramEnrollment.objects.filter(program=program)
    assert sorted(enrolled.values_list("member__code", flat=True)) == ["TM-0", "TM-1", "TM-2", "TM-3"]
    assert set(enrolled.exclude(member__code="TM-0").values_list("enrolled_on", flat=True)) == {timezone.localdate()}


def test_a_region_outside_the_program_is_refused(manager_client, program, huanuco_members):
    response = manager_client.post(url("program_enrol_matching", program), matching("San Martín", confirm="1"))

    assert response.status_code == 200
    assert "region" in response.context["form"].errors
    assert "count" not in response.context
    assert ProgramEnrollment.objects.count() == 1


def test_enrolling_the_matching_members_is_all_or_nothing(manager_client, program, huanuco_members, monkeypatch):
    real_enrol = services.enrollment_create
    calls = []

    def refuse_the_second(**kwargs):
        # The real service, made to refuse its second member as it would refuse a bad one.
        calls.append(kwargs["member"].code)
        if len(calls) == 2:
            raise ValidationError({"member": "Refused for the test."})
        return real_enrol(**kwargs)

    monkeypatch.setattr(services, "enrollment_create", refuse_the_second)

    response = manager_client.post(url("program_enrol_matching", program), matching(confirm="1"))

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["Refused for the test."]
    assert calls == ["TM-1", "TM-2"]
    assert ProgramEnrollment.objects.count() == 1  # TM-1's enrolment was rolled back


def test_a_program_that_has_ended_enrols_nobody(manager_client, huanuco_members):
    ended = AllianceProgramFactory(ends_on=datetime.date(2020, 12, 31))

    response = manager_client.post(
        url("program_enrol_matching", ended), matching(confirm="1"), HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["The enrolment date must fall within the program dates."]
    assert not ProgramEnrollment.objects.filter(program=ended).exists()


# -- community projects ---------------------------------------------------------------------------


def add_project(client, program, **changes):
    data = {
        "project-name": "Escuela de Juan Velasco Alvarado",
        "project-region": region("Huánuco").pk,
        "project-community": "Juan Velasco Alvarado",
        "project-beneficiaries": "200",
        "project-completed_on": "2015-03-02",
        "project-description": "",
        **changes,
    }
    return client.post(url("community_project_create", program), data, HTTP_ACCEPT_LANGUAGE="en")


def test_a_manager_adds_a_community_project_to_the_program(manager_client, program):
    response = add_project(manager_client, program)

    assert response.status_code == 302
    project = CommunityProject.objects.get()
    assert (project.program, project.region.name, project.beneficiaries, project.completed_on) == (
        program,
        "Huánuco",
        200,
        datetime.date(2015, 3, 2),
    )
    assert messages_of(response) == ["Community project “Escuela de Juan Velasco Alvarado” added."]
    detail = manager_client.get(url("program_detail", program))
    assert detail.context["progress"].beneficiaries == 200


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"project-beneficiaries": "0"}, "beneficiaries", "Ensure this value is greater than or equal to 1."),
        ({"project-region": ""}, "region", "This field is required."),
        ({"project-completed_on": "2999-01-01"}, "completed_on", "The completion date cannot be in the future."),
    ],
)
def test_a_bad_community_project_shows_the_error_under_its_field(manager_client, program, changes, field, message):
    response = add_project(manager_client, program, **changes)

    assert response.status_code == 200
    assert response.context["project_form"].errors == {field: [message]}
    assert "<details open>" in response.content.decode()
    assert not CommunityProject.objects.exists()


def test_a_community_project_outside_the_programs_regions_is_refused(manager_client, program):
    response = add_project(manager_client, program, **{"project-region": region("San Martín").pk})

    assert "region" in response.context["project_form"].errors
    assert not CommunityProject.objects.exists()


# -- query counts ---------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 20])
def test_the_program_list_query_count_does_not_grow_with_the_programs(rows, manager_client, django_assert_num_queries):
    for _ in range(rows):
        program = AllianceProgramFactory(regions=[region("Huánuco"), region("San Martín")])
        ProgramEnrollmentFactory(program=program)
        CommunityProjectFactory(program=program)

    # 1 session, 2 user, 3 staff roles, 4 "covers all regions?", 5 programs with partners, 6 their
    # regions, 7 their standards, 8 enrolments, 9 certified farmers, 10 project beneficiaries.
    with django_assert_num_queries(10):
        response = manager_client.get(reverse("program_list"))

    assert len(response.context["rows"]) == rows


@pytest.mark.parametrize("rows", [1, 20])
def test_the_program_detail_query_count_does_not_grow_with_the_members(
    rows, manager_client, program, django_assert_num_queries
):
    for _ in range(rows):
        member = MemberFactory()
        ProgramEnrollmentFactory(program=program, member=member)
        CertificationFactory(farm=FarmFactory(member=member), status=CertificationStatus.CERTIFIED)
        CommunityProjectFactory(program=program)

    # 1 session, 2 user, 3 staff roles, 4 "covers all regions?", 5-10 progress, computed on every request
    # (program with partner, regions, standards, enrolments, certified farmers, beneficiaries), 11 enrolment
    # count, 12 the page of enrolments with members and regions, 13 community projects with regions, 14-15
    # the region choices of the matching and project forms.
    with django_assert_num_queries(15):
        response = manager_client.get(url("program_detail", program))

    assert len(response.context["page"].object_list) == rows
    assert response.context["progress"].farmers_certified == rows
