"""Genres and tags of the sandbox's tracks: each scene's own words, planted with real-world noise.

Each scene (world_names.SCENE_NAMES) has a few distinctive words, each written several ways (case,
spacing, `&`, abbreviations, other scripts), as people type them into SoundCloud's free-text
`genre` and tag fields. Around them the noise of the real site (docs/soundcloud-web.md 2.2, the
2026 likes captures): many tracks without any tag or genre, generic genres ("Hip-hop & Rap"),
words every scene uses (rap, trap, beat...), filler in several scripts, and tags that are just
the uploader's own name.

`fold_word` is the folding the truth is stated in: `world.json`'s `scene_words` lists, per scene,
the folded form of every distinctive spelling planted for it (an abbreviation such as "dnb" is a
word of its own after folding, so it is listed beside "drumandbass"); `shared_words` the folded
words planted in every scene alike. Nothing here is an account name.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import numpy as np

# Per scene: its distinctive words, each a tuple of the spellings planted (the first is canonical).
# The scene's own name comes first; its other words belong to no other scene.
SCENE_VOCABULARY: dict[str, tuple[tuple[str, ...], ...]] = {
    "glitchcore": (("glitchcore", "Glitchcore", "GLITCHCORE", "glitch core"), ("glitch", "Glitch"),
                   ("glitch pop", "Glitch Pop", "glitchpop")),
    "dark plugg": (("dark plugg", "Dark Plugg", "darkplugg", "DARK PLUGG"), ("plugg", "Plugg", "PLUGG"),
                   ("evil plugg", "Evil Plugg"), ("плагг",)),
    "pluggnb": (("pluggnb", "Pluggnb", "PLUGGNB", "plugg n b"), ("plugg&b", "Plugg & B", "plugg and b"),
                ("melodic plugg", "Melodic Plugg")),
    "hexcore": (("hexcore", "Hexcore", "HEXCORE"), ("hexd", "HexD", "HEXD", "hex d"), ("hex", "Hex")),
    "rage": (("rage", "Rage", "RAGE"), ("synth rage", "Synth Rage"), ("レイジ",)),
    "digicore": (("digicore", "Digicore", "DIGICORE", "digi core"), ("hyperpop", "Hyperpop", "HYPERPOP", "hyper-pop"),
                 ("digi", "Digi")),
    "sigilkore": (("sigilkore", "Sigilkore", "SIGILKORE", "sigil kore"), ("sigil", "Sigil")),
    "krushclub": (("krushclub", "Krushclub", "krush club", "KRUSHCLUB"), ("krush", "Krush"),
                  ("krushfunk", "Krush Funk")),
    "drift phonk": (("drift phonk", "Drift Phonk", "driftphonk", "DRIFT PHONK"), ("phonk", "Phonk", "PHONK"),
                    ("фонк",), ("cowbell", "Cowbell")),
    "witch house": (("witch house", "Witch House", "witchhouse", "WITCH HOUSE"), ("drag", "Drag"),
                    ("ведьма",)),
    "vaporwave": (("vaporwave", "Vaporwave", "VAPORWAVE", "vapor wave"), ("ヴェイパーウェイヴ",),
                  ("aesthetic", "Aesthetic", "AESTHETIC")),
    "bedroom lo-fi": (("bedroom lo-fi", "Bedroom Lo-Fi", "bedroom lofi"), ("lofi", "lo-fi", "Lo-Fi", "LOFI", "lo fi"),
                      ("bedroom pop", "Bedroom Pop")),
    "emo trap": (("emo trap", "Emo Trap", "emotrap", "EMO TRAP"), ("emo", "Emo", "EMO"), ("emo rap", "Emo Rap")),
    "cloud rap": (("cloud rap", "Cloud Rap", "cloudrap", "CLOUD RAP"), ("based", "Based"), ("cloud", "Cloud")),
    "hyperflip": (("hyperflip", "Hyperflip", "HYPERFLIP", "hyper flip"), ("flip", "Flip")),
    "breakcore": (("breakcore", "Breakcore", "BREAKCORE", "break core"),
                  ("drum and bass", "Drum & Bass", "drum & bass", "Drum and Bass"), ("dnb", "DnB", "DNB"),
                  ("amen", "Amen", "amen break")),
    "dariacore": (("dariacore", "Dariacore", "DARIACORE", "daria core"), ("mashup", "Mashup", "mash-up")),
    "ukg revival": (("ukg revival", "UKG Revival", "ukgrevival"), ("uk garage", "UK Garage", "UK garage"),
                    ("ukg", "UKG"), ("2 step", "2-step", "2step", "2 Step")),
    "tekno bounce": (("tekno bounce", "Tekno Bounce", "teknobounce"), ("tekno", "Tekno", "TEKNO"),
                     ("bounce", "Bounce")),
    "jerk": (("jerk", "Jerk", "JERK"), ("jerk music", "Jerk Music"), ("jerkin", "Jerkin")),
    "new jazz": (("new jazz", "New Jazz", "newjazz", "NEW JAZZ"), ("jazz", "Jazz"), ("jazzy", "Jazzy")),
    "memphis revival": (("memphis revival", "Memphis Revival"), ("memphis", "Memphis", "MEMPHIS"),
                        ("memphis rap", "Memphis Rap", "memphisrap")),
    "frostwave": (("frostwave", "Frostwave", "FROSTWAVE", "frost wave"), ("frost", "Frost"), ("ice", "Ice", "ICE")),
    "static bloom": (("static bloom", "Static Bloom", "staticbloom"), ("bloom", "Bloom")),
    "neon swamp": (("neon swamp", "Neon Swamp", "neonswamp"), ("neon", "Neon", "NEON"),
                   ("synth swamp", "Synth Swamp")),
    "tundra drill": (("tundra drill", "Tundra Drill", "tundradrill"), ("drill", "Drill", "DRILL"), ("дрилл",),
                     ("tundra", "Tundra")),
    "soft grunge": (("soft grunge", "Soft Grunge", "softgrunge"), ("grunge", "Grunge", "GRUNGE")),
    "chiptune trap": (("chiptune trap", "Chiptune Trap", "chiptunetrap"), ("chiptune", "Chiptune", "chip tune"),
                      ("8bit", "8-bit", "8 Bit")),
    "ambient drone": (("ambient drone", "Ambient Drone", "ambientdrone"), ("drone", "Drone", "DRONE"),
                      ("field recording", "Field Recording", "field-recording")),
    "baile edits": (("baile edits", "Baile Edits", "baileedits"), ("baile funk", "Baile Funk", "bailefunk"),
                    ("funk carioca", "Funk Carioca")),
    "slowed reverb": (("slowed reverb", "slowed + reverb", "Slowed + Reverb", "slowed & reverb"),
                      ("slowed", "Slowed", "SLOWED"), ("reverb", "Reverb")),
    "nightcore": (("nightcore", "Nightcore", "NIGHTCORE", "night core"), ("ナイトコア",),
                  ("sped up", "Sped Up", "spedup", "sped-up")),
    "tape hiss": (("tape hiss", "Tape Hiss", "tapehiss"), ("cassette", "Cassette"), ("カセット",)),
    "ghost trap": (("ghost trap", "Ghost Trap", "ghosttrap", "GHOST TRAP"), ("spectral", "Spectral"),
                   ("haunt", "Haunt")),
    "cyber folk": (("cyber folk", "Cyber Folk", "cyberfolk"), ("folk", "Folk", "FOLK"), ("cyber", "Cyber")),
    "crystal pop": (("crystal pop", "Crystal Pop", "crystalpop"), ("crystal", "Crystal"), ("shimmer", "Shimmer")),
    "velvet wave": (("velvet wave", "Velvet Wave", "velvetwave"), ("velvet", "Velvet"), ("dreamwave", "Dreamwave")),
    "surge": (("surge", "Surge", "SURGE"), ("voltage", "Voltage"), ("surgewave", "Surge Wave")),
    "gutter pop": (("gutter pop", "Gutter Pop", "gutterpop"), ("gutter", "Gutter"), ("dirty pop", "Dirty Pop")),
    "mall soul": (("mall soul", "Mall Soul", "mallsoul"), ("muzak", "Muzak"), ("mall", "Mall")),
    "ethereal wave": (("ethereal wave", "Ethereal Wave", "etherealwave"), ("ethereal", "Ethereal"),
                      ("darkwave", "Darkwave", "dark wave")),
    "scenecore": (("scenecore", "Scenecore", "SCENECORE", "scene core"), ("scene kid", "Scene Kid", "scenekid"),
                  ("rawr", "RAWR", "Rawr")),
    "swamp rap": (("swamp rap", "Swamp Rap", "swamprap"), ("swamp", "Swamp"), ("bayou", "Bayou")),
    "bubblegum bass": (("bubblegum bass", "Bubblegum Bass", "bubblegumbass"), ("bubblegum", "Bubblegum"),
                       ("candy bass", "Candy Bass")),
    "angel trap": (("angel trap", "Angel Trap", "angeltrap"), ("heavenly", "Heavenly"), ("天使",)),
}

# Words every scene uses alike (the "rap, trap, beat..."), several scripts.
SHARED_TAGS = (
    ("rap", "Rap", "RAP"), ("trap", "Trap", "TRAP"), ("beat", "Beat", "beats"), ("hip hop", "Hip Hop", "hiphop"),
    ("type beat", "Type Beat"), ("freestyle", "Freestyle"), ("underground", "Underground"),
    ("soundcloud", "SoundCloud"), ("music", "Music"), ("producer", "Producer"), ("рэп",), ("ビート",),
)
# Filler drawn at random everywhere: moods, years, platform tags, other scripts.
FILLER_TAGS = (
    "chill", "sad", "love", "vibes", "night", "dark", "2023", "2024", "2025", "new", "demo", "wip", "unreleased",
    "snippet", "leak", "fyp", "viral", "remix", "instrumental", "vocals", "мрак", "грусть", "ночь", "夜", "感情",
    "사랑", "شب", "feelings", "summer", "winter", "late night", "for you",
)
# Genres of any scene: SoundCloud's own picker names and people's spellings of them.
GENERIC_GENRES = ("Hip-hop & Rap", "Hip-hop & Rap", "Rap", "Trap", "hip hop", "Electronic", "Experimental",
                  "Alternative Rock", "Ambient")

NO_TAG_ACCOUNT_SHARE = 0.35  # accounts that never tag a track
UNTAGGED_TRACK_SHARE = 0.25  # of the tracks of accounts that do tag
NO_GENRE_SHARE = 0.25  # genre left empty
GENERIC_GENRE_SHARE = 0.35  # a generic genre instead of a scene's
# How a tag of a tagged track is drawn (scene words / shared / filler / the uploader's own name).
TAG_SOURCES = np.array([0.4, 0.3, 0.2, 0.1])
SCENE_WORD_WEIGHT = 0.5  # of a scene's words, the scene's own name is drawn this often

_NOT_WORD = re.compile(r"[^\w]|_", re.UNICODE)


@lru_cache(maxsize=65_536)  # the generator folds the same few hundred spellings again and again
def fold_word(text: str) -> str:
    """The folded form of a genre or tag: NFKC, case-folded, `&` read as "and", then only letters
    and digits kept (any script). "Drum & Bass", "drum and bass" -> "drumandbass"; "DnB" -> "dnb"."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("&", " and ")
    return _NOT_WORD.sub("", text)


def scene_words(scene: str) -> list[str]:
    """The folded distinctive words planted for a scene, canonical ones first."""
    words: list[str] = []
    for spellings in SCENE_VOCABULARY[scene]:
        for spelling in spellings:
            folded = fold_word(spelling)
            if folded not in words:
                words.append(folded)
    return words


def shared_words() -> list[str]:
    """The folded words planted in every scene alike (shared tags, filler, generic genres)."""
    spellings = [s for word in SHARED_TAGS for s in word] + list(FILLER_TAGS) + list(GENERIC_GENRES)
    return sorted({fold_word(s) for s in spellings})


def truth(scenes: list[str]) -> dict:
    """`scene_words` and `shared_words` for world.json."""
    return {"scene_words": {scene: scene_words(scene) for scene in scenes}, "shared_words": shared_words()}


def _own_name_tag(username: str, permalink: str, pick: float) -> str | None:
    """The uploader's name as a tag (display name or permalink); None when nothing typable is left."""
    name = username if pick < 0.6 else permalink
    # A tag cannot hold a double quote (it delimits multi-word tags) and is never blank.
    name = " ".join(name.replace('"', " ").split())
    return name if any(ch.isalnum() for ch in name) else None


def plant(rng: np.random.Generator, scene_names: list[str], track_scene: np.ndarray, track_owner: np.ndarray,
          usernames: list[str], permalinks: list[str]) -> tuple[list[str | None], list[list[str]]]:
    """(genre or None, tags) per track. `track_scene[i]` indexes `scene_names` (-1: no scene, e.g. a
    mainstream account); `track_owner[i]` indexes the owners' names. Tags are the canonical split
    (stripped, no duplicates after folding), in the order the uploader typed them."""
    T = len(track_scene)
    n_owners = len(usernames)
    vocab = [SCENE_VOCABULARY[name] for name in scene_names]
    # ---- genre ----------------------------------------------------------------------------------
    u_genre = rng.random(T).tolist()  # plain lists: the loop below reads them item by item
    genre_word = rng.random(T).tolist()
    genre_spelling = rng.random(T).tolist()
    generic_pick = rng.integers(0, len(GENERIC_GENRES), T).tolist()
    # ---- tags -----------------------------------------------------------------------------------
    tagger = rng.random(n_owners) >= NO_TAG_ACCOUNT_SHARE
    tagged = tagger[track_owner] & (rng.random(T) >= UNTAGGED_TRACK_SHARE)
    n_tags = np.where(tagged, 1 + np.minimum(rng.poisson(2.5, T), 11), 0)
    total = int(n_tags.sum())
    source = rng.choice(4, total, p=TAG_SOURCES).tolist()
    word_u = rng.random(total).tolist()
    spelling_u = rng.random(total).tolist()
    n_tags, track_scene, track_owner = n_tags.tolist(), track_scene.tolist(), track_owner.tolist()
    genres: list[str | None] = []
    tags: list[list[str]] = []
    at = 0
    for i in range(T):
        scene = track_scene[i]
        words = vocab[scene] if scene >= 0 else ()
        # genre
        u = u_genre[i]
        if u < NO_GENRE_SHARE:
            genres.append(None)
        elif u < NO_GENRE_SHARE + GENERIC_GENRE_SHARE or not words:
            genres.append(GENERIC_GENRES[generic_pick[i]])
        else:
            word = words[0] if genre_word[i] < 0.7 or len(words) < 2 else words[1]
            genres.append(word[int(genre_spelling[i] * len(word))])
        # tags
        k = n_tags[i]
        track_tags: list[str] = []
        seen: set[str] = set()
        for j in range(at, at + k):
            kind = source[j]
            if kind == 0 and not words:
                kind = 1
            if kind == 0:
                w = word_u[j]
                word = words[0] if w < SCENE_WORD_WEIGHT else words[1 + int((w - SCENE_WORD_WEIGHT) / (1 - SCENE_WORD_WEIGHT) * (len(words) - 1))]
                tag = word[int(spelling_u[j] * len(word))]
            elif kind == 1:
                word = SHARED_TAGS[int(word_u[j] * len(SHARED_TAGS))]
                tag = word[int(spelling_u[j] * len(word))]
            elif kind == 2:
                tag = FILLER_TAGS[int(word_u[j] * len(FILLER_TAGS))]
            else:
                owner = track_owner[i]
                tag = _own_name_tag(usernames[owner], permalinks[owner], spelling_u[j])
                if tag is None:
                    continue
            folded = fold_word(tag)
            if folded and folded not in seen:
                seen.add(folded)
                track_tags.append(tag)
        at += k
        tags.append(track_tags)
    return genres, tags


def tag_list(tags: list[str], noisy: bool) -> str:
    """`tags` written as SoundCloud's `tag_list`: space-separated, a tag with a space in double
    quotes. `noisy`: every tag quoted with a trailing space inside the quotes, as some uploaders'
    tools write them (`"minimal " "microhouse "` in the 2026 likes capture)."""
    if noisy:
        return " ".join(f'"{tag} "' for tag in tags)
    return " ".join(f'"{tag}"' if " " in tag else tag for tag in tags)
