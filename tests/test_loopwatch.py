"""The event-loop probe: stalls are logged with the collections inside them (serving.loopwatch)."""

import logging

import pytest

from serving import heap, loopwatch


@pytest.fixture
def no_recent_collections():
    heap._recent.clear()
    yield
    heap._recent.clear()


def test_a_stall_past_the_threshold_is_logged(caplog, no_recent_collections):
    watch = loopwatch.Watch(threshold_s=0.02)
    with caplog.at_level(logging.WARNING, logger="serving.loopwatch"):
        watch.woke(0.035, now=100.0)
    assert caplog.messages == ["event loop stalled 35 ms"]


def test_a_stall_under_the_threshold_is_not_logged(caplog, no_recent_collections):
    watch = loopwatch.Watch(threshold_s=0.02)
    with caplog.at_level(logging.WARNING, logger="serving.loopwatch"):
        watch.woke(0.019, now=100.0)
    assert caplog.messages == []


def test_a_stall_names_the_collection_that_ran_inside_it(caplog, no_recent_collections):
    heap._recent.append((99.99, 2, 0.150))
    watch = loopwatch.Watch(threshold_s=0.02)
    with caplog.at_level(logging.WARNING, logger="serving.loopwatch"):
        watch.woke(0.160, now=100.0)
    assert caplog.messages == [
        "event loop stalled 160 ms (garbage collection of generation 2: 150 ms)"
    ]


def test_stalls_in_quick_succession_are_logged_once_a_second_with_a_count(
    caplog, no_recent_collections
):
    watch = loopwatch.Watch(threshold_s=0.02)
    with caplog.at_level(logging.WARNING, logger="serving.loopwatch"):
        for second in (100.0, 100.2, 100.4, 100.6, 101.1):
            watch.woke(0.030, now=second)
    assert caplog.messages == [
        "event loop stalled 30 ms",
        "event loop stalled 30 ms; 3 more since the last line",
    ]


def test_a_collection_before_the_stall_is_not_blamed(caplog, no_recent_collections):
    heap._recent.append((90.0, 2, 0.150))
    watch = loopwatch.Watch(threshold_s=0.02)
    with caplog.at_level(logging.WARNING, logger="serving.loopwatch"):
        watch.woke(0.030, now=100.0)
    assert caplog.messages == ["event loop stalled 30 ms"]


def test_the_longest_stall_is_kept_until_taken():
    watch = loopwatch.Watch(threshold_s=0)
    for lag in (0.001, 0.012, 0.004):
        watch.woke(lag, now=1.0)
    assert watch.take_longest() == pytest.approx(0.012)
    assert watch.take_longest() == 0.0


def test_collections_are_summed_within_the_window(no_recent_collections):
    heap._recent.extend([(9.0, 0, 0.002), (10.5, 1, 0.003), (10.9, 0, 0.001), (12.0, 2, 0.2)])
    spent, oldest = heap.collections_between(10.0, 11.0)
    assert spent == pytest.approx(0.004)
    assert oldest == 1


async def test_the_probe_reports_a_blocked_loop(caplog, settings):
    """A loop blocked for 80 ms by synchronous work is seen as a stall of at least that long."""
    import asyncio
    import time

    settings.LINLI_STALL_LOG_MS = 50
    settings.LINLI_LOOP_REPORT_S = 0
    with caplog.at_level(logging.WARNING, logger="serving.loopwatch"):
        loopwatch.start()
        await asyncio.sleep(loopwatch.INTERVAL_S * 3)
        time.sleep(0.08)
        await asyncio.sleep(loopwatch.INTERVAL_S * 3)
    assert any(m.startswith("event loop stalled") for m in caplog.messages)
