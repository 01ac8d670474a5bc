"""Asking every candidate every example, and scoring the answers with evaluateInstances.

Both phases run as tasks on a bounded pool (`concurrency` at once), each task's calls through
the one retry policy (vertex.py), with progress lines as they go. Candidates that are one model
(the job's endpoint is its default checkpoint's) are asked once. The first call that fails for
good stops the run with its error ("generating content (ENDPOINT): ...").
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, TypeVar

from vertex_tuning import interrupts, wire
from vertex_tuning.evaluation.examples import Example, text_of
from vertex_tuning.progress import format_elapsed

T = TypeVar("T")
Emit = Callable[[str], None]
#: Instances per evaluateInstances call of a computed metric.
BATCH = 100


@dataclass(frozen=True)
class Candidate:
    """A model asked the examples: `key` names it in scores ("tuned", "base", "checkpoint 2"),
    `model` is what generateContent takes (an endpoint or a publisher model)."""

    key: str
    model: str


@dataclass(frozen=True)
class Metric:
    """A metric as chosen: its name (wire.EVALUATION_METRICS) and spec options."""

    name: str
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def wire(self) -> wire.EvaluationMetric:
        return wire.EVALUATION_METRICS[self.name]


@dataclass
class Results:
    """What each candidate answered and scored, per example and on average."""

    examples: Sequence[Example]
    candidates: Sequence[Candidate]
    answers: dict[str, list[dict[str, Any]]]  # candidate key -> answer content per example
    scores: dict[str, dict[str, list[float]]]  # candidate key -> metric -> score per example
    seconds: float = 0.0

    def means(self) -> dict[str, dict[str, float]]:
        return {
            key: {m: statistics.fmean(values) if values else 0.0 for m, values in by.items()}
            for key, by in self.scores.items()
        }


def evaluate(
    client: Callable[[], Any],
    location: str,
    candidates: Sequence[Candidate],
    examples: Sequence[Example],
    metrics: Sequence[Metric],
    *,
    concurrency: int,
    emit: Emit,
    label: str,
) -> Results:
    """Ask, then score. `client()` gives this thread's Vertex (one HTTP session per thread)."""
    started = time.monotonic()
    models = list(dict.fromkeys(c.model for c in candidates))
    asked = ask(client, models, examples, concurrency=concurrency, emit=emit, label=label)
    scored = score(
        client, location, asked, examples, metrics, concurrency=concurrency, emit=emit, label=label
    )
    return Results(
        examples,
        candidates,
        answers={c.key: asked[c.model] for c in candidates},
        scores={c.key: scored[c.model] for c in candidates},
        seconds=time.monotonic() - started,
    )


def ask(
    client: Callable[[], Any],
    models: Sequence[str],
    examples: Sequence[Example],
    *,
    concurrency: int,
    emit: Emit,
    label: str,
) -> dict[str, list[dict[str, Any]]]:
    """Each model's answer (the first candidate's content) to each example."""

    def task(model: str, example: Example) -> Callable[[], dict[str, Any]]:
        body = wire.answer_request(example.contents, example.system_instruction or None)
        return lambda: wire.answer_content(client().generate_content(model, body))

    tasks = [task(m, e) for m in models for e in examples]
    what = f"asking {len(models)} models {len(examples)} examples"
    done = run_bounded(tasks, concurrency, Progress(f"{label}: {what}", len(tasks), emit))
    n = len(examples)
    return {model: done[i * n : (i + 1) * n] for i, model in enumerate(models)}


def score(
    client: Callable[[], Any],
    location: str,
    answers: Mapping[str, Sequence[Mapping[str, Any]]],
    examples: Sequence[Example],
    metrics: Sequence[Metric],
    *,
    concurrency: int,
    emit: Emit,
    label: str,
) -> dict[str, dict[str, list[float]]]:
    """Each model's score per metric per example, from the evaluation service."""
    jobs: list[tuple[str, str, int]] = []  # (model, metric, first example of the batch)
    tasks: list[Callable[[], list[float]]] = []
    for model, given in answers.items():
        for metric in metrics:
            spec = metric.wire
            size = 1 if spec.per_instance else BATCH
            for start in range(0, len(examples), size):
                instances = [
                    _instance(spec, examples[i], given[i])
                    for i in range(start, min(start + size, len(examples)))
                ]
                body = wire.evaluation_request(location, spec, instances, metric.options)
                jobs.append((model, metric.name, start))
                tasks.append(_scorer(client, location, spec, body, len(instances)))
    what = f"scoring {len(answers)} models on {', '.join(m.name for m in metrics)}"
    done = run_bounded(tasks, concurrency, Progress(f"{label}: {what}", len(tasks), emit))
    found: dict[str, dict[str, list[float]]] = {
        model: {m.name: [0.0] * len(examples) for m in metrics} for model in answers
    }
    for (model, metric_name, start), values in zip(jobs, done, strict=True):
        found[model][metric_name][start : start + len(values)] = values
    return found


def _scorer(
    client: Callable[[], Any],
    location: str,
    spec: wire.EvaluationMetric,
    body: dict[str, Any],
    count: int,
) -> Callable[[], list[float]]:
    def call() -> list[float]:
        values = wire.scores_from_evaluation(spec, client().evaluate_instances(location, body))
        if len(values) != count:
            from vertex_tuning.errors import ApiError

            raise ApiError(
                "evaluating instances",
                location,
                "INTERNAL",
                f"{spec.name}: {len(values)} scores for {count} instances",
            )
        return values

    return call


def _instance(
    spec: wire.EvaluationMetric, example: Example, answer: Mapping[str, Any]
) -> wire.EvaluationInstance:
    if spec.tools:
        return wire.EvaluationInstance(
            example.prompt, wire.tool_calls_json(answer), example.reference_tools
        )
    return wire.EvaluationInstance(example.prompt, text_of(answer), example.reference_text)


@dataclass
class Progress:
    """ "LABEL: 120/300 (40%) after 3s": at the start, every quarter or 15 s, and at the end.

    Workers only count (`step`); the thread that started the run prints (`tick`), because the
    provider host files a line under the resource whose request the printing thread serves.
    """

    label: str
    total: int
    emit: Emit
    every: float = 15.0
    clock: Callable[[], float] = time.monotonic
    _done: int = 0
    _shown: int = 0
    _quarter: int = 0
    _started: float = 0.0
    _last: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, concurrency: int) -> None:
        self._started = self._last = self.clock()
        self.emit(f"{self.label}: {self.total} requests, {concurrency} at a time")

    def step(self) -> None:
        with self._lock:
            self._done += 1

    def tick(self) -> None:
        """Print what is new, if a quarter or `every` seconds passed (the end always)."""
        with self._lock:
            done = self._done
        if done == self._shown:
            return
        now = self.clock()
        quarter = 4 * done // max(1, self.total)
        if done == self.total:
            elapsed = max(now - self._started, 1e-9)
            self.emit(
                f"{self.label}: done, {self.total} in {format_elapsed(elapsed)} "
                f"({self.total / elapsed:.1f}/s)"
            )
        elif quarter > self._quarter or now - self._last >= self.every:
            share = 100 * done // max(1, self.total)
            self.emit(
                f"{self.label}: {done}/{self.total} ({share}%) after "
                f"{format_elapsed(now - self._started)}"
            )
        else:
            return
        self._shown, self._quarter, self._last = done, quarter, now


def run_bounded(tasks: Sequence[Callable[[], T]], concurrency: int, progress: Progress) -> list[T]:
    """Every task's result in order, at most `concurrency` running at once; the first failure
    cancels what has not started and is raised. An engine cancel (Ctrl-C) stops it the same way."""
    progress.start(concurrency)
    if not tasks:
        return []
    results: list[Any] = [None] * len(tasks)

    def run(index: int) -> None:
        interrupts.check()
        results[index] = tasks[index]()
        progress.step()

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        futures: list[Future[None]] = [pool.submit(run, i) for i in range(len(tasks))]
        pending: set[Future[None]] = set(futures)
        while pending:
            done, pending = wait(pending, timeout=0.5, return_when=FIRST_EXCEPTION)
            progress.tick()
            failed = next((f for f in done if f.exception() is not None), None)
            if failed is not None:
                for future in pending:
                    future.cancel()
                raise failed.exception()  # type: ignore[misc]
    return results
