#!/usr/bin/env bash
# System programs the test suite drives for real: Graphviz's `dot` (map render --format svg|png) and Debian's
# Chromium (the web app's end-to-end tests drive it through Playwright, with no browser download).
# Installed from Debian's packages when missing and we are root (CI, fresh machines); otherwise a warning,
# and in CI an error, because a test that cannot run its real tool must not pass quietly.
set -euo pipefail

missing=()
command -v dot >/dev/null || missing+=(graphviz)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing ${missing[*]} (Debian packages) for the test suite..." >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi
if [ -n "${CI:-}" ]; then
  echo "error: ${missing[*]} required in CI and could not be installed" >&2
  exit 1
fi
echo "warning: ${missing[*]} not found; install it for the full suite" >&2
