"""map.html's binary data: typed arrays packed into blobs, each deflated (zlib) and base64-encoded
into its own ``<script type="application/octet-stream">`` block, with a layout saying where each
array starts. The page inflates a blob with the browser's ``DecompressionStream("deflate")`` and
views its arrays as typed arrays without copying; base64 has no character that could close a
script block. At a million points this is about a third of the JSON it replaces, and the page
decodes what the first paint needs (positions, colours, followers) before the rest (names,
links).

Arrays of several bytes per item are stored byte-shuffled (all first bytes, then all second
bytes...): ids and shares below 2^24 then have a plane of zeros, and deflate shrinks the links
blob by a fifth more (measured on bench/bench_map_page.py's page).

Strings travel as one UTF-8 byte array per list plus each string's length in UTF-16 code units:
the page decodes the bytes to one JavaScript string once and slices it, so no per-name object
exists until a name is shown. Unsigned codes use the smallest dtype that holds them.
"""

from __future__ import annotations

import base64
import re
import zlib

import numpy as np

ALIGN = 8  # every array starts at a multiple of 8 bytes
LEVEL = 1  # deflate level: 6 made the 100k page 2 % smaller and its writing 1.6x slower
DTYPES = {"f4": np.float32, "i4": np.int32, "u1": np.uint8, "u2": np.uint16, "u4": np.uint32}
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
Layout = dict[str, list]  # array name -> [dtype code, byte offset, length]


def smallest_unsigned(largest: int) -> np.dtype:
    for code in ("u1", "u2", "u4"):
        if largest <= np.iinfo(DTYPES[code]).max:
            return np.dtype(DTYPES[code])
    raise ValueError(f"{largest} does not fit in 32 bits")


def codes(values: np.ndarray | list[int]) -> np.ndarray:
    """Non-negative integers in the smallest unsigned dtype."""
    array = np.asarray(values, dtype=np.int64)
    return array.astype(smallest_unsigned(int(array.max()) if array.size else 0))


def pack(arrays: dict[str, np.ndarray], level: int = LEVEL) -> tuple[str, Layout]:
    """Arrays -> (base64 of the deflated bytes, layout)."""
    parts, layout, offset = [], {}, 0
    for name, values in arrays.items():
        array = np.ascontiguousarray(values)
        code = next((c for c, t in DTYPES.items() if array.dtype == t), None)
        if code is None:
            raise TypeError(f"{name}: dtype {array.dtype} is not one the page reads")
        little = array.astype(array.dtype.newbyteorder("<"), copy=False)
        raw = little.view(np.uint8).reshape(-1, little.itemsize).T.tobytes()  # byte planes
        layout[name] = [code, offset, int(array.size)]
        padding = -len(raw) % ALIGN
        parts.append(raw + b"\0" * padding)
        offset += len(raw) + padding
    return base64.b64encode(zlib.compress(b"".join(parts), level)).decode("ascii"), layout


def unpack(text: str, layout: Layout) -> dict[str, np.ndarray]:
    """The inverse of :func:`pack` (the page does the same in JavaScript)."""
    raw = np.frombuffer(zlib.decompress(base64.b64decode(text)), dtype=np.uint8)
    out = {}
    for name, (code, offset, length) in layout.items():
        dtype = np.dtype(DTYPES[code]).newbyteorder("<")
        planes = raw[offset:offset + length * dtype.itemsize].reshape(dtype.itemsize, length)
        out[name] = np.ascontiguousarray(planes.T).view(dtype).reshape(length)
    return out


def clean(text: str) -> str:
    """Lone surrogates (not encodable as UTF-8) become U+FFFD, as a browser would show them."""
    return text if text.isascii() else _LONE_SURROGATE.sub("\ufffd", text)


def string_arrays(prefix: str, values: list[str]) -> dict[str, np.ndarray]:
    """``<prefix>Len``: each string's UTF-16 length; ``<prefix>Text``: all of them as UTF-8."""
    cleaned = [clean(str(value)) for value in values]
    lengths = [len(value.encode("utf-16-le")) // 2 for value in cleaned]
    text = "".join(cleaned).encode("utf-8")
    return {f"{prefix}Len": codes(lengths), f"{prefix}Text": np.frombuffer(text, dtype=np.uint8)}


def read_strings(arrays: dict[str, np.ndarray], prefix: str) -> list[str]:
    text = arrays[f"{prefix}Text"].tobytes().decode("utf-8").encode("utf-16-le")
    out, position = [], 0
    for length in arrays[f"{prefix}Len"].tolist():
        out.append(text[2 * position:2 * (position + length)].decode("utf-16-le"))
        position += length
    return out
