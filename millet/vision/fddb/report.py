"""The evaluator's outputs: FDDB's ROC text files and an SVG plot.

``DiscROC.txt`` and ``ContROC.txt`` have one line per threshold, by ascending threshold, each
``TPR FP threshold`` with numbers printed as C++ streams print doubles (six significant digits), as the
official ``evaluate`` writes ``DiscROC.txt`` (its ``ContROC.txt`` leaves the threshold out; the extra
third column is ignored by FDDB's gnuplot scripts, which plot columns 2 and 1). With no annotated
face at all the original writes ``0 0 threshold``; so does this.

The plot is drawn with matplotlib's SVG backend (a well-kept plotting library; the file is
self-contained: text as paths, no scripts, no fonts or styles fetched from anywhere).
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from millet.vision.fddb.evaluate import Roc
from millet.vision.fddb.formats import format_number


def roc_lines(roc: Roc, *, continuous: bool) -> list[str]:
    lines = []
    for p in roc.points:
        if roc.faces:
            tpr = p.tpr_continuous if continuous else p.tpr_discrete
            lines.append(
                f"{format_number(tpr)} {format_number(p.false_positives)} {format_number(p.threshold)}"
            )
        else:
            lines.append(f"0 0 {format_number(p.threshold)}")
    return lines


def write_roc_files(roc: Roc, out_dir: Path, prefix: str = "") -> tuple[Path, Path]:
    """Write ``{prefix}DiscROC.txt`` and ``{prefix}ContROC.txt`` into ``out_dir``; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = (out_dir / f"{prefix}DiscROC.txt", out_dir / f"{prefix}ContROC.txt")
    for path, continuous in zip(paths, (False, True), strict=True):
        path.write_text("".join(line + "\n" for line in roc_lines(roc, continuous=continuous)))
    return paths


def plot_roc_svg(
    curves: dict[str, Roc],
    path: Path,
    *,
    title: str,
    max_false_positives: int | None = None,
    marks: tuple[int, ...] = (),
) -> None:
    """Discrete (solid) and continuous (dashed) ROC curves of each labelled run, FP on the x axis;
    ``marks`` draws a dotted vertical line at those false-positive counts (the budgets read off)."""
    figure = Figure(figsize=(8, 5.5))
    FigureCanvasSVG(figure)
    axes = figure.add_subplot()
    for n, (label, roc) in enumerate(curves.items()):
        points = sorted(roc.points, key=lambda p: (p.false_positives, p.tpr_discrete))
        fps = [p.false_positives for p in points]
        for continuous, style in ((False, "-"), (True, "--")):
            rates = [p.tpr_continuous if continuous else p.tpr_discrete for p in points]
            kind = "continuous" if continuous else "discrete"
            axes.step(fps, rates, where="post", color=f"C{n}", linestyle=style, label=f"{label} {kind}")
    for fp in marks:
        axes.axvline(fp, color="0.4", linestyle=":", linewidth=1)
    if max_false_positives:
        axes.set_xlim(0, max_false_positives)
    axes.set_ylim(0, 1)
    axes.set_xlabel("false positives")
    axes.set_ylabel("true positive rate")
    axes.set_title(title)
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    # No date in the metadata, so the same curves give the same file.
    figure.savefig(path, format="svg", metadata={"Date": None})
