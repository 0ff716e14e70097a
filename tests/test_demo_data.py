"""Tests on the demo cooperative. It takes about a minute to build, so it is built once for this module
(the `demo_data` fixture) and every test that needs it lives here.
"""

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db.models import Sum

from certifications.models import Certification, CertificationStatus
from cooperative.demo import DEMO_PASSWORD
from cooperative.models import AllianceProgram, CommunityProject, StaffRole
from credit.models import InputItem, Loan, LoanTransaction
from credit.selectors import loans_with_outstanding
from members.models import Farm, FarmVisit, Member


def row_counts() -> dict[str, int]:
    """Rows in every table of the project's apps, audit history tables included."""
    return {
        model._meta.label: model._default_manager.count()
        for app_label in ("auth", "cooperative", "members", "certifications", "credit")
        for model in apps.get_app_config(app_label).get_models()
    }


@pytest.mark.django_db
def test_load_demo_matches_the_case_study_and_a_second_run_changes_nothing(demo_data, client):
    counts = row_counts()

    second_output = StringIO()
    call_command("load_demo", stdout=second_output)

    assert row_counts() == counts
    assert "no se cambió nada" in second_output.getvalue()

    # 700+ active coffee members in Cusco and Junín, 3,000+ ha, 26,800 export bags of 69 kg.
    coffee_members = Member.objects.filter(
        status=Member.Status.ACTIVE, region__name__in=["Cusco", "Junín"], farms__crop="coffee"
    ).distinct()
    assert coffee_members.count() >= 700
    coffee = Farm.objects.filter(crop="coffee", region__name__in=["Cusco", "Junín"])
    totals = coffee.aggregate(hectares=Sum("hectares"), kg=Sum("estimated_production_kg"))
    assert totals["hectares"] > Decimal("3000")
    assert totals["kg"] == Decimal(26_800 * 69)

    # 400+ cocoa members in San Martín and Huánuco.
    cocoa_members = Member.objects.filter(region__name__in=["San Martín", "Huánuco"], farms__crop="cocoa").distinct()
    assert cocoa_members.count() >= 400

    # Certifications in all four standards; UTZ only as expired history, ended before the RA transition.
    by_standard = {
        code: set(Certification.objects.filter(standard__code=code).values_list("status", flat=True))
        for code in ("organic", "rainforest_alliance", "cafe_practices", "utz")
    }
    assert CertificationStatus.CERTIFIED in by_standard["organic"]
    assert CertificationStatus.IN_CONVERSION in by_standard["organic"]
    assert CertificationStatus.CERTIFIED in by_standard["rainforest_alliance"]
    assert CertificationStatus.CERTIFIED in by_standard["cafe_practices"]
    assert by_standard["utz"] == {CertificationStatus.EXPIRED}
    assert not Certification.objects.filter(standard__code="utz", valid_until__gt=datetime.date(2023, 6, 30)).exists()
    assert not Certification.objects.filter(standard__code="cafe_practices", farm__crop="cocoa").exists()

    # The Lutheran World Relief alliance: February 2012, Huánuco, 500 cocoa farmers certified, 1,000 beneficiaries.
    lwr = AllianceProgram.objects.get(partner__name="Lutheran World Relief")
    assert (lwr.starts_on.year, lwr.starts_on.month) == (2012, 2)
    assert list(lwr.regions.values_list("name", flat=True)) == ["Huánuco"]
    assert set(lwr.standards.values_list("code", flat=True)) == {"utz", "rainforest_alliance"}
    assert (lwr.crops, lwr.target_farmers_certified, lwr.target_beneficiaries) == (["cocoa"], 500, 1000)

    # ECOM Peru - SMS: 400 cocoa farmers, and its school for 200 children.
    ecom = AllianceProgram.objects.get(code="ECOM-SMS")
    assert ecom.enrollments.count() == 400
    assert not ecom.enrollments.exclude(member__farms__crop="cocoa").exists()
    school = CommunityProject.objects.get(community="Juan Velasco Alvarado")
    assert (school.beneficiaries, school.program) == (200, ecom)

    # Teodoro Espiritu Lino: six hectares of cocoa, coca until 2013.
    teodoro = Farm.objects.get(member__last_names="Espiritu Lino")
    assert (teodoro.hectares, teodoro.crop, teodoro.previous_crop) == (Decimal("6.00"), "cocoa", "coca")
    assert teodoro.crop_changed_on.year == 2013
    assert teodoro.member.loans.exists()

    # Loans for fertilizer and post-harvest modules, with repayments; balances never negative.
    kinds = set(Loan.objects.values_list("lines__item__kind", flat=True))
    assert {InputItem.Kind.FERTILIZER, InputItem.Kind.SOLAR_DRYER, InputItem.Kind.FERMENTATION_BOX} <= kinds
    assert LoanTransaction.objects.filter(kind__in=["repayment", "harvest_deduction"]).count() > 100
    assert Loan.objects.filter(status="closed").exists()
    assert Loan.objects.filter(status="active").exists()
    assert not loans_with_outstanding().filter(principal_outstanding__lt=0).exists()

    assert FarmVisit.objects.count() >= 500

    # One demo user per role, printed with the password, and the login works.
    printed = demo_data
    for role in StaffRole.Role:
        user = StaffRole.objects.get(role=role).user
        assert user.username in printed
        assert client.login(username=user.username, password=DEMO_PASSWORD)
    assert DEMO_PASSWORD in printed
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_every_dashboard_figure_equals_a_direct_count_on_the_demo(demo_data, client):
    from collections import Counter
    from decimal import ROUND_HALF_UP

    from django.utils import timezone

    from certifications.selectors import HOLDING_CERTIFICATE, farm_current_certifications
    from cooperative.selectors import dashboard_figures, regions_in_scope
    from credit.selectors import days_past_due, loan_balance
    from members.models import Gender

    manager = StaffRole.objects.get(role=StaffRole.Role.MANAGER).user  # covers every region
    today = timezone.localdate()
    figures = dashboard_figures(regions=regions_in_scope(manager), as_of=today)
    cents, day = Decimal("0.01"), datetime.timedelta(days=1)

    # Members: counted one by one in Python.
    active = [member for member in Member.objects.select_related("region") if member.status == Member.Status.ACTIVE]
    assert {row.region: row.members for row in figures.members_by_region} == Counter(m.region.name for m in active)
    assert figures.active_members == len(active) > 1000
    assert {row.gender: row.members for row in figures.members_by_gender} == {
        gender: sum(1 for m in active if m.gender == gender) for gender in Gender.values
    }

    # Active farms of active members, per crop: members, farms, hectares, production in three units.
    farms = [
        farm
        for farm in Farm.objects.select_related("member")
        if farm.status == Farm.Status.ACTIVE and farm.member.status == Member.Status.ACTIVE
    ]
    for row in figures.crops:
        crop_farms = [farm for farm in farms if farm.crop == row.crop]
        kilograms = sum((farm.estimated_production_kg or Decimal(0) for farm in crop_farms), Decimal(0))
        assert row.members == len({farm.member_id for farm in crop_farms})
        assert row.farms == len(crop_farms)
        assert row.hectares == sum(farm.hectares for farm in crop_farms)
        assert row.production_kg == kilograms
        assert row.production_quintales == (kilograms / 46).quantize(cents, rounding=ROUND_HALF_UP)
        assert row.production_export_bags == (kilograms / 69).quantize(cents, rounding=ROUND_HALF_UP)
    assert figures.crops[0].production_export_bags == Decimal("26800.00")  # the case study's coffee

    # Certifications: each farm's current certification per standard, as the farm's own page decides it.
    current = Counter()
    for farm in Farm.objects.filter(certifications__isnull=False).distinct():
        for code, certification in farm_current_certifications(farm=farm).items():
            current[(code, certification.status)] += 1
    assert {(row.standard_code, row.status): row.farms for row in figures.certifications} == current
    window = sorted(
        (
            c
            for c in Certification.objects.all()
            if c.status in HOLDING_CERTIFICATE and c.valid_until and today <= c.valid_until <= today + 60 * day
        ),
        key=lambda c: (c.valid_until, c.pk),
    )
    assert figures.expiring_count == len(window)
    assert figures.expiring == window[:10]

    # Credit: each active loan's balance and days past due, one loan at a time.
    loans = list(Loan.objects.filter(status="active"))
    balances = {loan.pk: loan_balance(loan) for loan in loans}
    late = [loan for loan in loans if days_past_due(loan, today) > 30]
    principal = sum(balance.principal_outstanding for balance in balances.values())
    assert figures.credit.active_loans == len(loans) > 0
    assert figures.credit.total_outstanding == sum(balance.total_outstanding for balance in balances.values())
    assert figures.credit.principal_outstanding == principal
    assert figures.credit.loans_over_30_days == len(late) > 0
    late_principal = sum(balances[loan.pk].principal_outstanding for loan in late)
    assert figures.credit.par30 == (late_principal / principal).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)

    # Visits of the last 30 days, today included.
    recent = [visit for visit in FarmVisit.objects.all() if today - 30 * day < visit.visited_on <= today]
    assert {row.purpose: row.visits for row in figures.visits_by_purpose} == {
        purpose: sum(1 for visit in recent if visit.purpose == purpose) for purpose in FarmVisit.Purpose.values
    }

    # Programs: active enrolments, those certified under a targeted standard, plus project beneficiaries.
    assert {row.program.code for row in figures.programs} == set(AllianceProgram.objects.values_list("code", flat=True))
    for row in figures.programs:
        program = row.program
        enrolled = set(program.enrollments.filter(status="active").values_list("member_id", flat=True))
        certified_members = set(
            Certification.objects.filter(status="certified", standard__in=program.standards.all()).values_list(
                "farm__member_id", flat=True
            )
        )
        projects = sum(project.beneficiaries for project in CommunityProject.objects.filter(program=program))
        assert row.enrolled_members == len(enrolled)
        assert row.farmers_certified == len(enrolled & certified_members) > 0
        assert row.beneficiaries == len(enrolled) + projects
        assert (row.target_farmers_certified, row.target_beneficiaries) == (
            program.target_farmers_certified,
            program.target_beneficiaries,
        )

    # The page shows the same figures to the demo manager.
    client.force_login(manager)
    response = client.get("/")
    assert response.status_code == 200
    assert response.context["figures"] == figures
