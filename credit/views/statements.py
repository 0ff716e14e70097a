"""A member's statement of account (managers and credit officers of the member's region): every loan with its
inputs, schedule, charges, transactions and balance, on one printable page.

The statement is handed to the member, so it is in Spanish unless `?language=en` asks otherwise, whatever
language the staff user browses in. A member outside the user's credit regions answers 404; other roles 403.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone, translation
from django.views.decorators.http import require_GET

from cooperative.access import CREDIT_ROLES, role_required
from credit import selectors
from members.selectors import members_in_scope

STATEMENT_LANGUAGES = dict(settings.LANGUAGES)


@role_required(CREDIT_ROLES)
@require_GET
def credit_statement(request: HttpRequest, member_pk: int) -> HttpResponse:
    """Queries: the scope check with the member (region joined), then the five of selectors.member_statement."""
    member = get_object_or_404(members_in_scope(request.user, CREDIT_ROLES).select_related("region"), pk=member_pk)
    language = request.GET.get("language")
    if language not in STATEMENT_LANGUAGES:
        language = settings.LANGUAGE_CODE
    statement = selectors.member_statement(member=member, as_of=timezone.localdate())
    other_languages = [(code, name) for code, name in settings.LANGUAGES if code != language]
    with translation.override(language):
        response = render(
            request,
            "credit/statement/statement.html",
            {"member": member, "statement": statement, "other_languages": other_languages},
        )
    response.headers["Content-Language"] = language
    return response
