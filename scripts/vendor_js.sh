#!/usr/bin/env bash
# Refresh the vendored copies of the hover-preview libraries in _assets/vendor/ from npm.
set -euo pipefail
cd "$(dirname "$0")/.."
npm install --silent --no-audit --no-fund --prefix .cache/node @popperjs/core@2.11.8 tippy.js@6.3.7
cp .cache/node/node_modules/@popperjs/core/dist/umd/popper.min.js _assets/vendor/
cp .cache/node/node_modules/tippy.js/dist/tippy-bundle.umd.min.js _assets/vendor/
echo "[vendor] _assets/vendor refreshed"
