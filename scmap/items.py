"""What the spiders yield: one EdgeItem per interaction, one AccountItem per visited profile.

Fields follow docs/architecture.md ("Items"). Values stay as the site gave them (ids as
int, `created_at` as the site's ISO-8601 UTC string); the Parquet writer does the typing.
"""

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
