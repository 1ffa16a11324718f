"""Map recipes: every choice between the edge counts and the 2-D map, named.

- ``article``: the seed article's method, unchanged (the default): weighted counts, rows
  divided by their sum (shares), centred PCA-50, t-SNE (euclidean, perplexity 30).
- ``scenes``: what best keeps who sits next to whom on worlds whose true scenes are known
  (docs/analysis.md has the figures): the same weights and row filters (so both recipes map the
  same accounts), then columns fewer than two mapped accounts touched are dropped, each
  column is divided by its mean non-zero score ("intensity": a giant everyone binges on weighs
  no more per fan than a scene's artist), rows become shares, PCA-50, and t-SNE on cosine
  distances (neighbours by direction, not by how much of the common mass a row carries).

Weightings: ``shares`` (the article), ``intensity`` (scenes), ``ppmi`` (positive pointwise
mutual information with unit rows: tried, wins on the popular core but loses where the scene
signal is weak; kept to compare).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from analysis.errors import MapBuildError
from analysis.interaction_matrix import DEFAULT_WEIGHTS

WEIGHTINGS = ("shares", "intensity", "ppmi")
METRICS = ("euclidean", "cosine")


@dataclass(frozen=True)
class Recipe:
    name: str
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    min_total: float = 50.0              # drop accounts whose weighted score sum is under this
    max_share: float = 0.4               # drop accounts whose largest share is over this
    min_column_accounts: int = 1         # drop columns fewer mapped accounts than this touched
    weighting: str = "shares"
    normalize: bool = True               # shares only: False feeds raw scores to PCA (to compare)
    pca_components: int = 50
    metric: str = "euclidean"            # t-SNE input distance on the PCA coordinates
    perplexity: float = 30.0

    def __post_init__(self) -> None:
        if self.weighting not in WEIGHTINGS:
            raise MapBuildError(f"unknown weighting {self.weighting!r} (one of {', '.join(WEIGHTINGS)})")
        if self.metric not in METRICS:
            raise MapBuildError(f"unknown metric {self.metric!r} (one of {', '.join(METRICS)})")

    def parameters(self) -> dict:
        return asdict(self)

    def with_changes(self, **changes) -> Recipe:
        """A copy with some parameters changed (``None`` values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


RECIPES = {
    "article": Recipe(name="article"),
    "scenes": Recipe(name="scenes", min_column_accounts=2, weighting="intensity", metric="cosine"),
}
DEFAULT_RECIPE = "article"


def get_recipe(recipe: str | Recipe) -> Recipe:
    if isinstance(recipe, Recipe):
        return recipe
    try:
        return RECIPES[recipe]
    except KeyError:
        raise MapBuildError(f"unknown recipe {recipe!r} (one of {', '.join(RECIPES)})") from None
