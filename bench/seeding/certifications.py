"""A farm's certifications with their event logs, as certifications.services would have written them: the
status, stage and certificate of each follow from its events; sanctions behind a sanctioned or suspended
status; past UTZ certificates imported as history."""

import datetime
from dataclasses import dataclass

from django.db import models

from bench.seeding.draws import DAY, random_days
from bench.seeding.reference import CERTIFICATES, Context
from bench.seeding.tables import Ids, Table
from certifications.models import TERMINAL_STATUSES, Certification, CertificationEvent, Sanction
from credit import schedule

# The latest UTZ certificate drawn starts by the end of 2021: all of them ended before the RA 2020 transition
# did (1 Jul 2023), as DOMAIN.md requires of UTZ history.
UTZ_LAST_VALID_FROM = datetime.date(2021, 12, 31)
CANDIDATE, IN_CONVERSION, CERTIFIED = "candidate", "in_conversion", "certified"
DROPPED = "dropped"  # a candidate who gave up: withdrawn

# Event reasons, as the committee writes them (data, in Spanish like the rest of the records).
REASON_OPENED = "Inscripción en el registro de productores del SCI"
REASON_STAGE = "Decisión del comité de aprobación tras la inspección interna"
REASON_CERTIFIED = "Auditoría externa aprobada"
REASON_DROPPED = "El productor desistió del proceso de certificación"
REASON_UTZ = "Certificado UTZ del grupo (histórico)"
REASON_EXPIRED = "Vigencia terminada"
REASON_SANCTION = "No conformidad mayor sin corregir en el plazo acordado."


@dataclass
class History:
    """A certification's events as the services would have written them, and the row they leave."""

    events: list[tuple[str, str, str, datetime.date, str]]  # from, to, stage, date, reason
    number: str = ""
    valid_from: datetime.date | None = None
    valid_until: datetime.date | None = None
    sanction: str = ""  # the Sanction.Kind behind event number `sanction_event`, if any
    sanction_event: int | None = None

    @property
    def status(self) -> str:
        return self.events[-1][1]

    @property
    def stage(self) -> str:
        return self.events[-1][2]

    @property
    def last_on(self) -> datetime.date:
        return self.events[-1][3]

    def add(self, to_status: str, on: datetime.date, reason: str, stage: str = "") -> None:
        self.events.append((self.status, to_status, stage, on, reason))


def _currency(history: History, index: int) -> tuple[bool, datetime.date, int]:
    """What makes a certification its farm's current one under a standard, in increasing order: open, then the
    date of its last event, then the order written (ids are taken in that order)."""
    return history.status not in TERMINAL_STATUSES, history.last_on, index


class CertificationRows:
    """The certifications of a member's farms: a part of bench.seeding.generator.Generator."""

    c: Context
    tables: dict[type[models.Model], Table]
    ids: dict[type[models.Model], Ids]
    standard_ids: dict[str, int]
    validity: dict[str, int]

    def _certifications(self, rng, farm, joined, until, organic_allowed, withdrawn_on, withdrawal_reason) -> None:
        farm_id, crop, _hectares, active, _production = farm
        draws = [rng.random() for _ in range(4)]
        if not active:
            return
        plan: list[tuple[str, str | int]] = []
        if crop == "coffee":
            organic = (0.38, 0.45, 0.50, 0.52)
            if draws[1] < 0.30:
                plan.append(("rainforest_alliance", CERTIFIED))
            elif draws[1] < 0.36:
                plan.append(("rainforest_alliance", CANDIDATE))
            if draws[2] < 0.25:
                plan.append(("cafe_practices", CERTIFIED))
            utz_share = 0.15
        else:
            organic = (0.18, 0.24, 0.27, 0.28)
            if draws[1] < 0.38:
                plan.append(("rainforest_alliance", CERTIFIED))
            elif draws[1] < 0.52:
                plan.append(("rainforest_alliance", CANDIDATE))
            utz_share = 0.20
        if organic_allowed and draws[0] < organic[3]:
            outcome = (
                CERTIFIED
                if draws[0] < organic[0]
                else rng.randint(1, 3)
                if draws[0] < organic[1]
                else CANDIDATE
                if draws[0] < organic[2]
                else DROPPED
            )
            plan.insert(0, ("organic", outcome))
        if draws[3] < utz_share:
            plan.append(("utz", "history"))
        histories: list[tuple[str, History]] = []
        for code, outcome in plan:
            if code == "utz":
                history = self._utz(rng, crop, joined)
            else:
                history = self._history(rng, code, crop, outcome, joined, until)
            if history is None:
                continue
            if withdrawn_on and history.status not in TERMINAL_STATUSES:
                # members.services.member_withdraw: every open certification is withdrawn with the member.
                reason = f"Socio retirado de la cooperativa: {withdrawal_reason}"
                history.add("withdrawn", max(withdrawn_on, history.last_on), reason)
            histories.append((code, history))
        # Certification.is_current, as certifications.read_models keeps it: per standard, the open certification,
        # else the closed one whose last event is the latest, ties the latest written (the highest id).
        current: dict[str, int] = {}
        for index, (code, history) in enumerate(histories):
            held = current.get(code)
            if held is None or _currency(history, index) > _currency(histories[held][1], held):
                current[code] = index
        for index, (code, history) in enumerate(histories):
            self._write_certification(farm_id, code, crop, history, is_current=current[code] == index)

    def _write_certification(self, farm_id: int, code: str, crop: str, history: History, *, is_current: bool) -> None:
        certification_id = self.ids[Certification].take()
        _prefix, body = CERTIFICATES[code]
        self.tables[Certification].add(
            (
                certification_id,
                farm_id,
                self.standard_ids[code],
                history.status,
                history.stage if history.status == IN_CONVERSION else "",
                history.number,
                body,
                history.valid_from,
                history.valid_until,
                is_current,
            )
        )
        events, take = self.tables[CertificationEvent].add, self.ids[CertificationEvent].take
        decided_by = self.c.ics_coordinator
        for index, (from_status, to_status, stage, on, reason) in enumerate(history.events):
            event_id = take()
            events((event_id, certification_id, from_status, to_status, stage, on, reason, decided_by))
            if index == history.sanction_event:
                # The committee's sanction, whose status change is this event (certifications.models.Sanction).
                self.tables[Sanction].add(
                    (certification_id, history.sanction, on, REASON_SANCTION, decided_by, event_id)
                )

    def _certificate(self, history: History, code: str, crop: str, valid_from: datetime.date) -> None:
        """The certified event with its certificate: valid_until defaults to the standard's validity."""
        prefix, _body = CERTIFICATES[code]
        history.number = f"{prefix}-{valid_from.year}" + ("-K" if crop == "cocoa" else "")
        history.valid_from = valid_from
        history.valid_until = schedule.add_months(valid_from, self.validity[code]) - DAY
        history.add(CERTIFIED, valid_from, REASON_CERTIFIED)

    def _history(self, rng, code: str, crop: str, outcome: str | int, joined, until) -> History | None:
        """A certification opened after the member joined, everything dated by `until`: candidate, in
        conversion (organic, stage 1-3), certified (organic after stage C3) or dropped (candidate withdrawn).
        A member who joined too recently for the outcome gets as far as the time allows."""
        stages: list[datetime.date] = []
        valid_from = None
        if outcome == CERTIFIED:
            window = 330 if self.validity[code] <= 12 else 1000
            valid_from = until - random_days(rng, 0, window)
            if code == "organic":
                stages = self._stage_dates(rng, valid_from - random_days(rng, 20, 150), 3)
                opened = stages[0] - random_days(rng, 15, 150)
            else:
                opened = valid_from - random_days(rng, 30, 300)
        elif isinstance(outcome, int):
            stages = self._stage_dates(rng, until - random_days(rng, 0, 330), outcome)
            opened = stages[0] - random_days(rng, 15, 150)
        else:
            opened = until - random_days(rng, 0, 700)
        if opened <= joined:
            # Not enough time since joining: as far as the time allows, from a date after joining.
            opened = joined + random_days(rng, 15, 120)
            if opened > until:
                return None
            if stages:
                first = opened + random_days(rng, 30, 200)
                stages = [first + datetime.timedelta(days=365 * k) for k in range(len(stages))]
                stages = [on for on in stages if on <= until]
            valid_from = None
        history = History(events=[("", CANDIDATE, "", opened, REASON_OPENED)])
        for number, on in enumerate(stages, start=1):
            history.add(IN_CONVERSION, on, REASON_STAGE, stage=f"c{number}")
        if valid_from is not None:
            self._certificate(history, code, crop, valid_from)
            if rng.random() < 0.02:
                on = valid_from + random_days(rng, 20, 400)
                if on <= until:
                    sanctioned = rng.random() < 0.6
                    history.add("sanctioned" if sanctioned else "suspended", on, REASON_SANCTION)
                    history.sanction = Sanction.Kind.SALES_BLOCK if sanctioned else Sanction.Kind.SUSPENSION
                    history.sanction_event = len(history.events) - 1
        elif outcome == DROPPED:
            on = opened + random_days(rng, 30, 400)
            if on <= until:
                history.add("withdrawn", on, REASON_DROPPED)
        return history

    @staticmethod
    def _stage_dates(rng, last: datetime.date, count: int) -> list[datetime.date]:
        """Conversion stages C1..C<count>, a year apart, the last one on `last`."""
        dates = [last]
        for _stage in range(count - 1):
            dates.append(dates[-1] - random_days(rng, 350, 380))
        return dates[::-1]

    def _utz(self, rng, crop: str, joined) -> History | None:
        """A past UTZ certificate imported as history (certification_import_history): certified, then expired."""
        start = max(joined, datetime.date(2014, 1, 1))
        if start > UTZ_LAST_VALID_FROM:
            return None
        valid_from = start + random_days(rng, 0, (UTZ_LAST_VALID_FROM - start).days)
        valid_until = schedule.add_months(valid_from, self.validity["utz"]) - DAY
        history = History(
            events=[("", CERTIFIED, "", valid_from, REASON_UTZ)],
            number=f"UTZ-{'C' if crop == 'coffee' else 'K'}-{valid_from.year}",
            valid_from=valid_from,
            valid_until=valid_until,
        )
        history.add("expired", valid_until, REASON_EXPIRED)
        return history
