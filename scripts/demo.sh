#!/usr/bin/env bash
# The main job: `pulumi up` of the dev model stack against the embedded Vertex AI emulator and a
# real Cloud Storage emulator, on a local file backend (no Pulumi account, no GCP).
# Run through `make demo`, which installs the virtualenv and the engine first.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
demo=$repo/.demo
mkdir -p "$demo/state"
port=${VERTEX_EMULATOR_PORT:-8710}
export PULUMI_BACKEND_URL="file://$demo/state"
export PULUMI_CONFIG_PASSPHRASE=${PULUMI_CONFIG_PASSPHRASE:-demo}
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DIY_BACKEND_NO_LEGACY_WARNING=true

# Both emulators keep their state in .demo, so the stack and its cloud survive between runs.
storage_port=${STORAGE_EMULATOR_PORT:-$((port + 1))}
export STORAGE_EMULATOR_HOST="http://127.0.0.1:$storage_port"
echo "==> starting Cloud Storage (gcp-storage-emulator) on 127.0.0.1:$storage_port"
gcp-storage-emulator --data-dir "$demo/storage" start --host 127.0.0.1 --port "$storage_port" \
    --default-bucket vertex-tuning-demo --quiet >"$demo/storage.log" 2>&1 &
storage=$!
echo "==> starting the Vertex AI emulator on 127.0.0.1:$port (jobs take ${VERTEX_EMULATOR_JOB_SECONDS:-8}s)"
python -m vertex_tuning.emulator --host 127.0.0.1 --port "$port" \
    --job-seconds "${VERTEX_EMULATOR_JOB_SECONDS:-8}" --state-file "$demo/vertex-state.json" \
    >"$demo/emulator.log" 2>&1 &
emulator=$!
trap 'kill $emulator $storage 2>/dev/null || true; wait $emulator $storage 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    grep -q "listening on" "$demo/emulator.log" 2>/dev/null && break
    kill -0 $emulator 2>/dev/null || { cat "$demo/emulator.log"; exit 1; }
    sleep 0.1
done
for _ in $(seq 100); do
    (: >"/dev/tcp/127.0.0.1/$storage_port") 2>/dev/null && break
    kill -0 $storage 2>/dev/null || { cat "$demo/storage.log"; exit 1; }
    sleep 0.1
done
echo "    $(grep -m1 "listening on" "$demo/emulator.log")"
export VERTEX_API_ENDPOINT="http://127.0.0.1:$port"

echo "==> the customer-support training data (the stack uploads it to gs://vertex-tuning-demo)"
vertex-tuning validate stacks/data/support-train.jsonl

# The engine writes the passphrase's encryptionsalt into the stack config on the first `stack
# select`, so the demo runs a copy of the project in .demo/project: the same program (main: the
# repository's stacks/), the committed stack configs copied over on every run (keeping the salt
# they got), and nothing written into tracked files.
project=$demo/project
mkdir -p "$project/stacks"
ln -sfn "$repo/.venv" "$project/.venv"
sed "s|^main: .*|main: $repo/stacks/|" Pulumi.yaml >"$project/Pulumi.yaml"
for config in stacks/Pulumi.*.yaml; do
    salt=$(grep '^encryptionsalt:' "$project/$config" 2>/dev/null || true)
    cp "$config" "$project/$config"
    if [ -n "$salt" ]; then echo "$salt" >>"$project/$config"; fi
done
cd "$project"

echo "==> pulumi up (stack dev, project copy in .demo/project)"
pulumi stack select dev --create --non-interactive
pulumi up --yes --non-interactive --stack dev

echo
echo "==> the CI check: the deployed stack matches its code and config (exit 0)"
pulumi preview --diff --expect-no-changes --non-interactive --stack dev

echo
echo "==> the tuned model, its version and its endpoint"
pulumi stack output tuned_model_display_name --stack dev
pulumi stack output tuned_model_endpoint --stack dev
pulumi stack output tuned_model_endpoint_uri --stack dev
echo
echo "==> asking the tuned model (the smoke test above already checked its answers)"
vertex-tuning generate "$(pulumi stack output tuned_model_endpoint --stack dev)" "Do you ship internationally?"

cat <<MSG

Done. The state lives in $demo/state. To look around, start the emulator again and point at it:
    cd $project
    export PATH=$(dirname "$(command -v pulumi)"):\$PATH
    export PULUMI_BACKEND_URL=file://$demo/state PULUMI_CONFIG_PASSPHRASE=$PULUMI_CONFIG_PASSPHRASE
    export VERTEX_API_ENDPOINT=http://127.0.0.1:$port GOOGLE_CLOUD_PROJECT=demo-project GOOGLE_CLOUD_LOCATION=us-central1
    export STORAGE_EMULATOR_HOST=$STORAGE_EMULATOR_HOST
    $repo/.venv/bin/gcp-storage-emulator --data-dir $demo/storage start --port $storage_port --quiet &
    $repo/.venv/bin/vertex-tuning emulator --port $port --state-file $demo/vertex-state.json &
    pulumi stack output --stack dev          # every output
    pulumi refresh --stack dev               # read the live job back
    pulumi preview --diff --expect-no-changes --stack dev   # CI: exit 7 if code and stack differ
    $repo/.venv/bin/vertex-tuning jobs list --label environment=dev   # the registry, by the stack's labels
    pulumi destroy --stack dev               # undeploy, delete the endpoint and the model
MSG
