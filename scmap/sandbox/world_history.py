"""A sandbox world with a planted history: scenes that form, drift apart and merge over the years.

`generate_history_world(seed, accounts)` keeps the default world's accounts (ids, names,
permalinks) but replaces everything that happens: each account belongs to a *group*, and each
year a preference table says how much a group's members interact with their own group versus a
partner group. The truth for year Y (`HistoryWorld.membership`: year, id, scene, scenes) follows
from that table, so it is stated, not inferred:

- stable scenes (3) keep their members and a strong own-group preference every year;
- a split: two groups that act as one scene (no preference between them) drift apart
  (preference 0.5 -> 0.6 -> 0.85 -> 0.95): one scene until the preference reaches 0.8;
- a merge: two separate scenes (0.95) whose members mix more and more until they are one;
- a formation: a scene that does not exist until FORM_YEAR, made of newcomers who emerge that
  year and of recruits who were in the first stable scene before;
- every year some newcomers join the existing scenes (generations to colour by).

Two groups are one scene in a year when their own-group preference is at most
SAME_SCENE_MAX_PREFERENCE (0.6: at most 60/40 towards one's own half). Tracks are uploaded from
each account's emergence on (its generation: the 15 % quantile of its upload dates, as in the
seed article's part 2, is in `membership.emerged_at`); an interaction never predates its track.
The default world (world.py) is untouched: this module only reads it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from . import world_names as wn
from . import world_tags
from .world import (FOLLOWER_THRESHOLD, World, _replace, _to_frame, _ts, _unique_slugs, generate_world)

YEARS = tuple(range(2020, 2026))
FORM_YEAR = 2022
SAME_SCENE_MAX_PREFERENCE = 0.6
IN_SCENE_SHARE = 0.85  # the rest of an account's interactions go to random active accounts
_DAY = 86_400

# Own-group preference per year (YEARS order) for the groups with a partner.
SPLIT_PREFERENCE = (0.5, 0.5, 0.6, 0.85, 0.95, 0.95)
MERGE_PREFERENCE = (0.95, 0.95, 0.85, 0.6, 0.5, 0.5)

# Groups: 0-2 stable, 3/4 split pair, 5/6 merge pair, 7 the scene that forms.
STABLE, SPLIT_A, SPLIT_B, MERGE_A, MERGE_B, FORMING = (0, 1, 2), 3, 4, 5, 6, 7
N_GROUPS = 8
_PARTNER = {SPLIT_A: SPLIT_B, SPLIT_B: SPLIT_A, MERGE_A: MERGE_B, MERGE_B: MERGE_A}
_GROUP_SHARE = np.array([0.16, 0.14, 0.12, 0.11, 0.11, 0.11, 0.11, 0.0])  # at the start
RECRUIT_SHARE = 0.25  # of the first stable group, who move to the forming scene in FORM_YEAR
NEWCOMER_SHARE = 0.06  # per year, of the accounts, joining existing groups


@dataclass(eq=False)
class HistoryWorld:
    """A World plus its history: `membership` (year, id, scene, scenes, group, emerged_at)."""

    world: World
    membership: pd.DataFrame

    def write(self, out_dir) -> None:
        """The world's files plus `history.parquet` (the per-year truth)."""
        self.world.write(out_dir)
        table = pa.Table.from_pandas(self.membership, preserve_index=False).replace_schema_metadata(None)
        _replace(Path(out_dir) / "history.parquet", lambda tmp: pq.write_table(table, tmp, compression="zstd"))

    def truth(self, year: int) -> pd.DataFrame:
        """That year's truth table in analysis' format: id, scene, scenes."""
        return self.membership.loc[self.membership["year"] == year, ["id", "scene", "scenes"]].reset_index(drop=True)


def own_group_preference(group: int, year: int) -> float:
    index = YEARS.index(year)
    if group in (SPLIT_A, SPLIT_B):
        return SPLIT_PREFERENCE[index]
    if group in (MERGE_A, MERGE_B):
        return MERGE_PREFERENCE[index]
    return 1.0


def scene_of_group(group: int, year: int, names: list[str]) -> str:
    """The truth's scene name for a group in a year (a pair with weak preference is one scene)."""
    partner = _PARTNER.get(group)
    if partner is not None and own_group_preference(group, year) <= SAME_SCENE_MAX_PREFERENCE:
        low, high = sorted((group, partner))
        return f"{names[low]} + {names[high]}"
    return names[group]


def generate_history_world(seed: int, accounts: int) -> HistoryWorld:
    """Deterministic: same (seed, accounts) -> identical tables."""
    if accounts < 100:
        raise ValueError(f"a history world needs at least 100 accounts (got {accounts})")
    base = generate_world(seed, accounts)
    rng = np.random.default_rng(np.random.SeedSequence([seed, accounts, 14]))
    rnd = random.Random(f"scmap-history-{seed}-{accounts}")
    N = accounts
    picks = rng.choice(len(wn.SCENE_NAMES), N_GROUPS, replace=False)
    names = [wn.SCENE_NAMES[i] for i in picks]

    # ---- who is in which group, and when they emerge ---------------------------------------
    group = np.full(N, -1, np.int64)
    emerge_year = np.full(N, YEARS[0], np.int64)
    order = rng.permutation(N)
    n_forming_new = round(0.08 * N)
    n_newcomers = round(NEWCOMER_SHARE * N) * (len(YEARS) - 1)
    n_start = N - n_forming_new - n_newcomers
    start, rest = order[:n_start], order[n_start:]
    group[start] = rng.choice(N_GROUPS, n_start, p=_GROUP_SHARE / _GROUP_SHARE.sum())
    # Accounts present from the start emerged over the years before (older generations).
    emerge_year[start] = YEARS[0] - rng.integers(0, 7, n_start)
    forming_new, newcomers = rest[:n_forming_new], rest[n_forming_new:]
    group[forming_new] = FORMING
    emerge_year[forming_new] = FORM_YEAR
    group[newcomers] = rng.choice(FORMING, len(newcomers), p=_GROUP_SHARE[:FORMING] / _GROUP_SHARE[:FORMING].sum())
    emerge_year[newcomers] = np.repeat(YEARS[1:], len(newcomers) // (len(YEARS) - 1) + 1)[:len(newcomers)]
    first_stable = np.nonzero((group == STABLE[0]) & (emerge_year < FORM_YEAR))[0]
    recruits = rng.choice(first_stable, round(RECRUIT_SHARE * len(first_stable)), replace=False)

    def group_in(year: int) -> np.ndarray:
        current = group.copy()
        if year < FORM_YEAR:
            current[recruits] = STABLE[0]
        else:
            current[recruits] = FORMING
        current[emerge_year > year] = -1  # not there yet
        return current

    year_start = np.array([int(pd.Timestamp(f"{y}-01-01", tz="UTC").timestamp()) for y in YEARS])
    emerged_at = (np.array([int(pd.Timestamp(f"{y}-01-01", tz="UTC").timestamp()) for y in emerge_year])
                  + rng.integers(0, 300 * _DAY, N))

    # ---- tracks: a few at emergence, then some every active year ----------------------------
    owners, uploads = [], []
    first_batch = rng.integers(3, 7, N)
    for account in range(N):
        owners.append(np.full(first_batch[account], account))
        uploads.append(emerged_at[account] + np.sort(rng.integers(0, 40 * _DAY, first_batch[account])))
    for year, start_s in zip(YEARS, year_start):
        active = np.nonzero(emerge_year < year)[0]
        per_account = rng.integers(0, 3, len(active))
        owner = np.repeat(active, per_account)
        owners.append(owner)
        uploads.append(start_s + rng.integers(0, 360 * _DAY, len(owner)))
    t_owner = np.concatenate(owners)
    t_created = np.concatenate(uploads)
    torder = np.lexsort((t_owner, t_created))  # ids grow with upload time
    t_owner, t_created = t_owner[torder], t_created[torder]
    T = len(t_owner)
    t_id = 200_000_000 + np.cumsum(rng.integers(1, 5_000, T))
    by_owner = np.lexsort((t_created, t_owner))  # each owner's tracks, oldest first, contiguous
    own_count = np.bincount(t_owner, minlength=N)
    own_start = np.concatenate([[0], np.cumsum(own_count)[:-1]])
    emergence_truth = np.array([np.quantile(t_created[by_owner[own_start[a]:own_start[a] + own_count[a]]], 0.15)
                                for a in range(N)])

    # ---- interactions, year by year ---------------------------------------------------------
    popularity = np.exp(rng.normal(0, 0.8, N))
    activity = np.exp(rng.normal(np.log(70), 0.35, N)).clip(35, 160)
    rows = {k: [] for k in ("src", "dst", "type", "track", "t")}
    membership = []
    for year, start_s in zip(YEARS, year_start):
        end_s = start_s + 365 * _DAY
        current = group_in(year)
        active = np.nonzero(current >= 0)[0]
        members = [active[current[active] == g] for g in range(N_GROUPS)]
        for account in active:
            g = int(current[account])
            scene = scene_of_group(g, year, names)
            membership.append((year, account, scene, g))
        n = np.round(activity[active] * rng.uniform(0.8, 1.2, len(active))).astype(np.int64)
        src = np.repeat(active, n)
        k = len(src)
        src_group = current[src]
        preference = np.array([own_group_preference(g, year) for g in range(N_GROUPS)])[src_group]
        partner = np.array([_PARTNER.get(g, g) for g in range(N_GROUPS)])[src_group]
        target_group = np.where(rng.random(k) < preference, src_group, partner)
        in_scene = rng.random(k) < IN_SCENE_SHARE
        dst = np.empty(k, np.int64)
        for g in range(N_GROUPS):
            pick = in_scene & (target_group == g)
            pool = members[g]
            if pick.any() and len(pool):
                weights = popularity[pool] / popularity[pool].sum()
                dst[pick] = rng.choice(pool, pick.sum(), p=weights)
            elif pick.any():
                in_scene[pick] = False
        noise = ~in_scene
        dst[noise] = rng.choice(active, noise.sum())
        keep = dst != src
        src, dst = src[keep], dst[keep]
        k = len(src)
        kind = rng.choice(4, k, p=[0.10, 0.15, 0.65, 0.10])  # comments, follows, likes, reposts
        # a track of the target uploaded before the year ends, then a time after its upload
        last_before = np.array([np.searchsorted(t_created[by_owner[own_start[a]:own_start[a] + own_count[a]]], end_s)
                                for a in range(N)])
        choice = (rng.random(k) * np.maximum(last_before[dst], 1)).astype(np.int64)
        track = by_owner[own_start[dst] + choice]
        lo = np.maximum(start_s, t_created[track])
        when = lo + (rng.random(k) * (end_s - 1 - lo)).astype(np.int64)
        for name, values in (("src", src), ("dst", dst), ("type", kind), ("track", track), ("t", when)):
            rows[name].append(values)
    c = {name: np.concatenate(parts) for name, parts in rows.items()}
    c["oid"] = np.where(c["type"] == 1, -1, t_id[c["track"]])
    # Likes and reposts are unique per (account, track), follows per (account, account): keep the first.
    object_key = np.where(c["type"] == 1, c["dst"], c["track"] + N)
    first_seen = np.lexsort((c["t"], object_key, c["type"], c["src"]))
    key = np.stack([c["src"], c["type"], object_key])[:, first_seen]
    repeat = np.zeros(len(first_seen), bool)
    repeat[1:] = (key[:, 1:] == key[:, :-1]).all(axis=0)
    repeat &= c["type"][first_seen] != 0  # comments may repeat
    keep = np.sort(first_seen[~repeat])
    c = {name: values[keep] for name, values in c.items()}

    # Genres and tags: the words of the owner's group in the year of the upload (recruits change).
    groups_by_year = np.stack([group_in(year) for year in YEARS])
    upload_year = np.clip(pd.to_datetime(t_created, unit="s").year.to_numpy(), YEARS[0], YEARS[-1])
    t_group = groups_by_year[upload_year - YEARS[0], t_owner]
    t_group = np.where(t_group >= 0, t_group, group_in(YEARS[-1])[t_owner])
    tag_rng = np.random.default_rng(np.random.SeedSequence([seed, accounts, 15]))
    genres, tags = world_tags.plant(tag_rng, names, t_group, t_owner, base.users["username"].tolist(),
                                    base.users["permalink"].tolist())

    world = _assemble(base, rng, rnd, names, c, group_in(YEARS[-1]), emerged_at, popularity, t_owner, t_created,
                      t_id, own_count, genres, tags)
    frame = pd.DataFrame(membership, columns=["year", "index", "scene", "group"])
    ids = world.users["id"].to_numpy()
    frame = pd.DataFrame({
        "year": frame["year"].astype("int64"), "id": ids[frame["index"]], "scene": frame["scene"],
        "scenes": frame["scene"], "group": frame["group"].astype("int64"),
        "emerged_at": pd.to_datetime(emergence_truth[frame["index"]].astype(np.int64), unit="s", utc=True),
    })
    world.meta["history"] = {
        "years": list(YEARS), "groups": names, "form_year": FORM_YEAR,
        "same_scene_max_preference": SAME_SCENE_MAX_PREFERENCE,
        "split": {"groups": [names[SPLIT_A], names[SPLIT_B]], "own_group_preference": list(SPLIT_PREFERENCE)},
        "merge": {"groups": [names[MERGE_A], names[MERGE_B]], "own_group_preference": list(MERGE_PREFERENCE)},
        "forming": {"scene": names[FORMING], "recruited_from": names[STABLE[0]], "recruits": len(recruits)},
        "scenes_by_year": {str(y): frame[frame["year"] == y]["scene"].value_counts().sort_index().to_dict()
                           for y in YEARS},
    }
    return HistoryWorld(world, frame)


def _assemble(base: World, rng, rnd, names, c, final_group, emerged_at, popularity, t_owner, t_created, t_id,
              own_count, genres, tags) -> World:
    """World tables in world.py's schema from the drawn history."""
    from .world_describe import pick_examples

    N = len(base.users)
    uid = base.users["id"].to_numpy()
    T = len(t_owner)
    kind_codes = ("comments", "follows", "likes", "reposts")
    followed_by = np.bincount(c["dst"][c["type"] == 1], minlength=N)
    followers = np.round(popularity * 900).astype(np.int64)
    low = rng.random(N) < 0.1  # some under the crawler's threshold (they are then not crawled)
    followers[low] = rng.integers(20, FOLLOWER_THRESHOLD, low.sum())
    followers = np.maximum(followers, followed_by)  # the count covers the followers in the world
    final_scene = [names[g] for g in final_group]
    users = base.users.copy()
    users["followers_count"] = followers
    users["followings_count"] = np.bincount(c["src"][c["type"] == 1], minlength=N)
    users["track_count"] = own_count
    for column, code in (("likes_count", 2), ("comments_count", 0), ("reposts_count", 3)):
        users[column] = np.bincount(c["src"][c["type"] == code], minlength=N)
    users["reposts_count"] = users["reposts_count"].astype("Int64")
    users["playlist_count"] = 0
    users["scene"] = final_scene
    users["scenes"] = final_scene
    users["kind"] = "artist"
    users["created_at"] = pd.to_datetime(emerged_at - 30 * _DAY, unit="s", utc=True).astype("datetime64[us, UTC]")

    titles, slugs = wn.title_pool(rnd, max(500, T // 8))
    t_title = rng.integers(0, len(titles), T)
    zeros = np.zeros(T, np.int64)
    tracks = pa.table({
        "id": pa.array(t_id), "user_id": pa.array(uid[t_owner]), "title": pa.array([titles[i] for i in t_title]),
        "permalink": _unique_slugs(slugs, t_owner, t_title), "created_at": _ts(t_created),
        "duration": pa.array(rng.integers(60_000, 300_000, T)), "genre": pa.array(genres, pa.string()),
        "tags": pa.array(tags, pa.list_(pa.string())),
        "policy": pa.array(["ALLOW"] * T), "sharing": pa.array(["public"] * T), "deleted": pa.array(np.zeros(T, bool)),
        "likes_count": pa.array(np.bincount(c["track"][c["type"] == 2], minlength=T)), "playback_count": pa.array(zeros),
        "reposts_count": pa.array(np.bincount(c["track"][c["type"] == 3], minlength=T)),
        "comment_count": pa.array(np.bincount(c["track"][c["type"] == 0], minlength=T)),
    })
    # src asc, interaction asc, created_at desc, object_id desc: the world's stored order.
    order = np.lexsort((-c["oid"], -c["t"], c["type"], c["src"]))
    c = {name: values[order] for name, values in c.items()}
    is_comment = c["type"] == 0
    comment_ids = np.where(is_comment, 3_000_000_000 + np.arange(len(order)), 0)
    bodies = wn.comment_pool(rnd, 300)
    is_follow = c["type"] == 1
    interactions = pa.table({
        "src_id": pa.array(uid[c["src"]]), "dst_id": pa.array(uid[c["dst"]]),
        "interaction": pa.array([kind_codes[t] for t in c["type"]]),
        "object_kind": pa.array(np.where(is_follow, "user", "track").tolist()),
        "object_id": pa.array(np.where(is_follow, uid[c["dst"]], c["oid"])), "created_at": _ts(c["t"]),
        "comment_id": pa.array(comment_ids, mask=~is_comment),
        "body": pa.array([bodies[i % len(bodies)] if comment else None for i, comment in enumerate(is_comment)],
                         pa.string()),
        "listed": pa.array(np.ones(len(order), bool)),
    })
    empty_playlists = pa.table({name: pa.array([], type) for name, type in
                                zip(("id", "user_id", "title", "permalink", "created_at", "track_count", "is_album",
                                     "set_type", "sharing", "deleted"),
                                    (pa.int64(), pa.int64(), pa.string(), pa.string(), pa.timestamp("us", tz="UTC"),
                                     pa.int64(), pa.bool_(), pa.string(), pa.string(), pa.bool_()))})
    world = World(users=_to_frame(pa.Table.from_pandas(users, preserve_index=False), "users"),
                  tracks=_to_frame(tracks, "tracks"), playlists=_to_frame(empty_playlists, "playlists"),
                  interactions=_to_frame(interactions, "interactions"), meta={})
    counts = world.interactions["interaction"].value_counts()
    world.meta = {
        "seed": base.meta["seed"], "accounts": N, "kind": "history",
        "time_range": [f"{YEARS[0]}-01-01T00:00:00+00:00", f"{YEARS[-1]}-12-31T23:59:59+00:00"],
        "counts": {"users": N, "tracks": T, "playlists": 0, "interactions": len(world.interactions),
                   "interactions_by_type": {t: int(counts.get(t, 0)) for t in kind_codes},
                   "listed_interactions": len(world.interactions)},
        "scenes": [{"name": name, "accounts": int(count), "primary": int(count), "shared": 0}
                   for name, count in pd.Series(final_scene).value_counts().items()],
        **world_tags.truth(names),
        "mainstream": [], "near_follow_cap": [], "follower_threshold": FOLLOWER_THRESHOLD,
    }
    world.meta.update(pick_examples(world))
    return world
