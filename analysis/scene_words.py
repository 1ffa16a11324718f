"""Scenes named by their music: each scene's distinctive words, from the genres and tags of the
tracks and playlists its accounts made and interacted with (the objects dataset,
analysis/read_objects.py, joined to the edges by object id).

Weighting: log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008,
"Fightin' Words"), each scene against the rest of the map, the whole map's counts as the prior,
ranked by the z-score. Why not TF-IDF: with one document per scene the IDF takes a handful of
values (a word in 2 of 20 scenes gets the same boost whether it is seen twice or 2,000 times),
so one account's odd tag beats the scene's genre; the z-score grows with evidence and the prior
pulls rarely seen words toward the map's rate (docs/analysis.md).

Spellings are folded first (:func:`fold`: Unicode NFKC, case, ``&`` = "and", punctuation and
spaces dropped, then the small synonym table :data:`SYNONYMS`), so "Drum & Bass", "drum and
bass", "DnB" and "#dnb" are one word. Left out: words most scenes use (by document frequency
across scenes: a scene "uses" a word when its rate there is at least half the map's; a word
used by :data:`SHARED_SCENE_SHARE` of the scenes says nothing about any of them) and tags that
are an account's own name (folded username or permalink of an account on the map or owning an
object; a word some object gives as its genre is never taken for a name).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from analysis.clusters import UNCLUSTERED

WORDS_PER_SCENE = 5      # kept per scene (coords.parquet, report.json); the label shows the first 3
WORDS_IN_LABEL = 3
WORDS_PER_ACCOUNT = 3    # shown on hover
SHARED_SCENE_SHARE = 0.75  # a word used by this share of the scenes (at least 2) is left out
MIN_ACCOUNTS = 2         # a scene word must come from at least this many of the scene's accounts
MIN_Z = 1.0              # and be at least this much more frequent than the map's rate (z-score)

# Written once: canonical spelling -> other spellings of the same genre (compared folded).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "drum and bass": ("dnb", "d&b", "drum n bass", "drum'n'bass", "drumnbass"),
    "hip-hop": ("hip hop", "hiphop", "hip-hop & rap", "hip hop/rap", "rap & hip-hop"),
    "r&b": ("rnb", "r n b", "r'n'b", "rhythm and blues"),
    "lo-fi": ("lofi", "lo fi"),
    "uk garage": ("ukg",),
    "dubstep": ("brostep",),
    "electronic": ("electronica", "edm"),
}

_SPACE = re.compile(r"\s+")


def _squeeze(term: str) -> str:
    """Unicode-normalised, case-folded, ``&`` spelled out, only letters and digits."""
    text = unicodedata.normalize("NFKC", term).casefold().replace("&", " and ")
    return "".join(ch for ch in text if ch.isalnum())


_CANONICAL = {_squeeze(variant): _squeeze(canonical)
              for canonical, variants in SYNONYMS.items() for variant in (canonical, *variants)}
_DISPLAY = {_squeeze(canonical): canonical for canonical in SYNONYMS}


def fold(term: str | None) -> str:
    """The key two spellings of one word share ("" for no word)."""
    if not term:
        return ""
    key = _squeeze(term)
    return _CANONICAL.get(key, key)


def display_form(term: str) -> str:
    """How a raw spelling reads in a label: NFKC, lower case, no ``#`` or quotes around it, single spaces."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", term).casefold().strip(" \t#\"'")).strip()


@dataclass
class Vocabulary:
    """Folded words, numbered; ``display[i]``: the spelling shown (the synonym table's, else the
    most common spelling seen); ``genre[i]``: some object gives it as its genre."""

    keys: list[str]
    display: list[str]
    genre: np.ndarray


def object_terms(objects: pd.DataFrame) -> tuple[pd.DataFrame, Vocabulary]:
    """``(pairs, vocabulary)``: one row per (object ``key``, ``term`` number) for the objects'
    genre and tags (each word once per object). ``objects``: kind, object_id, genre, tags.
    Only the distinct spellings are folded in Python (millions of objects share a few thousand)."""
    keys = object_keys(objects["kind"].to_numpy(), objects["object_id"].to_numpy())
    positions = pd.Series(np.arange(len(objects)))
    genres = pd.Series(objects["genre"].to_numpy(), index=positions, dtype=object)
    tags = pd.Series(objects["tags"].to_numpy(), index=positions, dtype=object).explode()
    genres, tags = genres[genres.map(_is_word)], tags[tags.map(_is_word)]
    raw = pd.concat([genres, tags])
    from_genre = np.r_[np.ones(len(genres), bool), np.zeros(len(tags), bool)]
    codes, spellings = pd.factorize(raw.to_numpy(dtype=object))
    folded = np.array([fold(term) for term in spellings], dtype=object)
    shown = np.array([display_form(term) for term in spellings], dtype=object)
    vocabulary_keys = sorted(set(folded.tolist()) - {""})
    number = {key: i for i, key in enumerate(vocabulary_keys)}
    term_of_spelling = np.array([number.get(key, -1) for key in folded.tolist()], dtype=np.int64)
    terms = term_of_spelling[codes] if len(codes) else np.zeros(0, np.int64)
    genre = np.zeros(len(vocabulary_keys), dtype=bool)
    genre[terms[from_genre & (terms >= 0)]] = True
    # The most common spelling; on a tie the one with word breaks ("angel trap" over "angeltrap").
    uses = pd.DataFrame({"term": terms, "shown": shown[codes] if len(codes) else shown[:0]})
    uses = uses[uses["term"] >= 0].value_counts().reset_index(name="uses")
    uses["spaced"] = uses["shown"].str.contains(" ", regex=False)
    best = uses.sort_values(["term", "uses", "spaced", "shown"], ascending=False).drop_duplicates("term")
    common = dict(zip(best["term"], best["shown"]))
    display = [_DISPLAY.get(key) or common[i] for i, key in enumerate(vocabulary_keys)]
    pairs = pd.DataFrame({"key": keys[raw.index.to_numpy(dtype=np.int64)], "term": terms})
    pairs = pairs[pairs["term"] >= 0].drop_duplicates()
    return pairs, Vocabulary(vocabulary_keys, display, genre)


def _is_word(value: object) -> bool:
    return isinstance(value, str) and bool(value)


def object_keys(kinds: np.ndarray, object_ids: np.ndarray) -> np.ndarray:
    """One int64 per (kind, object id): tracks and playlists are numbered apart on SoundCloud."""
    return np.asarray(object_ids, dtype=np.int64) * 2 + (np.asarray(kinds) == "playlist")


class TermCounter:
    """accounts x words: how many of the objects each account made or interacted with carry each
    word, added batch by batch (an edge scan's batches, or the owners of the objects)."""

    def __init__(self, pairs: pd.DataFrame, n_accounts: int, n_terms: int) -> None:
        order = np.argsort(pairs["key"].to_numpy(), kind="stable")
        self._keys = pairs["key"].to_numpy()[order]
        self._terms = pairs["term"].to_numpy()[order]
        self.counts = sp.csr_matrix((n_accounts, n_terms))

    def add(self, accounts: np.ndarray, keys: np.ndarray) -> None:
        """One count per (account position, object key) given (the caller drops repeats)."""
        lo = np.searchsorted(self._keys, keys, side="left")
        hi = np.searchsorted(self._keys, keys, side="right")
        lengths = hi - lo
        if not lengths.sum():
            return
        rows = np.repeat(accounts, lengths)
        starts = np.repeat(lo - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
        terms = self._terms[starts + np.arange(lengths.sum())]
        self.counts = self.counts + sp.csr_matrix((np.ones(len(rows)), (rows, terms)), shape=self.counts.shape)


def log_odds_z(group_counts: sp.csr_matrix, map_counts: np.ndarray) -> sp.csr_matrix:
    """z-scores of the log-odds ratio of each word in each group (row) against the rest of the map,
    with the informative Dirichlet prior alpha = the map's own counts (Monroe et al. 2008, eq. 22);
    only where the group has the word. ``map_counts``: per word, over every mapped account."""
    counts = group_counts.tocoo()
    alpha = map_counts.astype(float)
    alpha_total = alpha.sum()
    group_total = np.asarray(group_counts.sum(axis=1)).ravel()[counts.row]
    rest_total = alpha_total - group_total
    y_group = counts.data
    y_rest = np.maximum(map_counts[counts.col] - y_group, 0)
    a = alpha[counts.col]
    in_group = np.log((y_group + a) / (group_total + alpha_total - y_group - a))
    in_rest = np.log((y_rest + a) / (rest_total + alpha_total - y_rest - a))
    z = (in_group - in_rest) / np.sqrt(1 / (y_group + a) + 1 / (y_rest + a))
    return sp.csr_matrix((z, (counts.row, counts.col)), shape=group_counts.shape)


def shared_terms(scene_counts: sp.csr_matrix, map_counts: np.ndarray,
                 share: float = SHARED_SCENE_SHARE) -> np.ndarray:
    """Words most scenes use (bool per word): used = the scene's rate >= half the map's rate."""
    n_scenes = scene_counts.shape[0]
    if n_scenes < 2 or map_counts.sum() == 0:
        return np.zeros(len(map_counts), dtype=bool)
    rates = sp.diags(1 / np.maximum(np.asarray(scene_counts.sum(axis=1)).ravel(), 1)) @ scene_counts
    map_rate = map_counts / map_counts.sum()
    used = rates.tocoo()
    used_by = np.bincount(used.col[used.data >= 0.5 * map_rate[used.col]], minlength=len(map_counts))
    return used_by >= max(2, share * n_scenes)


def name_terms(vocabulary: Vocabulary, names: list[str]) -> np.ndarray:
    """Words that are an account's own name (folded username or permalink), genres excepted."""
    folded = {fold(name) for name in names if isinstance(name, str)}
    folded.discard("")
    return np.array([key in folded for key in vocabulary.keys], dtype=bool) & ~vocabulary.genre


def top_terms(z: sp.csr_matrix, excluded: np.ndarray, count: int, min_z: float = MIN_Z,
              support: sp.csr_matrix | None = None, min_support: int = 0) -> list[list[int]]:
    """Per row: the ``count`` words of highest z (>= ``min_z``), ``excluded`` left out and, with
    ``support``, words with fewer than ``min_support`` there."""
    rows = []
    for row in range(z.shape[0]):
        start, end = z.indptr[row], z.indptr[row + 1]
        terms, values = z.indices[start:end], z.data[start:end]
        keep = (values >= min_z) & ~excluded[terms]
        if support is not None and min_support:
            keep &= np.asarray(support[row, terms].todense()).ravel() >= min_support
        terms, values = terms[keep], values[keep]
        order = np.lexsort((terms, -values))[:count]
        rows.append(terms[order].tolist())
    return rows


@dataclass
class SceneWords:
    """``scenes``: scene number -> its top words; ``accounts``: per mapped account its top words
    (against the whole map), both as display spellings."""

    scenes: dict[int, list[str]]
    accounts: list[list[str]]


def scene_words(clusters: np.ndarray, per_account: sp.csr_matrix, vocabulary: Vocabulary,
                names: list[str]) -> SceneWords:
    """Each scene's and each account's distinctive words. ``per_account``: :class:`TermCounter`'s
    counts (rows in ``clusters``' order); ``names``: usernames and permalinks whose tags are left
    out as artist names."""
    clusters = np.asarray(clusters)
    numbers = sorted(set(clusters.tolist()) - {UNCLUSTERED})
    clustered = np.flatnonzero(clusters != UNCLUSTERED)
    membership = sp.csr_matrix((np.ones(len(clustered)), (np.searchsorted(numbers, clusters[clustered]), clustered)),
                               shape=(len(numbers), len(clusters)))
    map_counts = np.asarray(per_account.sum(axis=0)).ravel()
    scene_counts = (membership @ per_account).tocsr()
    scene_support = (membership @ (per_account > 0).astype(float)).tocsr()
    excluded = shared_terms(scene_counts, map_counts) | name_terms(vocabulary, names)
    by_scene = top_terms(log_odds_z(scene_counts, map_counts), excluded, WORDS_PER_SCENE,
                         support=scene_support, min_support=MIN_ACCOUNTS)
    # One account's few objects move its z little against the map-sized prior: any positive lean counts.
    by_account = top_terms(log_odds_z(per_account.tocsr(), map_counts), excluded, WORDS_PER_ACCOUNT, min_z=0.0)
    return SceneWords({scene: [vocabulary.display[t] for t in terms] for scene, terms in zip(numbers, by_scene)},
                      [[vocabulary.display[t] for t in terms] for terms in by_account])


def words_label(words: list[str], central_label: str) -> str:
    """"words — central accounts"; without words the label stays the central accounts."""
    return f"{' · '.join(words[:WORDS_IN_LABEL])} — {central_label}" if words else central_label
