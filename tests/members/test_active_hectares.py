"""Member.active_hectares, the stored sum of the hectares of a member's active farms (members.read_models): every
farm write through the services keeps it, in the write's transaction; a member saved from a stale copy does not
write it back; reconcile_member_hectares finds what a raw UPDATE left behind, repairs it and then finds nothing.
"""

from decimal import Decimal

import pytest
from django.db import connection

from members.models import Farm, Member
from members.read_models import reconcile_member_hectares, refresh_active_hectares
from members.services import farm_create, farm_update, member_update
from tests.factories import FarmFactory, MemberFactory, region
from tests.members.conftest import confirm, csv_upload, three_rows, upload

pytestmark = pytest.mark.django_db


def stored(member: Member) -> Decimal:
    return Member.objects.values_list("active_hectares", flat=True).get(pk=member.pk)


def test_a_new_member_has_no_hectares():
    assert stored(MemberFactory()) == Decimal("0")


def test_each_farm_write_through_the_services_keeps_the_members_hectares():
    member = MemberFactory()

    first = farm_create(member=member, name="Alta", region=member.region, hectares=Decimal("2.50"), crop="cocoa")
    assert stored(member) == Decimal("2.50")
    second = farm_create(member=member, name="Baja", region=member.region, hectares=Decimal("1.25"), crop="coffee")
    assert stored(member) == Decimal("3.75")
    farm_update(farm=first, hectares=Decimal("4.00"))
    assert stored(member) == Decimal("5.25")
    farm_update(farm=second, status=Farm.Status.RETIRED)
    assert stored(member) == Decimal("4.00")
    farm_update(farm=second, status=Farm.Status.ACTIVE)
    assert stored(member) == Decimal("5.25")
    farm_update(farm=first, varieties="CCN-51")  # neither hectares nor status: the sum is not rewritten
    assert stored(member) == Decimal("5.25")


def test_a_farm_write_leaves_other_members_alone():
    member, other = MemberFactory(), MemberFactory()
    FarmFactory(member=other, hectares=Decimal("3.00"))

    farm_create(member=member, name="Alta", region=member.region, hectares=Decimal("2.50"), crop="cocoa")

    assert (stored(member), stored(other)) == (Decimal("2.50"), Decimal("3.00"))


def test_the_member_import_keeps_the_hectares(manager_client):
    rows = three_rows()
    confirm(manager_client, upload(manager_client, csv_upload(rows)))
    expected = {
        member.code: sum((farm.hectares for farm in member.farms.filter(status="active")), Decimal("0"))
        for member in Member.objects.prefetch_related("farms")
    }
    assert {member.code: member.active_hectares for member in Member.objects.all()} == expected

    rows[2]["hectareas"] = "1,1"
    confirm(manager_client, upload(manager_client, csv_upload(rows)))

    owner = Farm.objects.get(name="Bajo Mayo").member
    assert stored(owner) == sum((farm.hectares for farm in owner.farms.filter(status="active")), Decimal("0"))
    assert Decimal("1.10") in {farm.hectares for farm in owner.farms.all()}


def test_a_member_saved_from_a_stale_copy_keeps_the_stored_hectares():
    member = MemberFactory()
    stale = Member.objects.get(pk=member.pk)
    FarmFactory(member=member, hectares=Decimal("2.50"))

    stale.phone = "987654321"
    stale.save()
    member_update(member=stale, community="Pueblo Nuevo")

    assert stored(member) == Decimal("2.50")
    assert Member.objects.get(pk=member.pk).phone == "987654321"


def test_refresh_with_no_members_runs_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert refresh_active_hectares([]) == 0


# --- The reconciler ------------------------------------------------------------------------------------------


def test_the_reconciler_finds_a_raw_update_repairs_it_and_then_finds_nothing():
    drifted = MemberFactory(code="BA-00012")
    farm = FarmFactory(member=drifted, hectares=Decimal("3.50"))
    fine = MemberFactory(code="BA-00013", region=region("San Martín"))
    FarmFactory(member=fine, hectares=Decimal("1.10"))
    FarmFactory(member=fine, hectares=Decimal("2.20"))  # 3.30: a float sum on SQLite, still no drift
    MemberFactory(code="BA-00014")
    assert reconcile_member_hectares().differing == 0

    with connection.cursor() as cursor:
        cursor.execute("UPDATE members_farm SET hectares = %s WHERE id = %s", [Decimal("4.00"), farm.pk])

    found = reconcile_member_hectares()
    assert (found.checked, found.differing, found.fixed) == (3, 1, False)
    assert found.examples == ["Member BA-00012: 3.50 ha stored, 4.00 according to their farms"]
    assert stored(drifted) == Decimal("3.50")  # only reported

    fixed = reconcile_member_hectares(fix=True)
    assert (fixed.differing, fixed.fixed) == (1, True)
    assert stored(drifted) == Decimal("4.00")
    assert reconcile_member_hectares().differing == 0


def test_the_reconciler_finds_a_farm_retired_by_raw_sql_and_a_member_typed_over():
    retired = MemberFactory(code="BA-1")
    farm = FarmFactory(member=retired, hectares=Decimal("2.00"))
    FarmFactory(member=retired, hectares=Decimal("1.00"))
    typed_over = MemberFactory(code="BA-2")
    Farm.objects.filter(pk=farm.pk).update(status=Farm.Status.RETIRED)
    Member.objects.filter(pk=typed_over.pk).update(active_hectares=Decimal("7.00"))

    found = reconcile_member_hectares(fix=True)

    assert found.differing == 2
    assert found.examples == [
        "Member BA-1: 3.00 ha stored, 1.00 according to their farms",
        "Member BA-2: 7.00 ha stored, 0.00 according to their farms",
    ]
    assert (stored(retired), stored(typed_over)) == (Decimal("1.00"), Decimal("0.00"))
    assert reconcile_member_hectares().differing == 0


def test_the_admin_keeps_both_members_hectares_when_it_moves_a_farm(rf, admin_user):
    from types import SimpleNamespace

    from django.contrib import admin

    before, after = MemberFactory(), MemberFactory()
    farm = FarmFactory(member=before, hectares=Decimal("2.50"))
    request = rf.post("/")
    request.user = admin_user
    farm.member = after

    admin.site._registry[Farm].save_model(request, farm, SimpleNamespace(initial={"member": before.pk}), True)

    assert (stored(before), stored(after)) == (Decimal("0.00"), Decimal("2.50"))
