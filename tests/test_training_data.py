"""TrainingDataset's provider and the TuningJob's pre-submit data check, against the real
gcp-storage-emulator through the real google-cloud-storage client (and the Vertex AI emulator)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dill
import pytest

from conftest import PROJECT, Datasets
from test_dataset import BROKEN, DATA, distinct
from vertex_tuning import dataset, gcs, settings
from vertex_tuning.resources.training_dataset import SourceChanged, TrainingDatasetProvider
from vertex_tuning.resources.training_dataset_inputs import TrainingDatasetInputs

REPLACE_ON_CHANGE = TrainingDatasetInputs.replace_on_change()

if TYPE_CHECKING:
    pass

GOOD = DATA / "good.jsonl"


def provider() -> TrainingDatasetProvider:
    """As the engine gets it: unpickled from state."""
    return dill.loads(dill.dumps(TrainingDatasetProvider()))  # type: ignore[no-any-return]


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines))
    return path


def checked(**news: Any) -> dict[str, Any]:
    """check() as `pulumi preview` runs it; fails the test on any failure."""
    result = provider().check({}, {"name": "support", "prefix": "tuning", **news})
    assert result.failures == [], [(f.property, f.reason) for f in result.failures]
    return dict(result.inputs)


def create(**news: Any) -> dict[str, Any]:
    """check then create; returns the outputs with the id under "id"."""
    result = provider().create(checked(**news))
    return {**(result.outs or {}), "id": result.id}


def failures(**news: Any) -> list[tuple[str, str]]:
    result = provider().check({}, {"name": "support", "prefix": "tuning", **news})
    return [(f.property, f.reason) for f in result.failures]


def object_bytes(datasets: Datasets, uri: str) -> bytes:
    bucket, name = gcs.split_uri(uri)
    return bytes(datasets.client.bucket(bucket).blob(name).download_as_bytes())


def object_exists(datasets: Datasets, uri: str) -> bool:
    bucket, name = gcs.split_uri(uri)
    return bool(datasets.client.bucket(bucket).blob(name).exists())


# --- check -------------------------------------------------------------------------------------


def test_check_hashes_the_file_and_normalises_the_prefix(datasets: Datasets) -> None:
    inputs = checked(source=str(GOOD), bucket=datasets.bucket.name, prefix="/tuning/support/")
    assert inputs["content_hash"] == hashlib.sha256(GOOD.read_bytes()).hexdigest()
    assert inputs["prefix"] == "tuning/support"
    assert inputs["retain_on_delete"] is False


@pytest.mark.parametrize(("name", "line", "path", "fragment"), BROKEN, ids=[b[0] for b in BROKEN])
def test_each_broken_file_fails_check_with_its_line_and_field(
    name: str, line: int, path: str, fragment: str
) -> None:
    source = str(DATA / f"{name}.jsonl")
    found = failures(source=source, bucket="some-bucket")
    where = f"line {line}: {path}: " if path else f"line {line}: "
    assert any(
        prop == "source" and reason.startswith(where) and fragment in reason
        for prop, reason in found
    ), found


def test_check_shows_the_first_errors_and_counts_the_rest(tmp_path: Path) -> None:
    system = '"systemInstruction": {{"parts": [{{"text": "n{}"}}]}}'
    source = write(
        tmp_path / "bad.jsonl", [f'{{"contents": [], {system.format(i)}}}' for i in range(50)]
    )
    found = failures(source=str(source), bucket="some-bucket")
    assert len(found) == 21
    assert found[0][1].startswith("line 1: ")
    assert found[-1] == (
        "source",
        f"... and 30 more errors (`vertex-tuning validate {source}` lists them all)",
    )


@pytest.mark.parametrize(
    ("news", "prop", "fragment"),
    [
        ({"source": "/nowhere/train.jsonl"}, "source", "No such file or directory"),
        ({"bucket": "gs://bkt/data"}, "bucket", "must be a bucket name, without gs://"),
        ({"bucket": "Bad_Bucket"}, "bucket", "is not a Cloud Storage bucket name"),
        ({"validation_fraction": 0}, "validation_fraction", "greater than 0"),
        ({"validation_fraction": 0.6}, "validation_fraction", "less than or equal to 0.5"),
        ({"validation_fraction": 0.05}, "validation_fraction", "of 6 examples holds out none"),
        (
            {"epochs": 3},
            "epochs",
            "is not a TrainingDataset input (known: base_model, bucket, epoch_count, method, name",
        ),
    ],
)
def test_bad_inputs_fail_check_naming_the_field_and_rule(
    news: dict[str, Any], prop: str, fragment: str
) -> None:
    found = failures(**{"source": str(GOOD), "bucket": "some-bucket", **news})
    assert any(p == prop and fragment in reason for p, reason in found), found


def test_a_split_holding_out_more_than_the_validation_maximum_fails_check(
    tmp_path: Path,
) -> None:
    source = write(tmp_path / "big.jsonl", distinct(30_000))
    found = failures(source=str(source), bucket="some-bucket", validation_fraction=0.2)
    assert found == [
        (
            "validation_fraction",
            "0.2 of 30,000 examples holds out 6,000, over the maximum of 5,000 for a "
            'validation dataset (the service\'s "Maximum validation dataset size")',
        )
    ]


def test_check_during_preview_leaves_unknown_inputs_for_later() -> None:
    from pulumi.output import Unknown

    unknown = Unknown()
    result = provider().check({}, {"name": "support", "source": str(GOOD), "bucket": unknown})
    assert result.failures == []
    assert result.inputs["bucket"] is unknown
    assert result.inputs["content_hash"] == hashlib.sha256(GOOD.read_bytes()).hexdigest()
    result = provider().check({}, {"name": "support", "source": unknown, "bucket": "bkt"})
    assert result.failures == []
    assert result.inputs["content_hash"] is unknown


def test_check_and_diff_import_no_google_client_library() -> None:
    script = textwrap.dedent(
        f"""
        import sys
        from vertex_tuning.resources.training_dataset import TrainingDatasetProvider
        p = TrainingDatasetProvider()
        checked = p.check({{}}, {{"name": "d", "source": {str(GOOD)!r}, "bucket": "bkt"}})
        assert not checked.failures, checked.failures
        p.diff("id", checked.inputs, checked.inputs)
        heavy = [m for m in sys.modules if m.startswith(("google.cloud.", "google.api_core",
                 "google.auth", "requests"))]
        print(heavy)
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"  # after the row's cost line


# --- diff --------------------------------------------------------------------------------------


def test_diff_replaces_on_content_and_placement_but_not_on_where_the_file_lives(
    tmp_path: Path,
) -> None:
    olds = {**checked(source=str(GOOD), bucket="bkt"), "uri": "gs://bkt/x", "__provider": "p"}

    def diff(**news: Any) -> tuple[bool, list[str]]:
        result = provider().diff("id", olds, {**checked(**news), "__provider": "p"})
        return bool(result.changes), sorted(result.replaces or [])

    moved = tmp_path / "moved.jsonl"
    moved.write_bytes(GOOD.read_bytes())
    edited = write(tmp_path / "edited.jsonl", GOOD.read_text().splitlines()[:-1])
    assert diff(source=str(GOOD), bucket="bkt") == (False, [])
    assert diff(source=str(moved), bucket="bkt") == (False, [])
    assert diff(source=str(edited), bucket="bkt") == (True, ["content_hash"])
    assert diff(source=str(GOOD), bucket="other") == (True, ["bucket"])
    assert diff(source=str(GOOD), bucket="bkt", validation_fraction=0.2) == (
        True,
        ["validation_fraction"],
    )
    assert diff(source=str(GOOD), bucket="bkt", retain_on_delete=True) == (True, [])
    assert provider().diff("id", olds, olds).delete_before_replace is False
    assert {"bucket", "prefix", "name", "validation_fraction", "content_hash"} == REPLACE_ON_CHANGE


# --- create, read, delete ----------------------------------------------------------------------


def test_create_uploads_the_file_under_its_content_hash(
    datasets: Datasets, capsys: pytest.CaptureFixture[str]
) -> None:
    digest = hashlib.sha256(GOOD.read_bytes()).hexdigest()
    outs = create(source=str(GOOD), bucket=datasets.bucket.name)
    uri = f"gs://{datasets.bucket.name}/tuning/support-{digest[:16]}.jsonl"
    assert outs["id"] == outs["uri"] == uri
    estimate, uploaded = capsys.readouterr().out.split("\n", 1)  # check's line, then create's
    assert estimate.startswith("training dataset support: cost estimate: 134 tokens/epoch")
    assert uploaded == (
        f"training dataset: uploaded {uri}: 6 examples, ~133 tokens\n"
        "  warning: dataset: only 6 examples; at least 100 are recommended\n"
    )
    assert object_bytes(datasets, uri) == GOOD.read_bytes()
    assert outs["validation_uri"] == ""  # not None: that would be unknown at every preview
    assert outs["content_hash"] == digest
    assert (outs["examples"], outs["training_examples"], outs["validation_examples"]) == (6, 6, 0)
    assert (outs["text_characters"], outs["estimated_tokens"], outs["duplicates"]) == (532, 133, 0)
    assert outs["warnings"] == ["dataset: only 6 examples; at least 100 are recommended"]
    assert outs["stats"] == dataset.validate_file(GOOD).to_json()["stats"]


def test_changed_content_is_a_new_object_and_the_old_one_stays(
    datasets: Datasets, tmp_path: Path
) -> None:
    source = write(tmp_path / "train.jsonl", distinct(10))
    first = create(source=str(source), bucket=datasets.bucket.name)
    write(source, distinct(11))
    second = create(source=str(source), bucket=datasets.bucket.name)
    assert first["uri"] != second["uri"]
    assert object_exists(datasets, first["uri"]) and object_exists(datasets, second["uri"])
    assert second["examples"] == 11


def test_split_is_deterministic_exact_and_publishes_both_objects(
    datasets: Datasets, tmp_path: Path
) -> None:
    lines = distinct(200)
    source = write(tmp_path / "train.jsonl", lines)
    outs = create(source=str(source), bucket=datasets.bucket.name, validation_fraction=0.15)
    assert outs["validation_uri"] == outs["uri"].removesuffix(".jsonl") + "-validation.jsonl"
    train = object_bytes(datasets, outs["uri"]).decode().splitlines()
    held_out = object_bytes(datasets, outs["validation_uri"]).decode().splitlines()
    assert (len(train), len(held_out)) == (170, 30)
    assert (outs["training_examples"], outs["validation_examples"]) == (170, 30)
    assert sorted(train + held_out) == sorted(lines)
    assert dataset.validate_lines(held_out, purpose="validation").ok
    # Another resource (another name, bucket prefix) splits the same file the same way.
    again = create(source=str(source), bucket=datasets.bucket.name, prefix="other", name="copy")
    assert again["validation_uri"] == ""  # no split asked: the whole file
    copy = create(
        source=str(source), bucket=datasets.bucket.name, name="copy", validation_fraction=0.15
    )
    assert object_bytes(datasets, copy["validation_uri"]).decode().splitlines() == held_out


def test_a_different_fraction_is_a_different_object_even_when_the_split_is_the_same(
    datasets: Datasets, tmp_path: Path
) -> None:
    # 10 examples: 0.1 and 0.12 both hold out one. Same names would let the replacement's
    # delete of the old objects remove the new ones.
    source = write(tmp_path / "train.jsonl", distinct(10))
    a = create(source=str(source), bucket=datasets.bucket.name, validation_fraction=0.1)
    b = create(source=str(source), bucket=datasets.bucket.name, validation_fraction=0.12)
    assert object_bytes(datasets, a["validation_uri"]) == object_bytes(
        datasets, b["validation_uri"]
    )
    assert a["uri"] != b["uri"] and a["validation_uri"] != b["validation_uri"]


def test_create_refuses_a_file_changed_since_check(datasets: Datasets, tmp_path: Path) -> None:
    source = write(tmp_path / "train.jsonl", distinct(5))
    inputs = checked(source=str(source), bucket=datasets.bucket.name)
    write(source, distinct(6))
    with pytest.raises(SourceChanged, match="the file changed after it was checked"):
        provider().create(inputs)
    assert list(datasets.bucket.list_blobs()) == []


def test_create_into_a_missing_bucket_names_the_bucket(storage_url: str) -> None:
    with pytest.raises(gcs.ApiError, match="bucket 'no-such-bucket-x1' does not exist"):
        create(source=str(GOOD), bucket="no-such-bucket-x1")


def test_refresh_sees_an_object_deleted_or_overwritten_and_up_uploads_it_again(
    datasets: Datasets,
) -> None:
    outs = create(source=str(GOOD), bucket=datasets.bucket.name, validation_fraction=0.5)
    same = provider().read(outs["id"], outs)
    assert same.id == outs["id"] and (same.outs or {})["drift"] == ""
    _, validation = gcs.split_uri(outs["validation_uri"])
    _, training = gcs.split_uri(outs["uri"])
    original = datasets.bucket.blob(training).download_as_bytes()
    datasets.bucket.blob(validation).delete()
    datasets.bucket.blob(training).upload_from_string(b'{"contents": []}\n')

    seen = provider().read(outs["id"], outs)
    drift = (seen.outs or {})["drift"]
    assert seen.id == outs["id"]  # kept: the next up repairs it
    assert (
        f"{outs['validation_uri']} is gone" in drift and f"{outs['uri']} was overwritten" in drift
    )
    refreshed = {**outs, **(seen.outs or {})}
    news = {k: v for k, v in outs.items() if k in TrainingDatasetInputs.model_fields}
    planned = provider().diff(outs["id"], refreshed, news)
    assert planned.changes is True and planned.replaces == []

    repaired = provider().update(outs["id"], refreshed, news).outs or {}
    assert repaired["drift"] == ""
    assert datasets.bucket.blob(training).download_as_bytes() == original
    assert datasets.bucket.blob(validation).exists()
    assert (provider().read(outs["id"], repaired).outs or {})["drift"] == ""


def test_delete_removes_both_objects_and_is_done_when_they_are_already_gone(
    datasets: Datasets,
) -> None:
    outs = create(source=str(GOOD), bucket=datasets.bucket.name, validation_fraction=0.5)
    provider().delete(outs["id"], outs)
    assert not object_exists(datasets, outs["uri"])
    assert not object_exists(datasets, outs["validation_uri"])
    provider().delete(outs["id"], outs)  # already gone: success


def test_retain_on_delete_keeps_the_objects(datasets: Datasets) -> None:
    outs = create(source=str(GOOD), bucket=datasets.bucket.name, retain_on_delete=True)
    provider().delete(outs["id"], outs)
    assert object_exists(datasets, outs["uri"])


def test_update_changes_behaviour_only_and_keeps_every_output(datasets: Datasets) -> None:
    outs = create(source=str(GOOD), bucket=datasets.bucket.name)
    news = {**checked(source=str(GOOD), bucket=datasets.bucket.name, retain_on_delete=True)}
    updated = provider().update(outs["id"], outs, news).outs or {}
    assert updated["retain_on_delete"] is True
    assert (updated["uri"], updated["examples"]) == (outs["uri"], outs["examples"])


def test_a_large_dataset_uploads_splits_and_passes_the_remote_check(
    datasets: Datasets, tmp_path: Path
) -> None:
    lines = distinct(50_000)
    source = write(tmp_path / "large.jsonl", lines)
    outs = create(source=str(source), bucket=datasets.bucket.name, validation_fraction=0.1)
    assert (outs["training_examples"], outs["validation_examples"]) == (45_000, 5_000)
    said: list[str] = []
    storage = gcs.client(settings.resolve(), PROJECT)
    gcs.verify_datasets(
        storage,
        [(outs["uri"], "training"), (outs["validation_uri"], "validation")],
        emit=said.append,
    )
    assert said == [
        f"checked training data {outs['uri']}: 45,000 examples, OK",
        f"checked validation data {outs['validation_uri']}: 5,000 examples, OK",
    ]
    whole = create(source=str(source), bucket=datasets.bucket.name, name="whole")
    assert object_bytes(datasets, whole["uri"]) == source.read_bytes()


def test_the_pickled_provider_carries_no_config_or_credentials() -> None:
    from pulumi.dynamic import Config, ConfigureRequest

    p = TrainingDatasetProvider()
    p.configure(ConfigureRequest(Config({"vertex-tuning:accessToken": "ya29.SECRET"}, "project")))
    assert p.config_get("vertex-tuning:accessToken") == "ya29.SECRET"
    assert b"ya29.SECRET" not in dill.dumps(p)
    assert dill.loads(dill.dumps(p)).config_get("vertex-tuning:accessToken") is None
