"""`scrapy crawl likes -a seeds=a,b -a limit=500`: a user's likes (tracks and playlists)."""

from scmap.spiders.base import InteractionSpider


class LikesSpider(InteractionSpider):
    name = "likes"
    interaction = "likes"
    page_path = "likes"
    api_route = r"^/users/[^/]+/likes$"
