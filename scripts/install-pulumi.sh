#!/usr/bin/env bash
# Installs the real Pulumi CLI (engine + Python language host + the Python launchers) without
# downloading a prebuilt release: it builds the engine from Go modules, because these machines
# reach the Go module proxy but no download site. The result lives in a per-user cache keyed by
# version (the official layout, ~/.pulumi/versions/X.Y.Z/bin), so a second run is instant.
#
# Prints the bin directory as its last line of stdout; everything else goes to stderr.
set -euo pipefail

# The one place the engine version is pinned. It must be >= the `pulumi` Python SDK in use.
PULUMI_VERSION=3.274.1
# pulumi-language-python has no tags of its own: this pseudo-version is the v$PULUMI_VERSION
# release commit of github.com/pulumi/pulumi.
LANGUAGE_HOST_VERSION=v3.0.0-20261105124506-0000000000000

root="${PULUMI_HOME:-$HOME/.pulumi}/versions/$PULUMI_VERSION"
bin="$root/bin"
say() { printf 'install-pulumi: %s\n' "$*" >&2; }

version_ok() { # $1: a `pulumi` executable; true when it reports at least $PULUMI_VERSION
    local have
    have=$("$1" version 2>/dev/null | sed 's/^v//') || return 1
    [ -n "$have" ] && [ "$(printf '%s\n%s\n' "$PULUMI_VERSION" "$have" | sort -V | head -n1)" = "$PULUMI_VERSION" ]
}
complete() { # $1: a bin dir holding everything a Python program with dynamic providers needs
    local f
    for f in pulumi pulumi-language-python pulumi-language-python-exec pulumi-resource-pulumi-python; do
        [ -x "$1/$f" ] || return 1
    done
    version_ok "$1/pulumi"
}

if complete "$bin"; then
    echo "$bin"
    exit 0
fi
if existing=$(command -v pulumi 2>/dev/null) && complete "$(dirname "$existing")"; then
    say "using the installed $(dirname "$existing")/pulumi ($("$existing" version))"
    dirname "$existing"
    exit 0
fi
if ! command -v go >/dev/null 2>&1; then
    say "no Pulumi CLI >= $PULUMI_VERSION on PATH and no Go toolchain to build one."
    say "On a machine with internet access install the CLI with the official installer:"
    say "    curl -fsSL https://get.pulumi.com | sh -s -- --version $PULUMI_VERSION"
    say "or install Go (https://go.dev/dl/) and run this script again."
    exit 1
fi

say "building Pulumi $PULUMI_VERSION from Go modules into $bin (the first build takes several minutes)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/go.mod" <<GOMOD
module pulumi-vertex-tuning/engine-build

go 1.24

require (
	github.com/pulumi/pulumi/pkg/v3 v$PULUMI_VERSION
	github.com/pulumi/pulumi/sdk/v3 v$PULUMI_VERSION
	github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3 $LANGUAGE_HOST_VERSION
)

// Re-stated from pulumi's own go.mod files: replaces in a dependency's go.mod are ignored.
replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
GOMOD
cat >"$work/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
	_ "github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3"
)
GO
cd "$work"
export GOFLAGS=-mod=mod GOTOOLCHAIN=local
say "resolving modules"
go mod tidy >&2
ldflags="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION"
mkdir -p "$work/bin"
say "compiling pulumi"
CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$work/bin/pulumi" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi >&2
say "compiling pulumi-language-python"
CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$work/bin/pulumi-language-python" \
    github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3 >&2
# The official distribution ships these two Python-side launchers beside the binaries.
sdk=$(go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)
install -m 0755 "$sdk/python/cmd/pulumi-language-python-exec" "$work/bin/"
install -m 0755 "$sdk/python/dist/pulumi-resource-pulumi-python" "$work/bin/"
mkdir -p "$root"
rm -rf "$bin.tmp" && mv "$work/bin" "$bin.tmp" && rm -rf "$bin" && mv "$bin.tmp" "$bin"
say "installed $("$bin/pulumi" version) in $bin"
echo "$bin"
