"""Main journeys of the cooperative's staff, in a real browser."""

import pytest

from cooperative.services import staff_role_grant
from tests.browser.conftest import log_in
from tests.factories import UserFactory, region

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


@pytest.fixture
def manager(reference_data):
    user = UserFactory(username="gerente", first_name="Rosa")
    staff_role_grant(user=user, role="manager", regions=[region("Huánuco"), region("San Martín")])
    return user


def test_a_manager_logs_in_and_switches_the_language_to_english_and_back(page, manager):
    log_in(page, "gerente")

    assert page.get_by_role("heading", name="Panel").is_visible()
    page.get_by_role("button", name="English").click()
    assert page.get_by_role("heading", name="Dashboard").is_visible()
    page.get_by_role("button", name="Español").click()
    assert page.get_by_role("heading", name="Panel").is_visible()


def test_a_wrong_password_shows_an_error_and_no_dashboard(page, manager):
    log_in(page, "gerente", "not-the-password")

    assert page.get_by_role("alert").is_visible()
    assert "/accounts/login/" in page.url
