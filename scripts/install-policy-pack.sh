#!/usr/bin/env bash
# Makes the policy pack's own virtualenv, policies/.venv, from policies/requirements.txt
# (pulumi-policy pins protobuf 5; the program's virtualenv has 6, so the two cannot share one).
# `pulumi preview --policy-pack policies` runs the pack with it (PulumiPolicy.yaml names it); the
# CLI installs nothing for a local pack. Idempotent: reinstalls only when the requirements change.
# Prints the pack's directory as its last line of stdout; everything else goes to stderr.
set -euo pipefail
pack="$(cd "$(dirname "$0")/../policies" && pwd)"
venv="$pack/.venv"
stamp="$venv/.requirements"
python=${PYTHON:-python3}
if ! cmp -s "$pack/requirements.txt" "$stamp" 2>/dev/null; then
    echo "install-policy-pack: installing $pack/requirements.txt into $venv" >&2
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip >&2
    "$venv/bin/pip" install --quiet -r "$pack/requirements.txt" >&2
    cp "$pack/requirements.txt" "$stamp"
fi
echo "$pack"
