"""Reads for the input catalogue and credit product pages: cooperative-wide lists, available entries first."""

from django.db.models import QuerySet

from credit.models import CreditProduct, InputItem


def input_items() -> QuerySet[InputItem]:
    """Every item of the input catalogue, available ones first, by kind and name. One query."""
    return InputItem.objects.order_by("-is_active", "kind", "name")


def credit_products() -> QuerySet[CreditProduct]:
    """Every credit product, available ones first, by name. One query."""
    return CreditProduct.objects.order_by("-is_active", "name")
