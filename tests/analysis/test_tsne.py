"""Step 5b: t-SNE is seeded (same input + seed = same map) and keeps neighbourhoods."""

import numpy as np
import pytest

from analysis.tsne import embed_with_tsne, gradient_method, usable_perplexity


def blobs(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(3), 40)
    centres = rng.normal(scale=10, size=(3, 20))
    return centres[labels] + rng.normal(size=(len(labels), 20)), labels


def test_same_seed_same_map_other_seed_other_map() -> None:
    points, _ = blobs()
    first, second = embed_with_tsne(points, 30, seed=7), embed_with_tsne(points, 30, seed=7)
    assert np.array_equal(first, second)
    assert not np.allclose(first, embed_with_tsne(points, 30, seed=8, method="fft"))


def test_blobs_stay_apart() -> None:
    points, labels = blobs(1)
    xy = embed_with_tsne(points, 30, seed=1)
    distances = np.linalg.norm(xy[:, None] - xy[None], axis=-1)
    np.fill_diagonal(distances, np.inf)
    nearest = distances.argmin(axis=1)
    assert (labels[nearest] == labels).mean() == 1.0


@pytest.mark.parametrize("n, expected", [(1000, 30.0), (61, 20.0), (4, 1.0)])
def test_perplexity_shrinks_for_small_maps(n: int, expected: float) -> None:
    assert usable_perplexity(30, n) == expected


def test_fft_for_large_maps() -> None:
    assert gradient_method(9_999) == "bh" and gradient_method(100_000) == "fft" and gradient_method(10, "fft") == "fft"


def test_z_order_puts_map_neighbours_near_each_other_in_memory() -> None:
    """The large-map settings walk the points in this order so the attractive forces read
    neighbours from nearby memory."""
    from analysis.tsne import z_order
    rng = np.random.default_rng(0)
    xy = rng.normal(size=(20_000, 2)) * [3.0, 1.0]
    order = z_order(xy)
    assert np.array_equal(np.sort(order), np.arange(len(xy)))
    position = np.empty(len(xy), dtype=np.int64)
    position[order] = np.arange(len(xy))
    from sklearn.neighbors import NearestNeighbors
    nearest = NearestNeighbors(n_neighbors=2).fit(xy).kneighbors(xy, return_distance=False)[:, 1]
    gap_ordered = np.median(np.abs(position - position[nearest]))
    gap_random = np.median(np.abs(np.arange(len(xy)) - nearest))
    assert gap_ordered * 100 < gap_random


def test_large_map_settings_return_the_callers_order() -> None:
    points, labels = blobs(2)
    xy = embed_with_tsne(points, 30, seed=1, large_data="on")
    distances = np.linalg.norm(xy[:, None] - xy[None], axis=-1)
    np.fill_diagonal(distances, np.inf)
    assert (labels[distances.argmin(axis=1)] == labels).mean() == 1.0
    with pytest.raises(ValueError, match="large_data"):
        embed_with_tsne(points, 30, seed=1, large_data="yes")


@pytest.mark.parametrize("argv, expected", [
    ([], "auto"), (["--perplexity", "50"], "off"), (["--perplexity", "50", "--tsne-large-map", "on"], "on"),
    (["--tsne-large-map", "off"], "off")])
def test_an_explicit_perplexity_keeps_perplexity_affinities(argv: list[str], expected: str) -> None:
    from analysis.build_map import parse_args
    assert parse_args(["--input", "somewhere", *argv]).tsne_large_map == expected
