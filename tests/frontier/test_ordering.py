"""The pure phase / cap / lag rules."""

import pytest

from scmap.frontier.ordering import CrawlRules, Decision, applied_needed, contribution, decide, is_eligible

RULES = CrawlRules(bfs_accounts=3, max_accounts=5, min_followers=250, accounts_in_flight=2)


def test_phase_switches_exactly_when_bfs_accounts_are_visited():
    assert decide(done=2, in_flight=0, rules=RULES) is Decision.PHASE_1
    assert decide(done=3, in_flight=0, rules=RULES) is Decision.PHASE_2
    assert decide(done=4, in_flight=0, rules=RULES) is Decision.PHASE_2


def test_waits_while_in_flight_picks_decide_the_phase():
    assert decide(done=1, in_flight=1, rules=RULES) is Decision.PHASE_1
    assert decide(done=2, in_flight=1, rules=RULES) is Decision.WAIT


def test_stops_at_max_accounts_and_waits_when_in_flight_could_reach_it():
    assert decide(done=5, in_flight=0, rules=RULES) is Decision.FINISHED
    assert decide(done=4, in_flight=1, rules=RULES) is Decision.WAIT
    assert decide(done=3, in_flight=1, rules=RULES) is Decision.PHASE_2


def test_no_breadth_first_phase_when_bfs_accounts_is_zero():
    rules = CrawlRules(bfs_accounts=0, max_accounts=5)
    assert decide(done=0, in_flight=0, rules=rules) is Decision.PHASE_2


def test_lag_of_applied_picks_follows_the_live_windows():
    assert [applied_needed(k, RULES.accounts_in_flight) for k in (1, 2, 3, 4)] == [0, 0, 1, 2]
    assert [applied_needed(k, 1) for k in (1, 2, 3)] == [0, 1, 2]
    assert [applied_needed(k, 2 + 3) for k in (5, 6, 9)] == [0, 1, 4]  # two nodes: windows add up


def test_follower_threshold_and_unknown_counts():
    assert not is_eligible(249, RULES)
    assert is_eligible(250, RULES)
    assert is_eligible(None, RULES)  # the spider reads the profile and may skip it


def test_contribution_uses_weights_and_ignores_self_interactions():
    rules = CrawlRules(weights={"likes": 1, "follows": 3})
    assert contribution("a", "b", "follows", rules) == 3
    assert contribution("a", "b", "likes", rules) == 1
    assert contribution("a", "a", "follows", rules) == 0
    assert contribution("a", "b", "unknown_type", rules) == 0


def test_invalid_rules_are_refused():
    with pytest.raises(ValueError):
        CrawlRules(accounts_in_flight=0)
    with pytest.raises(ValueError):
        CrawlRules(max_accounts=-1)
