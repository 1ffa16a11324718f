"""`scrapy crawl reposts -a seeds=a,b -a limit=500`: a user's reposts (tracks and playlists)."""

from scmap.spiders.base import InteractionSpider


class RepostsSpider(InteractionSpider):
    name = "reposts"
    interaction = "reposts"
    page_path = "reposts"
    api_route = r"^/stream/users/[^/]+/reposts$"
