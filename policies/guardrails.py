"""The guardrails, as pure functions over what the engine shows a policy: each resource's type,
name, URN, inputs, `protect` option and property dependencies.

No Pulumi import here: __main__.py adapts pulumi_policy's arguments to `Resource` and reports
what these functions return, so the rules read (and are tested) as plain data in, messages out.
Each message names the resource, the rule and the fix.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

TYPE_PREFIX = "pulumi-python:dynamic/vertex-tuning:"
TUNING_JOB = TYPE_PREFIX + "TuningJob"
TRAINING_DATASET = TYPE_PREFIX + "TrainingDataset"
SMOKE_TEST = TYPE_PREFIX + "ModelSmokeTest"
#: Resources that gate an endpoint: the update fails unless the tuned model passes them.
#: (An evaluation resource joins this set when it exists.)
GATES = frozenset({SMOKE_TEST, TYPE_PREFIX + "ModelEvaluation"})

#: The stack tag that names a stack's environment (`pulumi stack tag set KEY prod`); without it
#: the stack's name is its environment.
ENVIRONMENT_TAG = "vertex-tuning:environment"
#: Stack tags that ask for CMEK and a dedicated service account (value "true").
CMEK_TAG = "vertex-tuning:require-cmek"
SERVICE_ACCOUNT_TAG = "vertex-tuning:require-service-account"
COST_INPUT = "estimated_cost_usd"

DEFAULT_MODELS = ("gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-2.5-pro")
DEFAULT_REGIONS = ("us-central1", "us-east4", "europe-west4")
DEFAULT_PROD = ("prod", "production")
DEFAULT_LABELS = ("team", "environment")


class Unknown:
    """An input whose value the engine does not know yet (computed by another resource)."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = Unknown()


@dataclass(frozen=True)
class Resource:
    """One resource as a policy sees it; unknown inputs are UNKNOWN."""

    type: str
    name: str
    urn: str
    props: Mapping[str, Any]
    protect: bool = False
    #: input name -> URNs of the resources that input's value comes from
    dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)

    @property
    def stack(self) -> str:
        """The stack's name, from the URN (urn:pulumi:STACK::PROJECT::TYPE::NAME)."""
        return self.urn.split(":", 3)[2].split("::", 1)[0] if self.urn.startswith("urn:") else ""

    def get(self, key: str) -> Any:
        return self.props.get(key)

    @property
    def title(self) -> str:
        return f"{self.type.removeprefix(TYPE_PREFIX)} '{self.name}'"


def is_true(value: str | None) -> bool:
    return (value or "").strip().lower() in ("true", "yes", "1")


def environment(resource: Resource, tags: Mapping[str, str]) -> str:
    """The stack's environment: its `vertex-tuning:environment` tag, else the stack's name."""
    return tags.get(ENVIRONMENT_TAG) or resource.stack


def is_prod(resource: Resource, tags: Mapping[str, str], prod: Iterable[str]) -> bool:
    """A prod stack, or a resource labelled for prod in any stack."""
    names = {p.lower() for p in prod}
    labels = resource.get("labels")
    label = labels.get("environment") if isinstance(labels, Mapping) else None
    return environment(resource, tags).lower() in names or (
        isinstance(label, str) and label.lower() in names
    )


def allowed_base_model(job: Resource, models: Sequence[str]) -> list[str]:
    model = job.get("base_model")
    # A tuned model's resource name continues tuning one of ours: its base was checked then.
    if not isinstance(model, str) or model.startswith("projects/") or model in models:
        return []
    return [
        f"{job.title} tunes base model '{model}', which is not allowed here "
        f"(allowed: {', '.join(models)}). Fix: set base_model to one of them, or add it to "
        "this policy's `models` in the policy pack config."
    ]


def allowed_region(resource: Resource, regions: Sequence[str]) -> list[str]:
    where = resource.get("location")
    if not isinstance(where, str) or where in regions:
        return []
    return [
        f"{resource.title} runs in region '{where}', which is not allowed here "
        f"(allowed: {', '.join(regions)}). Fix: set location (or the stack's gcp:region) to one "
        "of them, or add it to this policy's `regions` in the policy pack config."
    ]


def required_labels(job: Resource, required: Sequence[str]) -> list[str]:
    labels = job.get("labels")
    if labels is UNKNOWN:
        return []
    labels = labels if isinstance(labels, Mapping) else {}
    missing = [k for k in required if labels.get(k) in (None, "")]
    if not missing:
        return []
    return [
        f"{job.title} has no {' or '.join(repr(k) for k in missing)} label. "
        f"Fix: add labels={{{', '.join(f'{k!r}: ...' for k in missing)}}} to the TuningJob."
    ]


def cmek_and_service_account(
    job: Resource, tags: Mapping[str, str], require_kms: bool, require_sa: bool
) -> list[str]:
    found = []
    if (require_kms or is_true(tags.get(CMEK_TAG))) and not job.get("kms_key_name"):
        found.append(
            f"{job.title} has no kms_key_name, and this stack requires customer-managed "
            "encryption (CMEK). Fix: set kms_key_name='projects/P/locations/L/keyRings/R/"
            "cryptoKeys/K' (a key in the job's region)."
        )
    if (require_sa or is_true(tags.get(SERVICE_ACCOUNT_TAG))) and not job.get("service_account"):
        found.append(
            f"{job.title} has no service_account, and this stack requires the job to run as "
            "its own service account. Fix: set service_account='NAME@PROJECT.iam.gserviceaccount"
            ".com'."
        )
    return found


def prod_protected(job: Resource) -> list[str]:
    if job.protect:
        return []
    return [
        f"{job.title} is not protected in a prod stack. Fix: pass "
        "opts=pulumi.ResourceOptions(protect=True) (the stacks here: vertex-tuning:protect true)."
    ]


def prod_validation_data(job: Resource, by_urn: Mapping[str, Resource]) -> list[str]:
    """Held-out data: a validation URI, or (not known at preview) a dataset that splits one off."""
    uri = job.get("validation_dataset_uri")
    if isinstance(uri, str) and uri:
        return []
    if uri is UNKNOWN:
        sources = [
            by_urn[u] for u in job.dependencies.get("validation_dataset_uri", ()) if u in by_urn
        ]
        datasets = [s for s in sources if s.type == TRAINING_DATASET]
        if not datasets or any(_splits(d) for d in datasets):
            return []  # computed elsewhere: the URI is checked at `up`, when it is known
    return [
        f"{job.title} holds out no validation data in a prod stack. Fix: set "
        "validation_fraction=0.1 on its TrainingDataset (or pass validation_dataset_uri)."
    ]


def _splits(dataset: Resource) -> bool:
    fraction = dataset.get("validation_fraction")
    return fraction is UNKNOWN or (isinstance(fraction, int | float) and fraction > 0)


def prod_endpoint_gate(job: Resource, resources: Iterable[Resource]) -> list[str]:
    """Some gate (a ModelSmokeTest, an evaluation) takes this job's endpoint as its input."""
    for gate in resources:
        if gate.type in GATES and job.urn in gate.dependencies.get("endpoint", ()):
            return []
    return [
        f"{job.title} has no smoke test or evaluation on its endpoint in a prod stack. Fix: add "
        "vertex_tuning.ModelSmokeTest(..., endpoint=job.tuned_model_endpoint, cases=[...])."
    ]


def cost(resource: Resource) -> float | None:
    value = resource.get(COST_INPUT)
    return float(value) if isinstance(value, int | float) else None


def cost_cap(resource: Resource, max_usd: float) -> list[str]:
    usd = cost(resource)
    if usd is None or usd <= max_usd:
        return []
    return [
        f"{resource.title} is estimated at {usd:.2f} USD, over this stack's cap of "
        f"{max_usd:.2f} USD. Fix: fewer epochs, a smaller model or less data; or raise "
        "`maxUsd` of this policy in the policy pack config."
    ]


def cost_not_estimated(job: Resource, max_usd: float) -> list[str]:
    if COST_INPUT in job.props:
        return []
    return [
        f"{job.title} has no {COST_INPUT}, so the cost cap ({max_usd:.2f} USD) is not checked "
        "for it. Fix: none needed yet; the cap applies once the resource reports an estimate."
    ]
