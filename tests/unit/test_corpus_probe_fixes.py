"""Probe behaviours found on the corpus of foreign stacks (tests/corpus)."""
from __future__ import annotations

from probes.api import _identity_key
from probes.database import _mysql_slow_query_log
from probes.result import FAIL, PASS


def test_identity_source_header_names_compare_case_insensitively():
    assert _identity_key("method.request.header.authorization") == _identity_key(
        "method.request.header.Authorization")
    assert _identity_key("method.request.querystring.token") != _identity_key(
        "method.request.header.Authorization")
    assert _identity_key(None) == ""


def test_mysql_slow_query_log_needs_the_switch_and_a_threshold_within_the_limit():
    on = _mysql_slow_query_log("db", "grp", {"slow_query_log": "1", "long_query_time": "1"}, 1000)
    assert on.status == PASS
    off = _mysql_slow_query_log("db", "default.mysql8.0", {}, 1000)
    assert off.status == FAIL and "slow_query_log=unset" in off.message
    slow = _mysql_slow_query_log("db", "grp", {"slow_query_log": "ON", "long_query_time": "5"}, 1000)
    assert slow.status == FAIL and "5000 ms" in slow.message
    default_time = _mysql_slow_query_log("db", "grp", {"slow_query_log": "1"}, 1000)
    assert default_time.status == FAIL and "engine default 10 s" in default_time.message
