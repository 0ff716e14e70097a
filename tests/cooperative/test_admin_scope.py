"""The admin obeys the staff pages' rules: every registered model × every role × a row inside and outside
the user's regions.

Only managers (and superusers) use the admin; a manager sees the rows of the regions their manager role
covers, and a row outside them is absent from the list, redirects from its change page as a missing row
would, and answers 403 on its history page. The other roles have no staff status; given one by hand they
still open nothing.
"""

import datetime
from decimal import Decimal

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import transaction
from django.test import Client
from django.urls import NoReverseMatch, reverse

from cooperative.access import Role
from cooperative.admin_base import RoleScopedAdmin
from cooperative.models import ApiRequestLog, StaffRole
from cooperative.services import staff_role_grant
from deliveries.models import DeliveryReversal, Settlement
from tests import factories
from tests.api.factories import ApiTokenFactory

INSIDE, OUTSIDE = "Huánuco", "Cusco"
USERS = {
    # name: (role, regions; None = all regions), or a special kind below
    "manager": (Role.MANAGER, (INSIDE,)),
    "manager_all_regions": (Role.MANAGER, None),
    "technician": (Role.TECHNICIAN, (INSIDE,)),
    "credit_officer": (Role.CREDIT_OFFICER, (INSIDE,)),
    "ics_coordinator": (Role.ICS_COORDINATOR, (INSIDE,)),
}
STAFF_PAGE_ONLY_ROLES = ("technician", "credit_officer", "ics_coordinator")
# Models whose admin a regional manager may not open: roles (who sees what is granted by a superuser or a
# manager of every region) and Django's own users and groups (superusers only).
REFUSED_TO_REGIONAL_MANAGERS = {"cooperative.staffrole", "auth.user", "auth.group"}
REFUSED_TO_ALL_REGIONS_MANAGERS = {"auth.user", "auth.group"}


def _region_world(name: str, staff) -> dict[str, object]:
    """One row of every regional model, all in region `name` (keys: app_label.model_name)."""
    place = factories.region(name)
    member = factories.MemberFactory(region=place)
    farm = factories.FarmFactory(member=member)
    certification = factories.CertificationFactory(farm=farm)
    inspection = factories.InspectionFactory(farm=farm, inspector=staff)
    program = factories.AllianceProgramFactory(regions=[place])
    loan = factories.LoanFactory(member=member, submitted_by=staff)
    delivery = factories.DeliveryFactory(farm=farm, received_by=staff)
    reversed_delivery = factories.DeliveryFactory(farm=farm, received_by=staff)
    cafe_certification = factories.CertificationFactory(
        farm=factories.FarmFactory(member=member, crop="coffee"), standard=factories.standard("cafe_practices")
    )
    return {
        "cooperative.region": place,
        "members.member": member,
        "members.farm": farm,
        "members.farmvisit": factories.FarmVisitFactory(farm=farm, technician=staff),
        "cooperative.allianceprogram": program,
        "cooperative.programenrollment": factories.ProgramEnrollmentFactory(member=member, program=program),
        "cooperative.communityproject": factories.CommunityProjectFactory(region=place, program=program),
        "certifications.certification": certification,
        "certifications.certificationevent": factories.CertificationEventFactory(certification=certification),
        "certifications.inspection": inspection,
        "certifications.nonconformity": factories.NonConformityFactory(inspection=inspection),
        "certifications.sanction": factories.SanctionFactory(certification=certification, decided_by=staff),
        "certifications.cafeverification": factories.CafeVerificationFactory(certification=cafe_certification),
        "certifications.inspectorconflict": factories.InspectorConflictFactory(member=member, inspector=staff),
        "credit.loan": loan,
        "credit.loanline": factories.LoanLineFactory(loan=loan),
        "credit.instalment": factories.InstalmentFactory(loan=loan),
        "credit.loancharge": factories.LoanChargeFactory(loan=loan, recorded_by=staff),
        "credit.loantransaction": factories.LoanTransactionFactory(loan=loan, recorded_by=staff),
        "deliveries.delivery": delivery,
        "deliveries.settlement": Settlement.objects.create(
            delivery=delivery,
            paid_on=datetime.date(2026, 10, 16),
            gross_amount=delivery.gross_amount,
            total_deductions=Decimal("0.00"),
            net_paid=delivery.gross_amount,
            settled_by=staff,
        ),
        "deliveries.deliveryreversal": DeliveryReversal.objects.create(
            delivery=reversed_delivery,
            reversed_on=datetime.date(2026, 10, 17),
            reason="Peso mal leído",
            reversed_by=staff,
        ),
    }


def _reference_rows(staff) -> dict[str, object]:
    """One row of every model that belongs to no region (shown whole to every manager)."""
    token = ApiTokenFactory()
    checklist = factories.ChecklistFactory()
    return {
        "cooperative.partner": token.partner,
        "cooperative.apitoken": token,
        "cooperative.apirequestlog": ApiRequestLog.objects.create(
            token_prefix=token.prefix, method="GET", path="/api/v1/members/", status_code=200
        ),
        "cooperative.staffrole": factories.StaffRoleFactory(user=staff, regions=[factories.region(OUTSIDE)]),
        "certifications.standard": factories.standard("organic"),
        "certifications.checklist": checklist,
        "certifications.requirement": factories.RequirementFactory(checklist=checklist),
        "certifications.groupcertificate": factories.GroupCertificateFactory(),
        "credit.inputitem": factories.InputItemFactory(),
        "credit.creditproduct": factories.CreditProductFactory(),
        "auth.user": staff,
        "auth.group": Group.objects.create(name="Contabilidad"),
        "axes.accessattempt": AccessAttempt.objects.create(
            username="gerente",
            ip_address="190.12.1.5",
            user_agent="Firefox",
            failures_since_start=2,
            get_data="",
            post_data="",
            http_accept="*/*",
            path_info="/accounts/login/",
        ),
        "axes.accessfailurelog": AccessFailureLog.objects.create(
            username="gerente",
            ip_address="190.12.1.5",
            user_agent="Firefox",
            http_accept="*/*",
            path_info="/accounts/login/",
            locked_out=False,
        ),
        "axes.accesslog": AccessLog.objects.create(
            username="gerente",
            ip_address="190.12.1.5",
            user_agent="Firefox",
            http_accept="*/*",
            path_info="/accounts/login/",
        ),
    }


def _seed_reference_data() -> None:
    """Regions and standards, seeded again if a test that commits emptied them (the seeds are idempotent)."""
    import importlib

    from django.apps import apps

    for module in ("cooperative.migrations.0003_seed_regions", "certifications.migrations.0003_seed_standards"):
        importlib.import_module(module).seed(apps, None)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Users of every kind and the rows above, built once for the module and rolled back after it."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            _seed_reference_data()
            staff = factories.UserFactory(username="registrador")
            users = {}
            for name, (role, regions) in USERS.items():
                user = factories.UserFactory(username=name)
                staff_role_grant(
                    user=user,
                    role=role,
                    regions=[factories.region(region) for region in regions or ()],
                    all_regions=regions is None,
                )
                users[name] = user
            # A technician given staff status by hand, behind the roles' back.
            forced = factories.UserFactory(username="technician_forced_staff")
            staff_role_grant(user=forced, role=Role.TECHNICIAN, regions=[factories.region(INSIDE)])
            forced.is_staff = True
            forced.save()
            users["technician_forced_staff"] = forced
            users["superuser"] = factories.UserFactory(username="root", is_staff=True, is_superuser=True)
            users["outsider"] = factories.UserFactory(username="visitante")
            yield {
                "users": users,
                "inside": _region_world(INSIDE, staff),
                "outside": _region_world(OUTSIDE, staff),
                "reference": _reference_rows(staff),
            }
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def _label(model) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


REGISTERED = sorted(_label(model) for model in admin.site._registry)


def _url(label: str, view: str, *args) -> str | None:
    app_label, model_name = label.split(".")
    try:
        return reverse(f"admin:{app_label}_{model_name}_{view}", args=args)
    except NoReverseMatch:
        return None


def _client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def _rows(world, label: str) -> tuple[object, object | None]:
    """(the row inside the regions, the row outside them or None for reference data)."""
    if label in world["inside"]:
        return world["inside"][label], world["outside"][label]
    return world["reference"][label], None


def test_every_registered_admin_model_is_covered_and_scoped(world):
    covered = set(world["inside"]) | set(world["reference"])

    assert set(REGISTERED) == covered
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label in ("auth", "axes"):
            continue
        assert isinstance(model_admin, RoleScopedAdmin), model
        regional = _label(model) in world["inside"]
        assert (
            (getattr(model_admin, "region_path", None) is not None)
            or not regional
            or (type(model_admin).scope_queryset is not RoleScopedAdmin.scope_queryset)
        ), f"{model} is regional but its admin is not narrowed to the user's regions"


@pytest.mark.django_db
@pytest.mark.parametrize("label", REGISTERED)
@pytest.mark.parametrize("user_name", [*STAFF_PAGE_ONLY_ROLES, "outsider"])
def test_roles_without_the_admin_are_sent_to_its_login(world, label, user_name):
    client = _client(world["users"][user_name])
    inside, _outside = _rows(world, label)

    for url in (_url(label, "changelist"), _url(label, "change", inside.pk), _url(label, "history", inside.pk)):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url


@pytest.mark.django_db
@pytest.mark.parametrize("label", REGISTERED)
def test_staff_status_given_by_hand_to_a_technician_opens_nothing(world, label):
    client = _client(world["users"]["technician_forced_staff"])
    inside, _outside = _rows(world, label)

    assert client.get(_url(label, "changelist")).status_code == 403
    assert client.get(_url(label, "change", inside.pk)).status_code in (302, 403)
    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    assert index.context["app_list"] == []


def _assert_absent(response, label: str) -> None:
    """A row the user may not see: 403, 404, or the admin's "does not exist" redirect to its index."""
    if response.status_code == 302:
        assert response["Location"] == reverse("admin:index"), label
    else:
        assert response.status_code in (403, 404), (label, response.status_code)


@pytest.mark.django_db
@pytest.mark.parametrize("label", REGISTERED)
def test_a_regional_manager_sees_the_rows_of_their_regions_only(world, label):
    client = _client(world["users"]["manager"])
    inside, outside = _rows(world, label)

    changelist = client.get(_url(label, "changelist"))
    if label in REFUSED_TO_REGIONAL_MANAGERS:
        assert changelist.status_code == 403
        _assert_absent(client.get(_url(label, "change", inside.pk)), label)
        return
    assert changelist.status_code == 200
    listed = set(changelist.context["cl"].queryset.values_list("pk", flat=True))
    assert inside.pk in listed
    assert client.get(_url(label, "change", inside.pk)).status_code == 200
    history = _url(label, "history", inside.pk)
    if history and label.split(".")[0] != "axes":
        assert client.get(history).status_code == 200
    if outside is None:
        return
    assert outside.pk not in listed
    _assert_absent(client.get(_url(label, "change", outside.pk)), label)
    _assert_absent(client.get(_url(label, "history", outside.pk)), label)


@pytest.mark.django_db
@pytest.mark.parametrize("label", REGISTERED)
@pytest.mark.parametrize("user_name", ["manager_all_regions", "superuser"])
def test_a_manager_of_every_region_and_a_superuser_see_both_regions(world, label, user_name):
    client = _client(world["users"][user_name])
    inside, outside = _rows(world, label)

    changelist = client.get(_url(label, "changelist"))
    if user_name == "manager_all_regions" and label in REFUSED_TO_ALL_REGIONS_MANAGERS:
        assert changelist.status_code == 403
        return
    assert changelist.status_code == 200
    listed = set(changelist.context["cl"].queryset.values_list("pk", flat=True))
    assert inside.pk in listed
    if outside is not None:
        assert outside.pk in listed
        assert client.get(_url(label, "change", outside.pk)).status_code == 200


@pytest.mark.django_db
def test_the_history_of_a_row_outside_the_regions_is_refused(world):
    client = _client(world["users"]["manager"])
    member = world["outside"]["members.member"]

    response = client.get(_url("members.member", "history", member.pk))

    assert response.status_code == 403
    assert member.dni not in response.content.decode()


@pytest.mark.django_db
def test_a_regional_manager_cannot_move_a_member_out_of_their_regions(world):
    client = _client(world["users"]["manager"])
    member = world["inside"]["members.member"]
    change = client.get(_url("members.member", "change", member.pk))
    data = {
        key: value
        for key, value in change.context["adminform"].form.initial.items()
        if value is not None and not isinstance(value, list)
    }
    data.update(
        {
            "region": world["outside"]["cooperative.region"].pk,
            "farms-TOTAL_FORMS": "0",
            "farms-INITIAL_FORMS": "0",
            "farms-MIN_NUM_FORMS": "0",
            "farms-MAX_NUM_FORMS": "1000",
        }
    )

    response = client.post(_url("members.member", "change", member.pk), data)

    assert response.status_code == 200
    assert "region" in response.context["adminform"].form.errors
    member.refresh_from_db()
    assert member.region.name == INSIDE
    assert world["outside"]["cooperative.region"] not in response.context["adminform"].form.fields["region"].queryset


@pytest.mark.django_db
def test_a_regional_manager_cannot_attach_a_farm_to_a_member_of_another_region(world):
    client = _client(world["users"]["manager"])
    farm = world["inside"]["members.farm"]
    form = client.get(_url("members.farm", "change", farm.pk)).context["adminform"].form

    assert not form.fields["member"].queryset.filter(pk=world["outside"]["members.member"].pk).exists()
    assert form.fields["member"].queryset.filter(pk=world["inside"]["members.member"].pk).exists()


@pytest.mark.django_db
def test_a_program_reaching_beyond_the_managers_regions_is_shown_but_not_changed(world):
    client = _client(world["users"]["manager"])
    program = world["inside"]["cooperative.allianceprogram"]
    program.regions.add(world["outside"]["cooperative.region"])

    page = client.get(_url("cooperative.allianceprogram", "change", program.pk))
    posted = client.post(_url("cooperative.allianceprogram", "change", program.pk), {"name": "Otro nombre"})

    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert posted.status_code == 403
    program.refresh_from_db()
    assert program.name != "Otro nombre"


@pytest.mark.django_db
def test_the_member_search_for_autocomplete_widgets_is_narrowed_too(world):
    client = _client(world["users"]["manager"])

    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "members", "model_name": "farm", "field_name": "member", "term": ""},
    )

    assert response.status_code == 200
    ids = {int(row["id"]) for row in response.json()["results"]}
    assert world["inside"]["members.member"].pk in ids
    assert world["outside"]["members.member"].pk not in ids


# -- Staff status follows the roles ---------------------------------------------------------------------


@pytest.mark.django_db
def test_only_the_manager_role_gives_staff_status():
    technician = factories.UserFactory()
    manager = factories.UserFactory()

    staff_role_grant(user=technician, role=Role.TECHNICIAN, regions=[factories.region(INSIDE)])
    staff_role_grant(user=manager, role=Role.MANAGER, regions=[factories.region(INSIDE)])

    technician.refresh_from_db()
    manager.refresh_from_db()
    assert not technician.is_staff
    assert technician.get_all_permissions() == set()
    assert manager.is_staff
    assert manager.has_perm("members.change_member")
    assert not manager.has_perm("members.delete_member")
    assert manager.has_perm("axes.delete_accessattempt")


@pytest.mark.django_db
def test_removing_the_last_manager_role_in_the_admin_takes_staff_status_away(admin_client):
    user = factories.UserFactory()
    staff_role_grant(user=user, role=Role.TECHNICIAN, regions=[factories.region(INSIDE)])
    staff_role_grant(user=user, role=Role.MANAGER, regions=[factories.region(INSIDE)])
    role = StaffRole.objects.get(user=user, role=Role.MANAGER)

    response = admin_client.post(_url("cooperative.staffrole", "delete", role.pk), {"post": "yes"})

    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.is_staff
    assert list(user.groups.values_list("name", flat=True)) == ["role:technician"]


@pytest.mark.django_db
def test_a_manager_role_granted_in_the_admin_gives_staff_status(admin_client):
    user = factories.UserFactory()

    response = admin_client.post(
        _url("cooperative.staffrole", "add"),
        {"user": user.pk, "role": Role.MANAGER, "regions": [factories.region(INSIDE).pk]},
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.is_staff
    assert user.has_perm("members.view_member")


@pytest.mark.django_db
def test_the_migration_takes_staff_status_from_roles_that_no_longer_use_the_admin():
    import importlib

    from django.apps import apps

    migration = importlib.import_module("cooperative.migrations.0007_admin_for_managers")
    technician = factories.UserFactory(is_staff=True)
    StaffRole.objects.create(user=technician, role=Role.TECHNICIAN, all_regions=True)
    manager = factories.UserFactory(is_staff=True)
    StaffRole.objects.create(user=manager, role=Role.MANAGER, all_regions=True)
    plain_staff = factories.UserFactory(is_staff=True)

    migration.admin_for_managers(apps, None)

    technician.refresh_from_db()
    manager.refresh_from_db()
    plain_staff.refresh_from_db()
    assert (technician.is_staff, manager.is_staff, plain_staff.is_staff) == (False, True, True)
