"""The crawl id's writer lock (scmap/pipelines/crawl_lock.py): one holder at a time, and a
process that opened the lock file just before its holder removed it does not end up holding
a lock nobody else can see."""

from __future__ import annotations

from scmap.pipelines import crawl_lock
from scmap.pipelines.crawl_lock import CrawlIdLock


def test_one_holder_at_a_time_and_free_after_release(tmp_path):
    first, second = CrawlIdLock(tmp_path, "crawl"), CrawlIdLock(tmp_path, "crawl")
    assert first.acquire() and not second.acquire()
    first.release()
    assert not first.path.exists()
    assert second.acquire() and second.held
    second.release()


def test_a_lock_taken_on_a_file_its_holder_just_removed_is_taken_again_on_the_new_file(tmp_path, monkeypatch):
    holder, taker, third = (CrawlIdLock(tmp_path, "crawl") for _ in range(3))
    assert holder.acquire()
    real_flock = crawl_lock.fcntl.flock
    calls = []

    def flock_after_the_holder_released(descriptor, operation):
        if not calls:  # the taker opened the old file; its holder removes it and unlocks now
            holder.release()
        calls.append(descriptor)
        return real_flock(descriptor, operation)

    monkeypatch.setattr(crawl_lock.fcntl, "flock", flock_after_the_holder_released)
    assert taker.acquire()
    monkeypatch.setattr(crawl_lock.fcntl, "flock", real_flock)
    assert len(calls) == 2  # the first lock was on the removed file: taken again on the new one
    assert not third.acquire()  # the lock at the path is really held
    taker.release()
