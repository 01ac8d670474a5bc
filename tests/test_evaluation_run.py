"""The bounded pool that asks and scores: order kept, concurrency bounded, the first failure
raised, progress printed by the calling thread only."""

from __future__ import annotations

import threading
import time

import pytest

from vertex_tuning.evaluation.run import Progress, run_bounded


def test_results_keep_their_order_and_at_most_n_run_at_once() -> None:
    running, most, lock = [0], [0], threading.Lock()

    def task(i: int) -> int:
        def call() -> int:
            with lock:
                running[0] += 1
                most[0] = max(most[0], running[0])
            time.sleep(0.01)
            with lock:
                running[0] -= 1
            return i * i

        return call

    lines: list[tuple[str, str]] = []
    progress = Progress(
        "ask", 40, lambda line: lines.append((threading.current_thread().name, line))
    )
    assert run_bounded([task(i) for i in range(40)], 4, progress) == [i * i for i in range(40)]
    assert most[0] == 4
    me = threading.current_thread().name
    assert {thread for thread, _ in lines} == {me}  # never from a worker thread
    assert lines[0][1] == "ask: 40 requests, 4 at a time"
    assert lines[-1][1].startswith("ask: done, 40 in ")


def test_the_first_failure_is_raised_and_the_rest_are_not_started() -> None:
    started = []

    def task(i: int) -> object:
        def call() -> object:
            started.append(i)
            if i == 2:
                raise RuntimeError("generating content (endpoint): UNAVAILABLE: down")
            time.sleep(0.05)
            return i

        return call

    progress = Progress("ask", 100, lambda _line: None)
    with pytest.raises(RuntimeError, match="UNAVAILABLE: down"):
        run_bounded([task(i) for i in range(100)], 2, progress)
    assert len(started) < 100


def test_progress_says_each_quarter_once() -> None:
    lines: list[str] = []
    now = [0.0]
    progress = Progress("score", 8, lines.append, clock=lambda: now[0])
    progress.start(2)
    for _ in range(8):
        progress.step()
        progress.tick()
        now[0] += 1
    assert lines == [
        "score: 8 requests, 2 at a time",
        "score: 2/8 (25%) after 1s",
        "score: 4/8 (50%) after 3s",
        "score: 6/8 (75%) after 5s",
        "score: done, 8 in 7s (1.1/s)",
    ]
