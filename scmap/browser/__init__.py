"""The browser the crawl drives: launch options (launch.py), the person's persistent profile
(profile.py) or cookies (cookies.py), what each context is opened with (contexts.py), and
`python -m scmap.browser login` (login.py). docs/real-site.md explains why each exists."""

from scmap.browser.launch import launch_options, should_abort_request

__all__ = ["launch_options", "should_abort_request"]
