"""Which cloud resources are this Pulumi resource's own, told by labels only it can write.

Vertex AI has no idempotency key, so every job this provider submits carries two labels:
- the owner: a hash of the resource's full URN (its project, stack, parent chain, type and
  name) and of its stack's StackIdentity token, a random value that exists only in that stack's
  state (resources/stack_identity.py). Two unrelated backends with alike stack and resource
  names, or two same-named children of different components, can never share it;
- the fingerprint: the owner and the training spec, so an interrupted create (or one whose
  answer was lost) adopts its own job with this very spec instead of paying twice.
The service copies a job's labels to the tuned model and its endpoints; nothing is adopted or
deleted whose owner label says another resource.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

from vertex_tuning import wire

if TYPE_CHECKING:
    from vertex_tuning.resources.tuning_job_inputs import TuningJobInputs

FINGERPRINT_LABEL = "pulumi-vertex-tuning"
OWNER_LABEL = "pulumi-vertex-tuning-owner"
#: Labels the provider writes itself; users may not set them.
RESERVED_LABELS = frozenset({FINGERPRINT_LABEL, OWNER_LABEL})


def owner(inputs: TuningJobInputs) -> str:
    """The owner label's value: this resource in this stack, and nothing else."""
    return owner_of(inputs.resource_key, inputs.stack_token)


def owner_of(resource_key: str, stack_token: str) -> str:
    payload = json.dumps({"urn": resource_key, "stack": stack_token})
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def recorded_owner(props: Mapping[str, object]) -> str:
    """The owner a resource's state says it is: as labelled at create, else as its inputs say
    (a resource created before owners were labelled, now updated with its stack's token)."""
    labelled = str(props.get("owner") or "")
    if labelled or not props.get("stack_token"):
        return labelled
    return owner_of(str(props.get("resource_key") or ""), str(props.get("stack_token")))


def fingerprint(inputs: TuningJobInputs) -> str:
    """Identifies "this resource with this spec": label value used to adopt, not resubmit."""
    spec = {
        k: v for k, v in inputs.model_dump(mode="json").items() if k in inputs.replace_on_change()
    }
    payload = json.dumps({"owner": owner(inputs), "spec": spec}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def labels(inputs: TuningJobInputs, fingerprint_value: str) -> dict[str, str]:
    """The job's labels: the user's, the owner and the fingerprint."""
    return {**inputs.labels, OWNER_LABEL: owner(inputs), FINGERPRINT_LABEL: fingerprint_value}


def job_filter(fingerprint_value: str) -> str:
    """The ListTuningJobs filter that finds the jobs carrying this fingerprint."""
    return wire.label_filter(FINGERPRINT_LABEL, fingerprint_value)


def owner_filter(owner_value: str) -> str:
    """The ListTuningJobs filter that finds every job of this owner."""
    return wire.label_filter(OWNER_LABEL, owner_value)


def belongs_to(labels_found: Mapping[str, str], recorded_owner: str) -> bool:
    """Whether a cloud resource with these labels may be treated as the recorded owner's.

    A resource labelled by another owner never is. One with no owner label is: it was made
    before owners were labelled, outside Pulumi and imported, or its labels were not copied.
    """
    found = labels_found.get(OWNER_LABEL, "")
    return not found or not recorded_owner or found == recorded_owner
