"""Cluster colours shared by the PNG and the HTML map (distinct hues, stable order)."""

from __future__ import annotations

import colorsys

_BASE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
         "#17becf", "#bcbd22", "#393b79", "#637939", "#ad494a", "#7b4173", "#3182bd"]


def cluster_colours(count: int) -> list[str]:
    """``count`` hex colours: a qualitative palette, then golden-ratio hues beyond it."""
    colours = _BASE[:count]
    hue = 0.1
    while len(colours) < count:
        hue = (hue + 0.618034) % 1.0
        red, green, blue = colorsys.hls_to_rgb(hue, 0.45, 0.65)
        colours.append(f"#{int(red * 255):02x}{int(green * 255):02x}{int(blue * 255):02x}")
    return colours
