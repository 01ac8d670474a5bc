"""The policy pack (policies/) run for real: `pulumi preview --policy-pack policies` on the
engine from scripts/install-pulumi.sh, the pack in its own virtualenv
(scripts/install-policy-pack.sh), a passing and a violating stack per rule.

The stacks are one small program (TrainingDataset -> TuningJob -> ModelSmokeTest) whose inputs
come from spec.json, so each case changes one thing. A preview calls no Google API, so no
emulator is needed here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
TRAINING_DATA = REPO / "stacks" / "data" / "support-train.jsonl"

PROGRAM = f'''\
"""A tuned model from spec.json: {{"data": TrainingDataset args, "job": TuningJob args,
"protect": bool, "smoke": bool, "cost": estimated_cost_usd of a stand-in resource or null}}."""

import json
from pathlib import Path

import pulumi
from pulumi.dynamic import CreateResult, Resource, ResourceProvider

import vertex_tuning

spec = json.loads((Path(__file__).parent / "spec.json").read_text())
data = vertex_tuning.TrainingDataset("training-data", source={str(TRAINING_DATA)!r}, **spec["data"])
job = vertex_tuning.TuningJob(
    "tuned-model",
    training_dataset_uri=data.uri,
    validation_dataset_uri=data.validation_uri,
    opts=pulumi.ResourceOptions(protect=spec["protect"]),
    **spec["job"],
)
if spec["smoke"]:
    vertex_tuning.ModelSmokeTest(
        "smoke-test",
        endpoint=job.tuned_model_endpoint,
        location=job.location,
        cases=[{{"prompt": "What is your refund policy?", "contains": ["30 days"]}}],
    )


class EstimateProvider(ResourceProvider):
    def create(self, props):
        return CreateResult("estimate", props)


class CostEstimate(Resource, module="vertex-tuning", name="CostEstimate"):
    """A stand-in that reports estimated_cost_usd, as the cost estimate will."""

    def __init__(self, name, usd):
        super().__init__(EstimateProvider(), name, {{"estimated_cost_usd": usd}})


if spec["cost"] is not None:
    CostEstimate("cost-estimate", spec["cost"])
'''


def spec(env: str = "dev", **changes: Any) -> dict[str, Any]:
    """A stack that passes every rule in `env`, with `changes` (job args under "job")."""
    prod = env == "prod"
    base: dict[str, Any] = {
        "data": {"bucket": "policy-tests", "validation_fraction": 0.1 if prod else None},
        "job": {
            "base_model": "gemini-2.5-flash",
            "project": "test-project",
            "location": "us-central1",
            "labels": {"team": "support", "environment": env},
        },
        "protect": prod,
        "smoke": prod,
        "cost": None,
    }
    for key, value in changes.items():
        if key in ("protect", "smoke", "cost"):
            base[key] = value
        elif key == "validation_fraction":
            base["data"]["validation_fraction"] = value
        else:
            base["job"][key] = value
    return base


class Stack:
    """A project directory with one stack, previewed with the policy pack through the CLI."""

    def __init__(self, root: Path, env: dict[str, str], name: str, pack: str) -> None:
        self.root, self.env, self.name, self.pack = root, env, name, pack
        root.mkdir(parents=True)
        (root / "Pulumi.yaml").write_text(
            "name: policy-e2e\n"
            "runtime:\n"
            "  name: python\n"
            "  options:\n"
            "    toolchain: pip\n"
            f"    virtualenv: {Path(sys.prefix)}\n"
            "plugins:\n"
            "  providers:\n"
            "    - name: pulumi-python\n"
            f"      path: {Path(sys.executable).parent}\n"
        )
        (root / "__main__.py").write_text(PROGRAM)
        self.pulumi("stack", "init", name)

    def pulumi(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["pulumi", *args, "--non-interactive"],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def tag(self, key: str, value: str) -> None:
        done = self.pulumi("stack", "tag", "set", key, value, "--stack", self.name)
        assert done.returncode == 0, done.stderr

    def preview(self, spec: dict[str, Any], pack_config: dict[str, Any] | None = None) -> Result:
        (self.root / "spec.json").write_text(json.dumps(spec))
        flags = ["--policy-pack", self.pack]
        if pack_config is not None:
            path = self.root / "pack-config.json"
            path.write_text(json.dumps(pack_config))
            flags += ["--policy-pack-config", str(path)]
        done = self.pulumi("preview", "--stack", self.name, *flags)
        return Result(done.returncode, done.stdout + done.stderr)


class Result:
    def __init__(self, returncode: int, output: str) -> None:
        self.returncode, self.output = returncode, output

    def violations(self, level: str = "mandatory") -> list[str]:
        """Policy names reported at `level`, in order."""
        return [
            line.split(f"[{level}]", 1)[1].split()[0]
            for line in self.output.splitlines()
            if f"[{level}]" in line
        ]


@pytest.fixture
def new_stack(pulumi_env: dict[str, str], policy_pack: str, tmp_path: Path) -> Any:
    def make(name: str = "dev") -> Stack:
        return Stack(tmp_path / f"project-{name}", pulumi_env, name, policy_pack)

    return make


def test_a_dev_and_a_prod_stack_that_follow_every_rule_pass(new_stack: Any) -> None:
    for env in ("dev", "prod"):
        result = new_stack(env).preview(spec(env))
        assert result.returncode == 0, result.output
        assert result.violations() == [], result.output
        assert "vertex-tuning-guardrails" in result.output


#: rule, stack, the spec's change, the message's words (resource, rule, fix)
VIOLATIONS = [
    (
        "vertex-allowed-base-models",
        "dev",
        {"base_model": "gemini-2.0-flash-001"},
        ["TuningJob 'tuned-model'", "base model 'gemini-2.0-flash-001'", "Fix: set base_model"],
    ),
    (
        "vertex-allowed-regions",
        "dev",
        {"location": "asia-northeast1"},
        ["TuningJob 'tuned-model'", "region 'asia-northeast1'", "Fix: set location"],
    ),
    (
        "vertex-required-labels",
        "dev",
        {"labels": {"environment": "dev"}},
        ["TuningJob 'tuned-model'", "no 'team' label", "Fix: add labels={'team': ...}"],
    ),
    (
        "vertex-prod-protected",
        "prod",
        {"protect": False},
        ["TuningJob 'tuned-model'", "not protected in a prod stack", "protect=True"],
    ),
    (
        "vertex-prod-validation-data",
        "prod",
        {"validation_fraction": None},
        ["TuningJob 'tuned-model'", "no validation data", "Fix: set validation_fraction=0.1"],
    ),
    (
        "vertex-prod-endpoint-gate",
        "prod",
        {"smoke": False},
        ["TuningJob 'tuned-model'", "no smoke test or evaluation", "ModelSmokeTest"],
    ),
    (
        "vertex-cost-cap",
        "dev",
        {"cost": 900.0},
        ["CostEstimate 'cost-estimate'", "900.00 USD, over this stack's cap of 500.00", "Fix:"],
    ),
]


@pytest.fixture(scope="module")
def violating_previews(
    pulumi_bin: str, policy_pack: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Result]:
    """Each rule's violating stack, previewed four at a time (each is its own project and
    backend; the engine, program and pack are separate processes): rule -> its preview."""
    base = tmp_path_factory.mktemp("violations")

    def preview(rule: str, env: str, change: dict[str, Any]) -> Result:
        state = base / rule / "state"
        state.mkdir(parents=True)
        shell = {
            **os.environ,
            "PULUMI_BACKEND_URL": f"file://{state}",
            "PULUMI_CONFIG_PASSPHRASE": "e2e-passphrase",
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DIY_BACKEND_NO_LEGACY_WARNING": "true",
        }
        return Stack(base / rule / "project", shell, env, policy_pack).preview(spec(env, **change))

    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {
            rule: pool.submit(preview, rule, env, change) for rule, env, change, _ in VIOLATIONS
        }
        return {rule: future.result() for rule, future in futures.items()}


@pytest.mark.parametrize(
    ("rule", "env", "change", "words"), VIOLATIONS, ids=[v[0] for v in VIOLATIONS]
)
def test_each_rule_fails_a_violating_stack_naming_resource_rule_and_fix(
    violating_previews: dict[str, Result],
    rule: str,
    env: str,
    change: dict[str, Any],
    words: list[str],
) -> None:
    result = violating_previews[rule]
    assert result.returncode != 0, result.output
    assert result.violations() == [rule], result.output
    for word in words:
        assert word in result.output, result.output


def test_the_cost_cap_passes_under_it_and_notes_jobs_without_an_estimate(new_stack: Any) -> None:
    result = new_stack().preview(spec(cost=50.0))
    assert result.returncode == 0, result.output
    assert result.violations() == []
    assert result.violations("advisory") == ["vertex-cost-estimate"]
    assert "TuningJob 'tuned-model' has no estimated_cost_usd" in result.output


def test_a_stack_tag_makes_any_stack_prod(new_stack: Any) -> None:
    stack = new_stack("live")
    assert stack.preview(spec("live")).returncode == 0
    stack.tag("vertex-tuning:environment", "prod")
    result = stack.preview(spec("live"))
    assert sorted(result.violations()) == [
        "vertex-prod-endpoint-gate",
        "vertex-prod-protected",
        "vertex-prod-validation-data",
    ], result.output


def test_cmek_and_a_service_account_where_the_stack_or_the_pack_config_asks(
    new_stack: Any,
) -> None:
    stack = new_stack()
    stack.tag("vertex-tuning:require-cmek", "true")
    result = stack.preview(spec())
    assert result.violations() == ["vertex-cmek-and-service-account"], result.output
    assert "TuningJob 'tuned-model' has no kms_key_name" in result.output
    assert "Fix: set kms_key_name=" in result.output

    key = "projects/test-project/locations/us-central1/keyRings/tuning/cryptoKeys/models"
    assert stack.preview(spec(kms_key_name=key)).returncode == 0

    config = {"vertex-cmek-and-service-account": {"requireServiceAccount": True}}
    result = stack.preview(spec(kms_key_name=key), config)
    assert result.violations() == ["vertex-cmek-and-service-account"], result.output
    assert "has no service_account" in result.output
    account = "tuner@test-project.iam.gserviceaccount.com"
    assert stack.preview(spec(kms_key_name=key, service_account=account), config).returncode == 0


def test_the_pack_config_sets_the_lists(new_stack: Any) -> None:
    stack = new_stack()
    config = {"vertex-allowed-base-models": {"models": ["gemini-2.5-pro"]}}
    result = stack.preview(spec(), config)
    assert result.violations() == ["vertex-allowed-base-models"], result.output
    assert "(allowed: gemini-2.5-pro)" in result.output
    result = stack.preview(spec(), {"vertex-cost-cap": {"maxUsd": "a lot"}})
    assert result.returncode != 0
    assert "maxUsd" in result.output  # the engine checks the config against the pack's schema
