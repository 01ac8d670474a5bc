"""Google's published tuning samples (python-docs-samples `genai/tuning`, newest revision, which
tune gemini-3.5-flash) replayed against the emulator through google-genai 3.6.1: our own tests
making the same sequence of calls, in the API version each sample asks for, with only the
endpoint and credentials changed. Where a sample sleeps 60 s between polls, the test moves the
job one detailed state on through the control API instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from google.genai import errors, types

pytestmark = pytest.mark.filterwarnings("ignore:The SDK's tuning implementation is experimental")

RUNNING_STATES = {"JOB_STATE_PENDING", "JOB_STATE_RUNNING"}
DETAILS = [
    "TUNING_JOB_STATE_WAITING_FOR_QUOTA",
    "TUNING_JOB_STATE_PROCESSING_DATASET",
    "TUNING_JOB_STATE_WAITING_FOR_CAPACITY",
    "TUNING_JOB_STATE_TUNING",
    "TUNING_JOB_STATE_POST_PROCESSING",
]
SKY = "Why is the sky blue?"
SKY_ANSWER = (
    "Sunlight scatters off the molecules of the air, and blue light scatters the most, "
    "so the whole sky glows blue."
)
LESSONS = [
    (SKY, SKY_ANSWER),
    ("Why is the sea salty?", "Rivers carry dissolved minerals to the sea, where they stay."),
    ("Why do leaves fall?", "Trees drop leaves in autumn to save water through the winter."),
]


def conversation(prompt: str, answer: str) -> dict[str, Any]:
    return {
        "contents": [
            {"role": "user", "parts": [{"text": prompt}]},
            {"role": "model", "parts": [{"text": answer}]},
        ]
    }


@pytest.fixture
def sft_data(datasets: Any) -> tuple[str, str]:
    """(training, validation) gs:// URIs of a small supervised dataset."""
    training = datasets.upload("sft_train_data.jsonl", [conversation(*pair) for pair in LESSONS])
    validation = datasets.upload("sft_validation_data.jsonl", [conversation(*LESSONS[0])])
    return training, validation


def evaluation_config(output_uri_prefix: str) -> types.EvaluationConfig:
    return types.EvaluationConfig(
        metrics=[types.Metric(name="FLUENCY", prompt_template="Evaluate this {response}")],
        output_config=types.OutputConfig(
            gcs_destination=types.GcsDestination(output_uri_prefix=output_uri_prefix)
        ),
    )


def wait(emulator: Any, client: Any, job: Any) -> tuple[Any, list[Any]]:
    """The samples' polling loop; the control API moves the job where they sleep."""
    details = []
    while job.state in RUNNING_STATES:
        details.append(job.tuning_job_state)
        emulator.control.step(job.name)
        job = client.tunings.get(name=job.name)
    return job, details


def tune(
    emulator: Any, client: Any, training: str, validation: str | None = None, **config: Any
) -> Any:
    """A finished job of gemini-3.5-flash named "Example tuning job", as the samples make."""
    job = client.tunings.tune(
        base_model=config.pop("base_model", "gemini-3.5-flash"),
        training_dataset=types.TuningDataset(gcs_uri=training),
        config=types.CreateTuningJobConfig(
            tuned_model_display_name="Example tuning job",
            validation_dataset=types.TuningDataset(gcs_uri=validation) if validation else None,
            **config,
        ),
    )
    return wait(emulator, client, job)[0]


def text(client: Any, model: str, prompt: str = SKY) -> str:
    return str(client.models.generate_content(model=model, contents=prompt).text)


# -- tuning_job_create.py, tuning_with_checkpoints_create.py ----------------------------------


@pytest.mark.parametrize("api_version", ["v1beta1", "v1"])
def test_tuning_job_create_with_evaluation(
    emulator: Any, genai_client: Callable[..., Any], sft_data: tuple[str, str], api_version: str
) -> None:
    client = genai_client(api_version)  # the sample asks for v1beta1; v1 answers too
    training, validation = sft_data
    job = client.tunings.tune(
        base_model="gemini-3.5-flash",
        training_dataset=types.TuningDataset(gcs_uri=training),
        config=types.CreateTuningJobConfig(
            tuned_model_display_name="Example tuning job",
            validation_dataset=types.TuningDataset(gcs_uri=validation),
            evaluation_config=evaluation_config("gs://my-bucket/evaluation"),
        ),
    )
    assert job.state == "JOB_STATE_PENDING"  # so the sample's loop polls at all

    job, details = wait(emulator, client, job)

    assert job.state == "JOB_STATE_SUCCEEDED" and job.has_succeeded
    # tuningJobState is v1beta1 only: v1 never shows it.
    assert details == (DETAILS if api_version == "v1beta1" else [None] * len(DETAILS))
    parent = job.name.split("/tuningJobs/")[0]
    assert re.fullmatch(rf"{parent}/models/\d{{19}}@1", job.tuned_model.model)
    assert re.fullmatch(rf"{parent}/endpoints/\d{{19}}", job.tuned_model.endpoint)
    assert re.fullmatch(
        rf"{parent}/metadataStores/default/contexts/tuning-experiment-\d+", job.experiment
    )
    # Intermediate checkpoints are on by default: one per epoch (3 when unset), the last final.
    checkpoints = job.tuned_model.checkpoints
    assert [(c.checkpoint_id, c.epoch) for c in checkpoints] == [("1", 1), ("2", 2), ("3", 3)]
    assert checkpoints[-1].endpoint == job.tuned_model.endpoint
    assert len({c.endpoint for c in checkpoints}) == 3
    # One evaluation run per checkpoint; later checkpoints score no worse (values are emulated).
    runs = job.evaluate_dataset_runs
    assert [run.checkpoint_id for run in runs] == ["1", "2", "3"]
    averages = [
        result.pointwise_metric_result.score
        for run in runs
        for result in run.evaluate_dataset_response.aggregation_output.aggregation_results
        if result.aggregation_metric == "AVERAGE"
    ]
    assert averages == sorted(averages) and averages[-1] == 5.0 > averages[0] >= 1.0
    assert all(run.evaluation_run.startswith(f"{parent}/evaluationRuns/") for run in runs)
    assert job.gcs_metrics_uri.startswith("gs://my-bucket/evaluation/")


@pytest.mark.parametrize("last_only", [False, True])
def test_tuning_with_checkpoints_create(
    emulator: Any, genai_client: Callable[..., Any], sft_data: tuple[str, str], last_only: bool
) -> None:
    client = genai_client("v1beta1")
    job = tune(
        emulator,
        client,
        *sft_data,
        epoch_count=12,
        export_last_checkpoint_only=last_only,
        evaluation_config=evaluation_config("gs://my-bucket/evaluation"),
    )

    model = client.models.get(model=job.tuned_model.model)
    if last_only:
        # Only the final checkpoint exists; the job lists none, as the API reference says.
        assert not job.tuned_model.checkpoints
        assert [c.checkpoint_id for c in model.checkpoints] == ["1"]
        assert len(model.endpoints) == 1
        return
    # From 10 epochs on, about 10 checkpoints spread evenly; the last is after the last epoch.
    checkpoints = job.tuned_model.checkpoints
    assert len(checkpoints) == 10
    assert checkpoints[-1].epoch == 12
    steps = [c.step for c in checkpoints]
    assert steps == sorted(steps) and len(set(steps)) == 10
    assert model.default_checkpoint_id == checkpoints[-1].checkpoint_id
    assert len(model.endpoints) == 10


# -- preference_tuning_job_create.py --------------------------------------------------------


def preference(prompt: str, better: str, worse: str) -> dict[str, Any]:
    return {
        "system_instruction": {"parts": [{"text": "You are a concise assistant."}]},
        "contents": [{"role": "user", "parts": [{"text": prompt}]}],
        "completions": [
            {"score": 0, "completion": {"role": "model", "parts": [{"text": worse}]}},
            {"score": 1, "completion": {"role": "model", "parts": [{"text": better}]}},
        ],
    }


def test_preference_tuning_job_create(
    emulator: Any, genai_client: Callable[..., Any], datasets: Any
) -> None:
    client = genai_client("v1")
    rows = [preference(q, a, "I do not know.") for q, a in LESSONS]
    training = datasets.upload("preference_tuning/data/train_data.jsonl", rows)
    validation = datasets.upload("preference_tuning/data/validation_data.jsonl", rows[:1])

    job = client.tunings.tune(
        base_model="gemini-3.5-flash",
        training_dataset=types.TuningDataset(gcs_uri=training),
        config=types.CreateTuningJobConfig(
            tuned_model_display_name="Example tuning job",
            method="PREFERENCE_TUNING",
            validation_dataset=types.TuningDataset(gcs_uri=validation),
        ),
    )
    assert job.preference_optimization_spec.training_dataset_uri == training
    job, _ = wait(emulator, client, job)

    assert job.state == "JOB_STATE_SUCCEEDED"
    stats = job.tuning_data_stats.preference_optimization_data_stats
    assert stats.tuning_dataset_example_count == 3
    assert stats.scores_distribution.mean == 0.5
    assert stats.user_dataset_examples[0].completions[1].score == 1
    # It makes a model like supervised tuning does, answering with the preferred completion.
    assert text(client, job.tuned_model.endpoint) == SKY_ANSWER


def test_preference_tuning_with_beta(
    emulator: Any, genai_client: Callable[..., Any], datasets: Any
) -> None:
    client = genai_client("v1beta1")
    training = datasets.upload("pref.jsonl", [preference(q, a, "No idea.") for q, a in LESSONS])
    job = tune(
        emulator,
        client,
        training,
        method="PREFERENCE_TUNING",
        beta=0.1,
        epoch_count=2,
        adapter_size="ADAPTER_SIZE_EIGHT",
    )
    hyper = job.preference_optimization_spec.hyper_parameters
    assert (hyper.beta, hyper.epoch_count, hyper.adapter_size) == (0.1, 2, "ADAPTER_SIZE_EIGHT")
    assert [c.epoch for c in job.tuned_model.checkpoints] == [1, 2]


def test_preference_tuning_rejects_supervised_data(
    emulator: Any, genai_client: Callable[..., Any], sft_data: tuple[str, str]
) -> None:
    client = genai_client("v1")
    job = tune(emulator, client, sft_data[0], method="PREFERENCE_TUNING")
    assert job.state == "JOB_STATE_FAILED"
    assert 'missing required field "completions"' in job.error.message
    assert job.error.message.startswith("Invalid training data format at line 1")


def test_preference_tuning_of_a_model_without_it_is_invalid(
    genai_client: Callable[..., Any], datasets: Any
) -> None:
    client = genai_client("v1")
    training = datasets.upload("p.jsonl", [preference(SKY, SKY_ANSWER, "No.")])
    with pytest.raises(errors.ClientError) as raised:
        client.tunings.tune(
            base_model="gemini-2.5-pro",
            training_dataset=types.TuningDataset(gcs_uri=training),
            config=types.CreateTuningJobConfig(method="PREFERENCE_TUNING"),
        )
    assert raised.value.code == 400
    assert "preferenceOptimizationSpec is not supported for gemini-2.5-pro" in str(raised.value)


# -- tuning_with_pretuned_model.py (continuous tuning) -----------------------------------------


def test_tuning_with_pretuned_model_makes_the_next_version(
    emulator: Any, genai_client: Callable[..., Any], sft_data: tuple[str, str], datasets: Any
) -> None:
    client = genai_client("v1beta1")
    first = tune(emulator, client, *sft_data)
    more = datasets.upload(
        "more.jsonl", [conversation("What are your hours?", "We open nine to five on weekdays.")]
    )

    # The sample passes the tuned model as base_model and a checkpoint id in the config.
    second = client.tunings.tune(
        base_model=first.tuned_model.model,
        training_dataset=types.TuningDataset(gcs_uri=more),
        config=types.CreateTuningJobConfig(
            tuned_model_display_name="Example tuning job",
            pre_tuned_model_checkpoint_id="1",
        ),
    )
    assert second.pre_tuned_model.tuned_model_name == first.tuned_model.model
    assert second.pre_tuned_model.base_model == "gemini-3.5-flash"
    second, _ = wait(emulator, client, second)

    model, version = first.tuned_model.model.split("@")
    assert version == "1"
    assert second.tuned_model.model == f"{model}@2"  # the same registry model, next version
    assert client.models.get(model=model).version == "2"  # the new version is the default
    assert client.models.get(model=f"{model}@1").version == "1"
    # It learned the new data, and starts from checkpoint 1 of 3 of the old: a third of it.
    endpoint = second.tuned_model.endpoint
    assert text(client, endpoint, "what are your hours") == "We open nine to five on weekdays."
    old = text(client, endpoint)
    assert SKY_ANSWER.startswith(old) and len(old.split()) == 7  # ceil(19 / 3) words


def test_continuous_tuning_inherits_the_display_name_or_makes_a_new_model(
    emulator: Any, genai_client: Callable[..., Any], sft_data: tuple[str, str]
) -> None:
    client = genai_client("v1beta1")
    first = tune(emulator, client, *sft_data)

    inherited = client.tunings.tune(
        base_model=first.tuned_model.model,
        training_dataset=types.TuningDataset(gcs_uri=sft_data[0]),
    )
    assert inherited.tuned_model_display_name == "Example tuning job"
    renamed = client.tunings.tune(
        base_model=first.tuned_model.model,
        training_dataset=types.TuningDataset(gcs_uri=sft_data[0]),
        config=types.CreateTuningJobConfig(tuned_model_display_name="A new model"),
    )
    inherited, _ = wait(emulator, client, inherited)
    renamed, _ = wait(emulator, client, renamed)

    model = first.tuned_model.model.removesuffix("@1")
    assert inherited.tuned_model.model == f"{model}@2"
    assert renamed.tuned_model.model.endswith("@1")
    assert not renamed.tuned_model.model.startswith(model)
    # Without a checkpoint id the default (final) checkpoint is the start: it knows it all.
    assert text(client, inherited.tuned_model.endpoint) == SKY_ANSWER


def test_continuous_tuning_from_an_unknown_checkpoint_is_invalid(
    emulator: Any, genai_client: Callable[..., Any], sft_data: tuple[str, str]
) -> None:
    client = genai_client("v1beta1")
    first = tune(emulator, client, *sft_data)
    with pytest.raises(errors.ClientError) as raised:
        client.tunings.tune(
            base_model=first.tuned_model.model,
            training_dataset=types.TuningDataset(gcs_uri=sft_data[0]),
            config=types.CreateTuningJobConfig(pre_tuned_model_checkpoint_id="9"),
        )
    assert 'preTunedModel.checkpointId "9"' in str(raised.value)


# -- tuning_job_get.py, tuning_job_list.py, tuning_job_cancel.py ---------------------------------


def test_tuning_job_get(
    emulator: Any, genai_client: Callable[..., Any], sft_data: tuple[str, str]
) -> None:
    name = tune(emulator, genai_client("v1beta1"), *sft_data).name
    client = genai_client("v1")  # kept: a Client closes its connections when collected

    job = client.tunings.get(name=name)
    assert job.tuned_model.model.endswith("@1")
    assert job.tuned_model.endpoint.startswith(name.split("/tuningJobs/")[0] + "/endpoints/")
    assert "/metadataStores/default/contexts/tuning-experiment-" in job.experiment
    assert job.tuning_job_state is None and job.end_time >= job.start_time


def test_tuning_job_list(
    emulator: Any, genai_client: Callable[..., Any], sft_data: tuple[str, str]
) -> None:
    client = genai_client("v1")
    created = [
        client.tunings.tune(
            base_model="gemini-2.5-flash", training_dataset=types.TuningDataset(gcs_uri=sft_data[0])
        ).name
        for _ in range(7)
    ]
    assert [job.name for job in client.tunings.list()] == created[::-1]
    # The pager follows nextPageToken.
    pager = client.tunings.list(config=types.ListTuningJobsConfig(page_size=3))
    assert [job.name for job in pager] == created[::-1]
    assert emulator.control.request_counts()["ListTuningJobs"] == 1 + 3


def test_tuning_job_cancel(
    emulator: Any, genai_client: Callable[..., Any], sft_data: tuple[str, str]
) -> None:
    client = genai_client("v1")
    job = client.tunings.tune(
        base_model="gemini-3.5-flash", training_dataset=types.TuningDataset(gcs_uri=sft_data[0])
    )
    emulator.control.advance(job.name)

    client.tunings.cancel(name=job.name)
    assert client.tunings.get(name=job.name).state == "JOB_STATE_CANCELLING"
    emulator.control.advance(job.name)
    job = client.tunings.get(name=job.name)
    assert job.state == "JOB_STATE_CANCELLED" and job.has_ended and not job.has_succeeded
    assert job.error.code == 1 and job.tuned_model is None
    with pytest.raises(errors.ClientError) as raised:
        client.tunings.cancel(name=job.name)
    assert raised.value.status == "FAILED_PRECONDITION"


# -- tuning_textgen_with_txt.py and the checkpoint samples ----------------------------------------


def test_tuning_textgen_with_txt(
    emulator: Any, genai_client: Callable[..., Any], sft_data: tuple[str, str]
) -> None:
    name = tune(emulator, genai_client("v1beta1"), *sft_data).name
    client = genai_client("v1")
    job = client.tunings.get(name=name)
    response = client.models.generate_content(model=job.tuned_model.endpoint, contents=SKY)
    assert response.text == SKY_ANSWER
    assert response.candidates[0].finish_reason == "STOP"
    assert response.usage_metadata.total_token_count > 0


def test_tuning_with_checkpoints_list_checkpoints(
    emulator: Any, genai_client: Callable[..., Any], sft_data: tuple[str, str]
) -> None:
    name = tune(emulator, genai_client("v1beta1"), *sft_data, epoch_count=2).name
    client = genai_client("v1")
    job = client.tunings.get(name=name)
    checkpoints = job.tuned_model.checkpoints
    assert [(c.checkpoint_id, c.epoch, c.step) for c in checkpoints] == [("1", 1, 1), ("2", 2, 2)]
    assert checkpoints[1].endpoint == job.tuned_model.endpoint != checkpoints[0].endpoint


def test_tuning_with_checkpoints_get_model(
    emulator: Any, genai_client: Callable[..., Any], sft_data: tuple[str, str]
) -> None:
    name = tune(emulator, genai_client("v1beta1"), *sft_data, epoch_count=2).name
    client = genai_client("v1")
    job = client.tunings.get(name=name)
    model = client.models.get(model=job.tuned_model.model)
    assert model.name == job.tuned_model.model.removesuffix("@1")
    assert model.display_name == "Example tuning job" and model.version == "1"
    assert model.default_checkpoint_id == "2"
    assert [(c.checkpoint_id, c.epoch, c.step) for c in model.checkpoints] == [
        ("1", 1, 1),
        ("2", 2, 2),
    ]
    assert {e.name for e in model.endpoints} == {c.endpoint for c in job.tuned_model.checkpoints}


def test_tuning_with_checkpoints_set_default_checkpoint(
    emulator: Any, genai_client: Callable[..., Any], sft_data: tuple[str, str]
) -> None:
    name = tune(emulator, genai_client("v1beta1"), *sft_data, epoch_count=2).name
    client = genai_client("v1")
    job = client.tunings.get(name=name)
    tuned_model = client.models.get(model=job.tuned_model.model)
    assert tuned_model.default_checkpoint_id == "2"

    # google-genai sends no updateMask: the emulator takes the fields the body sets.
    updated = client.models.update(
        model=tuned_model.name, config=types.UpdateModelConfig(default_checkpoint_id="1")
    )
    assert updated.default_checkpoint_id == "1"
    job = client.tunings.get(name=name)
    assert job.tuned_model.endpoint == job.tuned_model.checkpoints[0].endpoint
    # No retraining: the tuned endpoint now answers as checkpoint 1 (half of the training).
    assert text(client, job.tuned_model.endpoint) == " ".join(SKY_ANSWER.split()[:10])
    assert emulator.control.request_counts()["CreateTuningJob"] == 1


def test_tuning_with_checkpoints_textgen_with_txt(
    emulator: Any, genai_client: Callable[..., Any], sft_data: tuple[str, str]
) -> None:
    name = tune(emulator, genai_client("v1beta1"), *sft_data, epoch_count=2).name
    client = genai_client("v1")
    job = client.tunings.get(name=name)
    final = text(client, job.tuned_model.endpoint)
    first = text(client, job.tuned_model.checkpoints[0].endpoint)
    second = text(client, job.tuned_model.checkpoints[1].endpoint)

    # Each checkpoint answers distinguishably: half-way through training, half the answer.
    assert final == second == SKY_ANSWER
    assert first == " ".join(SKY_ANSWER.split()[:10]) != final


# -- what google-genai sends that the schema must take --------------------------------------------


def test_unknown_fields_from_a_newer_sdk_are_rejected_naming_them(
    genai_client: Callable[..., Any], sft_data: tuple[str, str]
) -> None:
    client = genai_client("v1")
    # reinforcementTuningSpec exists in v1beta1 only: in v1 the field is unknown.
    with pytest.raises(errors.ClientError) as raised:
        client.tunings.tune(
            base_model="gemini-3.5-flash",
            training_dataset=types.TuningDataset(gcs_uri=sft_data[0]),
            config=types.CreateTuningJobConfig(method="REINFORCEMENT_TUNING"),
        )
    assert raised.value.status == "INVALID_ARGUMENT"
    assert 'Unknown name "reinforcementTuningSpec"' in str(raised.value)
    beta = genai_client("v1beta1")
    with pytest.raises(errors.ClientError) as raised:
        beta.tunings.tune(
            base_model="gemini-3.5-flash",
            training_dataset=types.TuningDataset(gcs_uri=sft_data[0]),
            config=types.CreateTuningJobConfig(method="REINFORCEMENT_TUNING"),
        )
    assert "reinforcementTuningSpec is not supported for gemini-3.5-flash" in str(raised.value)


def test_a_model_only_the_service_knows_tunes(
    emulator: Any, genai_client: Callable[..., Any], sft_data: tuple[str, str]
) -> None:
    client = genai_client("v1beta1")
    job = tune(
        emulator,
        client,
        sft_data[0],
        base_model="gemini-3.6-flash-preview",  # the emulator's model no provider catalog has
        adapter_size="ADAPTER_SIZE_THIRTY_TWO",
    )
    assert job.state == "JOB_STATE_SUCCEEDED"
    assert job.supervised_tuning_spec.hyper_parameters.adapter_size == "ADAPTER_SIZE_THIRTY_TWO"
    assert text(client, job.tuned_model.endpoint) == SKY_ANSWER


@pytest.mark.parametrize("api_version", ["v1beta1", "v1"])
def test_a_base_model_answers_through_its_publisher_path(
    genai_client: Callable[..., Any], api_version: str
) -> None:
    client = genai_client(api_version)
    reply = text(client, "gemini-3.5-flash")
    assert "base model gemini-3.5-flash" in reply and SKY_ANSWER not in reply
    with pytest.raises(errors.ClientError) as raised:
        client.models.generate_content(model="gemini-9-ultra", contents=SKY)
    assert raised.value.code == 404


@pytest.mark.parametrize("api_version", ["v1", "v1beta1"])
def test_count_tokens_answers_google_genai_as_the_emulator_bills(
    genai_client: Callable[..., Any], api_version: str
) -> None:
    from vertex_tuning.emulator import tokens

    client = genai_client(api_version)
    response = client.models.count_tokens(
        model="gemini-2.5-flash",
        contents=[SKY, "Answer in one word."],
        config=types.CountTokensConfig(system_instruction="You are terse."),
    )
    assert response.total_tokens == sum(
        tokens.count(text) for text in (SKY, "Answer in one word.", "You are terse.")
    )
    with pytest.raises(errors.ClientError) as info:
        client.models.count_tokens(model="gemini-9-ultra", contents=SKY)
    assert info.value.code == 404
