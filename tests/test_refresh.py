"""Refresh crawls (scmap/refresh.py): the stop-at-known logic, the due accounts, `-a refresh`."""

from __future__ import annotations

import pytest

from scmap.frontier.store import Edge, PickRecord, Visit
from scmap.preflight import BadInput, check_refresh
from scmap.refresh import (
    Cutoff, cutoff_of_edges, newer_than, parse_refresh_days, refresh_due)


def like(day: int, track_id: int) -> dict:
    return {"created_at": f"2024-01-{day:02d}T00:00:00Z", "kind": "like", "track": {"id": track_id}}


def test_newer_items_are_kept_and_the_page_holding_the_cutoff_stops_paging():
    page = [like(9, 1), like(8, 2), like(7, 3), like(6, 4)]  # newest first
    kept, reached = newer_than("likes", page, Cutoff("2024-01-07T00:00:00Z", 3))
    assert [i["track"]["id"] for i in kept] == [1, 2] and reached


def test_same_second_items_are_told_apart_by_object_id():
    page = [like(7, 5), like(7, 3), like(7, 2)]
    kept, reached = newer_than("likes", page, Cutoff("2024-01-07T00:00:00Z", 3))
    assert [i["track"]["id"] for i in kept] == [5] and reached


def test_a_page_wholly_newer_does_not_stop_and_no_cutoff_keeps_everything():
    page = [like(9, 1), like(8, 2)]
    assert newer_than("likes", page, Cutoff("2024-01-07T00:00:00Z", 3)) == (page, False)
    assert newer_than("likes", page, None) == (page, False)


def test_follows_are_read_whole_and_undated_items_kept():
    follows = [{"id": 1, "kind": "user"}, {"id": 2, "kind": "user"}]
    assert newer_than("follows", follows, Cutoff("2030-01-01T00:00:00Z", 0)) == (follows, False)
    deleted = {"created_at": "2024-01-01T00:00:00Z", "kind": "like", "track": None}
    kept, reached = newer_than("likes", [deleted, like(1, 1)], Cutoff("2024-01-02T00:00:00Z", 0))
    assert kept == [deleted] and reached


def test_comment_items_are_placed_by_date_then_track_id_as_their_edges():
    comments = [{"created_at": "2024-03-01T00:00:00Z", "kind": "comment", "id": 98, "track": {"id": 41}},
                {"created_at": "2024-03-01T00:00:00Z", "kind": "comment", "id": 99, "track_id": 40}]
    kept, reached = newer_than("comments", comments, Cutoff("2024-03-01T00:00:00Z", 40))
    assert [c["id"] for c in kept] == [98] and reached


def test_due_accounts_are_done_visits_older_than_the_limit_in_hand_out_order():
    records = [PickRecord(1, "old", "done", "n", 100.0), PickRecord(2, "new", "done", "n", 900.0),
               PickRecord(3, "missing", "not_found", "n", 50.0), PickRecord(4, "busy", "in_flight", "n", None),
               PickRecord(5, "older", "done", "n", 10.0)]
    assert refresh_due(records, {}, older_than=500.0) == ["old", "older"]
    visits = {"old": Visit("done", 600.0, ""), "older": Visit("gone", 10.0, ""), "new": Visit("done", 20.0, "")}
    assert refresh_due(records, visits, older_than=500.0) == ["new"]  # refreshed since / gone
    # A visit finished before finish times were kept (an older Redis crawl): old, so due.
    assert refresh_due([PickRecord(1, "undated", "done", "n", None)], {}, older_than=500.0) == ["undated"]


def test_cutoff_round_trip_and_of_edges():
    cutoff = Cutoff("2024-01-07T00:00:00Z", 3)
    assert Cutoff.decode(cutoff.encode()) == cutoff
    assert Cutoff.decode("") is None and Cutoff.decode("junk") is None and Cutoff.decode(None) is None
    stored = [Edge("a", "likes", "1", created_at="2024-01-07T00:00:00Z", object_id=3),
              Edge("b", "likes", "2", created_at="2024-01-07T00:00:00Z", object_id=9),
              Edge("c", "likes", "3", created_at="2023-12-01T00:00:00Z", object_id=50)]
    assert cutoff_of_edges(stored) == Cutoff("2024-01-07T00:00:00Z", 9)
    assert cutoff_of_edges([Edge("d", "follows", "4")]) is None


@pytest.mark.parametrize("value, days", [(None, None), ("0", 0.0), ("30", 30.0), ("1.5", 1.5)])
def test_refresh_days(value, days):
    assert parse_refresh_days(value) == days
    check_refresh(value)


@pytest.mark.parametrize("value", ["-1", "soon", "nan", "inf"])
def test_bad_refresh_is_one_plain_line(value):
    with pytest.raises(BadInput) as error:
        check_refresh(value)
    assert "\n" not in str(error.value) and "-a refresh=" in str(error.value)
