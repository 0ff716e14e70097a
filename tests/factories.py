"""factory-boy factories for every model. Regions and standards come from the seed migrations."""

import datetime
import uuid
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.db import transaction

from certifications.models import (
    CafeVerification,
    Certification,
    CertificationEvent,
    CertificationStatus,
    Checklist,
    GroupCertificate,
    Inspection,
    InspectionAnswer,
    NonConformity,
    Requirement,
    Sanction,
    Standard,
)
from certifications.read_models import refresh_current_certification
from cooperative.models import (
    AllianceProgram,
    CommunityProject,
    Partner,
    ProgramEnrollment,
    Region,
    StaffRole,
)
from credit.models import (
    CreditProduct,
    InputItem,
    Instalment,
    InterestMethod,
    Loan,
    LoanLine,
    LoanStatus,
    LoanTransaction,
    RepaymentMode,
)
from members.eudr.status import refresh_eudr_status
from members.models import Farm, FarmVisit, Member, VisitPestObservation
from members.read_models import refresh_active_hectares


def region(name: str = "Huánuco") -> Region:
    return Region.objects.get(name=name)


def standard(code: str) -> Standard:
    return Standard.objects.get(code=code)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", "password")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class RegionFactory(factory.django.DjangoModelFactory):
    """Only for regions beyond the 25 seeded departments (tests that need a fresh one)."""

    class Meta:
        model = Region

    name = factory.Sequence(lambda n: f"Región {n}")
    ubigeo_code = factory.Sequence(lambda n: f"{90 + n % 10:02d}")


class StaffRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffRole
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    role = StaffRole.Role.TECHNICIAN

    @factory.post_generation
    def regions(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.regions.set(extracted)


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"Aliado {n}")
    kind = Partner.Kind.NGO
    country = "US"


class AllianceProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AllianceProgram
        skip_postgeneration_save = True

    partner = factory.SubFactory(PartnerFactory)
    code = factory.Sequence(lambda n: f"PRG-{n:03d}")
    name = factory.Sequence(lambda n: f"Programa {n}")
    crops = factory.LazyFunction(lambda: ["cocoa"])
    starts_on = datetime.date(2012, 2, 1)
    ends_on = datetime.date(2030, 12, 31)
    target_farmers_certified = 500
    target_beneficiaries = 1000

    @factory.post_generation
    def regions(obj, create, extracted, **kwargs):
        if create:
            obj.regions.set(extracted if extracted is not None else [region("Huánuco")])

    @factory.post_generation
    def standards(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.standards.set(extracted)


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    code = factory.Sequence(lambda n: f"M-{n:05d}")
    first_names = factory.Faker("first_name", locale="es")
    last_names = factory.Faker("last_name", locale="es")
    dni = factory.Sequence(lambda n: f"{40000000 + n:08d}")
    gender = "female"
    region = factory.LazyFunction(region)
    district = "Tingo María"
    community = "Juan Velasco Alvarado"
    joined_on = datetime.date(2012, 3, 1)


class ProgramEnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgramEnrollment

    program = factory.SubFactory(AllianceProgramFactory)
    member = factory.SubFactory(MemberFactory)
    enrolled_on = datetime.date(2012, 3, 1)


class CommunityProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommunityProject

    name = factory.Sequence(lambda n: f"Proyecto comunal {n}")
    program = factory.SubFactory(AllianceProgramFactory)
    region = factory.LazyFunction(region)
    beneficiaries = 200


class FarmFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Farm

    member = factory.SubFactory(MemberFactory)
    name = factory.Sequence(lambda n: f"Parcela {n}")
    region = factory.LazyAttribute(lambda farm: farm.member.region)
    hectares = Decimal("2.50")
    crop = "cocoa"
    latitude = Decimal("-9.295000")
    longitude = Decimal("-75.995000")
    estimated_production_kg = Decimal("1500.00")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        farm = super()._create(model_class, *args, **kwargs)
        # The member's stored hectares of active farms, as the farm services keep them.
        refresh_active_hectares([farm.member_id])
        _refresh_eudr_status(farm)
        return farm


def _refresh_eudr_status(farm: Farm) -> None:
    """The farm's stored EUDR status (and its neighbours'), as the farm and EUDR services keep it."""
    refresh_eudr_status([farm.pk])
    farm.eudr_status = Farm.objects.values_list("eudr_status", flat=True).get(pk=farm.pk)


class FarmVisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FarmVisit

    client_uuid = factory.LazyFunction(uuid.uuid4)
    farm = factory.SubFactory(FarmFactory)
    technician = factory.SubFactory(UserFactory)
    visited_on = datetime.date(2026, 10, 1)
    purpose = FarmVisit.Purpose.DIAGNOSIS
    practices_observed = factory.LazyFunction(lambda: ["composting"])


class VisitPestObservationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VisitPestObservation

    visit = factory.SubFactory(FarmVisitFactory)
    pest = "frosty_pod_rot"
    severity = 1


class CertificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Certification

    farm = factory.SubFactory(FarmFactory)
    standard = factory.LazyFunction(lambda: standard("rainforest_alliance"))
    status = CertificationStatus.CANDIDATE

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # The current certification of the farm under the standard, as the certification services keep it.
        certification = super()._create(model_class, *args, **kwargs)
        _refresh_current(certification)
        return certification


class CertificationEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CertificationEvent

    certification = factory.SubFactory(CertificationFactory)
    from_status = ""
    to_status = CertificationStatus.CANDIDATE
    occurred_on = datetime.date(2026, 1, 15)
    reason = "Registro inicial"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        event = super()._create(model_class, *args, **kwargs)
        _refresh_current(event.certification)  # a later event may make another certification the current one
        return event


def _refresh_current(certification: Certification) -> None:
    with transaction.atomic():  # it locks the rows: tests that commit call factories outside a transaction
        current = refresh_current_certification(farm_id=certification.farm_id, standard_id=certification.standard_id)
    certification.is_current = current == certification.pk


def closed_certification(farm: Farm, code: str, status: str, on: datetime.date) -> Certification:
    """A certification of `farm` under standard `code` that reached `status` on `on` (with its event)."""
    certification = CertificationFactory(farm=farm, standard=standard(code), status=status)
    CertificationEventFactory(certification=certification, to_status=status, occurred_on=on)
    return certification


class InputItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InputItem
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Abono orgánico {n}")
    kind = InputItem.Kind.FERTILIZER
    unit = "saco 50 kg"
    unit_price = Decimal("95.00")


class CreditProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CreditProduct

    name = factory.Sequence(lambda n: f"Crédito insumos {n}")
    interest_method = InterestMethod.FLAT
    annual_rate = Decimal("12.00")
    repayment_mode = RepaymentMode.PERIODIC
    number_of_repayments = 6
    grace_periods = 0
    max_deduction_percent = Decimal("30.00")


class LoanFactory(factory.django.DjangoModelFactory):
    """A submitted loan. Use the credit services to approve, disburse and repay."""

    class Meta:
        model = Loan

    reference = factory.Sequence(lambda n: f"CR-T-{n:05d}")
    member = factory.SubFactory(MemberFactory)
    product = factory.SubFactory(CreditProductFactory)
    status = LoanStatus.SUBMITTED
    principal = Decimal("950.00")
    submitted_on = datetime.date(2026, 1, 10)
    submitted_by = factory.SubFactory(UserFactory)


class LoanLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LoanLine

    loan = factory.SubFactory(LoanFactory)
    item = factory.SubFactory(InputItemFactory)
    quantity = Decimal("10")
    unit_price = Decimal("95.00")
    amount = Decimal("950.00")


class InstalmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Instalment

    loan = factory.SubFactory(LoanFactory)
    number = factory.Sequence(lambda n: n + 1)
    due_on = datetime.date(2026, 6, 30)
    principal_due = Decimal("950.00")
    interest_due = Decimal("0.00")


class LoanTransactionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LoanTransaction

    loan = factory.SubFactory(LoanFactory)
    kind = "disbursement"
    occurred_on = datetime.date(2026, 2, 1)
    amount = Decimal("950.00")
    principal_portion = Decimal("950.00")
    recorded_by = factory.SubFactory(UserFactory)


# -- Internal Control System: checklists, inspections, non-conformities, group certificates, C.A.F.E. -------


class ChecklistFactory(factory.django.DjangoModelFactory):
    """A checklist kept out of use (active=False), so it never clashes with the seeded one in use."""

    class Meta:
        model = Checklist
        django_get_or_create = ("standard", "version")

    standard = factory.LazyFunction(lambda: standard("organic"))
    version = "test"
    title = factory.LazyAttribute(lambda checklist: f"Test checklist {checklist.standard.code}")
    active = False


class RequirementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Requirement

    checklist = factory.SubFactory(ChecklistFactory)
    code = factory.Sequence(lambda n: f"T-{n:03d}")
    text_es = "Requisito de prueba"
    text_en = "Test requirement"


class InspectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Inspection
        skip_postgeneration_save = True

    farm = factory.SubFactory(FarmFactory)
    inspector = factory.SubFactory(UserFactory)
    inspected_on = datetime.date(2026, 9, 15)
    interviewee = "El socio"
    recommendation = Inspection.Recommendation.APPROVE

    @factory.post_generation
    def standards(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.standards.set(extracted)


class InspectionAnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InspectionAnswer

    inspection = factory.SubFactory(InspectionFactory)
    requirement = factory.SubFactory(RequirementFactory)
    answer = InspectionAnswer.Answer.NON_COMPLIANT


class NonConformityFactory(factory.django.DjangoModelFactory):
    """An open non-conformity of the inspection's farm under `standard` (organic by default); the inspection
    is made to cover the standard."""

    class Meta:
        model = NonConformity
        skip_postgeneration_save = True

    standard = factory.LazyFunction(lambda: standard("organic"))
    inspection = factory.SubFactory(InspectionFactory)
    farm = factory.SelfAttribute("inspection.farm")
    requirement = factory.SubFactory(RequirementFactory, checklist__standard=factory.SelfAttribute("...standard"))
    answer = factory.SubFactory(
        InspectionAnswerFactory,
        inspection=factory.SelfAttribute("..inspection"),
        requirement=factory.SelfAttribute("..requirement"),
    )
    severity = NonConformity.Severity.MINOR
    corrective_action = "Corregir antes de la fecha límite"
    deadline = datetime.date(2027, 1, 31)

    @factory.post_generation
    def covers_standard(obj, create, extracted, **kwargs):
        if create:
            obj.inspection.standards.add(obj.standard)


class GroupCertificateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GroupCertificate

    standard = factory.LazyFunction(lambda: standard("rainforest_alliance"))
    number = factory.Sequence(lambda n: f"GC-{n:05d}")
    certification_body = "Control Union Perú"
    valid_from = datetime.date(2026, 1, 15)
    valid_until = datetime.date(2029, 1, 14)
    crops = factory.LazyFunction(lambda: ["coffee", "cocoa"])


class CafeVerificationFactory(factory.django.DjangoModelFactory):
    """Stores the tier given; record real verifications with certifications.services.cafe.cafe_verification_record."""

    class Meta:
        model = CafeVerification

    certification = factory.SubFactory(
        CertificationFactory,
        standard=factory.LazyFunction(lambda: standard("cafe_practices")),
        farm__crop="coffee",
    )
    verified_on = datetime.date(2026, 6, 1)
    verifier = "SCS Global Services"
    social_percent = Decimal("82.50")
    environmental_percent = Decimal("78.00")
    zero_tolerance_failures = 0
    tier = "preferred"


# -- Internal Control System: inspectors' conflicts of interest ----------------------------------------------


class InspectorConflictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "certifications.InspectorConflict"

    inspector = factory.SubFactory(UserFactory)
    member = factory.SubFactory(MemberFactory)
    relationship = "relative"
    declared_on = datetime.date(2026, 1, 10)


# -- Harvest deliveries ---------------------------------------------------------------------------------------


class DeliveryFactory(factory.django.DjangoModelFactory):
    """A delivery of dry cocoa beans from a Huánuco cocoa farm: 100 kg at S/ 8.50 = S/ 850.00, not settled.
    Use deliveries.services to record, settle and reverse in tests of behaviour."""

    class Meta:
        model = "deliveries.Delivery"

    reference = factory.Sequence(lambda n: f"EN-T-{n:05d}")
    farm = factory.SubFactory(FarmFactory)
    member = factory.LazyAttribute(lambda delivery: delivery.farm.member)
    delivered_on = datetime.date(2026, 10, 15)
    crop = factory.LazyAttribute(lambda delivery: delivery.farm.crop)
    product_state = factory.LazyAttribute(lambda d: "dry_beans" if d.crop == "cocoa" else "dry_parchment")
    quantity = Decimal("100.00")
    unit = "kg"
    quantity_kg = factory.LazyAttribute(
        lambda d: d.quantity * {"kg": Decimal("1"), "qq": Decimal("46"), "bag69": Decimal("69")}[d.unit]
    )
    price_per_kg = Decimal("8.50")
    gross_amount = factory.LazyAttribute(lambda d: (d.quantity_kg * d.price_per_kg).quantize(Decimal("0.01")))
    received_by = factory.SubFactory(UserFactory)


# -- EUDR geolocation (members.eudr) --------------------------------------------------------------------------


class DeforestationDeclarationFactory(factory.django.DjangoModelFactory):
    """A farm declared already coffee or cocoa agroforestry on 31 December 2020 (EUDR-compatible)."""

    class Meta:
        model = "members.FarmDeforestationDeclaration"

    farm = factory.SubFactory(FarmFactory)
    land_use_2020 = "coffee_cocoa_agroforestry"
    evidence_note = "Imagen satelital 2020 (Global Forest Watch) y testimonio de vecinos."
    declared_by = factory.SubFactory(UserFactory)
    declared_on = datetime.date(2026, 3, 1)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        declaration = super()._create(model_class, *args, **kwargs)
        _refresh_eudr_status(declaration.farm)  # as farm_declare_land_use keeps it
        return declaration


def eudr_rectangle(west: float, south: float, east: float, north: float) -> dict:
    """A GeoJSON Polygon (exterior counterclockwise) with Decimal coordinates written with 6 decimals, as
    members.geo_formats hands them over."""

    def d(value: float) -> Decimal:
        return Decimal(f"{value:.6f}")

    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [[[d(lon), d(lat)] for lon, lat in ring]]}


def eudr_square(lon: float, lat: float, hectares: float) -> dict:
    """A square plot of about `hectares` whose south-west corner is at (lon, lat): degree lengths at that
    latitude (110,600 m per degree of latitude, 111,320 m × cos(latitude) per degree of longitude)."""
    import math

    side = math.sqrt(hectares * 10_000)
    dlat = side / 110_600
    dlon = side / (111_320 * math.cos(math.radians(lat)))
    return eudr_rectangle(lon, lat, lon + dlon, lat + dlat)


class SanctionFactory(factory.django.DjangoModelFactory):
    """A warning (no status change). Impose real sanctions with certifications.services.sanctions.sanction_impose."""

    class Meta:
        model = Sanction

    certification = factory.SubFactory(CertificationFactory, status=CertificationStatus.CERTIFIED)
    kind = Sanction.Kind.WARNING
    starts_on = datetime.date(2026, 10, 1)
    reason = "Registros de cosecha incompletos"
    decided_by = factory.SubFactory(UserFactory)


class LoanChargeFactory(factory.django.DjangoModelFactory):
    """A fee row as stored. Charge real loans with credit.services.loan_charge_add (it checks the loan)."""

    class Meta:
        model = "credit.LoanCharge"

    loan = factory.SubFactory(LoanFactory)
    kind = "fee"
    amount = Decimal("5.00")
    due_on = datetime.date(2026, 6, 30)
    occurred_on = datetime.date(2026, 2, 1)
    reason = "Gasto administrativo"
    recorded_by = factory.SubFactory(UserFactory)
