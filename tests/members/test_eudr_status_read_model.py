"""The stored EUDR status of each farm (Farm.eudr_status): every write that changes what the rule reads keeps it
true in its own transaction (the farm's neighbours included), the readers count the stored column, and the
reconciler finds and repairs what a write around the services left behind."""

import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse

from deliveries.eudr import EudrSelection, eudr_export_preview
from members.eudr.geolocation import farm_declare_land_use, farm_set_geometry
from members.eudr.readiness import eudr_readiness
from members.eudr.status import EudrStatus, eudr_status_expression, refresh_eudr_status
from members.models import Farm
from members.read_models import reconcile_farm_eudr_status
from members.services import farm_create, farm_update
from tests.factories import (
    DeforestationDeclarationFactory,
    FarmFactory,
    MemberFactory,
    UserFactory,
    eudr_square,
)
from tests.members.conftest import confirm, csv_upload, member_row, upload

pytestmark = pytest.mark.django_db

D = Decimal
READY, MISSING, FLAGGED = EudrStatus.READY, EudrStatus.MISSING_GEOMETRY, EudrStatus.FLAGGED
TINGO = (-75.995, -9.295)
NEAR = (-75.9945, -9.2945)  # 2.5 ha squares from TINGO and NEAR overlap by about 1.2 ha
FAR = (-75.90, -9.20)


@pytest.fixture
def user():
    return UserFactory(username="tecnico.eudr.estado")


def stored(*farms: Farm) -> list[str]:
    values = dict(Farm.objects.filter(pk__in=[farm.pk for farm in farms]).values_list("pk", "eudr_status"))
    return [values[farm.pk] for farm in farms]


def by_rule(farm: Farm) -> str:
    return Farm.objects.annotate(rule=eudr_status_expression()).values_list("rule", flat=True).get(pk=farm.pk)


def declare(farm: Farm, user, land_use: str = "coffee_cocoa_agroforestry") -> None:
    farm_declare_land_use(farm=farm, land_use_2020=land_use, evidence_note="Imagen satelital 2020.", declared_by=user)


def boundary(farm: Farm, corner: tuple[float, float], user, hectares: float = 2.5) -> None:
    farm_set_geometry(farm=farm, geometry=eudr_square(*corner, hectares), source="geojson", recorded_by=user)


def raw_sql(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# -- the farm's own writes --------------------------------------------------------------------------------


def test_farm_create_stores_the_status_of_the_new_farm():
    member = MemberFactory()

    point = farm_create(member=member, name="Punto", hectares=D("2.00"), crop="cocoa", latitude=D("-9.295"),
                        longitude=D("-75.995"))  # fmt: skip
    nowhere = farm_create(member=member, name="Sin punto", hectares=D("2.00"), crop="cocoa")

    # A point and at most 4 ha is located, but no declaration yet: to review.
    assert stored(point, nowhere) == [FLAGGED, MISSING]
    assert (point.eudr_status, nowhere.eudr_status) == (FLAGGED, MISSING)  # the returned objects too


def test_farm_update_of_the_hectares_or_the_point_refreshes_the_status(user):
    farm = FarmFactory(hectares=D("2.50"))
    declare(farm, user)
    assert stored(farm) == [READY]

    farm = farm_update(farm=farm, hectares=D("6.00"))  # a point is not enough above 4 ha
    assert stored(farm) == [MISSING] and farm.eudr_status == MISSING

    farm_update(farm=farm, hectares=D("3.00"))
    assert stored(farm) == [READY]

    farm_update(farm=farm, latitude=None, longitude=None)
    assert stored(farm) == [MISSING]


def test_correcting_the_hectares_settles_the_area_flag_of_a_boundary(user):
    farm = FarmFactory(hectares=D("4.00"), latitude=None, longitude=None)
    boundary(farm, TINGO, user, hectares=2.5)  # measures 2.5 ha of the 4 declared: more than 20% apart
    declare(farm, user)
    assert stored(farm) == [FLAGGED]

    farm_update(farm=farm, hectares=D("2.50"))

    assert stored(farm) == [READY]


def test_retiring_and_reactivating_a_farm_refreshes_its_status(user):
    located, nowhere = FarmFactory(), FarmFactory(latitude=None, longitude=None)
    declare(located, user)

    farm_update(farm=located, status=Farm.Status.RETIRED)
    farm_update(farm=nowhere, status=Farm.Status.RETIRED)

    # As the rule always said: a retired farm with a geolocation is to review, one without is missing it.
    assert stored(located, nowhere) == [FLAGGED, MISSING]
    farm_update(farm=located, status=Farm.Status.ACTIVE)
    assert stored(located) == [READY]


def test_the_geometry_services_refresh_the_status(user):
    farm = FarmFactory(hectares=D("6.00"))  # a point for 6 ha: missing geometry
    declare(farm, user)
    assert stored(farm) == [MISSING]

    boundary(farm, TINGO, user, hectares=6)
    assert stored(farm) == [READY]

    farm_set_geometry(
        farm=farm, geometry={"type": "Point", "coordinates": [D("-75.991234"), D("-9.291234")]}, source="drawn",
        recorded_by=user,
    )  # fmt: skip
    assert stored(farm) == [MISSING]


def test_the_declaration_created_and_changed_refreshes_the_status(user):
    farm = FarmFactory()
    assert stored(farm) == [FLAGGED]

    declare(farm, user)
    assert stored(farm) == [READY]

    declare(farm, user, land_use="forest")
    assert stored(farm) == [FLAGGED]


# -- the neighbours ---------------------------------------------------------------------------------------


@pytest.fixture
def neighbours(user):
    """Two declared 2.5 ha farms whose boundaries overlap: both to review."""
    first, second = FarmFactory(latitude=None, longitude=None), FarmFactory(latitude=None, longitude=None)
    for farm in (first, second):
        declare(farm, user)
    boundary(first, TINGO, user)
    assert stored(first, second) == [READY, MISSING]
    boundary(second, NEAR, user)
    return first, second


def test_a_new_overlapping_boundary_flags_the_other_farm_too(neighbours):
    assert stored(*neighbours) == [FLAGGED, FLAGGED]


def test_moving_a_boundary_away_clears_the_former_neighbour(neighbours, user):
    first, second = neighbours

    boundary(second, FAR, user)

    assert stored(first, second) == [READY, READY]


def test_a_point_replacing_the_boundary_clears_the_former_neighbour(neighbours, user):
    first, second = neighbours
    farm_set_geometry(
        farm=second, geometry={"type": "Point", "coordinates": [D("-75.994000"), D("-9.294000")]}, source="drawn",
        recorded_by=user,
    )  # fmt: skip

    assert stored(first, second) == [READY, READY]


def test_retiring_a_farm_clears_its_neighbour_and_reactivating_it_flags_it_again(neighbours):
    first, second = neighbours

    farm_update(farm=second, status=Farm.Status.RETIRED)
    assert stored(first, second) == [READY, FLAGGED]  # a retired farm's boundary is no overlap

    farm_update(farm=second, status=Farm.Status.ACTIVE)
    assert stored(first, second) == [FLAGGED, FLAGGED]


def test_refresh_eudr_status_writes_the_farms_given_and_their_neighbours(neighbours):
    first, second = neighbours
    other = FarmFactory()
    raw_sql("UPDATE members_farm SET eudr_status = %s WHERE id IN (%s, %s)", [READY, first.pk, other.pk])

    assert refresh_eudr_status([second.pk]) == 2

    assert stored(first, other) == [FLAGGED, READY]  # the neighbour repaired; the other farm left alone


# -- writes through the import and the admin --------------------------------------------------------------


def test_the_member_import_stores_the_status_of_the_farms_it_creates_and_updates(manager_client):
    confirm(manager_client, upload(manager_client, csv_upload([member_row()])))
    farm = Farm.objects.get(member__code="SOC-0001")
    assert stored(farm) == [FLAGGED]  # a point and 2.5 ha, no declaration yet

    confirm(manager_client, upload(manager_client, csv_upload([member_row(hectareas="6")])))

    assert stored(farm) == [MISSING]  # now 6 ha with only a point


def test_editing_a_farm_in_the_admin_refreshes_its_status(client, user):
    farm = FarmFactory(hectares=D("2.50"))
    declare(farm, user)
    client.force_login(UserFactory(username="admin.eudr", is_superuser=True, is_staff=True))
    url = reverse("admin:members_farm_change", args=[farm.pk])
    data = {
        "member": farm.member.pk, "name": farm.name, "region": farm.region.pk, "hectares": "6.00", "crop": "cocoa",
        "latitude": "-9.295000", "longitude": "-75.995000", "production_unit": "kg", "status": "active",
    }  # fmt: skip

    response = client.post(url, data)

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    assert stored(farm) == [MISSING]


def test_a_stale_copy_of_the_farm_saved_again_does_not_write_its_old_status_back(user):
    farm = FarmFactory()
    stale = Farm.objects.get(pk=farm.pk)
    declare(farm, user)

    stale.varieties = "CCN-51"
    stale.save()

    assert stored(farm) == [READY]


# -- the readers count the stored column ------------------------------------------------------------------


def test_readiness_and_the_export_read_the_stored_status(user):
    farm = FarmFactory()  # located, no declaration: to review by its rows
    raw_sql("UPDATE members_farm SET eudr_status = %s WHERE id = %s", [READY, farm.pk])

    readiness = eudr_readiness(farms_queryset=Farm.objects.all())
    preview = eudr_export_preview(farms_queryset=Farm.objects.all(), selection=EudrSelection())

    assert (readiness.total, readiness.located, readiness.ready) == (1, 1, 1)
    assert (preview.ready, preview.not_ready) == (1, 0)


# -- the reconciler ---------------------------------------------------------------------------------------


def test_the_reconciler_finds_raw_sql_drift_and_repairs_only_that(user):
    member = MemberFactory(code="BA-00012")
    drifted = FarmFactory(member=member, name="Parcela X")
    declare(drifted, user)
    fine = FarmFactory()
    assert reconcile_farm_eudr_status().differing == 0
    raw_sql("UPDATE members_farm SET latitude = NULL, longitude = NULL WHERE id = %s", [drifted.pk])

    found = reconcile_farm_eudr_status()

    assert (found.checked, found.differing, found.fixed) == (2, 1, False)
    assert found.examples == ["Parcela X (BA-00012): stored “ready”, by its rows “missing_geometry”"]
    assert stored(drifted) == [READY]  # not repaired without fix

    fixed = reconcile_farm_eudr_status(fix=True)

    assert (fixed.differing, fixed.fixed) == (1, True)
    assert stored(drifted, fine) == [MISSING, FLAGGED]
    assert reconcile_farm_eudr_status().differing == 0


def test_the_reconciler_finds_a_declaration_deleted_behind_the_services(user):
    farm = FarmFactory()
    DeforestationDeclarationFactory(farm=farm)
    assert stored(farm) == [READY]
    raw_sql("DELETE FROM members_farmdeforestationdeclaration WHERE farm_id = %s", [farm.pk])

    assert reconcile_farm_eudr_status(fix=True).differing == 1
    assert stored(farm) == [FLAGGED] == [by_rule(farm)]


# -- the migration's fill ---------------------------------------------------------------------------------


def test_the_migration_fills_every_farm_by_the_rule(neighbours, user):
    ready, missing = FarmFactory(), FarmFactory(latitude=None, longitude=None)
    declare(ready, user)
    retired = FarmFactory(status=Farm.Status.RETIRED)
    farms = [*neighbours, ready, missing, retired]
    expected = [by_rule(farm) for farm in farms]
    raw_sql("UPDATE members_farm SET eudr_status = %s", [MISSING if expected[0] != MISSING else READY])
    migration = importlib.import_module("members.migrations.0007_farm_eudr_status")

    migration.fill_eudr_status(apps, None)

    assert stored(*farms) == expected == [FLAGGED, FLAGGED, READY, MISSING, FLAGGED]
