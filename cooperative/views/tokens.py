"""Partner API tokens (managers only): list, create (the plain token is shown once), revoke.

Tokens belong to partners, not regions, so a manager sees every token. The plain token exists only in
the response to the creating POST (marked no-store); afterwards only its prefix is known.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from cooperative import services
from cooperative.access import MEMBER_WRITERS, role_required
from cooperative.forms import ApiTokenForm, add_service_errors
from cooperative.selectors import api_tokens, api_tokens_with_partner


@role_required(MEMBER_WRITERS)
@require_GET
def api_token_list(request: HttpRequest) -> HttpResponse:
    """Every token, newest first. One query (partner and users joined), whatever the number of tokens."""
    return render(request, "cooperative/tokens.html", {"tokens": api_tokens()})


@role_required(MEMBER_WRITERS)
@require_http_methods(["GET", "POST"])
def api_token_create(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, plain = services.api_token_create(
                partner=form.cleaned_data["partner"], name=form.cleaned_data["name"], created_by=request.user
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            # Shown in this response only (no redirect: the token is not kept anywhere to show it again).
            response = render(request, "cooperative/tokens_created.html", {"token": token, "plain_token": plain})
            add_never_cache_headers(response)
            return response
    return render(request, "cooperative/tokens_form.html", {"form": form})


@role_required(MEMBER_WRITERS)
@require_http_methods(["GET", "POST"])
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: a confirmation page. POST: revoke, then back to the list."""
    token = get_object_or_404(api_tokens_with_partner(), pk=pk)
    if request.method == "POST":
        try:
            services.api_token_revoke(token=token, revoked_by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("Token %(prefix)s… of %(partner)s was revoked.") % {"prefix": token.prefix, "partner": token.partner},
            )
        return redirect("api_token_list")
    return render(request, "cooperative/tokens_revoke.html", {"token": token})
