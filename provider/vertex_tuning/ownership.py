"""Which cloud resources are this Pulumi resource's own: the label it writes on its job.

Vertex AI has no idempotency key, so every job carries a fingerprint label; a create that was
interrupted (or whose answer was lost) finds its job by it instead of paying for a second one.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

from vertex_tuning import wire

if TYPE_CHECKING:
    from vertex_tuning.resources.tuning_job_inputs import TuningJobInputs

FINGERPRINT_LABEL = "pulumi-vertex-tuning"
#: Labels the provider writes itself; users may not set them.
RESERVED_LABELS = frozenset({FINGERPRINT_LABEL})


def fingerprint(inputs: TuningJobInputs) -> str:
    """Identifies "this resource with this spec": label value used to adopt, not resubmit."""
    spec = {
        k: v for k, v in inputs.model_dump(mode="json").items() if k in inputs.replace_on_change()
    }
    payload = json.dumps({"key": inputs.resource_key, "spec": spec}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def labels(inputs: TuningJobInputs, value: str) -> dict[str, str]:
    """The job's labels: the user's, and the fingerprint."""
    return {**inputs.labels, FINGERPRINT_LABEL: value}


def job_filter(value: str) -> str:
    """The ListTuningJobs filter that finds the jobs carrying this fingerprint."""
    return wire.label_filter(FINGERPRINT_LABEL, value)
