"""Benchmark token counting (vertex_tuning.counting) for 100k examples: batched countTokens
calls, one call per example, the characters/4 fallback and a cache hit, side by side.

Not a test. Run: .venv/bin/python bench/token_bench.py [--examples 100000] [--rounds 3]

The data is dataset_bench.py's (realistic support examples, some multi-turn, some with a system
instruction), written once. countTokens is the local emulator's, in a process of its own on an
ephemeral port (its answers cost what its tokenizer costs; Google's add network latency, which
batching divides by the examples per call). The candidates run round-robin, `--rounds` times
each, and each row's best time is compared with the best time of the anchor in the same rounds:

  validate (anchor)    dataset.validate_file: what a preview already spends on the same file
  countTokens batched  counting.count_lines: 2,000 Contents (or 400k characters) a call, 4 in
                       flight, a cold cache
  countTokens x1       the same with one example per call (on --single examples, scaled)
  characters/4         the fallback: no calls
  cache hit            counting.count with the file's SHA-256 as the key, warm cache (the
                       SHA-256 included: TrainingDataset computes it in its validation pass)
"""

from __future__ import annotations

import argparse
import hashlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from dataset_bench import write_dataset

from vertex_tuning import counting, dataset
from vertex_tuning.settings import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_emulator() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "vertex_tuning.emulator",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return process, url
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("the emulator did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=100_000)
    parser.add_argument("--single", type=int, default=2_000, help="examples for the x1 row")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="token-bench-"))
    path = work / "train.jsonl"
    write_dataset(path, args.examples)
    single = work / "single.jsonl"
    single.write_bytes(b"".join(path.open("rb").readlines()[: args.single]))
    emulator, url = start_emulator()
    service = counting.Service(Settings(api_endpoint=url), "bench-project", "us-central1")
    model = "gemini-2.5-flash"
    calls: dict[str, int] = {}
    tokens: dict[str, int] = {}

    def batched() -> None:
        found = counting.count_lines(
            counting.file_lines(path)(), method="supervised", counter=service.counter(model)
        )
        assert found.exact, found.why
        calls["countTokens batched"], tokens["countTokens batched"] = found.calls, found.billable

    def one_each() -> None:
        saved = counting.MAX_CONTENTS_PER_CALL
        counting.MAX_CONTENTS_PER_CALL = 1
        try:
            found = counting.count_lines(
                counting.file_lines(single)(), method="supervised", counter=service.counter(model)
            )
        finally:
            counting.MAX_CONTENTS_PER_CALL = saved
        assert found.exact, found.why
        calls["countTokens x1"] = found.calls

    def fallback() -> None:
        found = counting.count_lines(counting.file_lines(path)(), method="supervised", counter=None)
        tokens["characters/4"] = found.billable

    cache = counting.Cache(work / "cache")

    def cache_hit() -> None:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        found = counting.count(
            counting.file_lines(path),
            key=counting.key_for(digest.hexdigest()),
            method="supervised",
            model=model,
            service=service,
            cache=cache,
        )
        assert found.cached

    def validate() -> None:
        assert dataset.validate_file(path, max_issues=0).ok

    # Warm the cache once, outside the timing.
    with path.open("rb") as handle:
        key = counting.key_for(hashlib.sha256(handle.read()).hexdigest())
    counting.count(
        counting.file_lines(path),
        key=key,
        method="supervised",
        model=model,
        service=service,
        cache=cache,
    )
    rows: dict[str, Callable[[], None]] = {
        "validate (anchor)": validate,
        "countTokens batched": batched,
        "countTokens x1": one_each,
        "characters/4": fallback,
        "cache hit": cache_hit,
    }
    best = dict.fromkeys(rows, float("inf"))
    try:
        for _ in range(args.rounds):
            for name, run in rows.items():
                start = time.perf_counter()
                run()
                best[name] = min(best[name], time.perf_counter() - start)
    finally:
        emulator.terminate()
        emulator.wait()
    best["countTokens x1"] *= args.examples / args.single  # scaled to the whole file
    anchor = best["validate (anchor)"]
    print(
        f"{args.examples:,} examples, {path.stat().st_size / 1e6:.1f} MB, best of {args.rounds} "
        f"rounds, {os.cpu_count()} CPUs"
    )
    print(f"{'':22}{'seconds':>10}{'examples/s':>14}{'vs validate':>13}{'calls':>10}")
    for name in rows:
        seconds = best[name]
        made = calls.get(name)
        if name == "countTokens x1" and made is not None:
            made = made * args.examples // args.single
        print(
            f"{name:22}{seconds:>10.3f}{args.examples / seconds:>14,.0f}"
            f"{seconds / anchor:>12.2f}x{made if made is not None else '':>10}"
        )
    exact, guess = tokens["countTokens batched"], tokens["characters/4"]
    print(
        f"tokens: countTokens {exact:,}, characters/4 {guess:,} ({100 * (guess - exact) / exact:+.1f}%)"
    )


if __name__ == "__main__":
    main()
