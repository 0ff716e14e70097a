"""What each reader of tests/reporting/test_figures_match_source_rows.py returns, reduced to comparable shapes,
and the same shapes computed from the source rows."""

import datetime
from decimal import Decimal

from django.utils.translation import gettext

from tests.reporting.source_figures import PAR_DAYS, Source, ratio


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
