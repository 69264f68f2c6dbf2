"""The two detectors, the box-to-ellipse rule, frames of other sizes, and sharing under threads and forks."""

from __future__ import annotations

import io
import math
import os
import threading

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from millet.vision.services import Box, Ellipse, Point, detect_faces, ellipse_for, get_detector
from millet.vision.services import detectors as detectors_module
from tests.vision.conftest import ASTRONAUT_FACE, jpeg


def test_yunet_finds_the_astronaut_with_five_landmarks(astronaut):
    (face,) = get_detector("yunet").detect(astronaut)
    assert (face.box.x, face.box.y, face.box.width, face.box.height) == pytest.approx(ASTRONAUT_FACE, abs=2)
    right_eye, left_eye, nose, mouth_right, mouth_left = face.landmarks
    assert right_eye.x < nose.x < left_eye.x and mouth_right.x < mouth_left.x
    assert right_eye.y < nose.y < mouth_right.y
    assert face.score > 0.8


def test_haar_finds_the_astronaut_without_landmarks(astronaut):
    (face,) = get_detector("haar").detect(astronaut)
    assert face.landmarks is None and 0.5 < face.score <= 1
    assert face.box.center.x == pytest.approx(ASTRONAUT_FACE[0] + ASTRONAUT_FACE[2] / 2, abs=8)


def test_neither_detector_sees_a_face_in_a_blank_image():
    blank = np.full((240, 320, 3), 90, np.uint8)
    assert get_detector("yunet").detect(blank) == [] and get_detector("haar").detect(blank) == []


def test_a_detector_on_a_reduced_frame_answers_in_the_images_pixels(astronaut):
    big = np.asarray(Image.fromarray(astronaut).resize((1536, 1536)))
    (full,) = get_detector("yunet", None).detect(astronaut)
    (reduced,) = get_detector("yunet", 640).detect(big)  # works on 640 x 640, answers in 1536 x 1536
    assert reduced.box.x == pytest.approx(full.box.x * 3, abs=12)
    assert reduced.box.width == pytest.approx(full.box.width * 3, abs=12)
    assert reduced.landmarks[0].x == pytest.approx(full.landmarks[0].x * 3, abs=12)


def test_a_large_jpeg_is_decoded_at_a_reduced_scale_and_answered_at_full_size(astronaut):
    big = jpeg(np.asarray(Image.fromarray(astronaut).resize((2048, 2048))))
    found = detect_faces(big)
    assert (found.width, found.height) == (2048, 2048)
    (face,) = found.faces
    assert face.box.x == pytest.approx(ASTRONAUT_FACE[0] * 4, abs=16)


def test_exif_orientation_is_applied_before_detection(astronaut):
    # Stored lying on its side, with EXIF saying "turn 90 degrees clockwise to display" (orientation 6).
    stored = np.ascontiguousarray(np.rot90(astronaut, 1))
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    Image.fromarray(stored).resize((512, 384)).save(out, "JPEG", exif=exif)
    found = detect_faces(out.getvalue())
    assert (found.width, found.height) == (384, 512)  # displayed upright: taller than wide
    (face,) = found.faces
    assert face.ellipse.angle == pytest.approx(math.pi / 2, abs=0.25)


def test_the_detector_is_loaded_once_per_process_and_frame_size():
    assert get_detector("yunet") is get_detector("yunet")
    assert get_detector("yunet", 320) is not get_detector("yunet", 640)
    with pytest.raises(KeyError):
        get_detector("dlib")


@pytest.mark.parametrize("name", ["yunet", "haar"])
def test_threads_sharing_a_detector_get_the_same_answers(astronaut, name):
    detector = get_detector(name)
    frames = [astronaut, np.ascontiguousarray(astronaut[:, ::-1]), astronaut[100:400, 50:450].copy()]
    expected = [detector.detect(f) for f in frames]
    results: dict[tuple[int, int], list] = {}

    def work(worker: int) -> None:
        for round_ in range(3):
            for i, frame in enumerate(frames):
                results[(worker, round_ * 10 + i)] = detector.detect(frame)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4 * 3 * len(frames)
    for (_, key), faces in results.items():
        assert faces == expected[key % 10]


def test_a_forked_worker_loads_its_own_detector():
    get_detector("yunet")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: what gunicorn's worker would be after the master forked
        try:
            empty = not detectors_module._loaded
            works = get_detector("yunet").detect(np.zeros((64, 64, 3), np.uint8)) == []
            os.write(write, b"ok" if empty and works else b"no")
        finally:
            os._exit(0)
    os.close(write)
    answer = os.read(read, 2)
    os.waitpid(pid, 0)
    assert answer == b"ok"


# --- the ellipse read from a box -----------------------------------------------------------------


def test_an_upright_box_gives_the_inscribed_ellipse():
    assert ellipse_for(Box(10, 20, 40, 60)) == Ellipse(30, 20, math.pi / 2, 30, 50)
    assert ellipse_for(Box(0, 0, 60, 40)) == Ellipse(30, 20, 0.0, 30, 20)


def _eyes(roll: float) -> tuple[Point, ...]:
    right_eye = Point(0, 0)
    left_eye = Point(10 * math.cos(roll), 10 * math.sin(roll))
    return (right_eye, left_eye, Point(0, 0), Point(0, 0), Point(0, 0))


@given(
    major=st.floats(10, 200),
    ratio=st.floats(0.4, 0.95),
    roll=st.floats(-math.radians(35), math.radians(35)),
)
def test_a_rolled_faces_box_and_eyes_give_back_its_ellipse(major, ratio, roll):
    face = Ellipse(major, major * ratio, math.pi / 2 + roll, 300.0, 200.0)
    found = ellipse_for(face.bounding_box(), _eyes(roll))
    assert found.major_axis_radius == pytest.approx(face.major_axis_radius, rel=1e-6)
    assert found.minor_axis_radius == pytest.approx(face.minor_axis_radius, rel=1e-6)
    assert found.angle == pytest.approx(face.angle, abs=1e-9)
    assert (found.center_x, found.center_y) == (300.0, 200.0)


def test_a_box_no_ellipse_of_that_roll_fits_falls_back_to_the_inscribed_one():
    # Only a circle has a square bounding box at a 30 degree roll: the answer is the inscribed circle.
    circle = ellipse_for(Box(0, 0, 100, 100), _eyes(math.radians(30)))
    assert (circle.major_axis_radius, circle.minor_axis_radius) == pytest.approx((50, 50))
    # No ellipse rolled by 30 degrees has a box five times as wide as tall.
    wide = Box(0, 0, 100, 20)
    assert ellipse_for(wide, _eyes(math.radians(30))) == ellipse_for(wide)
    assert ellipse_for(wide, _eyes(math.radians(60))) == ellipse_for(wide)  # past 40 degrees: not trusted
