"""What reading one list needs and gives: ListConfig (built from settings, carried in
Request.meta as plain values so requests stay persistable) and ListResult."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CAPTURE_META_KEY = "scmap_capture"  # set during the download (api_capture.init_page), read in the callback
CONFIG_META_KEY = "scmap_list"  # ListConfig.to_meta(): plain values only


@dataclass
class ListConfig:
    """What reading a list needs; built from settings, carried in Request.meta as a dict."""

    api_url: str
    route: str  # regex on the api URL path of this interaction's list
    limit: int | None
    # The rest from the spider's SpiderConfig (defaults: scmap/settings.py only).
    scroll_trigger_timeout: float
    response_timeout: float
    api_retries: int
    max_retry_after: float
    list_timeout: float
    api_page_size: int | None  # asked of the site on the page's first request; None = as the page asks
    ignore_capture: bool  # tests only (SCMAP_IGNORE_API_CAPTURE): force the DOM fallback
    cookie_banner_wait: float = 0.0  # s this page waits for the banner: decided per page (contexts.py)

    def to_meta(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_meta(cls, meta: dict[str, Any]) -> "ListConfig":
        return cls(**meta)


@dataclass
class ListResult:
    """What reading one list produced."""

    items: list[dict[str, Any]]
    complete: bool  # the list ended (next_href null) or the limit was reached
    source: str  # "api" or "dom"
    takeover: bool = False  # our in-page fetching had to continue the list
    stalled: bool = False
    api_failures: list[str] = field(default_factory=list)
    retries: dict[str, int] = field(default_factory=dict)
    scrolls: int = 0
    cookie_banner_accepted: bool = False
