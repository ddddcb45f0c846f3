#!/bin/sh
# Redaction throughput on a generated realistic log (see collector/examples/bench-redact.rs).
# Usage: scripts/bench-redact.sh [MB]   (default 64)
set -eu
cd "$(dirname "$0")/.."
cargo run --quiet --release -p aksbundle-collector --example bench-redact -- "${1:-64}"
