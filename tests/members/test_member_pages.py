"""Staff pages that change members and farms: every form for every role, regional scope, registering and
editing (bad input writes nothing), withdrawal, and the member page's links to the forms. The member list and its
export: tests/reporting/test_member_list.py; what the member page shows: tests/reporting/test_member_page.py.

Roles (tests/conftest.py): the manager covers Huánuco and San Martín, the other roles Huánuco; Cusco is out of
everybody's scope (tests/conftest.py's `cusco_farm`). Pages are requested in English (HTTP_ACCEPT_LANGUAGE) where
a test reads labels.
"""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from members.models import Farm, Member
from tests.factories import FarmFactory, MemberFactory, region

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
NON_MANAGER_ROLES = ["technician_client", "credit_officer_client", "ics_client"]


def read_urls(member: Member) -> list[str]:
    return [reverse("member_list"), reverse("member_detail", args=[member.pk])]


def write_urls(farm: Farm) -> list[str]:
    member = farm.member
    return [
        reverse("member_create"),
        reverse("member_edit", args=[member.pk]),
        reverse("member_withdraw", args=[member.pk]),
        reverse("farm_create", args=[member.pk]),
        reverse("farm_edit", args=[farm.pk]),
    ]


def export_urls() -> list[str]:
    return [reverse("member_export", args=["csv"]), reverse("member_export", args=["xlsx"])]


def member_form_data(**overrides) -> dict:
    data = {
        "code": "BA-90001",
        "first_names": "Teodoro",
        "last_names": "Espiritu Lino",
        "dni": "10117410",
        "gender": "male",
        "region": region("Huánuco").pk,
        "district": "Rupa-Rupa",
        "community": "Juan Velasco Alvarado",
        "ubigeo": "",
        "ubigeo_source": "inei",
        "joined_on": "2013-02-04",
        "status": "active",
        "phone": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def farm_form_data(**overrides) -> dict:
    data = {
        "name": "Nueva Esperanza",
        "region": region("Huánuco").pk,
        "district": "Rupa-Rupa",
        "community": "Juan Velasco Alvarado",
        "hectares": "6.00",
        "crop": "cocoa",
        "varieties": "CCN-51, criollo",
        "altitude_m": "680",
        "latitude": "-9.295000",
        "longitude": "-75.995000",
        "planted_year": "2013",
        "previous_crop": "coca",
        "crop_changed_on": "2013-03-01",
        "production_quantity": "20",
        "production_unit": "qq",
        "status": "active",
    }
    data.update(overrides)
    return data


# --- Who may open what -------------------------------------------------------------------------------------


def test_the_manager_opens_every_form(manager_client, farm):
    for url in write_urls(farm):
        assert manager_client.get(url, **EN).status_code == 200, url


@pytest.mark.parametrize("role_client", NON_MANAGER_ROLES)
def test_read_only_roles_are_refused_the_forms_and_change_nothing(request, role_client, farm):
    client = request.getfixturevalue(role_client)
    member = farm.member

    for url in write_urls(farm):
        assert client.get(url).status_code == 403, url
        assert client.post(url, member_form_data() | farm_form_data(hectares="9")).status_code == 403, url

    member.refresh_from_db()
    farm.refresh_from_db()
    assert member.status == Member.Status.ACTIVE
    assert farm.hectares == Decimal("2.50")
    assert Member.objects.count() == 1
    assert Farm.objects.count() == 1


def test_a_user_without_a_staff_role_is_refused_every_page(outsider_client, farm):
    for url in [*read_urls(farm.member), *export_urls(), *write_urls(farm)]:
        assert outsider_client.get(url).status_code == 403, url
    assert outsider_client.post(reverse("member_create"), member_form_data()).status_code == 403
    assert not Member.objects.filter(code="BA-90001").exists()


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, farm):
    for url in [*read_urls(farm.member), *export_urls(), *write_urls(farm)]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login") + "?next="), url
    client.post(reverse("member_create"), member_form_data())
    assert not Member.objects.filter(code="BA-90001").exists()


def test_the_manager_cannot_change_a_member_or_farm_outside_their_regions(manager_client, cusco_farm):
    for url in write_urls(cusco_farm)[1:]:
        assert manager_client.get(url).status_code == 404, url
        assert manager_client.post(url, member_form_data() | farm_form_data()).status_code == 404, url

    cusco_farm.refresh_from_db()
    assert cusco_farm.member.status == Member.Status.ACTIVE
    assert cusco_farm.name == "Santa Rosa"
    assert Farm.objects.count() == 1


def test_the_member_page_hides_the_edit_links_from_read_only_roles(technician_client, farm):
    content = technician_client.get(reverse("member_detail", args=[farm.member.pk]), **EN).content.decode()

    assert reverse("member_edit", args=[farm.member.pk]) not in content
    assert reverse("farm_edit", args=[farm.pk]) not in content


def test_the_member_page_links_the_managers_actions(manager_client, farm):
    content = manager_client.get(reverse("member_detail", args=[farm.member.pk]), **EN).content.decode()

    for url in write_urls(farm)[1:]:
        assert url in content


# --- Register and edit a member --------------------------------------------------------------------------------


def test_the_manager_registers_a_member(manager_client):
    response = manager_client.post(reverse("member_create"), member_form_data(phone="987654321"))

    member = Member.objects.get(code="BA-90001")
    assert response.status_code == 302
    assert response.url == reverse("member_detail", args=[member.pk])
    assert (member.dni, member.region.name, member.phone, member.joined_on) == (
        "10117410",
        "Huánuco",
        "987654321",
        datetime.date(2013, 2, 4),
    )


def test_a_member_without_dni_is_stored_without_one(manager_client):
    manager_client.post(reverse("member_create"), member_form_data(dni=""))

    assert Member.objects.get(code="BA-90001").dni is None


def test_a_bad_dni_shows_the_field_error_and_writes_nothing(manager_client):
    response = manager_client.post(reverse("member_create"), member_form_data(dni="1234"), **EN)

    assert response.status_code == 200
    assert "Enter a valid DNI" in response.context["form"].errors["dni"][0]
    assert "Enter a valid DNI" in response.content.decode()
    assert not Member.objects.exists()


def test_a_duplicate_dni_shows_the_field_error_and_writes_nothing(manager_client):
    MemberFactory(code="BA-1", dni="10117410")

    response = manager_client.post(reverse("member_create"), member_form_data(), **EN)

    assert response.status_code == 200
    assert response.context["form"].errors["dni"] == ["Another member is registered with this DNI."]
    assert list(Member.objects.values_list("code", flat=True)) == ["BA-1"]


def test_a_model_rule_shows_under_its_field(manager_client):
    future = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()

    response = manager_client.post(reverse("member_create"), member_form_data(joined_on=future), **EN)

    assert response.context["form"].errors["joined_on"] == ["The joining date cannot be in the future."]
    assert not Member.objects.exists()


def test_a_member_cannot_be_registered_in_a_region_the_manager_does_not_cover(manager_client):
    response = manager_client.post(reverse("member_create"), member_form_data(region=region("Cusco").pk))

    assert "region" in response.context["form"].errors
    assert not Member.objects.exists()


def test_withdrawn_is_not_a_status_offered_when_registering(manager_client):
    response = manager_client.post(reverse("member_create"), member_form_data(status="withdrawn"))

    assert "status" in response.context["form"].errors
    assert not Member.objects.exists()


def test_the_manager_edits_a_member(manager_client, farm):
    member = farm.member

    response = manager_client.post(
        reverse("member_edit", args=[member.pk]),
        member_form_data(code="CHANGED", phone="987000111", community="Pueblo Nuevo", status="inactive"),
    )

    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.code, member.phone, member.community, member.status) == (
        "BA-00001",  # the code is fixed once registered
        "987000111",
        "Pueblo Nuevo",
        Member.Status.INACTIVE,
    )


def test_editing_with_a_taken_dni_shows_the_error_and_changes_nothing(manager_client, farm):
    MemberFactory(dni="42345678")
    member = farm.member
    original_dni = member.dni

    response = manager_client.post(
        reverse("member_edit", args=[member.pk]), member_form_data(dni="42345678", phone="999"), **EN
    )

    assert response.context["form"].errors["dni"] == ["Another member is registered with this DNI."]
    member.refresh_from_db()
    assert (member.dni, member.phone) == (original_dni, "")


# --- Withdraw a member -----------------------------------------------------------------------------------------


def test_the_manager_withdraws_a_member_who_stays_on_record(manager_client, farm):
    member = farm.member

    response = manager_client.post(
        reverse("member_withdraw", args=[member.pk]),
        {"withdrawn_on": "2026-06-30", "reason": "Se mudó a Lima", "confirm": "on"},
    )

    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.status, member.withdrawn_on, member.withdrawal_reason) == (
        Member.Status.WITHDRAWN,
        datetime.date(2026, 6, 30),
        "Se mudó a Lima",
    )
    assert Farm.objects.filter(member=member).exists()


def test_a_withdrawal_needs_the_confirmation(manager_client, farm):
    response = manager_client.post(
        reverse("member_withdraw", args=[farm.member.pk]), {"withdrawn_on": "2026-06-30", "reason": "Se mudó"}, **EN
    )

    assert response.context["form"].errors["confirm"] == ["Tick the box to confirm the withdrawal."]
    assert Member.objects.get().status == Member.Status.ACTIVE


def test_a_withdrawal_before_joining_shows_the_services_error_under_the_date(manager_client, farm):
    response = manager_client.post(
        reverse("member_withdraw", args=[farm.member.pk]),
        {"withdrawn_on": "2000-01-01", "reason": "Se mudó", "confirm": "on"},
        **EN,
    )

    assert response.context["form"].errors["withdrawn_on"] == [
        "The withdrawal date cannot be before the member joined."
    ]
    assert Member.objects.get().status == Member.Status.ACTIVE


def test_a_blank_reason_is_refused(manager_client, farm):
    response = manager_client.post(
        reverse("member_withdraw", args=[farm.member.pk]),
        {"withdrawn_on": "2026-06-30", "reason": "  ", "confirm": "on"},
    )

    assert "reason" in response.context["form"].errors
    assert Member.objects.get().status == Member.Status.ACTIVE


def test_withdrawing_twice_is_refused(manager_client, farm):
    url = reverse("member_withdraw", args=[farm.member.pk])
    manager_client.post(url, {"withdrawn_on": "2026-06-30", "reason": "Se mudó", "confirm": "on"})

    response = manager_client.post(url, {"withdrawn_on": "2026-07-30", "reason": "Otra vez", "confirm": "on"})

    assert response.status_code == 200
    member = Member.objects.get()
    assert (member.withdrawn_on, member.withdrawal_reason) == (datetime.date(2026, 6, 30), "Se mudó")


def test_a_withdrawn_member_stays_withdrawn_when_edited(manager_client, farm):
    member = farm.member
    manager_client.post(
        reverse("member_withdraw", args=[member.pk]),
        {"withdrawn_on": "2026-06-30", "reason": "Se mudó", "confirm": "on"},
    )

    response = manager_client.post(
        reverse("member_edit", args=[member.pk]), member_form_data(status="active", phone="987000111")
    )

    assert "status" in response.context["form"].errors
    member.refresh_from_db()
    assert (member.status, member.phone) == (Member.Status.WITHDRAWN, "")
    response = manager_client.post(
        reverse("member_edit", args=[member.pk]), member_form_data(status="withdrawn", phone="987000111")
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.status, member.phone, member.withdrawn_on) == (
        Member.Status.WITHDRAWN,
        "987000111",
        datetime.date(2026, 6, 30),
    )


# --- Farms ---------------------------------------------------------------------------------------------------


def test_the_manager_adds_a_farm_with_production_in_quintals(manager_client, farm):
    member = farm.member

    response = manager_client.post(reverse("farm_create", args=[member.pk]), farm_form_data())

    assert response.status_code == 302
    assert response.url == reverse("member_detail", args=[member.pk])
    new = Farm.objects.get(member=member, name="Nueva Esperanza")
    assert (new.hectares, new.crop, new.previous_crop, new.region.name) == (Decimal("6.00"), "cocoa", "coca", "Huánuco")
    assert (new.production_quantity, new.production_unit, new.estimated_production_kg) == (
        Decimal("20.00"),
        "qq",
        Decimal("920.00"),
    )


def test_a_farm_of_zero_hectares_shows_the_error_and_writes_nothing(manager_client, farm):
    response = manager_client.post(reverse("farm_create", args=[farm.member.pk]), farm_form_data(hectares="0"), **EN)

    assert response.status_code == 200
    assert response.context["form"].errors["hectares"] == ["The area must be greater than zero."]
    assert "The area must be greater than zero." in response.content.decode()
    assert Farm.objects.count() == 1


def test_latitude_without_longitude_is_refused(manager_client, farm):
    response = manager_client.post(reverse("farm_create", args=[farm.member.pk]), farm_form_data(longitude=""))

    assert "longitude" in response.context["form"].errors
    assert Farm.objects.count() == 1


def test_a_withdrawn_member_gets_no_new_farm(manager_client, farm):
    Member.objects.filter(pk=farm.member.pk).update(status="withdrawn", withdrawn_on=datetime.date(2026, 6, 30))

    response = manager_client.post(reverse("farm_create", args=[farm.member.pk]), farm_form_data(), **EN)

    assert response.context["form"].non_field_errors() == ["A withdrawn member cannot register new farms."]
    assert Farm.objects.count() == 1


def test_the_manager_edits_a_farm(manager_client, farm):
    response = manager_client.post(
        reverse("farm_edit", args=[farm.pk]),
        farm_form_data(name="La Esperanza", hectares="3.75", status="retired", production_quantity=""),
    )

    assert response.status_code == 302
    farm.refresh_from_db()
    assert (farm.hectares, farm.status, farm.estimated_production_kg) == (Decimal("3.75"), "retired", None)


def test_the_farm_form_shows_a_production_recorded_in_kilograms(manager_client, farm):
    form = manager_client.get(reverse("farm_edit", args=[farm.pk])).context["form"]

    assert (form["production_quantity"].value(), form["production_unit"].value()) == (Decimal("1500.00"), "kg")


def test_a_farm_edit_with_a_duplicate_name_changes_nothing(manager_client, farm):
    other = FarmFactory(member=farm.member, name="El Milagro")

    response = manager_client.post(reverse("farm_edit", args=[other.pk]), farm_form_data(name="La Esperanza"))

    assert response.status_code == 200
    assert response.context["form"].errors
    other.refresh_from_db()
    assert other.name == "El Milagro"
