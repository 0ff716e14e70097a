"""The member import's confirmation: all rows in one transaction, only for the file previewed and only once,
nothing written when the database changed since the preview, and re-importing a file updates the members
and farms it matches instead of duplicating them."""

from decimal import Decimal

import pytest

from members.imports import read_upload
from members.models import Farm, Member
from tests.factories import FarmFactory, MemberFactory
from tests.members.conftest import (
    CONFIRM_URL,
    IMPORT_URL,
    confirm,
    csv_upload,
    member_row,
    row_errors,
    three_rows,
    upload,
)

pytestmark = pytest.mark.django_db


# --- Confirmation -----------------------------------------------------------------------------------


def test_confirm_writes_nothing_when_the_database_changed_since_the_preview(manager_client):
    preview = upload(manager_client, csv_upload(three_rows()))
    MemberFactory(code="M-A", dni="70000002")  # registered meanwhile: Juan's DNI ...
    MemberFactory(code="SOC-0002", dni="70000088")  # ... and Juan's code, on two different members

    response = confirm(manager_client, preview)

    assert response.status_code == 200
    assert response.context["can_confirm"] is False
    assert "Nothing was imported" in response.content.decode()
    assert row_errors(response, 3)[0][0] == "dni"
    assert Member.objects.count() == 2 and not Farm.objects.exists()


def test_confirm_needs_the_digest_of_the_previewed_file(manager_client):
    upload(manager_client, csv_upload(three_rows()))

    response = manager_client.post(CONFIRM_URL, {"digest": "0" * 64})

    assert response.status_code == 302 and response["Location"] == IMPORT_URL
    assert not Member.objects.exists()


def test_confirm_without_a_preview_is_refused(manager_client):
    response = manager_client.post(CONFIRM_URL, {"digest": ""}, follow=True)

    assert "no longer waiting for confirmation" in response.content.decode()
    assert not Member.objects.exists()


def test_a_confirmed_import_cannot_be_confirmed_twice(manager_client):
    preview = upload(manager_client, csv_upload(three_rows()))
    confirm(manager_client, preview)

    again = confirm(manager_client, preview)

    assert again["Location"] == IMPORT_URL
    assert Member.objects.count() == 2


def test_confirm_answers_only_post(manager_client):
    assert manager_client.get(CONFIRM_URL).status_code == 405


def test_a_conflict_found_while_writing_rolls_back_every_row(manager_client, monkeypatch):
    from members.imports import ImportRejected, member_import, service

    real_preview = service.member_import_preview

    def preview_then_a_concurrent_registration(**kwargs):
        preview = real_preview(**kwargs)
        # Another user registers Juan's DNI after the rows were validated, before they are written.
        MemberFactory(code="OTRO", dni="70000002")
        return preview

    monkeypatch.setattr(service, "member_import_preview", preview_then_a_concurrent_registration)
    file = read_upload(filename="socios.csv", content=csv_upload(three_rows()).read())

    with pytest.raises(ImportRejected) as rejected:
        member_import(file=file, user=manager_client.user)

    rows = {row.number: row for row in rejected.value.preview.rows}
    assert [(error.column, error.message) for error in rows[3].errors] == [
        ("dni", "Another member is registered with this DNI.")
    ]
    assert not Member.objects.filter(code="SOC-0001").exists()  # Rosa was written first, then rolled back
    assert not Farm.objects.exists()


# --- Re-importing updates instead of duplicating --------------------------------------------------


def test_reimporting_the_same_file_updates_instead_of_duplicating(manager_client):
    rows = three_rows()
    confirm(manager_client, upload(manager_client, csv_upload(rows)))
    rosa_before = Member.objects.get(code="SOC-0001")
    farm_ids = set(Farm.objects.values_list("id", flat=True))

    rows[0]["telefono"] = "911222333"
    rows[2]["hectareas"] = "1,1"
    preview = upload(manager_client, csv_upload(rows))

    counts = preview.context["counts"]
    assert (counts.members_created, counts.members_updated, counts.members_unchanged) == (0, 1, 1)
    assert (counts.farms_created, counts.farms_updated, counts.farms_unchanged) == (0, 1, 2)
    response = confirm(manager_client, preview)

    assert response.status_code == 302
    assert (Member.objects.count(), Farm.objects.count()) == (2, 3)
    assert set(Farm.objects.values_list("id", flat=True)) == farm_ids
    rosa = Member.objects.get(code="SOC-0001")
    assert rosa.pk == rosa_before.pk and rosa.phone == "911222333"
    assert Farm.objects.get(name="Bajo Mayo").hectares == Decimal("1.10")
    assert rosa.history.count() == 2  # created, then the phone change; the unchanged member got no new version
    assert Member.objects.get(code="SOC-0002").history.count() == 1


def test_a_registered_member_is_matched_by_dni_when_the_code_differs(manager_client):
    registered = MemberFactory(code="M-ANTIGUO", dni="70000001", phone="")
    FarmFactory(member=registered, name="La Esperanza", hectares=Decimal("1.00"))

    preview = upload(manager_client, csv_upload([member_row(codigo="SOC-0001")]))

    assert preview.context["counts"].members_updated == 1
    assert "Matched by DNI to member M-ANTIGUO" in preview.content.decode()
    confirm(manager_client, preview)
    registered.refresh_from_db()
    assert Member.objects.count() == 1 and registered.code == "M-ANTIGUO"
    assert registered.phone == "987654321" and registered.first_names == "Rosa"
    assert registered.farms.get().hectares == Decimal("2.50")


def test_a_registered_member_is_matched_by_code_and_gets_a_new_farm(manager_client):
    registered = MemberFactory(code="SOC-0001", dni=None)
    FarmFactory(member=registered, name="Vieja")

    confirm(manager_client, upload(manager_client, csv_upload([member_row()])))

    registered.refresh_from_db()
    assert registered.dni == "70000001"
    assert sorted(registered.farms.values_list("name", flat=True)) == ["La Esperanza", "Vieja"]


def test_a_dni_of_one_member_with_the_code_of_another_is_a_conflict(manager_client):
    MemberFactory(code="M-A", dni="70000001")
    MemberFactory(code="SOC-0001", dni="70000099")

    preview = upload(manager_client, csv_upload([member_row()]))

    assert row_errors(preview, 2) == [
        ("dni", "This DNI belongs to member M-A, but the code SOC-0001 belongs to another member.")
    ]


def test_a_crop_change_on_reimport_keeps_the_previous_crop(manager_client):
    confirm(manager_client, upload(manager_client, csv_upload([member_row(cultivo="cafe")])))

    confirm(manager_client, upload(manager_client, csv_upload([member_row(cultivo="cacao")])))

    farm = Farm.objects.get()
    assert (farm.crop, farm.previous_crop) == ("cocoa", "coffee")
