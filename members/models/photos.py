"""The photos of a farm visit."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from members.models.visits import FarmVisit

# Photos arrive from phones (often 4000 px, several MB) and are stored resized, as JPEG.
MAX_VISIT_PHOTOS = 3
MAX_PHOTO_UPLOAD_BYTES = 10 * 1024 * 1024
PHOTO_MAX_SIDE_PX = 1600


def visit_photo_path(photo: "VisitPhoto", filename: str) -> str:
    return f"visits/{photo.visit.visited_on:%Y/%m}/{photo.visit.client_uuid}-{photo.position}.jpg"


class VisitPhoto(models.Model):
    """One of up to three photos of a visit, resized on the server (longest side 1600 px, JPEG).

    Served only through a view that checks the viewer's scope, never as a public media URL.
    """

    visit = models.ForeignKey(FarmVisit, verbose_name=_("visit"), on_delete=models.CASCADE, related_name="photos")
    position = models.PositiveSmallIntegerField(_("position"))
    image = models.ImageField(_("photo"), upload_to=visit_photo_path, width_field="width", height_field="height")
    width = models.PositiveIntegerField(_("width (px)"), default=0)
    height = models.PositiveIntegerField(_("height (px)"), default=0)

    class Meta:
        verbose_name = _("visit photo")
        verbose_name_plural = _("visit photos")
        ordering = ["visit", "position"]
        constraints = [
            models.UniqueConstraint(fields=["visit", "position"], name="members_visitphoto_unique_position"),
            models.CheckConstraint(
                condition=Q(position__gte=1, position__lte=MAX_VISIT_PHOTOS), name="members_visitphoto_position_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.visit} – {self.position}"
