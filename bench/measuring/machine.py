"""What the timings depend on besides the code: the machine, the database and its settings, and the size of
the measured data."""

import os
import platform
from pathlib import Path
from typing import Any

import django
from django.db import connection

from certifications.models import Certification
from cooperative.models import ProgramEnrollment
from credit.models import Loan
from members.models import Farm, FarmVisit, Member


def machine() -> dict[str, Any]:
    """CPU model and cores, RAM, database and versions: what the timings depend on besides the code."""
    cpu_model = platform.processor() or "unknown"
    ram_gb = None
    try:
        cpu_model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
        mem_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal:")
        )
        ram_gb = round(mem_kb / 1024 / 1024, 1)
    except (OSError, StopIteration):
        pass
    return {
        "cpu": cpu_model,
        "cores": os.cpu_count(),
        "ram_gb": ram_gb,
        "database": connection.vendor,
        "database_version": _database_version(),
        "database_settings": _database_settings(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "platform": platform.platform(),
    }


def _database_version() -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return cursor.fetchone()[0]
    if connection.vendor == "sqlite":
        return connection.Database.sqlite_version
    return "unknown"


def _database_settings() -> dict[str, str]:
    """PostgreSQL settings that change the timings most (JIT compilation above a plan cost, memory)."""
    if connection.vendor != "postgresql":
        return {}
    names = ("jit", "jit_above_cost", "shared_buffers", "work_mem", "max_parallel_workers_per_gather")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, current_setting(name) FROM pg_settings WHERE name = ANY(%s) ORDER BY name",
            [list(names)],
        )
        return dict(cursor.fetchall())


def dataset() -> dict[str, int]:
    """Row counts of the measured data."""
    return {
        "members": Member.objects.count(),
        "farms": Farm.objects.count(),
        "visits": FarmVisit.objects.count(),
        "certifications": Certification.objects.count(),
        "loans": Loan.objects.count(),
        "enrolments": ProgramEnrollment.objects.count(),
    }
