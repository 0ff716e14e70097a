"""A demo cooperative shaped like the Bio Azul case study (demo.constants), built through the domain services.

Deterministic (a seeded random generator, fixed dates) and idempotent: every record has a natural key
(member code, farm name, program code, loan reference, visit UUID; for the Internal Control System: an
inspection's farm and date, a sanction's certification, kind and start, a C.A.F.E. verification's
certification and date, a group certificate's standard and number), and a record that already exists is
left as it is, so a second run writes nothing.

One step per domain, in this order (each reads what the earlier ones wrote): the staff (demo.people), the
partners and programs (demo.programs), the members and farms (demo.members), the program enrolments, the
farms' certifications (demo.certifications), the loans (demo.credit), the farm visits (demo.visits), the
Internal Control System (demo.ics), and the season's deliveries (demo.deliveries).
"""

from collections.abc import Callable

from django.db import transaction

from demo.certifications import build_certifications
from demo.context import Demo, Report
from demo.credit import build_loans
from demo.deliveries import build_deliveries
from demo.ics import build_ics
from demo.members import build_members, member_specs
from demo.people import build_users
from demo.programs import build_enrolments, build_programs
from demo.visits import build_visits


def build_demo(*, log: Callable[[str], None] = lambda message: None) -> Report:
    """Build whatever of the demo is missing, in one transaction; `log` gets a line as each step starts.
    Returns what was created and the demo users' logins."""
    with transaction.atomic():
        demo = Demo.load(log)
        users = build_users(demo)
        programs = build_programs(demo)
        log("Socios y parcelas…")
        build_members(demo, member_specs(demo))
        log("Inscripciones en programas…")
        build_enrolments(demo, programs)
        log("Certificaciones…")
        build_certifications(demo, users)
        log("Créditos…")
        build_loans(demo, users, programs)
        log("Visitas de campo…")
        build_visits(demo, users)
        log("Sistema interno de control: inspecciones, no conformidades, sanciones…")
        build_ics(demo, users)
        log("Entregas de cosecha y liquidaciones…")
        build_deliveries(demo, users)
    return demo.report
