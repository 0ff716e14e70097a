"""factory-boy factories for every model. Regions and standards come from the seed migrations."""

import datetime
import uuid
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from certifications.models import Certification, CertificationEvent, CertificationStatus, Standard
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
from members.models import Farm, FarmVisit, Member, VisitPestObservation


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


class CertificationEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CertificationEvent

    certification = factory.SubFactory(CertificationFactory)
    from_status = ""
    to_status = CertificationStatus.CANDIDATE
    occurred_on = datetime.date(2026, 1, 15)
    reason = "Registro inicial"


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
