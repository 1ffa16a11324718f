"""pca.png and map.png: static scatter plots with a few labels that never pile up.

Display names are in every script: labels use a font fallback chain (matplotlib >= 3.6 takes
a list of families and picks, per glyph, the first that has it): DejaVu Sans (Latin, Cyrillic,
Greek; bundled with matplotlib), Noto Sans CJK (Chinese, Japanese, Korean), Noto Sans (more
scripts) and Symbola (emoji, in outline: matplotlib cannot draw Noto Color Emoji's bitmaps).
tools/install_system_deps.sh installs them on Debian; README says what to install elsewhere.
"""

from __future__ import annotations

import warnings
import functools
import logging
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import matplotlib

matplotlib.use("Agg")  # no display; must precede pyplot
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from analysis.atomic_write import write_atomically  # noqa: E402
from analysis.palette import cluster_colours  # noqa: E402

UNCLUSTERED_GREY = "#b8b8b8"
FONT_FALLBACK = ("DejaVu Sans", "Noto Sans CJK JP", "Noto Sans", "Symbola")
log = logging.getLogger("analysis")


@functools.cache
def font_chain() -> tuple[str, ...]:
    """The fallback families that are installed. Fonts installed after matplotlib built its
    font cache are added from the system font directories once."""
    known = {font.name for font in font_manager.fontManager.ttflist}
    if not set(FONT_FALLBACK) <= known:
        for path in font_manager.findSystemFonts():
            if any(key in Path(path).name for key in ("NotoSansCJK", "NotoSans-", "Symbola")):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue
        known = {font.name for font in font_manager.fontManager.ttflist}
    chain = tuple(family for family in FONT_FALLBACK if family in known)
    missing = [family for family in FONT_FALLBACK if family not in known]
    if missing:
        log.warning("fonts missing for some scripts in the PNGs (names show as boxes): %s; see README",
                    ", ".join(missing))
    return chain or ("sans-serif",)


def _point_size(n_points: int) -> float:
    return float(np.clip(4000 / max(n_points, 1), 0.5, 14))


def _place_labels(axes, texts: list[tuple[float, float, str, dict]]) -> int:
    """Draw labels in priority order, skipping any that would overlap one already drawn."""
    figure = axes.figure
    renderer = figure.canvas.get_renderer()
    placed = []
    for x, y, text, style in texts:
        artist = axes.annotate(text, (x, y), xytext=(3, 3), textcoords="offset points", **style)
        box = artist.get_window_extent(renderer).expanded(1.05, 1.15)
        # A long label (scene words + names) near a side is moved in, not cut at the edge.
        shift = min(axes.bbox.x1 - box.x1 - 2, 0) + max(axes.bbox.x0 - box.x0 + 2, 0)  # 2 px to spare
        if shift and box.width < axes.bbox.width:
            artist.xyann = (3 + shift * 72 / figure.dpi, 3)
            box = artist.get_window_extent(renderer).expanded(1.05, 1.15)
        inside = axes.bbox.contains(box.x0, box.y0) and axes.bbox.contains(box.x1, box.y1)
        if any(box.overlaps(other) for other in placed) or not inside:
            artist.remove()
            continue
        placed.append(box)
    return len(placed)


def _scatter(xy: np.ndarray, clusters: np.ndarray | None, title: str,
             scene_colours: dict[int, str] | None = None) -> tuple:
    figure, axes = plt.subplots(figsize=(12, 10), dpi=110)
    if clusters is None:
        colours = np.full(len(xy), "#3b6ea8")
    else:
        if scene_colours is None:
            palette = cluster_colours(int(clusters.max()) + 1 if len(clusters) else 0)
            scene_colours = dict(enumerate(palette))
        colours = np.array([scene_colours.get(int(c), UNCLUSTERED_GREY) for c in clusters])
    axes.scatter(xy[:, 0], xy[:, 1], s=_point_size(len(xy)), c=colours, linewidths=0, alpha=0.8)
    axes.set_xticks([])
    axes.set_yticks([])
    axes.set_title(title)
    figure.tight_layout()  # before labels are placed: their overlap test uses final positions
    return figure, axes


def _save(figure, path: Path) -> None:
    write_atomically(path, lambda temp: figure.savefig(temp, format="png"))
    plt.close(figure)


@contextmanager
def _missing_glyphs_allowed() -> Iterator[None]:
    """Labels drawn with the font fallback chain. Only when fallback fonts are not installed
    (already said once in the log) are the per-glyph "missing from font" warnings silenced:
    with the fonts in place such a warning is a real gap and stays visible."""
    chain = font_chain()
    with warnings.catch_warnings(), plt.rc_context({"font.family": list(chain)}):
        if set(chain) != set(FONT_FALLBACK):
            warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        yield


def most_followed(followers: np.ndarray, count: int) -> np.ndarray:
    order = np.argsort(-np.nan_to_num(followers.astype(float), nan=-1), kind="stable")
    return order[:count]


def plot_pca(path: Path, pca_xy: np.ndarray, names: list[str], followers: np.ndarray,
             explained: tuple[float, float], labels: int = 12) -> None:
    """The article's 2-D PCA plot, labelled with the most followed accounts."""
    with _missing_glyphs_allowed():
        _plot_pca(path, pca_xy, names, followers, explained, labels)


def _plot_pca(path, pca_xy, names, followers, explained, labels) -> None:
    figure, axes = _scatter(pca_xy, None, f"PCA of {len(pca_xy):,} accounts "
                                          f"(PC1 {explained[0]:.1%}, PC2 {explained[1]:.1%} of variance)")
    texts = [(pca_xy[i, 0], pca_xy[i, 1], names[i], {"fontsize": 8}) for i in most_followed(followers, labels)]
    _place_labels(axes, texts)
    _save(figure, path)


def plot_map(path: Path, map_xy: np.ndarray, names: list[str], followers: np.ndarray,
             clusters: np.ndarray | None, cluster_labels: dict[int, str],
             scene_colours: dict[int, str] | None = None, labels: int = 25) -> None:
    """The t-SNE map: scene labels at cluster centres first, then the most followed accounts;
    ``scene_colours`` the same as the HTML map's (default: the palette in scene order)."""
    with _missing_glyphs_allowed():
        _plot_map(path, map_xy, names, followers, clusters, cluster_labels, scene_colours, labels)


def _plot_map(path, map_xy, names, followers, clusters, cluster_labels, scene_colours, labels) -> None:
    figure, axes = _scatter(map_xy, clusters, f"SoundCloud scenes: t-SNE map of {len(map_xy):,} accounts",
                            scene_colours)
    texts = []
    if clusters is not None:
        for cluster, label in cluster_labels.items():
            centre = np.median(map_xy[clusters == cluster], axis=0)
            texts.append((centre[0], centre[1], label,
                          {"fontsize": 9, "fontweight": "bold", "ha": "center",
                           "bbox": {"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.7}}))
    texts += [(map_xy[i, 0], map_xy[i, 1], names[i], {"fontsize": 7, "color": "#333333"})
              for i in most_followed(followers, labels)]
    _place_labels(axes, texts)
    _save(figure, path)
