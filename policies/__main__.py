"""vertex-tuning-guardrails: a CrossGuard policy pack for Gemini tuning stacks.

    pulumi preview --policy-pack policies [--policy-pack-config policies/config/prod.json]

Which rules apply where: the lists (models, regions, labels, prod environments, cost cap) are
this pack's config, per policy, as `--policy-pack-config` passes them; the prod rules apply to a
stack whose environment is prod: its `vertex-tuning:environment` stack tag, else its name (from
the URN), or to a job labelled environment=prod. CMEK and a service account are required by the
pack config or by the stack tags `vertex-tuning:require-cmek` / `...:require-service-account`.
(Stack config itself is not readable here: the Python language host the engine install builds,
v3.128, starts the pack without it; stack tags and pack config reach every host.)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

import guardrails as g


def plain(value: Any) -> Any:
    """pulumi_policy's proxies (which raise on unknown values) as dicts and lists with UNKNOWN."""
    if isinstance(value, Mapping):
        out = {}
        for key in value:
            try:
                out[key] = plain(value[key])
            except UnknownValueError:
                out[key] = g.UNKNOWN
        return out
    if isinstance(value, Sequence) and not isinstance(value, str):
        items = []
        for i in range(len(value)):
            try:
                items.append(plain(value[i]))
            except UnknownValueError:
                items.append(g.UNKNOWN)
        return items
    return value


def resource(args: Any) -> g.Resource:
    """A ResourceValidationArgs or PolicyResource as guardrails sees it."""
    dependencies = getattr(args, "property_dependencies", None) or {}
    return g.Resource(
        type=args.resource_type,
        name=args.name,
        urn=args.urn,
        props=plain(args.props),
        protect=bool(args.opts.protect),
        dependencies={k: [d.urn for d in v] for k, v in dependencies.items()},
    )


def config(args: Any, key: str, default: Any) -> Any:
    value = (args.get_config() or {}).get(key)
    return default if value is None else value


def prod_names(args: Any) -> list[str]:
    return list(config(args, "environments", g.DEFAULT_PROD))


def report_all(report: ReportViolation, messages: list[str], urn: str | None = None) -> None:
    for message in messages:
        report(message, urn)


Check = Callable[[ResourceValidationArgs, g.Resource], list[str]]


def on_jobs(check: Check, types: frozenset[str] | None = frozenset({g.TUNING_JOB})) -> Any:
    """A resource policy of `check` for resources of `types` (None: every vertex-tuning type)."""

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        kind = args.resource_type
        if kind in types if types is not None else kind.startswith(g.TYPE_PREFIX):
            report_all(report, check(args, resource(args)))

    return validate


def on_prod_stack(check: Callable[[g.Resource, list[g.Resource]], list[str]]) -> Any:
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        resources = [resource(r) for r in args.resources]
        prod = config(args, "environments", g.DEFAULT_PROD)
        for job in resources:
            if job.type == g.TUNING_JOB and g.is_prod(job, args.stack_tags, prod):
                report_all(report, check(job, resources), job.urn)

    return validate


def _list_schema(description: str, default: tuple[str, ...]) -> dict[str, Any]:
    return {
        "type": "array",
        "items": {"type": "string"},
        "description": description,
        "default": list(default),
    }


PROD_SCHEMA = PolicyConfigSchema(
    {"environments": _list_schema("Environments held to the prod rules.", g.DEFAULT_PROD)}
)

POLICIES: list[ResourceValidationPolicy | StackValidationPolicy] = [
    ResourceValidationPolicy(
        name="vertex-allowed-base-models",
        description="Tuning jobs start from an approved Gemini base model.",
        config_schema=PolicyConfigSchema(
            {"models": _list_schema("Base models allowed.", g.DEFAULT_MODELS)}
        ),
        validate=on_jobs(
            lambda args, job: g.allowed_base_model(job, config(args, "models", g.DEFAULT_MODELS))
        ),
    ),
    ResourceValidationPolicy(
        name="vertex-allowed-regions",
        description="Tuning jobs and smoke tests run in approved regions.",
        config_schema=PolicyConfigSchema(
            {"regions": _list_schema("Regions allowed.", g.DEFAULT_REGIONS)}
        ),
        validate=on_jobs(
            lambda args, r: g.allowed_region(r, config(args, "regions", g.DEFAULT_REGIONS)),
            frozenset({g.TUNING_JOB, g.SMOKE_TEST}),
        ),
    ),
    ResourceValidationPolicy(
        name="vertex-required-labels",
        description="Tuning jobs carry the labels that say who owns them and where they run.",
        config_schema=PolicyConfigSchema(
            {"labels": _list_schema("Labels every tuning job needs.", g.DEFAULT_LABELS)}
        ),
        validate=on_jobs(
            lambda args, job: g.required_labels(job, config(args, "labels", g.DEFAULT_LABELS))
        ),
    ),
    ResourceValidationPolicy(
        name="vertex-cmek-and-service-account",
        description="Where the stack asks for it, jobs use CMEK and run as their own service "
        "account.",
        config_schema=PolicyConfigSchema(
            {
                "requireKmsKey": {"type": "boolean", "default": False},
                "requireServiceAccount": {"type": "boolean", "default": False},
            }
        ),
        validate=on_jobs(
            lambda args, job: g.cmek_and_service_account(
                job,
                args.stack_tags,
                bool(config(args, "requireKmsKey", False)),
                bool(config(args, "requireServiceAccount", False)),
            )
        ),
    ),
    ResourceValidationPolicy(
        name="vertex-prod-protected",
        description="A prod tuned model is protected from deletion and replacement.",
        config_schema=PROD_SCHEMA,
        validate=on_jobs(
            lambda args, job: (
                g.prod_protected(job) if g.is_prod(job, args.stack_tags, prod_names(args)) else []
            )
        ),
    ),
    StackValidationPolicy(
        name="vertex-prod-validation-data",
        description="A prod tuning job holds out validation data.",
        config_schema=PROD_SCHEMA,
        validate=on_prod_stack(
            lambda job, resources: g.prod_validation_data(job, {r.urn: r for r in resources})
        ),
    ),
    StackValidationPolicy(
        name="vertex-prod-endpoint-gate",
        description="A prod tuned endpoint is gated by a smoke test or an evaluation.",
        config_schema=PROD_SCHEMA,
        validate=on_prod_stack(g.prod_endpoint_gate),
    ),
    ResourceValidationPolicy(
        name="vertex-cost-cap",
        description="A resource's estimated cost stays under the stack's cap.",
        config_schema=PolicyConfigSchema(
            {"maxUsd": {"type": "number", "default": 500, "description": "Cap in USD."}}
        ),
        validate=on_jobs(lambda args, r: g.cost_cap(r, float(config(args, "maxUsd", 500))), None),
    ),
    ResourceValidationPolicy(
        name="vertex-cost-estimate",
        description="Notes tuning jobs the cost cap cannot check yet (no estimate).",
        enforcement_level=EnforcementLevel.ADVISORY,
        config_schema=PolicyConfigSchema(
            {"maxUsd": {"type": "number", "default": 500, "description": "Cap in USD."}}
        ),
        validate=on_jobs(
            lambda args, job: g.cost_not_estimated(job, float(config(args, "maxUsd", 500)))
        ),
    ),
]

PolicyPack(
    name="vertex-tuning-guardrails",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=POLICIES,
)
