"""The managers' API token pages, tried by every role."""

import pytest
from django.urls import reverse

from cooperative.models import ApiToken
from cooperative.services import api_token_hash, api_token_revoke
from tests.api.factories import ApiTokenFactory
from tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db

FORBIDDEN = ["technician_client", "credit_officer_client", "ics_client", "outsider_client"]


@pytest.fixture
def token(partner_a):
    return ApiTokenFactory(partner=partner_a, name="Power BI")


def page_urls(token) -> list[str]:
    return [reverse("api_token_list"), reverse("api_token_create"), reverse("api_token_revoke", args=[token.pk])]


def test_a_manager_lists_tokens_by_prefix_never_by_value(manager_client, token):
    revoked = ApiTokenFactory(partner=token.partner, name="Old export")
    api_token_revoke(token=revoked, revoked_by=manager_client.user)

    response = manager_client.get(reverse("api_token_list"))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Lutheran World Relief" in content and "Power BI" in content and token.prefix in content
    assert token.plain_token not in content and token.token_hash not in content
    assert content.count(">Revoke<") == 1  # the revoked one has no revoke link
    assert reverse("api_token_list") in manager_client.get(reverse("dashboard")).content.decode()


def test_the_token_list_query_count_does_not_grow_with_tokens(manager_client, token, django_assert_num_queries):
    # 1 session, 2 user, 3 staff roles (role_required; the navigation reuses them), 4 the tokens.
    with django_assert_num_queries(4):
        assert manager_client.get(reverse("api_token_list")).status_code == 200
    ApiTokenFactory.create_batch(19, created_by=manager_client.user)
    with django_assert_num_queries(4):
        assert manager_client.get(reverse("api_token_list")).status_code == 200


def test_a_manager_creates_a_token_and_sees_it_once(manager_client, partner_a):
    response = manager_client.post(reverse("api_token_create"), {"partner": partner_a.pk, "name": "Power BI"})

    assert response.status_code == 200
    plain = response.context["plain_token"]
    token = ApiToken.objects.get()
    assert (token.partner, token.name, token.created_by) == (partner_a, "Power BI", manager_client.user)
    assert token.token_hash == api_token_hash(plain)
    assert plain in response.content.decode()
    assert "will not be shown again" in response.content.decode()
    assert "no-store" in response.headers["Cache-Control"]
    assert plain not in manager_client.get(reverse("api_token_list")).content.decode()


def test_the_create_form_shows_labelled_fields_and_errors(manager_client):
    PartnerFactory(name="LWR")
    page = manager_client.get(reverse("api_token_create")).content.decode()
    assert '<label for="id_partner">' in page and '<label for="id_name">' in page

    response = manager_client.post(reverse("api_token_create"), {"partner": "", "name": ""})

    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"partner", "name"}
    assert not ApiToken.objects.exists()


def test_a_manager_confirms_then_revokes_a_token(manager_client, token):
    url = reverse("api_token_revoke", args=[token.pk])
    confirmation = manager_client.get(url)
    assert confirmation.status_code == 200
    assert "Revoke token" in confirmation.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None

    response = manager_client.post(url)

    assert response.status_code == 302 and response.url == reverse("api_token_list")
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == manager_client.user


def test_revoking_a_revoked_token_again_says_so(manager_client, token):
    api_token_revoke(token=token, revoked_by=manager_client.user)
    revoked_at = ApiToken.objects.get().revoked_at

    response = manager_client.post(reverse("api_token_revoke", args=[token.pk]), follow=True)

    assert "already revoked" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at == revoked_at


def test_revoking_an_unknown_token_is_404(manager_client):
    assert manager_client.post(reverse("api_token_revoke", args=[999])).status_code == 404


@pytest.mark.parametrize("client_name", FORBIDDEN)
def test_other_roles_get_403_on_every_token_page(request, client_name, token, partner_a):
    client = request.getfixturevalue(client_name)
    for url in page_urls(token):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("api_token_create"), {"partner": partner_a.pk, "name": "x"}).status_code == 403
    assert client.post(reverse("api_token_revoke", args=[token.pk])).status_code == 403
    assert ApiToken.objects.get().revoked_at is None
    assert ApiToken.objects.count() == 1
    assert reverse("api_token_list") not in client.get(reverse("dashboard")).content.decode()


def test_anonymous_users_are_sent_to_the_login_page(client, token):
    for url in page_urls(token):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url
    client.post(reverse("api_token_revoke", args=[token.pk]))
    assert ApiToken.objects.get().revoked_at is None


def test_other_roles_cannot_read_tokens_in_the_admin(technician_client, token):
    # No staff status for technicians: the admin sends them to its login.
    response = technician_client.get(reverse("admin:cooperative_apitoken_changelist"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_a_manager_reads_tokens_in_the_admin_without_the_hash(manager_client, token):
    changelist = manager_client.get(reverse("admin:cooperative_apitoken_changelist"))
    assert changelist.status_code == 200
    change = manager_client.get(reverse("admin:cooperative_apitoken_change", args=[token.pk]))
    assert change.status_code == 200
    assert token.token_hash not in change.content.decode()
    assert manager_client.get(reverse("admin:cooperative_apitoken_add")).status_code == 403
