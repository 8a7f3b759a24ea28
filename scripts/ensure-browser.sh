#!/usr/bin/env bash
# Makes the browser tests runnable: Debian's chromium at /usr/bin/chromium and playwright-core
# in node_modules (playwright-core never downloads a browser; we drive the distribution's).
# Idempotent and silent when both are already there; exits 1 with the reason when they
# cannot be provided. `make test` decides whether that fails the run (CI=true) or skips.
set -euo pipefail
cd "$(dirname "$0")/.."

CHROMIUM=/usr/bin/chromium

if [ ! -x "$CHROMIUM" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "ensure-browser: $CHROMIUM is missing and installing it needs root." >&2
        echo "ensure-browser: run 'sudo apt-get install -y chromium' (Debian), then make test." >&2
        exit 1
    fi
    if ! command -v apt-get >/dev/null; then
        echo "ensure-browser: $CHROMIUM is missing and there is no apt-get to install it with." >&2
        exit 1
    fi
    echo "ensure-browser: installing Debian's chromium (apt-get)..."
    export DEBIAN_FRONTEND=noninteractive
    if ! { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }; then
        echo "ensure-browser: 'apt-get install chromium' failed (see above)." >&2
        exit 1
    fi
    if [ ! -x "$CHROMIUM" ]; then
        echo "ensure-browser: apt-get finished but $CHROMIUM is still missing." >&2
        exit 1
    fi
fi

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "ensure-browser: the browser tests need node (20 or newer) and npm." >&2
    exit 1
fi

# node_modules must match the lock: npm records what it installed in its .package-lock.json,
# so a lock changed since (a new pin, another package) means installing again.
installed=node_modules/.package-lock.json
if [ ! -f node_modules/playwright-core/package.json ] || [ ! -f "$installed" ] \
    || { [ -f package-lock.json ] && [ package-lock.json -nt "$installed" ]; }; then
    if [ -f package-lock.json ]; then
        npm ci --no-audit --no-fund --loglevel=error >/dev/null
    else
        npm install --no-audit --no-fund --loglevel=error >/dev/null
    fi
    if [ ! -f node_modules/playwright-core/package.json ]; then
        echo "ensure-browser: npm did not install playwright-core." >&2
        exit 1
    fi
fi
