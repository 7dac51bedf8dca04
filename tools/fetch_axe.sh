#!/usr/bin/env bash
# Fetch axe-core, the accessibility checker tests/test_browser.py runs in
# every page, from the npm registry into tmp/node_modules/ (git-ignored).
# The browser tests call it when that copy is missing or of another
# version; `make test` may call it first.
#
#     tools/fetch_axe.sh        (needs npm and network access)
set -euo pipefail

AXE_CORE_VERSION=4.14.1

root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$root/tmp"
npm install --silent --no-save --no-package-lock --no-audit --no-fund \
    --prefix "$root/tmp" "axe-core@$AXE_CORE_VERSION" >/dev/null
echo "axe-core $AXE_CORE_VERSION is in tmp/node_modules/axe-core"
