"""Every figure of the dashboard, the summary report, program progress, the credit portfolio and EUDR readiness
equals the same figure recomputed in plain Python from the source rows (tests/reporting/source_figures.py), on a
generated cooperative, after each write of a scripted sequence that covers every kind of write the figures
depend on: repayments, harvest deductions, reversals, waivers, write-offs, fees and penalties, member
withdrawal, reinstatement, status and region changes, farm retirement, hectares and crop changes, certification
status changes and a new cycle after a closed one, geometry set and cleared, deforestation declarations,
enrolments and community projects. Every write goes through the application's services.

Readers compared after each write: reporting.selectors.dashboard_figures for a manager of Huánuco and San Martín
(Cusco is outside), the dashboard page's context, GET /api/v1/reports/summary/ for that manager and for a
partner's token, program progress (reporting.programs.program_progress and GET /api/v1/programs/<id>/progress/
for both clients), the portfolio (credit.selectors.portfolio_report on today and on a past date, the portfolio
page, portfolio_at_risk_report) and EUDR readiness (members.eudr.readiness). Mismatches are collected over the
whole sequence and reported together, each naming the step and the figure.
"""

import datetime
import random
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils.translation import gettext

from certifications.models import Certification
from certifications.services.certifications import (
    certification_change_status,
    certification_create,
    certification_expire_due,
    certification_import_history,
)
from cooperative.models import AllianceProgram, ProgramEnrollment, Region
from cooperative.selectors import regions_in_scope
from cooperative.services import api_token_create, community_project_create, staff_role_grant
from credit import services as credit_services
from credit.models import Loan, LoanTransaction
from credit.selectors import portfolio_at_risk_report, portfolio_report
from deliveries.services import delivery_record, delivery_reverse, delivery_settle
from members.eudr.geolocation import farm_declare_land_use, farm_set_geometry
from members.eudr.readiness import eudr_readiness, readiness_farms
from members.models import Farm, Member
from members.services import enrollment_create, farm_create, farm_update, member_create, member_update, member_withdraw
from reporting.programs import program_progress
from reporting.selectors import dashboard_figures
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
from tests.reporting.source_figures import PAR_DAYS, Source, ratio

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
MANAGER_REGIONS = ("Huánuco", "San Martín")
SHOWN_MISMATCHES = 60
# (days before today, grouping) of the portfolio report read after each write, in turn.
PORTFOLIO_READS = [(0, "product"), (30, "region"), (0, "program"), (30, "product"), (0, "region"), (30, "program")]


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


def dashboard_shape(figures) -> dict:
    return {
        "members_by_region": [(row.region, row.members) for row in figures.members_by_region],
        "members_by_gender": [(row.gender, row.members) for row in figures.members_by_gender],
        "crops": [
            {
                "crop": row.crop,
                "members": row.members,
                "farms": row.farms,
                "hectares": row.hectares,
                "production_kg": row.production_kg,
                "production_quintales": row.production_quintales,
                "production_export_bags": row.production_export_bags,
            }
            for row in figures.crops
        ],
        "certifications": [
            (row.standard_code, row.standard_name, row.status, row.farms) for row in figures.certifications
        ],
        "expiring_count": figures.expiring_count,
        "expiring": [certification.pk for certification in figures.expiring],
        "credit": {
            "active_loans": figures.credit.active_loans,
            "total_outstanding": figures.credit.total_outstanding,
            "principal_outstanding": figures.credit.principal_outstanding,
            "loans_over_30_days": figures.credit.loans_over_30_days,
            "par30": figures.credit.par30,
        },
        "programs": progress_shape(figures.programs),
        "visits": [(row.purpose, row.visits) for row in figures.visits_by_purpose],
    }


def progress_shape(rows) -> dict[str, tuple]:
    shape = {
        row.program.code: (
            row.enrolled_members,
            row.farmers_certified,
            row.target_farmers_certified,
            row.project_beneficiaries,
            row.target_beneficiaries,
        )
        for row in rows
    }
    assert len(shape) == len(rows), "a program is listed twice"
    return shape


def readiness_shape(readiness) -> dict:
    return {
        "total": (readiness.total, readiness.located, readiness.ready),
        "by_region": [(row.key, row.total, row.located, row.ready) for row in readiness.by_region],
        "by_program": [(row.key, row.total, row.located, row.ready) for row in readiness.by_program],
    }


def summary_shape(data: dict) -> dict:
    """The summary's figures, Decimal strings read back as Decimal."""
    credit = data["credit"]
    eudr = data["eudr"]
    return {
        "members": (
            data["members"]["total"],
            [(row["region"], row["members"]) for row in data["members"]["by_region"]],
            [(row["crop"], row["members"]) for row in data["members"]["by_crop"]],
            [(row["gender"], row["members"]) for row in data["members"]["by_gender"]],
        ),
        "farms": (
            data["farms"]["count"],
            Decimal(data["farms"]["hectares"]),
            [
                (
                    row["crop"],
                    row["farms"],
                    Decimal(row["hectares"]),
                    Decimal(row["production_kg"]),
                    None if row["production_quintales"] is None else Decimal(row["production_quintales"]),
                    None if row["production_export_bags"] is None else Decimal(row["production_export_bags"]),
                )
                for row in data["farms"]["by_crop"]
            ],
        ),
        "certifications": [
            (row["standard"], row["standard_name"], row["status"], row["farms"]) for row in data["certifications"]
        ],
        "credit": (
            credit["active_loans"],
            Decimal(credit["total_outstanding"]),
            Decimal(credit["principal_outstanding"]),
            credit["loans_over_30_days"],
            Decimal(credit["par30"]),
        ),
        "visits": (data["visits"]["count"], [(row["purpose"], row["visits"]) for row in data["visits"]["by_purpose"]]),
        "eudr": (
            (eudr["farms"], eudr["located"], eudr["ready"], eudr["ready_percent"]),
            [(row["region"], row["farms"], row["located"], row["ready"]) for row in eudr["by_region"]],
            [(row["program"], row["farms"], row["located"], row["ready"]) for row in eudr["by_program"]],
        ),
    }


def progress_api_shape(data: dict) -> tuple:
    return (
        data["enrolled"],
        data["farmers_certified"],
        data["target_farmers_certified"],
        data["project_beneficiaries"],
        data["target_beneficiaries"],
        data["beneficiaries"],
        data["certified_percent"],
        data["beneficiaries_percent"],
    )


def portfolio_shape(report) -> dict:
    shape = {
        row.label: (row.loans, row.principal_outstanding, row.total_outstanding, dict(row.at_risk))
        for row in report.rows
    }
    assert len(shape) == len(report.rows), "a group is listed twice"
    total = report.total
    shape["__total__"] = (total.loans, total.principal_outstanding, total.total_outstanding, dict(total.at_risk))
    shape["__par__"] = tuple(total.par(days) for days in PAR_DAYS)
    return shape


# -- the same figures from the source rows ---------------------------------------------------------------------


def expected_dashboard(src: Source, region_ids: set[int], as_of: datetime.date) -> dict:
    population = src.population(region_ids)
    return {
        **src.members_figures(population),
        **src.certification_figures(population, as_of),
        "credit": src.credit_figures(population, as_of),
        "programs": src.program_progress(src.programs_in_scope(region_ids), region_ids=region_ids, as_of=as_of),
        "visits": src.visits_by_purpose(population, as_of),
    }


def expected_summary(src: Source, population: set[int], program_ids: set[int], as_of: datetime.date) -> dict:
    members = src.members_figures(population)
    certifications = src.certification_figures(population, as_of)
    credit = src.credit_figures(population, as_of)
    eudr = src.eudr_readiness(population, program_ids)
    visits = src.visits_by_purpose(population, as_of)
    total, located, ready = eudr["total"]
    return {
        "members": (
            sum(count for _region, count in members["members_by_region"]),
            members["members_by_region"],
            [(row["crop"], row["members"]) for row in members["crops"]],
            members["members_by_gender"],
        ),
        "farms": (
            sum(row["farms"] for row in members["crops"]),
            sum((row["hectares"] for row in members["crops"]), Decimal("0.00")),
            [
                (
                    row["crop"],
                    row["farms"],
                    row["hectares"],
                    row["production_kg"],
                    row["production_quintales"] if row["crop"] == "coffee" else None,
                    row["production_export_bags"] if row["crop"] == "coffee" else None,
                )
                for row in members["crops"]
            ],
        ),
        "certifications": certifications["certifications"],
        "credit": tuple(credit.values()),
        "visits": (sum(count for _purpose, count in visits), visits),
        "eudr": (
            (total, located, ready, round(100 * ready / total) if total else None),
            eudr["by_region"],
            eudr["by_program"],
        ),
    }


def capped_percent(achieved: int, target: int) -> int | None:
    return None if target <= 0 else min(100, achieved * 100 // target)


def expected_progress_api(row: tuple) -> tuple:
    enrolled, certified, target_certified, projects, target_beneficiaries = row
    beneficiaries = enrolled + projects
    return (
        *row,
        beneficiaries,
        capped_percent(certified, target_certified),
        capped_percent(beneficiaries, target_beneficiaries),
    )


def expected_portfolio(src: Source, *, as_of: datetime.date, region_ids: set[int], group_by: str) -> dict:
    groups = src.portfolio(as_of=as_of, region_ids=region_ids, group_by=group_by)
    if None in groups:
        groups[gettext("No program")] = groups.pop(None)
    principal, at_risk = groups["__total__"][1], groups["__total__"][3]
    groups["__par__"] = tuple(ratio(at_risk[days], principal) for days in PAR_DAYS)
    return groups


# -- the check after each write ---------------------------------------------------------------------------------


class Checker:
    """Called after each write with the step's name: reads every figure the application shows, recomputes it
    from the source rows, and records each difference (step, figure, shown, expected) in `mismatches`."""

    def __init__(self, co: Cooperative, manager_client: Client, partner_client: Client) -> None:
        self.co = co
        self.manager_client = manager_client
        self.partner_client = partner_client
        self.manager = manager_client.user
        self.manager_region_ids = set(Region.objects.filter(name__in=MANAGER_REGIONS).values_list("pk", flat=True))
        self.all_region_ids = set(Region.objects.values_list("pk", flat=True))
        self.mismatches: list[str] = []
        self.steps = 0

    def compare(self, step: str, figure: str, actual, expected) -> None:
        if isinstance(actual, dict) and isinstance(expected, dict):
            for key in sorted(set(actual) | set(expected), key=str):
                self.compare(step, f"{figure}.{key}", actual.get(key, "<missing>"), expected.get(key, "<missing>"))
            return
        if actual != expected:
            self.mismatches.append(f"[{step}] {figure}: shown {actual!r}, source rows give {expected!r}")

    def get(self, step: str, client: Client, url: str, **params):
        response = client.get(url, params)
        if response.status_code != 200:
            self.mismatches.append(f"[{step}] GET {url}: status {response.status_code}")
            return None
        return response

    def __call__(self, step: str) -> None:
        self.steps += 1
        cache.clear()  # the API's throttle counters: the sequence makes more requests than a minute's rate
        today = self.co.today
        past = today - 30 * DAY
        src = Source.load()
        manager_ids = self.manager_region_ids
        manager_regions = regions_in_scope(self.manager)
        dashboard = expected_dashboard(src, manager_ids, today)
        dashboard_eudr = src.eudr_readiness(src.population(manager_ids), src.programs_in_scope(manager_ids))

        # The dashboard's selector and page.
        figures = dashboard_figures(regions=manager_regions, as_of=today)
        self.compare(step, "dashboard_figures", dashboard_shape(figures), dashboard)
        response = self.get(step, self.manager_client, "/")
        if response is not None:
            self.compare(step, "dashboard page figures", dashboard_shape(response.context["figures"]), dashboard)
            self.compare(
                step, "dashboard page EUDR", readiness_shape(response.context["eudr_readiness"]), dashboard_eudr
            )
            charts = response.context["charts"]
            self.compare(
                step,
                "dashboard chart members by region",
                list(
                    zip(
                        charts["members_by_region"]["labels"],
                        charts["members_by_region"]["datasets"][0]["data"],
                        strict=True,
                    )
                ),
                dashboard["members_by_region"],
            )
        everything = eudr_readiness(farms_queryset=readiness_farms(regions=Region.objects.all()))
        self.compare(
            step, "eudr_readiness (all)", readiness_shape(everything), src.eudr_readiness(set(src.members), None)
        )

        # The summary report, for the manager and for the partner's token.
        response = self.get(step, self.manager_client, "/api/v1/reports/summary/")
        if response is not None:
            expected = expected_summary(src, src.population(manager_ids), src.programs_in_scope(manager_ids), today)
            self.compare(step, "summary (manager)", summary_shape(response.json()), expected)
        partner = self.co.partner_a
        partner_population = src.population(self.all_region_ids, src.partner_members(partner.pk))
        response = self.get(step, self.partner_client, "/api/v1/reports/summary/")
        if response is not None:
            expected = expected_summary(src, partner_population, src.partner_programs(partner.pk), today)
            self.compare(step, "summary (partner)", summary_shape(response.json()), expected)

        # Program progress: the selector over every program, the API for each client's programs.
        self.compare(
            step,
            "program_progress (all)",
            progress_shape(program_progress(AllianceProgram.objects.all(), as_of=today)),
            src.program_progress(set(src.programs), as_of=today),
        )
        in_scope = src.program_progress(src.programs_in_scope(manager_ids), region_ids=manager_ids, as_of=today)
        for code, row in in_scope.items():
            program = AllianceProgram.objects.get(code=code)
            response = self.get(step, self.manager_client, f"/api/v1/programs/{program.pk}/progress/")
            if response is not None:
                self.compare(
                    step,
                    f"progress API {code} (manager)",
                    progress_api_shape(response.json()),
                    expected_progress_api(row),
                )
        for code, row in src.program_progress(src.partner_programs(partner.pk), as_of=today).items():
            program = AllianceProgram.objects.get(code=code)
            response = self.get(step, self.partner_client, f"/api/v1/programs/{program.pk}/progress/")
            if response is not None:
                self.compare(
                    step,
                    f"progress API {code} (partner)",
                    progress_api_shape(response.json()),
                    expected_progress_api(row),
                )

        # The portfolio: the page on today's report (by region) or on 30 days ago (by program), in turn, and the
        # selector by each grouping and date in turn (the sequence covers every combination several times), PAR
        # over every active loan.
        page_params, page_as_of, page_group_by = [
            ({}, today, "region"),
            ({"as_of": past.isoformat(), "group_by": "program"}, past, "program"),
        ][self.steps % 2]
        response = self.get(step, self.manager_client, "/credit/portfolio/", **page_params)
        if response is not None:
            self.compare(
                step,
                f"portfolio page ({page_as_of}, {page_group_by})",
                portfolio_shape(response.context["report"]),
                expected_portfolio(src, as_of=page_as_of, region_ids=manager_ids, group_by=page_group_by),
            )
        as_of, group_by = PORTFOLIO_READS[self.steps % len(PORTFOLIO_READS)]
        as_of = today - as_of * DAY
        self.compare(
            step,
            f"portfolio_report({as_of}, {group_by})",
            portfolio_shape(portfolio_report(as_of=as_of, regions=manager_regions, group_by=group_by)),
            expected_portfolio(src, as_of=as_of, region_ids=manager_ids, group_by=group_by),
        )
        self.compare(step, "portfolio_at_risk_report", portfolio_at_risk_report(today), src.par_report(today))

    def report(self) -> str:
        shown = self.mismatches[:SHOWN_MISMATCHES]
        more = len(self.mismatches) - len(shown)
        return "\n".join([*shown, *([f"... and {more} more"] if more > 0 else [])])


# -- the scripted writes -----------------------------------------------------------------------------------------


def scripted_writes(co: Cooperative) -> list[tuple[str, Callable[[], object]]]:
    """(name, write) in order; each write goes through the application's services."""
    m, f, ls, cs = co.members, co.farms, co.loans, co.certifications
    today = co.today
    state: dict = {}

    def settle_delivery():
        state["delivery"] = delivery = delivery_record(
            member=m["beto"],
            farm=f["beto_cocoa"],
            delivered_on=today,
            product_state="dry_beans",
            quantity=Decimal("100.00"),
            unit="kg",
            price_per_kg=Decimal("8.50"),
            received_by=co.maker,
        )
        delivery_settle(delivery=delivery, paid_on=today, settled_by=co.maker)

    def penalty_on_paid_instalment():
        first = ls["beto"].instalments.order_by("due_on", "number").first()
        # Owed with the second instalment (paid in full): it makes that instalment unpaid, so late.
        credit_services.loan_charge_add(
            loan=ls["beto"],
            kind="penalty",
            amount=Decimal("20.00"),
            due_on=first.due_on + DAY,
            reason="Mora",
            recorded_by=co.maker,
        )

    def fee_after_last_instalment():
        state["fee"] = credit_services.loan_charge_add(
            loan=ls["carla"],
            kind="fee",
            amount=Decimal("12.50"),
            due_on=today + 400 * DAY,
            reason="Gasto administrativo",
            recorded_by=co.maker,
        )

    def write_off():
        state["write_off"] = credit_services.loan_write_off(
            loan=ls["gina"], recorded_by=co.checker, occurred_on=today, reason="Incobrable"
        )

    def repay_in_full():
        # What the ledger says is owed, from the source rows: the repayment that settles the loan.
        outstanding = Source.load().balance(Loan.objects.get(pk=ls["ines"].pk))["total_outstanding"]
        state["ines_full"] = co.repay(ls["ines"], outstanding)

    def reverse(key: str):
        def write():
            transaction = state[key] if key in state else ls[key]
            credit_services.loan_reverse(
                transaction=LoanTransaction.objects.get(pk=transaction.pk),
                recorded_by=co.checker,
                occurred_on=today,
                reason="Registrado por error",
            )

        return write

    def new_member_with_farm():
        member = member_create(
            code="N-new",
            first_names="Nora",
            last_names="Quispe",
            gender="female",
            region=co.s,
            joined_on=today,
        )
        state["nora"] = member
        state["nora_farm"] = farm_create(
            member=member, name="Nueva", hectares=Decimal("1.10"), crop="coffee", estimated_production_kg=Decimal("410")
        )

    def current(key: str):
        return Certification.objects.get(pk=cs[key].pk)

    return [
        ("cash repayment on Ana's late loan", lambda: co.repay(ls["ana"], Decimal("150.00"))),
        ("harvest deduction by settling Beto's delivery", settle_delivery),
        ("reversal of Fabio's repayment of 38 days ago", reverse("fabio_repayment")),
        (
            "Beto's delivery reversed (its harvest deduction too)",
            lambda: delivery_reverse(
                delivery=state["delivery"], reversed_on=today, reason="Peso mal registrado", reversed_by=co.maker
            ),
        ),
        (
            "harvest deduction recorded directly on Beto's loan",
            lambda: co.repay(ls["beto"], Decimal("80.00"), kind="harvest_deduction"),
        ),
        (
            "waiver of interest on Elena's loan",
            lambda: credit_services.loan_waive(
                loan=ls["elena"],
                component="interest",
                amount=Decimal("5.00"),
                occurred_on=today,
                recorded_by=co.checker,
                reason="Campaña",
            ),
        ),
        ("penalty on Beto's paid second instalment", penalty_on_paid_instalment),
        ("fee on Carla's bullet loan due after its instalment", fee_after_last_instalment),
        (
            "reversal of that fee",
            lambda: credit_services.loan_charge_reverse(
                charge=state["fee"], recorded_by=co.checker, occurred_on=today, reason="Cobrado por error"
            ),
        ),
        ("write-off of Gina's loan", write_off),
        ("reversal of the write-off", reverse("write_off")),
        ("Ines repays her loan in full (closed)", repay_in_full),
        (
            "Elena withdraws from the cooperative",
            lambda: member_withdraw(member=m["elena"], withdrawn_on=today, reason="Se mudó", decided_by=co.checker),
        ),
        ("Elena is reinstated (member edit)", lambda: member_update(member=m["elena"], status=Member.Status.ACTIVE)),
        ("Hugo becomes inactive", lambda: member_update(member=m["hugo"], status=Member.Status.INACTIVE)),
        ("Juan becomes active again", lambda: member_update(member=m["juan"], status=Member.Status.ACTIVE)),
        ("Diego moves from Cusco to San Martín", lambda: member_update(member=m["diego"], region=co.s)),
        ("Fabio's overlapping farm is retired", lambda: farm_update(farm=f["fabio_cocoa"], status=Farm.Status.RETIRED)),
        ("Diego's certified farm is retired", lambda: farm_update(farm=f["diego_coffee"], status=Farm.Status.RETIRED)),
        (
            "Carla's hectares corrected to the boundary's",
            lambda: farm_update(farm=f["carla_cocoa"], hectares=Decimal("3.00")),
        ),
        (
            "Elena's coffee shrinks to 3.50 ha (a point is enough)",
            lambda: farm_update(farm=f["elena_coffee"], hectares=Decimal("3.50")),
        ),
        (
            "Karen's cocoa farm turns to coffee",
            lambda: farm_update(farm=f["karen_cocoa"], crop="coffee", previous_crop="cocoa", crop_changed_on=today),
        ),
        ("Karen's suspended RA certificate reinstated", lambda: co.change(current("karen_ra"), "certified", 0)),
        ("Ana's RA certificate withdrawn", lambda: co.change(current("ana_ra"), "withdrawn", 0)),
        (
            "new RA cycle for Ana's cocoa after the closed one",
            lambda: cs.__setitem__("ana_ra_2", co.open(f["ana_cocoa"], co.ra, 0)),
        ),
        (
            "lapsed certificates expire (Beto's RA)",
            lambda: certification_expire_due(as_of=today, decided_by=co.checker),
        ),
        (
            "Hugo's organic conversion reaches C2",
            lambda: co.change(current("hugo_organic"), "in_conversion", 0, conversion_stage="c2"),
        ),
        (
            "Karen's coffee certified under C.A.F.E. Practices, expiring in 30 days",
            lambda: co.certify(current("karen_cafe"), 0, number="CP-KAREN", valid_until=today + 30 * DAY),
        ),
        ("Ines's RA candidate excluded (Cusco)", lambda: co.change(current("ines_ra"), "excluded", 0)),
        (
            "certificate history imported on Juan's farm, which has an open candidate (the open one stays current)",
            lambda: co.history(f["juan_cocoa"], co.ra, from_days_ago=350, until_days_ago=20, number="RA-HIST-JUAN"),
        ),
        (
            "older certificate history imported on Gina's farm (the later withdrawal stays current)",
            lambda: co.history(f["gina_cocoa"], co.ra, from_days_ago=3000, until_days_ago=2500, number="RA-HIST-GINA"),
        ),
        (
            "boundary recorded on Ana's coffee, overlapping Beto's farm",
            lambda: co.geometry(f["ana_coffee"], eudr_square(-75.8995, -9.2995, 1.0)),
        ),
        ("Beto declares his farm deforestation-free (still overlapped)", lambda: co.declare(f["beto_cocoa"])),
        (
            "a point replaces Ana's coffee boundary (the overlap ends)",
            lambda: co.geometry(
                f["ana_coffee"], {"type": "Point", "coordinates": [Decimal("-75.699000"), Decimal("-9.299000")]}
            ),
        ),
        (
            "a point replaces Gina's 6 ha boundary",
            lambda: co.geometry(
                f["gina_cocoa"], {"type": "Point", "coordinates": [Decimal("-75.749000"), Decimal("-9.299000")]}
            ),
        ),
        ("Ana's cocoa point cleared", lambda: farm_update(farm=f["ana_cocoa"], latitude=None, longitude=None)),
        ("Carla's declaration replaced: forest in 2020", lambda: co.declare(f["carla_cocoa"], "forest")),
        ("Karen enrolled in program PB", lambda: co.enrol(co.program_b, m["karen"])),
        ("Juan enrolled in program PA", lambda: co.enrol(co.program_a, m["juan"])),
        (
            "community project added to PB in San Martín",
            lambda: community_project_create(name="Almacén", region=co.s, beneficiaries=25, program=co.program_b),
        ),
        ("new member registered with a farm", new_member_with_farm),
        (
            "loan disbursed to the new member",
            lambda: state.__setitem__("nora_loan", co.disburse(state["nora"], co.flat, 0)),
        ),
        ("reversal of Ines's full repayment (loan reopened)", reverse("ines_full")),
        (
            "Karen withdraws (open certifications withdrawn)",
            lambda: member_withdraw(member=m["karen"], withdrawn_on=today, reason="Retiro voluntario"),
        ),
    ]


def test_every_figure_equals_the_source_rows_after_every_kind_of_write(client, today):
    co = build(today)
    manager = UserFactory(username="gerente")
    staff_role_grant(user=manager, role="manager", regions=Region.objects.filter(name__in=MANAGER_REGIONS))
    client.force_login(manager)
    client.user = manager
    _token, plain = api_token_create(partner=co.partner_a, name="Power BI", created_by=None)
    partner_client = Client(headers={"Authorization": f"Bearer {plain}", "Accept-Language": "en"})
    check = Checker(co, client, partner_client)
    # The threshold cases the dataset is built to hold: exactly 30 days past due (not late) and 31 (late).
    source = Source.load()
    assert [source.days_past_due(Loan.objects.get(pk=co.loans[key].pk), today) for key in ("lena", "omar")] == [30, 31]

    check("the generated dataset")
    for name, write in scripted_writes(co):
        write()
        check(f"after: {name}")

    assert check.steps > 30
    assert not check.mismatches, f"{len(check.mismatches)} figures differ from the source rows:\n{check.report()}"
