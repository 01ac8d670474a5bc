#!/usr/bin/env bash
# CI on a pull request: `pulumi preview --diff` of STACK with the policy pack (and its config
# for that stack, policies/config/STACK.json, when there is one), then the pull request
# comment: preview-STACK.md (changes, policy results, cost estimate, the diff). Run from the
# project's directory. Exits as the preview did: a mandatory policy violation fails the check.
set -uo pipefail
stack=${1:?usage: ci/preview.sh STACK}
ci=$(cd "$(dirname "$0")" && pwd)
pack=${POLICY_PACK:-$ci/../policies}
# Every tuning job at once: the engine's default --parallel is 4 per CPU (8 on a 2-CPU runner),
# and past it jobs tune in waves. vertex-tuning's host serves twice this many requests at once.
export PULUMI_PARALLEL=${PULUMI_PARALLEL:-64}
out=${PREVIEW_DIR:-$PWD}
flags=(--policy-pack "$pack")
if [ -f "$pack/config/$stack.json" ]; then flags+=(--policy-pack-config "$pack/config/$stack.json"); fi

pulumi stack select "$stack" --create --non-interactive || exit
pulumi preview --diff --non-interactive --stack "$stack" "${flags[@]}" >"$out/preview-$stack.txt" 2>&1
status=$?
cat "$out/preview-$stack.txt"
# The same plan as data, for the change counts and the cost estimate (no policies: checked above).
pulumi preview --json --non-interactive --stack "$stack" >"$out/preview-$stack.json" 2>/dev/null
python3 "$ci/preview_comment.py" "$stack" "$status" "$out/preview-$stack.txt" \
    "$out/preview-$stack.json" >"$out/preview-$stack.md"
exit "$status"
