"""Invented names for the sandbox world: permalinks, display names and their quirks, titles, comments.

Nothing here is a real account name. The patterns imitate what real SoundCloud profiles look like
(renamed slugs, `user-<digits>` auto slugs, braille-blank and zero-width display names, emoji,
decorations, Cyrillic / CJK / Hangul / Persian / accented text, HTML-special characters,
duplicated display names), generated from syllables and small pools.

Everything is driven by a `random.Random` the caller seeds, so a seed gives the same names.
The classifiers at the bottom (`is_blank`, `has_emoji`, ...) are used by the generator (to pick
example accounts for `world.json`) and by the summary, so both agree on what counts as a quirk.
"""

from __future__ import annotations

import random
import re
import unicodedata

# ---------------------------------------------------------------------------------------------
# Scenes: invented labels in the style of internet micro-genres (not account names).
SCENE_NAMES = (
    "glitchcore", "dark plugg", "pluggnb", "hexcore", "rage", "digicore", "sigilkore",
    "krushclub", "drift phonk", "witch house", "vaporwave", "bedroom lo-fi", "emo trap",
    "cloud rap", "hyperflip", "breakcore", "dariacore", "ukg revival", "tekno bounce",
    "jerk", "new jazz", "memphis revival", "frostwave", "static bloom", "neon swamp",
    "tundra drill", "soft grunge", "chiptune trap", "ambient drone", "baile edits",
    "slowed reverb", "nightcore", "tape hiss", "ghost trap", "cyber folk", "crystal pop",
    "velvet wave", "surge", "gutter pop", "mall soul", "ethereal wave", "scenecore",
    "swamp rap", "bubblegum bass", "angel trap",
)

_SYL = (
    "ka", "zu", "mi", "ro", "xe", "ly", "no", "va", "ri", "sha", "ta", "ki", "lo", "vy", "ze",
    "dra", "blu", "ghe", "mo", "nyx", "ae", "ju", "ko", "sol", "fae", "rin", "qua", "tev",
    "yo", "ix", "la", "bo", "pi", "den", "sy", "kai", "ru", "em", "vel", "or", "ash", "ne",
    "cy", "lu", "ze", "tro", "zan", "ka", "fi", "vex", "oo", "ny", "gla", "sk", "ya", "wa",
    "mar", "cel", "tin", "pho", "qui", "dre", "ema", "ul", "bri", "fox", "hel", "ika", "jo",
    "kru", "lem", "mau", "nai", "obi", "pra", "ree", "sai", "tam", "uzi", "vio", "wyn", "xan",
    "yel", "zor", "ber", "cha", "dov", "eli", "fen", "gor", "hux", "isa", "jet", "kev", "lor",
    "mey", "nol", "oni", "pex", "rav", "sue", "tyr", "umi", "vin", "wex", "yor", "zel", "bex",
)
_PREFIX = ("lil", "yung", "dj", "prod", "big", "sad", "baby", "king", "mc", "saint", "tha")
_SUFFIX = ("x", "xx", "beats", "music", "kore", "2k", "wav", "999", "ss", "official", "fm",
           "tapes", "zz", "4ever", "ii", "o", "y")
COMMON_NAMES = (
    "nova", "ghost", "angel", "luna", "kai", "sky", "eden", "ace", "zero", "jay", "echo",
    "nyx", "sol", "vex", "rin", "mika", "sora", "blue", "koi", "yuki", "jinx", "pixel",
    "static", "halo", "void",
)

_CYR = {
    "a": "а", "b": "б", "c": "ц", "d": "д", "e": "е", "f": "ф", "g": "г", "h": "х", "i": "и",
    "j": "й", "k": "к", "l": "л", "m": "м", "n": "н", "o": "о", "p": "п", "q": "к", "r": "р",
    "s": "с", "t": "т", "u": "у", "v": "в", "w": "в", "x": "кс", "y": "ы", "z": "з",
}
_ACCENT = {"a": "á", "e": "é", "i": "í", "o": "ø", "u": "ü", "n": "ñ", "c": "ç", "y": "ÿ"}
_CJK = "夜雨月星光影花風空海心夢黒白血炎雪桜龍神宝石天使鬼火"
_KANA = "かなしいさくらのよるユメネコヒカリ"
_HANGUL = "민수지현서준하은유진편힘찬김상재"
_PERSIAN = ("تصرف", "شب", "ستاره", "رویا", "ماه", "سایه", "دریا", "باران")
_DECOR = (
    "𖤐{}𖤐", "☆{}☆", "★彡 {} 彡★", "♡{}♡", "✧ {} ✧", "{}™", "{}®", "{} ©", "☾{}☾",
    "⛧{}⛧", "† {} †", "{} ♱", "*･゜ﾟ･ {} ☆", "° {} °", "{}³³³", "@{}", "{}!", "{} ッ",
)
_EMOJI = ("💫", "🖤", "🐣", "☠️", "💔", "🌐", "❄️", "🔥", "🦋", "👼🏻", "🏳️‍🌈", "🧛‍♂️", "💕",
          "🩸", "😈", "🌙", "⭐", "🎧")
# Blank-looking display names: braille pattern blank U+2800, zero-width and invisible marks.
BLANKS = ("\u2800", "\u2800\u2800", "\u2800\u2800\u2800", "\u200b", "\u200e", "\u2060\u2060",
          "\u3164", "\u2800\u200e", "\ufeff", "\u200b\u200b\u200b")
# HTML-special display names; every one of <, >, ", ', & appears.
HTML_NAMES = (
    "<script>alert(1)</script>", '"{}"', "{}'s beats", "{} & {}", "<b>{}</b>", "&lt;3 {}",
    "{} <3", "Tom &amp; {}", "{}\" onmouseover=\"alert(1)", "</div>{}", "'{}'", "{} && {}",
)
_CITIES = (
    ("Atlanta", "US"), ("Los Angeles", "US"), ("Chicago", "US"), ("Houston", "US"),
    ("London", "GB"), ("Manchester", "GB"), ("Berlin", "DE"), ("Paris", "FR"), ("Lyon", "FR"),
    ("Moscow", "RU"), ("Saint Petersburg", "RU"), ("Kyiv", "UA"), ("Tokyo", "JP"),
    ("Osaka", "JP"), ("Seoul", "KR"), ("Tehran", "IR"), ("São Paulo", "BR"),
    ("México", "MX"), ("Toronto", "CA"), ("Melbourne", "AU"), ("Stockholm", "SE"),
    ("Warszawa", "PL"), ("Lagos", "NG"), ("Manila", "PH"), ("Zürich", "CH"),
)
_DESCRIPTIONS = (
    "booking: {}@gmail.com", "dm for collabs", "new tape out now", "🖤", "no features",
    "prod. & mixed by me", "unreleased stuff only", "{} gang", "ig: @{}", "bandcamp in bio",
    "i make sounds", "rip my old account", "<3", "beats for sale & placements",
    "мой новый альбом скоро", "音楽を作っています", "موسیقی من", "19 • she/her • {}",
)
_WORDS = (
    "night", "drive", "glass", "angel", "ghost", "rain", "summer", "cold", "dream", "static",
    "heart", "blood", "neon", "forever", "lost", "sky", "fade", "moon", "snow", "fire",
    "signal", "echo", "velvet", "poison", "honey", "mirror", "sugar", "orbit", "pixel",
    "mercury", "tokyo", "skate", "bubble", "cherry", "sinner", "halo", "crystal", "demon",
    "wish", "falling", "run", "hurt", "bliss", "toxic", "daydream", "wire", "satellite",
)
_TITLE_FORMS = (
    "{a} {b}", "{a} {b}", "{a}", "{a} (prod. {n})", "{a} ft. {n}", "{a} x {b} <3",
    "untitled {k}", "{A}!!", "{a} {e}", "{a} & {b}", '"{a}"', "{a} [{k} bpm]", "{a} (slowed)",
    "{a} v{k}", "{a} {b} (demo)", "夜 {a}", "снег {b}", "café {a}", "{a} - {b}", "{a} freestyle",
)
_COMMENTS = (
    "🔥🔥🔥", "this is crazy", "<3", "go off", "so hard", "ur so underrated", "need this on spotify",
    "the drop at 1:12 !!", "vibes", "insane", "replay", "❤️", "wtf this slaps", "hard af",
    "who made this beat", "crying rn", "classic", "this & that other one", "\"fire\"", "it's a vibe",
    "<script>alert(1)</script>", "очень круто", "最高", "خیلی خوبه", "trop bien", "muy bueno",
    "incroyable", "😭😭", "💯", "w", "🐐", "mood", "ngl this hits", "early", "first",
    "repost this", "u need more plays", "bro 😭", "lol", "the way this starts", "peak",
)
_COMMENT_TAILS = ("", "", "", "", " 🔥", " !!", " <3", " lol", " fr", " 😭", " 💔", "...", " & more")
_PLAYLIST_FORMS = (
    "{a} mix", "faves", "{a} {b}", "my {a} playlist", "{A} EP", "{a} (album)", "likes {k}",
    "sad {a} hours", "{a} tape", "♡ {a} ♡", "vol. {k}", "{a} & {b}", "best of {k}",
)

_SLUG_BAD = re.compile(r"[^a-z0-9_-]+")
_SLUG_RUN = re.compile(r"[-_]{2,}")
PERMALINK_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,23}[a-z0-9]$")


def slugify(text: str, rnd: random.Random | None = None, max_len: int = 25) -> str:
    """A slug that matches PERMALINK_RE (3-25 chars, [a-z0-9] at both ends, no `--`/`__`)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    s = _SLUG_BAD.sub("-", ascii_text.lower())
    s = _SLUG_RUN.sub("-", s).strip("-_")[:max_len].strip("-_")
    while len(s) < 3:
        s += str(rnd.randint(0, 9)) if rnd else "0"
    return s


def _stem(rnd: random.Random) -> str:
    return "".join(rnd.choice(_SYL) for _ in range(rnd.choice((2, 2, 3, 3, 3))))


def _handle(rnd: random.Random, stem: str) -> str:
    """A chosen permalink built around the stem."""
    r = rnd.random()
    if r < 0.30:
        h = stem
    elif r < 0.45:
        h = rnd.choice(_PREFIX) + stem
    elif r < 0.60:
        h = stem + rnd.choice(_SUFFIX)
    elif r < 0.72:
        h = stem + str(rnd.randint(1, 999))
    elif r < 0.82:
        h = stem + rnd.choice("-_") + _stem(rnd)
    elif r < 0.90:
        h = stem.replace("o", "0").replace("i", "1").replace("e", "3")
    else:
        h = rnd.choice(_PREFIX) + "-" + stem
    return slugify(h, rnd)


def _title_case(stem: str, rnd: random.Random) -> str:
    r = rnd.random()
    if r < 0.5:
        return stem
    if r < 0.75:
        return stem.capitalize()
    if r < 0.9:
        return stem.upper()
    return " ".join([stem, _stem(rnd)])


def _fancy(text: str, rnd: random.Random) -> str:
    """Math fraktur / double-struck / fullwidth / combining-mark versions of ASCII letters."""
    mode = rnd.randrange(4)
    out = []
    for ch in text:
        if not ("a" <= ch.lower() <= "z"):
            out.append(ch)
            continue
        lo = ord(ch.lower()) - ord("a")
        if mode == 0:
            out.append(chr(0x1D586 + lo))  # mathematical bold fraktur small
        elif mode == 1:
            out.append(chr(0x1D552 + lo))  # double-struck small
        elif mode == 2:
            out.append(chr(0xFF41 + lo))  # fullwidth small
        else:
            out.append(ch + "".join(chr(rnd.randint(0x0300, 0x036F)) for _ in range(2)))
    return "".join(out)


def _non_ascii(stem: str, rnd: random.Random) -> str:
    r = rnd.random()
    if r < 0.25:
        s = "".join(_CYR.get(c, c) for c in stem)
        return s.capitalize() if rnd.random() < 0.5 else s
    if r < 0.45:
        return "".join(rnd.choice(_CJK) for _ in range(rnd.randint(1, 3))) + rnd.choice(("", " " + stem))
    if r < 0.55:
        return "".join(rnd.choice(_KANA) for _ in range(rnd.randint(2, 4)))
    if r < 0.67:
        s = "".join(rnd.choice(_HANGUL) for _ in range(rnd.randint(2, 3)))
        return s + rnd.choice(("", f" ({stem})"))
    if r < 0.77:
        return rnd.choice(_PERSIAN) + rnd.choice(("", " " + stem, " ⛧"))
    if r < 0.90:
        s = "".join(_ACCENT.get(c, c) if rnd.random() < 0.6 else c for c in stem)
        return s.capitalize()
    return _fancy(stem, rnd)


def make_user_names(rnd: random.Random, kinds: list[str]) -> tuple[list[str], list[str | None], list[str]]:
    """(permalink, old_permalink or None, username) for each account, in order.

    Display styles are handed out by quota (each at least a few times whatever the size), so every
    quirk exists in every world: renamed, auto slug, non-ASCII, emoji, blank, HTML-special,
    duplicated names.
    """
    n = len(kinds)
    candidates = [i for i, k in enumerate(kinds) if k != "mainstream"]
    rnd.shuffle(candidates)
    quotas = (  # style, share, minimum
        ("blank", 0.010, 4), ("html", 0.010, len(HTML_NAMES)), ("emoji", 0.07, 4),
        ("decor", 0.07, 4), ("non_ascii", 0.12, 6), ("dup", 0.04, 8), ("handle_in_name", 0.03, 2),
        ("long", 0.01, 2),
    )
    style = ["plain"] * n
    pos = 0
    for name, share, minimum in quotas:
        k = min(max(minimum, round(share * n)), max(0, len(candidates) - pos))
        for i in candidates[pos:pos + k]:
            style[i] = name
        pos += k
    # Permalink styles are drawn independently of display styles.
    slug_style = ["chosen"] * n
    pos = 0
    rnd.shuffle(candidates)
    for name, share, minimum in (("auto", 0.07, 3), ("name_digits", 0.02, 2), ("numeric", 0.0005, 1)):
        k = min(max(minimum, round(share * n)), max(0, len(candidates) - pos))
        for i in candidates[pos:pos + k]:
            slug_style[i] = name
        pos += k
    rnd.shuffle(candidates)
    renamed = set(candidates[:max(3, round(0.05 * n))])

    used: set[str] = set()

    def unique(slug: str) -> str:
        base = slug
        while slug in used:
            tail = str(rnd.randint(1, 99))
            slug = slugify(base[: 25 - len(tail) - 1] + "-" + tail, rnd)
        used.add(slug)
        return slug

    permalinks, olds, usernames = [], [], []
    html_i = dup_i = 0
    n_dup_names = max(1, min(len(COMMON_NAMES), style.count("dup") // 3))
    for i in range(n):
        stem = _stem(rnd)
        st = slug_style[i]
        if kinds[i] == "mainstream":
            slug = unique(slugify(stem + rnd.choice(("", "official", "music", ""))))
        elif st == "auto":
            slug = unique(f"user-{rnd.randint(100_000_000, 999_999_999)}")
        elif st == "name_digits":
            slug = unique(slugify(f"{stem}-{_stem(rnd)}")[:14].strip("-_") + f"-{rnd.randint(100_000_000, 999_999_999)}")
        elif st == "numeric":
            slug = unique(str(rnd.randint(1000, 9999)))
        else:
            slug = unique(_handle(rnd, stem))
        permalinks.append(slug)

        s = style[i]
        base = _title_case(stem, rnd)
        if kinds[i] == "mainstream":
            name = rnd.choice((stem.upper(), stem.capitalize(), stem.capitalize() + " Official"))
        elif s == "blank":
            name = rnd.choice(BLANKS)
        elif s == "html":
            form = HTML_NAMES[html_i % len(HTML_NAMES)]
            html_i += 1
            name = form.format(base, _stem(rnd))
        elif s == "emoji":
            e = rnd.choice(_EMOJI)
            name = rnd.choice((f"{base} {e}", f"{e}{base}{e}", f"{base}{e}{rnd.choice(_EMOJI)}", f"{base.upper()} {e}"))
        elif s == "decor":
            name = rnd.choice(_DECOR).format(base)
        elif s == "non_ascii":
            name = _non_ascii(stem, rnd)
        elif s == "dup":  # a few shared names, each used by two accounts or more
            name = COMMON_NAMES[dup_i % n_dup_names]
            dup_i += 1
        elif s == "handle_in_name":
            name = f"{base} (@{slug})"
        elif s == "long":
            name = f"{base}  * {stem} — on apple music & spotify"
        elif st == "auto" and rnd.random() < 0.3:
            name = slug
        else:
            name = base
        usernames.append(name)

        if i in renamed:
            olds.append(unique(_handle(rnd, _stem(rnd))))
        else:
            olds.append(None)
    return permalinks, olds, usernames


def make_profile_extras(rnd: random.Random, permalinks: list[str]) -> tuple[list, list, list]:
    """city, country_code, description (each often null)."""
    cities, codes, descs = [], [], []
    for slug in permalinks:
        r = rnd.random()
        if r < 0.45:
            city, code = rnd.choice(_CITIES)
            cities.append(city)
            codes.append(code)
        elif r < 0.55:
            cities.append(None)
            codes.append(rnd.choice(_CITIES)[1])
        else:
            cities.append(None)
            codes.append(None)
        descs.append(rnd.choice(_DESCRIPTIONS).format(slug) if rnd.random() < 0.5 else None)
    return cities, codes, descs


def _fill(form: str, rnd: random.Random) -> str:
    a, b = rnd.choice(_WORDS), rnd.choice(_WORDS)
    return form.format(a=a, b=b, A=a.upper(), n=_stem(rnd), k=rnd.randint(1, 180), e=rnd.choice(_EMOJI))


def title_pool(rnd: random.Random, size: int, forms: tuple[str, ...] = _TITLE_FORMS) -> tuple[list[str], list[str]]:
    """`size` titles and their slugs (a slug may repeat; callers make it unique per owner)."""
    titles = [_fill(rnd.choice(forms), rnd) for _ in range(size)]
    return titles, [slugify(t, None, 60) for t in titles]


def playlist_title_pool(rnd: random.Random, size: int) -> tuple[list[str], list[str]]:
    return title_pool(rnd, size, _PLAYLIST_FORMS)


def comment_pool(rnd: random.Random, size: int) -> list[str]:
    return [rnd.choice(_COMMENTS) + rnd.choice(_COMMENT_TAILS) for _ in range(size)]


# ---------------------------------------------------------------------------------------------
# Classifiers (shared by the generator's example picking and the summary).
_INVISIBLE = set("\u2800\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u3164\u115f\u1160") | {" ", "\t"}
HTML_CHARS = set("<>&\"'")


def is_blank(name: str) -> bool:
    """Looks empty on screen: only whitespace, braille blank, zero-width or filler characters."""
    return all(ch in _INVISIBLE or ch.isspace() for ch in name)


def has_emoji(name: str) -> bool:
    return any(0x1F300 <= ord(ch) <= 0x1FAFF or ch == "\ufe0f" for ch in name)


def has_non_ascii_letters(name: str) -> bool:
    return any(ord(ch) > 127 and unicodedata.category(ch).startswith("L") for ch in name)


def is_html_special(name: str) -> bool:
    return any(ch in HTML_CHARS for ch in name)


AUTO_SLUG_RE = re.compile(r"^user-\d+$")


def is_auto_slug(permalink: str) -> bool:
    return bool(AUTO_SLUG_RE.match(permalink))
