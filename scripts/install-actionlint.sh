#!/usr/bin/env bash
# Installs actionlint (the GitHub Actions workflow checker) from the Go module proxy into a
# per-user cache keyed by version; a second run is instant. Prints the binary's path.
set -euo pipefail
VERSION=v1.7.12
bin="${XDG_CACHE_HOME:-$HOME/.cache}/vertex-tuning/actionlint-$VERSION"
if [ ! -x "$bin/actionlint" ]; then
    command -v go >/dev/null || { echo "install-actionlint: needs Go (https://go.dev/dl/)" >&2; exit 1; }
    echo "install-actionlint: building actionlint $VERSION into $bin" >&2
    GOBIN="$bin" GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0 \
        go install "github.com/rhysd/actionlint/cmd/actionlint@$VERSION" >&2
fi
echo "$bin/actionlint"
