"""Who may import members: only a manager (a superuser counts as a manager of every region); the upload
page with its labelled file input and the template links."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory
from tests.members.conftest import CONFIRM_URL, IMPORT_URL, csv_upload, member_row, upload

pytestmark = pytest.mark.django_db


# --- Roles ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", IMPORT_URL),
        ("post", IMPORT_URL),
        ("post", CONFIRM_URL),
        ("get", reverse("member_import_template", args=["xlsx"])),
    ],
)
@pytest.mark.parametrize("role_client", ["technician_client", "credit_officer_client", "ics_client", "outsider_client"])
def test_only_a_manager_may_import(request, role_client, method, url):
    client = request.getfixturevalue(role_client)

    response = getattr(client, method)(url)

    assert response.status_code == 403


@pytest.mark.parametrize(
    "url",
    [IMPORT_URL, CONFIRM_URL, reverse("member_import_template", args=["csv"])],
    ids=["form", "confirm", "template"],
)
def test_anonymous_users_are_sent_to_the_login_page(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_manager_may_open_the_import(manager_client):
    assert manager_client.get(IMPORT_URL).status_code == 200


def test_a_superuser_counts_as_a_manager_of_every_region(client):
    client.force_login(UserFactory(username="admin", is_superuser=True, is_staff=True))

    preview = upload(client, csv_upload([member_row(region="Cusco")]))

    assert preview.context["preview"].is_valid


# --- The upload page ------------------------------------------------------------------------------


def test_the_upload_page_has_a_labelled_file_input_and_the_template_links(manager_client):
    response = manager_client.get(IMPORT_URL)

    assert response.status_code == 200
    content = response.content.decode()
    assert 'type="file"' in content and 'accept=".xlsx,.csv"' in content
    assert '<label for="id_file">' in content
    assert reverse("member_import_template", args=["xlsx"]) in content
