"""Factories for the partner API's models."""

import secrets

import factory

from cooperative.models import ApiToken
from cooperative.services import api_token_hash
from tests.factories import PartnerFactory


class ApiTokenFactory(factory.django.DjangoModelFactory):
    """A token whose plain value is kept on the instance as `plain_token` (the database holds the hash)."""

    class Meta:
        model = ApiToken

    partner = factory.SubFactory(PartnerFactory)
    name = factory.Sequence(lambda n: f"Power BI {n}")
    plain_token = factory.LazyFunction(lambda: secrets.token_urlsafe(32))

    @classmethod
    def _create(cls, model_class, *args, plain_token: str, **kwargs):
        kwargs.setdefault("prefix", plain_token[: ApiToken.PREFIX_LENGTH])
        kwargs.setdefault("token_hash", api_token_hash(plain_token))
        token = super()._create(model_class, *args, **kwargs)
        token.plain_token = plain_token
        return token
