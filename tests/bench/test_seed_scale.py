"""seed_scale: a Peru-sized dataset written in bulk must have the shape DOMAIN.md gives and leave every record
as the services would (statuses from events, schedules and ledgers that add up), run after run."""

import datetime
import random
from collections import Counter, defaultdict
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone

from bench.seeding.generator import CODE_DIGITS, CODE_PREFIX, DNI_BASE
from bench.seeding.reference import PLACE_JITTER_DEGREES, PLACES, TECHNICIAN_GROUPS, TECHNICIANS_PER_GROUP, USER_PREFIX
from bench.seeding.run import seed_scale
from bench.seeding.tables import Table
from certifications.models import (
    ALLOWED_TRANSITIONS,
    OPEN_STATUSES,
    Certification,
    CertificationEvent,
    Sanction,
)
from cooperative.models import AllianceProgram, ProgramEnrollment, StaffRole
from credit import schedule
from credit.models import Instalment, Loan, LoanLine, LoanStatus, LoanTransaction
from credit.selectors import annotate_balances, loan_oldest_unpaid_due_on, portfolio_at_risk_report
from deliveries.models import Delivery, Settlement
from members.models import PESTS_BY_CROP, Farm, FarmVisit, Member, VisitPestObservation

# Enough farms (about 2,100) for the size shares to be within a few points of DOMAIN.md's.
SAMPLE_MEMBERS = 1_500
SEED_RANGE = {"code__regex": rf"^{CODE_PREFIX}[0-9]{{{CODE_DIGITS}}}$"}


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """SAMPLE_MEMBERS members seeded once for the module and rolled back after it (each test still runs in
    its own savepoint). Returns (report, the seeded members' queryset)."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            report = seed_scale(members=SAMPLE_MEMBERS, progress=False)
            members = Member.objects.filter(code__gte=report.first_code, code__lte=report.last_code)
            yield report, members
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def _next_code(offset: int = 0) -> str:
    top = Member.objects.filter(**SEED_RANGE).aggregate(top=Max("code"))["top"]
    number = int(top.removeprefix(CODE_PREFIX)) if top else 0
    return f"{CODE_PREFIX}{number + 1 + offset:0{CODE_DIGITS}d}"


# -- shape ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_writes_about_1_4_farms_5_visits_and_half_a_loan_per_member(seeded):
    report, members = seeded
    farms = Farm.objects.filter(member__in=members)
    assert members.count() == SAMPLE_MEMBERS
    assert report.rows[Member] == SAMPLE_MEMBERS
    assert 1.33 <= farms.count() / SAMPLE_MEMBERS <= 1.47
    assert 4.5 <= FarmVisit.objects.filter(farm__in=farms).count() / farms.count() <= 5.3
    assert 0.40 <= Loan.objects.filter(member__in=members).count() / SAMPLE_MEMBERS <= 0.58
    assert VisitPestObservation.objects.filter(visit__farm__in=farms).exists()
    assert Sanction.objects.filter(certification__farm__in=farms).count() == report.rows[Sanction]


@pytest.mark.django_db
def test_farm_sizes_follow_the_peruvian_distribution(seeded):
    _report, members = seeded
    hectares = list(Farm.objects.filter(member__in=members).values_list("hectares", flat=True))
    share = Counter("under 1" if ha < 1 else "1-3" if ha < 3 else "3-10" if ha <= 10 else "over 10" for ha in hectares)
    total = len(hectares)
    assert abs(share["under 1"] / total - 0.45) < 0.04
    assert abs(share["1-3"] / total - 0.40) < 0.04
    assert abs(share["3-10"] / total - 0.14) < 0.035
    assert share["over 10"] / total < 0.02
    assert all(Decimal("0.01") <= ha <= Decimal("100") for ha in hectares)


@pytest.mark.django_db
def test_farms_lie_in_their_region_and_production_is_the_typed_quantity_in_kilograms(seeded):
    _report, members = seeded
    centres = defaultdict(list)
    for place in PLACES:
        centres[place.region].append(place.centre)
    farms = Farm.objects.filter(member__in=members).select_related("region")
    located = 0
    for farm in farms:
        if farm.production_quantity is not None:
            assert farm.estimated_production_kg == farm.production_quantity * Farm.UNIT_KG[farm.production_unit]
        if farm.latitude is None:
            continue
        located += 1
        assert any(
            abs(float(farm.latitude) - lat) <= PLACE_JITTER_DEGREES + 1e-6
            and abs(float(farm.longitude) - lon) <= PLACE_JITTER_DEGREES + 1e-6
            for lat, lon in centres[farm.region.name]
        ), farm
        if farm.boundary is not None:
            # A checked boundary, as members.eudr.geolocation.farm_set_geometry leaves it.
            assert farm.bbox_min_lon <= float(farm.longitude) <= farm.bbox_max_lon
            assert farm.bbox_min_lat <= float(farm.latitude) <= farm.bbox_max_lat
            assert farm.boundary_area_ha > 0 and farm.geometry_recorded_by_id is not None
    assert located / farms.count() > 0.8
    big = farms.filter(hectares__gt=4)
    assert big.filter(boundary__isnull=False).count() / big.count() > 0.5


@pytest.mark.django_db
def test_the_generated_read_models_agree_with_their_source_rows(seeded):
    from reporting.read_models import reconcile_all

    drifts = reconcile_all()

    assert [(str(drift.name), drift.differing, drift.examples) for drift in drifts if drift.differing] == []
    assert all(drift.checked > 0 for drift in drifts)


@pytest.mark.django_db
def test_records_pass_the_models_validation(seeded):
    _report, members = seeded
    rng = random.Random(0)
    samples = [
        members,
        Farm.objects.filter(member__in=members),
        FarmVisit.objects.filter(farm__member__in=members),
        Certification.objects.filter(farm__member__in=members),
        CertificationEvent.objects.filter(certification__farm__member__in=members),
        ProgramEnrollment.objects.filter(member__in=members),
        Loan.objects.filter(member__in=members),
        LoanLine.objects.filter(loan__member__in=members),
        LoanTransaction.objects.filter(loan__member__in=members),
        Delivery.objects.filter(member__in=members),
        Settlement.objects.filter(delivery__member__in=members),
    ]
    for queryset in samples:
        ids = list(queryset.values_list("pk", flat=True))
        for record in queryset.model.objects.filter(pk__in=rng.sample(ids, min(40, len(ids)))):
            record.full_clean()
    dnis = [dni for dni in members.values_list("dni", flat=True) if dni]
    assert len(dnis) == len(set(dnis)) > 0.9 * SAMPLE_MEMBERS
    assert all(len(dni) == 8 and int(dni) > DNI_BASE for dni in dnis)


@pytest.mark.django_db
def test_visits_are_by_technicians_covering_the_farm_region_in_the_last_three_years(seeded):
    _report, members = seeded
    today = timezone.localdate()
    covered = defaultdict(set)
    for user_id, region in StaffRole.objects.filter(role=StaffRole.Role.TECHNICIAN).values_list(
        "user_id", "regions__name"
    ):
        covered[user_id].add(region)
    visits = FarmVisit.objects.filter(farm__member__in=members).values_list(
        "technician_id", "farm__region__name", "visited_on", "farm__member__joined_on"
    )
    for technician_id, region, visited_on, joined_on in visits:
        assert region in covered[technician_id]
        assert max(joined_on, today - datetime.timedelta(days=3 * 366)) <= visited_on <= today
    for crop, pest in VisitPestObservation.objects.filter(visit__farm__member__in=members).values_list(
        "visit__farm__crop", "pest"
    ):
        assert pest in PESTS_BY_CROP[crop]


# -- certifications ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_certification_status_is_what_its_events_say(seeded):
    _report, members = seeded
    today = timezone.localdate()
    events = defaultdict(list)
    for row in (
        CertificationEvent.objects.filter(certification__farm__member__in=members)
        .order_by("certification_id", "occurred_on", "id")
        .values_list("certification_id", "from_status", "to_status", "to_stage", "occurred_on")
    ):
        events[row[0]].append(row[1:])
    certifications = Certification.objects.filter(farm__member__in=members).select_related("standard", "farm__member")
    statuses = Counter()
    for certification in certifications:
        log = events[certification.pk]
        statuses[certification.status] += 1
        assert log[0][0] == "" and log[-1][1] == certification.status, certification
        assert log[-1][2] == certification.conversion_stage
        for (_from, to_status, _stage, _on), (from_status, next_status, _s, _o) in zip(log, log[1:], strict=False):
            assert from_status == to_status and next_status in ALLOWED_TRANSITIONS[to_status]
        assert [on for *_rest, on in log] == sorted(on for *_rest, on in log)
        assert log[0][3] >= certification.farm.member.joined_on or certification.standard.code == "utz"
        if certification.status == "certified":
            assert certification.certificate_number and certification.valid_from <= today
            assert certification.valid_until >= today
        if certification.standard.code == "organic" and "certified" in {to for _f, to, _s, _o in log}:
            assert [stage for _f, _t, stage, _o in log if stage] == ["c1", "c2", "c3"]
        if certification.standard.code == "utz":
            assert certification.status == "expired" and certification.valid_until < datetime.date(2023, 7, 1)
        if certification.farm.member.status == Member.Status.WITHDRAWN:
            assert certification.status not in OPEN_STATUSES
    assert {"candidate", "in_conversion", "certified", "expired"} <= set(statuses)
    sanctions = Sanction.objects.filter(certification__farm__member__in=members).select_related("event")
    for sanction in sanctions:
        assert sanction.event.to_status == {"sales_block": "sanctioned", "suspension": "suspended"}[sanction.kind]
        assert sanction.event.certification_id == sanction.certification_id


# -- credit -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_loans_copy_their_product_terms_and_their_schedule_adds_up(seeded):
    _report, members = seeded
    loans = Loan.objects.filter(member__in=members).select_related("product").prefetch_related("instalments", "lines")
    statuses = Counter()
    for loan in loans:
        statuses[loan.status] += 1
        assert loan.principal == sum(line.amount for line in loan.lines.all())
        instalments = sorted(loan.instalments.all(), key=lambda instalment: instalment.number)
        if loan.disbursed_on is None:
            assert not instalments
            continue
        assert loan.annual_rate == loan.product.annual_rate and loan.allocation_order == loan.product.allocation_order
        expected = schedule.generate_schedule(
            principal=loan.principal,
            annual_rate=loan.annual_rate,
            interest_method=loan.interest_method,
            repayment_mode=loan.repayment_mode,
            number_of_repayments=loan.number_of_repayments,
            grace_periods=loan.grace_periods,
            disbursed_on=loan.disbursed_on,
        )
        assert [(i.number, i.due_on, i.principal_due, i.interest_due) for i in instalments] == [
            (row.number, row.due_on, row.principal_due, row.interest_due) for row in expected
        ]
        assert sum(i.principal_due for i in instalments) == loan.principal
    assert {LoanStatus.ACTIVE, LoanStatus.CLOSED} <= set(statuses)


@pytest.mark.django_db
def test_balances_never_go_below_zero_and_statuses_follow_them(seeded):
    _report, members = seeded
    loans = annotate_balances(
        Loan.objects.filter(member__in=members).annotate(last_on=Max("transactions__occurred_on"))
    )
    for loan in loans:
        assert loan.total_outstanding >= 0
        if loan.status == LoanStatus.ACTIVE:
            assert loan.total_outstanding > 0
        else:
            assert loan.total_outstanding == 0, loan.status
        if loan.status == LoanStatus.CLOSED:
            assert loan.closed_on == loan.last_on
    # Replayed in date order, no repayment ever took more than was outstanding.
    owed = {
        row["loan_id"]: row["total"]
        for row in Instalment.objects.filter(loan__member__in=members)
        .values("loan_id")
        .annotate(total=Sum("principal_due") + Sum("interest_due"))
    }
    left = {}
    for loan_id, kind, amount in (
        LoanTransaction.objects.filter(loan__member__in=members)
        .order_by("loan_id", "occurred_on", "id")
        .values_list("loan_id", "kind", "amount")
    ):
        if kind == "disbursement":
            left[loan_id] = owed[loan_id]
        else:
            left[loan_id] -= amount
            assert left[loan_id] >= 0
    # Some members pay late, not most of them.
    par = portfolio_at_risk_report(timezone.localdate(), queryset=Loan.objects.filter(member__in=members))
    assert 0 < par[30] < Decimal("0.25")


@pytest.mark.django_db
def test_loans_know_their_oldest_unpaid_instalment_as_the_credit_services_keep_it(seeded):
    _report, members = seeded
    loans = annotate_balances(Loan.objects.filter(member__in=members)).prefetch_related("instalments")
    late = 0
    for loan in loans:
        allocation = schedule.allocate_paid(
            sorted(loan.instalments.all(), key=lambda i: (i.due_on, i.number)),
            principal_paid=loan.principal_paid,
            interest_paid=loan.interest_paid,
        )
        tolerance = loan.arrears_tolerance or Decimal("0")
        expected = next((row.due_on for row in allocation if row.total_unpaid > tolerance), None)
        assert loan.oldest_unpaid_due_on == expected, loan.reference
        late += expected is not None and expected < timezone.localdate() - datetime.timedelta(days=30)
    assert late > 0
    for loan in random.Random(1).sample(list(loans), 40):
        assert loan.oldest_unpaid_due_on == loan_oldest_unpaid_due_on(loan)


@pytest.mark.django_db
def test_deliveries_come_from_active_farms_and_settlements_add_up(seeded):
    _report, members = seeded
    deliveries = Delivery.objects.filter(member__in=members).select_related("farm", "member", "settlement")
    assert deliveries.count() > 0.1 * SAMPLE_MEMBERS
    settled = 0
    for delivery in deliveries:
        assert delivery.member.status == Member.Status.ACTIVE and delivery.farm.member_id == delivery.member_id
        assert delivery.farm.status == Farm.Status.ACTIVE and delivery.crop == delivery.farm.crop
        assert delivery.quantity_kg == delivery.quantity * Farm.UNIT_KG[delivery.unit]
        assert delivery.gross_amount == schedule.to_cents(delivery.quantity_kg * delivery.price_per_kg)
        settlement = getattr(delivery, "settlement", None)
        if settlement is None:
            continue
        settled += 1
        deducted = settlement.deductions.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
        assert settlement.gross_amount == delivery.gross_amount
        assert settlement.total_deductions == deducted and settlement.net_paid == settlement.gross_amount - deducted
        assert delivery.delivered_on <= settlement.paid_on <= timezone.localdate()
    assert 0.7 < settled / deliveries.count() < 0.9


@pytest.mark.django_db
def test_enrolments_are_in_programs_covering_the_member_region(seeded):
    _report, members = seeded
    programs = {program.pk: program for program in AllianceProgram.objects.prefetch_related("regions")}
    enrolments = ProgramEnrollment.objects.filter(member__in=members).select_related("member__region")
    assert enrolments.count() > 0.2 * SAMPLE_MEMBERS
    for enrolment in enrolments:
        program = programs[enrolment.program_id]
        assert enrolment.member.region in program.regions.all()
        assert enrolment.enrolled_on >= max(program.starts_on, enrolment.member.joined_on)
        withdrawn = enrolment.member.status == Member.Status.WITHDRAWN
        assert (enrolment.status == ProgramEnrollment.Status.WITHDRAWN) == withdrawn


@pytest.mark.django_db
def test_staff_users_are_created_once_with_unusable_passwords(seeded):
    users = get_user_model().objects.filter(username__startswith=USER_PREFIX)
    assert users.count() == 3 + len(TECHNICIAN_GROUPS) * TECHNICIANS_PER_GROUP
    assert not any(user.has_usable_password() for user in users)
    manager = StaffRole.objects.get(user__username=f"{USER_PREFIX}gerente")
    assert manager.role == StaffRole.Role.MANAGER and manager.all_regions
    seed_scale(members=3, progress=False)
    assert get_user_model().objects.filter(username__startswith=USER_PREFIX).count() == users.count()


# -- runs -------------------------------------------------------------------------------------------------


def _snapshot(first_code: str, last_code: str) -> dict[str, list]:
    """The records of members first_code..last_code by their natural keys (ids differ between runs)."""
    members = Member.objects.filter(code__gte=first_code, code__lte=last_code)
    by_member = {"farm__member__in": members}
    return {
        "members": list(
            members.order_by("code").values_list(
                "code",
                "first_names",
                "last_names",
                "dni",
                "gender",
                "birth_date",
                "region__name",
                "joined_on",
                "status",
            )
        ),
        "farms": list(
            Farm.objects.filter(member__in=members)
            .order_by("member__code", "name")
            .values_list("member__code", "name", "hectares", "crop", "latitude", "estimated_production_kg", "boundary")
        ),
        "visits": list(
            FarmVisit.objects.filter(**by_member)
            .order_by("client_uuid")
            .values_list("client_uuid", "farm__name", "technician__username", "visited_on", "practices_observed")
        ),
        "events": list(
            CertificationEvent.objects.filter(certification__farm__member__in=members)
            .order_by("certification__farm__member__code", "certification__farm__name", "certification__standard", "id")
            .values_list("certification__standard__code", "to_status", "to_stage", "occurred_on")
        ),
        "ledger": list(
            LoanTransaction.objects.filter(loan__member__in=members)
            .order_by("loan__reference", "id")
            .values_list("loan__reference", "loan__status", "kind", "occurred_on", "amount", "principal_portion")
        ),
    }


@pytest.mark.django_db
def test_a_second_run_adds_members_after_the_first_without_collisions():
    first = seed_scale(members=20, progress=False)
    before = _snapshot(first.first_code, first.last_code)
    second = seed_scale(members=20, progress=False)
    assert second.first_code == _next_code(-20) > first.last_code
    assert int(second.first_code.removeprefix(CODE_PREFIX)) == int(first.last_code.removeprefix(CODE_PREFIX)) + 1
    both = Member.objects.filter(code__gte=first.first_code, code__lte=second.last_code)
    assert both.count() == 40
    dnis = [dni for dni in both.values_list("dni", flat=True) if dni]
    assert len(dnis) == len(set(dnis))
    assert _snapshot(first.first_code, first.last_code) == before
    assert 20 <= second.rows[Farm] <= 40 and second.rows[FarmVisit] > 50


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_records_however_the_runs_are_split():
    first_code, last_code = _next_code(), _next_code(34)
    with transaction.atomic():
        seed_scale(members=20, seed=3, progress=False, chunk_size=7)
        seed_scale(members=15, seed=3, progress=False)
        split = _snapshot(first_code, last_code)
        transaction.set_rollback(True)
    with transaction.atomic():
        seed_scale(members=35, seed=3, progress=False)
        whole = _snapshot(first_code, last_code)
        transaction.set_rollback(True)
    seed_scale(members=35, seed=4, progress=False)
    other = _snapshot(first_code, last_code)
    assert len(split["members"]) == 35 and split["ledger"]
    assert split == whole
    assert other["members"] != whole["members"] and other["visits"] != whole["visits"]


@pytest.mark.django_db
def test_a_failing_chunk_leaves_the_chunks_before_it_and_nothing_of_its_own(monkeypatch):
    first_code, tenth_code = _next_code(), _next_code(9)
    flush, calls = Table.flush, Counter()

    def failing_flush(table):
        if table.model is LoanTransaction:
            calls["ledger"] += 1
            if calls["ledger"] == 2:
                raise RuntimeError("disk full")
        return flush(table)

    monkeypatch.setattr(Table, "flush", failing_flush)
    with pytest.raises(RuntimeError):
        seed_scale(members=25, chunk_size=10, progress=False)
    written = Member.objects.filter(code__gte=first_code)
    assert list(written.values_list("code", flat=True)) == [
        f"{CODE_PREFIX}{n:0{CODE_DIGITS}d}" for n in range(int(first_code[2:]), int(tenth_code[2:]) + 1)
    ]
    assert not Farm.objects.filter(member__code__gt=tenth_code, member__code__startswith=CODE_PREFIX).exists()


@pytest.mark.django_db
def test_records_created_after_seeding_get_new_ids():
    seed_scale(members=5, progress=False)
    member = Member.objects.filter(**SEED_RANGE).latest("code")
    highest_visit = FarmVisit.objects.aggregate(top=Max("pk"))["top"]
    created = Member.objects.create(
        code="T-1",
        first_names="Ana",
        last_names="Rojas",
        gender="female",
        region=member.region,
        joined_on=member.joined_on,
    )
    visit = FarmVisit.objects.create(
        farm=member.farms.first(),
        technician=get_user_model().objects.get(username=f"{USER_PREFIX}gerente"),
        visited_on=timezone.localdate(),
        purpose=FarmVisit.Purpose.FOLLOW_UP,
    )
    assert created.pk > member.pk and visit.pk > highest_visit


# -- command ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_command_adds_members_and_prints_the_rows_per_table():
    out, err = StringIO(), StringIO()
    first_code = _next_code()
    call_command("seed_scale", "--members", "12", "--seed", "2", "--no-progress", stdout=out, stderr=err)
    text = out.getvalue()
    assert text.startswith(f"Added 12 members ({first_code} to {_next_code(-1)}) in ")
    assert "  members: 12\n" in text and "  farm visits: " in text and "  loan transactions: " in text
    assert text.endswith("Read models checked: no drift.\n")
    assert err.getvalue() == ""


@pytest.mark.django_db
def test_the_progress_bar_counts_members():
    progress = StringIO()
    seed_scale(members=4, progress=True, progress_file=progress)
    assert "4/4" in progress.getvalue() and "socios" in progress.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize("members", ["0", "-3", "1000001"])
def test_the_command_refuses_a_member_count_out_of_range(members):
    before = Member.objects.count()
    with pytest.raises(CommandError, match="The number of members must be between 1 and 1,000,000"):
        call_command("seed_scale", "--members", members, "--no-progress")
    assert Member.objects.count() == before
