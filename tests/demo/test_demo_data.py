"""Tests on the demo cooperative. It takes about a minute to build, so it is built once for this module
(the `demo_data` fixture of tests/demo/conftest.py) and every test that needs it lives here.
"""

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db.models import Sum
from django.test import Client

from certifications.models import Certification, CertificationStatus
from cooperative.models import AllianceProgram, CommunityProject, StaffRole
from credit.models import InputItem, Loan, LoanTransaction
from credit.selectors import loans_with_outstanding
from demo.constants import DEMO_PASSWORD
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
        browser = Client()
        log_in(browser, user.username)
        # The admin is the managers' tool; the other roles work on the staff pages.
        assert browser.get("/admin/").status_code == (200 if role == StaffRole.Role.MANAGER else 302)
    assert DEMO_PASSWORD in printed


def log_in(client, username: str) -> None:
    """Log in through the login page, as a person does (the lockout backend wants the request)."""
    response = client.post("/accounts/login/", {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]


@pytest.mark.django_db
def test_every_dashboard_figure_equals_a_direct_count_on_the_demo(demo_data, client):
    from collections import Counter
    from decimal import ROUND_HALF_UP

    from django.utils import timezone

    from certifications.selectors.certifications import HOLDING_CERTIFICATE, farm_current_certifications
    from cooperative.selectors import regions_in_scope
    from credit.selectors import days_past_due, loan_balance
    from members.models import Gender
    from reporting.selectors import dashboard_figures

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


# -- Internal Control System ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_demo_ics_records_follow_the_rules_of_the_services(demo_data):
    from collections import defaultdict

    from certifications.models import (
        OPEN_STATUSES,
        CafeVerification,
        GroupCertificate,
        Inspection,
        InspectionAnswer,
        NonConformity,
        Requirement,
        Sanction,
    )
    from certifications.selectors.reports import group_certificates_expiring
    from demo.constants import DEMO_DATE

    # Each inspection answers every requirement of the checklists in use for its standards, under which the
    # farm has an open certification; the inspector covers the member's region.
    checklist = defaultdict(set)
    for requirement in Requirement.objects.filter(checklist__active=True).select_related("checklist"):
        checklist[requirement.checklist.standard_id].add(requirement.pk)
    open_under = defaultdict(set)
    for certification in Certification.objects.filter(status__in=OPEN_STATUSES):
        open_under[certification.farm_id].add(certification.standard_id)
    answered = defaultdict(set)
    for inspection_id, requirement_id in InspectionAnswer.objects.values_list("inspection_id", "requirement_id"):
        answered[inspection_id].add(requirement_id)
    inspections = list(Inspection.objects.select_related("farm__member__region").prefetch_related("standards"))
    assert len(inspections) > 900
    for inspection in inspections:
        standards = {standard.pk for standard in inspection.standards.all()}
        assert standards and standards <= open_under[inspection.farm_id]
        assert answered[inspection.pk] == set().union(*(checklist[pk] for pk in standards))
        if inspection.inspector.username == "tecnico":
            assert inspection.farm.member.region.name in {"Huánuco", "San Martín"}

    # A non-conformity per non-compliant answer, severity critical exactly on critical requirements, never
    # open and critical on a certified certification; a closed one verified by someone else, after the fact.
    non_conformities = list(NonConformity.objects.select_related("answer", "inspection", "requirement"))
    assert len(non_conformities) == InspectionAnswer.objects.filter(answer="non_compliant").count() > 100
    certified = set(Certification.objects.filter(status="certified").values_list("farm_id", "standard_id").distinct())
    for nc in non_conformities:
        assert nc.answer.answer == "non_compliant" and nc.answer.inspection_id == nc.inspection_id
        assert (nc.severity == "critical") == nc.requirement.critical
        assert nc.deadline >= nc.inspection.inspected_on
        if nc.closed_on:
            assert nc.inspection.inspected_on <= nc.closed_on and nc.verified_by_id != nc.inspection.inspector_id
        elif nc.severity == "critical":
            assert (nc.farm_id, nc.standard_id) not in certified
        assert nc.inspection.recommendation != "approve"
    severities = {nc.severity for nc in non_conformities}
    assert severities == {"minor", "major", "critical"}
    overdue = [nc for nc in non_conformities if nc.closed_on is None and nc.deadline < DEMO_DATE]
    assert 0 < len(overdue) < len(non_conformities) / 5

    # A sales block made the certification sanctioned through its event; a warning in force, one ended.
    block = Sanction.objects.select_related("certification", "event").get(kind="sales_block")
    assert block.certification.status == CertificationStatus.SANCTIONED
    assert (block.event.to_status, block.event.occurred_on) == ("sanctioned", block.starts_on)
    warnings = Sanction.objects.filter(kind="warning")
    assert warnings.count() == 2 and not warnings.filter(event__isnull=False).exists()

    # C.A.F.E. Practices verifications on coffee farms only, every tier; group certificates, one expiring.
    assert not CafeVerification.objects.exclude(certification__farm__crop="coffee").exists()
    assert set(CafeVerification.objects.values_list("tier", flat=True)) == {
        "strategic",
        "preferred",
        "verified",
        "blocked",
    }
    assert set(GroupCertificate.objects.values_list("standard__code", flat=True)) == {
        "organic",
        "rainforest_alliance",
        "cafe_practices",
    }
    expiring = group_certificates_expiring(as_of=DEMO_DATE)
    assert [(w.certificate.number, w.expired) for w in expiring] == [("CU-ORG-855123", False)]


@pytest.mark.django_db
def test_the_ics_coverage_equals_a_direct_count_on_the_demo(demo_data):
    from collections import Counter, defaultdict

    from django.utils import timezone

    from certifications.models import Inspection
    from certifications.selectors.reports import ics_coverage
    from cooperative.models import Region

    today = timezone.localdate()
    try:
        year_ago = today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        year_ago = today.replace(year=today.year - 1, day=28)
    coverage = ics_coverage(regions=Region.objects.all(), as_of=today)

    inspected_on = defaultdict(list)
    for inspection in Inspection.objects.prefetch_related("standards"):
        for standard in inspection.standards.all():
            inspected_on[(inspection.farm_id, standard.pk)].append(inspection.inspected_on)
    farms, inspected = Counter(), Counter()
    for certification in Certification.objects.select_related("farm__member__region", "standard"):
        farm = certification.farm
        if certification.status not in ("candidate", "in_conversion", "certified"):
            continue
        if farm.status != Farm.Status.ACTIVE or farm.member.status != Member.Status.ACTIVE:
            continue
        key = (certification.standard.code, farm.member.region.name)
        farms[key] += 1
        if any(year_ago < day <= today for day in inspected_on[(farm.pk, certification.standard_id)]):
            inspected[key] += 1

    assert {
        (row.standard_code, row.region): (row.farms, row.inspected)
        for standard in coverage.standards
        for row in standard.regions
    } == {key: (farms[key], inspected[key]) for key in farms}
    for standard in coverage.standards:
        assert standard.farms == sum(
            count for (code, _region), count in farms.items() if code == standard.standard_code
        )
        assert 0 < standard.inspected < standard.farms  # most farms inspected, not all


@pytest.mark.django_db
def test_program_progress_farmers_certified_equals_a_direct_count_on_the_demo(demo_data):
    from django.utils import timezone

    from cooperative.models import ProgramEnrollment
    from reporting.programs import program_progress

    today = timezone.localdate()
    progress = program_progress(AllianceProgram.objects.all(), as_of=today)

    assert len(progress) == AllianceProgram.objects.count()
    for row in progress:
        targeted = set(row.program.standards.values_list("pk", flat=True))
        certified = set()
        enrolments = ProgramEnrollment.objects.filter(program=row.program).select_related("member")
        for enrolment in enrolments.prefetch_related("member__farms__certifications"):
            member = enrolment.member
            if enrolment.status != "active" or member.status == Member.Status.WITHDRAWN:
                continue
            for farm in member.farms.all():
                if farm.status != Farm.Status.ACTIVE:
                    continue
                for certification in farm.certifications.all():
                    if (
                        certification.standard_id in targeted
                        and certification.status == CertificationStatus.CERTIFIED
                        and (certification.valid_until is None or certification.valid_until >= today)
                    ):
                        certified.add(member.pk)
        assert row.farmers_certified == len(certified) > 0


@pytest.mark.django_db
def test_the_audit_pack_of_the_demo_has_a_row_per_certified_farm_matching_direct_counts(demo_data, client):
    import io

    import openpyxl
    from django.urls import reverse
    from django.utils import timezone

    from certifications.models import NonConformity, Sanction
    from certifications.selectors.certifications import farm_current_certifications

    manager = StaffRole.objects.get(role=StaffRole.Role.MANAGER).user  # every region
    client.force_login(manager)
    response = client.get(reverse("ics_audit_pack"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    header, *rows = list(workbook.active.iter_rows(values_only=True))
    standards = ["Organic", "Rainforest Alliance", "C.A.F.E. Practices", "UTZ Certified"]
    assert list(header) == [
        "Member code",
        "Member",
        "DNI",
        "Farm",
        "Region",
        "District",
        "Community",
        "Hectares",
        "Crop",
        "Estimated production (kg)",
        "Organic status",
        "Organic conversion stage",
        "Rainforest Alliance status",
        "C.A.F.E. Practices status",
        "UTZ Certified status",
        "Last internal inspection",
        "Last inspection result",
        "Open non-conformities",
        "Open critical non-conformities",
        "Active sanctions",
        "C.A.F.E. tier",
    ]
    expected = sorted(
        (farm.member.code, farm.name)
        for farm in Farm.objects.select_related("member").filter(certifications__isnull=False).distinct()
        if farm.status == Farm.Status.ACTIVE and farm.member.status == Member.Status.ACTIVE
    )
    assert [(row[0], row[3]) for row in rows] == expected
    assert len(rows) > 1000

    column = {name: index for index, name in enumerate(header)}
    farms = {(farm.member.code, farm.name): farm for farm in Farm.objects.select_related("member")}
    today = timezone.localdate()
    sample = rows[::97] + [row for row in rows if row[column["Active sanctions"]]]
    for row in sample:
        farm = farms[(row[0], row[3])]
        current = farm_current_certifications(farm=farm)
        codes = dict(zip(standards, ["organic", "rainforest_alliance", "cafe_practices", "utz"], strict=True))
        for name, code in codes.items():
            certification = current.get(code)
            assert row[column[f"{name} status"]] == (certification.get_status_display() if certification else None)
        ncs = [nc for nc in NonConformity.objects.filter(farm=farm) if nc.closed_on is None]
        assert row[column["Open non-conformities"]] == len(ncs)
        assert row[column["Open critical non-conformities"]] == sum(1 for nc in ncs if nc.severity == "critical")
        in_force = [
            sanction
            for sanction in Sanction.objects.filter(certification__farm=farm)
            if sanction.starts_on <= today and (sanction.ends_on is None or sanction.ends_on >= today)
        ]
        assert (row[column["Active sanctions"]] or "").count("(") == len(in_force)
    block = next(row for row in rows if "Sales block" in (row[column["Active sanctions"]] or ""))
    assert block[column["Organic status"]] == "Sanctioned"


@pytest.mark.django_db
def test_portfolio_at_risk_equals_a_direct_computation_on_the_demo(demo_data):
    """PAR1/30/90 of the portfolio report, as of the demo's fixed date, against a loan-by-loan computation."""
    from cooperative.models import Region
    from credit.selectors import PAR_DAYS, days_past_due, loan_balance, portfolio_report
    from demo.constants import DEMO_DATE

    as_of = DEMO_DATE - datetime.timedelta(days=10)
    principal, at_risk, loans = Decimal("0"), dict.fromkeys(PAR_DAYS, Decimal("0")), 0
    for loan in Loan.objects.filter(disbursed_on__lte=as_of):
        balance = loan_balance(loan, as_of=as_of)
        if balance.total_outstanding <= 0:
            continue
        loans += 1
        principal += balance.principal_outstanding
        late = days_past_due(loan, as_of)
        for days in PAR_DAYS:
            if late > days:
                at_risk[days] += balance.principal_outstanding

    report = portfolio_report(as_of=as_of, regions=Region.objects.all(), group_by="region")

    assert loans > 0 and any(at_risk.values()), "the demo should hold late loans"
    assert report.total.loans == loans
    assert report.total.principal_outstanding == principal
    for days in PAR_DAYS:
        assert report.total.at_risk[days] == at_risk[days]
        assert report.total.par(days) == (at_risk[days] / principal).quantize(Decimal("0.0001"))


@pytest.mark.django_db
def test_a_demo_settlement_repays_loans_and_the_member_statement_shows_it(demo_data, client):
    from deliveries.models import SettlementDeduction

    deduction = (
        SettlementDeduction.objects.filter(loan__isnull=False)
        .select_related("loan__member", "loan_transaction")
        .first()
    )
    assert deduction is not None, "the demo should settle deliveries against loans"
    assert deduction.loan_transaction.kind == "harvest_deduction"
    assert deduction.loan_transaction.amount == deduction.amount
    log_in(client, "credito")

    response = client.get(f"/credit/members/{deduction.loan.member_id}/statement/", {"language": "en"})

    assert response.status_code == 200
    page = response.content.decode()
    assert deduction.loan.reference in page
    assert "Harvest deduction" in page


@pytest.mark.django_db
def test_the_demo_read_models_agree_with_their_source_rows(demo_data):
    from reporting.read_models import reconcile_all

    drifts = reconcile_all()

    assert [(str(drift.name), drift.differing) for drift in drifts if drift.differing] == []
    assert all(drift.checked > 0 for drift in drifts)
