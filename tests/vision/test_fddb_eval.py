"""The FDDB evaluator against cases computed by hand, a brute-force reference, and FDDB's file format."""

from __future__ import annotations

import itertools
import math
import sys
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from millet.vision import fddb
from millet.vision.fddb.evaluate import Counts, ImageCase, counts_from_overlaps, evaluate, image_counts, pool
from millet.vision.fddb.formats import Rect, Scored
from millet.vision.fddb.regions import overlap_matrix, rasterize
from millet.vision.services.faces import Ellipse

FIXTURES = Path(__file__).parent / "fixtures" / "fddb"
DBL_MAX = sys.float_info.max


def case(faces, detections, size=(200, 200), name="img") -> ImageCase:
    return ImageCase(name, size[0], size[1], faces, [Scored(shape, score) for shape, score in detections])


def iou(a, b, size=(200, 200)) -> float:
    return float(overlap_matrix([rasterize(a, *size)], [rasterize(b, *size)])[0, 0])


FACE = Ellipse(30, 20, math.pi / 2, 100, 100)  # upright: 60 px tall, 40 px wide


# --- rasterization as FDDB's evaluate draws ---------------------------------------------------


def test_a_rectangle_covers_both_corners_as_cvrectangle_does():
    assert rasterize(Rect(0, 0, 10, 10), 200, 200).area == 11 * 11
    assert rasterize(Rect(2.4, 3.6, 5, 5), 200, 200).area == 6 * 6  # corners rounded: (2, 4) to (7, 9)


def test_regions_are_clipped_to_the_image():
    assert rasterize(Rect(-5, -5, 10, 10), 200, 200).area == 6 * 6
    assert rasterize(Rect(300, 300, 10, 10), 200, 200).area == 0
    whole = rasterize(Ellipse(10, 10, 0, 100, 100), 200, 200).area
    assert rasterize(Ellipse(10, 10, 0, 0, 0), 200, 200).area < whole / 3  # a quarter, plus the axes


# --- one image, by hand ------------------------------------------------------------------------


def test_an_exact_match_is_one_discrete_and_one_continuous_true_positive():
    (counts,) = image_counts(case([FACE], [(FACE, 0.9)]))
    assert (counts.threshold, counts.tp_discrete, counts.tp_continuous, counts.false_positives) == (
        0.9,
        1,
        1.0,
        0,
    )


def test_overlap_of_exactly_one_half_is_not_a_discrete_match():
    # 10 x 10 pixels inside 10 x 20: intersection 100, union 200.
    half = overlap_matrix([rasterize(Rect(0, 0, 9, 9), 50, 50)], [rasterize(Rect(0, 0, 9, 19), 50, 50)])
    assert half[0, 0] == 0.5
    (at_half,) = counts_from_overlaps(half, [0.7])
    assert (at_half.tp_discrete, at_half.tp_continuous, at_half.false_positives) == (0, 0.5, 1)
    # One more row of the smaller box (110 / 200) is above one half.
    above = overlap_matrix([rasterize(Rect(0, 0, 9, 10), 50, 50)], [rasterize(Rect(0, 0, 9, 19), 50, 50)])
    assert above[0, 0] == 0.55
    (at_above,) = counts_from_overlaps(above, [0.7])
    assert (at_above.tp_discrete, at_above.tp_continuous, at_above.false_positives) == (1, 0.55, 0)


def test_two_detections_of_one_face_make_one_true_and_one_false_positive():
    near = Ellipse(30, 20, math.pi / 2, 104, 100)
    overlap = iou(FACE, near)
    assert 0.7 < overlap < 1
    loose, strict = image_counts(case([FACE], [(near, 0.6), (FACE, 0.9)]))  # ascending thresholds
    # At 0.9 only the exact one counts; at 0.6 both, matched one-to-one: the exact one wins the face.
    assert (strict.threshold, strict.tp_discrete, strict.tp_continuous, strict.false_positives) == (
        0.9,
        1,
        1.0,
        0,
    )
    assert (loose.threshold, loose.tp_discrete, loose.tp_continuous, loose.false_positives) == (
        0.6,
        1,
        1.0,
        1,
    )
    assert [c.threshold for c in image_counts(case([FACE], [(near, 0.6), (FACE, 0.9)]))] == [0.6, 0.9]


def test_one_detection_over_two_faces_matches_at_most_one():
    left, right = Ellipse(20, 20, 0, 50, 100), Ellipse(20, 20, 0, 150, 100)
    both = Rect(30, 80, 140, 40)  # a wide box over both faces
    overlaps = (iou(left, both), iou(right, both))
    assert overlaps[0] == overlaps[1] < 0.5
    (counts,) = image_counts(case([left, right], [(both, 0.8)]))
    assert counts.tp_discrete == 0
    assert counts.tp_continuous == pytest.approx(overlaps[0])  # one pair only, not the sum of both
    assert counts.false_positives == 1


def test_the_angle_is_the_major_axis_direction_in_radians():
    upright = Ellipse(30, 10, math.pi / 2, 100, 100)
    tall, wide = Rect(90, 70, 20, 60), Rect(70, 90, 60, 20)
    assert iou(upright, tall) > 0.7 > 0.3 > iou(upright, wide)
    lying = Ellipse(30, 10, 0.0, 100, 100)
    assert iou(lying, wide) > 0.7 > 0.3 > iou(lying, tall)


def test_a_rotated_ellipse_matches_only_at_its_angle():
    tilted = Ellipse(30, 10, math.radians(30), 100, 100)
    assert iou(tilted, Ellipse(30, 10, math.radians(30), 100, 100)) == 1.0
    # Congruent ellipses at right angles overlap 4ab*atan(b/a) of 2*pi*ab - that: 0.258 analytically;
    # pixel counts include the boundary pixels, so allow a little.
    crossed = iou(tilted, Ellipse(30, 10, math.radians(120), 100, 100))
    assert crossed == pytest.approx(
        4 * 300 * math.atan(1 / 3) / (2 * math.pi * 300 - 4 * 300 * math.atan(1 / 3)), abs=0.03
    )
    (same,) = image_counts(case([tilted], [(Ellipse(30, 10, math.radians(30), 100, 100), 0.5)]))
    (other,) = image_counts(case([tilted], [(Ellipse(30, 10, math.radians(120), 100, 100), 0.5)]))
    assert (same.tp_discrete, other.tp_discrete, other.false_positives) == (1, 0, 1)


def test_an_image_without_faces_or_detections():
    assert image_counts(case([], [])) == [Counts(DBL_MAX, 0, 0.0, 0)]
    (only_false,) = image_counts(case([], [(FACE, 0.4)]))
    assert (only_false.tp_discrete, only_false.false_positives) == (0, 1)
    roc = evaluate([case([], [], name="a"), case([FACE], [], name="b")])
    assert roc.faces == 1
    assert [(p.threshold, p.tpr_discrete, p.false_positives) for p in roc.points] == [(DBL_MAX, 0.0, 0)]


def test_published_height_extension_makes_rectangles_taller_about_their_centre():
    assert Rect(0, 10, 10, 10).taller(1.2) == Rect(0, 9, 10, 12)
    face = Ellipse(36, 20, math.pi / 2, 100, 100)
    short = Rect(80, 80, 40, 40)  # a square Viola-Jones box: misses the chin and the forehead
    plain = evaluate([case([face], [(short, 1.0)])])
    taller = evaluate([case([face], [(short, 1.0)])], height_factor=1.2)
    assert plain.points[0].tpr_continuous < taller.points[0].tpr_continuous


# --- the pooled curve ------------------------------------------------------------------------------


def test_the_curve_pools_images_at_every_distinct_score():
    a = case([FACE], [(FACE, 0.9), (Ellipse(10, 10, 0, 30, 30), 0.3)], name="a")
    b = case([FACE, Ellipse(15, 10, math.pi / 2, 30, 160)], [(FACE, 0.5)], name="b")
    roc = evaluate([a, b])
    assert roc.faces == 3
    got = [(p.threshold, p.tpr_discrete, p.false_positives) for p in roc.points]
    assert got == [(0.3, 2 / 3, 1), (0.5, 2 / 3, 0), (0.9, 1 / 3, 0)]
    assert roc.tpr_at(0) == 2 / 3
    assert roc.tpr_at(1000) == 2 / 3


def _brute_force(overlaps: list[np.ndarray], scores: list[list[float]], faces: int):
    """Every threshold recomputed over every image with an exhaustive maximum-weight matching."""
    thresholds = sorted(
        {s for image in scores for s in image} | ({DBL_MAX} if any(not s for s in scores) else set())
    )
    rows = []
    for t in thresholds:
        disc = cont = fp = 0
        for o, s in zip(overlaps, scores, strict=True):
            valid = [j for j, score in enumerate(s) if score >= t]
            best = (0.0, 0)
            n_faces = o.shape[0]
            for perm in itertools.permutations(range(max(n_faces, len(valid))), n_faces):
                pairs = [o[i, valid[k]] for i, k in enumerate(perm) if k < len(valid) and o[i, valid[k]] > 0]
                best = max(best, (sum(pairs), sum(p > 0.5 for p in pairs)), key=lambda b: b[0])
            cont += best[0]
            disc += best[1]
            fp += len(valid) - best[1]
        rows.append((t, disc / faces, cont / faces, fp))
    return rows


@settings(max_examples=60, deadline=None)
@given(
    shapes=st.lists(st.tuples(st.integers(1, 3), st.integers(0, 3)), min_size=1, max_size=4),
    seed=st.integers(0, 2**32 - 1),
)
def test_pooled_counts_equal_a_brute_force_reference(shapes, seed):
    rng = np.random.default_rng(seed)
    overlaps, scores = [], []
    for n_faces, n_dets in shapes:
        o = rng.random((n_faces, n_dets)) * (rng.random((n_faces, n_dets)) < 0.6)  # some pairs never overlap
        overlaps.append(o)
        scores.append([float(s) for s in rng.choice([0.2, 0.4, 0.6, 0.8], size=n_dets)])  # ties across images
    faces = sum(o.shape[0] for o in overlaps)
    per_image = [
        counts_from_overlaps(o, s) if s else image_counts(case([], []))
        for o, s in zip(overlaps, scores, strict=True)
    ]
    roc = pool(per_image, faces)
    expected = _brute_force(overlaps, scores, faces)
    assert [p.threshold for p in roc.points] == [e[0] for e in expected]
    for point, (_, disc, cont, fp) in zip(roc.points, expected, strict=True):
        assert point.tpr_discrete == pytest.approx(disc)
        assert point.tpr_continuous == pytest.approx(cont)
        assert point.false_positives == fp


# --- FDDB's files --------------------------------------------------------------------------------


def test_reads_fddb_fold_files():
    folds = fddb.read_folds(FIXTURES)
    assert [f.number for f in folds] == [1, 2]
    first = folds[0]
    assert first.images == ["2002/08/11/big/img_591", "2002/08/26/big/img_265", "2002/07/19/big/img_423"]
    assert first.faces["2002/08/11/big/img_591"] == [Ellipse(123.5833, 85.5495, 1.265839, 269.6934, 161.7812)]
    assert len(first.faces["2002/08/26/big/img_265"]) == 3
    assert first.faces["2002/08/26/big/img_265"][0].angle == -1.476417
    assert first.faces["2002/07/19/big/img_423"] == []


def test_malformed_files_name_the_file_and_line(tmp_path):
    (tmp_path / "FDDB-fold-01.txt").write_text("a\n")
    (tmp_path / "FDDB-fold-01-ellipseList.txt").write_text("a\n1\n1 2 3 4\n")
    with pytest.raises(fddb.FormatError, match=r"FDDB-fold-01-ellipseList.txt:3: expected 6 numbers"):
        fddb.read_folds(tmp_path)
    (tmp_path / "FDDB-fold-01-ellipseList.txt").write_text("b\n0\n")
    with pytest.raises(fddb.FormatError, match="images differ"):
        fddb.read_folds(tmp_path)
    with pytest.raises(fddb.FormatError, match="expected the number of faces"):
        fddb.read_records(StringIO("a\nx\n"), "dets", fddb.RECTANGLE)


def test_written_records_read_back():
    out = StringIO()
    fddb.write_record(out, "img", [Scored(Rect(1.5, 2, 3, 4), 0.75)])
    fddb.write_record(out, "img2", [FACE])
    assert out.getvalue().splitlines()[2] == "1.500000 2.000000 3.000000 4.000000 0.750000"
    assert out.getvalue().splitlines()[-1].endswith("  1")
    (record,) = fddb.read_records(StringIO(out.getvalue().split("img2")[0]), "x", fddb.RECTANGLE)
    assert record.regions == [Scored(Rect(1.5, 2, 3, 4), 0.75)]


@pytest.fixture
def fddb_set(tmp_path):
    """The fixture folds with blank images of known sizes, and detections in a fold-xx-out.txt layout."""
    for name in (*fddb.read_folds(FIXTURES)[0].images, "2003/01/13/big/img_1087"):
        path = tmp_path / "images" / f"{name}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (450, 338)).save(path)
    det_dir = tmp_path / "dets"
    det_dir.mkdir()
    (det_dir / "fold-01-out.txt").write_text(
        # img_591: a rectangle around the annotation's bounding box; img_265: nothing; img_423: a false one
        "2002/08/11/big/img_591\n1\n178 37 183 249 0.99\n2002/08/26/big/img_265\n0\n"
        "2002/07/19/big/img_423\n1\n10 10 40 40 0.2\n"
    )
    (det_dir / "fold-02-out.txt").write_text("2003/01/13/big/img_1087\n1\n35 15 50 71 0.5\n")
    return tmp_path


def run_fddb_eval(root: Path) -> None:
    from django.core.management import call_command

    call_command(
        "fddb_eval",
        *(
            "--set",
            FIXTURES,
            "--detections",
            root / "dets",
            "--images",
            root / "images",
            "--out",
            root / "out",
        ),
    )


def test_fddb_eval_command_writes_the_official_files(fddb_set, capsys):
    run_fddb_eval(fddb_set)
    out = fddb_set / "out"
    disc = (out / "DiscROC.txt").read_text().splitlines()
    cont = (out / "ContROC.txt").read_text().splitlines()
    # Thresholds 0.2, 0.5, 0.99 and "no detection" (img_265); 6 faces in both folds.
    assert [line.split()[2] for line in disc] == ["0.2", "0.5", "0.99", "1.79769e+308"]
    assert [line.split()[1] for line in disc] == ["1", "0", "0", "0"]
    assert disc[0].split()[0] == f"{2 / 6:g}" and disc[2].split()[0] == f"{1 / 6:g}"
    assert len(cont) == 4 and float(cont[0].split()[0]) > float(cont[2].split()[0]) > 0
    assert (out / "roc.svg").read_text().lstrip().startswith("<?xml")
    printed = capsys.readouterr().out
    assert "1000" in printed and "2000" in printed


def test_fddb_eval_refuses_detections_that_miss_an_image(fddb_set):
    from django.core.management import CommandError

    (fddb_set / "dets" / "fold-02-out.txt").write_text("")
    with pytest.raises(CommandError, match="no detections for 1 images"):
        run_fddb_eval(fddb_set)
