"""Staff pages for the input catalogue and the credit products (managers and credit officers).

Both are cooperative-wide, not regional. Nothing here is deleted: an item or product that is no longer
offered is marked unavailable, and the loans that have it keep pointing at it. Edits are recorded in the
model's history (the request's user, via simple_history's middleware). A product edit never moves an
approved loan: approval copied the terms onto the loan.
"""

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from cooperative.access import CREDIT_ROLES, role_required
from credit import selectors
from credit.forms import CreditProductForm, InputItemForm
from credit.models import CreditProduct, InputItem


@role_required(CREDIT_ROLES)
@require_GET
def input_item_list(request: HttpRequest) -> HttpResponse:
    """Every item, available ones first. One query, whatever the number of items."""
    return render(request, "credit/catalogue/item_list.html", {"items": selectors.input_items()})


@role_required(CREDIT_ROLES)
@require_http_methods(["GET", "POST"])
def input_item_create(request: HttpRequest) -> HttpResponse:
    form = InputItemForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        with transaction.atomic():
            item = form.save()
        messages.success(request, _("%(item)s added to the catalogue.") % {"item": item})
        return redirect("input_item_list")
    return render(request, "credit/catalogue/item_form.html", {"form": form})


@role_required(CREDIT_ROLES)
@require_http_methods(["GET", "POST"])
def input_item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(InputItem, pk=pk)
    form = InputItemForm(request.POST if request.method == "POST" else None, instance=item)
    if form.is_valid():
        with transaction.atomic():
            item = form.save()
        messages.success(request, _("%(item)s updated.") % {"item": item})
        return redirect("input_item_list")
    return render(request, "credit/catalogue/item_form.html", {"form": form, "item": item})


@role_required(CREDIT_ROLES)
@require_GET
def credit_product_list(request: HttpRequest) -> HttpResponse:
    """Every product, available ones first. One query, whatever the number of products."""
    return render(request, "credit/catalogue/product_list.html", {"products": selectors.credit_products()})


@role_required(CREDIT_ROLES)
@require_http_methods(["GET", "POST"])
def credit_product_create(request: HttpRequest) -> HttpResponse:
    form = CreditProductForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        with transaction.atomic():
            product = form.save()
        messages.success(request, _("Credit product %(product)s created.") % {"product": product})
        return redirect("credit_product_list")
    return render(request, "credit/catalogue/product_form.html", {"form": form})


@role_required(CREDIT_ROLES)
@require_http_methods(["GET", "POST"])
def credit_product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    product = get_object_or_404(CreditProduct, pk=pk)
    form = CreditProductForm(request.POST if request.method == "POST" else None, instance=product)
    if form.is_valid():
        with transaction.atomic():
            product = form.save()
        messages.success(request, _("Credit product %(product)s updated.") % {"product": product})
        return redirect("credit_product_list")
    return render(request, "credit/catalogue/product_form.html", {"form": form, "product": product})
