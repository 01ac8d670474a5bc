"""Benchmark vertex_tuning.dataset: validation throughput beside a bare json.loads loop, and memory.

Not a test. Run: .venv/bin/python bench/dataset_bench.py [--sizes 100000 1000000] [--rounds 3]
(orjson, for its row, comes with `pip install -e '.[bench]'`; without it the row is skipped.)

Each size is written to a temp file once. In one child process per size, the candidates run
round-robin, `--rounds` times each, over the same file, and the best time of each is compared
with the best time of the bare loop measured in the same rounds, so load on the machine hits all
of them alike. The candidates:

  bare json.loads      for line in file: json.loads(line)   (the anchor; checks nothing)
  vertex-tuning        validate_file: the msgspec typed fast path, strict path when needed
  msgspec typed only   the fast path's decoder alone, no checks (its floor)
  msgspec + rules      msgspec generic decode, then the rules over dicts
  orjson + rules       orjson.loads, then the rules over dicts
  json + rules         json.loads, then the rules (what the validator did before)

The "+ rules" rows check less than vertex-tuning: no repeated keys, no duplicate digests, no
stats; they show what each decoder leaves for Python to do.

Then each size is validated once more in a fresh child, so its peak RSS (VmHWM) is that run's
alone: it should stay flat apart from the 8-byte duplicate digests kept per example.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

QUESTIONS = [
    "What is your refund policy for item {i}?",
    "How do I track order KK{i}?",
    "Do you ship order {i} to Canada?",
    "Can I exchange item {i} for a larger size?",
]
ANSWER = (
    "We offer full refunds within 30 days of purchase with proof of receipt. "
    "Start at example.com/returns with order KK{i} and we'll email a prepaid label."
)


def example_line(i: int) -> str:
    """One realistic example; every 7th is multi-turn, every 11th has a systemInstruction."""
    turns = [
        {"role": "user", "parts": [{"text": QUESTIONS[i % len(QUESTIONS)].format(i=i)}]},
        {"role": "model", "parts": [{"text": ANSWER.format(i=i)}]},
    ]
    if i % 7 == 0:
        turns += [
            {"role": "user", "parts": [{"text": f"Thanks! And how long does refund {i} take?"}]},
            {"role": "model", "parts": [{"text": "Within 2 business days of receiving it."}]},
        ]
    example: dict[str, object] = {"contents": turns}
    if i % 11 == 0:
        example = {"systemInstruction": {"parts": [{"text": "Be concise."}]}, **example}
    return json.dumps(example)


def write_dataset(path: Path, lines: int) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for i in range(lines):
            handle.write(example_line(i) + "\n")


def digest_table_peak_mib(examples: int) -> float:
    """The duplicate-digest table's peak: 8-byte slots, doubled past half full, old + new."""
    slots, grown = 1024, False
    while examples * 2 > slots - 1:
        slots, grown = slots * 2, True
    return 8 * (slots + slots // 2 if grown else slots) / 2**20


def candidates(path: Path) -> dict[str, Callable[[], None]]:
    """name -> a run over the whole file."""
    import msgspec

    from vertex_tuning.dataset import typed, validate_file
    from vertex_tuning.dataset.rules import CHECKS

    check = CHECKS["supervised"]

    def bare() -> None:
        with path.open("rb") as handle:
            for line in handle:
                json.loads(line)

    def ours() -> None:
        report = validate_file(path)
        if not report.ok:
            sys.exit(f"unexpected report: {report.errors[:3]}")

    def typed_only() -> None:
        decode = typed._decode_supervised
        with path.open("rb") as handle:
            for line in handle:
                decode(line)

    def with_rules(loads: Callable[[bytes], object]) -> Callable[[], None]:
        def run() -> None:
            with path.open("rb") as handle:
                for line in handle:
                    errs: list[tuple[str, str]] = []
                    check(loads(line), errs)

        return run

    found = {
        "bare json.loads": bare,
        "vertex-tuning": ours,
        "msgspec typed only": typed_only,
        "msgspec + rules": with_rules(msgspec.json.Decoder().decode),
    }
    try:
        import orjson
    except ImportError:
        pass
    else:
        found["orjson + rules"] = with_rules(orjson.loads)
    found["json + rules"] = with_rules(json.loads)
    return found


def child_speed(path: Path, rounds: int) -> None:
    """Best time of each candidate over `rounds` round-robin runs, as JSON."""
    runs = candidates(path)
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(rounds):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - start)
    print(json.dumps(best))


def child_memory(path: Path) -> None:
    """Validate once; print the peak RSS growth (VmHWM, reset first) and the verdict."""
    from vertex_tuning.dataset import validate_file

    def peak_kib() -> int:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))

    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
    before = peak_kib()
    report = validate_file(path)
    growth = (peak_kib() - before) / 1024
    print(json.dumps({"ok": report.ok, "examples": report.stats.examples, "growth_mib": growth}))


def child(*args: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=True
    ).stdout
    result: dict[str, object] = json.loads(out)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--speed", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--memory", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.speed:
        child_speed(args.speed, args.rounds)
        return
    if args.memory:
        child_memory(args.memory)
        return

    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            path = Path(tmp) / f"bench-{size}.jsonl"
            write_dataset(path, size)
            mb = path.stat().st_size / 1e6
            speed = child("--speed", str(path), "--rounds", str(args.rounds))
            memory = child("--memory", str(path))
            if not memory["ok"] or memory["examples"] != size:
                sys.exit(f"unexpected report for {size} lines: {memory}")
            bare = float(str(speed["bare json.loads"]))
            print(f"\n{size:,} lines, {mb:.1f} MB, best of {args.rounds} round-robin runs")
            print(f"  {'':<20} {'seconds':>8} {'MB/s':>7} {'examples/s':>11} {'vs bare loop':>13}")
            for name, seconds in speed.items():
                t = float(str(seconds))
                print(
                    f"  {name:<20} {t:>8.2f} {mb / t:>7.1f} {size / t:>11,.0f} {bare / t:>12.2f}x"
                )
            table = digest_table_peak_mib(size)
            growth = float(str(memory["growth_mib"]))
            print(
                f"  peak RSS growth of vertex-tuning: {growth:.1f} MiB, of which the duplicate "
                f"digests {table:.1f} MiB, the rest {growth - table:.1f} MiB (examples are "
                "never held)"
            )


if __name__ == "__main__":
    main()
