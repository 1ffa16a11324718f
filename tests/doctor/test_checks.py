"""The doctor's verdicts on recorded observations (the e2e tests drive them on the sandbox)."""

from __future__ import annotations

import json

from scmap.doctor.checks import ApiCall, PageVisit, check_consent, check_hydration, check_list, check_page

ROUTE = r"^/users/[^/]+/likes$"
CLOUDFRONT = "<HTML><HEAD><TITLE>ERROR: The request could not be satisfied</TITLE></HEAD><BODY>Request blocked.</BODY></HTML>"


def call(path: str, body: object, status: int = 200) -> ApiCall:
    text = body if isinstance(body, str) else json.dumps(body)
    return ApiCall(url="https://api/" + path, path=path, status=status, headers={}, body=text)


def like(created_at: str | None = "2026-01-01T00:00:00Z") -> dict:
    item = {"kind": "like", "track": {"id": 5, "user_id": 7, "user": {"id": 7}}}
    if created_at:
        item["created_at"] = created_at
    return item


def test_a_cloudfront_block_is_not_called_a_challenge():
    check = check_page(PageVisit(url="https://site/x", status=403, html=CLOUDFRONT))
    assert not check.ok and "challenge" not in check.detail


def test_a_banner_that_will_not_go_away_fails():
    assert not check_consent(PageVisit(url="u", banner_shown=True, banner_accepted=False)).ok
    assert check_consent(PageVisit(url="u")).ok


def test_a_page_without_any_hydration_fails_without_guessing_a_name():
    check, _ = check_hydration("<html><script>window.__sc_version=\"1\"</script></html>")
    assert not check.ok and check.detail.startswith("no hydration found")


def test_list_checks_route_envelope_cursor_and_fields():
    def verdict(*calls: ApiCall) -> str:
        check = check_list("likes", ROUTE, "likes", PageVisit(url="u", api_calls=list(calls)), "likes.py")
        return ("ok " if check.ok else "FAIL ") + check.detail

    good = {"collection": [like()], "next_href": "https://api/users/1/likes?offset=2026-01-01T00%3A00%3A00.000Z%2Cx&limit=24"}
    assert verdict(call("/users/1/likes", good)).startswith("ok ")
    assert verdict(call("/users/1/likes", {"collection": [], "next_href": None})).endswith("last page")
    assert "no `next_href` key" in verdict(call("/users/1/likes", {"collection": [like()]}))
    assert "without an offset cursor" in verdict(call("/users/1/likes", {**good, "next_href": "https://api/users/1/likes?page=2"}))
    assert "envelope changed" in verdict(call("/users/1/likes", {"items": []}))
    assert "field dropped" in verdict(call("/users/1/likes", {"collection": [like(None)], "next_href": None}))
    assert "no longer map to edges" in verdict(call("/users/1/likes", {"collection": [{"kind": "like", "created_at": "x"}], "next_href": None}))
    assert "list route moved" in verdict(call("/users/1/liked_things", good))
    assert "made no list call" in verdict(call("/me", {"id": 1}))
    assert "401 on" in verdict(call("/users/1/likes", '{"code":401}', status=401))
