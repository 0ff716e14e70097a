"""Regression tests for bugs found in a review of the members pages, exports and import."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from members import services
from members.imports import ImportFileError, files, read_upload, template_xlsx
from members.models import Farm, Member
from tests.factories import MemberFactory, region
from tests.members.test_import import csv_upload, member_row, row_errors, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_requests(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_a_coordinate_with_too_many_digits_is_a_row_error_not_a_server_error(manager_client):
    # Decimal.quantize raised InvalidOperation (a 500) on a number longer than the decimal context.
    response = upload(manager_client, csv_upload([member_row(latitud="1" * 30)]))

    assert response.status_code == 200
    assert ("latitud", f"“{'1' * 30}” is not a number.") in row_errors(response, 2)
    assert not Member.objects.exists()


def test_the_preview_does_not_reveal_a_member_outside_the_users_regions(manager_client):
    # Matched by DNI, a Cusco member's code was shown in a note, and which of their personal fields differ
    # from the file (an oracle on birth date, phone, consent...) was listed, to a manager of other regions.
    MemberFactory(code="CUS-77", dni="70000001", region=region("Cusco"))

    response = upload(manager_client, csv_upload([member_row()]))

    row = response.context["preview"].rows[0]
    assert ("codigo", "This member is registered in a region outside yours.") in row_errors(response, 2)
    assert row.notes == []
    assert row.member_changes == []
    assert "CUS-77" not in response.content.decode()
    assert not response.context["can_confirm"]


def test_an_xlsx_that_unpacks_to_more_than_a_sheet_would_is_refused_before_parsing(monkeypatch):
    # openpyxl loads every shared string into memory: a small archive of repeated text is a memory bomb.
    monkeypatch.setattr(files, "MAX_XLSX_UNPACKED_BYTES", 1_000)

    with pytest.raises(ImportFileError, match="could not be read"):
        read_upload(filename="socios.xlsx", content=template_xlsx())


def test_a_truncated_xlsx_is_a_form_error_not_a_server_error():
    with pytest.raises(ImportFileError, match="could not be read"):
        read_upload(filename="socios.xlsx", content=template_xlsx()[:200])


def test_a_production_whose_kilograms_do_not_fit_the_column_is_refused():
    member = MemberFactory(region=region("Huánuco"))

    with pytest.raises(ValidationError):
        services.farm_create(
            member=member,
            name="La Esperanza",
            hectares=Decimal("1"),
            crop="coffee",
            production_quantity=Decimal("9999999999.99"),  # fits its own column ...
            production_unit=Farm.ProductionUnit.EXPORT_BAG,  # ... but × 69 kg needs 12 integer digits
        )
    assert not Farm.objects.exists()
