"""The import's columns and how each cell is read: header names, accepted values, numbers and dates."""

import datetime
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cooperative.access import MEMBER_WRITERS
from cooperative.models import Crop, Region
from cooperative.selectors import regions_in_scope
from members.models import Farm, Gender
from members.validators import normalize_dni, validate_dni

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# Writing goes through the services, about 9 statements per member and per farm: 2,000 rows took 18-24 s
# on SQLite and PostgreSQL here, inside gunicorn's default 30 s worker timeout (5,000 rows took 54 s).
MAX_ROWS = 2_000
MAX_COLUMNS = 100
# A title or a blank line above the header is common in a cooperative's sheet.
HEADER_SEARCH_ROWS = 10
# Keeps each IN (...) list well under SQLite's limit on query parameters.
LOOKUP_CHUNK = 500
# A sheet whose whole columns were formatted has a million empty rows; stop after this many in a row.
MAX_EMPTY_RUN = 1_000


@dataclass(frozen=True)
class Column:
    key: str  # the header in the template (Spanish, as the cooperatives type it)
    model: str  # "member" or "farm"
    field: str  # the model field it fills; its English name is also accepted as a header
    required: bool
    description: Any  # lazy translated text for the upload page and the template's instructions
    aliases: tuple[str, ...] = ()


COLUMNS: tuple[Column, ...] = (
    Column("codigo", "member", "code", True, gettext_lazy("Member code"), ("codigo_socio", "member_code")),
    Column("nombres", "member", "first_names", True, gettext_lazy("First names"), ("nombre",)),
    Column("apellidos", "member", "last_names", True, gettext_lazy("Last names"), ("apellido",)),
    Column("dni", "member", "dni", False, gettext_lazy("DNI: 8 digits")),
    Column("sexo", "member", "gender", True, gettext_lazy("F, M or otro"), ("genero",)),
    Column(
        "fecha_nacimiento",
        "member",
        "birth_date",
        False,
        gettext_lazy("Birth date: YYYY-MM-DD or DD/MM/YYYY"),
        ("fecha_de_nacimiento",),
    ),
    Column("telefono", "member", "phone", False, gettext_lazy("Phone"), ("celular",)),
    Column(
        "region",
        "member",
        "region",
        True,
        gettext_lazy("Department of Peru (e.g. Huánuco) or its 2-digit ubigeo code"),
        ("departamento",),
    ),
    Column("distrito", "member", "district", False, gettext_lazy("District")),
    Column("comunidad", "member", "community", False, gettext_lazy("Community")),
    Column(
        "fecha_ingreso",
        "member",
        "joined_on",
        True,
        gettext_lazy("Date the member joined: YYYY-MM-DD or DD/MM/YYYY"),
        ("fecha_de_ingreso",),
    ),
    Column(
        "consentimiento",
        "member",
        "consents_to_share",
        False,
        gettext_lazy("Consents to share personal data with partners: si or no"),
    ),
    Column(
        "fecha_consentimiento",
        "member",
        "consent_date",
        False,
        gettext_lazy("Date of the consent (needed when consentimiento is si)"),
        ("fecha_de_consentimiento",),
    ),
    Column("parcela", "farm", "name", True, gettext_lazy("Farm (plot) name"), ("farm", "farm_name", "nombre_parcela")),
    Column("cultivo", "farm", "crop", True, gettext_lazy("café or cacao")),
    Column(
        "hectareas", "farm", "hectares", True, gettext_lazy("Area in hectares, e.g. 2,5"), ("area", "area_ha", "ha")
    ),
    Column("variedades", "farm", "varieties", False, gettext_lazy("Varieties")),
    Column("altitud", "farm", "altitude_m", False, gettext_lazy("Altitude in metres"), ("altitude", "altitud_msnm")),
    Column("latitud", "farm", "latitude", False, gettext_lazy("Latitude, WGS84 decimal degrees")),
    Column("longitud", "farm", "longitude", False, gettext_lazy("Longitude, WGS84 decimal degrees")),
    Column(
        "produccion",
        "farm",
        "production_quantity",
        False,
        gettext_lazy("Estimated yearly production, in the unit of the next column"),
        ("production",),
    ),
    Column(
        "unidad",
        "farm",
        "production_unit",
        False,
        gettext_lazy("kg, qq (quintal, 46 kg) or saco69 (69 kg export bag); kg when empty"),
        ("unit", "unidad_produccion"),
    ),
)
COLUMNS_BY_KEY = {column.key: column for column in COLUMNS}
TEMPLATE_HEADER = [column.key for column in COLUMNS]
TEMPLATE_EXAMPLE = {
    "codigo": "SOC-0001",
    "nombres": "Rosa",
    "apellidos": "Quispe Huamán",
    "dni": "12345678",
    "sexo": "F",
    "fecha_nacimiento": datetime.date(1985, 4, 12),
    "telefono": "987654321",
    "region": "Huánuco",
    "distrito": "Rupa-Rupa",
    "comunidad": "Juan Velasco Alvarado",
    "fecha_ingreso": datetime.date(2012, 3, 1),
    "consentimiento": "si",
    "fecha_consentimiento": datetime.date(2024, 1, 15),
    "parcela": "La Esperanza",
    "cultivo": "cacao",
    "hectareas": Decimal("2.5"),
    "variedades": "CCN-51, criollo",
    "altitud": 680,
    "latitud": Decimal("-9.295000"),
    "longitud": Decimal("-75.995000"),
    "produccion": 20,
    "unidad": "qq",
}


def normalize_label(value: object) -> str:
    """Case-, accent- and punctuation-insensitive form: "Fecha de Ingreso" -> "fecha_de_ingreso"."""
    text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode().casefold()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


_HEADER_KEYS = {
    normalize_label(name): column.key for column in COLUMNS for name in (column.key, column.field, *column.aliases)
}


def header_key(header: str) -> str | None:
    key = _HEADER_KEYS.get(normalize_label(header))
    if key is None:  # "Altitud (msnm)", "Hectáreas (ha)"
        key = _HEADER_KEYS.get(normalize_label(re.sub(r"\(.*?\)", "", header)))
    return key


# ---------------------------------------------------------------------------------------------------
# Reading the cells
# ---------------------------------------------------------------------------------------------------


class InvalidCell(Exception):
    """A cell that cannot be read; the message is for the user."""


GENDERS = {
    "f": Gender.FEMALE,
    "femenino": Gender.FEMALE,
    "female": Gender.FEMALE,
    "mujer": Gender.FEMALE,
    "m": Gender.MALE,
    "masculino": Gender.MALE,
    "male": Gender.MALE,
    "hombre": Gender.MALE,
    "varon": Gender.MALE,
    "otro": Gender.OTHER,
    "other": Gender.OTHER,
}
CROPS = {"cafe": Crop.COFFEE, "coffee": Crop.COFFEE, "cacao": Crop.COCOA, "cocoa": Crop.COCOA}
UNITS = {
    "kg": Farm.ProductionUnit.KG,
    "kilo": Farm.ProductionUnit.KG,
    "kilos": Farm.ProductionUnit.KG,
    "kilogramos": Farm.ProductionUnit.KG,
    "qq": Farm.ProductionUnit.QUINTAL,
    "quintal": Farm.ProductionUnit.QUINTAL,
    "quintales": Farm.ProductionUnit.QUINTAL,
    # A bare "saco" is refused: ICO statistics count 60 kg bags, Peruvian exports 69 kg ones.
    "saco69": Farm.ProductionUnit.EXPORT_BAG,
    "sacos69": Farm.ProductionUnit.EXPORT_BAG,
    "saco69kg": Farm.ProductionUnit.EXPORT_BAG,
    "sacos69kg": Farm.ProductionUnit.EXPORT_BAG,
    "sacode69kg": Farm.ProductionUnit.EXPORT_BAG,
    "bag69": Farm.ProductionUnit.EXPORT_BAG,
    "bag69kg": Farm.ProductionUnit.EXPORT_BAG,
}
YES = {"si", "s", "yes", "y", "true", "verdadero", "1", "x"}
NO = {"no", "n", "false", "falso", "0"}
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
_DMY_DATE = re.compile(r"^(\d{1,2})[/-](\d{1,2})[/-](\d{4})$")
SIX_DECIMALS = Decimal("0.000001")


@dataclass
class CellLookups:
    """What reading a row needs from the database, loaded once per import."""

    regions: dict[str, Region]  # by normalised name and by 2-digit ubigeo code
    scope_ids: set[int]

    @classmethod
    def load(cls, user: AbstractBaseUser) -> "CellLookups":
        regions: dict[str, Region] = {}
        for region in Region.objects.all():
            regions[normalize_label(region.name)] = region
            regions[region.ubigeo_code] = region
        scope_ids = set(regions_in_scope(user, MEMBER_WRITERS).values_list("id", flat=True))
        return cls(regions=regions, scope_ids=scope_ids)


def parse_decimal(text: str) -> Decimal:
    """ "2,5", "2.5", "1.234,5" and "1,234.5" are numbers; "dos" and "2,5,1" are not."""
    value = text.replace(" ", "").replace("\u00a0", "")
    if "," in value and "." in value:
        if value.rfind(",") > value.rfind("."):
            value = value.replace(".", "").replace(",", ".")
        else:
            value = value.replace(",", "")
    elif value.count(",") == 1:
        value = value.replace(",", ".")
    if not _NUMBER.match(value):
        raise InvalidCell(_("“%(value)s” is not a number.") % {"value": text})
    return Decimal(value)


def parse_date(text: str) -> datetime.date:
    """YYYY-MM-DD or DD/MM/YYYY (Excel date cells arrive as YYYY-MM-DD)."""
    if match := _ISO_DATE.match(text):
        year, month, day = match.groups()
    elif match := _DMY_DATE.match(text):
        day, month, year = match.groups()
    else:
        raise InvalidCell(_("“%(value)s” is not a date: write YYYY-MM-DD or DD/MM/YYYY.") % {"value": text})
    try:
        return datetime.date(int(year), int(month), int(day))
    except ValueError:
        raise InvalidCell(_("“%(value)s” is not a valid date.") % {"value": text}) from None


def _parse_dni(text: str, lookups: CellLookups) -> str:
    try:
        validate_dni(text)
    except ValidationError as exc:
        raise InvalidCell(exc.messages[0]) from None
    return normalize_dni(text)


def _parse_choice(choices: dict[str, str], message: str) -> Callable[[str, CellLookups], str]:
    def parse(text: str, lookups: CellLookups) -> str:
        value = choices.get(normalize_label(text).replace("_", ""))
        if value is None:
            raise InvalidCell(message % {"value": text})
        return value

    return parse


def _parse_region(text: str, lookups: CellLookups) -> Region:
    key = text.zfill(2) if (text.isascii() and text.isdigit()) and len(text) <= 2 else normalize_label(text)
    region = lookups.regions.get(key)
    if region is None:
        raise InvalidCell(
            _("Unknown region “%(value)s”: write a department of Peru (e.g. Huánuco) or its 2-digit code.")
            % {"value": text}
        )
    if region.pk not in lookups.scope_ids:
        raise InvalidCell(_("The region %(region)s is outside your regions.") % {"region": region.name})
    return region


def _parse_consent(text: str, lookups: CellLookups) -> bool:
    value = normalize_label(text)
    if value in YES:
        return True
    if value in NO:
        return False
    raise InvalidCell(_("“%(value)s” is not si or no.") % {"value": text})


def _parse_integer(text: str, lookups: CellLookups) -> int:
    number = parse_decimal(text)
    if number != number.to_integral_value():
        raise InvalidCell(_("“%(value)s” is not a whole number.") % {"value": text})
    return int(number)


def _parse_coordinate(text: str, lookups: CellLookups) -> Decimal:
    # The EUDR asks for 6 decimals (about 0.1 m); GPS apps give more, which would not fit the field.
    number = parse_decimal(text)
    try:
        return number.quantize(SIX_DECIMALS, rounding=ROUND_HALF_EVEN)
    except InvalidOperation:  # too many digits for the decimal context: no coordinate is that large
        raise InvalidCell(_("“%(value)s” is not a number.") % {"value": text}) from None


def read_text(text: str, lookups: CellLookups) -> str:
    return text


def _decimal(text: str, lookups: CellLookups) -> Decimal:
    return parse_decimal(text)


def _date(text: str, lookups: CellLookups) -> datetime.date:
    return parse_date(text)


PARSERS: dict[str, Callable[[str, CellLookups], Any]] = {
    "dni": _parse_dni,
    "sexo": _parse_choice(GENDERS, gettext_lazy("Unknown sex “%(value)s”: write F, M or otro.")),
    "fecha_nacimiento": _date,
    "region": _parse_region,
    "fecha_ingreso": _date,
    "consentimiento": _parse_consent,
    "fecha_consentimiento": _date,
    "cultivo": _parse_choice(CROPS, gettext_lazy("Unknown crop “%(value)s”: write café or cacao.")),
    "hectareas": _decimal,
    "altitud": _parse_integer,
    "latitud": _parse_coordinate,
    "longitud": _parse_coordinate,
    "produccion": _decimal,
    "unidad": _parse_choice(UNITS, gettext_lazy("Unknown unit “%(value)s”: write kg, qq or saco69.")),
}
# What an empty cell of an optional column stores.
EMPTY_VALUES: dict[str, Any] = {
    "dni": None,
    "fecha_nacimiento": None,
    "consentimiento": False,
    "fecha_consentimiento": None,
    "altitud": None,
    "latitud": None,
    "longitud": None,
    "produccion": None,
    "unidad": Farm.ProductionUnit.KG,
}
