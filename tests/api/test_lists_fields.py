"""What the list rows say: personal data and coordinates by consent, technicians, UTZ, balances."""

import pytest

from tests.factories import CertificationFactory, standard

pytestmark = pytest.mark.django_db


def rows(client, endpoint: str, key: str) -> dict[str, dict]:
    response = client.get(f"/api/v1/{endpoint}/")
    assert response.status_code == 200
    return {row[key]: row for row in response.json()["results"]}


def test_a_partner_gets_personal_data_only_of_consenting_members(partner_a_client, population):
    members = rows(partner_a_client, "members", "code")

    consenting, private = members["M-a_consenting"], members["M-a_private"]
    assert consenting["first_names"] == population["a_consenting"].first_names
    assert consenting["dni"] == population["a_consenting"].dni
    assert consenting["birth_date"] == "1980-05-17"
    assert {key: private[key] for key in ("first_names", "last_names", "dni", "phone", "birth_date")} == dict.fromkeys(
        ("first_names", "last_names", "dni", "phone", "birth_date")
    )
    assert private["region"] == "San Martín"
    assert private["programs"] == ["LWR-CACAO"]
    assert private["consents_to_share"] is False


def test_staff_get_personal_data_of_every_member(manager_client, population):
    private = rows(manager_client, "members", "code")["M-a_private"]

    assert private["first_names"] == population["a_private"].first_names
    assert private["phone"] == "987654321"


def test_a_partner_gets_exact_coordinates_only_of_consenting_members(partner_a_client, population):
    farms = rows(partner_a_client, "farms", "member")

    assert (farms["M-a_consenting"]["latitude"], farms["M-a_consenting"]["longitude"]) == ("-9.295123", "-75.996789")
    assert (farms["M-a_private"]["latitude"], farms["M-a_private"]["longitude"]) == ("-9.30", "-76.00")
    assert farms["M-a_private"]["hectares"] == "2.50"


def test_staff_get_exact_coordinates(manager_client, population):
    assert rows(manager_client, "farms", "member")["M-a_private"]["latitude"] == "-9.295123"


def test_visits_name_the_technician_to_staff_only(partner_a_client, manager_client, population):
    partner_row = rows(partner_a_client, "visits", "member")["M-a_consenting"]
    staff_row = rows(manager_client, "visits", "member")["M-a_consenting"]

    assert partner_row["technician"] is None
    assert staff_row["technician"] == "tecnico.campo"
    assert partner_row["pests"] == [{"pest": "frosty_pod_rot", "severity": 2}]
    assert partner_row["practices_observed"] == ["composting"]


def test_utz_certifications_are_reported_as_historical(partner_a_client, population):
    farm = population["a_consenting"].farms.get()
    utz = CertificationFactory(farm=farm, standard=standard("utz"), status="expired")

    listed = {row["id"]: row for row in partner_a_client.get("/api/v1/certifications/").json()["results"]}

    assert listed[utz.pk]["standard"] == "utz"
    assert listed[utz.pk]["historical"] is True
    assert [row["historical"] for row in listed.values() if row["id"] != utz.pk] == [False, False]


def test_loans_show_balances_and_only_programs_in_the_partner_s_scope(partner_b_client, program_a, population):
    from tests.factories import LoanFactory

    LoanFactory(member=population["b_member"], reference="CR-B-ON-A", program=program_a)

    loans = rows(partner_b_client, "loans", "reference")

    assert loans["CR-b_member"]["program"] == "CCS-CAFE"
    assert loans["CR-B-ON-A"]["program"] is None  # partner A's program: not partner B's business
    assert loans["CR-b_member"]["principal"] == "950.00"
    assert loans["CR-b_member"]["total_outstanding"] == "0.00"
    assert loans["CR-b_member"]["days_past_due"] == 0
