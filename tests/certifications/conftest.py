import datetime
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from certifications.models import (
    Certification,
    CertificationEvent,
    Inspection,
    InspectionAnswer,
    NonConformity,
    Requirement,
    Standard,
)
from certifications.services.certifications import certification_change_status, certification_create
from certifications.services.inspections import inspection_record
from cooperative.services import staff_role_grant
from members.models import Farm
from tests import factories
from tests.factories import CertificationFactory, FarmFactory, MemberFactory, UserFactory, region, standard


@pytest.fixture
def staff(db):
    return factories.UserFactory(username="certification.officer")


@pytest.fixture
def decider(db):
    """The committee member who decides on certifications and sanctions on the pages."""
    return factories.UserFactory(username="comite", first_name="Rosa", last_name="Quispe")


@pytest.fixture
def rainforest(db) -> Standard:
    return factories.standard("rainforest_alliance")


@pytest.fixture
def organic(db) -> Standard:
    return factories.standard("organic")


@pytest.fixture
def utz(db) -> Standard:
    return factories.standard("utz")


@pytest.fixture
def cafe(db) -> Standard:
    return factories.standard("cafe_practices")


@pytest.fixture
def farm(db) -> Farm:
    return factories.FarmFactory()


@pytest.fixture
def coffee_farm(db) -> Farm:
    return factories.FarmFactory(crop="coffee")


@pytest.fixture
def rows_written() -> Callable[[], tuple[int, int]]:
    """(certifications, events) in the database, to show that a refused call wrote nothing."""

    def count() -> tuple[int, int]:
        return Certification.objects.count(), CertificationEvent.objects.count()

    return count


@pytest.fixture
def open_candidate(staff, today) -> Callable[..., Certification]:
    def open_(*, farm: Farm, standard: Standard, days_ago: int = 400) -> Certification:
        return certification_create(
            farm=farm,
            standard=standard,
            decided_by=staff,
            occurred_on=today - datetime.timedelta(days=days_ago),
            reason="Registered in the member census",
        )

    return open_


@pytest.fixture
def certify(staff, today) -> Callable[..., Certification]:
    """Certify a candidate or a C3 certification today, valid from today for the standard's default term."""

    def certify_(certification: Certification, *, occurred_on: datetime.date | None = None) -> Certification:
        return certification_change_status(
            certification=certification,
            to_status="certified",
            occurred_on=occurred_on or today,
            reason="External audit passed",
            decided_by=staff,
            certificate_number="RA-2026-0001",
            valid_from=occurred_on or today,
        )

    return certify_


# -- inspections (tests/certifications/test_inspection*.py, test_non_conformity*.py, test_checklists.py) -------

DAY = datetime.timedelta(days=1)


def make_inspector(username: str = "inspectora", role: str = "technician", regions: tuple[str, ...] = ("Huánuco",)):
    user = UserFactory(username=username, first_name=username.capitalize(), last_name="Quispe")
    staff_role_grant(user=user, role=role, regions=[region(name) for name in regions])
    return user


def certified_farm(*codes: str, region_name: str = "Huánuco", crop: str = "coffee", **farm_values) -> Farm:
    """A farm with an open (candidate) certification under each standard code."""
    farm = FarmFactory(member=MemberFactory(region=region(region_name)), crop=crop, **farm_values)
    for code in codes:
        CertificationFactory(farm=farm, standard=standard(code))
    return farm


def active_requirements(*codes: str) -> list[Requirement]:
    return list(
        Requirement.objects.filter(checklist__active=True, checklist__standard__code__in=codes).order_by(
            "checklist__standard__name", "position"
        )
    )


def requirement(code: str) -> Requirement:
    return Requirement.objects.get(checklist__active=True, code=code)


def answers_for(*codes: str, non_compliant: tuple[str, ...] = (), not_applicable: tuple[str, ...] = ()) -> dict:
    """An answer to every requirement of the standards' checklists in use: compliant unless named."""
    answers = {}
    for req in active_requirements(*codes):
        if req.code in non_compliant:
            answers[req.pk] = ("non_compliant", f"Observado en campo: {req.code}")
        elif req.code in not_applicable:
            answers[req.pk] = ("not_applicable", "")
        else:
            answers[req.pk] = ("compliant", "")
    return answers


def nc_details(*requirement_codes: str, deadline: datetime.date | None = None, **overrides) -> dict:
    deadline = deadline or timezone.localdate() + 60 * DAY
    details = {}
    for code in requirement_codes:
        req = requirement(code)
        values = {
            "severity": "critical" if req.critical else "minor",
            "description": "Sacos de urea en el almacén",
            "corrective_action": "Retirar los insumos y capacitar al productor",
            "deadline": deadline,
        }
        values.update(overrides)
        details[req.pk] = values
    return details


def record(farm: Farm, *codes: str, inspector, non_compliant: tuple[str, ...] = (), **overrides) -> Inspection:
    """Record an inspection of the farm under the standards, every answer compliant unless named."""
    values = {
        "farm": farm,
        "standards": [standard(code) for code in codes],
        "inspector": inspector,
        "inspected_on": timezone.localdate() - 2 * DAY,
        "interviewee": "Rosa Huamán (socia)",
        "answers": answers_for(*codes, non_compliant=non_compliant),
        "recommendation": "conditions" if non_compliant else "approve",
        "recorded_by": inspector,
        "estimated_yield_kg": Decimal("1380.00"),
        "inputs_used": "Compost 2 t, caldo bordelés",
        "non_conformities": nc_details(*non_compliant) if non_compliant else {},
    }
    values.update(overrides)
    return inspection_record(**values)


def inspection_rows_written() -> tuple[int, int, int]:
    """(inspections, answers, non-conformities) in the database, to show that a refused call wrote nothing."""
    return Inspection.objects.count(), InspectionAnswer.objects.count(), NonConformity.objects.count()


@pytest.fixture
def inspector():
    return make_inspector()


@pytest.fixture
def candidate_farm(db) -> Farm:
    """La Esperanza, a coffee farm in Huánuco with candidate certifications under organic and Rainforest Alliance:
    the farm the inspection tests inspect."""
    return certified_farm("organic", "rainforest_alliance", name="La Esperanza")


@pytest.fixture
def inspection(candidate_farm, inspector) -> Inspection:
    return record(candidate_farm, "organic", inspector=inspector, non_compliant=("ORG-08",))


@pytest.fixture
def nc(inspection) -> NonConformity:
    return inspection.non_conformities.get()


def inspection_form_data(*codes: str, inspector, non_compliant: tuple[str, ...] = (), **overrides) -> dict:
    """The POST of the inspection form: every requirement compliant unless named."""
    today = timezone.localdate()
    data = {
        "inspector": inspector.pk,
        "inspected_on": (today - DAY).isoformat(),
        "interviewee": "Juana Ríos (esposa del socio)",
        "estimated_yield_kg": "1250.50",
        "inputs_used": "Compost 2 t",
        "recommendation": "conditions" if non_compliant else "approve",
        "recommendation_note": "",
    }
    for requirement in active_requirements(*codes):
        prefix = f"r{requirement.pk}_"
        if requirement.code in non_compliant:
            data[prefix + "answer"] = "non_compliant"
            data[prefix + "note"] = "Sacos de urea en el almacén"
            data[prefix + "severity"] = "critical" if requirement.critical else "major"
            data[prefix + "description"] = "Urea"
            data[prefix + "action"] = "Retirar la urea"
            data[prefix + "deadline"] = (today + 30 * DAY).isoformat()
        else:
            data[prefix + "answer"] = "compliant"
    data.update(overrides)
    return data


def create_url(farm, *codes: str) -> str:
    query = "".join(f"&standards={code}" for code in codes)
    return reverse("inspection_create") + f"?farm={farm.pk}{query}"
