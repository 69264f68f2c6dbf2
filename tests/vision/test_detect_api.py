"""POST /api/vision/detect: who may call it, what it answers, and how it refuses bad images."""

from __future__ import annotations

import io
import math
import struct
import zlib

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http.multipartparser import MultiPartParser
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from millet.core.errors import DomainError
from millet.vision.services import images
from tests.vision.conftest import ASTRONAUT_FACE, jpeg

URL = "/api/vision/detect"


def post(client: Client, data: bytes, *, token: str | None = None, name="photo.jpg", **query):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    qs = "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
    return client.post(URL + qs, {"image": SimpleUploadedFile(name, data)}, **headers)


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` (a decompression bomb's header)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


def jpeg_claiming(width: int, height: int) -> bytes:
    """A small JPEG whose frame header (SOF0) is rewritten to claim another size."""
    data = bytearray(jpeg(np.zeros((8, 8, 3), np.uint8)))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


@pytest.fixture
def client():
    return Client()


def test_a_token_app_gets_each_face_with_box_score_landmarks_and_ellipse(people, client, face_jpeg):
    response = post(client, face_jpeg, token=people.tokens["alice"])
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["detector"], body["width"], body["height"]) == ("yunet", 512, 512)
    (face,) = body["faces"]
    x, y, w, h = ASTRONAUT_FACE
    assert face["box"] == pytest.approx({"x": x, "y": y, "width": w, "height": h}, abs=3)
    assert 0.5 <= face["score"] <= 1
    assert len(face["landmarks"]) == 5
    right_eye, left_eye = face["landmarks"][:2]
    assert right_eye["x"] < left_eye["x"] and abs(right_eye["y"] - left_eye["y"]) < 5
    ellipse = face["ellipse"]
    assert ellipse["angle"] == pytest.approx(math.pi / 2, abs=0.1)  # upright: major axis vertical
    assert ellipse["center_x"] == pytest.approx(x + w / 2) and ellipse["center_y"] == pytest.approx(y + h / 2)


def test_the_haar_baseline_has_no_landmarks(people, client, face_jpeg):
    body = post(client, face_jpeg, token=people.tokens["alice"], detector="haar").json()
    (face,) = body["faces"]
    assert body["detector"] == "haar" and face["landmarks"] is None
    assert face["box"]["x"] == pytest.approx(ASTRONAUT_FACE[0], abs=8)


def test_min_score_drops_weaker_faces(people, client, face_jpeg):
    assert post(client, face_jpeg, token=people.tokens["alice"], min_score=1).json()["faces"] == []
    response = post(client, face_jpeg, token=people.tokens["alice"], min_score=1.5)
    assert response.status_code == 422


def test_staff_sessions_may_detect_but_customer_sessions_and_strangers_may_not(people, face_jpeg):
    staff, alice, nobody = Client(), Client(), Client()
    staff.force_login(people.users["staff"])
    alice.force_login(people.users["alice"])
    assert post(staff, face_jpeg).status_code == 200
    refused = post(alice, face_jpeg)
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    assert post(nobody, face_jpeg).status_code == 401
    assert post(nobody, face_jpeg, token="not-a-token").status_code == 401


def test_an_image_over_the_byte_limit_is_413_before_it_is_read(people, client, monkeypatch, face_jpeg):
    monkeypatch.setattr(images, "MAX_IMAGE_BYTES", len(face_jpeg) - 1)
    response = post(client, face_jpeg, token=people.tokens["alice"])
    assert response.status_code == 413
    assert response.json()["error"] == "image_too_large"
    assert str(len(face_jpeg)) in response.json()["detail"]


@pytest.mark.parametrize(
    "data",
    [
        png_claiming(30_000, 30_000),
        png_claiming(9_000, 9_000),
        png_claiming(20_000, 10),
        jpeg_claiming(60_000, 60_000),
    ],
    ids=["png-30000-square", "png-81-megapixels", "png-20000-wide", "jpeg-60000-square"],
)
def test_too_many_pixels_is_422_from_the_header_alone(people, client, data):
    response = post(client, data, token=people.tokens["alice"])
    assert response.status_code == 422
    assert response.json()["error"] == "too_many_pixels"


def test_the_pixel_limit_is_checked_before_decoding(monkeypatch):
    # A bomb would take gigabytes to decode; refusing it must not touch the pixels.
    def never(*args, **kwargs):
        raise AssertionError("decoded a refused image")

    monkeypatch.setattr(Image.Image, "load", never)
    with pytest.raises(DomainError) as refused:
        images.decode_image(png_claiming(30_000, 30_000))
    assert refused.value.code == "too_many_pixels"


@pytest.mark.parametrize(
    ("data", "code", "status"),
    [
        (b"", "empty_image", 422),
        (b"\xff\xd8\xff\xe0 this is not really a jpeg", "corrupt_image", 422),
        (b"hello world", "corrupt_image", 422),
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "unsupported_image_type", 415),
    ],
    ids=["empty", "jpeg-magic-then-garbage", "text", "gif"],
)
def test_corrupt_or_other_formats_are_refused_precisely(people, client, data, code, status):
    response = post(client, data, token=people.tokens["alice"])
    assert response.status_code == status, response.content
    assert response.json()["error"] == code


def test_a_truncated_jpeg_is_a_corrupt_image(people, client, face_jpeg):
    response = post(client, face_jpeg[: len(face_jpeg) // 2], token=people.tokens["alice"])
    assert response.status_code == 422 and response.json()["error"] == "corrupt_image"


def test_a_png_with_a_broken_checksum_is_a_corrupt_image(people, client, astronaut):
    out = io.BytesIO()
    Image.fromarray(astronaut[:64, :64]).save(out, "PNG")
    data = bytearray(out.getvalue())
    data[40] ^= 0xFF  # inside the first IDAT chunk
    response = post(client, bytes(data), token=people.tokens["alice"], name="x.png")
    assert response.status_code == 422 and response.json()["error"] == "corrupt_image"


def test_png_and_grayscale_and_tiny_images_are_fine(people, client, astronaut):
    out = io.BytesIO()
    Image.fromarray(astronaut).convert("L").save(out, "PNG")
    body = post(client, out.getvalue(), token=people.tokens["alice"], name="x.png").json()
    assert len(body["faces"]) == 1
    out = io.BytesIO()
    Image.new("RGBA", (1, 1)).save(out, "PNG")
    assert post(client, out.getvalue(), token=people.tokens["alice"], name="x.png").json()["faces"] == []


def test_a_missing_upload_is_422(people, client):
    response = client.post(URL, {}, HTTP_AUTHORIZATION=f"Bearer {people.tokens['alice']}")
    assert response.status_code == 422


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 255)), min_size=1, max_size=8))
def test_damaged_images_decode_or_are_refused_never_crash(flips, small_images):
    for original in small_images:
        data = bytearray(original)
        for position, xor in flips:
            data[position % len(data)] ^= xor
        try:
            images.decode_image(bytes(data))
        except DomainError as refused:
            assert refused.status_code in (413, 415, 422)


@pytest.fixture(scope="module")
def small_images() -> list[bytes]:
    pixels = (np.arange(32 * 48 * 3) % 251).astype(np.uint8).reshape(32, 48, 3)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "PNG")
    return [jpeg(pixels), jpeg(pixels, progressive=True), out.getvalue()]


def test_an_upload_declared_over_the_limit_is_413_before_its_body_is_parsed(people, client, monkeypatch):
    """The multipart body was parsed (and spooled to disk: any size, any token holder) before the
    413: the declared length is refused before a byte of the body is read."""
    parsed = []
    parse = MultiPartParser.parse
    monkeypatch.setattr(MultiPartParser, "parse", lambda self: parsed.append(1) or parse(self))
    big = b"\xff\xd8\xff" + b"\x00" * (images.MAX_IMAGE_BYTES + 70_000)
    response = post(client, big, token=people.tokens["alice"])
    assert response.status_code == 413
    assert response.json()["error"] == "image_too_large"
    assert parsed == []
    anonymous = post(client, big)  # refused for its size before anyone is asked who they are
    assert anonymous.status_code == 413 and parsed == []
    small = post(client, b"\xff\xd8\xff" + b"\x00" * 100, token=people.tokens["alice"])
    assert small.status_code == 422 and parsed == [1]  # read, and refused as corrupt
