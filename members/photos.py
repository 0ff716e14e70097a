"""Visit photos: checked and resized with Pillow before they are stored."""

import io
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from members.models import MAX_PHOTO_UPLOAD_BYTES, MAX_VISIT_PHOTOS, PHOTO_MAX_SIDE_PX

JPEG_QUALITY = 82
# A decompression bomb (a tiny file declaring a huge canvas) is refused before it is decoded.
MAX_PIXELS = 50_000_000


def resize_photos(uploads: Sequence[UploadedFile]) -> list[ContentFile]:
    """Each upload as a JPEG whose longest side is at most PHOTO_MAX_SIDE_PX, turned upright per EXIF.

    Raises ValidationError({"photos": ...}) naming the first problem: too many, too large, not an image.
    """
    if len(uploads) > MAX_VISIT_PHOTOS:
        raise ValidationError({"photos": _("At most %(max)d photos per visit.") % {"max": MAX_VISIT_PHOTOS}})
    return [_resize(upload, number) for number, upload in enumerate(uploads, start=1)]


def _resize(upload: UploadedFile, number: int) -> ContentFile:
    if upload.size > MAX_PHOTO_UPLOAD_BYTES:
        raise ValidationError(
            {
                "photos": _("Photo %(number)d is larger than %(max)d MB.")
                % {"number": number, "max": MAX_PHOTO_UPLOAD_BYTES // (1024 * 1024)}
            }
        )
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            if image.width * image.height > MAX_PIXELS:
                raise ValidationError({"photos": _("Photo %(number)d is too large.") % {"number": number}})
            image = ImageOps.exif_transpose(image)
            image = image.convert("RGB")
            image.thumbnail((PHOTO_MAX_SIDE_PX, PHOTO_MAX_SIDE_PX), Image.Resampling.LANCZOS)
            output = io.BytesIO()
            image.save(output, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError, ValueError):
        raise ValidationError(
            {"photos": _("Photo %(number)d is not a readable image (JPEG, PNG or WebP).") % {"number": number}}
        ) from None
    return ContentFile(output.getvalue(), name=f"photo-{number}.jpg")
