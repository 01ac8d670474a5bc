#!/usr/bin/env bash
# CI on merge: `pulumi up` of STACK with the policy pack (and policies/config/STACK.json), then
# the check that the deployed stack matches its code and config (exit 7 if not). Run from the
# project's directory.
set -euo pipefail
stack=${1:?usage: ci/up.sh STACK}
ci=$(cd "$(dirname "$0")" && pwd)
pack=${POLICY_PACK:-$ci/../policies}
# Every tuning job at once: the engine's default --parallel is 4 per CPU (8 on a 2-CPU runner),
# and past it jobs tune in waves. vertex-tuning's host serves twice this many requests at once.
export PULUMI_PARALLEL=${PULUMI_PARALLEL:-64}
flags=(--policy-pack "$pack")
if [ -f "$pack/config/$stack.json" ]; then flags+=(--policy-pack-config "$pack/config/$stack.json"); fi

pulumi stack select "$stack" --create --non-interactive
pulumi up --yes --non-interactive --stack "$stack" "${flags[@]}"
pulumi preview --diff --expect-no-changes --non-interactive --stack "$stack"
