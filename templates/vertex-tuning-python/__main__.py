"""A tuned Gemini model for this stack's environment: the training data, the tuning job and a
smoke test of the tuned endpoint.

Settings are the stack's `vertex-tuning:` config (Pulumi.dev.yaml, Pulumi.prod.yaml). Point it
at the local emulator with VERTEX_API_ENDPOINT and STORAGE_EMULATOR_HOST; against Google Cloud
leave both unset and run `gcloud auth application-default login` first.
"""

from pathlib import Path

import pulumi

import vertex_tuning

config = pulumi.Config("vertex-tuning")
environment = config.get("environment") or pulumi.get_stack()
base_model = config.get("baseModel") or "gemini-2.5-flash"
# A protected model cannot be deleted or replaced by accident; it and its data outlive the stack.
protect = config.get_bool("protect") or False

data = vertex_tuning.TrainingDataset(
    "training-data",
    source=str(Path(__file__).parent / (config.get("trainingData") or "data/train.jsonl")),
    bucket=config.require("dataBucket"),
    validation_fraction=config.get_float("validationFraction"),
    retain_on_delete=protect,
)

job = vertex_tuning.TuningJob(
    "tuned-model",
    base_model=base_model,
    training_dataset_uri=data.uri,
    validation_dataset_uri=data.validation_uri,
    epoch_count=config.get_int("epochCount"),
    learning_rate_multiplier=config.get_float("learningRateMultiplier"),
    adapter_size=config.get("adapterSize"),
    service_account=config.get("serviceAccount"),
    kms_key_name=config.get("kmsKeyName"),
    labels={
        "team": config.require("team"),
        "environment": environment,
        "managed-by": "pulumi",
    },
    timeout=config.get("timeout") or "8h",
    poll_interval=config.get("pollInterval"),
    max_poll_interval=config.get("maxPollInterval"),
    on_delete="keep" if protect else "delete_endpoint",
    opts=pulumi.ResourceOptions(protect=protect),
)

pulumi.export("tuned_model_endpoint", job.tuned_model_endpoint)
pulumi.export("tuned_model_endpoint_uri", job.tuned_model_endpoint_uri)
pulumi.export("tuned_model", job.tuned_model_name)
pulumi.export("training_data_uri", data.uri)

# The update fails unless every answer of the tuned endpoint meets its case's expectations
# (the policy pack requires this gate in prod).
cases = config.get_object("smokeTests") or []
if cases:
    smoke = vertex_tuning.ModelSmokeTest(
        "smoke-test",
        endpoint=job.tuned_model_endpoint,
        location=job.location,
        base_model=base_model,
        cases=cases,
    )
    pulumi.export(
        "smoke_test_answers", smoke.results.apply(lambda rs: {r["name"]: r["answer"] for r in rs})
    )
