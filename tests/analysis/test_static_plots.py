"""PNGs draw names in every script: CJK, Cyrillic and emoji labels raise no missing-glyph warning."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from analysis.static_plots import FONT_FALLBACK, font_chain, plot_map, plot_pca

NAMES = ["東京の夜 音楽", "Имя Фамилия", "🎧 beats 🔥", "한국어 이름", "plain name", "中文名字"]


def test_fallback_fonts_are_installed() -> None:
    # tools/install_system_deps.sh installs them; without them the PNGs show boxes.
    assert font_chain() == FONT_FALLBACK


@pytest.mark.parametrize("plot", ["map", "pca"])
def test_names_in_any_script_render_without_missing_glyphs(tmp_path: Path, plot: str) -> None:
    rng = np.random.default_rng(0)
    xy = rng.normal(size=(len(NAMES), 2)) * 10
    followers = np.arange(len(NAMES), 0, -1, dtype=float) * 1000
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if plot == "map":
            plot_map(tmp_path / "map.png", xy, NAMES, followers, np.array([0, 0, 1, 1, 0, 1]), {0: NAMES[0], 1: NAMES[1]})
        else:
            plot_pca(tmp_path / "pca.png", xy, NAMES, followers, (0.2, 0.1), labels=len(NAMES))
    glyph_warnings = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert glyph_warnings == []
    assert (tmp_path / f"{plot}.png").stat().st_size > 10_000


def test_a_long_label_near_the_edge_is_moved_in_not_cut() -> None:
    import numpy as np

    from analysis.static_plots import _place_labels, _scatter

    xy = np.array([[0.0, 0.0], [10.0, 10.0], [10.0, 5.0]])
    figure, axes = _scatter(xy, None, "edge")
    long = "drum and bass · rolling · jungle — a very long central account / another one"
    assert _place_labels(axes, [(10.0, 5.0, long, {"fontsize": 9})]) == 1
    renderer = figure.canvas.get_renderer()
    box = axes.texts[0].get_window_extent(renderer)
    assert axes.bbox.x0 <= box.x0 and box.x1 <= axes.bbox.x1
