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

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.test import Client

from certifications.models import Certification
from certifications.services.certifications import (
    certification_expire_due,
)
from cooperative.models import AllianceProgram, Region
from cooperative.selectors import regions_in_scope
from cooperative.services import api_token_create, community_project_create, staff_role_grant
from credit import services as credit_services
from credit.models import Loan, LoanTransaction
from credit.selectors import portfolio_at_risk_report, portfolio_report
from deliveries.services import delivery_record, delivery_reverse, delivery_settle
from members.eudr.readiness import eudr_readiness, readiness_farms
from members.models import Farm, Member
from members.services import farm_create, farm_update, member_create, member_update, member_withdraw
from reporting.programs import program_progress
from reporting.selectors import dashboard_figures
from tests.factories import (
    UserFactory,
    eudr_square,
)
from tests.reporting.figure_shapes import (
    dashboard_shape,
    expected_dashboard,
    expected_portfolio,
    expected_progress_api,
    expected_summary,
    portfolio_shape,
    progress_api_shape,
    progress_shape,
    readiness_shape,
    summary_shape,
)
from tests.reporting.figures_world import DAY, MANAGER_REGIONS, Cooperative, build
from tests.reporting.source_figures import Source

pytestmark = pytest.mark.django_db

SHOWN_MISMATCHES = 60
# (days before today, grouping) of the portfolio report read after each write, in turn.
PORTFOLIO_READS = [(0, "product"), (30, "region"), (0, "program"), (30, "product"), (0, "region"), (30, "program")]


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
        caches["limits"].clear()  # the API's throttle counters: the sequence makes more requests than a minute's rate
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
