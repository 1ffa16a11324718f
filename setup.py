"""The crawler as an egg for scrapyd: `scrapyd-deploy TARGET` builds it from this file.

Only the `scmap` package without the sandbox: spiders never import the sandbox, analysis, tests
or bench, so a crawler node does not carry them (docs/distributed.md). The spiders need no
non-Python files; add them to package_data here if that changes.
"""

from setuptools import find_packages, setup

setup(
    name="scmap",
    version="0.1",
    packages=find_packages(include=["scmap", "scmap.*"], exclude=["scmap.sandbox", "scmap.sandbox.*"]),
    entry_points={"scrapy": ["settings = scmap.settings"]},
    zip_safe=True,
)
