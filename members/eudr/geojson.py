"""The EUDR export file: one GeoJSON Feature per plot (RFC 7946, 6 decimals), in FeatureCollections of at
most 25 MB each (the EU information system's limit), several zipped. Which farms go in is deliveries.eudr."""

import io
import json
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import Farm

PRODUCER_COUNTRY = "PE"
# The EU information system takes statement files of at most 25 MB; settings may lower it (tests do).
DEFAULT_MAX_FILE_BYTES = 25 * 1000 * 1000
GEOJSON_CONTENT_TYPE = "application/geo+json"
ZIP_CONTENT_TYPE = "application/zip"


def production_place(farm: Farm) -> str:
    """The plot's stable identifier in statements: the member's code (fixed once registered) and the farm's
    id (never reused), e.g. "M-00012-P345". The farm's name is left out: it can be edited."""
    return f"{farm.member.code}-P{farm.pk}"


def export_geometry(farm: Farm) -> dict:
    """The checked boundary, else the point (only ready farms are exported)."""
    if farm.boundary is not None and farm.boundary_area_ha is not None:
        return farm.boundary
    return {"type": "Point", "coordinates": [farm.longitude, farm.latitude]}


def _coordinates_text(node) -> str:
    """Nested positions with exactly 6 decimals per number (RFC 7946 numbers, EUDR precision)."""
    if isinstance(node, list | tuple) and node and isinstance(node[0], list | tuple):
        return "[" + ",".join(_coordinates_text(child) for child in node) + "]"
    return "[" + ",".join(f"{Decimal(repr(value)) if isinstance(value, float) else value:.6f}" for value in node) + "]"


def feature_text(farm: Farm, *, producer_name: bool) -> str:
    """One plot as a GeoJSON Feature (RFC 7946: no "crs", [longitude, latitude], 6 decimals).

    Properties: ProductionPlace, ProducerCountry, Area (ha, points only) and ProducerName, only when
    `producer_name` and the member consents to share personal data."""
    geometry = export_geometry(farm)
    properties: dict[str, Any] = {"ProductionPlace": production_place(farm), "ProducerCountry": PRODUCER_COUNTRY}
    if geometry["type"] == "Point":
        properties["Area"] = float(farm.hectares)
    if producer_name and farm.member.consents_to_share:
        properties["ProducerName"] = farm.member.full_name
    geometry_json = f'{{"type":"{geometry["type"]}","coordinates":{_coordinates_text(geometry["coordinates"])}}}'
    return (
        '{"type":"Feature","properties":'
        + json.dumps(properties, ensure_ascii=False, separators=(",", ":"))
        + ',"geometry":'
        + geometry_json
        + "}"
    )


@dataclass
class EudrExport:
    """The export's file: one GeoJSON FeatureCollection, or a ZIP of several when one would pass the limit."""

    file: IO[bytes]
    filename: str
    content_type: str
    feature_count: int
    file_sizes: list[int]


class _FeatureFiles:
    """FeatureCollections of at most `max_bytes` each. The first is kept in memory; from the second on,
    all go into a ZIP in a temporary file, so memory holds at most one file whatever the export's size."""

    HEAD = b'{"type":"FeatureCollection","features":['
    TAIL = b"]}"

    def __init__(self, max_bytes: int, stem: str) -> None:
        self.max_bytes = max_bytes
        self.stem = stem
        self.parts: list[bytes] = []
        self.size = len(self.HEAD) + len(self.TAIL)
        self.sizes: list[int] = []
        self.first: bytes | None = None
        self.archive: zipfile.ZipFile | None = None
        self.archive_file: IO[bytes] | None = None
        self.count = 0

    def add(self, feature: bytes) -> None:
        if len(self.HEAD) + len(feature) + len(self.TAIL) > self.max_bytes:
            raise ValidationError(_("A single plot's boundary is larger than the file size limit."))
        added = len(feature) + (1 if self.parts else 0)
        if self.size + added > self.max_bytes:
            self._close_file()
            added = len(feature)
        self.parts.append(feature)
        self.size += added
        self.count += 1

    def _name(self, number: int) -> str:
        return f"{self.stem}-{number:02d}.geojson"

    def _close_file(self) -> None:
        content = self.HEAD + b",".join(self.parts) + self.TAIL
        self.sizes.append(len(content))
        self.parts, self.size = [], len(self.HEAD) + len(self.TAIL)
        if len(self.sizes) == 1:
            self.first = content
            return
        if self.archive is None:
            self.archive_file = tempfile.TemporaryFile()  # noqa: SIM115 (handed to the response, which closes it)
            self.archive = zipfile.ZipFile(self.archive_file, "w", compression=zipfile.ZIP_DEFLATED)
            self.archive.writestr(self._name(1), self.first)
            self.first = None
        self.archive.writestr(self._name(len(self.sizes)), content)

    def finish(self) -> EudrExport:
        if self.parts or not self.sizes:
            self._close_file()
        if self.archive is None:
            return EudrExport(
                io.BytesIO(self.first), f"{self.stem}.geojson", GEOJSON_CONTENT_TYPE, self.count, self.sizes
            )
        self.archive.close()
        self.archive_file.seek(0)
        return EudrExport(self.archive_file, f"{self.stem}.zip", ZIP_CONTENT_TYPE, self.count, self.sizes)


def geojson_export(
    farms: Iterable[Farm], *, producer_name: bool = False, max_file_bytes: int | None = None
) -> EudrExport:
    """`farms` (EUDR-ready, member joined) as GeoJSON FeatureCollections, one Feature per plot, each file at
    most `max_file_bytes` (settings.EUDR_EXPORT_MAX_FILE_BYTES, 25 MB by default), several files in a ZIP.
    Memory holds at most one file, however many farms `farms` yields (read a queryset with iterator())."""
    max_bytes = max_file_bytes or getattr(settings, "EUDR_EXPORT_MAX_FILE_BYTES", DEFAULT_MAX_FILE_BYTES)
    files = _FeatureFiles(max_bytes, f"eudr-{timezone.localdate().isoformat()}")
    for farm in farms:
        files.add(feature_text(farm, producer_name=producer_name).encode())
    return files.finish()
