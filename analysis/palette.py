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


def stable_scene_colours(keys: list[int]) -> list[str]:
    """A colour per scene that follows the scene, not its number: each scene's ``key`` (its most
    central account's id) hashes to a slot of a fixed 24-colour palette (taken slots move to the
    next free one, in the order given, largest scene first), so rerunning on the same data, or
    renumbering scenes, keeps every scene's colour. Beyond 24 scenes, hues from the key."""
    palette = cluster_colours(24)
    taken: set[int] = set()
    colours = []
    for key in keys:
        slot = _mix(int(key)) % len(palette)
        if len(taken) < len(palette):
            while slot in taken:
                slot = (slot + 1) % len(palette)
            taken.add(slot)
            colours.append(palette[slot])
        else:
            red, green, blue = colorsys.hls_to_rgb((_mix(int(key)) % 3600) / 3600, 0.45, 0.6)
            colours.append(f"#{int(red * 255):02x}{int(green * 255):02x}{int(blue * 255):02x}")
    return colours


def _mix(value: int) -> int:
    """A fixed integer hash (Python's hash() of ints is the identity; str hashes are salted)."""
    value = (value ^ (value >> 33)) * 0xFF51AFD7ED558CCD & 0xFFFFFFFFFFFFFFFF
    value = (value ^ (value >> 33)) * 0xC4CEB9FE1A85EC53 & 0xFFFFFFFFFFFFFFFF
    return value ^ (value >> 33)
