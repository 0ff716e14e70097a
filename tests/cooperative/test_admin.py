"""The admin is the managers' tool (cooperative.admin_base): managers reach it, the other roles do not, it
speaks the user's language, and the lists of every app's main models do not grow queries with their rows."""

import pytest
from django.urls import reverse

from cooperative.models import StaffRole
from cooperative.services import staff_role_grant
from tests import factories
from tests.conftest import changelist_queries
from tests.factories import UserFactory, region

pytestmark = pytest.mark.django_db

CHANGELISTS = {
    "members_member": factories.MemberFactory,
    "members_farm": factories.FarmFactory,
    "members_farmvisit": factories.FarmVisitFactory,
    "cooperative_programenrollment": factories.ProgramEnrollmentFactory,
    "cooperative_allianceprogram": factories.AllianceProgramFactory,
    "cooperative_staffrole": factories.StaffRoleFactory,
    "certifications_certification": factories.CertificationFactory,
    "credit_loan": factories.LoanFactory,
    "credit_loantransaction": factories.LoanTransactionFactory,
}


def client_for(client, role: str | None, *, superuser: bool = False):
    user = UserFactory(username=f"user-{role or 'outsider'}", is_superuser=superuser, is_staff=superuser)
    if role:
        staff_role_grant(user=user, role=role, regions=[region("Huánuco")])
    client.force_login(user)
    return client


@pytest.mark.parametrize("name", sorted(CHANGELISTS))
def test_admin_changelist_query_count_does_not_grow_with_rows(client, name):
    client = client_for(client, None, superuser=True)
    CHANGELISTS[name]()
    one_row = changelist_queries(client, name)

    CHANGELISTS[name].create_batch(19)
    twenty_rows = changelist_queries(client, name)

    assert twenty_rows == one_row


@pytest.mark.parametrize(
    ("role", "url_name", "expected"),
    [
        (StaffRole.Role.MANAGER, "admin:members_member_changelist", 200),
        (StaffRole.Role.MANAGER, "admin:credit_loan_changelist", 200),
        (StaffRole.Role.MANAGER, "admin:members_member_add", 200),
        # The other roles work on the staff pages only: no staff status, so the admin asks them to log in.
        (StaffRole.Role.TECHNICIAN, "admin:members_member_changelist", 302),
        (StaffRole.Role.TECHNICIAN, "admin:members_farmvisit_add", 302),
        (StaffRole.Role.CREDIT_OFFICER, "admin:credit_loan_changelist", 302),
        (StaffRole.Role.ICS_COORDINATOR, "admin:certifications_certification_changelist", 302),
    ],
)
def test_each_role_reaches_what_it_may_in_the_admin(client, role, url_name, expected):
    response = client_for(client, role).get(reverse(url_name))

    assert response.status_code == expected


def test_a_user_without_a_staff_role_is_sent_to_the_login(client):
    response = client_for(client, None).get(reverse("admin:members_member_changelist"))

    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_anonymous_visitors_are_sent_to_the_login(client):
    response = client.get(reverse("admin:index"))

    assert response.status_code == 302


def test_the_home_page_asks_anonymous_visitors_to_log_in(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.spanish
def test_the_admin_speaks_spanish_by_default_and_english_on_request(client):
    client = client_for(client, StaffRole.Role.MANAGER)

    spanish = client.get(reverse("admin:members_member_changelist"))
    client.post(reverse("set_language"), {"language": "en", "next": "/admin/"})
    english = client.get(reverse("admin:members_member_changelist"))

    assert "Socios" in spanish.content.decode()
    assert "Members" in english.content.decode()


def test_the_member_history_page_shows_who_changed_what(client):
    client = client_for(client, None, superuser=True)
    member = factories.MemberFactory()

    response = client.get(reverse("admin:members_member_history", args=[member.pk]))

    assert response.status_code == 200
    assert member.code in response.content.decode()
