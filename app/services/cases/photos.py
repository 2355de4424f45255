"""Photos taken on patrol: stored without their metadata (a phone's EXIF holds the GPS position, personal
data), upright, with a small preview for the case page's gallery."""
import io

from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from app.services.errors import InvalidInputError

IMAGE_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG"}
THUMBNAIL_SIZE = (320, 320)
MAX_PIXELS = 40_000_000  # a 40-megapixel photo; larger is refused rather than decoded (decompression bombs)


def without_metadata(data: bytes, content_type: str) -> bytes:
    """The image re-encoded from its pixels only: EXIF (GPS, camera, time), XMP and text chunks are gone."""
    image = _open(data)
    upright = ImageOps.exif_transpose(image)
    out = io.BytesIO()
    if IMAGE_TYPES[content_type] == "JPEG":
        upright.convert("RGB").save(out, "JPEG", quality=88, optimize=True)
    else:
        upright.save(out, "PNG", optimize=True)
    return out.getvalue()


def thumbnail(data: bytes) -> bytes:
    image = _open(data).convert("RGB")
    image.thumbnail(THUMBNAIL_SIZE)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=75)
    return out.getvalue()


def _open(data: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
        too_large = image.width * image.height > MAX_PIXELS
        if not too_large:
            image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        too_large = None
    if too_large is None:
        raise InvalidInputError(_("图片无法读取。"), {"file": [_("该图片已损坏，请重新拍摄或选择。")]})
    if too_large:
        raise InvalidInputError(_("图片过大。"), {"file": [_("图片像素过多，请缩小后再上传。")]})
    return image
