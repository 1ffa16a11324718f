"""What the spiders yield: one EdgeItem per interaction, one AccountItem per visited profile, one
ObjectItem per track or playlist a list item carries.

Fields follow docs/architecture.md ("Items"). Values stay as the site gave them (ids as
int, `created_at` as the site's ISO-8601 UTC string); the Parquet writer does the typing.
"""

from collections.abc import Iterable, Mapping
from typing import Any

import scrapy


class EdgeItem(scrapy.Item):
    """One interaction `src -> dst` (a like, comment, repost or follow)."""

    src_id = scrapy.Field()
    src_permalink = scrapy.Field()
    dst_id = scrapy.Field()
    dst_permalink = scrapy.Field()
    dst_username = scrapy.Field()
    # From the mini user object: lets the frontier skip small accounts without a visit.
    dst_followers_count = scrapy.Field()
    interaction = scrapy.Field()  # likes, comments, reposts, follows
    object_kind = scrapy.Field()  # track, playlist, user
    object_id = scrapy.Field()
    created_at = scrapy.Field()  # ISO-8601 UTC string, e.g. "2024-02-11T22:05:09Z"
    scraped_at = scrapy.Field()  # filled by the Parquet writer when missing
    crawl_id = scrapy.Field()  # filled by the Parquet writer when missing


class AccountItem(scrapy.Item):
    """One visited account's profile as seen at `scraped_at`."""

    id = scrapy.Field()
    permalink = scrapy.Field()
    username = scrapy.Field()
    followers_count = scrapy.Field()
    followings_count = scrapy.Field()
    track_count = scrapy.Field()
    scraped_at = scrapy.Field()
    crawl_id = scrapy.Field()


class ObjectItem(scrapy.Item):
    """A track or playlist as a list item carried it (scmap/soundcloud/objects.py), seen at `scraped_at`.

    Not an interaction: the frontier counts it among the account's items but learns nothing from it.
    """

    object_id = scrapy.Field()
    owner_id = scrapy.Field()
    kind = scrapy.Field()  # track, playlist (the partition)
    title = scrapy.Field()
    permalink = scrapy.Field()
    created_at = scrapy.Field()  # upload time, ISO-8601 UTC string as the site gives it
    genre = scrapy.Field()  # None when the site sent "" or nothing
    tags = scrapy.Field()  # list of str (tag_list split), None when the item carried no tag_list
    duration_ms = scrapy.Field()
    playback_count = scrapy.Field()
    likes_count = scrapy.Field()
    reposts_count = scrapy.Field()
    comment_count = scrapy.Field()
    scraped_at = scrapy.Field()  # filled by the Parquet writer when missing
    crawl_id = scrapy.Field()  # filled by the Parquet writer when missing


def object_items(records: Iterable[Mapping[str, Any]]) -> list[ObjectItem]:
    """ObjectItems of the records `scmap.soundcloud.objects.objects_from_collection` returns."""
    return [ObjectItem(record) for record in records]
