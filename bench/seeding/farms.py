"""A member's farms as the members services leave them (sizes as in DOMAIN.md, EUDR geometry and
declarations), with their technician visits and pest observations."""

import datetime
import math
import random
import uuid
from decimal import Decimal

from django.db import models

from bench.seeding.draws import CENT, random_days
from bench.seeding.reference import PLACE_JITTER_DEGREES, Context, Place
from bench.seeding.tables import Ids, Table
from members.eudr.status import AREA_TOLERANCE, eudr_status_expression
from members.geometry import area_difference_share, geodesic_area_ha
from members.models import Farm, FarmDeforestationDeclaration, FarmVisit, LandUse2020, Practice, VisitPestObservation

BOUNDARY_FROM_HECTARES = Decimal("4")  # EUDR: a plot over 4 ha needs a polygon
VARIETIES = {
    "coffee": ("Typica, Caturra", "Bourbon, Typica", "Catimor", "Caturra, Catuaí", "Geisha, Typica", "Pache, Caturra",
               "Marsellesa", "Costa Rica 95"),
    "cocoa": ("CCN-51", "Criollo, Trinitario", "ICS-95, CCN-51", "Trinitario", "Chuncho", "ICS-39, ICS-95"),
}  # fmt: skip
PESTS = {
    "coffee": ("leaf_rust", "leaf_rust", "berry_borer", "american_leaf_spot"),
    "cocoa": ("frosty_pod_rot", "frosty_pod_rot", "witches_broom", "black_pod"),
}
POD_BORER_REGION = "Huánuco"  # Carmenta foraseminis ("mazorquero") is a Huánuco pest
PRACTICES = tuple(Practice.values)
VISIT_PURPOSES = (
    *["follow_up"] * 8,
    *["training"] * 4,
    *["diagnosis"] * 3,
    *["certification_prep"] * 3,
    *["credit_follow_up"] * 2,
)
RECOMMENDATIONS = (
    "Podar, aplicar compost y regular la sombra antes de las lluvias.",
    "Renovar los cafetos de más de 15 años con variedades tolerantes a la roya.",
    "Recoger los frutos caídos y colocar trampas para broca.",
    "Retirar las mazorcas enfermas cada semana y enterrarlas.",
    "Construir zanjas de infiltración en la parte alta de la parcela.",
    "Fermentar en cajón 5 a 6 días y secar en tendal, no sobre el suelo.",
    "Llevar el registro de insumos y cosecha al día para la inspección interna.",
    "Sembrar barreras vivas en el lindero con el vecino convencional.",
)
EVIDENCE_NOTES = (
    "Imágenes satelitales de 2020 revisadas con el técnico: cafetal bajo sombra.",
    "Constancia de posesión y declaración de los vecinos colindantes.",
    "Fotografías de la parcela de 2019 y registro de la cooperativa.",
    "Revisión en Global Forest Watch sin pérdida de bosque desde 2020.",
)
LAND_USES = (
    *[LandUse2020.COFFEE_COCOA_AGROFORESTRY] * 85,
    *[LandUse2020.OTHER_AGRICULTURE] * 7,
    *[LandUse2020.PASTURE] * 3,
    *[LandUse2020.FOREST] * 3,
    *[LandUse2020.OTHER] * 2,
)


def _six(value: float) -> Decimal:
    return Decimal(f"{value:.6f}")


def _hectares(rng: random.Random) -> Decimal:
    """45% under 1 ha, 40% 1-3 ha, about 14% 3-10 ha, 0.7% over 10 ha (DOMAIN.md)."""
    draw = rng.random()
    if draw < 0.45:
        value = rng.uniform(0.10, 0.99)
    elif draw < 0.85:
        value = rng.uniform(1.00, 2.99)
    elif draw < 0.993:
        value = 3.00 + 6.99 * rng.random() ** 1.6
    else:
        value = 10.01 + 25.0 * rng.random() ** 2
    return Decimal(f"{value:.2f}")


def _square(lat: float, lon: float, hectares: float) -> dict:
    """A square plot of about `hectares` centred on the point; exterior ring counterclockwise (RFC 7946)."""
    half_side_m = math.sqrt(hectares * 10_000) / 2
    dlat = half_side_m / 111_320
    dlon = half_side_m / (111_320 * math.cos(math.radians(lat)))
    ring = [(lon - dlon, lat - dlat), (lon + dlon, lat - dlat), (lon + dlon, lat + dlat), (lon - dlon, lat + dlat)]
    ring = [[round(x, 6), round(y, 6)] for x, y in ring]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


class FarmRows:
    """The member's farms, visits and declarations: a part of bench.seeding.generator.Generator."""

    c: Context
    tables: dict[type[models.Model], Table]
    ids: dict[type[models.Model], Ids]
    other_crop: dict[tuple[str, str], Place]
    history_start: datetime.date
    # The ids of the farms drawn since the last refresh_chunk_eudr_status (ids are handed out increasing).
    chunk_farm_ids: tuple[int, int] | None = None

    def refresh_chunk_eudr_status(self) -> None:
        """Store the EUDR status of the chunk's farms by the members rule (members.eudr.status), in one UPDATE
        over their id range. Call it in the chunk's transaction after its tables are flushed: the rule reads the
        farms and their declarations (the generator writes no overlaps)."""
        if self.chunk_farm_ids is not None:
            first, last = self.chunk_farm_ids
            Farm.objects.filter(pk__gte=first, pk__lte=last).update(eudr_status=eudr_status_expression())
            self.chunk_farm_ids = None

    def _farms(self, rng, member_id, place, joined, until, district_index, community) -> list[tuple]:
        """Write the member's farms with their visits and declarations; return for each (id, crop, hectares,
        active, estimated production in kg)."""
        c, as_of = self.c, self.c.as_of
        draw = rng.random()
        count = 1 if draw < 0.65 else 2 if draw < 0.95 else 3
        technicians = c.technicians[place.region]
        communities = c.communities[place.region]
        farms = []
        for index in range(1, count + 1):
            farm_place = place
            if index > 1 and (place.region, place.crop) in self.other_crop and rng.random() < 0.08:
                farm_place = self.other_crop[(place.region, place.crop)]
            crop = farm_place.crop
            if index > 1 and rng.random() < 0.4:
                community = communities[(district_index * 7 + rng.randrange(9)) % len(communities)]
            farm_id = self.ids[Farm].take()
            self.chunk_farm_ids = (self.chunk_farm_ids or (farm_id, farm_id))[0], farm_id
            hectares = _hectares(rng)
            lat = farm_place.centre[0] + rng.uniform(-PLACE_JITTER_DEGREES, PLACE_JITTER_DEGREES)
            lon = farm_place.centre[1] + rng.uniform(-PLACE_JITTER_DEGREES, PLACE_JITTER_DEGREES)
            technician = technicians[rng.randrange(len(technicians))]
            geometry = (None, "", None, None, None, False, None, None, None, None)
            if rng.random() < (0.7 if hectares > BOUNDARY_FROM_HECTARES else 0.02):
                factor = rng.uniform(0.85, 1.15) if rng.random() < 0.9 else rng.uniform(0.6, 1.5)
                boundary = _square(lat, lon, float(hectares) * factor)
                area = geodesic_area_ha(boundary)
                ring = boundary["coordinates"][0]
                recorded_on = max(joined, as_of - random_days(rng, 0, 700))
                geometry = (
                    boundary,
                    rng.choice(Farm.GeometrySource.values),
                    technician,
                    datetime.datetime.combine(recorded_on, datetime.time(rng.randint(13, 22)), tzinfo=datetime.UTC),
                    area,
                    area_difference_share(area, hectares) > AREA_TOLERANCE,
                    ring[0][0],
                    ring[0][1],
                    ring[2][0],
                    ring[2][1],
                )
            point = geometry[0] is not None or rng.random() < 0.88
            planted_year = rng.randint(max(1985, joined.year - 15), as_of.year - 1)
            previous_crop, changed_on = "", None
            draw = rng.random()
            if crop == "cocoa" and draw < 0.12:
                previous_crop = "coca"
            elif draw < 0.05:
                previous_crop = "food_crops"
            elif draw < 0.07:
                previous_crop = "pasture"
            if previous_crop:
                changed_on = datetime.date(planted_year, rng.randint(1, 12), rng.randint(1, 28))
            production = quantity = None
            unit = Farm.ProductionUnit.KG
            if rng.random() < 0.96:
                kilograms = float(hectares) * (rng.uniform(450, 1000) if crop == "coffee" else rng.uniform(400, 900))
                if crop == "coffee" and rng.random() < 0.8:
                    unit = Farm.ProductionUnit.QUINTAL
                    quantity = Decimal(max(1, round(kilograms / 46))).quantize(CENT)
                    production = quantity * Farm.UNIT_KG[unit]
                else:
                    quantity = production = Decimal(f"{kilograms:.2f}")
            active = rng.random() >= 0.02
            self.tables[Farm].add(
                (
                    farm_id, member_id, f"Parcela {index}", c.regions[farm_place.region],
                    farm_place.districts[district_index % len(farm_place.districts)], community, hectares, crop,
                    rng.choice(VARIETIES[crop]), rng.randint(*farm_place.altitude), _six(lat) if point else None,
                    _six(lon) if point else None, geometry[0], planted_year, previous_crop, changed_on, production,
                    quantity, unit, Farm.Status.ACTIVE if active else Farm.Status.RETIRED, *geometry[1:],
                )
            )  # fmt: skip
            if active and rng.random() < 0.4:
                self.tables[FarmDeforestationDeclaration].add(
                    (
                        farm_id,
                        rng.choice(LAND_USES),
                        rng.choice(EVIDENCE_NOTES),
                        c.ics_coordinator,
                        max(joined, until - random_days(rng, 0, 500)),
                    )
                )
            self._visits(rng, farm_id, farm_place, technician, joined, until, active, production, lat, lon, point)
            farms.append((farm_id, crop, hectares, active, production))
        return farms

    def _visits(self, rng, farm_id, place, technician, joined, until, active, production, lat, lon, point) -> None:
        start = max(joined, self.history_start)
        span = (until - start).days
        if span < 0:
            return
        technicians = self.c.technicians[place.region]
        pests = PESTS[place.crop]
        if place.crop == "cocoa" and place.region == POD_BORER_REGION:
            pests += ("pod_borer",)
        visits, observations = self.tables[FarmVisit].add, self.tables[VisitPestObservation].add
        take = self.ids[FarmVisit].take
        for _visit in range(rng.randint(2, 8) if active else rng.randint(0, 2)):
            visit_id = take()
            visited_on = start + datetime.timedelta(days=rng.randint(0, span))
            estimate = None
            if production is not None and rng.random() < 0.6:
                estimate = Decimal(f"{float(production) * rng.uniform(0.8, 1.2):.2f}")
            at_farm = point and rng.random() < 0.7
            visits(
                (
                    visit_id,
                    uuid.UUID(int=rng.getrandbits(128), version=4),
                    farm_id,
                    technician if rng.random() < 0.8 else technicians[rng.randrange(len(technicians))],
                    visited_on,
                    rng.choice(VISIT_PURPOSES),
                    tuple(sorted(rng.sample(PRACTICES, rng.randint(0, 3)))),
                    estimate,
                    rng.choice(RECOMMENDATIONS) if rng.random() < 0.7 else "",
                    visited_on + random_days(rng, 15, 60) if rng.random() < 0.35 else None,
                    _six(lat + rng.uniform(-0.0004, 0.0004)) if at_farm else None,
                    _six(lon + rng.uniform(-0.0004, 0.0004)) if at_farm else None,
                )
            )
            if rng.random() < 0.35:
                for pest in dict.fromkeys(rng.choice(pests) for _ in range(rng.randint(1, 2))):
                    observations((visit_id, pest, rng.randint(0, 3)))
