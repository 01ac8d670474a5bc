"""TuningJob as a typed Pulumi resource."""

from __future__ import annotations

import os
from typing import Any

import pulumi
from pulumi.dynamic import Resource

from vertex_tuning import settings
from vertex_tuning.provider import TuningJobProvider
from vertex_tuning.wire import OUTPUT_KEYS


def _stack_config(key: str) -> str | None:
    """`namespace:name` from the stack's config, as the provider's configure() sees it."""
    namespace, _, name = key.partition(":")
    return pulumi.Config(namespace).get(name)


class TuningJob(Resource, module="vertex-tuning", name="TuningJob"):
    """A Gemini supervised tuning job on Vertex AI; `pulumi up` waits until the model is tuned.

    Spec inputs (base_model, datasets, hyperparameters, labels, project, location, ...) replace
    the job when they change; behaviour inputs (timeout, poll_interval, max_poll_interval,
    on_delete, validate_data) update in place. Unless `validate_data` is False, the gs://
    datasets must exist and pass the validator before anything is submitted. Outputs include the tuned model's endpoint and its URL.
    """

    job_name: pulumi.Output[str]
    state: pulumi.Output[str]
    tuned_model_name: pulumi.Output[str]
    tuned_model_endpoint: pulumi.Output[str]
    tuned_model_endpoint_uri: pulumi.Output[str]
    tuning_data_stats: pulumi.Output[dict[str, Any]]
    experiment: pulumi.Output[str]
    create_time: pulumi.Output[str]
    end_time: pulumi.Output[str]
    project: pulumi.Output[str]
    location: pulumi.Output[str]
    tuned_model_display_name: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        base_model: pulumi.Input[str],
        training_dataset_uri: pulumi.Input[str],
        validation_dataset_uri: pulumi.Input[str] | None = None,
        tuned_model_display_name: pulumi.Input[str] | None = None,
        description: pulumi.Input[str] | None = None,
        epoch_count: pulumi.Input[int] | None = None,
        learning_rate_multiplier: pulumi.Input[float] | None = None,
        adapter_size: pulumi.Input[str | int] | None = None,
        labels: pulumi.Input[dict[str, pulumi.Input[str]]] | None = None,
        project: pulumi.Input[str] | None = None,
        location: pulumi.Input[str] | None = None,
        service_account: pulumi.Input[str] | None = None,
        kms_key_name: pulumi.Input[str] | None = None,
        timeout: pulumi.Input[str | float] | None = None,
        poll_interval: pulumi.Input[str | float] | None = None,
        max_poll_interval: pulumi.Input[str | float] | None = None,
        on_delete: pulumi.Input[str] | None = None,
        validate_data: pulumi.Input[bool] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        settings.refuse_plaintext_token()
        props: dict[str, Any] = {
            "base_model": base_model,
            "training_dataset_uri": training_dataset_uri,
            "validation_dataset_uri": validation_dataset_uri,
            "tuned_model_display_name": tuned_model_display_name,
            "description": description,
            "epoch_count": epoch_count,
            "learning_rate_multiplier": learning_rate_multiplier,
            "adapter_size": adapter_size,
            "labels": labels,
            "project": project or settings.default_project(_stack_config, os.environ),
            "location": location or settings.default_location(_stack_config, os.environ),
            "service_account": service_account,
            "kms_key_name": kms_key_name,
            "timeout": timeout,
            "poll_interval": poll_interval,
            "max_poll_interval": max_poll_interval,
            "on_delete": on_delete,
            "validate_data": validate_data,
            "resource_key": f"{pulumi.get_project()}/{pulumi.get_stack()}/{resource_name}",
            **dict.fromkeys(OUTPUT_KEYS),
        }
        super().__init__(TuningJobProvider(), resource_name, props, opts)
