"""The synthetic FDDB set: deterministic for a seed, ground truth carried exactly, usable end to end."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import pytest
from django.core.management import call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from millet.vision import fddb
from millet.vision.fddb.synthetic import _transform_ellipse, face_sources, make_set, render
from millet.vision.services import Ellipse


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_the_same_seed_writes_the_same_set(tmp_path):
    make_set(tmp_path / "a", n=6, seed=3, folds=2)
    make_set(tmp_path / "b", n=6, seed=3, folds=2)
    make_set(tmp_path / "c", n=6, seed=4, folds=2)
    a, b, c = files(tmp_path / "a"), files(tmp_path / "b"), files(tmp_path / "c")
    assert a == b
    assert a.keys() != c.keys()  # image names carry the seed
    assert list(a)[:4] == [
        "FDDB-fold-01-ellipseList.txt",
        "FDDB-fold-01.txt",
        "FDDB-fold-02-ellipseList.txt",
        "FDDB-fold-02.txt",
    ]


def test_the_set_is_in_fddb_format_with_faces_and_empty_images(tmp_path):
    made = make_set(tmp_path, n=40, seed=11, folds=4, previews=2)
    folds = fddb.read_folds(tmp_path)
    assert [len(f.images) for f in folds] == [10, 10, 10, 10]
    counts = [len(f.faces[name]) for f in folds for name in f.images]
    assert sum(counts) == made.faces and counts.count(0) == made.empty > 0 and max(counts) > 1
    assert all(fddb.image_size(fddb.image_path(tmp_path, n)) == (640, 480) for f in folds for n in f.images)
    assert len(list((tmp_path / "previews").glob("*.png"))) == 2


@settings(max_examples=40, deadline=None)
@given(
    roll=st.floats(-60, 60),
    scale=st.floats(0.2, 3),
    angle=st.floats(-math.pi, math.pi),
    ratio=st.floats(0.3, 1),
)
def test_ground_truth_follows_the_placement_transform_exactly(roll, scale, angle, ratio):
    face = Ellipse(40, 40 * ratio, angle, 120, 90)
    matrix = cv2.getRotationMatrix2D((120, 90), roll, scale)
    matrix[:, 2] += (200, -30)
    placed = _transform_ellipse(face, matrix)
    # Points on the source ellipse land on the placed one: its implicit equation equals 1 there.
    t = np.linspace(0, 2 * math.pi, 24)
    c, s = math.cos(face.angle), math.sin(face.angle)
    px = face.center_x + face.major_axis_radius * np.cos(t) * c - face.minor_axis_radius * np.sin(t) * s
    py = face.center_y + face.major_axis_radius * np.cos(t) * s + face.minor_axis_radius * np.sin(t) * c
    qx, qy = (matrix @ np.vstack([px, py, np.ones_like(px)])).reshape(2, -1)
    dx, dy = qx - placed.center_x, qy - placed.center_y
    c2, s2 = math.cos(placed.angle), math.sin(placed.angle)
    u, v = (dx * c2 + dy * s2) / placed.major_axis_radius, (-dx * s2 + dy * c2) / placed.minor_axis_radius
    assert np.allclose(u**2 + v**2, 1.0, atol=1e-9)


def test_every_face_source_has_its_face_inside_its_paste_mask():
    for source in face_sources():
        e = source.face
        assert source.mask[round(e.center_y), round(e.center_x)] == pytest.approx(1.0), source.name
        assert 0 < e.minor_axis_radius <= e.major_axis_radius


def test_rendering_is_a_pure_function_of_seed_and_index():
    first, faces, quality = render(5, 17)
    again, faces_again, quality_again = render(5, 17)
    assert np.array_equal(first, again) and faces == faces_again and quality == quality_again
    assert first.shape == (480, 640, 3)


def test_make_run_and_evaluate_end_to_end(tmp_path, capsys):
    """YuNet beats the Haar cascade on the set, by the evaluator, through the three commands."""
    call_command("vision_make_set", "--n", "12", "--seed", "2", "--folds", "2", "--out", tmp_path / "set")
    rates = {}
    for detector in ("yunet", "haar"):
        out = tmp_path / f"{detector}.txt"
        call_command("fddb_run", "--detector", detector, "--set", tmp_path / "set", "--out", out)
        folds = fddb.read_folds(tmp_path / "set")
        records = fddb.read_detections(out, folds, fddb.RECTANGLE)
        assert list(records) == [name for f in folds for name in f.images]
        call_command(
            "fddb_eval", "--set", tmp_path / "set", "--detections", out, "--out", tmp_path / detector
        )
        roc = fddb.evaluate(fddb.cases(folds, records, tmp_path / "set"))
        rates[detector] = roc.tpr_at(10**6)
        assert (tmp_path / detector / "DiscROC.txt").exists()
    assert rates["yunet"] > rates["haar"] and rates["yunet"] > 0.4
    assert "images/s" in capsys.readouterr().out
