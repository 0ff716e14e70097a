"""The generated cooperative of tests/reporting/test_figures_match_source_rows.py: regions, members, farms,
certifications, loans, programs and the clients that read the figures."""

import datetime
import random
from decimal import Decimal

from certifications.services.certifications import (
    certification_change_status,
    certification_create,
    certification_import_history,
)
from cooperative.models import ProgramEnrollment
from cooperative.services import community_project_create
from credit import services as credit_services
from members.eudr.geolocation import farm_declare_land_use, farm_set_geometry
from members.models import Farm, Member
from members.services import enrollment_create, member_withdraw
from tests.factories import (
    AllianceProgramFactory,
    CreditProductFactory,
    FarmFactory,
    FarmVisitFactory,
    InputItemFactory,
    MemberFactory,
    PartnerFactory,
    ProgramEnrollmentFactory,
    UserFactory,
    eudr_square,
    region,
    standard,
)

DAY = datetime.timedelta(days=1)
MANAGER_REGIONS = ("Huánuco", "San Martín")

# -- the generated cooperative --------------------------------------------------------------------------------


class Cooperative:
    """Named members, farms, loans and certifications of the generated dataset, and the users who write."""

    def __init__(self, today: datetime.date) -> None:
        self.today = today
        self.maker = UserFactory(username="maker")
        self.checker = UserFactory(username="checker")
        self.technician = UserFactory(username="technician")
        self.h, self.s, self.c = region("Huánuco"), region("San Martín"), region("Cusco")
        self.ra, self.organic, self.cafe = (
            standard("rainforest_alliance"),
            standard("organic"),
            standard("cafe_practices"),
        )
        self.item = InputItemFactory(name="Guano de isla", unit_price=Decimal("100.00"))
        self.flat = CreditProductFactory(name="Flat 12 %")
        self.declining = CreditProductFactory(
            name="Declining 18 %",
            interest_method="declining_balance",
            annual_rate=Decimal("18.00"),
            number_of_repayments=4,
            grace_periods=1,
            allocation_order="principal,interest,fee,penalty",
        )
        self.bullet = CreditProductFactory(
            name="Harvest bullet", repayment_mode="harvest_bullet", number_of_repayments=1, grace_periods=5
        )
        self.tolerant = CreditProductFactory(name="Tolerant", arrears_tolerance=Decimal("20.00"))
        self.members: dict[str, Member] = {}
        self.farms: dict[str, Farm] = {}
        self.loans: dict = {}
        self.certifications: dict = {}

    def days_ago(self, days: int) -> datetime.date:
        return self.today - days * DAY

    # -- writes used to build the dataset and by the scripted steps ----------------------------------------

    def disburse(self, member: Member, product, days_ago: int, *, quantity: str = "10", program=None):
        on = self.days_ago(days_ago)
        loan = credit_services.loan_create(
            member=member,
            product=product,
            lines=[(self.item, Decimal(quantity))],
            submitted_by=self.maker,
            submitted_on=on - 2 * DAY,
            program=program,
        )
        credit_services.loan_approve(loan=loan, approved_by=self.checker, approved_on=on - DAY)
        return credit_services.loan_disburse(loan=loan, disbursed_by=self.maker, disbursed_on=on)

    def repay(self, loan, amount: Decimal, days_ago: int = 0, kind: str = "repayment"):
        return credit_services.loan_repay(
            loan=loan, amount=amount, occurred_on=self.days_ago(days_ago), recorded_by=self.maker, kind=kind
        )

    def instalments_due(self, loan, first: int) -> Decimal:
        """Principal and interest of the loan's first `first` instalments."""
        rows = loan.instalments.order_by("due_on", "number")[:first]
        return sum((row.principal_due + row.interest_due for row in rows), Decimal("0.00"))

    def open(self, farm: Farm, standard_, days_ago: int, **kwargs):
        return certification_create(
            farm=farm,
            standard=standard_,
            decided_by=self.technician,
            occurred_on=self.days_ago(days_ago),
            reason="Registro",
            **kwargs,
        )

    def change(self, certification, to_status: str, days_ago: int, **kwargs):
        return certification_change_status(
            certification=certification,
            to_status=to_status,
            occurred_on=self.days_ago(days_ago),
            reason="Decisión del comité",
            decided_by=self.technician,
            **kwargs,
        )

    def certify(self, certification, days_ago: int, *, number: str, valid_until: datetime.date | None = None):
        return self.change(
            certification,
            "certified",
            days_ago,
            certificate_number=number,
            valid_from=self.days_ago(days_ago),
            valid_until=valid_until,
        )

    def history(self, farm: Farm, standard_, *, from_days_ago: int, until_days_ago: int, number: str):
        return certification_import_history(
            farm=farm,
            standard=standard_,
            certificate_number=number,
            certifier="Control Union Perú",
            valid_from=self.days_ago(from_days_ago),
            valid_until=self.days_ago(until_days_ago),
            recorded_by=self.technician,
            reason="Historial",
        )

    def geometry(self, farm: Farm, geometry: dict):
        return farm_set_geometry(farm=farm, geometry=geometry, source="geojson", recorded_by=self.technician)

    def declare(self, farm: Farm, land_use: str = "coffee_cocoa_agroforestry"):
        return farm_declare_land_use(
            farm=farm, land_use_2020=land_use, evidence_note="Imagen satelital 2020", declared_by=self.technician
        )

    def enrol(self, program, member: Member):
        member = Member.objects.get(pk=member.pk)
        return enrollment_create(program=program, member=member, enrolled_on=self.days_ago(365))


def build(today: datetime.date) -> Cooperative:
    """About 30 members in Huánuco, San Martín and Cusco, their farms of both crops, certification histories
    under three standards, loans of four products, three programs of two partners, community projects, visits,
    EUDR geometry and declarations. Named members carry the cases the scripted writes change; the rest is
    generated with a fixed seed."""
    co = Cooperative(today)
    h, s, c = co.h, co.s, co.c
    m, f = co.members, co.farms

    co.partner_a = PartnerFactory(name="Aliado A")
    co.partner_b = PartnerFactory(name="Aliado B")
    co.program_a = AllianceProgramFactory(
        partner=co.partner_a,
        code="PA",
        crops=["cocoa", "coffee"],
        regions=[h, c],
        standards=[co.ra, co.organic],
        target_farmers_certified=6,
        target_beneficiaries=80,
    )
    co.program_b = AllianceProgramFactory(
        partner=co.partner_b,
        code="PB",
        crops=["coffee"],
        regions=[s, h],
        standards=[co.cafe, co.ra],
        target_farmers_certified=3,
        target_beneficiaries=20,
    )
    co.program_c = AllianceProgramFactory(
        partner=co.partner_b, code="PC", regions=[c], standards=[co.ra], target_farmers_certified=0
    )
    community_project_create(name="Escuela", region=h, beneficiaries=30, program=co.program_a)
    community_project_create(name="Agua potable", region=c, beneficiaries=40, program=co.program_a)
    community_project_create(name="Secadores", region=s, beneficiaries=15, program=co.program_b)

    def member(key: str, region_, gender: str, **kwargs) -> Member:
        m[key] = MemberFactory(code=f"N-{key}", region=region_, gender=gender, **kwargs)
        return m[key]

    def farm(key: str, owner: str, crop: str, hectares: str, production: str | None = "1000", **kwargs) -> Farm:
        f[key] = FarmFactory(
            member=m[owner],
            name=key,
            crop=crop,
            hectares=Decimal(hectares),
            estimated_production_kg=None if production is None else Decimal(production),
            **kwargs,
        )
        return f[key]

    member("ana", h, "female")
    member("beto", s, "male")
    member("carla", h, "female")
    member("diego", c, "male")
    member("elena", h, "other")
    member("fabio", s, "male")
    member("gina", h, "female")
    member("hugo", s, "male")
    member("ines", c, "female")
    member("juan", h, "male", status=Member.Status.INACTIVE)
    member("karen", s, "female")
    member("lena", h, "female")
    member("omar", s, "male")
    member("pia", h, "female")

    farm("ana_cocoa", "ana", "cocoa", "2.50", "1500")
    farm("ana_coffee", "ana", "coffee", "1.00", "920", latitude=None, longitude=None)
    farm("ana_old", "ana", "coffee", "3.00", status=Farm.Status.RETIRED)
    farm("beto_cocoa", "beto", "cocoa", "3.00", "690")
    farm("carla_cocoa", "carla", "cocoa", "2.00", None)
    farm("diego_coffee", "diego", "coffee", "4.00", "2300")
    farm("elena_cocoa", "elena", "cocoa", "2.00")
    farm("elena_coffee", "elena", "coffee", "5.00", "1200")
    farm("fabio_cocoa", "fabio", "cocoa", "2.00", "800")
    farm("gina_cocoa", "gina", "cocoa", "6.00", "3100")
    farm("hugo_coffee", "hugo", "coffee", "1.75", "460")
    farm("ines_cocoa", "ines", "cocoa", "1.20", "300")
    farm("juan_cocoa", "juan", "cocoa", "1.50")
    farm("karen_cocoa", "karen", "cocoa", "2.25", "700")
    farm("karen_coffee", "karen", "coffee", "0.75", "350", latitude=None, longitude=None)
    farm("pia_cocoa", "pia", "cocoa", "1.40", "500")

    # EUDR: boundaries (one measuring 1.5 × its hectares, two overlapping), points, declarations.
    co.geometry(f["beto_cocoa"], eudr_square(-75.90, -9.30, 3.0))
    co.geometry(f["carla_cocoa"], eudr_square(-75.85, -9.30, 3.0))
    co.geometry(f["elena_cocoa"], eudr_square(-75.80, -9.30, 2.0))
    co.geometry(f["fabio_cocoa"], eudr_square(-75.7994, -9.3003, 2.0))
    co.geometry(f["gina_cocoa"], eudr_square(-75.75, -9.30, 6.0))
    for key in ("ana_cocoa", "carla_cocoa", "diego_coffee", "elena_cocoa", "fabio_cocoa", "gina_cocoa", "ines_cocoa"):
        co.declare(f[key])
    co.declare(f["karen_cocoa"], "forest")

    # Certifications and their event histories.
    cs = co.certifications
    cs["ana_ra"] = co.certify(co.open(f["ana_cocoa"], co.ra, 900), 800, number="RA-ANA")
    cs["ana_cafe"] = co.certify(
        co.open(f["ana_coffee"], co.cafe, 400), 300, number="CP-ANA", valid_until=co.days_ago(-45)
    )
    cs["beto_ra"] = co.certify(co.open(f["beto_cocoa"], co.ra, 700), 600, number="RA-BETO", valid_until=co.days_ago(10))
    organic = co.open(f["carla_cocoa"], co.organic, 1300, status="in_conversion", conversion_stage="c1")
    organic = co.change(organic, "in_conversion", 935, conversion_stage="c2")
    organic = co.change(organic, "in_conversion", 570, conversion_stage="c3")
    cs["carla_organic"] = co.certify(organic, 200, number="ORG-CARLA")
    cs["diego_ra"] = co.certify(co.open(f["diego_coffee"], co.ra, 500), 400, number="RA-DIEGO")
    co.history(f["elena_cocoa"], co.ra, from_days_ago=2000, until_days_ago=1000, number="RA-OLD-ELENA")
    cs["elena_ra"] = co.open(f["elena_cocoa"], co.ra, 100)
    # Two closed certifications whose last events fall on the same day: the later one is current.
    co.change(co.open(f["fabio_cocoa"], co.ra, 300), "withdrawn", 300)
    co.change(co.open(f["fabio_cocoa"], co.ra, 300), "excluded", 300)
    # An expired certificate, then a later one withdrawn: the withdrawal (latest event) is current.
    co.history(f["gina_cocoa"], co.ra, from_days_ago=1500, until_days_ago=1200, number="RA-OLD-GINA")
    co.change(co.open(f["gina_cocoa"], co.ra, 1100), "withdrawn", 500)
    cs["hugo_organic"] = co.open(f["hugo_coffee"], co.organic, 400, status="in_conversion", conversion_stage="c1")
    cs["ines_ra"] = co.open(f["ines_cocoa"], co.ra, 50)
    karen_ra = co.certify(co.open(f["karen_cocoa"], co.ra, 800), 700, number="RA-KAREN")
    cs["karen_ra"] = co.change(karen_ra, "suspended", 50)
    cs["karen_cafe"] = co.open(f["karen_coffee"], co.cafe, 60)
    cs["pia_ra"] = co.certify(co.open(f["pia_cocoa"], co.ra, 500), 400, number="RA-PIA")
    cs["juan_ra"] = co.open(f["juan_cocoa"], co.ra, 400)

    # Enrolments (one completed, written as stored: no service completes an enrolment).
    for key in ("ana", "carla", "elena", "diego", "gina"):
        co.enrol(co.program_a, m[key])
    ProgramEnrollmentFactory(program=co.program_a, member=m["ines"], status=ProgramEnrollment.Status.COMPLETED)
    for key in ("ana", "beto", "fabio", "hugo"):
        co.enrol(co.program_b, m[key])
    co.enrol(co.program_c, m["ines"])
    # Pia withdrew; an enrolment left active (as imported) must not count.
    co.enrol(co.program_a, m["pia"])
    member_withdraw(member=m["pia"], withdrawn_on=co.days_ago(30), reason="Retiro")
    ProgramEnrollmentFactory(program=co.program_b, member=m["pia"], status=ProgramEnrollment.Status.ACTIVE)

    # Loans of the named members, and three that were never disbursed.
    ls = co.loans
    ls["ana"] = co.disburse(m["ana"], co.flat, 200, program=co.program_a)
    ls["beto"] = co.disburse(m["beto"], co.flat, 100, quantity="12")
    co.repay(ls["beto"], co.instalments_due(ls["beto"], 3), days_ago=5)
    ls["carla"] = co.disburse(m["carla"], co.bullet, 35, quantity="6")
    ls["diego"] = co.disburse(m["diego"], co.flat, 200, program=co.program_a)
    ls["elena"] = co.disburse(m["elena"], co.tolerant, 130)
    co.repay(ls["elena"], co.instalments_due(ls["elena"], 3) - Decimal("10.00"), days_ago=20)
    ls["fabio"] = co.disburse(m["fabio"], co.flat, 70, program=co.program_b)
    ls["fabio_repayment"] = co.repay(ls["fabio"], co.instalments_due(ls["fabio"], 1), days_ago=38)
    ls["gina"] = co.disburse(m["gina"], co.declining, 400, quantity="15")
    co.repay(ls["gina"], Decimal("200.00"), days_ago=300)
    ls["hugo"] = co.disburse(m["hugo"], co.flat, 45, quantity="4")
    ls["ines"] = co.disburse(m["ines"], co.flat, 300)
    # Schedules paid in full, a penalty due exactly 30 days ago (not more than 30 days late: not in PAR30) or 31
    # days ago (late): owed after the last instalment, on its own date.
    for key, due_days_ago in (("lena", 30), ("omar", 31)):
        ls[key] = co.disburse(m[key], co.flat, 400)
        credit_services.loan_charge_add(
            loan=ls[key],
            kind="penalty",
            amount=Decimal("15.00"),
            due_on=co.days_ago(due_days_ago),
            occurred_on=co.days_ago(35),
            reason="Mora",
            recorded_by=co.maker,
        )
        co.repay(ls[key], co.instalments_due(ls[key], 6))
    submitted = credit_services.loan_create(
        member=m["ana"],
        product=co.flat,
        lines=[(co.item, Decimal("3"))],
        submitted_by=co.maker,
        submitted_on=co.days_ago(3),
    )
    approved = credit_services.loan_create(
        member=m["beto"],
        product=co.flat,
        lines=[(co.item, Decimal("2"))],
        submitted_by=co.maker,
        submitted_on=co.days_ago(3),
    )
    credit_services.loan_approve(loan=approved, approved_by=co.checker, approved_on=co.days_ago(2))
    rejected = credit_services.loan_create(
        member=m["carla"],
        product=co.flat,
        lines=[(co.item, Decimal("2"))],
        submitted_by=co.maker,
        submitted_on=co.days_ago(3),
    )
    credit_services.loan_reject(loan=rejected, rejected_by=co.checker, reason="Sin garantía")
    assert submitted.status == "submitted"

    # Visits: in the last 30 days (today and 29 days ago count), and outside them.
    for key, days_ago, purpose in [
        ("ana_cocoa", 0, "diagnosis"),
        ("ana_cocoa", 29, "training"),
        ("ana_cocoa", 30, "training"),
        ("beto_cocoa", 10, "follow_up"),
        ("diego_coffee", 5, "certification_prep"),
        ("elena_cocoa", 40, "credit_follow_up"),
    ]:
        FarmVisitFactory(farm=f[key], technician=co.technician, visited_on=co.days_ago(days_ago), purpose=purpose)

    generate(co, count=19)
    return co


def generate(co: Cooperative, *, count: int) -> None:
    """`count` more members with a fixed seed: one or two farms each (both crops, with or without a point, some
    declared, one in another region than its member), candidates under the standards, some loans repaid in
    part, some enrolments."""
    rng = random.Random(17)
    regions = [co.h, co.s, co.c]
    hectares = ["0.80", "1.25", "2.50", "3.75", "4.50", "6.00"]
    for n in range(count):
        home = regions[n % 3]
        status = Member.Status.INACTIVE if n in (4, 11) else Member.Status.ACTIVE
        member = MemberFactory(
            code=f"G-{n:03d}", region=home, gender=("female", "male", "other")[rng.randrange(3)], status=status
        )
        for k in range(1 + (n % 2)):
            crop = ("cocoa", "coffee")[(n + k) % 2]
            located = rng.random() < 0.7
            farm = FarmFactory(
                member=member,
                name=f"G-{n:03d}-{k}",
                crop=crop,
                region=co.s if (n, k) == (0, 0) else home,
                hectares=Decimal(rng.choice(hectares)),
                estimated_production_kg=Decimal(rng.randrange(200, 3000)) if rng.random() < 0.8 else None,
                latitude=Decimal("-9.295000") if located else None,
                longitude=Decimal("-75.995000") if located else None,
            )
            if rng.random() < 0.6:
                co.declare(farm, "coffee_cocoa_agroforestry" if rng.random() < 0.9 else "pasture")
            if status == Member.Status.ACTIVE:
                choice = rng.random()
                if choice < 0.35:
                    co.open(farm, co.ra, rng.randrange(20, 600))
                elif choice < 0.5 and crop == "coffee":
                    co.open(farm, co.cafe, rng.randrange(20, 600))
                elif choice < 0.65:
                    co.open(farm, co.organic, rng.randrange(20, 600))
        if status != Member.Status.ACTIVE:
            continue
        if rng.random() < 0.5:
            loan = co.disburse(member, rng.choice([co.flat, co.declining, co.tolerant]), rng.randrange(10, 330))
            if rng.random() < 0.6:
                co.repay(loan, Decimal(rng.randrange(50, 400)), days_ago=rng.randrange(0, 10))
        if home != co.c and rng.random() < 0.5:
            co.enrol(co.program_a if home == co.h else co.program_b, member)


# -- reading the figures the application shows ----------------------------------------------------------------
