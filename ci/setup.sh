#!/usr/bin/env bash
# CI, first step of every job: the program's virtualenv (.venv, as Pulumi.yaml names it) with
# this package, and the policy pack's own (policies/.venv). The engine comes from the workflow
# (pulumi/actions) or from scripts/install-pulumi.sh; this only checks it is on PATH.
# Idempotent: a second run on the same checkout installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
if [ ! -x .venv/bin/pulumi-resource-pulumi-python ]; then
    "$python" -m venv .venv
    .venv/bin/pip install --quiet --upgrade pip
    .venv/bin/pip install --quiet .
fi
scripts/install-policy-pack.sh >/dev/null
echo "ci/setup: $(pulumi version) with $(.venv/bin/vertex-tuning --version)"
