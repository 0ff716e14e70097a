"""The admin of the Internal Control System's models: reference data editable (checklists, requirements,
conflicts of interest, group certificates), the records the services write read-only (inspections,
non-conformities, sanctions, C.A.F.E. verifications), and what the ICS coordinator may change."""

import datetime

import pytest
from django.urls import reverse

from certifications.models import Checklist, GroupCertificate, InspectorConflict, Requirement
from cooperative.models import StaffRole
from cooperative.roles import role_permissions
from cooperative.services import staff_role_grant
from tests import factories
from tests.conftest import changelist_queries

pytestmark = pytest.mark.django_db

CHANGELISTS = {
    "checklist": lambda: factories.ChecklistFactory(version=f"t{Checklist.objects.count()}"),
    "requirement": factories.RequirementFactory,
    "inspectorconflict": lambda: InspectorConflict.objects.create(
        inspector=factories.UserFactory(),
        member=factories.MemberFactory(),
        relationship="relative",
        declared_on=datetime.date(2026, 1, 10),
    ),
    "inspection": lambda: factories.InspectionFactory(standards=[factories.standard("organic")]),
    "nonconformity": factories.NonConformityFactory,
    "sanction": factories.SanctionFactory,
    "cafeverification": factories.CafeVerificationFactory,
    "groupcertificate": factories.GroupCertificateFactory,
}
READ_ONLY = ["inspection", "nonconformity", "sanction", "cafeverification"]


def role_client(client, role: str):
    user = factories.UserFactory(username=f"user-{role}")
    staff_role_grant(user=user, role=role, regions=[factories.region("Huánuco")])
    client.force_login(user)
    return client


@pytest.mark.parametrize("model", sorted(CHANGELISTS))
def test_each_changelist_takes_the_same_queries_for_1_and_20_rows(superuser_client, model):
    CHANGELISTS[model]()
    one_row = changelist_queries(superuser_client, f"certifications_{model}")

    for _ in range(19):
        CHANGELISTS[model]()
    twenty_rows = changelist_queries(superuser_client, f"certifications_{model}")

    assert twenty_rows == one_row


@pytest.mark.parametrize("model", READ_ONLY)
def test_service_written_records_are_read_only_even_for_a_superuser(superuser_client, model):
    row = CHANGELISTS[model]()
    change_url = reverse(f"admin:certifications_{model}_change", args=[row.pk])

    shown = superuser_client.get(change_url)
    posted = superuser_client.post(change_url, {})
    added = superuser_client.get(reverse(f"admin:certifications_{model}_add"))
    deleted = superuser_client.post(reverse(f"admin:certifications_{model}_delete", args=[row.pk]), {"post": "yes"})

    assert shown.status_code == 200
    assert shown.context["adminform"].form.fields == {}
    assert (posted.status_code, added.status_code, deleted.status_code) == (403, 403, 403)
    assert type(row).objects.filter(pk=row.pk).exists()


def test_the_inspection_shows_its_answers_read_only(superuser_client):
    finding = factories.NonConformityFactory(requirement__code="ORG-07")

    response = superuser_client.get(reverse("admin:certifications_inspection_change", args=[finding.inspection_id]))

    (inline,) = response.context["inline_admin_formsets"]
    assert not (inline.has_add_permission or inline.has_change_permission or inline.has_delete_permission)
    assert "ORG-07" in response.content.decode()


def test_a_checklist_is_edited_with_its_requirements(superuser_client):
    checklist = factories.ChecklistFactory(version="t1")
    factories.RequirementFactory(checklist=checklist, code="T-1")

    response = superuser_client.get(reverse("admin:certifications_checklist_change", args=[checklist.pk]))

    (inline,) = response.context["inline_admin_formsets"]
    assert inline.formset.model is Requirement
    assert inline.has_change_permission
    assert "T-1" in response.content.decode()


def group_certificate_data(**changes) -> dict:
    data = {
        "standard": factories.standard("rainforest_alliance").pk,
        "number": "RA-C-1",
        "certification_body": "Control Union Perú",
        "valid_from": "2026-01-15",
        "valid_until": "2029-01-14",
        "crops": ["coffee"],
        "notes": "",
    }
    data.update(changes)
    return data


def test_a_group_certificate_is_recorded_in_the_admin_under_the_services_rules(superuser_client):
    url = reverse("admin:certifications_groupcertificate_add")

    refused = superuser_client.post(
        url, group_certificate_data(standard=factories.standard("utz").pk, crops=[]), HTTP_ACCEPT_LANGUAGE="en"
    )
    accepted = superuser_client.post(url, group_certificate_data())

    errors = refused.context["adminform"].form.errors
    assert "accepts nothing new" in errors["standard"][0]
    assert errors["crops"] == ["Choose the crops the certificate covers."]
    assert accepted.status_code == 302
    assert GroupCertificate.objects.get().crops == ["coffee"]


@pytest.mark.parametrize(
    ("role", "model", "expected"),
    [
        (StaffRole.Role.MANAGER, "checklist", 200),
        (StaffRole.Role.MANAGER, "requirement", 200),
        (StaffRole.Role.MANAGER, "inspectorconflict", 200),
        (StaffRole.Role.MANAGER, "groupcertificate", 200),
        (StaffRole.Role.MANAGER, "sanction", 403),
        (StaffRole.Role.MANAGER, "inspection", 403),
        # ICS coordinators edit the ICS reference data on its staff pages (/certifications/checklists/,
        # conflicts/, certificates/); the admin is for managers.
        (StaffRole.Role.ICS_COORDINATOR, "checklist", 302),
        (StaffRole.Role.TECHNICIAN, "checklist", 302),
    ],
)
def test_each_role_adds_what_it_may_in_the_admin(client, role, model, expected):
    response = role_client(client, role).get(reverse(f"admin:certifications_{model}_add"))

    assert response.status_code == expected


def test_the_manager_gets_add_and_change_but_never_delete_on_the_ics_reference_data():
    codenames = set(role_permissions(StaffRole.Role.MANAGER).values_list("codename", flat=True))

    for model in ("checklist", "requirement", "inspectorconflict", "groupcertificate"):
        assert {f"add_{model}", f"change_{model}", f"view_{model}"} <= codenames
        assert f"delete_{model}" not in codenames
    assert not role_permissions(StaffRole.Role.ICS_COORDINATOR).exists()
