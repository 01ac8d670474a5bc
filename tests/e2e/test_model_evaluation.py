"""ModelEvaluation through the real `pulumi` CLI against the emulators: a model that beats the
base is promoted and its best checkpoint served; one that does not fails `up` with its scores
and leaves consumers on the endpoint promoted before; the report renders in headless Chromium.

The training answers are two words, so the emulator's checkpoints (which recall the first
ceil(share x n) words, see emulator/checkpoints.py) score: checkpoint 1 of 3 half an answer,
checkpoints 2 and 3 all of it. The tie goes to checkpoint 2, so the default checkpoint moves.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import Datasets, make_clients
from e2e.browser import Browser, headless_chromium
from e2e.harness import Project, emulator_env

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
ANSWERS = {
    "How long do refunds take?": "Five days.",
    "Do you ship to Canada?": "Yes, gladly.",
    "Can I pay with PayPal?": "Yes, PayPal.",
    "Is there a phone line?": "Call 1-800-555-0142.",
    "Where do I track my order?": "Tracking page.",
    "Do gift cards expire?": "Never expire.",
    "Can I change my address?": "Before shipping.",
    "Is return shipping free?": "Within US.",
    "Do you have a store in Paris?": "Online only.",
    "What is the warranty?": "Two years.",
}
PROGRAM = '''\
"""TrainingDataset -> TuningJob -> ModelEvaluation, from program.json; the served model is this
stack's own last promoted endpoint (a StackReference to itself, as the prod stack reads)."""

import json
from pathlib import Path

import pulumi

import vertex_tuning

here = Path(__file__).parent
spec = json.loads((here / "program.json").read_text())
data = vertex_tuning.TrainingDataset("data", source=spec["train"], bucket=spec["bucket"])
job = vertex_tuning.TuningJob(
    "model",
    base_model="gemini-2.5-flash",
    training_dataset_uri=data.uri,
    epoch_count=3,
    project="test-project",
    location="us-central1",
    poll_interval=0.2,
    max_poll_interval=0.5,
)
me = pulumi.StackReference(f"organization/{pulumi.get_project()}/{pulumi.get_stack()}")
evaluation = vertex_tuning.ModelEvaluation(
    "evaluation",
    tuning_job=job,
    data=spec["eval"],
    metrics=["rouge_l", "bleu", "exact_match"],
    min_score={"rouge_l": 0.5},
    min_gain={"base": {"rouge_l": 0.3}, "served": {"rouge_l": 0.0}},
    served_endpoint=me.get_output("promoted_endpoint"),
    report_dir=here / "reports",
)
pulumi.export("tuned_model", job.tuned_model_name)
pulumi.export("checkpoints", job.checkpoints)
pulumi.export("promoted_endpoint", evaluation.promoted_endpoint)
pulumi.export("promoted_endpoint_uri", evaluation.promoted_endpoint_uri)
pulumi.export("tuned_model_endpoint", job.tuned_model_endpoint)
pulumi.export("tuned_model_endpoint_uri", job.tuned_model_endpoint_uri)
pulumi.export("scores", evaluation.scores)
pulumi.export("best_checkpoint_id", evaluation.best_checkpoint_id)
pulumi.export("report_path", evaluation.report_path)
pulumi.export("report_uri", evaluation.report_uri)
pulumi.export("chart_path", evaluation.chart_path)
pulumi.export("results_uri", evaluation.results_uri)
'''


def jsonl(answers: dict[str, str]) -> str:
    return "".join(
        json.dumps(
            {
                "contents": [
                    {"role": "user", "parts": [{"text": q}]},
                    {"role": "model", "parts": [{"text": a}]},
                ]
            }
        )
        + "\n"
        for q, a in answers.items()
    )


class ModelStack(Project):
    """The evaluated model's project, and a consumer project reading it (stacks/consumer)."""

    def outputs(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.run("stack", "output", "--json").check().output)
        return result

    def consumer(self, app_config: Path) -> Project:
        root = self.root.parent / "consumer"
        consumer = Project(root, self.env, stack="dev", name="consumer")
        shutil.copy(REPO / "stacks" / "consumer" / "__main__.py", root / "__main__.py")
        consumer.init()
        for key, value in (
            ("modelStack", f"organization/{self.name}/{self.stack}"),
            ("configPath", str(app_config)),
        ):
            consumer.run("config", "set", key, value).check()
        return consumer


@pytest.fixture(scope="module")
def deployed(
    pulumi_bin: str, emulator_session: Any, storage_url: str, tmp_path_factory: Any
) -> Iterator[tuple[ModelStack, Any]]:
    """The model stack up once, with a model that learned its answers."""
    emulator_session.control.reset()
    emulator_session.control.configure(job_seconds=1, require_token=None)
    base = tmp_path_factory.mktemp("evaluation")
    (base / "state").mkdir()
    env = emulator_env(
        {
            **os.environ,
            "PATH": f"{pulumi_bin}{os.pathsep}{os.environ['PATH']}",
            "PULUMI_BACKEND_URL": f"file://{base / 'state'}",
            "PULUMI_CONFIG_PASSPHRASE": "e2e-passphrase",
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DIY_BACKEND_NO_LEGACY_WARNING": "true",
        },
        emulator_session.url,
        storage_url,
    )
    project = ModelStack(base / "model", env, name="evaluated")
    (project.root / "__main__.py").write_text(PROGRAM)
    (project.root / "train.jsonl").write_text(jsonl(ANSWERS))
    (project.root / "eval.jsonl").write_text(jsonl(ANSWERS))
    bucket = Datasets(storage_url).bucket
    spec = {"train": "train.jsonl", "eval": "eval.jsonl", "bucket": bucket.name}
    (project.root / "program.json").write_text(json.dumps(spec))
    project.init()
    up = project.up()
    yield project, up
    del bucket


def test_a_model_that_beats_the_base_is_promoted_with_its_best_checkpoint(
    deployed: tuple[ModelStack, Any], emulator_session: Any
) -> None:
    project, up = deployed
    up.check()
    out = project.outputs()
    checkpoints = {c["checkpoint_id"]: c["endpoint"] for c in out["checkpoints"]}
    assert list(checkpoints) == ["1", "2", "3"]
    # Checkpoints 2 and 3 answer in full; the tie goes to the earlier one, which is promoted.
    assert out["best_checkpoint_id"] == "2"
    assert out["promoted_endpoint"] == checkpoints["2"]
    assert out["promoted_endpoint_uri"].endswith(f"/v1/{checkpoints['2']}:generateContent")
    assert (
        "checkpoint 2 has the highest rouge_l (1.0000) of 3 checkpoints; tied with 3, the "
        "earlier wins (less overfitting)" in up.output
    )
    assert "serving checkpoint 2 instead of 3" in up.output
    # Progress lines are on the evaluation's own row, not the stack's.
    row = r"ModelEvaluation evaluation creating \(\d+s\) model evaluation evaluation: "
    assert re.search(row + r"asking 4 models 10 examples: done, 40 in ", up.output), up.output
    assert not re.search(r"Stack \S+ creating \(\d+s\) model evaluation", up.output)
    scores = out["scores"]
    assert scores["tuned"]["rouge_l"] == 1.0
    assert scores["tuned"]["exact_match"] == 1.0
    assert scores["base"]["rouge_l"] < 0.2
    assert "served" not in scores  # nothing was promoted before this
    assert "PASSED: rouge_l 1.0000 >= min_score 0.5000; rouge_l gain over base" in up.output

    # The model serves checkpoint 2 now: a Model update, no second tuning job.
    model = make_clients(emulator_session.url).models.get_model(name=out["tuned_model"])
    assert model.default_checkpoint_id == "2"
    assert emulator_session.control.request_counts()["CreateTuningJob"] == 1

    # The report: local, and copied beside the data.
    assert Path(out["report_path"]).is_file() and Path(out["chart_path"]).is_file()
    assert out["report_uri"].startswith("gs://") and out["report_uri"].endswith("/report.html")
    results = [
        json.loads(line) for line in Path(out["report_path"]).with_name("results.jsonl").open()
    ]
    assert len(results) == len(ANSWERS)
    assert set(results[0]["answers"]) == {"tuned", "base"}

    # A refresh sees the job's endpoint follow the new default checkpoint; the evaluation does
    # not run again for it, and TuningJob reports the checkpoint the model serves.
    project.run("refresh", "--yes").check()
    project.preview("--expect-no-changes").check()
    state = project.export()
    (job,) = [r for r in state["resources"] if r["type"].endswith("TuningJob")]
    assert job["outputs"]["serving_checkpoint_id"] == "2"


def test_a_model_that_does_not_beat_the_base_fails_up_and_consumers_keep_the_old_endpoint(
    deployed: tuple[ModelStack, Any], emulator_session: Any, tmp_path: Path
) -> None:
    project, _ = deployed
    before = project.outputs()
    app_config = tmp_path / "app.json"
    consumer = project.consumer(app_config)
    consumer.up().check()
    assert json.loads(app_config.read_text())["model_endpoint"] == before["promoted_endpoint"]

    # New training data that teaches the wrong answers; the evaluation set stays the same.
    (project.root / "train.jsonl").write_text(jsonl(dict.fromkeys(ANSWERS, "Please hold.")))
    failed = project.up()
    assert failed.returncode != 0
    log = failed.output
    assert "model evaluation evaluation: FAILED: rouge_l 0.0000 < min_score 0.5000" in log
    assert "rouge_l gain over base -" in log and "< min_gain +0.3000" in log
    assert "rouge_l gain over served -1.0000 < min_gain +0.0000" in log
    assert "scores, mean over 10 examples:" in log
    assert "promoted_endpoint stays as it was: this model is not promoted" in log
    assert "Traceback" not in log

    after = project.outputs()
    assert after["promoted_endpoint"] == before["promoted_endpoint"]
    (evaluation,) = [
        r for r in project.export()["resources"] if r["type"].endswith("ModelEvaluation")
    ]
    assert evaluation["outputs"]["promoted_endpoint"] == before["promoted_endpoint"]
    # The consumer has nothing to change, and what it calls is still there.
    consumer.preview("--expect-no-changes").check()
    assert json.loads(app_config.read_text())["model_endpoint"] == before["promoted_endpoint"]
    endpoints = make_clients(emulator_session.url).endpoints
    assert endpoints.get_endpoint(name=before["promoted_endpoint"]).name


@pytest.fixture(scope="module")
def browser(tmp_path_factory: Any) -> Iterator[Browser]:
    with headless_chromium(tmp_path_factory.mktemp("chromium")) as found:
        yield found


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def test_the_report_renders_in_headless_chromium(
    deployed: tuple[ModelStack, Any], browser: Browser
) -> None:
    project, up = deployed
    up.check()
    state = project.export()
    (evaluation,) = [r for r in state["resources"] if r["type"].endswith("ModelEvaluation")]
    out = evaluation["outputs"]
    report, chart = Path(out["report_path"]), Path(out["chart_path"])

    browser.open(report.as_uri())
    assert browser.run("return document.title") == "model evaluation evaluation"
    image = browser.run(
        "const i = document.getElementById('chart');"
        "return [i.complete, i.naturalWidth, i.naturalHeight, i.getBoundingClientRect().width]"
    )
    assert image[0] is True and image[1] == png_size(chart)[0] and image[2] > 0 and image[3] > 0
    table = browser.run(
        "return [...document.querySelectorAll('#scores tr')].map(r => r.innerText.split('\\t'))"
    )
    assert table[0] == ["candidate", "rouge_l", "bleu", "exact_match"]
    assert [row[0] for row in table[1:]] == ["tuned", "base"]
    assert table[1][1] == "1.0000"
    checkpoints = browser.run("return document.querySelectorAll('#checkpoints tr').length")
    assert checkpoints == 4  # header and three checkpoints
    checks = browser.run(
        "return [...document.querySelectorAll('#thresholds tr')].map(r => r.innerText)"
    )
    assert checks and all(c.startswith("PASS") for c in checks)
    worst = browser.run("return document.querySelectorAll('#worst tr').length")
    assert worst == 1 + 5

    # The PNG on its own: the browser decodes it at the size the report embeds.
    browser.open(chart.as_uri())
    size = browser.run("const i = document.images[0]; return [i.naturalWidth, i.naturalHeight]")
    assert tuple(size) == png_size(chart) == (1300, 420)
