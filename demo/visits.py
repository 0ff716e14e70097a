"""The technician's farm visits of 2026, recorded through visit_record as the field app sends them."""

import datetime
import random
import uuid
from decimal import Decimal

from cooperative.models import StaffRole
from demo.constants import SEED
from demo.context import Demo, money
from members.models import Farm, FarmVisit
from members.services import visit_record

VISIT_NAMESPACE = uuid.UUID("6f1c3c52-5d0e-4a8e-9d7b-2f4f9a0c1e10")
PESTS = {
    "coffee": ["leaf_rust", "berry_borer", "american_leaf_spot"],
    "cocoa": ["frosty_pod_rot", "witches_broom", "black_pod"],
}
PRACTICES = [
    "composting",
    "pruning_renovation",
    "shade_management",
    "soil_conservation",
    "integrated_pest_management",
    "fermentation_drying",
]


def build_visits(demo: Demo, users: dict) -> None:
    """640 visits, each with its client UUID (uuid5 of its number): those not yet there are recorded."""
    technician = users[StaffRole.Role.TECHNICIAN]
    existing = set(FarmVisit.objects.values_list("client_uuid", flat=True))
    farms = list(Farm.objects.order_by("member__code", "name"))
    rng = random.Random(SEED + 3)
    purposes = list(FarmVisit.Purpose.values)
    for number in range(1, 641):
        farm = rng.choice(farms)
        visited = datetime.date(2026, 1, 1) + datetime.timedelta(days=rng.randint(0, 318))
        client_uuid = uuid.uuid5(VISIT_NAMESPACE, f"visit-{number}")
        pests = {pest: rng.randint(0, 3) for pest in rng.sample(PESTS[farm.crop], rng.randint(0, 2))}
        practices = rng.sample(PRACTICES, rng.randint(1, 3))
        follow = visited + datetime.timedelta(days=rng.randint(20, 60)) if rng.random() < 0.5 else None
        if client_uuid in existing:
            continue
        visit_record(
            client_uuid=client_uuid,
            farm=farm,
            technician=technician,
            visited_on=visited,
            purpose=rng.choice(purposes),
            practices_observed=practices,
            pests=pests,
            estimated_yield_kg=money(farm.hectares * Decimal(rng.randint(450, 750))),
            recommendations="Podar, aplicar compost y regular la sombra antes de las lluvias.",
            follow_up_on=follow,
        )
        demo.report.count("visits")
