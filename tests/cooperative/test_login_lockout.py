"""Logins are throttled (django-axes, cooperative.lockout): 5 wrong passwords for one user, or 30 from one
address, lock logins out for 15 minutes, in the database every app server shares; a manager unlocks."""

import datetime
import os
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cooperative.access import Role
from cooperative.services import staff_role_grant
from tests import factories

PROJECT = Path(__file__).resolve().parents[2]
PASSWORD = "cafe-cacao-2026"
OFFICE = "190.12.1.5"


@pytest.fixture
def person(db):
    user = factories.UserFactory(username="tecnico")
    user.set_password(PASSWORD)
    user.save()
    staff_role_grant(user=user, role=Role.TECHNICIAN, regions=[factories.region("Huánuco")])
    return user


def log_in(client: Client, username: str, password: str, address: str = OFFICE, url: str = "/accounts/login/"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_the_limits_are_five_per_user_and_thirty_per_address_for_fifteen_minutes():
    assert (settings.LOGIN_FAILURES_PER_USER, settings.LOGIN_FAILURES_PER_ADDRESS) == (5, 30)
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"


def test_four_wrong_passwords_then_the_right_one_logs_in(client, person):
    for _ in range(4):
        assert log_in(client, "tecnico", "wrong").status_code == 200

    response = log_in(client, "tecnico", PASSWORD)

    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == person.pk


def test_the_fifth_wrong_password_locks_the_user_out_even_with_the_right_password(client, person):
    for _ in range(4):
        assert log_in(client, "tecnico", "wrong").status_code == 200

    fifth = log_in(client, "tecnico", "wrong")
    right = log_in(Client(), "tecnico", PASSWORD, address="200.48.7.7")

    assert fifth.status_code == 429
    assert "Too many failed login attempts" in fifth.content.decode()
    assert "15 minutes" in fifth.content.decode()
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session


def test_failures_on_the_admin_login_count_towards_the_same_lockout(client, person):
    for _ in range(3):
        log_in(client, "tecnico", "wrong", url=reverse("admin:login"))
    for _ in range(2):
        log_in(client, "tecnico", "wrong")

    assert log_in(client, "tecnico", PASSWORD).status_code == 429


@pytest.mark.spanish
def test_the_lockout_page_speaks_spanish(client, person):
    for _ in range(5):
        response = log_in(client, "tecnico", "incorrecta")

    assert response.status_code == 429
    page = response.content.decode()
    assert "Demasiados intentos fallidos" in page
    assert "15 minutos" in page
    assert "gerente" in page


def test_an_address_guessing_many_user_names_is_locked_out_for_everyone_behind_it(client, person):
    for number in range(29):
        assert log_in(client, f"usuario{number}", "wrong").status_code == 200

    thirtieth = log_in(client, "usuario29", "wrong")
    from_the_same_office = log_in(Client(), "tecnico", PASSWORD)
    from_elsewhere = log_in(Client(), "tecnico", PASSWORD, address="200.48.7.7")

    assert thirtieth.status_code == 429
    assert from_the_same_office.status_code == 429
    assert from_elsewhere.status_code == 302


def test_failures_older_than_the_cool_off_no_longer_count(client, person):
    for _ in range(5):
        log_in(client, "tecnico", "wrong")
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=16))

    assert log_in(client, "tecnico", PASSWORD).status_code == 302


def test_a_manager_unlocks_a_user_by_deleting_the_attempts_in_the_admin(client, person):
    for _ in range(5):
        log_in(client, "tecnico", "wrong")
    manager = factories.UserFactory(username="gerente")
    staff_role_grant(user=manager, role=Role.MANAGER, regions=[factories.region("Cusco")])
    office = Client()
    office.force_login(manager)
    attempts = list(AccessAttempt.objects.filter(username="tecnico").values_list("pk", flat=True))

    listed = office.get(reverse("admin:axes_accessattempt_changelist"))
    unlocked = office.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "delete_selected", "_selected_action": attempts, "post": "yes"},
    )

    assert listed.status_code == 200
    assert "tecnico" in listed.content.decode()
    assert unlocked.status_code == 302
    assert not AccessAttempt.objects.filter(username="tecnico").exists()
    assert log_in(Client(), "tecnico", PASSWORD).status_code == 302


def test_roles_other_than_manager_cannot_see_or_delete_the_attempts(client, person):
    client.force_login(person)

    response = client.get(reverse("admin:axes_accessattempt_changelist"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.django_db(transaction=True)
def test_the_lockout_holds_in_another_process(reference_data, on_postgres, person):
    """The failures are rows in PostgreSQL: a second process (another app server) refuses the login too."""
    client = Client()
    for _ in range(5):
        log_in(client, "tecnico", "wrong")
    database = connection.settings_dict
    host = f"{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}"
    url = f"postgres://{database['USER']}@{host}/{database['NAME']}"
    code = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        f"response = Client().post('/accounts/login/', {{'username': 'tecnico', 'password': {PASSWORD!r}}},"
        f" REMOTE_ADDR='200.48.7.7')\n"
        "print(response.status_code)\n"
    )
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "tests.settings"}

    result = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "429"


@pytest.mark.parametrize(
    ("proxies", "forwarded_for", "expected"),
    [
        ("0", "6.6.6.6", "10.0.0.2"),  # no proxy trusted: a forged header is ignored
        ("1", "190.12.1.5", "190.12.1.5"),  # nginx appended the client
        ("1", "6.6.6.6, 190.12.1.5", "10.0.0.2"),  # a forged entry before it: the proxy's own address
    ],
)
def test_the_client_address_is_read_behind_the_trusted_proxies_only(proxies, forwarded_for, expected):
    code = (
        "import django; django.setup()\n"
        "from django.test import RequestFactory\n"
        "from axes.helpers import get_client_ip_address\n"
        f"request = RequestFactory().get('/', HTTP_X_FORWARDED_FOR={forwarded_for!r}, REMOTE_ADDR='10.0.0.2')\n"
        "print(get_client_ip_address(request))\n"
    )
    env = {
        **os.environ,
        "DEBUG": "true",
        "TRUSTED_PROXY_COUNT": proxies,
        "DJANGO_SETTINGS_MODULE": "cooperative.settings",
    }

    result = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == expected


@pytest.mark.spanish
def test_the_admin_names_the_login_attempts_in_spanish(person):
    log_in(Client(), "tecnico", "incorrecta")
    manager = factories.UserFactory(username="gerente")
    staff_role_grant(user=manager, role=Role.MANAGER, all_regions=True)
    office = Client()
    office.force_login(manager)

    page = office.get(reverse("admin:axes_accessattempt_changelist")).content.decode()

    assert "intento de acceso" in page
    assert "Eliminar intentos de acceso seleccionado" in page
