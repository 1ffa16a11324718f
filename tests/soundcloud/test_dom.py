"""dom.py: the fallback readers on the documented markup, and on every captured page."""

from __future__ import annotations

import pytest

from scmap.soundcloud.dom import DOM_READERS, comment_entries, sound_entries, user_badge_entries

from .captures import capture_params

SOUND_LIST = """
<ul class="lazyLoadingList__list">
 <li class="soundList__item"><div class="sound streamContext" data-track-id="77" data-user-id="5">
  <a class="soundTitle__username" href="/zoe-beats"><span class="soundTitle__usernameText">Zoé ✦ &lt;b&gt;</span></a>
  <a class="soundTitle__title" href="/zoe-beats/nuit-blanche"><span>Nuit</span></a>
  <time class="relativeTime" datetime="2024-06-02T19:40:11Z">1 day</time></div></li>
 <li class="soundList__item"><div class="sound playlist">
  <a class="soundTitle__username" href="/other"><span class="soundTitle__usernameText">другой</span></a>
  <a class="soundTitle__title" href="/other/sets/rainy-tapes"><span>rainy</span></a></div></li>
 <li class="soundList__item"><div class="sound"><a class="soundTitle__title" href="/only-a-user"></a></div></li>
</ul>"""

BADGES = """
<ul class="badgeList lazyLoadingList">
 <li class="badgeList__item"><div class="userBadgeListItem"><div class="userBadgeListItem__title">
  <a class="userBadgeListItem__heading sc-link-dark" href="/bruce-willys" title="Visit Chéfpts’s profile">Chéfpts</a>
 </div></div></li>
 <li class="badgeList__item"><div class="audibleTilePlaceholder"></div></li>
</ul>"""

COMMENTS = """
<li class="commentsList__item"><div class="commentTitle">
 <div class="commentTitle__main"><span class="commentTitle__quotedBody">🔥</span></div>
 <div class="commentTitle__secondary">on <a class="sc-link-light" href="/zoe-beats/nuit">Nuit</a></div>
 <div class="commentTitle__time"><time class="relativeTime" datetime="2024-02-11T22:05:09Z">x</time></div>
</div></li>"""


def test_sound_list_entries_keep_names_paths_kinds_and_ids_where_given():
    entries = sound_entries(SOUND_LIST)
    assert [(e.dst_permalink, e.object_kind, e.object_path) for e in entries] == [
        ("zoe-beats", "track", "/zoe-beats/nuit-blanche"), ("other", "playlist", "/other/sets/rainy-tapes")]
    assert entries[0].dst_username == "Zoé ✦ <b>" and entries[1].dst_username == "другой"
    assert (entries[0].dst_id, entries[0].object_id, entries[0].created_at) == (5, 77, "2024-06-02T19:40:11Z")
    assert (entries[1].dst_id, entries[1].object_id) == (None, None)


def test_user_badges_and_comments():
    badges = user_badge_entries(BADGES)
    assert [(b.dst_permalink, b.dst_username, b.object_kind) for b in badges] == [("bruce-willys", "Chéfpts", "user")]
    comments = comment_entries(COMMENTS)
    assert [(c.dst_permalink, c.object_path, c.created_at) for c in comments] == [
        ("zoe-beats", "/zoe-beats/nuit", "2024-02-11T22:05:09Z")]


@pytest.mark.parametrize("path", capture_params("*.html"))
def test_captured_pages_hold_no_list_entries_and_do_not_break_the_readers(path):
    # The server HTML carries no list content (it is rendered by JavaScript): every reader
    # must come back empty, not crash, on real pages of every era.
    html = path.read_text(encoding="utf-8")
    for reader in DOM_READERS.values():
        assert reader(html) == []
