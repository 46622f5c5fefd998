#!/usr/bin/env bash
# Installs the pinned CometBFT release with `go install` (Go must be on PATH), into $GOBIN or
# $(go env GOPATH)/bin. Does nothing when that version is already on PATH or installed there.
# Prints the path of the cometbft binary on its last line.
set -euo pipefail

COMETBFT_VERSION="${COMETBFT_VERSION:-v0.38.26}"
want="${COMETBFT_VERSION#v}"

bin_dir="$(go env GOBIN 2>/dev/null || true)"
[ -n "$bin_dir" ] || bin_dir="$(go env GOPATH)/bin"

version_of() { "$1" version 2>/dev/null | head -n 1 | tr -d '[:space:]'; }

for candidate in "$(command -v cometbft || true)" "$bin_dir/cometbft"; do
  if [ -n "$candidate" ] && [ -x "$candidate" ] && [ "$(version_of "$candidate")" = "$want" ]; then
    echo "cometbft $want already installed" >&2
    echo "$candidate"
    exit 0
  fi
done

if ! command -v go >/dev/null 2>&1; then
  echo "go not found: CometBFT is installed with 'go install'; install Go 1.22 or newer first" >&2
  exit 1
fi

echo "installing cometbft $COMETBFT_VERSION with go install (a few minutes the first time)" >&2
GOFLAGS="${GOFLAGS:-} -trimpath" go install "github.com/cometbft/cometbft/cmd/cometbft@${COMETBFT_VERSION}"

got="$(version_of "$bin_dir/cometbft")"
if [ "$got" != "$want" ]; then
  echo "installed cometbft reports version '$got', expected $want" >&2
  exit 1
fi
echo "$bin_dir/cometbft"
