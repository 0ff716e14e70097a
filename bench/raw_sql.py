"""The reports' aggregates as hand-written SQL, to time each report against the database work it cannot avoid.

`manage.py benchmark` runs these next to the partner API's summary report, the staff dashboard and a
program's progress and prints `report p50 / raw SQL p50`: what the ORM, the selectors' extra queries,
authentication, serialization and the request log cost on top of the SQL. A few statements do the work of
the selectors' twenty-odd queries (one per figure group: members, farms, certifications, visits, credit,
EUDR readiness, expiring certificates, program progress), through one cursor, returning plain rows.

Each function returns the numbers in one comparable shape, `Figures` (dicts of ints and Decimals, rows
with nothing to count left out), and `figures_of_*` read the same shape from the report itself: a test,
and every benchmark run, checks both give the same numbers. Otherwise the ratio would mean nothing.

The same SQL runs on PostgreSQL and SQLite (3.25 or later: window functions). SQLite sums decimals in
floating point, so money is rounded to céntimos per loan in SQL and after the sums in Python, as the
selectors do.
"""

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection

from members.eudr.readiness import EudrReadiness
from reporting.selectors import (
    EXPIRING_LISTED,
    EXPIRING_WITHIN_DAYS,
    OVERDUE_DAYS,
    VISITS_WITHIN_DAYS,
    DashboardFigures,
)

Figures = dict[str, Any]
CENT = Decimal("0.01")
RATIO_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class Scope:
    """Whose numbers, as api.scope.ApiScope decides: a staff user's regions (`region_ids`; None
    for every region), or a partner (`partner_id`): the members enrolled, active or completed, in its
    programs, and its own programs."""

    region_ids: tuple[int, ...] | None = None
    partner_id: int | None = None

    def members(self, member: str, params: dict[str, Any]) -> str:
        """A condition on the member row aliased `member`; adds its parameters to `params`."""
        conditions = [self.regions(f"{member}.region_id", params)]
        if self.partner_id is not None:
            params["partner"] = self.partner_id
            conditions.append(
                f"""EXISTS (SELECT 1 FROM cooperative_programenrollment scope_enrolment
                    JOIN cooperative_allianceprogram scope_program ON scope_program.id = scope_enrolment.program_id
                    WHERE scope_enrolment.member_id = {member}.id AND scope_program.partner_id = %(partner)s
                      AND scope_enrolment.status IN ('active', 'completed'))"""
            )
        return " AND ".join(conditions)

    def regions(self, column: str, params: dict[str, Any]) -> str:
        """A condition on a region id column: one of the staff user's regions (always true otherwise)."""
        if self.region_ids is None:
            return "1 = 1"
        if not self.region_ids:
            return "1 = 0"
        names = [f"region_{index}" for index in range(len(self.region_ids))]
        params.update(zip(names, self.region_ids, strict=True))
        return f"{column} IN ({', '.join(f'%({name})s' for name in names)})"

    def programs(self, program: str, params: dict[str, Any]) -> str:
        """A condition on the program row aliased `program`: the partner's, or covering one of the regions."""
        if self.partner_id is not None:
            params["partner"] = self.partner_id
            return f"{program}.partner_id = %(partner)s"
        covered = self.regions("scope_region.region_id", params)
        return f"""EXISTS (SELECT 1 FROM cooperative_allianceprogram_regions scope_region
            WHERE scope_region.allianceprogram_id = {program}.id AND {covered})"""


# -- the summary report (GET /api/v1/reports/summary/) --------------------------------------------------


def summary_figures(scope: Scope, *, as_of: datetime.date, period: tuple[datetime.date, datetime.date]) -> Figures:
    """The numbers of the summary report without filters, for `scope`. Six statements."""
    with connection.cursor() as cursor:
        return {
            **_members(cursor, scope),
            "crops": _crops(cursor, scope),
            "certifications": _certifications(cursor, scope, as_of=as_of),
            "credit": _credit(cursor, scope, as_of=as_of),
            "visits_by_purpose": _visits(cursor, scope, period=period),
            **_eudr(cursor, scope),
        }


def _members(cursor, scope: Scope) -> Figures:
    """Active members by region and by gender: one GROUP BY on both, added up here."""
    params: dict[str, Any] = {}
    cursor.execute(
        f"""
        SELECT region.name, member.gender, COUNT(*)
        FROM members_member member
        JOIN cooperative_region region ON region.id = member.region_id
        WHERE member.status = 'active' AND {scope.members("member", params)}
        GROUP BY region.name, member.gender
        """,
        params,
    )
    by_region: dict[str, int] = {}
    by_gender: dict[str, int] = {}
    for region, gender, members in cursor.fetchall():
        by_region[region] = by_region.get(region, 0) + members
        by_gender[gender] = by_gender.get(gender, 0) + members
    return {"members_by_region": by_region, "members_by_gender": by_gender}


def _crops(cursor, scope: Scope) -> Figures:
    """Active farms of active members by crop: members, farms, hectares and estimated production (kg)."""
    params: dict[str, Any] = {}
    cursor.execute(
        f"""
        SELECT farm.crop, COUNT(DISTINCT farm.member_id), COUNT(*),
               COALESCE(SUM(farm.hectares), 0), COALESCE(SUM(farm.estimated_production_kg), 0)
        FROM members_farm farm
        JOIN members_member member ON member.id = farm.member_id
        WHERE farm.status = 'active' AND member.status = 'active' AND {scope.members("member", params)}
        GROUP BY farm.crop
        """,
        params,
    )
    return {
        crop: {"members": members, "farms": farms, "hectares": cents(hectares), "production_kg": cents(production)}
        for crop, members, farms, hectares, production in cursor.fetchall()
    }


def _certifications(cursor, scope: Scope, *, as_of: datetime.date) -> Figures:
    """Farms by standard and status of their current certification (cooperative.selectors
    .current_certifications: the open one, else the closed one with the latest event, then the latest
    created), members who withdrew left out. The open certification sorts first; a database constraint
    allows at most one per farm and standard. A certificate held past its validity counts as expired."""
    params: dict[str, Any] = {"no_event": datetime.date.min, "as_of": as_of}
    cursor.execute(
        f"""
        WITH ranked AS (
            SELECT certification.farm_id, certification.standard_id,
                   CASE WHEN certification.status IN ('certified', 'sanctioned', 'suspended')
                             AND certification.valid_until < %(as_of)s
                        THEN 'expired' ELSE certification.status END AS status,
                   ROW_NUMBER() OVER (
                       PARTITION BY certification.farm_id, certification.standard_id
                       ORDER BY
                           CASE WHEN certification.status IN
                               ('candidate', 'in_conversion', 'certified', 'sanctioned', 'suspended')
                           THEN 0 ELSE 1 END,
                           COALESCE(
                               (SELECT MAX(event.occurred_on) FROM certifications_certificationevent event
                                WHERE event.certification_id = certification.id),
                               %(no_event)s
                           ) DESC,
                           certification.id DESC
                   ) AS recency
            FROM certifications_certification certification
            JOIN members_farm farm ON farm.id = certification.farm_id
            JOIN members_member member ON member.id = farm.member_id
            WHERE member.status <> 'withdrawn' AND {scope.members("member", params)}
        )
        SELECT standard.code, ranked.status, COUNT(DISTINCT ranked.farm_id)
        FROM ranked
        JOIN certifications_standard standard ON standard.id = ranked.standard_id
        WHERE ranked.recency = 1
        GROUP BY standard.code, ranked.status
        """,
        params,
    )
    return {f"{code}/{status}": farms for code, status, farms in cursor.fetchall()}


def _visits(cursor, scope: Scope, *, period: tuple[datetime.date, datetime.date]) -> Figures:
    """Visits in the period (both days included) by purpose."""
    params: dict[str, Any] = {"first_day": period[0], "last_day": period[1]}
    cursor.execute(
        f"""
        SELECT visit.purpose, COUNT(*)
        FROM members_farmvisit visit
        JOIN members_farm farm ON farm.id = visit.farm_id
        JOIN members_member member ON member.id = farm.member_id
        WHERE visit.visited_on BETWEEN %(first_day)s AND %(last_day)s AND {scope.members("member", params)}
        GROUP BY visit.purpose
        """,
        params,
    )
    return dict(cursor.fetchall())


def _credit(cursor, scope: Scope, *, as_of: datetime.date) -> Figures:
    """Active loans: count, outstanding (total and principal), loans more than 30 days past due and PAR30.

    Balances as credit.selectors.annotate_balances: disbursed principal less what reducing entries paid,
    plus the schedule's interest and the fees and penalties charged, less what was paid of each (reducing
    entries and charges count unless reversed), rounded per loan. Late: the oldest row unpaid beyond the
    arrears tolerance (Loan.oldest_unpaid_due_on, kept by the credit services) fell due more than 30 days
    before as_of. One statement; PAR30 is divided here.
    """
    # Late mirrors credit.selectors.is_past_due_q (used by reporting.selectors._credit_figures), written out
    # rather than called: this SQL times the database work alone and checks the ORM's numbers independently.
    params: dict[str, Any] = {"overdue_before": as_of - datetime.timedelta(days=OVERDUE_DAYS)}
    cursor.execute(
        f"""
        WITH active AS (
            SELECT loan.id, CASE WHEN loan.oldest_unpaid_due_on < %(overdue_before)s THEN 1 ELSE 0 END AS late
            FROM credit_loan loan
            JOIN members_member member ON member.id = loan.member_id
            WHERE loan.status = 'active' AND {scope.members("member", params)}
        ),
        ledger AS (
            SELECT entry.loan_id,
                   SUM(CASE WHEN entry.kind = 'disbursement' THEN entry.principal_portion ELSE 0 END)
                       AS principal_disbursed,
                   SUM(CASE WHEN entry.kind <> 'disbursement' THEN entry.principal_portion ELSE 0 END)
                       AS principal_paid,
                   SUM(CASE WHEN entry.kind <> 'disbursement'
                            THEN entry.interest_portion + entry.fee_portion + entry.penalty_portion ELSE 0 END)
                       AS charges_paid
            FROM credit_loantransaction entry
            JOIN active ON active.id = entry.loan_id
            WHERE entry.kind = 'disbursement'
               OR (entry.kind IN ('repayment', 'harvest_deduction', 'waiver', 'write_off')
                   AND NOT EXISTS (SELECT 1 FROM credit_loantransaction reversal
                                   WHERE reversal.reverses_id = entry.id))
            GROUP BY entry.loan_id
        ),
        charged AS (
            SELECT charge.loan_id, SUM(charge.amount) AS amount
            FROM credit_loancharge charge
            JOIN active ON active.id = charge.loan_id
            WHERE charge.kind IN ('fee', 'penalty')
              AND NOT EXISTS (SELECT 1 FROM credit_loancharge reversal WHERE reversal.reverses_id = charge.id)
            GROUP BY charge.loan_id
        ),
        interest AS (
            SELECT instalment.loan_id, SUM(instalment.interest_due) AS amount
            FROM credit_instalment instalment
            JOIN active ON active.id = instalment.loan_id
            GROUP BY instalment.loan_id
        ),
        balances AS (
            SELECT active.late,
                   ROUND(COALESCE(ledger.principal_disbursed, 0) - COALESCE(ledger.principal_paid, 0), 2)
                       AS principal_outstanding,
                   ROUND(COALESCE(ledger.principal_disbursed, 0) - COALESCE(ledger.principal_paid, 0)
                         + COALESCE(interest.amount, 0) + COALESCE(charged.amount, 0)
                         - COALESCE(ledger.charges_paid, 0), 2) AS total_outstanding
            FROM active
            LEFT JOIN ledger ON ledger.loan_id = active.id
            LEFT JOIN charged ON charged.loan_id = active.id
            LEFT JOIN interest ON interest.loan_id = active.id
        )
        SELECT COUNT(*),
               COALESCE(SUM(total_outstanding), 0),
               COALESCE(SUM(principal_outstanding), 0),
               COALESCE(SUM(late), 0),
               COALESCE(SUM(CASE WHEN late = 1 THEN principal_outstanding ELSE 0 END), 0)
        FROM balances
        """,
        params,
    )
    loans, total, principal, late_loans, at_risk = cursor.fetchone()
    principal = cents(principal)
    return {
        "active_loans": loans,
        "total_outstanding": cents(total),
        "principal_outstanding": principal,
        "loans_over_30_days": late_loans,
        "par30": ratio(cents(at_risk), principal),
    }


def _eudr(cursor, scope: Scope) -> Figures:
    """EUDR readiness (members.eudr) of the active farms of active members: per region (the farm's) and per
    program (the members' active or completed enrolments, in the scope's programs); [farms, located, ready].

    Located: a checked boundary, or a point and at most 4 ha. Ready: located, the checked boundary within
    20% of the declared hectares, no overlap with an active farm, declared not forest on 31 December 2020.
    """
    params: dict[str, Any] = {}
    members = scope.members("member", params)
    programs = scope.programs("program", params)
    located = """((farm.boundary IS NOT NULL AND farm.boundary_area_ha IS NOT NULL)
                  OR (farm.latitude IS NOT NULL AND farm.hectares <= 4))"""
    cursor.execute(
        f"""
        WITH farms AS (
            SELECT farm.id, farm.region_id, farm.member_id,
                   CASE WHEN {located} THEN 1 ELSE 0 END AS located,
                   CASE WHEN {located}
                         AND NOT (farm.boundary_area_ha IS NOT NULL
                                  AND (farm.boundary_area_ha > farm.hectares * 1.2
                                       OR farm.boundary_area_ha < farm.hectares * 0.8))
                         AND NOT EXISTS (SELECT 1 FROM members_farmoverlap overlap
                                         JOIN members_farm other ON other.id = overlap.other_farm_id
                                         WHERE overlap.farm_id = farm.id AND other.status = 'active')
                         AND EXISTS (SELECT 1 FROM members_farmdeforestationdeclaration declaration
                                     WHERE declaration.farm_id = farm.id AND declaration.land_use_2020 <> 'forest')
                        THEN 1 ELSE 0 END AS ready
            FROM members_farm farm
            JOIN members_member member ON member.id = farm.member_id
            WHERE farm.status = 'active' AND member.status = 'active' AND {members}
        )
        SELECT 'region', region.name, COUNT(*), SUM(farms.located), SUM(farms.ready)
        FROM farms
        JOIN cooperative_region region ON region.id = farms.region_id
        GROUP BY region.name
        UNION ALL
        SELECT 'program', program.code, COUNT(*), SUM(farms.located), SUM(farms.ready)
        FROM farms
        JOIN cooperative_programenrollment enrolment ON enrolment.member_id = farms.member_id
        JOIN cooperative_allianceprogram program ON program.id = enrolment.program_id
        WHERE enrolment.status IN ('active', 'completed') AND {programs}
        GROUP BY program.code
        """,
        params,
    )
    figures: Figures = {"eudr_by_region": {}, "eudr_by_program": {}}
    for grouping, key, farms, located_farms, ready in cursor.fetchall():
        figures[f"eudr_by_{grouping}"][key] = [farms, int(located_farms), int(ready)]
    return figures


# -- the dashboard's figures (reporting.selectors.dashboard_figures and members.eudr.readiness.eudr_readiness) -------


def dashboard_figures(scope: Scope, *, as_of: datetime.date) -> Figures:
    """The dashboard's numbers for a staff user's regions: the summary's (visits of the last 30 days), the
    certificates expiring within 60 days (how many, and the 10 soonest) and the programs' progress. Eight
    statements."""
    period = (as_of - datetime.timedelta(days=VISITS_WITHIN_DAYS - 1), as_of)
    figures = summary_figures(scope, as_of=as_of, period=period)
    with connection.cursor() as cursor:
        figures.update(_expiring(cursor, scope, as_of=as_of))
        figures["programs"] = _program_progress(cursor, scope, as_of=as_of)
    return figures


def _expiring(cursor, scope: Scope, *, as_of: datetime.date) -> Figures:
    """Certificates still held ending within 60 days: how many, and the soonest 10 with what the page shows."""
    params: dict[str, Any] = {"as_of": as_of, "until": as_of + datetime.timedelta(days=EXPIRING_WITHIN_DAYS)}
    cursor.execute(
        f"""
        SELECT certification.id, certification.valid_until, standard.name, farm.name, member.code,
               COUNT(*) OVER () AS expiring
        FROM certifications_certification certification
        JOIN certifications_standard standard ON standard.id = certification.standard_id
        JOIN members_farm farm ON farm.id = certification.farm_id
        JOIN members_member member ON member.id = farm.member_id
        WHERE certification.status IN ('certified', 'sanctioned', 'suspended')
          AND certification.valid_until BETWEEN %(as_of)s AND %(until)s
          AND member.status <> 'withdrawn' AND {scope.members("member", params)}
        ORDER BY certification.valid_until, certification.id
        LIMIT {EXPIRING_LISTED}
        """,
        params,
    )
    rows = cursor.fetchall()
    return {"expiring_count": rows[0][-1] if rows else 0, "expiring": [row[0] for row in rows]}


def _program_progress(cursor, scope: Scope, *, as_of: datetime.date, program_id: int | None = None) -> Figures:
    """Per program of the scope (reporting.programs.program_progress): members with an active enrolment
    who have not withdrawn, those of them with an active farm certified (still valid on as_of) under one
    of the program's standards, and the beneficiaries of its community projects; [enrolled, certified,
    project beneficiaries] by program code. Members and projects count in the scope's regions only."""
    params: dict[str, Any] = {"as_of": as_of}
    programs = scope.programs("program", params)
    if program_id is not None:
        params["program"] = program_id
        programs += " AND program.id = %(program)s"
    enrolled = scope.regions("member.region_id", params)
    projects = scope.regions("project.region_id", params)
    cursor.execute(
        f"""
        SELECT program.code,
            (SELECT COUNT(DISTINCT enrolment.member_id)
             FROM cooperative_programenrollment enrolment
             JOIN members_member member ON member.id = enrolment.member_id
             WHERE enrolment.program_id = program.id AND enrolment.status = 'active'
               AND member.status <> 'withdrawn' AND {enrolled}),
            (SELECT COUNT(DISTINCT enrolment.member_id)
             FROM cooperative_programenrollment enrolment
             JOIN members_member member ON member.id = enrolment.member_id
             JOIN members_farm farm ON farm.member_id = member.id
             JOIN certifications_certification certification ON certification.farm_id = farm.id
             JOIN cooperative_allianceprogram_standards targeted
               ON targeted.standard_id = certification.standard_id AND targeted.allianceprogram_id = program.id
             WHERE enrolment.program_id = program.id AND enrolment.status = 'active'
               AND member.status <> 'withdrawn' AND {enrolled}
               AND farm.status = 'active' AND certification.status = 'certified'
               AND (certification.valid_until IS NULL OR certification.valid_until >= %(as_of)s)),
            (SELECT COALESCE(SUM(project.beneficiaries), 0)
             FROM cooperative_communityproject project
             WHERE project.program_id = program.id AND {projects})
        FROM cooperative_allianceprogram program
        WHERE {programs}
        ORDER BY program.starts_on DESC, program.code
        """,
        params,
    )
    return {
        code: [enrolled_members, certified, beneficiaries]
        for code, enrolled_members, certified, beneficiaries in cursor.fetchall()
    }


# -- a program's progress (GET /api/v1/programs/{id}/progress/) -------------------------------------------


def program_progress_figures(scope: Scope, *, program_id: int, as_of: datetime.date) -> Figures:
    """[enrolled, certified, project beneficiaries] of one program of the scope, by its code. One statement.

    As the endpoint: members and projects count by the staff user's regions; a partner's program counts
    whole (not only the members enrolled with the partner, who are the program's anyway)."""
    with connection.cursor() as cursor:
        return _program_progress(cursor, scope, as_of=as_of, program_id=program_id)


# -- the same numbers read from the reports --------------------------------------------------------------


def figures_of_summary(report: Mapping[str, Any]) -> Figures:
    """The summary report's JSON in the shape of summary_figures (rows with nothing counted left out)."""
    members = report["members"]
    crop_members = {row["crop"]: row["members"] for row in members["by_crop"]}
    return {
        "members_by_region": {row["region"]: row["members"] for row in members["by_region"]},
        "members_by_gender": _counted((row["gender"], row["members"]) for row in members["by_gender"]),
        "crops": {
            row["crop"]: {
                "members": crop_members[row["crop"]],
                "farms": row["farms"],
                "hectares": cents(row["hectares"]),
                "production_kg": cents(row["production_kg"]),
            }
            for row in report["farms"]["by_crop"]
            if row["farms"]
        },
        "certifications": {f"{row['standard']}/{row['status']}": row["farms"] for row in report["certifications"]},
        "credit": {
            "active_loans": report["credit"]["active_loans"],
            "total_outstanding": cents(report["credit"]["total_outstanding"]),
            "principal_outstanding": cents(report["credit"]["principal_outstanding"]),
            "loans_over_30_days": report["credit"]["loans_over_30_days"],
            "par30": Decimal(report["credit"]["par30"]),
        },
        "visits_by_purpose": _counted((row["purpose"], row["visits"]) for row in report["visits"]["by_purpose"]),
        "eudr_by_region": {
            row["region"]: [row["farms"], row["located"], row["ready"]] for row in report["eudr"]["by_region"]
        },
        "eudr_by_program": {
            row["program"]: [row["farms"], row["located"], row["ready"]] for row in report["eudr"]["by_program"]
        },
    }


def figures_of_dashboard(figures: DashboardFigures, readiness: EudrReadiness) -> Figures:
    """reporting.selectors.DashboardFigures and members.eudr.readiness.EudrReadiness (what the dashboard view
    computes) in the shape of dashboard_figures."""
    return {
        "members_by_region": {row.region: row.members for row in figures.members_by_region},
        "members_by_gender": _counted((row.gender, row.members) for row in figures.members_by_gender),
        "crops": {
            row.crop: {
                "members": row.members,
                "farms": row.farms,
                "hectares": cents(row.hectares),
                "production_kg": cents(row.production_kg),
            }
            for row in figures.crops
            if row.farms
        },
        "certifications": {f"{row.standard_code}/{row.status}": row.farms for row in figures.certifications},
        "credit": {
            "active_loans": figures.credit.active_loans,
            "total_outstanding": cents(figures.credit.total_outstanding),
            "principal_outstanding": cents(figures.credit.principal_outstanding),
            "loans_over_30_days": figures.credit.loans_over_30_days,
            "par30": figures.credit.par30,
        },
        "visits_by_purpose": _counted((row.purpose, row.visits) for row in figures.visits_by_purpose),
        "eudr_by_region": {row.key: [row.total, row.located, row.ready] for row in readiness.by_region},
        "eudr_by_program": {row.key: [row.total, row.located, row.ready] for row in readiness.by_program},
        "expiring_count": figures.expiring_count,
        "expiring": [certification.pk for certification in figures.expiring],
        "programs": {
            row.program.code: [row.enrolled_members, row.farmers_certified, row.project_beneficiaries]
            for row in figures.programs
        },
    }


def figures_of_program_progress(report: Mapping[str, Any]) -> Figures:
    """The progress endpoint's JSON in the shape of program_progress_figures."""
    return {report["program"]: [report["enrolled"], report["farmers_certified"], report["project_beneficiaries"]]}


def differences(expected: Figures, actual: Figures) -> list[str]:
    """Keys (dotted paths) whose values differ, for a readable report of a mismatch; [] when equal."""
    found = []
    for key in sorted(set(expected) | set(actual)):
        left, right = expected.get(key), actual.get(key)
        if isinstance(left, dict) and isinstance(right, dict):
            found += [f"{key}.{inner}" for inner in differences(left, right)]
        elif left != right:
            found.append(f"{key}: {left!r} != {right!r}")
    return found


def cents(value: Any) -> Decimal:
    """Money or areas as exact hundredths (SQLite sums decimals in floating point; JSON has strings)."""
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def ratio(part: Decimal, whole: Decimal) -> Decimal:
    """part / whole with 4 places, ROUND_HALF_UP; 0 without a whole (as credit.selectors.par_ratio)."""
    if whole <= 0:
        return Decimal("0.0000")
    return (part / whole).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)


def _counted(pairs: Iterable[tuple[str, int]]) -> dict[str, int]:
    return {key: count for key, count in pairs if count}
