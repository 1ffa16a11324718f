"""`scrapy crawl comments -a seeds=a,b -a limit=500`: the comments a user wrote (edge to the commented track's owner)."""

from scmap.spiders.base import InteractionSpider


class CommentsSpider(InteractionSpider):
    name = "comments"
    interaction = "comments"
    page_path = "comments"
    api_route = r"^/users/[^/]+/comments$"
