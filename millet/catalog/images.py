"""A product's picture: a photo uploaded in the back office, else Millet's own drawing of it.

The drawings are SVG files in the repository (``catalog/static/catalog/drawings/<name>.svg``), drawn
for Millet, nothing downloaded. Uploads are raster photos only (PNG, JPEG, WebP), checked by Pillow:
an SVG can carry script, and uploads are served from Millet's own origin.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.files import File
from django.templatetags.static import static
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

IMAGE_EXTENSIONS = ["png", "jpg", "jpeg", "webp"]
IMAGE_FORMATS = {"PNG", "JPEG", "WEBP"}  # what Pillow must find inside, whatever the name says
MAX_IMAGE_BYTES = 2 * 1024 * 1024
MAX_IMAGE_PIXELS = 4096 * 4096

# (name, label): the drawings in the repository. Product photos on a store are 1:1; so are these.
DRAWINGS = [
    ("phone-black", _("Phone, black")),
    ("phone-blue", _("Phone, blue")),
    ("phone-ceramic", _("Phone, white ceramic")),
    ("phone-gold", _("Phone, gold")),
    ("tv", _("TV")),
    ("router", _("Router, three antennas")),
    ("router-hd", _("Router with a hard disk")),
    ("camera-360", _("Pan-and-tilt camera")),
    ("camera-cube", _("Cube camera")),
    ("band", _("Fitness band")),
    ("laptop", _("Laptop")),
    ("speaker-bt", _("Bluetooth speaker")),
    ("speaker-ai", _("Smart speaker")),
    ("purifier", _("Air purifier")),
    ("vacuum", _("Robot vacuum")),
    ("bulb", _("Smart bulb")),
    ("plug", _("Smart plug")),
    ("scooter", _("Electric scooter")),
    ("rice-cooker", _("Rice cooker")),
    ("power-bank", _("Power bank")),
    ("earphones", _("Earphones")),
    ("cable", _("USB-C cable")),
    ("selfie-stick", _("Selfie stick tripod")),
]
DRAWING_NAMES = {name for name, _label in DRAWINGS}

# The drawing of a product that names none: its category's.
CATEGORY_DRAWINGS = {
    "phone": "phone-black",
    "tv": "tv",
    "router": "router",
    "camera": "camera-360",
    "band": "band",
    "laptop": "laptop",
    "speaker": "speaker-bt",
    "home": "plug",
    "accessory": "power-bank",
}


def validate_image(upload: File) -> None:
    """Refuse an upload over ``MAX_IMAGE_BYTES`` or ``MAX_IMAGE_PIXELS``, or one whose content is not
    a PNG, JPEG or WebP image (Pillow reads the header; the name alone proves nothing)."""
    if upload.size is not None and upload.size > MAX_IMAGE_BYTES:
        raise ValidationError(
            _("The image is larger than %(limit)s MB."), code="too_large", params={"limit": 2}
        )
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            kind, (width, height) = image.format, image.size
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        kind, width, height = None, 0, 0
    finally:
        upload.seek(0)
    if kind not in IMAGE_FORMATS:
        raise ValidationError(_("Upload a PNG, JPEG or WebP image."), code="not_an_image")
    if width * height > MAX_IMAGE_PIXELS:
        raise ValidationError(_("The image has too many pixels."), code="too_many_pixels")


def drawing_url(drawing: str, category: str) -> str:
    """The static URL of a product's drawing: its own, else its category's."""
    name = drawing if drawing in DRAWING_NAMES else CATEGORY_DRAWINGS.get(category, "power-bank")
    return static(f"catalog/drawings/{name}.svg")
