"""The per-item log record is built only when the log is at DEBUG (scmap.logformatter)."""

from scrapy.utils.test import get_crawler

from scmap.logformatter import ItemLogFormatter


def formatter(level):
    return ItemLogFormatter.from_crawler(get_crawler(settings_dict={"LOG_LEVEL": level}))


def test_items_logged_only_at_debug():
    item = {"src_id": 1}
    assert formatter("INFO").scraped(item, None, None) is None
    assert formatter("WARNING").scraped(item, None, None) is None
    logged = formatter("DEBUG").scraped(item, None, None)
    assert logged is not None and logged["level"] == 10
