"""Held-out evaluation worlds for comparing map recipes: synthetic crawls whose true scenes
are known, written in the crawler's Parquet edge layout with a truth table (id, scene, scenes).

Four kinds, each a known way for a map to go wrong (the seed article's map had the popular
centre problem: "larger accounts t-SNE didn't know what to do with"):

- ``planted``: separate scenes, interactions mostly within one's scene, popularity-skewed;
- ``overlapping``: a third of the accounts belong to two scenes and split their activity;
- ``popular_core``: a few dozen accounts that everyone, whatever their scene, interacts with
  heavily (most of every row's mass goes to them);
- ``uneven``: activity spans two orders of magnitude (a few hundred interactions for most,
  thousands for a few) and scene loyalty varies from account to account.

Not the sandbox world: these are independent of the generator the recipes were first tried
on, so the comparison is not tuned to one world's quirks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from edge_dataset import write_accounts, write_edges

KINDS = ("planted", "overlapping", "popular_core", "uneven")
TYPE_SHARES = {"likes": 0.55, "comments": 0.1, "reposts": 0.15, "follows": 0.2}
CRAWL_LIMIT = 500  # the crawler's per-type limit


@dataclass(frozen=True)
class WorldShape:
    in_scene: float = 0.12       # share of a source's interactions that go to its own scene(s)
    popular: float = 0.3         # share that goes to accounts by global popularity
    core_share: float = 0.0      # share that goes to the popular core
    two_scene_share: float = 0.0 # share of accounts in two scenes
    uneven: bool = False


SHAPES = {
    "planted": WorldShape(),
    "overlapping": WorldShape(in_scene=0.15, two_scene_share=0.35),
    "popular_core": WorldShape(in_scene=0.2, popular=0.1, core_share=0.5),
    "uneven": WorldShape(uneven=True),
}


def make_world(kind: str, sources: int = 600, scenes: int | None = None, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(edges, truth)``: edges with src_id, dst_id, interaction, object_kind, object_id,
    created_at and target labels; truth with id, scene, scenes (``|``-separated)."""
    shape = SHAPES[kind]
    rng = np.random.default_rng([seed, KINDS.index(kind)])
    scenes = scenes or max(8, sources // 25)
    targets = sources * 10
    core = 40 if shape.core_share else 0
    scene_of = rng.integers(0, scenes, targets)
    second = np.where(rng.random(targets) < shape.two_scene_share, (scene_of + rng.integers(1, scenes, targets)) % scenes, -1)
    popularity = rng.pareto(1.1, targets) + 1
    members = [np.flatnonzero((scene_of == s) | (second == s)) for s in range(scenes)]
    scene_cdf = [np.cumsum(popularity[m]) / popularity[m].sum() for m in members]
    global_cdf = np.cumsum(popularity) / popularity.sum()
    core_ids = np.arange(targets, targets + core)
    favourites = rng.integers(0, max(core, 1), (sources, 3))

    if shape.uneven:
        activity = np.clip(rng.lognormal(np.log(250), 1.0, sources), 60, 6000).astype(int)
        loyalty = rng.uniform(0.05, 0.3, sources)
    else:
        activity = rng.integers(200, 400, sources)
        loyalty = np.full(sources, shape.in_scene)
    frames = []
    for interaction, share in TYPE_SHARES.items():
        per_source = np.minimum(np.maximum(1, (activity * share).astype(int)), CRAWL_LIMIT)
        src = np.repeat(np.arange(sources), per_source)
        draw = rng.random(len(src))
        dst = rng.integers(0, targets, len(src))  # the rest: uniform long tail
        in_scene = draw < loyalty[src]
        popular = (draw >= loyalty[src]) & (draw < loyalty[src] + shape.popular)
        to_core = (draw >= loyalty[src] + shape.popular) & (draw < loyalty[src] + shape.popular + shape.core_share)
        dst[popular] = np.searchsorted(global_cdf, rng.random(popular.sum()))
        if core:
            # Each account has its own few favourites among the giants, whatever its scene:
            # strong structure that has nothing to do with scenes.
            picks = favourites[src[to_core], rng.integers(0, favourites.shape[1], to_core.sum())]
            dst[to_core] = core_ids[picks]
        scene_rows = np.flatnonzero(in_scene)
        # Two-scene accounts split their scene activity between both scenes.
        use_second = (second[src[scene_rows]] >= 0) & (rng.random(len(scene_rows)) < 0.5)
        scene = np.where(use_second, second[src[scene_rows]], scene_of[src[scene_rows]])
        for s in range(scenes):
            rows = scene_rows[scene == s]
            dst[rows] = members[s][np.minimum(np.searchsorted(scene_cdf[s], rng.random(len(rows))), len(members[s]) - 1)]
        frames.append(pd.DataFrame({"src_id": src, "dst_id": np.minimum(dst, targets + core - 1),
                                    "interaction": interaction}))
    edges = pd.concat(frames, ignore_index=True)
    edges["object_kind"] = np.where(edges["interaction"] == "follows", "user", "track")
    edges["object_id"] = np.arange(len(edges))
    edges["created_at"] = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 10**7, len(edges)), "s")
    ids = np.arange(targets + core, dtype=np.int64) * 11 + 5_000  # non-contiguous ids
    edges["src_id"], edges["dst_id"] = ids[edges["src_id"]], ids[edges["dst_id"]]
    names = np.array([f"{kind} account {i}" for i in range(targets + core)], dtype=object)
    followers = (popularity * 300).astype(np.int64)
    followers = np.concatenate([followers, np.full(core, 5_000_000)])
    position = (edges["dst_id"].to_numpy() - 5_000) // 11
    edges["dst_permalink"] = [f"{kind}-{i}" for i in position]
    edges["dst_username"] = names[position]
    edges["dst_followers_count"] = followers[position]
    scene_names = np.array([f"scene-{s}" for s in range(scenes)] + ["core"], dtype=object)
    first = np.concatenate([scene_of, np.full(core, scenes)])
    both = np.concatenate([second, np.full(core, -1)])
    truth = pd.DataFrame({"id": ids, "scene": scene_names[first],
                          "scenes": [a if b < 0 else f"{a}|{scene_names[b]}" for a, b in zip(scene_names[first], both)]})
    return edges, truth


def write_world(kind: str, out: Path, sources: int = 600, seed: int = 0, scenes: int | None = None) -> Path:
    """``out/edges``, ``out/accounts`` and ``out/truth.parquet`` for one world kind."""
    edges, truth = make_world(kind, sources=sources, scenes=scenes, seed=seed)
    edges["src_permalink"] = [f"{kind}-{(i - 5_000) // 11}" for i in edges["src_id"]]
    write_edges(out / "edges", edges, files_per_type=2)
    crawled = truth[truth["id"].isin(edges["src_id"].unique())]
    positions = (crawled["id"].to_numpy() - 5_000) // 11
    write_accounts(out / "accounts", pd.DataFrame({
        "id": crawled["id"].to_numpy(), "permalink": [f"{kind}-{i}" for i in positions],
        "username": [f"{kind} account {i}" for i in positions], "followers_count": 300 + positions % 1000}))
    truth.to_parquet(out / "truth.parquet", index=False)
    return out


def compare_recipes(root: Path, recipes: tuple[str, ...] = ("article", "scenes"), kinds: tuple[str, ...] = KINDS,
                    sources: int = 600, seed: int = 0) -> pd.DataFrame:
    """One row per (world, recipe): 10-NN scene agreement with the truth, its chance level,
    trustworthiness against the recipe's own PCA space, and seconds (matrix to map, reading
    excluded: both recipes read the same edges). Worlds are written under ``root`` once."""
    from analysis import api

    rows = []
    for kind in kinds:
        world = root / f"{kind}-{sources}-{seed}"
        if not (world / "truth.parquet").exists():
            write_world(kind, world, sources=sources, seed=seed)
        counts = api.count_interactions(world / "edges")
        truth = api.load_truth(world / "truth.parquet")
        for recipe in recipes:
            result = api.make_map(counts, recipe=recipe, scenes=False)
            figures = api.score(result.ids, result.xy, truth, result.points)
            rows.append({"world": kind, "recipe": recipe, "accounts": len(result.ids),
                         "knn_agreement": round(figures["neighbour_scene_agreement"], 3),
                         "chance": round(figures["chance"], 3),
                         "trustworthiness": round(figures["trustworthiness"], 3),
                         "seconds": round(sum(v for k, v in result.seconds.items() if k != "read"), 2)})
    return pd.DataFrame(rows)
