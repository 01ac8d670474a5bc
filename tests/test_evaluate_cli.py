"""`vertex-tuning evaluate` as users run it: a subprocess against the local emulators, on a job
tuned with Google's own client."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from conftest import SUPPORT_EXAMPLES, Datasets, VertexClients, console_job
from test_cli import run

if TYPE_CHECKING:
    from vertex_tuning.emulator import RunningEmulator


def tuned_job(emulator: RunningEmulator, vertex: VertexClients, datasets: Datasets) -> str:
    name = console_job(vertex, datasets.upload("train.jsonl", SUPPORT_EXAMPLES), epoch_count=3)
    emulator.control.finish(name)
    return name


def test_a_job_is_evaluated_checkpoint_by_checkpoint_against_its_base_model(
    emulator: RunningEmulator, vertex: VertexClients, datasets: Datasets, tmp_path: Path
) -> None:
    job = tuned_job(emulator, vertex, datasets)
    data = tmp_path / "eval.jsonl"
    data.write_text("".join(json.dumps(e) + "\n" for e in SUPPORT_EXAMPLES))
    upload = f"gs://{datasets.bucket.name}/reports/"
    done = run(
        emulator,
        "evaluate",
        job,
        str(data),
        "--min-gain",
        "base:rouge_l=0.3",
        "--report-dir",
        str(tmp_path / "report"),
        "--upload",
        upload,
        "--json",
    )
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout)
    assert outcome["passed"] is True
    assert set(outcome["checkpoint_scores"]) == {"1", "2", "3"}
    assert outcome["best_checkpoint_id"] == "3"  # the final one recalls every word
    assert outcome["scores"]["tuned"]["rouge_l"] == 1.0
    assert outcome["checks"][0].startswith("rouge_l gain over base +")
    assert outcome["report_uri"] == f"{upload}report.html"
    assert (tmp_path / "report" / "report.html").is_file()
    assert "asking 4 models 3 examples" in done.stderr  # three checkpoints and the base
    assert {b.name for b in datasets.bucket.list_blobs(prefix="reports/")} == {
        "reports/report.html",
        "reports/scores.png",
        "reports/results.jsonl",
    }
    counts = emulator.control.request_counts()
    assert "UpdateModel" not in counts  # reported, not moved (no --serve-best)


def test_a_missed_threshold_exits_1_with_the_scores(
    emulator: RunningEmulator, vertex: VertexClients, datasets: Datasets, tmp_path: Path
) -> None:
    job = tuned_job(emulator, vertex, datasets)
    (first,) = [
        c["endpoint"]
        for c in vertex_job(vertex, job)["tunedModel"]["checkpoints"]
        if c["checkpointId"] == "1"
    ]
    data = tmp_path / "eval.jsonl"
    data.write_text("".join(json.dumps(e) + "\n" for e in SUPPORT_EXAMPLES))
    done = run(
        emulator,
        "evaluate",
        first,
        str(data),
        "--metric",
        "exact_match",
        "--min-score",
        "exact_match=1",
        "--report-dir",
        str(tmp_path / "report"),
    )
    assert done.returncode == 1
    assert "FAILED: exact_match 0.0000 < min_score 1.0000" in done.stdout
    assert "scores, mean over 3 examples:" in done.stdout
    assert done.stderr.rstrip().splitlines()[-1].startswith("error: evaluation of ")
    assert "Traceback" not in done.stderr


def test_an_unknown_metric_is_a_usage_error(emulator: RunningEmulator, tmp_path: Path) -> None:
    done = run(emulator, "evaluate", "123", str(tmp_path / "x.jsonl"), "--metric", "meteor")
    assert done.returncode == 2
    assert "unknown metric 'meteor'" in done.stderr


def vertex_job(vertex: VertexClients, name: str) -> dict[str, object]:
    from google.cloud import aiplatform_v1

    job = vertex.tuning.get_tuning_job(name=name)
    found: dict[str, object] = json.loads(aiplatform_v1.TuningJob.to_json(job))
    return found
