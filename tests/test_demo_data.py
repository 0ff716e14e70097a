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
