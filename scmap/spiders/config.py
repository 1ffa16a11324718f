"""The settings the spiders read, read once per crawler (as scrapy-playwright's
`Config.from_settings`). Defaults are in scmap/settings.py only (scmap.setting_values)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scmap.setting_values import bool_setting, float_setting, int_setting


@dataclass(frozen=True)
class SpiderConfig:
    web_url: str  # SOUNDCLOUD_WEB_URL, no trailing slash
    api_url: str  # SOUNDCLOUD_API_URL, no trailing slash
    accounts_per_context: int  # SCMAP_ACCOUNTS_PER_CONTEXT (scroll mode's context rotation)
    cookie_banner_wait: float  # SCMAP_COOKIE_BANNER_WAIT
    scroll_trigger_timeout: float  # SCMAP_SCROLL_TRIGGER_TIMEOUT
    response_timeout: float  # SCMAP_RESPONSE_TIMEOUT (scroll mode: one page event)
    api_retries: int  # SCMAP_API_RETRIES (scroll mode's takeover)
    max_retry_after: float  # SCMAP_MAX_RETRY_AFTER
    list_timeout: float  # SCMAP_LIST_TIMEOUT (scroll mode)
    api_page_size: int  # SCMAP_API_PAGE_SIZE; 0 = as the web client asks (no `limit`)
    ignore_capture: bool  # SCMAP_IGNORE_API_CAPTURE (tests)
    write_objects: bool  # SCMAP_WRITE_OBJECTS: ObjectItems beside the edges
    retry_times: int  # RETRY_TIMES: also bounds re-asking an empty "try again here" page

    @classmethod
    def from_settings(cls, settings: Any) -> "SpiderConfig":
        return cls(
            web_url=settings.get("SOUNDCLOUD_WEB_URL").rstrip("/"),
            api_url=settings.get("SOUNDCLOUD_API_URL").rstrip("/"),
            accounts_per_context=int_setting(settings, "SCMAP_ACCOUNTS_PER_CONTEXT"),
            cookie_banner_wait=float_setting(settings, "SCMAP_COOKIE_BANNER_WAIT"),
            scroll_trigger_timeout=float_setting(settings, "SCMAP_SCROLL_TRIGGER_TIMEOUT"),
            response_timeout=float_setting(settings, "SCMAP_RESPONSE_TIMEOUT"),
            api_retries=int_setting(settings, "SCMAP_API_RETRIES"),
            max_retry_after=float_setting(settings, "SCMAP_MAX_RETRY_AFTER"),
            list_timeout=float_setting(settings, "SCMAP_LIST_TIMEOUT"),
            api_page_size=max(0, int_setting(settings, "SCMAP_API_PAGE_SIZE")),
            ignore_capture=bool_setting(settings, "SCMAP_IGNORE_API_CAPTURE"),
            write_objects=bool_setting(settings, "SCMAP_WRITE_OBJECTS"),
            retry_times=int_setting(settings, "RETRY_TIMES"),
        )
