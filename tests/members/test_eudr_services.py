"""members.eudr services and selectors: saving geometries, area and overlap flags, the declaration,
the EUDR status and reasons, readiness."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from shapely.geometry import shape

from cooperative.models import ProgramEnrollment
from members.eudr.geolocation import farm_declare_land_use, farm_set_geometry, overlapping_farms
from members.eudr.readiness import eudr_readiness
from members.eudr.status import EudrStatus, eudr_reasons, overlaps_prefetch, with_eudr_status
from members.geometry import swap_coordinates
from members.models import Farm, FarmOverlap
from members.services import farm_update
from tests.factories import (
    AllianceProgramFactory,
    DeforestationDeclarationFactory,
    FarmFactory,
    MemberFactory,
    ProgramEnrollmentFactory,
    UserFactory,
    eudr_rectangle,
    eudr_square,
    region,
)

pytestmark = pytest.mark.django_db

D = Decimal
TINGO = (-75.995, -9.295)


@pytest.fixture
def user():
    return UserFactory(username="tecnico.eudr")


def save(farm, geometry, user, source="geojson"):
    return farm_set_geometry(farm=farm, geometry=geometry, source=source, recorded_by=user)


def status_of(farm) -> tuple[str, list[str]]:
    annotated = with_eudr_status(Farm.objects.filter(pk=farm.pk)).prefetch_related(overlaps_prefetch()).get()
    return annotated.eudr_status, eudr_reasons(annotated)


# -- farm_set_geometry ------------------------------------------------------------------------------------


def test_a_valid_boundary_is_stored_normalized_with_its_box_and_geodesic_area(user):
    farm = FarmFactory(hectares=D("2.50"), latitude=None, longitude=None)

    check = save(farm, eudr_square(*TINGO, 2.5), user, source="kml")

    farm.refresh_from_db()
    assert farm.boundary["type"] == "Polygon"
    assert all(isinstance(value, float) for position in farm.boundary["coordinates"][0] for value in position)
    assert farm.boundary_area_ha == check.area_ha
    assert abs(farm.boundary_area_ha - D("2.5")) < D("0.05")
    assert farm.area_flagged is False
    assert (farm.bbox_min_lon, farm.bbox_min_lat) == (-75.995, -9.295)
    assert farm.bbox_max_lon > farm.bbox_min_lon and farm.bbox_max_lat > farm.bbox_min_lat
    # The farm had no point: one inside the boundary is filled in, with 6 decimals.
    assert shape(farm.boundary).contains(shape({"type": "Point", "coordinates": [farm.longitude, farm.latitude]}))
    assert (farm.geometry_source, farm.geometry_recorded_by) == ("kml", user)
    assert farm.geometry_recorded_at is not None


def test_a_multipolygon_boundary_is_accepted(user):
    farm = FarmFactory(hectares=D("2.00"))
    first = eudr_square(*TINGO, 1)["coordinates"]
    second = eudr_square(TINGO[0] + 0.003, TINGO[1], 1)["coordinates"]

    check = save(farm, {"type": "MultiPolygon", "coordinates": [first, second]}, user)

    farm.refresh_from_db()
    assert farm.boundary["type"] == "MultiPolygon"
    assert abs(check.area_ha - D("2")) < D("0.05")


@pytest.mark.parametrize(
    ("geometry", "code"),
    [
        (swap_coordinates(eudr_square(*TINGO, 2.5)), "swapped"),
        (eudr_square(-78.47, -0.18, 2.5), "outside_peru"),
        ({"type": "Point", "coordinates": [D("-75.9951"), D("-9.2951")]}, "precision"),
    ],
)
def test_a_refused_geometry_writes_nothing_and_names_its_problem(user, geometry, code):
    farm = FarmFactory()
    before = Farm.objects.values().get(pk=farm.pk)

    with pytest.raises(ValidationError) as excinfo:
        save(farm, geometry, user)

    assert [error.code for error in excinfo.value.error_dict["geometry"]] == [code]
    assert Farm.objects.values().get(pk=farm.pk) == before


def test_the_swapped_message_says_to_swap_and_retry(user):
    with pytest.raises(ValidationError) as excinfo:
        save(FarmFactory(), swap_coordinates(eudr_square(*TINGO, 2.5)), user)

    assert "Swap each pair and try again" in excinfo.value.message_dict["geometry"][0]


def test_a_point_replaces_the_boundary(user):
    farm = FarmFactory(hectares=D("2.50"))
    save(farm, eudr_square(*TINGO, 2.5), user)

    check = save(farm, {"type": "Point", "coordinates": [D("-75.991234"), D("-9.291234")]}, user)

    farm.refresh_from_db()
    assert check.is_point and check.warnings == []
    assert (farm.longitude, farm.latitude) == (D("-75.991234"), D("-9.291234"))
    assert farm.boundary is None and farm.boundary_area_ha is None and farm.bbox_min_lon is None


def test_a_point_for_a_6_ha_farm_is_saved_but_flagged_as_missing_its_polygon(user):
    farm = FarmFactory(hectares=D("6.00"))
    DeforestationDeclarationFactory(farm=farm)

    check = save(farm, {"type": "Point", "coordinates": [D("-75.991234"), D("-9.291234")]}, user)

    message = "The plot has 6.00 ha: over 4 ha the EUDR needs a polygon of the boundary, a point is not enough."
    assert check.warnings == [message]
    assert status_of(farm) == (EudrStatus.MISSING_GEOMETRY, [message])


def test_an_area_more_than_20_percent_off_the_declared_hectares_flags_the_farm_but_is_saved(user):
    farm = FarmFactory(hectares=D("2.00"))
    DeforestationDeclarationFactory(farm=farm)

    check = save(farm, eudr_square(*TINGO, 2.6), user)

    farm.refresh_from_db()
    assert check.area_flagged and farm.area_flagged
    assert "(more than 20% apart)" in check.warnings[0]
    assert "but 2.00 ha are declared" in check.warnings[0]
    status, reasons = status_of(farm)
    assert status == EudrStatus.FLAGGED
    assert reasons == check.warnings


def test_correcting_the_declared_hectares_on_the_farm_settles_the_area_review(user):
    farm = FarmFactory(hectares=D("2.00"))
    DeforestationDeclarationFactory(farm=farm)
    save(farm, eudr_square(*TINGO, 2.6), user)

    farm_update(farm=farm, hectares=D("2.60"))

    assert status_of(farm) == (EudrStatus.READY, [])


def test_an_area_within_20_percent_is_not_flagged(user):
    farm = FarmFactory(hectares=D("2.00"))

    assert save(farm, eudr_square(*TINGO, 2.35), user).area_flagged is False


def test_a_retired_farm_s_geometry_cannot_change(user):
    farm = FarmFactory(status=Farm.Status.RETIRED)

    with pytest.raises(ValidationError, match="retired"):
        save(farm, eudr_square(*TINGO, 2.5), user)


# -- overlaps ---------------------------------------------------------------------------------------------


def test_an_overlapping_boundary_flags_both_farms_naming_the_other(user):
    first = FarmFactory(name="La Esperanza", hectares=D("2.50"))
    second = FarmFactory(name="El Mirador", hectares=D("2.50"))
    save(first, eudr_square(*TINGO, 2.5), user)

    check = save(second, eudr_square(TINGO[0] + 0.0007, TINGO[1] + 0.0007, 2.5), user)

    assert [finding.other_farm for finding in check.overlaps] == [first]
    overlap = check.overlaps[0].overlap_ha
    assert D("0.5") < overlap < D("0.7")  # about a quarter of each plot
    assert f"The boundary overlaps farm La Esperanza ({first.member.code}) by {overlap} ha." in check.warnings
    assert set(FarmOverlap.objects.values_list("farm", "other_farm")) == {(first.pk, second.pk), (second.pk, first.pk)}
    assert status_of(first)[0] == status_of(second)[0] == EudrStatus.FLAGGED
    assert f"The boundary overlaps farm El Mirador ({second.member.code}) by {overlap} ha." in status_of(first)[1]


def test_moving_a_boundary_away_clears_the_overlap_for_both_farms(user):
    first, second = FarmFactory(), FarmFactory()
    save(first, eudr_square(*TINGO, 2.5), user)
    save(second, eudr_square(TINGO[0] + 0.0007, TINGO[1] + 0.0007, 2.5), user)

    save(second, eudr_square(TINGO[0] + 0.01, TINGO[1], 2.5), user)

    assert not FarmOverlap.objects.exists()


def test_a_sliver_below_the_tolerance_is_not_an_overlap_and_one_above_is(user):
    # The tolerance for two 2.5 ha plots: more than 0.025 ha (1% of the smaller) and more than 0.01 ha.
    first, second = FarmFactory(), FarmFactory()
    save(first, eudr_rectangle(-76.0, -9.3, -75.9985, -9.2985), user)  # about 165 m × 166 m

    sliver = save(second, eudr_rectangle(-75.99851, -9.3, -75.9970, -9.2985), user)  # 1.1 m wide: 0.018 ha

    assert sliver.overlaps == []
    wider = save(second, eudr_rectangle(-75.99853, -9.3, -75.9970, -9.2985), user)  # 3.3 m wide: 0.055 ha
    assert [finding.other_farm for finding in wider.overlaps] == [first]
    assert D("0.025") < wider.overlaps[0].overlap_ha < D("0.07")


def test_a_retired_farm_s_boundary_is_no_overlap(user):
    first, second = FarmFactory(), FarmFactory()
    save(first, eudr_square(*TINGO, 2.5), user)
    Farm.objects.filter(pk=first.pk).update(status=Farm.Status.RETIRED)

    assert save(second, eudr_square(*TINGO, 2.5), user).overlaps == []


def test_the_overlap_search_is_one_query_and_skips_farms_whose_box_is_far(user, django_assert_num_queries):
    near, far = FarmFactory(), FarmFactory()
    save(near, eudr_square(*TINGO, 2.5), user)
    save(far, eudr_square(-76.5, -9.8, 2.5), user)
    candidate = shape(eudr_square(TINGO[0] + 0.0007, TINGO[1] + 0.0007, 2.5))

    with django_assert_num_queries(1):
        findings = overlapping_farms(shaped=candidate, area_ha=D("2.5"))

    assert [finding.other_farm for finding in findings] == [near]


# -- the declaration --------------------------------------------------------------------------------------


def test_the_declaration_is_recorded_then_replaced_with_its_history(user):
    farm = FarmFactory()

    farm_declare_land_use(farm=farm, land_use_2020="forest", evidence_note="Bosque en 2020", declared_by=user)
    declaration = farm_declare_land_use(
        farm=farm, land_use_2020="coffee_cocoa_agroforestry", evidence_note=" Cacao bajo sombra ", declared_by=user
    )

    assert (declaration.land_use_2020, declaration.evidence_note) == ("coffee_cocoa_agroforestry", "Cacao bajo sombra")
    assert [row.land_use_2020 for row in declaration.history.order_by("history_date")] == [
        "forest",
        "coffee_cocoa_agroforestry",
    ]


def test_a_declaration_needs_its_evidence():
    with pytest.raises(ValidationError) as excinfo:
        farm_declare_land_use(farm=FarmFactory(), land_use_2020="pasture", evidence_note=" ", declared_by=UserFactory())

    assert "evidence_note" in excinfo.value.message_dict


def test_a_farm_declared_forest_on_the_cut_off_date_is_not_ready(user):
    farm = FarmFactory(hectares=D("2.50"))
    DeforestationDeclarationFactory(farm=farm, land_use_2020="forest")

    status, reasons = status_of(farm)

    assert status == EudrStatus.FLAGGED
    assert reasons == [
        "Declared as forest on 31 December 2020: the plot is not deforestation-free and cannot be placed on "
        "the EU market."
    ]


def test_a_farm_without_declaration_is_flagged_for_it():
    status, reasons = status_of(FarmFactory())

    assert status == EudrStatus.FLAGGED
    assert reasons == ["No deforestation-free declaration (the land use on 31 December 2020)."]


def test_a_small_farm_with_a_point_and_a_declaration_is_ready():
    farm = FarmFactory(hectares=D("2.50"))
    DeforestationDeclarationFactory(farm=farm)

    assert status_of(farm) == (EudrStatus.READY, [])


def test_a_farm_without_geolocation_misses_its_geometry():
    farm = FarmFactory(latitude=None, longitude=None)

    status, reasons = status_of(farm)

    assert status == EudrStatus.MISSING_GEOMETRY
    assert reasons[0] == "No geolocation: record the plot's point or its boundary."


def test_a_boundary_set_outside_the_eudr_service_counts_as_not_checked_for_a_large_farm():
    farm = FarmFactory(hectares=D("6.00"))
    square = eudr_rectangle(-76.0, -9.3, -75.9985, -9.2985)
    square["coordinates"] = [[[float(value) for value in position] for position in square["coordinates"][0]]]
    Farm.objects.filter(pk=farm.pk).update(boundary=square)
    DeforestationDeclarationFactory(farm=farm)

    status, reasons = status_of(farm)

    assert status == EudrStatus.MISSING_GEOMETRY
    assert reasons == ["The boundary has not been checked: save it again on the farm's geometry page."]


# -- readiness --------------------------------------------------------------------------------------------


@pytest.fixture
def readiness_population(user):
    """Huánuco: ready (point), ready (polygon), forest, no geometry; San Martín: a 6 ha farm with a point;
    plus a retired farm, not counted. The program enrols the Huánuco members."""
    program = AllianceProgramFactory(code="EUDR-1")
    huanuco = MemberFactory(region=region("Huánuco"))
    ProgramEnrollmentFactory(program=program, member=huanuco)
    ready_point = FarmFactory(member=huanuco)
    ready_polygon = FarmFactory(member=huanuco, latitude=None, longitude=None)
    save(ready_polygon, eudr_square(*TINGO, 2.5), user)
    forest = FarmFactory(member=huanuco)
    nothing = FarmFactory(member=huanuco, latitude=None, longitude=None)
    large = FarmFactory(member=MemberFactory(region=region("San Martín")), hectares=D("6.00"))
    retired = FarmFactory(member=huanuco, status=Farm.Status.RETIRED)
    for farm in (ready_point, ready_polygon, nothing, large, retired):
        DeforestationDeclarationFactory(farm=farm)
    DeforestationDeclarationFactory(farm=forest, land_use_2020="forest")
    return program


def test_readiness_counts_located_and_ready_farms_per_region_and_program(
    readiness_population, django_assert_num_queries
):
    with django_assert_num_queries(2):  # per region, per program
        readiness = eudr_readiness(farms_queryset=Farm.objects.all())

    assert (readiness.total, readiness.located, readiness.ready) == (5, 3, 2)
    assert readiness.ready_percent == 40
    assert [(row.key, row.total, row.located, row.ready) for row in readiness.by_region] == [
        ("Huánuco", 4, 3, 2),
        ("San Martín", 1, 0, 0),
    ]
    assert [(row.key, row.total, row.located, row.ready) for row in readiness.by_program] == [("EUDR-1", 4, 3, 2)]


def test_readiness_by_program_keeps_to_the_programs_given(readiness_population):
    other = AllianceProgramFactory(code="OTRO")
    for farm in Farm.objects.filter(member__region__name="San Martín"):
        ProgramEnrollmentFactory(program=other, member=farm.member, status=ProgramEnrollment.Status.COMPLETED)

    everything = eudr_readiness(farms_queryset=Farm.objects.all())
    only_one = eudr_readiness(farms_queryset=Farm.objects.all(), programs=type(other).objects.filter(code="EUDR-1"))

    assert [row.key for row in everything.by_program] == ["EUDR-1", "OTRO"]
    assert [row.key for row in only_one.by_program] == ["EUDR-1"]


def test_the_status_in_sql_agrees_with_the_reasons_for_every_farm(readiness_population):
    farms = with_eudr_status(Farm.objects.all()).prefetch_related(overlaps_prefetch())

    for farm in farms:
        reasons = eudr_reasons(farm)
        assert (farm.eudr_status == EudrStatus.READY) == (reasons == []), (farm, reasons)
