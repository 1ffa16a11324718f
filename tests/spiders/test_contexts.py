"""When a page waits for the cookie banner (scmap/spiders/contexts.py): until a page of its
context accepted it, and not forever where none shows. (Rotation and closing: test_base.py.)"""

from __future__ import annotations

from scmap.spiders.contexts import BANNER_MISSES_BEFORE_GIVING_UP, ContextRotation


def test_pages_wait_for_the_banner_until_their_context_accepted_it():
    rotation = ContextRotation("likes", accounts_per_context=1)
    context = rotation.next_account()
    assert rotation.waits_for_banner(context)
    # The first page's wait ran out before the banner showed (a slow machine): the next one waits too.
    rotation.banner_answered(context, accepted=False)
    assert rotation.waits_for_banner(context)
    rotation.banner_answered(context, accepted=True)
    assert not rotation.waits_for_banner(context)
    assert rotation.waits_for_banner(rotation.next_account())  # a new context has no consent cookie yet


def test_pages_stop_waiting_where_no_banner_ever_shows():
    rotation = ContextRotation("likes", accounts_per_context=10)
    context = rotation.next_account()
    for _ in range(BANNER_MISSES_BEFORE_GIVING_UP):
        assert rotation.waits_for_banner(context)
        rotation.banner_answered(context, accepted=False)
    assert not rotation.waits_for_banner(context)
