"""TuningJob's pre-submit data check: the gs:// datasets must exist and pass the validator before
anything is submitted. The real storage emulator and Vertex AI emulator, through Google's clients."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from conftest import LOCATION, PROJECT, SUPPORT_EXAMPLES, Datasets
from test_dataset import DATA
from vertex_tuning import gcs
from vertex_tuning.errors import DatasetInvalid
from vertex_tuning.resources.tuning_job import TuningJobProvider

if TYPE_CHECKING:
    from vertex_tuning.emulator import RunningEmulator


def tuning_job(**overrides: Any) -> dict[str, Any]:
    news = {
        "base_model": "gemini-2.5-flash",
        "tuned_model_display_name": "support-check",
        "project": PROJECT,
        "location": LOCATION,
        "poll_interval": 0.05,
        "max_poll_interval": 0.05,
        "resource_key": "proj/dev/support",
        **overrides,
    }
    result = TuningJobProvider().check({}, news)
    assert result.failures == []
    return dict(result.inputs)


@pytest.fixture
def vertex_env(emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch) -> RunningEmulator:
    monkeypatch.setenv("VERTEX_API_ENDPOINT", emulator.url)
    return emulator


def creates(emulator: RunningEmulator) -> int:
    return emulator.control.request_counts().get("CreateTuningJob", 0)


def test_a_missing_training_object_fails_before_anything_is_submitted(
    vertex_env: RunningEmulator, datasets: Datasets
) -> None:
    uri = datasets.missing("nowhere.jsonl")
    with pytest.raises(gcs.ApiError) as info:
        TuningJobProvider().create(tuning_job(training_dataset_uri=uri))
    assert str(info.value).startswith(f"checking training data ({uri}): NOT_FOUND: ")
    assert "no tuning job was submitted" in str(info.value)
    assert "validate_data=False" in str(info.value)
    assert creates(vertex_env) == 0


def test_invalid_validation_data_fails_with_the_validators_report(
    vertex_env: RunningEmulator, datasets: Datasets, training_uri: str
) -> None:
    bad = datasets.upload("validation.jsonl", (DATA / "bad_role.jsonl").read_text())
    with pytest.raises(gcs.DatasetInvalid) as info:
        TuningJobProvider().create(
            tuning_job(training_dataset_uri=training_uri, validation_dataset_uri=bad)
        )
    message = str(info.value)
    assert message.startswith(f"checking validation data ({bad}): INVALID: 1 error; ")
    assert f"{bad}: INVALID (1 error, 0 warnings) [validation dataset]" in message
    assert "line 3:\n  error   contents[1].role: must be" in message
    assert creates(vertex_env) == 0


def test_a_long_report_is_capped_but_counts_every_error(
    vertex_env: RunningEmulator, datasets: Datasets
) -> None:
    system = '"systemInstruction": {{"parts": [{{"text": "n{}"}}]}}'
    lines = [f'{{"contents": [], {system.format(i)}}}' for i in range(120)]
    bad = datasets.upload("train.jsonl", "\n".join(lines))
    with pytest.raises(gcs.DatasetInvalid) as info:
        TuningJobProvider().create(tuning_job(training_dataset_uri=bad))
    message = str(info.value)
    assert "INVALID: 120 errors" in message
    assert "line 50:" in message and "line 51:" not in message
    assert message.endswith("... and 70 more issues")
    assert creates(vertex_env) == 0


def test_valid_data_is_checked_then_submitted(
    vertex_env: RunningEmulator, training_uri: str, capsys: pytest.CaptureFixture[str]
) -> None:
    vertex_env.control.configure(job_seconds=0.2)
    result = TuningJobProvider().create(tuning_job(training_dataset_uri=training_uri))
    assert f"/locations/{LOCATION}/tuningJobs/" in result.id
    out = capsys.readouterr().out
    n = len(SUPPORT_EXAMPLES)
    checked = f"tuning job support-check: checked training data {training_uri}: {n} examples, OK"
    assert f"{checked}, 1 warning\n" in out  # named: many jobs may check the same data
    assert out.index("checked training data") < out.index("submitted")
    assert creates(vertex_env) == 1


def test_validate_data_false_submits_without_reading_the_data(
    vertex_env: RunningEmulator, datasets: Datasets
) -> None:
    from vertex_tuning.errors import JobFailed

    vertex_env.control.configure(job_seconds=0.2)
    uri = datasets.missing("nowhere.jsonl")
    with pytest.raises(JobFailed, match="NOT_FOUND"):  # the service's own check, later
        TuningJobProvider().create(tuning_job(training_dataset_uri=uri, validate_data=False))
    assert creates(vertex_env) == 1


def test_adopting_a_running_job_does_not_check_the_data_again(
    vertex_env: RunningEmulator, datasets: Datasets
) -> None:
    from vertex_tuning.interrupts import PartialCreate

    uri = datasets.upload("train.jsonl", SUPPORT_EXAMPLES)
    props = tuning_job(training_dataset_uri=uri, timeout=1)
    # Jobs move only when told: the first up gives up waiting and records the running job.
    with pytest.raises(PartialCreate) as stopped:
        TuningJobProvider().create(props)
    (job,) = vertex_env.control.jobs()
    assert stopped.value.id == job["name"] and stopped.value.outputs["job_name"] == job["name"]
    vertex_env.control.finish(job["name"])  # it trains on the data it read
    datasets.bucket.blob("train.jsonl").delete()  # a check would fail now
    assert TuningJobProvider().create(props).id == job["name"]
    assert creates(vertex_env) == 1


def test_validate_data_is_behaviour_and_never_replaces_the_job() -> None:
    olds = {**tuning_job(training_dataset_uri="gs://bkt/t.jsonl"), "__provider": "p"}
    news = {**tuning_job(training_dataset_uri="gs://bkt/t.jsonl", validate_data=False)}
    result = TuningJobProvider().diff("id", olds, {**news, "__provider": "p"})
    assert result.changes is True and result.replaces == []


def test_an_empty_validation_uri_means_none() -> None:
    # TrainingDataset.validation_uri is "" without a split; None would be unknown at preview.
    inputs = tuning_job(training_dataset_uri="gs://bkt/t.jsonl", validation_dataset_uri="")
    assert "validation_dataset_uri" not in inputs


def test_a_sweep_over_one_dataset_reads_it_once_and_a_rewrite_again(
    datasets: Datasets, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The jobs of a sweep check the same object: the host validates its content once."""
    uri = datasets.upload("sweep.jsonl", SUPPORT_EXAMPLES)
    read: list[str] = []
    open_lines = gcs.open_lines
    monkeypatch.setattr(gcs, "open_lines", lambda s, u: (read.append(u), open_lines(s, u))[1])
    said: list[str] = []
    for _ in range(3):
        gcs.verify_datasets(datasets.client, [(uri, "training")], emit=said.append)
    assert read == [uri]
    assert len(said) == 3 and len(set(said)) == 1  # each job still says what was checked
    assert said[0].startswith(f"checked training data {uri}: {len(SUPPORT_EXAMPLES)} examples, OK")

    datasets.upload("sweep.jsonl", (DATA / "bad_role.jsonl").read_text())
    for _ in range(2):
        with pytest.raises(DatasetInvalid, match="INVALID"):
            gcs.verify_datasets(datasets.client, [(uri, "training")], emit=said.append)
    assert read == [uri, uri]
