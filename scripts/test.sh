#!/usr/bin/env bash
# Sets up what the test suite needs on a fresh Debian machine, then runs every test.
# - kubectl (Debian's kubernetes-client): the collector's tests drive the real kubectl
#   against a fake API server on 127.0.0.1.
# - chromium: the HTML report is tested in real headless Chromium.
# Installing needs root (as on CI and the dev machines); elsewhere install them yourself.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v kubectl >/dev/null 2>&1 || need+=(kubernetes-client)
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  echo "scripts/test.sh: installing ${need[*]}" >&2
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
fi

cargo test --workspace --locked "$@"
