"""The member page: the member's record with their farms, certifications, loans, visits and program
enrolments (reporting.member_profile). It reads from every domain app, so it lives above them; the member's
writes (edit, withdraw, farms) stay on members' pages.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from cooperative.access import MEMBER_READERS, MEMBER_WRITERS, Role, has_role, role_required
from cooperative.selectors import region_in_scope
from members.selectors import members_in_scope
from reporting.member_profile import member_profile


@role_required(MEMBER_READERS)
@require_GET
def member_detail(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(members_in_scope(request.user).select_related("region"), pk=pk)
    can_write = has_role(request.user, MEMBER_WRITERS) and region_in_scope(
        request.user, MEMBER_WRITERS, member.region_id
    )
    # Loan balances are credit data: managers and credit officers only.
    can_see_credit = has_role(request.user, {Role.MANAGER, Role.CREDIT_OFFICER})
    context = {
        "member": member,
        "profile": member_profile(member=member),
        "can_write": can_write,
        "can_see_credit": can_see_credit,
    }
    return render(request, "reporting/member_detail.html", context)
