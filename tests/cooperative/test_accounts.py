import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.spanish
def test_the_login_page_is_in_spanish_by_default(client):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    assert "Iniciar sesión" in response.content.decode()


def test_logging_in_leads_to_the_dashboard(client, manager_client):
    manager_client.logout()

    response = manager_client.post(reverse("login"), {"username": "gerente", "password": "password"})

    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")


def test_a_wrong_password_is_refused_with_a_message(client):
    UserFactory(username="gerente")

    response = client.post(reverse("login"), {"username": "gerente", "password": "wrong"})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_logging_out_takes_a_post_and_ends_the_session(manager_client):
    assert manager_client.get(reverse("logout")).status_code == 405

    response = manager_client.post(reverse("logout"))

    assert response.status_code == 302
    assert "_auth_user_id" not in manager_client.session


@pytest.mark.parametrize(
    "fixture", ["manager_client", "technician_client", "credit_officer_client", "ics_client", "outsider_client"]
)
def test_every_logged_in_user_may_change_their_password(request, fixture):
    client = request.getfixturevalue(fixture)

    response = client.post(
        reverse("password_change"),
        {"old_password": "password", "new_password1": "cafe-de-altura-2027", "new_password2": "cafe-de-altura-2027"},
    )

    assert response.status_code == 302
    client.user.refresh_from_db()
    assert client.user.check_password("cafe-de-altura-2027")


def test_a_weak_new_password_shows_the_field_error_and_changes_nothing(manager_client):
    response = manager_client.post(
        reverse("password_change"),
        {"old_password": "password", "new_password1": "123", "new_password2": "123"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200
    assert "too short" in response.content.decode()
    manager_client.user.refresh_from_db()
    assert manager_client.user.check_password("password")


def test_anonymous_visitors_cannot_change_a_password(client):
    response = client.get(reverse("password_change"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_user_without_a_staff_role_is_refused_the_dashboard(outsider_client):
    response = outsider_client.get(reverse("dashboard"))

    assert response.status_code == 403
