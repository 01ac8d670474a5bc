"""Benchmark vertex_tuning.dataset: validation speed and peak memory at 100k and 400k lines.

Not a test. Run: .venv/bin/python bench/dataset_bench.py [--sizes 100000 400000]

Each size is written to a temp file and validated in a fresh child process, so its peak RSS
(ru_maxrss) belongs to that run alone. Memory should stay flat apart from the 8-byte duplicate
digests the validator keeps per example; the report separates the two.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
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


def peak_rss_mib() -> float:
    # Linux reports KiB, macOS bytes.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def child(path: Path) -> None:
    """Validate one file and print timings and peak-RSS growth as JSON."""
    from vertex_tuning.dataset import validate_file

    before = peak_rss_mib()
    start = time.perf_counter()
    report = validate_file(path)
    seconds = time.perf_counter() - start
    growth = peak_rss_mib() - before

    start = time.perf_counter()
    with path.open("rb") as handle:
        for line in handle:
            json.loads(line)
    parse_only = time.perf_counter() - start

    print(
        json.dumps(
            {
                "ok": report.ok,
                "examples": report.stats.examples,
                "seconds": seconds,
                "parse_only_seconds": parse_only,
                "rss_growth_mib": growth,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 400_000])
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            path = Path(tmp) / f"bench-{size}.jsonl"
            write_dataset(path, size)
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(path)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            result = json.loads(out)
            result["lines"] = size
            result["mib"] = path.stat().st_size / 2**20
            results.append(result)
            if not result["ok"] or result["examples"] != size:
                sys.exit(f"unexpected report for {size} lines: {result}")

    print(
        f"{'lines':>9} {'file MiB':>9} {'seconds':>8} {'lines/s':>10} {'MiB/s':>7} "
        f"{'json.loads only':>16} {'peak RSS +MiB':>14} {'digest table':>13} {'rest':>6}"
    )
    for r in results:
        table = digest_table_peak_mib(r["lines"])
        print(
            f"{r['lines']:>9,} {r['mib']:>9.1f} {r['seconds']:>8.2f} "
            f"{r['lines'] / r['seconds']:>10,.0f} {r['mib'] / r['seconds']:>7.1f} "
            f"{r['lines'] / r['parse_only_seconds']:>12,.0f} l/s "
            f"{r['rss_growth_mib']:>14.1f} {table:>13.1f} {r['rss_growth_mib'] - table:>6.1f}"
        )
    if len(results) >= 2:
        first, last = results[0], results[-1]
        rss_ratio = last["rss_growth_mib"] / max(first["rss_growth_mib"], 0.1)
        print(
            f"\n{last['lines']:,} vs {first['lines']:,} lines "
            f"({last['mib'] / first['mib']:.1f}x the data): peak RSS growth ratio {rss_ratio:.2f}."
            "\nAll of the growth is the duplicate-digest table (8-byte digests, 16-32 bytes per"
            "\nexample); 'rest' is everything else and should stay flat: examples are never held."
        )


if __name__ == "__main__":
    main()
