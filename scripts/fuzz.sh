#!/usr/bin/env bash
# Short fuzzing run of every target (not part of CI's test command).
#   scripts/fuzz.sh [SECONDS_PER_TARGET]   default 60
# cargo-fuzz needs nightly flags; on a stable toolchain RUSTC_BOOTSTRAP=1 enables them.
# Crashes land in fuzz/artifacts/<target>/; turn each into a regression test in
# tests/hostile.rs (or a unit test) before fixing it.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
# Seeds: the sample bundles packed as archives, and the catalogue's rule files.
mkdir -p fuzz/corpus/archive fuzz/corpus/objects fuzz/corpus/rule_loader
for d in testdata/healthy testdata/keyvault-nmi testdata/ipam-leak; do
  tar -C "$(dirname "$d")" -czf "fuzz/corpus/archive/$(basename "$d").tar.gz" "$(basename "$d")"
done
find rules -name rule.yaml | head -50 | while read -r f; do cp "$f" "fuzz/corpus/rule_loader/$(echo "$f" | tr / _)"; done
for t in archive objects rule_loader; do
  echo "== fuzzing $t for ${secs}s"
  cargo fuzz run "$t" "fuzz/corpus/$t" -- -max_total_time="$secs" -rss_limit_mb=4096 -max_len=1048576
done
