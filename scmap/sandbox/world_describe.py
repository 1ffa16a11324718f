"""Figures about a sandbox world: example accounts for world.json, and the `--describe` summary.

Everything is computed from the tables (and `meta["scenes"]`), so it works on a loaded world too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import world_names as wn
from .world import FOLLOWER_THRESHOLD

THRESHOLD = FOLLOWER_THRESHOLD  # the crawler's default skip threshold


INTERACTIONS = ("comments", "follows", "likes", "reposts")
OBJECT_KINDS = ("playlist", "track", "user")


def _auto_slugs(users: pd.DataFrame) -> np.ndarray:
    """Which accounts have a site-made `user-<digits>` slug (world_names.AUTO_SLUG_RE)."""
    return users["permalink"].str.match(wn.AUTO_SLUG_RE.pattern).to_numpy()


def _codes(series: pd.Series, values) -> np.ndarray:
    """Small int code per row (index in `values`, -1 otherwise) without making Python strings."""
    out = np.full(len(series), -1, np.int8)
    for i, v in enumerate(values):
        out[(series == v).to_numpy(dtype=bool, na_value=False)] = i
    return out


class _Cols:
    """Interaction columns as numpy arrays, with src/dst as positions in `world.users`."""

    def __init__(self, world):
        inter = world.interactions
        self.index = pd.Index(world.users["id"].to_numpy())
        self.n_users = len(self.index)
        self.src = self.pos(inter["src_id"].to_numpy())
        self.dst = self.pos(inter["dst_id"].to_numpy())
        self.type = _codes(inter["interaction"], INTERACTIONS)
        self.okind = _codes(inter["object_kind"], OBJECT_KINDS)
        self.listed = inter["listed"].to_numpy()
        self.oid = inter["object_id"].to_numpy()
        self.t = inter["created_at"].array.as_unit("s").asi8

    def pos(self, ids: np.ndarray) -> np.ndarray:
        """Row of each user id in `world.users` (a hash lookup: fast for unsorted ids)."""
        return self.index.get_indexer(ids)

    def per_src(self, mask: np.ndarray | None = None) -> np.ndarray:
        src = self.src if mask is None else self.src[mask]
        return np.bincount(src, minlength=self.n_users)

    def mask(self, typ: str, okind: str | None = None, listed: bool | None = None) -> np.ndarray:
        m = self.type == INTERACTIONS.index(typ)
        if okind is not None:
            m &= self.okind == OBJECT_KINDS.index(okind)
        if listed is not None:
            m &= self.listed == listed
        return m

    def tie_sources(self) -> np.ndarray:
        """User positions with two likes/reposts/follows in the same second (one src, one type)."""
        key = (self.src.astype(np.int64) * 4 + self.type) << 34 | (self.t.max() - self.t)
        key = key[self.type != 0]
        if np.any(key[1:] < key[:-1]):
            key = np.sort(key)
        same = np.nonzero(key[1:] == key[:-1])[0]
        return np.unique(key[same] >> 34) // 4

    def repeat_comment_pairs(self) -> tuple[np.ndarray, int]:
        """(user positions that commented one track twice or more, number of such src/track pairs)."""
        m = self.type == 0
        pair = pd.DataFrame({"s": self.src[m], "o": self.oid[m]}).value_counts()
        rep = pair[pair > 1]
        return rep.index.get_level_values("s").unique().to_numpy(), len(rep)


def scene_codes(world) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(primary, second) scene index per user (-1: none / mainstream) and the scene names."""
    names = [s["name"] for s in world.meta.get("scenes", [])] or sorted(
        set(world.users["scene"]) - {"mainstream"})
    code = {n: i for i, n in enumerate(names)}
    parts = world.users["scenes"].str.split("|")
    prim = np.array([code.get(p[0], -1) for p in parts], np.int64)
    sec = np.array([code.get(p[1], -1) if len(p) > 1 else -1 for p in parts], np.int64)
    return prim, sec, names


def within_scene(world, cols: _Cols | None = None) -> tuple[float, float]:
    """Share of interactions (between two scene accounts, not to oneself) inside a shared scene,
    and the share expected by chance with the same src/dst scene mix."""
    cols = cols or _Cols(world)
    prim, sec, names = scene_codes(world)
    s, d = cols.src, cols.dst
    m = (prim[s] >= 0) & (prim[d] >= 0) & (s != d)
    s, d = s[m], d[m]
    ps, ss, pd_, sd = prim[s], sec[s], prim[d], sec[d]
    within = (ps == pd_) | (ps == sd) | ((ss >= 0) & ((ss == pd_) | (ss == sd)))
    k = len(names)
    a = np.bincount(ps, minlength=k) / max(len(ps), 1)
    b = np.bincount(pd_, minlength=k) / max(len(pd_), 1)
    return float(within.mean()) if len(within) else 0.0, float((a * b).sum())


def self_score_share(world, cols: _Cols | None = None) -> pd.Series:
    """Per src id: share of its listed score (likes 1, comments/reposts/follows 3) that goes to itself
    (only accounts with a listed interaction)."""
    cols = cols or _Cols(world)
    m = cols.listed
    score = np.where(cols.type[m] == INTERACTIONS.index("likes"), 1.0, 3.0)
    src = cols.src[m]
    own = src == cols.dst[m]
    tot = np.bincount(src, weights=score, minlength=cols.n_users)
    mine = np.bincount(src[own], weights=score[own], minlength=cols.n_users)
    has = tot > 0
    return pd.Series(mine[has] / tot[has], index=world.users["id"].to_numpy()[has])


def _best(world, mask: np.ndarray, rank: np.ndarray) -> int | None:
    """The candidate most useful to other tests: >= 250 followers first, then by `rank`, then id."""
    users = world.users
    if not mask.any():
        return None
    big = users["followers_count"].to_numpy() >= THRESHOLD
    df = pd.DataFrame({"id": users["id"].to_numpy(), "big": big, "rank": rank})[mask]
    df = df.sort_values(["big", "rank", "id"], ascending=[False, False, True])
    return int(df["id"].iloc[0])


def pick_examples(world) -> dict:
    """`demo_seeds` and `quirky_accounts` for world.json."""
    users, tracks = world.users, world.tracks
    cols = _Cols(world)
    kind = users["kind"].to_numpy()
    names = users["username"].tolist()
    likes_listed = cols.per_src(cols.mask("likes", listed=True))
    pl_likes = cols.per_src(cols.mask("likes", "playlist", listed=True))
    pl_reposts = cols.per_src(cols.mask("reposts", "playlist", listed=True))
    follows = cols.per_src(cols.mask("follows"))
    unlisted_likes = cols.per_src(cols.mask("likes", listed=False))
    block_ids = np.sort(tracks.loc[tracks["policy"] == "BLOCK", "id"].to_numpy())
    lk = cols.mask("likes", "track")
    j = np.minimum(np.searchsorted(block_ids, cols.oid[lk]), max(len(block_ids) - 1, 0))
    is_block = block_ids[j] == cols.oid[lk] if len(block_ids) else np.zeros(lk.sum(), bool)
    block_likes = np.bincount(cols.src[lk][is_block], minlength=cols.n_users)
    repeat = np.zeros(len(users), bool)
    repeat[cols.repeat_comment_pairs()[0]] = True
    tie = np.zeros(len(users), bool)
    tie[cols.tie_sources()] = True
    ids = users["id"].to_numpy()
    active = np.isin(kind, ("artist", "listener"))
    dup_names = users["username"].duplicated(keep=False).to_numpy()
    followers = users["followers_count"].to_numpy()
    html = np.array([wn.is_html_special(n) for n in names])
    script = np.array(["<script>" in n for n in names])

    q = {
        "renamed": _best(world, users["old_permalink"].notna().to_numpy() & active, likes_listed),
        "non_ascii": _best(world, np.array([wn.has_non_ascii_letters(n) for n in names]) & active, likes_listed),
        "emoji": _best(world, np.array([wn.has_emoji(n) for n in names]) & active, likes_listed),
        "blank": _best(world, np.array([wn.is_blank(n) for n in names]) & active, likes_listed),
        "html_special": _best(world, (script if (script & active).any() else html) & active, likes_listed),
        "playlist_liker": _best(world, (pl_likes > 0) & active, pl_likes),
        "self_liker": _best(world, kind == "self_liker", likes_listed),
        "empty": _best(world, kind == "empty", -ids),
        "near_follow_cap": _best(world, (follows >= 1900) & (follows <= 2000), follows),
        "under_threshold": _best(world, (followers < THRESHOLD) & active, likes_listed),
    }
    more = {
        "auto_slug": _best(world, _auto_slugs(users) & active, likes_listed),
        "duplicate_name": _best(world, dup_names & active, likes_listed),
        "numeric_permalink": _best(world, users["permalink"].str.fullmatch(r"\d+").to_numpy(), likes_listed),
        "mainstream": _best(world, kind == "mainstream", followers),
        "playlist_reposter": _best(world, (pl_reposts > 0) & active, pl_reposts),
        "unlisted_liker": _best(world, (unlisted_likes > 0) & active, unlisted_likes),
        "block_liker": _best(world, (block_likes > 0) & active, block_likes),
        "repeat_commenter": _best(world, repeat & active, likes_listed),
        "created_at_tie": _best(world, tie & active, likes_listed),
    }

    # demo seeds: three active, plain-named artists (>= 250 followers) in the three largest scenes
    scenes = [s["name"] for s in world.meta.get("scenes", [])]
    if not scenes:
        scenes = users.loc[users["scene"] != "mainstream", "scene"].value_counts().index.tolist()
    plain = np.array([n.isascii() and n.strip() != "" and not wn.is_html_special(n) for n in names])
    single = ~users["scenes"].str.contains("|", regex=False).to_numpy()
    seeds = []
    for name in scenes:
        m = ((users["scene"] == name).to_numpy() & (kind == "artist") & single & plain
             & (followers >= THRESHOLD) & (followers <= 50_000) & users["old_permalink"].isna().to_numpy()
             & ~_auto_slugs(users))
        i = _best(world, m, likes_listed)
        if i is None:
            continue
        row = users.loc[users["id"] == i].iloc[0]
        seeds.append({"id": i, "permalink": row["permalink"], "username": row["username"], "scene": name,
                      "followers_count": int(row["followers_count"]),
                      "listed_likes": int(likes_listed[users.index.get_loc(row.name)])})
        if len(seeds) == 3:
            break
    return {"demo_seeds": seeds, "quirky_accounts": q, "more_quirky_accounts": more}


def _q(a, qs=(0.1, 0.5, 0.9, 0.99)) -> str:
    a = np.asarray(a, dtype=float)
    if len(a) == 0:
        return "n/a"
    return ", ".join(f"p{int(q * 100)} {np.quantile(a, q):,.0f}" for q in qs) + f", max {a.max():,.0f}"


def _top_share(a, frac=0.01) -> float:
    a = np.sort(np.asarray(a, dtype=float))[::-1]
    k = max(1, int(round(len(a) * frac)))
    return float(a[:k].sum() / a.sum()) if a.sum() else 0.0


def world_stats(world) -> dict:
    """The figures `describe` prints, as a dict."""
    users, inter, tracks, playlists = world.users, world.interactions, world.tracks, world.playlists
    cols = _Cols(world)
    kind = users["kind"].to_numpy()
    names = users["username"].tolist()
    followers = users["followers_count"].to_numpy()
    listed = cols.listed
    per_src = cols.per_src()
    active = per_src > 0
    auto_slugs = _auto_slugs(users).sum()
    prim, sec, scene_names = scene_codes(world)
    sizes = np.array([s["accounts"] for s in world.meta["scenes"]]) if world.meta.get("scenes") else np.bincount(prim[prim >= 0])
    members = (prim >= 0).sum()
    within, chance = within_scene(world, cols)
    # mainstream reach: how many scenes have a member who liked each mainstream account
    likes = cols.mask("likes")
    to_main = likes & (kind == "mainstream")[cols.dst] & (prim[cols.src] >= 0)
    pairs = pd.DataFrame({"d": cols.dst[to_main], "s": prim[cols.src[to_main]]}).drop_duplicates()
    reach_by = pairs.groupby("d").size()
    reach = [int(reach_by.get(i, 0)) for i in np.nonzero(kind == "mainstream")[0]]
    sss = self_score_share(world, cols)
    self_ids = users.loc[kind == "self_liker", "id"]
    self_share = sss.reindex(self_ids).fillna(0.0)
    follows = cols.per_src(cols.mask("follows"))
    likes_listed = cols.per_src(cols.mask("likes", listed=True))
    _, repeat_pairs = cols.repeat_comment_pairs()
    ties = len(cols.tie_sources())
    dup_counts = users["username"].value_counts()
    pl = OBJECT_KINDS.index("playlist")
    return {
        "seed": world.meta.get("seed"), "accounts": len(users),
        "tracks": len(tracks), "playlists": len(playlists), "interactions": len(inter),
        "by_type": {t: int(cols.mask(t).sum()) for t in ("likes", "comments", "reposts", "follows")},
        "listed_share": float(listed.mean()) if len(listed) else 0.0,
        "scenes": len(sizes), "scene_sizes": sorted(sizes.tolist(), reverse=True),
        "scene_ratio": float(sizes.max() / sizes.min()) if len(sizes) else 0.0,
        "overlap_share": float((sec >= 0).sum() / members) if members else 0.0,
        "kinds": users["kind"].value_counts().to_dict(),
        "followers_q": _q(followers),
        "under_threshold_share": float((followers < THRESHOLD).mean()),
        "top1_followers_share": _top_share(followers),
        "top1_followers_share_no_mainstream": _top_share(followers[kind != "mainstream"]),
        "activity_q": _q(per_src[active]),
        "top1_activity_share": _top_share(per_src[active]),
        "within_scene": within, "within_chance": chance,
        "mainstream_reach": reach,
        "self_likers": int(len(self_ids)), "self_likers_over_40": int((self_share > 0.4).sum()),
        "renamed": int(users["old_permalink"].notna().sum()),
        "auto_slug": int(auto_slugs),
        "name_digits_slug": int(users["permalink"].str.match(r"^[a-z0-9-]+-\d{9}$").sum() - auto_slugs),
        "numeric_permalink": int(users["permalink"].str.fullmatch(r"\d+").sum()),
        "non_ascii": sum(wn.has_non_ascii_letters(n) for n in names),
        "emoji": sum(wn.has_emoji(n) for n in names),
        "blank": sum(wn.is_blank(n) for n in names),
        "html_special": sum(wn.is_html_special(n) for n in names),
        "script_tag": sum("<script>" in n for n in names),
        "duplicated_names": int((dup_counts > 1).sum()),
        "accounts_sharing_a_name": int(dup_counts[dup_counts > 1].sum()),
        "name_differs_from_permalink": int((users["username"] != users["permalink"]).sum()),
        "tracks_deleted": int(tracks["deleted"].sum()),
        "tracks_private": int((tracks["sharing"] == "private").sum()),
        "policy": tracks["policy"].value_counts().to_dict(),
        "playlists_deleted": int(playlists["deleted"].sum()),
        "playlists_private": int((playlists["sharing"] == "private").sum()),
        "albums": int(playlists["is_album"].sum()),
        "playlist_likes": int((cols.mask("likes") & (cols.okind == pl)).sum()),
        "playlist_reposts": int((cols.mask("reposts") & (cols.okind == pl)).sum()),
        "unlisted": int((~listed).sum()),
        "likes_count_mismatch": int((users["likes_count"].to_numpy() != likes_listed).sum()),
        "likes_count_below_list": int((users["likes_count"].to_numpy() < likes_listed).sum()),
        "reposts_count_null": int(users["reposts_count"].isna().sum()),
        "near_cap": sorted(follows[(follows >= 1900)].tolist()),
        "max_follows_other": int(follows[follows < 1900].max()) if (follows < 1900).any() else 0,
        "empty": int((kind == "empty").sum()),
        "inactive": int((~active).sum()),
        "repeat_comments": repeat_pairs,
        "accounts_with_created_at_ties": ties,
    }


def describe(world, seconds: float | None = None) -> str:
    """A Markdown summary of a world (pasted into scmap/sandbox/README.md)."""
    s = world_stats(world)
    pct = lambda x: f"{100 * x:.1f}%"  # noqa: E731
    bt = s["by_type"]
    lines = [
        f"World seed {s['seed']}, {s['accounts']:,} accounts"
        + (f" (generated in {seconds:.1f} s)" if seconds is not None else ""),
        "",
        f"- tables: {s['tracks']:,} tracks, {s['playlists']:,} playlists, {s['interactions']:,} interactions "
        f"(likes {bt['likes']:,}, comments {bt['comments']:,}, reposts {bt['reposts']:,}, follows {bt['follows']:,}); "
        f"{pct(s['listed_share'])} listed",
        f"- scenes: {s['scenes']}, accounts per scene {s['scene_sizes']} "
        f"(largest/smallest {s['scene_ratio']:.1f}x); {pct(s['overlap_share'])} of scene accounts are in two scenes",
        "- kinds: " + ", ".join(f"{k} {v:,}" for k, v in sorted(s["kinds"].items())),
        f"- followers: {s['followers_q']}; {pct(s['under_threshold_share'])} under {THRESHOLD}; "
        f"top 1% hold {pct(s['top1_followers_share'])} of all followers "
        f"({pct(s['top1_followers_share_no_mainstream'])} without the mainstream accounts)",
        f"- interactions per active account: {s['activity_q']}; top 1% make {pct(s['top1_activity_share'])}",
        f"- within-scene share of interactions between scene accounts: {pct(s['within_scene'])} "
        f"(chance {pct(s['within_chance'])})",
        f"- mainstream accounts liked from how many of the {s['scenes']} scenes: {s['mainstream_reach']}",
        f"- self-likers: {s['self_likers']} ({s['self_likers_over_40']} give > 40% of their score to themselves)",
        f"- names: {s['renamed']} renamed (old_permalink), {s['auto_slug']} `user-<digits>` slugs, "
        f"{s['name_digits_slug']} `name-<digits>` slugs, {s['numeric_permalink']} numeric slugs, "
        f"{s['non_ascii']} non-ASCII, {s['emoji']} emoji, {s['blank']} blank-looking, "
        f"{s['html_special']} HTML-special ({s['script_tag']} `<script>`), {s['duplicated_names']} display names "
        f"shared by {s['accounts_sharing_a_name']} accounts; {s['name_differs_from_permalink']:,} display names differ from the permalink",
        f"- tracks: {s['tracks_deleted']:,} deleted, {s['tracks_private']:,} private, policies "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(s["policy"].items())),
        f"- playlists: {s['playlists_deleted']} deleted, {s['playlists_private']} private, {s['albums']} albums/EPs; "
        f"{s['playlist_likes']:,} playlist likes, {s['playlist_reposts']:,} playlist reposts",
        f"- unlisted interactions (deleted/private objects): {s['unlisted']:,}",
        f"- profile counts: likes_count differs from the listed likes for {s['likes_count_mismatch']:,} accounts "
        f"({s['likes_count_below_list']} below it); reposts_count null for {s['reposts_count_null']:,}",
        f"- following lists near the cap: {s['near_cap']} (largest other: {s['max_follows_other']})",
        f"- empty accounts: {s['empty']} (accounts with no interactions: {s['inactive']})",
        f"- repeated comments (same account, same track): {s['repeat_comments']}; "
        f"accounts with a created_at tie inside one list: {s['accounts_with_created_at_ties']}",
    ]
    seeds = world.meta.get("demo_seeds") or []
    if seeds:
        lines.append("- demo seeds: " + ", ".join(
            f"{d['permalink']} ({d['scene']}, {d['followers_count']:,} followers, {d['listed_likes']:,} listed likes)"
            for d in seeds))
    return "\n".join(lines) + "\n"
