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
# The Python language host (github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3) has
# no tags of its own: it is fetched by the pseudo-version of a release commit. The module proxy
# these machines reach serves none for a 2026 release, so the newest it serves is used: the
# v3.128.0 release commit, built in its own module against the sdk/pkg of that same release (it
# does not compile against 3.274's). The host only launches the program; the program's SDK talks
# to the engine directly over the engine's stable gRPC protocol.
LANGUAGE_HOST_RELEASE=3.128.0
LANGUAGE_HOST_VERSION=v3.0.0-20240805173038-c428a91a4c3c

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
export GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0
# The language host's pseudo-version is not in the public checksum database's index here.
export GONOSUMDB=github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python

build() { # $1: module dir, $2: release, $3: package, $4: output, then require lines
    local dir=$1 release=$2 pkg=$3 out=$4
    shift 4
    mkdir -p "$dir"
    {
        printf 'module pulumi-vertex-tuning/engine-build\n\ngo 1.22\n\nrequire (\n'
        printf '\t%s\n' "$@"
        printf ')\n\n'
        # Re-stated from pulumi's go.mod: a dependency's replace directives are ignored.
        printf 'replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e\n'
    } >"$dir/go.mod"
    printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$pkg" >"$dir/tools.go"
    say "resolving modules for $(basename "$out") $release"
    (cd "$dir" && go mod tidy >&2)
    say "compiling $(basename "$out") $release"
    (cd "$dir" && go build -trimpath \
        -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$release" \
        -o "$out" "$pkg" >&2)
}

mkdir -p "$work/bin"
build "$work/engine" "$PULUMI_VERSION" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi "$work/bin/pulumi" \
    "github.com/pulumi/pulumi/pkg/v3 v$PULUMI_VERSION" "github.com/pulumi/pulumi/sdk/v3 v$PULUMI_VERSION"
build "$work/host" "$LANGUAGE_HOST_RELEASE" github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3 \
    "$work/bin/pulumi-language-python" \
    "github.com/pulumi/pulumi/pkg/v3 v$LANGUAGE_HOST_RELEASE" \
    "github.com/pulumi/pulumi/sdk/v3 v$LANGUAGE_HOST_RELEASE" \
    "github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3 $LANGUAGE_HOST_VERSION"
# The official distribution ships these two Python-side launchers beside the binaries; they are
# files of the sdk/v3 module, taken from the module cache of the engine's release.
sdk=$(cd "$work/engine" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)
install -m 0755 "$sdk/python/cmd/pulumi-language-python-exec" "$work/bin/"
install -m 0755 "$sdk/python/dist/pulumi-resource-pulumi-python" "$work/bin/"
mkdir -p "$root"
rm -rf "$bin.tmp" && cp -r "$work/bin" "$bin.tmp" && rm -rf "$bin" && mv "$bin.tmp" "$bin"
say "installed $("$bin/pulumi" version) in $bin"
echo "$bin"
