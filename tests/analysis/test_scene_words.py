"""analysis/scene_words.py: folding spellings, log-odds with an informative prior, shared words
and artist-name tags left out, the label."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from analysis.scene_words import (TermCounter, fold, log_odds_z, object_keys, object_terms, scene_words,
                                  shared_terms, words_label)


def test_genre_spellings_fold_to_one_word() -> None:
    assert len({fold(s) for s in ("Drum & Bass", "drum and bass", "DnB", "#dnb", "Drum'n'Bass", "ＤｎＢ")}) == 1
    assert fold("Hip-Hop") == fold("hip hop") == fold("HIPHOP") == fold("Hip-hop & Rap")
    assert fold("Bedroom Lo-Fi") == fold("#bedroomlo-fi")
    assert fold("Café") == fold("CAFE\u0301")  # unicode normalisation: composed = decomposed
    assert fold("夜 雨") == "夜雨" and fold("Ночь") == fold("ночь")
    assert fold("dark plugg") != fold("plugg") and fold("") == fold(None) == fold("#!?") == ""


def test_log_odds_ranks_by_evidence_not_by_rarity() -> None:
    # word 0: the same rate in both groups; word 1: 160 uses, mostly in group 0; word 2: 2 uses, both
    # in group 0; word 3: group 1's filler (both groups have 252 words)
    group = sp.csr_matrix(np.array([[100.0, 150, 2, 0], [100, 10, 0, 142]]))
    z = log_odds_z(group, np.asarray(group.sum(axis=0)).ravel()).toarray()
    assert abs(z[0, 0]) < abs(z[0, 1]) and z[0, 1] > 2 and z[1, 1] < -2
    assert z[0, 1] > z[0, 2] > 0  # two stray uses do not beat a hundred: the prior shrinks them


def test_words_every_scene_uses_are_left_out() -> None:
    # "rap" is used at about the map's rate by all 4 scenes (more in scene 0); word s+1 is scene s's own
    counts = sp.csr_matrix(np.array([[60.0, 30, 0, 0, 0], [40, 0, 30, 0, 0], [40, 0, 0, 30, 0], [40, 0, 0, 0, 30]]))
    shared = shared_terms(counts, np.asarray(counts.sum(axis=0)).ravel())
    assert shared.tolist() == [True, False, False, False, False]


def _objects(rows: list[tuple[str, int, int, str | None, list[str]]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["kind", "object_id", "owner_id", "genre", "tags"])


def test_scenes_get_their_own_words_without_shared_words_or_artist_names() -> None:
    # Two scenes of 4 accounts; every object also carries "beat" and "Trap"; scene A's objects are
    # tagged with the artist "Lil Kazu" (also a scene member's name); one genre equals a username.
    rows, links = [], []
    for account in range(8):
        scene_a = account < 4
        for n in range(6):
            object_id = account * 100 + n
            genre = ["Drum & Bass", "drum and bass", "DnB", "dnb"][n % 4] if scene_a else ["Witch House", "witchhouse"][n % 2]
            tags = ["beat", "Trap", "Lil Kazu" if scene_a else "\"cold\"", "hexcore" if not scene_a else "rolling"]
            rows.append(("track", object_id, account, genre, tags))
            links.append((account, object_id))
    objects = _objects(rows)
    pairs, vocabulary = object_terms(objects)
    counter = TermCounter(pairs, 8, len(vocabulary.keys))
    accounts = np.array([a for a, _ in links])
    counter.add(accounts, object_keys(np.array(["track"] * len(links)), np.array([o for _, o in links])))
    clusters = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    words = scene_words(clusters, counter.counts.tocsr(), vocabulary, ["lil-kazu", "Witch House", "someone"])
    assert words.scenes[0][0] == "drum and bass" and "rolling" in words.scenes[0]
    assert set(words.scenes[1]) == {"witch house", "hexcore", "cold"}  # quotes are not part of a word
    every = {w for ws in words.scenes.values() for w in ws} | {w for ws in words.accounts for w in ws}
    assert not every & {"beat", "trap", "lil kazu"}  # shared words and the artist's name are left out
    assert "witch house" in every  # a genre is never taken for a name, even when an account is called so
    assert words.accounts[0][0] == "drum and bass"


def test_tracks_and_playlists_with_one_id_are_two_objects() -> None:
    keys = object_keys(np.array(["track", "playlist"]), np.array([7, 7]))
    assert keys[0] != keys[1]


def test_label_is_words_then_central_accounts_and_unchanged_without_words() -> None:
    assert words_label(["drum and bass", "rolling", "jungle", "liquid"], "a / b") == "drum and bass · rolling · jungle — a / b"
    assert words_label([], "a / b") == "a / b"


def test_objects_without_genres_or_tags_give_no_words() -> None:
    objects = _objects([("track", 1, 0, None, []), ("playlist", 1, 1, "", None), ("track", 2, 1, "  ", ["#", ""])])
    pairs, vocabulary = object_terms(objects)
    assert len(pairs) == 0 and vocabulary.keys == []
    counter = TermCounter(pairs, 2, 0)
    counter.add(np.array([0, 1]), object_keys(np.array(["track", "playlist"]), np.array([1, 1])))
    words = scene_words(np.array([0, 0]), counter.counts.tocsr(), vocabulary, [])
    assert words.scenes == {0: []} and words.accounts == [[], []]


def test_most_common_spelling_is_shown() -> None:
    objects = _objects([("track", n, 0, None, ["witchhouse"] * (n > 0) + ["Witch House"] * (n == 0)) for n in range(3)])
    _, vocabulary = object_terms(objects)
    assert vocabulary.display == ["witchhouse"]
