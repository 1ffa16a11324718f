"""`python -m scmap.doctor`: is the site (real by default) still the shape the parsers expect,
and does it let this browser through? probe.py looks, checks.py judges, __main__.py reports."""
