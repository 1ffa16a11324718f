"""`scrapy crawl follows -a seeds=a,b -a limit=500`: the accounts a user follows."""

from scmap.spiders.base import InteractionSpider


class FollowsSpider(InteractionSpider):
    name = "follows"
    interaction = "follows"
    page_path = "following"
    api_route = r"^/users/[^/]+/followings$"
