"""Creates waiting for a slot are noticed from inside the provider and said once, with the fix."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from vertex_tuning import waves


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    waves.reset()
    yield
    waves.reset()


def test_a_create_that_starts_after_another_finished_says_once_what_holds_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock, said = Clock(), []
    first = waves.create_slot(waits_by_design=False, say=said.append, clock=clock)
    second = waves.create_slot(waits_by_design=False, say=said.append, clock=clock)
    with first, second:  # four at once would look the same: the peak is what ran together
        clock.now += 3600
    assert said == []
    for _ in range(2):  # the next wave
        with waves.create_slot(waits_by_design=False, say=said.append, clock=clock):
            clock.now += 3600
    assert len(said) == 1
    assert said[0].startswith("warning: tuning jobs are running in waves of 2")
    assert "--parallel" in said[0] and "PULUMI_PARALLEL" in said[0]


def test_the_stock_host_is_named_with_the_plugins_entry_that_replaces_it() -> None:
    assert "the stock dynamic-provider host" in waves.advice(4, ours=False)
    assert "plugins:" in waves.advice(4, ours=False)
    assert "plugins:" not in waves.advice(8, ours=True)


def test_continuous_tuning_and_quick_adoptions_are_not_waves() -> None:
    clock, said = Clock(), []
    with waves.create_slot(waits_by_design=False, say=said.append, clock=clock):
        clock.now += 0.2  # adopted a job that had succeeded: ended within the engine's burst
    with waves.create_slot(waits_by_design=False, say=said.append, clock=clock):
        clock.now += 3600
    with waves.create_slot(waits_by_design=True, say=said.append, clock=clock):
        pass  # continues the model just tuned: it waited for it on purpose
    assert said == []
