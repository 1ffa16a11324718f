"""Pure parsers of what soundcloud.com serves: HTML hydration, api-v2 JSON, the rendered DOM.

No Scrapy and no browser here, so every parser is testable on the real captures alone.
"""
