"""Declaring an inspector's conflict of interest on its page: by member code, within the user's regions, once,
choosing among the inspectors of those regions. Who may open it: test_inspections_pages.py."""

import pytest
from django.urls import reverse
from django.utils import timezone

from certifications.models import InspectorConflict
from tests.certifications.conftest import make_inspector
from tests.factories import InspectorConflictFactory, MemberFactory, region

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


# -- conflicts of interest --------------------------------------------------------------------------------------


def test_the_coordinator_declares_a_conflict_by_member_code(ics_client, candidate_farm, inspector):
    response = ics_client.post(
        reverse("conflict_create"),
        {
            "inspector": inspector.pk,
            "member_code": candidate_farm.member.code.lower(),
            "relationship": "relative",
            "declared_on": timezone.localdate().isoformat(),
            "note": "Hermana del socio",
        },
    )

    assert response.status_code == 302
    assert response.url == reverse("conflict_list")
    conflict = InspectorConflict.objects.get()
    assert (conflict.inspector, conflict.member, conflict.relationship) == (
        inspector,
        candidate_farm.member,
        "relative",
    )
    assert conflict.history.get().history_user == ics_client.user


def test_a_member_outside_the_regions_or_declared_twice_is_refused(ics_client, candidate_farm, inspector):
    cusco_member = MemberFactory(region=region("Cusco"))
    InspectorConflictFactory(inspector=inspector, member=candidate_farm.member)
    data = {"inspector": inspector.pk, "relationship": "other", "declared_on": timezone.localdate().isoformat()}

    outside = ics_client.post(reverse("conflict_create"), data | {"member_code": cusco_member.code}, **EN)
    twice = ics_client.post(reverse("conflict_create"), data | {"member_code": candidate_farm.member.code}, **EN)

    assert outside.context["form"].errors["member_code"] == ["No member in your regions has this code."]
    assert twice.context["form"].errors["member_code"][0].startswith("Inspectora Quispe already declared")
    assert InspectorConflict.objects.count() == 1


def test_only_inspectors_of_the_users_regions_can_be_chosen(ics_client, candidate_farm):
    cusco_inspector = make_inspector("cusqueno", regions=("Cusco",))
    form = ics_client.get(reverse("conflict_create")).context["form"]

    choices = list(form.fields["inspector"].queryset)
    assert cusco_inspector not in choices
    assert ics_client.user in choices
