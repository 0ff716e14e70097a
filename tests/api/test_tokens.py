"""Token services and the create_api_token command."""

import hashlib
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client

from cooperative.models import ApiToken
from cooperative.services import api_token_create, api_token_revoke
from tests.api.factories import ApiTokenFactory
from tests.factories import PartnerFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_creating_a_token_stores_only_its_hash_and_prefix():
    partner = PartnerFactory()
    user = UserFactory()

    token, plain = api_token_create(partner=partner, name=" Power BI ", created_by=user)

    stored = ApiToken.objects.get()
    assert stored == token
    assert len(plain) >= 43
    assert stored.prefix == plain[:8]
    assert stored.token_hash == hashlib.sha256(plain.encode()).hexdigest()
    assert plain not in {getattr(stored, f.attname) for f in ApiToken._meta.concrete_fields}
    assert (stored.partner, stored.name, stored.created_by, stored.revoked_at) == (partner, "Power BI", user, None)
    assert stored.history.count() == 1


def test_two_tokens_differ():
    partner = PartnerFactory()
    _token1, plain1 = api_token_create(partner=partner, name="a", created_by=None)
    _token2, plain2 = api_token_create(partner=partner, name="b", created_by=None)
    assert plain1 != plain2


def test_token_str_shows_partner_and_prefix_only():
    token = ApiTokenFactory(partner__name="LWR")
    assert str(token) == f"LWR · {token.prefix}…"
    assert token.token_hash not in str(token)


def test_revoking_records_who_and_when():
    token = ApiTokenFactory()
    manager = UserFactory()

    revoked = api_token_revoke(token=token, revoked_by=manager)

    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == manager
    assert revoked.revoked_at == token.revoked_at
    assert token.history.count() == 2


def test_revoking_twice_is_refused_and_keeps_the_first_revocation():
    token = ApiTokenFactory()
    first, second = UserFactory(), UserFactory()
    api_token_revoke(token=token, revoked_by=first)
    revoked_at = ApiToken.objects.get().revoked_at

    with pytest.raises(ValidationError, match="already revoked"):
        api_token_revoke(token=token, revoked_by=second)

    token.refresh_from_db()
    assert (token.revoked_at, token.revoked_by) == (revoked_at, first)


def test_the_command_prints_the_token_on_its_last_line_and_it_authenticates():
    partner = PartnerFactory(name="Lutheran World Relief")
    output = StringIO()

    call_command("create_api_token", "--partner", "Lutheran World Relief", "--name", "Power BI", stdout=output)

    plain = output.getvalue().strip().splitlines()[-1]
    token = ApiToken.objects.get()
    assert (token.partner, token.name, token.created_by, token.prefix) == (partner, "Power BI", None, plain[:8])
    assert output.getvalue().count(plain) == 1
    response = Client().get("/api/v1/programs/", headers={"Authorization": f"Bearer {plain}"})
    assert response.status_code == 200


def test_the_command_refuses_an_unknown_partner():
    PartnerFactory(name="Lutheran World Relief")

    with pytest.raises(CommandError, match="No partner is named 'Lutheran'"):
        call_command("create_api_token", "--partner", "Lutheran", stdout=StringIO())

    assert not ApiToken.objects.exists()
