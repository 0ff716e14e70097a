"""The members and their farms: 720 coffee members in Cusco and Junín, 425 cocoa members in San Martín and
Huánuco, coffee production adding up to the case study's 26,800 bags, and Teodoro Espiritu Lino."""

import datetime
import math
import random
from decimal import ROUND_HALF_UP, Decimal

from demo.constants import COFFEE_TOTAL_KG, SEED, TWO_PLACES
from demo.context import Demo, money
from members.models import Farm, Member
from members.services import farm_create, member_create

# region, crop, number of members, districts, centre (lat, lon), altitude range (m)
MEMBER_GROUPS = [
    (
        "Cusco",
        "coffee",
        362,
        ["Santa Teresa", "Echarati", "Quellouno", "Huayopata", "Maranura"],
        (-12.86, -72.69),
        (1100, 2000),
    ),
    (
        "Junín",
        "coffee",
        358,
        ["Pichanaqui", "Perené", "Satipo", "Río Negro", "San Ramón"],
        (-11.10, -74.65),
        (1000, 1900),
    ),
    (
        "San Martín",
        "cocoa",
        196,
        ["Juanjuí", "Tocache", "Uchiza", "Bellavista", "Saposoa"],
        (-7.40, -76.60),
        (250, 700),
    ),
    (
        "Huánuco",
        "cocoa",
        229,
        ["Rupa-Rupa", "José Crespo y Castillo", "Luyando", "Mariano Dámaso Beraún", "Daniel Alomía Robles"],
        (-9.20, -76.00),
        (550, 950),
    ),
]
COMMUNITIES = {
    "Cusco": ["Chaupimayo", "Santa María", "Huyro", "Palma Real", "Incatambo"],
    "Junín": ["San Juan", "Villa Progreso", "Alto Kimiriki", "Bajo Marankiari", "Sanibeni"],
    "San Martín": ["Nuevo Tocache", "Pólvora", "Huicungo", "Pajarillo", "Alto el Sol"],
    "Huánuco": ["Juan Velasco Alvarado", "Pueblo Nuevo", "Aucayacu", "Naranjillo", "Supte San Jorge"],
}
FIRST_NAMES = {
    "female": [
        "María",
        "Rosa",
        "Juana",
        "Carmen",
        "Lucía",
        "Elena",
        "Nelly",
        "Gladys",
        "Hilda",
        "Norma",
        "Flor",
        "Yolanda",
    ],
    "male": [
        "José",
        "Juan",
        "Luis",
        "Carlos",
        "Teodoro",
        "Pedro",
        "Víctor",
        "Jorge",
        "Alberto",
        "Wilfredo",
        "Hugo",
        "Raúl",
    ],
}
LAST_NAMES = [
    "Quispe",
    "Huamán",
    "Mamani",
    "Flores",
    "Rojas",
    "Espinoza",
    "Cárdenas",
    "Ramos",
    "Torres",
    "Vargas",
    "Chávez",
    "Gutiérrez",
    "Sánchez",
    "Paucar",
    "Ccori",
    "Ticona",
    "Lino",
    "Castro",
    "Inga",
    "Soto",
]
VARIETIES = {
    "coffee": ["Typica, Caturra", "Bourbon, Typica", "Catimor", "Caturra, Catuaí", "Geisha, Typica"],
    "cocoa": ["CCN-51", "Criollo, Trinitario", "ICS-95, CCN-51", "Trinitario"],
}
SIX_PLACES = Decimal("0.000001")


def _point(rng: random.Random, centre: tuple[float, float]) -> tuple[Decimal, Decimal]:
    lat = Decimal(str(centre[0] + rng.uniform(-0.35, 0.35))).quantize(SIX_PLACES)
    lon = Decimal(str(centre[1] + rng.uniform(-0.35, 0.35))).quantize(SIX_PLACES)
    return lat, lon


def _square(lat: Decimal, lon: Decimal, hectares: Decimal) -> dict:
    """A square plot of the given area centred on the point (GeoJSON: [longitude, latitude])."""
    half_side_m = math.sqrt(float(hectares) * 10_000) / 2
    dlat = half_side_m / 111_320
    dlon = half_side_m / (111_320 * math.cos(math.radians(float(lat))))
    y, x = float(lat), float(lon)
    ring = [
        [x - dlon, y - dlat],
        [x + dlon, y - dlat],
        [x + dlon, y + dlat],
        [x - dlon, y + dlat],
        [x - dlon, y - dlat],
    ]
    return {"type": "Polygon", "coordinates": [[[round(a, 6), round(b, 6)] for a, b in ring]]}


def member_specs(demo: Demo) -> list[dict]:
    """Every member and farm, drawn from the seeded generator in one fixed order."""
    rng = random.Random(SEED)
    specs = []
    dnis = rng.sample(range(10_000_000, 48_000_000), 1200)
    number = 0
    for region_name, crop, count, districts, centre, altitudes in MEMBER_GROUPS:
        for _ in range(count):
            number += 1
            gender = "female" if rng.random() < 0.32 else "male"
            if crop == "coffee":
                joined = (
                    datetime.date(2003, 3, 1)
                    if number <= 14
                    else datetime.date(rng.randint(2003, 2011), rng.randint(1, 12), rng.randint(1, 28))
                )
            else:
                joined = datetime.date(rng.randint(2012, 2016), rng.randint(1, 12), rng.randint(1, 28))
            consents = rng.random() < 0.7
            district_index = rng.randrange(len(districts))
            member = dict(
                code=f"BA-{number:05d}",
                first_names=rng.choice(FIRST_NAMES[gender]),
                last_names=f"{rng.choice(LAST_NAMES)} {rng.choice(LAST_NAMES)}",
                dni=None if rng.random() < 0.04 else f"{dnis[number]:08d}",
                gender=gender,
                birth_date=datetime.date(rng.randint(1950, 1995), rng.randint(1, 12), rng.randint(1, 28)),
                phone=f"9{rng.randint(10_000_000, 99_999_999)}",
                region=demo.regions[region_name],
                district=districts[district_index],
                community="San Juan" if number <= 14 else COMMUNITIES[region_name][district_index],
                joined_on=joined,
                consents_to_share=consents,
                consent_date=max(joined, datetime.date(2019, 6, 1)) if consents else None,
            )
            n_farms = 2 if rng.random() < 0.15 else 1
            farms = []
            for index in range(n_farms):
                if crop == "coffee":
                    hectares = Decimal(str(rng.triangular(1.2, 8.5, 3.6))).quantize(TWO_PLACES)
                    if n_farms == 2:
                        hectares = (hectares * Decimal("0.6")).quantize(TWO_PLACES)
                else:
                    hectares = Decimal(str(rng.triangular(0.8, 5.0, 2.0))).quantize(TWO_PLACES)
                lat, lon = _point(rng, centre)
                farms.append(
                    dict(
                        name=f"Parcela {index + 1}",
                        district=member["district"],
                        community=member["community"],
                        hectares=hectares,
                        crop=crop,
                        varieties=rng.choice(VARIETIES[crop]),
                        altitude_m=rng.randint(*altitudes),
                        latitude=lat,
                        longitude=lon,
                        planted_year=rng.randint(max(joined.year - 8, 1990), max(joined.year, 2003)),
                        yield_factor=Decimal(str(rng.uniform(450, 760))),
                    )
                )
            specs.append({"member": member, "farms": farms})
    # Teodoro Espiritu Lino: coca until 2013, then six hectares of cocoa with Bioazul - ECOM Peru.
    teodoro = specs[-1]
    teodoro["member"].update(
        first_names="Teodoro",
        last_names="Espiritu Lino",
        gender="male",
        community="Juan Velasco Alvarado",
        birth_date=datetime.date(1965, 4, 12),
        joined_on=datetime.date(2013, 2, 4),
        consents_to_share=True,
        consent_date=datetime.date(2019, 6, 1),
    )
    teodoro["farms"] = [
        dict(
            teodoro["farms"][0],
            hectares=Decimal("6.00"),
            planted_year=2013,
            previous_crop="coca",
            crop_changed_on=datetime.date(2013, 5, 15),
        )
    ]
    _production(specs)
    return specs


def _production(specs: list[dict]) -> None:
    """Estimated production: coffee in quintals adding up to the case study's 26,800 export bags."""
    coffee = [farm for spec in specs for farm in spec["farms"] if farm["crop"] == "coffee"]
    raw = [farm["hectares"] * farm["yield_factor"] for farm in coffee]
    scale = COFFEE_TOTAL_KG / sum(raw)
    total = Decimal(0)
    for farm, value in zip(coffee[:-1], raw[:-1], strict=True):
        quintals = (value * scale / 46).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        farm.update(production_quantity=quintals, production_unit=Farm.ProductionUnit.QUINTAL)
        total += quintals * 46
    coffee[-1].update(production_quantity=COFFEE_TOTAL_KG - total, production_unit=Farm.ProductionUnit.KG)
    for spec in specs:
        for farm in spec["farms"]:
            yield_factor = farm.pop("yield_factor")
            if farm["crop"] == "cocoa":
                farm.update(production_quantity=money(farm["hectares"] * yield_factor), production_unit="kg")


def build_members(demo: Demo, specs: list[dict]) -> None:
    """Each member of `specs` not yet there (by code) through member_create, each farm (by member and name)
    through farm_create, with a boundary when it is over 4 ha (EUDR)."""
    existing_members = dict(Member.objects.values_list("code", "pk"))
    existing_farms = set(Farm.objects.values_list("member__code", "name"))
    for spec in specs:
        data = spec["member"]
        if data["code"] in existing_members:
            member = Member(pk=existing_members[data["code"]], **data)
        else:
            member = member_create(**data)
            demo.report.count("members")
        for farm_data in spec["farms"]:
            if (data["code"], farm_data["name"]) in existing_farms:
                continue
            boundary = None
            if farm_data["hectares"] > 4:
                boundary = _square(farm_data["latitude"], farm_data["longitude"], farm_data["hectares"])
            farm_create(member=member, region=member.region, boundary=boundary, **farm_data)
            demo.report.count("farms")
