"""Benchmark ModelEvaluation's asking and scoring: examples per second at concurrency 1, 8 and 32
against the emulator (issue #20). Not a test. Run (about a minute):
    .venv/bin/python bench/evaluation_bench.py

The emulator runs as its own process (`python -m vertex_tuning.emulator`), so its work and the
client's never share a GIL. One job is tuned on stacks/data/support-train.jsonl with 10% held
out; the held-out examples are the evaluation set. Each row asks one candidate every example
(generateContent) and scores the answers on rouge_l, bleu and exact_match (evaluateInstances,
100 instances per call), through the provider's own code (evaluation/run.py, vertex.py).

Two candidates, side by side: the tuned endpoint, whose emulated answer searches every training
lesson for the closest prompt (difflib, under the emulator's one lock), and the base model,
whose answer is a template: the anchor that shows what the client side does when the
emulator's answer is cheap.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
PROJECT, LOCATION = "bench-project", "us-central1"
PARENT = f"projects/{PROJECT}/locations/{LOCATION}"


def start_emulator() -> tuple[subprocess.Popen[str], str, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "vertex_tuning.emulator", "--port", "0", "--job-seconds", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "STORAGE_EMULATOR_HOST"},
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    found = re.search(r"listening on (\S+) \(storage: (\S+)\)", line)
    assert found, line
    return process, found[1], found[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--repeats", type=int, default=2, help="Runs per row (best is shown).")
    parser.add_argument("--base-copies", type=int, default=4, help="Base rows ask the set N times.")
    args = parser.parse_args()

    process, url, storage_url = start_emulator()
    os.environ["STORAGE_EMULATOR_HOST"] = storage_url
    try:
        run(url, storage_url, args)
    finally:
        process.terminate()
        process.wait(timeout=30)


def run(url: str, storage_url: str, args: argparse.Namespace) -> None:
    import threading

    from google.auth.credentials import AnonymousCredentials
    from google.cloud.storage import Client

    from vertex_tuning.dataset import split_examples
    from vertex_tuning.evaluation import examples as examples_mod
    from vertex_tuning.evaluation.run import Candidate, Metric, evaluate
    from vertex_tuning.settings import Settings
    from vertex_tuning.vertex import Vertex

    source = REPO / "stacks" / "data" / "support-train.jsonl"
    train, held_out = split_examples(source.read_bytes().splitlines(), 0.1, seed_key="bench")
    storage = Client(
        project=PROJECT,
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": storage_url},
    )
    bucket = storage.create_bucket("evaluation-bench")
    bucket.blob("train.jsonl").upload_from_string("\n".join(train))
    body = {
        "baseModel": "gemini-2.5-flash",
        "tunedModelDisplayName": "bench",
        "supervisedTuningSpec": {
            "trainingDatasetUri": "gs://evaluation-bench/train.jsonl",
            "hyperParameters": {"epochCount": 1},
        },
    }
    job = requests.post(f"{url}/v1/{PARENT}/tuningJobs", json=body, timeout=30).json()
    requests.post(
        f"{url}/_emulator/jobs/{job['name'].rsplit('/', 1)[-1]}:finish", json={}, timeout=30
    )
    endpoint = requests.get(f"{url}/v1/{job['name']}", timeout=30).json()["tunedModel"]["endpoint"]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "held-out.jsonl"
        path.write_text("\n".join(held_out) + "\n")
        examples = examples_mod.read(str(path)).examples
    settings = Settings(api_endpoint=url)
    metrics = [Metric("rouge_l"), Metric("bleu"), Metric("exact_match")]

    def measure(candidate: Candidate, given: tuple[object, ...], concurrency: int) -> float:
        local = threading.local()

        def client() -> Vertex:
            if getattr(local, "vertex", None) is None:
                local.vertex = Vertex(settings, LOCATION)
            vertex: Vertex = local.vertex
            return vertex

        best = 0.0
        for _ in range(args.repeats):
            started = time.perf_counter()
            evaluate(
                client,
                PARENT,
                [candidate],
                given,  # type: ignore[arg-type]
                metrics,
                concurrency=concurrency,
                emit=lambda _line: None,
                label="bench",
            )
            best = max(best, len(given) / (time.perf_counter() - started))
        return best

    base = f"{PARENT}/publishers/google/models/gemini-2.5-flash"
    rows = [
        ("tuned endpoint", Candidate("tuned", endpoint), tuple(examples)),
        ("base model", Candidate("base", base), tuple(examples) * args.base_copies),
    ]
    print(
        f"{len(examples)} held-out examples ({len(train)} training lessons); metrics rouge_l, "
        f"bleu, exact_match; best of {args.repeats}; {os.cpu_count()} CPUs"
    )
    print(f"{'candidate':<16}" + "".join(f"{f'c={c}':>14}" for c in args.concurrency))
    results = {}
    for label, candidate, given in rows:
        figures = [measure(candidate, given, c) for c in args.concurrency]
        results[label] = figures
        print(f"{label:<16}" + "".join(f"{f'{x:.1f}/s':>14}" for x in figures))
    print(json.dumps({"examples_per_second": results, "concurrency": args.concurrency}))


if __name__ == "__main__":
    main()
