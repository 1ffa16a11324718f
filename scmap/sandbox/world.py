"""The sandbox world: a seeded, realistic imitation of SoundCloud's accounts and interactions.

`generate_world(seed, accounts)` plants scenes of very different sizes (some accounts in two),
gives accounts heavy-tailed popularity and activity, and draws their likes, comments, reposts and
follows mostly inside their scenes (plus mainstream and random noise), with the awkward data the
real site has (see scmap/sandbox/README.md). Everything is vectorised with numpy except loops over
accounts for names; 100,000 accounts work.

Tables and columns follow docs/architecture.md. `World.write(dir)` writes them as Parquet (each
file under a temporary name, then renamed) plus `world.json`; `load_world(dir)` reads them back
with the same dtypes. `World.recent_interactions` is the ground truth of "the most recent N".
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from scmap.settings import FRONTIER_MIN_FOLLOWERS

from . import world_names as wn
from . import world_tags

T_START = int(pd.Timestamp("2012-01-01T00:00:00Z").timestamp())
T_END = int(pd.Timestamp("2026-02-28T23:59:59Z").timestamp())
_LAST_ACCOUNT = int(pd.Timestamp("2025-10-31T00:00:00Z").timestamp())
_DAY = 86_400

# Alphabetical, so the codes sort like the strings (interactions are written sorted by them).
INTERACTIONS = ("comments", "follows", "likes", "reposts")
OBJECT_KINDS = ("playlist", "track", "user")
KINDS = ("artist", "listener", "mainstream", "self_liker", "empty")
POLICIES = ("ALLOW", "MONETIZE", "SNIP", "BLOCK")
FOLLOW_CAP = 2000
FOLLOWER_THRESHOLD = FRONTIER_MIN_FOLLOWERS  # the crawler's default skip threshold (written once there)

_TS = pa.timestamp("us", tz="UTC")
_I = pa.int64()
_S = pa.string()
_B = pa.bool_()
_TAGS = pa.list_(pa.string())
SCHEMAS: dict[str, pa.Schema] = {
    "users": pa.schema([
        ("id", _I), ("permalink", _S), ("old_permalink", _S), ("username", _S),
        ("followers_count", _I), ("followings_count", _I), ("track_count", _I), ("likes_count", _I),
        ("comments_count", _I), ("playlist_count", _I), ("reposts_count", _I), ("scene", _S),
        ("scenes", _S), ("kind", _S), ("created_at", _TS), ("city", _S), ("country_code", _S),
        ("description", _S),
    ]),
    "tracks": pa.schema([
        ("id", _I), ("user_id", _I), ("title", _S), ("permalink", _S), ("created_at", _TS),
        ("duration", _I), ("genre", _S), ("tags", _TAGS), ("policy", _S), ("sharing", _S), ("deleted", _B),
        ("likes_count", _I), ("playback_count", _I), ("reposts_count", _I), ("comment_count", _I),
    ]),
    "playlists": pa.schema([
        ("id", _I), ("user_id", _I), ("title", _S), ("permalink", _S), ("created_at", _TS),
        ("track_count", _I), ("is_album", _B), ("set_type", _S), ("sharing", _S), ("deleted", _B),
    ]),
    "interactions": pa.schema([
        ("src_id", _I), ("dst_id", _I), ("interaction", _S), ("object_kind", _S), ("object_id", _I),
        ("created_at", _TS), ("comment_id", _I), ("body", _S), ("listed", _B),
    ]),
}
# int64 columns that may be null: pandas `Int64` in memory (the others are plain int64).
NULLABLE_INT = {"users": ("reposts_count",), "interactions": ("comment_id",)}
TABLES = tuple(SCHEMAS)


def _to_frame(table: pa.Table, name: str) -> pd.DataFrame:
    """Arrow table -> DataFrame with the dtypes every World has (generated or loaded)."""
    table = table.select(SCHEMAS[name].names).cast(SCHEMAS[name])
    df = table.to_pandas()
    for col in NULLABLE_INT.get(name, ()):
        df[col] = table.column(col).to_pandas(types_mapper={_I: pd.Int64Dtype()}.get)
    return df


@dataclass(eq=False)
class World:
    """The ground truth: four tables (docs/architecture.md) and `meta` (world.json)."""

    users: pd.DataFrame
    tracks: pd.DataFrame
    playlists: pd.DataFrame
    interactions: pd.DataFrame
    meta: dict
    _src_index: tuple | None = field(default=None, repr=False, compare=False)

    def write(self, out_dir) -> None:
        """Write the four Parquet files and world.json; each under a temporary name, then renamed."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        for name in TABLES:
            table = pa.Table.from_pandas(getattr(self, name), schema=SCHEMAS[name], preserve_index=False)
            table = table.replace_schema_metadata(None)  # no pandas metadata: plain, stable files
            _replace(out / f"{name}.parquet",
                     lambda tmp: pq.write_table(table, tmp, compression="zstd", row_group_size=1_000_000))
        text = json.dumps(self.meta, indent=2, ensure_ascii=False) + "\n"
        _replace(out / "world.json", lambda tmp: tmp.write_text(text, encoding="utf-8"))

    def recent_interactions(self, user_id: int, interaction: str, limit: int | None = None) -> pd.DataFrame:
        """The most recent `limit` listed interactions of one type by one account (all if None).

        Rows of that src/type with `listed`, ordered by created_at descending, then object_id
        descending (ties); the order the site serves lists in.
        """
        if interaction not in INTERACTIONS:
            raise ValueError(f"unknown interaction {interaction!r}; expected one of {INTERACTIONS}")
        df = self.interactions
        if self._src_index is None or self._src_index[0] is not df or self._src_index[1] != len(df):
            src = df["src_id"].to_numpy()
            order = np.argsort(src, kind="stable") if np.any(src[1:] < src[:-1]) else None
            self._src_index = (df, len(df), src if order is None else src[order], order)
        _, _, src_sorted, order = self._src_index
        lo, hi = np.searchsorted(src_sorted, [user_id, user_id + 1])
        rows = np.arange(lo, hi) if order is None else order[lo:hi]
        block = df.iloc[rows]
        block = block[(block["interaction"] == interaction) & block["listed"]]
        block = block.sort_values(["created_at", "object_id"], ascending=False, kind="stable")
        if limit is not None:
            block = block.head(limit)
        return block.reset_index(drop=True)


def _replace(target: Path, write) -> None:
    """write(tmp) to a hidden temporary file beside target, then rename it over target."""
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        write(tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def load_world(path) -> World:
    """Read a world written by `World.write` (same dtypes as a generated one)."""
    p = Path(path)
    if not (p / "world.json").is_file():
        raise FileNotFoundError(f"{p} has no world.json: not a sandbox world directory")
    frames = {name: _to_frame(pq.read_table(p / f"{name}.parquet"), name) for name in TABLES}
    meta = json.loads((p / "world.json").read_text(encoding="utf-8"))
    return World(meta=meta, **frames)


# =============================================================================================
# Generation
# =============================================================================================

def _increasing_ids(rng: np.random.Generator, n: int, low: int, high: int) -> np.ndarray:
    """n distinct ids between low and high, increasing (ids grow with creation time, as on SC)."""
    gap = max(1, (high - low) // max(n, 1))
    return low + np.cumsum(rng.integers(1, 2 * gap, size=n, dtype=np.int64) if n else np.zeros(0, np.int64))


def _times(rng, lo: np.ndarray, hi: np.ndarray, skew: float = 0.75) -> np.ndarray:
    """Seconds in [lo, hi], leaning towards hi (activity grows over the years)."""
    u = rng.random(len(lo)) ** skew
    return (lo + (hi - lo) * u).astype(np.int64)


def _dictionary(codes: np.ndarray, values) -> pa.Array:
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), pa.array(list(values), _S)).cast(_S)


def _take(pool: list[str], idx: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """Strings pool[idx] as an arrow array; null where mask is True."""
    ids = pa.array(idx.astype(np.int64), mask=mask)
    return pa.array(pool, _S).take(ids)


def _ts(seconds: np.ndarray) -> pa.Array:
    return pa.array(seconds.astype(np.int64) * 1_000_000, type=_TS)


class _Targets:
    """Objects of one kind (tracks, playlists or users) ready for weighted sampling by segment.

    Segments: 0..S-1 the scenes (an object belongs to each scene of its owner), S the whole
    non-mainstream world, S+1 the mainstream accounts. `sample(seg, u)` is one searchsorted.
    """

    def __init__(self, owner: np.ndarray, weight: np.ndarray, primary, second, is_main, n_scenes: int,
                 n_users: int, eligible: np.ndarray | None = None):
        S = n_scenes
        self.n = len(owner)
        idx = np.arange(self.n)
        ok = np.ones(self.n, bool) if eligible is None else eligible
        main = is_main[owner] & ok
        nm = ~is_main[owner] & ok
        two = nm & (second[owner] >= 0)
        seg = np.concatenate([primary[owner][nm], second[owner][two], np.full(nm.sum(), S), np.full(main.sum(), S + 1)])
        obj = np.concatenate([idx[nm], idx[two], idx[nm], idx[main]])
        order = np.lexsort((obj, seg))
        seg, obj = seg[order], obj[order]
        w = weight[obj].astype(np.float64)
        self.seg_count = np.bincount(seg, minlength=S + 2)
        tot = np.bincount(seg, weights=w, minlength=S + 2)
        starts = np.concatenate([[0], np.cumsum(self.seg_count)[:-1]])
        cum = np.cumsum(w)
        before = np.concatenate([[0.0], cum])[starts]
        within = (cum - before[seg]) / np.where(tot[seg] > 0, tot[seg], 1.0)
        key = seg + np.clip(within, 0.0, 1.0)  # rounding must not step into the next segment
        ends = starts + self.seg_count - 1
        key[ends[self.seg_count > 0]] = (np.nonzero(self.seg_count > 0)[0] + 1).astype(np.float64)
        self.key, self.obj, self.S = key, obj, S
        # own objects, contiguous per owner
        self.own_order = np.argsort(owner, kind="stable")
        self.own_count = np.bincount(owner, minlength=n_users)
        self.own_start = np.concatenate([[0], np.cumsum(self.own_count)[:-1]])

    def fix_segments(self, seg: np.ndarray) -> np.ndarray:
        empty = self.seg_count[seg] == 0
        seg = np.where(empty, self.S, seg)
        if self.seg_count[self.S] == 0:
            seg = np.where(self.seg_count[seg] == 0, self.S + 1, seg)
        return seg

    def sample(self, seg: np.ndarray, u: np.ndarray) -> np.ndarray:
        pos = np.searchsorted(self.key, self.fix_segments(seg) + u, side="left")
        return self.obj[np.minimum(pos, len(self.obj) - 1)]


@dataclass
class _Ctx:
    """What the interaction draws need to know about accounts."""
    S: int
    primary: np.ndarray
    second: np.ndarray
    neighbors: np.ndarray
    p_scene: np.ndarray


# Mode order: self, mainstream, random, neighbour scene, own scene(s).
def _draw(rng, ctx: _Ctx, counts: np.ndarray, targets: _Targets, p_self: np.ndarray, p_main: float,
          unique: bool, no_self_object: bool = False, oversample: float = 1.35):
    """Pick `counts[i]` objects for each account i. Returns (src, obj) index arrays, grouped by src.

    With `unique`, draws a few more candidates than wanted, drops repeated (src, object) pairs and
    keeps the first `counts[i]` (an account whose reachable objects run out gets fewer).
    """
    users = np.nonzero(counts > 0)[0].astype(np.int32)
    if len(users) == 0 or targets.n == 0:
        return np.zeros(0, np.int32), np.zeros(0, np.int32)
    want = counts[users]
    m = np.ceil(want * oversample).astype(np.int64) + 4 if unique else want
    src = np.repeat(users, m)
    k = len(src)
    u = rng.random(k)
    c = p_self[src]
    mode = (u >= c).astype(np.int8)  # 0 self
    c += p_main
    mode += u >= c  # 1 mainstream
    rest = np.clip(1.0 - ctx.p_scene[src] - c, 0, None)
    c += rest * 0.6
    mode += u >= c  # 2 random
    c += rest * 0.4
    mode += u >= c  # 3 neighbour scene, 4 own scene
    del c, rest
    prim = ctx.primary[src]
    # own scene: primary, or the second scene (40%) for accounts in two
    sec = ctx.second[src]
    rng_two = rng.random(k) < 0.4
    seg = np.where((sec >= 0) & rng_two, sec, prim)
    del sec, rng_two
    nb = ctx.neighbors[np.maximum(prim, 0), rng.integers(0, ctx.neighbors.shape[1], k)]
    seg = np.where(mode == 3, nb, seg)
    del nb
    seg[prim < 0] = ctx.S  # mainstream accounts have no scene: anywhere
    del prim
    seg[mode == 2] = ctx.S
    seg[mode == 1] = ctx.S + 1
    u = rng.random(k)
    obj = targets.sample(seg, u).astype(np.int32)
    del seg
    own = (mode == 0) & (targets.own_count[src] > 0)
    del mode
    if own.any():
        s = src[own]
        pick = targets.own_start[s] + (u[own] * targets.own_count[s]).astype(np.int64)  # u: reused, the sample is discarded
        obj[own] = targets.own_order[pick]
    del own, u
    if no_self_object:
        keep = obj != src
        src, obj = src[keep], obj[keep]
    if unique:
        key = src.astype(np.int64) * targets.n + obj
        _, first = np.unique(key, return_index=True)
        del key
        first.sort()
        src, obj = src[first], obj[first]
        del first
        rank = np.arange(len(src)) - np.searchsorted(src, src, side="left")
        keep = rank < counts[src]
        src, obj = src[keep], obj[keep]
    return src, obj


def _scene_sizes(rng, n_members: int, S: int) -> np.ndarray:
    """Heavy-tailed (Zipf-like with lognormal jitter) scene sizes summing to n_members."""
    a = rng.uniform(0.95, 1.2)
    w = (np.arange(1, S + 1) ** -a) * rng.lognormal(0, 0.2, S)
    w = np.sort(w)[::-1] / w.sum()
    floor = max(3, int(0.004 * n_members))
    sizes = np.maximum(floor, np.floor(w * n_members).astype(np.int64))
    diff = n_members - sizes.sum()
    i = 0
    while diff != 0:  # fix rounding on the largest scenes
        j = i % S
        step = 1 if diff > 0 else -1
        if sizes[j] + step >= floor:
            sizes[j] += step
            diff -= step
        i += 1
    return sizes


def generate_world(seed: int, accounts: int) -> World:
    """A deterministic world: same (seed, accounts) -> identical tables."""
    if accounts < 30:
        raise ValueError(f"accounts must be at least 30 (got {accounts})")
    seed = int(seed)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence([seed, accounts]).spawn(12)]
    rnd = random.Random(f"scmap-world-{seed}-{accounts}")
    N = accounts

    # ---- scenes -------------------------------------------------------------------------------
    rng = streams[0]
    S = int(rng.integers(17, 27)) if N >= 2000 else max(3, min(16, N // 60))
    scene_names = [wn.SCENE_NAMES[i] for i in rng.choice(len(wn.SCENE_NAMES), S, replace=False)]
    pos = rng.random((S, 2))
    dist = np.linalg.norm(pos[:, None] - pos[None], axis=2)
    np.fill_diagonal(dist, np.inf)
    neighbors = np.argsort(dist, axis=1)[:, : min(3, S - 1)] if S > 1 else np.zeros((1, 1), np.int64)

    # ---- accounts: kinds, scenes, creation, ids -----------------------------------------------
    n_main = min(12, max(3, N // 400))
    n_empty = max(2, round(0.04 * N))
    n_self = max(3, round(0.03 * N))
    n_rest = N - n_main - n_empty - n_self
    n_artist = round(0.48 * n_rest)
    kind = np.array([2] * n_main + [4] * n_empty + [3] * n_self + [0] * n_artist + [1] * (n_rest - n_artist))
    rng.shuffle(kind)
    is_main = kind == 2
    members = np.nonzero(~is_main)[0]
    sizes = _scene_sizes(rng, len(members), S)
    primary = np.full(N, -1, np.int64)
    primary[rng.permutation(members)] = np.repeat(np.arange(S), sizes)
    second = np.full(N, -1, np.int64)
    overlap_share = rng.uniform(0.06, 0.09)
    cand = members[kind[members] != 4]
    ov = rng.choice(cand, round(overlap_share * len(cand)), replace=False) if S > 1 else np.zeros(0, np.int64)
    near = rng.random(len(ov)) < 0.6
    other = neighbors[primary[ov], rng.integers(0, neighbors.shape[1], len(ov))]
    p = sizes / sizes.sum()
    rand = rng.choice(S, len(ov), p=p)
    sec = np.where(near, other, rand)
    bad = sec == primary[ov]
    sec[bad] = (primary[ov][bad] + 1 + rng.integers(0, S - 1, bad.sum())) % S if S > 1 else sec[bad]
    second[ov] = sec

    years = rng.beta(1.6, 1.3, N)
    created = (T_START + years * (_LAST_ACCOUNT - T_START)).astype(np.int64)
    created[is_main] = T_START + rng.integers(0, 3 * 365 * _DAY, is_main.sum())
    # Reorder accounts by creation so index order == id order (ids grow with time).
    order = np.argsort(created, kind="stable")
    kind, primary, second, created, is_main = kind[order], primary[order], second[order], created[order], is_main[order]
    uid = _increasing_ids(rng, N, 100_000, 1_600_000_000)

    # ---- popularity (followers) and activity --------------------------------------------------
    rng = streams[1]
    mu = np.select([kind == 0, kind == 1, kind == 3, kind == 4], [np.log(480), np.log(115), np.log(260), np.log(8)], np.log(1.5e6))
    sig = np.select([kind == 0, kind == 1, kind == 3, kind == 4], [1.5, 1.3, 1.2, 1.1], 0.8)
    latent = np.exp(rng.normal(mu, sig))
    latent[is_main] = np.maximum(latent[is_main], 2e5)
    latent = np.round(latent).astype(np.int64)
    active_end = np.where(rng.random(N) < 0.75, T_END,
                          created + (rng.random(N) * (T_END - created - 365 * _DAY)).clip(0) + 365 * _DAY).astype(np.int64)
    active_end = np.minimum(active_end, T_END)

    amu = np.select([kind == 0, kind == 1, kind == 2], [np.log(230), np.log(170), np.log(20)], 0.0)
    total = np.where(np.isin(kind, (0, 1, 2)), np.exp(rng.normal(amu, 1.1)), 0).clip(0, 7000)
    total[np.isin(kind, (0, 1))] = total[np.isin(kind, (0, 1))].clip(8, None)
    shares = rng.dirichlet(np.array([0.62, 0.08, 0.10, 0.20]) * 12, N)  # likes, comments, reposts, follows
    n_like = np.round(total * shares[:, 0]).astype(np.int64)
    n_comment = np.round(total * shares[:, 1]).astype(np.int64)
    n_repost = np.round(total * shares[:, 2]).astype(np.int64)
    n_follow = np.round(total * shares[:, 3]).astype(np.int64)
    followable = ~(kind == 4)
    n_follow = np.minimum(n_follow, min(1800, int(followable.sum()) - 2))

    # accounts with near-2,000 following lists
    near_cap = np.zeros(0, np.int64)
    if followable.sum() > 1950:
        pool = np.nonzero(np.isin(kind, (0, 1)))[0]
        near_cap = np.sort(rng.choice(pool, 3 + N // 25_000, replace=False))
        n_follow[near_cap] = 0

    p_scene = rng.beta(7.8, 2.2, N)  # share of an account's activity inside its own scene(s)
    pl_like = rng.beta(1, 14, N)
    lovers = np.nonzero(np.isin(kind, (0, 1)))[0]
    lovers = rng.choice(lovers, max(3, round(0.03 * len(lovers))), replace=False)
    pl_like[lovers] = rng.uniform(0.3, 0.5, len(lovers))
    pl_repost = rng.beta(1.5, 8, N)

    # ---- tracks and playlists -----------------------------------------------------------------
    rng = streams[2]
    nt = np.zeros(N, np.int64)
    art = kind == 0
    nt[art] = 1 + np.exp(rng.normal(np.log(12), 1.0, art.sum())).astype(np.int64).clip(0, 300)
    lis = kind == 1
    nt[lis] = np.where(rng.random(lis.sum()) < 0.3, rng.integers(1, 4, lis.sum()), 0)
    slf = kind == 3
    nt[slf] = rng.integers(15, 61, slf.sum())
    nt[is_main] = rng.integers(20, 81, is_main.sum())
    t_owner = np.repeat(np.arange(N), nt)
    T = len(t_owner)
    # Uploads fall in the account's active years (from its creation to its last activity).
    t_created = _times(rng, created[t_owner] + _DAY, np.minimum(active_end[t_owner], T_END - 30 * _DAY), 0.9)
    t_created = np.maximum(t_created, created[t_owner] + _DAY)
    t_appeal = rng.lognormal(0, 1.0, T)
    t_deleted = rng.random(T) < 0.03
    t_private = ~t_deleted & (rng.random(T) < 0.04)
    t_policy = rng.choice(4, T, p=[0.84, 0.08, 0.05, 0.03])
    t_duration = (np.exp(rng.normal(np.log(170_000), 0.45, T))).clip(20_000, 3 * 3600_000).astype(np.int64)
    torder = np.lexsort((t_owner, t_created))  # ids grow with upload time
    t_owner, t_created, t_appeal, t_deleted, t_private, t_policy, t_duration = (
        a[torder] for a in (t_owner, t_created, t_appeal, t_deleted, t_private, t_policy, t_duration))
    t_id = _increasing_ids(rng, T, 200_000_000, 2_200_000_000)

    npl = np.zeros(N, np.int64)
    npl[art] = rng.poisson(1.5, art.sum())
    npl[lis] = rng.poisson(0.5, lis.sum())
    npl[slf] = rng.poisson(2.0, slf.sum())
    npl[is_main] = rng.integers(3, 11, is_main.sum())
    p_owner = np.repeat(np.arange(N), npl)
    P = len(p_owner)
    p_created = _times(rng, created[p_owner] + _DAY, np.full(P, T_END - 30 * _DAY), 0.9)
    p_created = np.maximum(p_created, created[p_owner] + _DAY)
    porder = np.lexsort((p_owner, p_created))
    p_owner, p_created = p_owner[porder], p_created[porder]
    p_appeal = rng.lognormal(0, 1.0, P)
    p_deleted = rng.random(P) < 0.03
    p_private = ~p_deleted & (rng.random(P) < 0.06)
    set_types = ("", "album", "ep", "single", "compilation")
    p_set = np.where(kind[p_owner] == 1, 0, rng.choice(5, P, p=[0.62, 0.15, 0.15, 0.05, 0.03]))
    p_trackcount = np.where(p_set == 0, rng.integers(1, 41, P), rng.integers(3, 17, P))
    p_trackcount[p_set == 3] = rng.integers(1, 4, (p_set == 3).sum())
    p_id = _increasing_ids(rng, P, 1_000_000, 190_000_000)

    # ---- who interacts with what --------------------------------------------------------------
    ctx = _Ctx(S, primary, second, neighbors, p_scene)
    popw = latent.astype(np.float64) ** 0.85
    tracks_t = _Targets(t_owner, popw[t_owner] * t_appeal, primary, second, is_main, S, N)
    pls_t = _Targets(p_owner, popw[p_owner] * p_appeal, primary, second, is_main, S, N)
    users_t = _Targets(np.arange(N), latent.astype(np.float64) ** 0.9 + 1.0, primary, second, is_main, S, N,
                       eligible=followable)

    p_self = np.select([kind == 0, kind == 1, kind == 3], [0.012, 0.004, 0.85], 0.0)
    # self-likers: small activity, mostly on their own tracks
    n_like[slf] = np.ceil(nt[slf] * rng.uniform(1.0, 1.4, slf.sum())).astype(np.int64)
    n_repost[slf] = rng.integers(3, 16, slf.sum())
    n_comment[slf] = rng.integers(0, 11, slf.sum())
    n_follow[slf] = rng.integers(0, 4, slf.sum())
    pl_like[slf] = 0.05

    rng = streams[3]
    n_like_pl = rng.binomial(n_like, pl_like)
    n_rep_pl = rng.binomial(n_repost, pl_repost)
    parts = []  # (type code, object kind code, src idx, obj idx)
    s, o = _draw(rng, ctx, n_like - n_like_pl, tracks_t, p_self, 0.055, unique=True)
    parts.append((2, 1, s, o))
    s, o = _draw(rng, ctx, n_like_pl, pls_t, p_self, 0.04, unique=True)
    parts.append((2, 0, s, o))
    s, o = _draw(rng, ctx, n_repost - n_rep_pl, tracks_t, p_self, 0.04, unique=True)
    parts.append((3, 1, s, o))
    s, o = _draw(rng, ctx, n_rep_pl, pls_t, p_self, 0.03, unique=True)
    parts.append((3, 0, s, o))
    s, o = _draw(rng, ctx, n_follow, users_t, np.zeros(N), 0.08, unique=True, no_self_object=True)
    fol_w = (latent.astype(np.float64) ** 0.3) * followable
    extra_s, extra_o = [s], [o]
    for a in near_cap:  # a handful of accounts following nearly the cap
        w = fol_w.copy()
        w[a] = 0
        k = int(min(rng.integers(1900, FOLLOW_CAP + 1), (w > 0).sum()))
        extra_s.append(np.full(k, a, np.int64))
        extra_o.append(np.sort(rng.choice(N, k, replace=False, p=w / w.sum())))
    parts.append((1, 2, np.concatenate(extra_s), np.concatenate(extra_o)))
    s, o = _draw(rng, ctx, n_comment, tracks_t, np.where(slf, 0.6, p_self * 2), 0.02, unique=True)
    rep = rng.random(len(s)) < 0.03  # a second comment on the same track
    parts.append((0, 1, np.concatenate([s, s[rep]]), np.concatenate([o, o[rep]])))

    # ---- assemble interactions ----------------------------------------------------------------
    rng = streams[4]
    owner_of = {0: p_owner, 1: t_owner, 2: np.arange(N)}
    created_of = {0: p_created, 1: t_created, 2: created}
    hidden_of = {0: p_deleted | p_private, 1: t_deleted | t_private, 2: np.zeros(N, bool)}
    ids_of = {0: p_id, 1: t_id, 2: uid}
    cols = {k: [] for k in ("type", "okind", "src", "dst", "obj", "oid", "t", "listed")}
    while parts:
        typ, ok, s, o = parts.pop(0)
        dst = owner_of[ok][o].astype(np.int32)
        lo = np.maximum(created[s], created_of[ok][o]) + 60
        hi = np.minimum(np.maximum(active_end[s], lo + 7 * _DAY), T_END)
        cols["type"].append(np.full(len(s), typ, np.int8))
        cols["okind"].append(np.full(len(s), ok, np.int8))
        cols["src"].append(s)
        cols["dst"].append(dst)
        cols["obj"].append(o)
        cols["oid"].append(ids_of[ok][o])
        cols["t"].append(_times(rng, lo, hi))
        cols["listed"].append(~hidden_of[ok][o])
    c = {k: np.concatenate(cols.pop(k)) for k in list(cols)}
    # Self-likers give more than 40% of their score (likes 1, others 3) to themselves.
    drop = _self_liker_drops(rng, c, np.nonzero(slf)[0])

    # comment ids grow with time
    com = np.nonzero(c["type"] == 0)[0]
    corder = com[np.argsort(c["t"][com], kind="stable")]
    comment_id = np.zeros(len(c["t"]), np.int64)
    comment_id[corder] = _increasing_ids(rng, len(corder), 100_000_000, 2_100_000_000)
    bodies_pool = wn.comment_pool(rnd, 4000)
    body_idx = rng.integers(0, len(bodies_pool), len(c["t"]), dtype=np.int32)

    # a few exact created_at ties inside one src/type (not on comments: the tie order is by object)
    order = _interaction_order(c, comment_id)
    if drop.any():
        order = order[~drop[order]]
    del drop
    c = {k: v[order] for k, v in c.items()}
    comment_id, body_idx = comment_id[order], body_idx[order]
    same = (c["src"][1:] == c["src"][:-1]) & (c["type"][1:] == c["type"][:-1]) & (c["type"][1:] != 0)
    cand = np.nonzero(same)[0]
    ties = rng.choice(cand, min(len(cand), max(3, len(c["t"]) // 5000)), replace=False) if len(cand) else cand
    c["t"][ties + 1] = c["t"][ties]  # still sorted by the main key; only the tie order changes
    c["comment_id"], c["body"] = comment_id, body_idx
    key = _sort_key(c)
    order = _break_ties(key, np.arange(len(key)), c, comment_id)
    del key
    moved = np.nonzero(order != np.arange(len(order)))[0]
    for v in c.values():
        v[moved] = v[order[moved]]
    del order, moved
    comment_id, body_idx = c.pop("comment_id"), c.pop("body")
    is_com = c["type"] == 0

    inter_tbl = pa.table({
        "src_id": pa.array(uid[c["src"]]),
        "dst_id": pa.array(uid[c["dst"]]),
        "interaction": _dictionary(c["type"], INTERACTIONS),
        "object_kind": _dictionary(c["okind"], OBJECT_KINDS),
        "object_id": pa.array(c["oid"]),
        "created_at": _ts(c["t"]),
        "comment_id": pa.array(comment_id, mask=~is_com),
        "body": _take(bodies_pool, body_idx, ~is_com),
        "listed": pa.array(c["listed"]),
    })

    # ---- profile counts (they do not match list lengths) --------------------------------------
    rng = streams[5]

    likes_all, comments_all, reposts_all, follows_all = (
        np.bincount(c["src"][c["type"] == t], minlength=N) for t in (2, 0, 3, 1))
    in_followers = np.bincount(c["dst"][c["type"] == 1], minlength=N)
    followers = np.where(is_main, latent, np.maximum(latent, in_followers + rng.poisson(2, N)))
    followers[kind == 4] = latent[kind == 4]
    noise = np.where(rng.random(N) < 0.7, np.floor(rng.lognormal(1.5, 1.2, N)), 0).astype(np.int64)
    likes_count = likes_all + noise
    low = rng.random(N) < 0.02  # the opposite direction, reported once: count far below the list
    likes_count[low] = np.floor(likes_all[low] * rng.uniform(0.05, 0.5, low.sum())).astype(np.int64)
    comments_count = comments_all + rng.poisson(1.0, N) * (rng.random(N) < 0.4)
    followings_count = np.minimum(np.maximum(follows_all + rng.poisson(1.5, N), follows_all), np.maximum(FOLLOW_CAP, follows_all))
    reposts_count = reposts_all + rng.poisson(2, N)
    reposts_null = rng.random(N) < 0.85
    live_t = ~t_deleted
    track_count = np.bincount(t_owner[live_t], minlength=N)
    playlist_count = np.bincount(p_owner[~p_deleted], minlength=N)
    empty = kind == 4
    for arr in (likes_count, comments_count, followings_count, reposts_count):
        arr[empty] = 0

    # ---- users table --------------------------------------------------------------------------
    kind_names = [KINDS[k] for k in kind]
    permalinks, olds, usernames = wn.make_user_names(rnd, kind_names)
    cities, codes, descs = wn.make_profile_extras(rnd, permalinks)
    scene_label = np.where(is_main, "mainstream", np.array(scene_names, dtype=object)[np.maximum(primary, 0)])
    scenes_joined = [
        scene_label[i] if second[i] < 0 else f"{scene_names[primary[i]]}|{scene_names[second[i]]}" for i in range(N)
    ]
    users_tbl = pa.table({
        "id": pa.array(uid), "permalink": pa.array(permalinks, _S), "old_permalink": pa.array(olds, _S),
        "username": pa.array(usernames, _S), "followers_count": pa.array(followers.astype(np.int64)),
        "followings_count": pa.array(followings_count.astype(np.int64)), "track_count": pa.array(track_count),
        "likes_count": pa.array(likes_count), "comments_count": pa.array(comments_count.astype(np.int64)),
        "playlist_count": pa.array(playlist_count), "reposts_count": pa.array(reposts_count, mask=reposts_null),
        "scene": pa.array(list(scene_label), _S), "scenes": pa.array(scenes_joined, _S),
        "kind": pa.array(kind_names, _S), "created_at": _ts(created), "city": pa.array(cities, _S),
        "country_code": pa.array(codes, _S), "description": pa.array(descs, _S),
    })

    # ---- tracks and playlists tables ----------------------------------------------------------
    rng = streams[6]
    titles, slugs = wn.title_pool(rnd, int(min(20_000, max(2_000, T // 8))))
    t_title = rng.integers(0, len(titles), T)
    t_genre, t_tags = _genres_and_tags(streams[7], scene_names, primary, second, t_owner, usernames, permalinks)
    t_likes_in = np.bincount(c["obj"][(c["type"] == 2) & (c["okind"] == 1)], minlength=T)
    t_reposts_in = np.bincount(c["obj"][(c["type"] == 3) & (c["okind"] == 1)], minlength=T)
    t_comments_in = np.bincount(c["obj"][(c["type"] == 0)], minlength=T)
    outside = (latent[t_owner] * t_appeal * rng.uniform(0.01, 0.2, T)).astype(np.int64)
    t_likes = t_likes_in + outside
    t_reposts = t_reposts_in + (outside * rng.uniform(0.02, 0.1, T)).astype(np.int64)
    t_comments = t_comments_in + (outside * rng.uniform(0.005, 0.05, T)).astype(np.int64)
    t_plays = (t_likes * rng.lognormal(np.log(25), 0.7, T)).astype(np.int64) + rng.integers(0, 50, T)
    tracks_tbl = pa.table({
        "id": pa.array(t_id), "user_id": pa.array(uid[t_owner]), "title": _take(titles, t_title),
        "permalink": _unique_slugs(slugs, t_owner, t_title), "created_at": _ts(t_created),
        "duration": pa.array(t_duration), "genre": pa.array(t_genre, _S), "tags": pa.array(t_tags, _TAGS),
        "policy": _dictionary(t_policy, POLICIES), "sharing": _dictionary(t_private.astype(np.int8), ("public", "private")),
        "deleted": pa.array(t_deleted), "likes_count": pa.array(t_likes), "playback_count": pa.array(t_plays),
        "reposts_count": pa.array(t_reposts), "comment_count": pa.array(t_comments),
    })
    ptitles, pslugs = wn.playlist_title_pool(rnd, int(min(5_000, max(500, P // 4))))
    p_title = rng.integers(0, len(ptitles), P)
    playlists_tbl = pa.table({
        "id": pa.array(p_id), "user_id": pa.array(uid[p_owner]), "title": _take(ptitles, p_title),
        "permalink": _unique_slugs(pslugs, p_owner, p_title), "created_at": _ts(p_created),
        "track_count": pa.array(p_trackcount.astype(np.int64)), "is_album": pa.array(p_set != 0),
        "set_type": _dictionary(p_set, set_types),
        "sharing": _dictionary(p_private.astype(np.int8), ("public", "private")), "deleted": pa.array(p_deleted),
    })

    del c
    world = World(users=_to_frame(users_tbl, "users"), tracks=_to_frame(tracks_tbl, "tracks"),
                  playlists=_to_frame(playlists_tbl, "playlists"),
                  interactions=_to_frame(inter_tbl, "interactions"), meta={})
    del inter_tbl
    world.meta = _meta(seed, N, world, scene_names, primary, second, is_main, uid, near_cap)
    return world


def _genres_and_tags(rng, scene_names, primary, second, t_owner, usernames, permalinks):
    """Genre and tags per track (world_tags.py): from the owner's primary scene, or for an
    account in two scenes, its second one for 30 % of its tracks."""
    t_scene = primary[t_owner]
    second_scene = (second[t_owner] >= 0) & (rng.random(len(t_owner)) < 0.3)
    t_scene = np.where(second_scene, second[t_owner], t_scene)
    return world_tags.plant(rng, scene_names, t_scene, t_owner, usernames, permalinks)


def _sort_key(c: dict) -> np.ndarray:
    """One int64 per row: src asc, interaction asc, created_at desc."""
    return (c["src"].astype(np.int64) * 4 + c["type"]) << 32 | (T_END - c["t"])


def _interaction_order(c: dict, comment_id: np.ndarray) -> np.ndarray:
    """src asc, interaction asc, created_at desc, object_id desc (then comment_id desc)."""
    key = _sort_key(c)
    order = np.argsort(key, kind="stable")
    return _break_ties(key[order], order, c, comment_id)


def _break_ties(sorted_key: np.ndarray, order: np.ndarray, c: dict, comment_id: np.ndarray) -> np.ndarray:
    """Order rows with equal keys (rare) by object_id desc, then comment_id desc."""
    eq = np.nonzero(sorted_key[1:] == sorted_key[:-1])[0]
    if len(eq) == 0:
        return order
    pos = np.unique(np.concatenate([eq, eq + 1]))
    rows = order[pos]
    sub = np.lexsort((-comment_id[rows], -c["oid"][rows], sorted_key[pos]))
    order = order.copy()
    order[pos] = rows[sub]
    return order


def _unique_slugs(slugs: list[str], owner: np.ndarray, title_idx: np.ndarray) -> pa.Array:
    """Slug of each title, with -2, -3... when the same owner has the slug twice (as SC does)."""
    _, slug_id = np.unique(np.array(slugs, dtype=object), return_inverse=True)
    df = pd.DataFrame({"o": owner, "t": slug_id[title_idx]})
    dup = df.groupby(["o", "t"], sort=False).cumcount().to_numpy()
    base = pa.array(slugs, _S).take(pa.array(title_idx.astype(np.int64)))
    if not dup.any():
        return base
    suffix = np.full(len(dup), "", dtype=object)
    d = np.nonzero(dup)[0]
    suffix[d] = [f"-{x + 1}" for x in dup[d]]
    suffix = pa.array(suffix, _S)
    return pc.binary_join_element_wise(base, suffix, "")


def _self_liker_drops(rng, c: dict, selfers: np.ndarray) -> np.ndarray:
    """Rows to drop so that each self-liker gives at least half its score (likes 1, others 3) to itself."""
    drop = np.zeros(len(c["src"]), bool)
    if len(selfers) == 0 or len(drop) == 0:
        return drop
    score = np.where(c["type"] == 2, 1.0, 3.0)
    is_selfer = np.zeros(int(c["src"].max()) + 1, bool)
    is_selfer[selfers] = True
    is_s = is_selfer[c["src"]]
    own = c["src"] == c["dst"]
    size = int(c["src"].max()) + 1
    to_self = np.bincount(c["src"][is_s & own], weights=score[is_s & own], minlength=size)
    to_all = np.bincount(c["src"][is_s], weights=score[is_s], minlength=size)
    out_rows = np.nonzero(is_s & ~own)[0]
    out_rows = out_rows[np.argsort(c["src"][out_rows], kind="stable")]
    out_src = c["src"][out_rows]
    for a in selfers:
        if to_all[a] == 0 or to_self[a] >= 0.5 * to_all[a]:
            continue
        lo, hi = np.searchsorted(out_src, [a, a + 1])
        rows = rng.permutation(out_rows[lo:hi])
        kept = np.cumsum(score[rows]) <= to_self[a]  # outward score at most the self score -> >= 50%
        drop[rows[~kept]] = True
    return drop


def _meta(seed, N, world: World, scene_names, primary, second, is_main, uid, near_cap) -> dict:
    from .world_describe import pick_examples

    inter = world.interactions
    by_type = inter["interaction"].value_counts()
    scenes = []
    for k, name in enumerate(scene_names):
        scenes.append({
            "name": name,
            "accounts": int(((primary == k) | (second == k)).sum()),
            "primary": int((primary == k).sum()),
            "shared": int(((primary == k) & (second >= 0)).sum() + (second == k).sum()),
        })
    scenes.sort(key=lambda s: -s["accounts"])
    meta = {
        "seed": seed,
        "accounts": N,
        "time_range": [pd.Timestamp(T_START, unit="s", tz="UTC").isoformat(),
                       pd.Timestamp(T_END, unit="s", tz="UTC").isoformat()],
        "counts": {
            "users": len(world.users), "tracks": len(world.tracks), "playlists": len(world.playlists),
            "interactions": len(inter),
            "interactions_by_type": {t: int(by_type.get(t, 0)) for t in INTERACTIONS},
            "listed_interactions": int(inter["listed"].sum()),
        },
        "scenes": scenes,
        **world_tags.truth(scene_names),
        "mainstream": [int(x) for x in uid[is_main]],
        "near_follow_cap": [int(x) for x in uid[near_cap]],
        "follower_threshold": FOLLOWER_THRESHOLD,
    }
    meta.update(pick_examples(world))
    return meta
