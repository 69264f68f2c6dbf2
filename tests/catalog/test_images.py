"""Product pictures: a drawing per product in the repository, photos uploaded in the back office
(checked by Pillow for type and size), served from media and shown on the store."""

from __future__ import annotations

import io

import pytest
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from millet.accounts.actor import SYSTEM
from millet.catalog import services
from millet.catalog.images import CATEGORY_DRAWINGS, DRAWINGS, MAX_IMAGE_BYTES, validate_image
from millet.catalog.models import Product
from millet.core.errors import Unprocessable
from millet.demo.content import PRODUCT_TEXT
from millet.demo.data import PRODUCTS


def picture(kind: str = "PNG", size: tuple[int, int] = (64, 64)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "#ff6900").save(buffer, kind)
    return buffer.getvalue()


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def test_every_drawing_is_in_the_repository_and_every_demo_product_has_one():
    for name, _label in DRAWINGS:
        path = finders.find(f"catalog/drawings/{name}.svg")
        assert path, name
        with open(path, encoding="utf-8") as svg:
            text = svg.read()
        assert text.startswith("<svg") and "<script" not in text and "href" not in text
    names = {name for name, _label in DRAWINGS}
    assert set(CATEGORY_DRAWINGS.values()) <= names
    assert {PRODUCT_TEXT[slug][0] for slug, *_ in PRODUCTS} <= names


@pytest.mark.parametrize("kind", ["PNG", "JPEG", "WEBP"])
def test_photos_are_accepted(kind):
    validate_image(upload(f"photo.{kind.lower()}", picture(kind)))


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        (
            "photo.png",
            b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
            "not_an_image",
        ),
        ("photo.png", picture("GIF"), "not_an_image"),
        ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "not_an_image"),  # a PNG signature and nothing
        ("photo.png", b"", "not_an_image"),
        ("photo.png", picture("PNG", (5000, 4000)), "too_many_pixels"),
        ("photo.png", picture() + b"\0" * MAX_IMAGE_BYTES, "too_large"),
    ],
)
def test_anything_else_is_refused_with_its_reason(name, content, code):
    with pytest.raises(ValidationError) as refused:
        validate_image(upload(name, content))
    assert refused.value.code == code


def test_a_drawing_must_be_one_of_millets(markets):
    with pytest.raises(Unprocessable) as refused:
        services.create_product("x", "X", "phone", drawing="../../etc/passwd", actor=SYSTEM)
    assert refused.value.code == "unknown_drawing"


def test_the_back_office_uploads_a_photo_the_store_then_shows(catalog, admin_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    product = Product.objects.get(slug="mi-6")
    form = {
        "slug": "mi-6",
        "name_en": "Mi 6",
        "name_zh_hans": "小米6",
        "name_hi": "",
        "name_de": "",
        "category": "phone",
        "description_en": "Snapdragon 835",
        "drawing": "phone-blue",
        "tax_class": "electronics",
        "is_active": "on",
        "skus-TOTAL_FORMS": "0",
        "skus-INITIAL_FORMS": "0",
    }
    bad = admin_client.post(
        f"/admin/catalog/product/{product.pk}/change/", {**form, "image": upload("x.png", b"GIF89a nope")}
    )
    assert bad.status_code == 200 and b"Upload a valid image" in bad.content
    product.refresh_from_db()
    assert not product.image
    saved = admin_client.post(
        f"/admin/catalog/product/{product.pk}/change/", {**form, "image": upload("mi6.png", picture())}
    )
    assert saved.status_code == 302, saved.content[:2000]
    product.refresh_from_db()
    assert product.image.name.startswith("catalog/products/") and product.name_zh_hans == "小米6"
    store = Client().get("/shop/cn/product/mi-6/").content.decode()
    assert f'src="/media/{product.image.name}"' in store
    served = Client().get(f"/media/{product.image.name}")
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content) == picture()
