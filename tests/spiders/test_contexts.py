"""Context rotation (scmap/spiders/contexts.py): names, and when a page waits for the cookie
banner - until a page of its context accepted it, and not forever where none shows."""

from __future__ import annotations

import asyncio

from scmap.spiders.contexts import BANNER_MISSES_BEFORE_GIVING_UP, ContextRotation


class FakePage:
    def __init__(self, context: object) -> None:
        self.context, self.closed = context, False

    def is_closed(self) -> bool:
        return self.closed

    async def close(self) -> None:
        self.closed = True


class FakeContext:
    closed = False

    async def close(self) -> None:
        self.closed = True


def test_contexts_rotate_every_n_accounts():
    rotation = ContextRotation("likes", accounts_per_context=2)
    assert [rotation.next_account() for _ in range(5)] == ["likes-0", "likes-0", "likes-1", "likes-1", "likes-2"]
    profile = ContextRotation("likes", accounts_per_context=2, rotate=False)
    assert {profile.next_account() for _ in range(5)} == {"likes-profile"}


def test_pages_wait_for_the_banner_until_their_context_accepted_it():
    rotation = ContextRotation("likes", accounts_per_context=10)
    context = rotation.next_account()
    assert rotation.waits_for_banner(context)
    # The first page's wait ran out before the banner showed (a slow machine): the next one waits too.
    rotation.banner_answered(context, accepted=False)
    assert rotation.waits_for_banner(context)
    rotation.banner_answered(context, accepted=True)
    assert not rotation.waits_for_banner(context)


def test_pages_stop_waiting_where_no_banner_ever_shows():
    rotation = ContextRotation("likes", accounts_per_context=10)
    context = rotation.next_account()
    for _ in range(BANNER_MISSES_BEFORE_GIVING_UP):
        assert rotation.waits_for_banner(context)
        rotation.banner_answered(context, accepted=False)
    assert not rotation.waits_for_banner(context)


def test_a_new_context_waits_again_and_a_retired_one_is_closed():
    rotation = ContextRotation("likes", accounts_per_context=1)
    first = rotation.next_account()
    rotation.banner_answered(first, accepted=True)
    second = rotation.next_account()
    assert second != first and rotation.waits_for_banner(second)  # no consent cookie there yet
    browser_context = FakeContext()
    assert asyncio.run(rotation.page_done(FakePage(browser_context), first))  # retired and idle
    assert browser_context.closed
