#!/usr/bin/env bash
# Collection wall time against the sum of its API calls' latencies.
#
# Starts the fake API server (collector/examples/fake-apiserver.rs, serving testdata/apiserver)
# with a fixed latency per request, runs `aksbundle collect` against it with the real kubectl,
# and compares the wall time with (requests served x latency), i.e. what the same calls would
# cost one after another. Writes the table into docs/performance.md under "## Collector"
# (only that section is replaced) and prints it.
#
#   scripts/bench-collect.sh            # 200 ms latency, 3 runs per row
#   LATENCY_MS=100 RUNS=5 scripts/bench-collect.sh
#   NO_WRITE=1 scripts/bench-collect.sh # print only
#   KUBECTLS="kubectl /opt/k120/usr/bin/kubectl" scripts/bench-collect.sh  # one row set each
set -euo pipefail

LATENCY_MS=${LATENCY_MS:-200}
RUNS=${RUNS:-3}
KUBECTLS=${KUBECTLS:-${KUBECTL:-kubectl}}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}

for k in $KUBECTLS; do
  command -v "$k" >/dev/null || { echo "bench-collect: $k not found (set KUBECTL or KUBECTLS)" >&2; exit 2; }
done
command -v curl >/dev/null || { echo "bench-collect: curl is needed" >&2; exit 2; }

work=$(mktemp -d)
cargo build --quiet --bin aksbundle
# A target directory shared between worktrees may hold another checkout's binary under the
# same name, and cargo does not re-copy a fresh one: relink ours when that happened.
if ! "$CARGO_TARGET_DIR/debug/aksbundle" collect --help | grep -q -- '--kubectl'; then
  touch src/main.rs
  cargo build --quiet --bin aksbundle
fi
cp "$CARGO_TARGET_DIR/debug/aksbundle" "$work/aksbundle"
bin=$work/aksbundle
cargo build --quiet -p aksbundle-collector --example fake-apiserver
fake=$CARGO_TARGET_DIR/debug/examples/fake-apiserver

cleanup() {
  if [ -n "${SERVER_PID:-}" ]; then
    exec {SERVER[1]}>&- 2>/dev/null || true
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

coproc SERVER { exec "$fake" --latency-ms "$LATENCY_MS" 2>/dev/null; }
read -r url <&"${SERVER[0]}"
cat >"$work/kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster:
    server: $url
contexts:
- name: bench
  context: {cluster: fake, user: bench}
current-context: bench
users:
- name: bench
  user: {token: bench-token}
KC

requests() { curl -fsS "$url/_stats" | sed -E 's/.*"requests":([0-9]+).*/\1/'; }
now_ms() { date +%s%3N; }

# run_once KUBECTL PARALLEL WARM -> "wall_ms requests"
run_once() {
  local kubectl=$1 parallel=$2 warm=$3 home=$work/home
  if [ "$warm" = cold ]; then rm -rf "$home"; fi
  mkdir -p "$home" "$work/out"
  local before after start end
  before=$(requests)
  start=$(now_ms)
  HOME=$home KUBECACHEDIR=$home/cache KUBECONFIG=$work/kubeconfig \
    "$bin" collect --kubectl "$kubectl" -j "$parallel" -o "$work/out/b.tar.gz" >/dev/null 2>"$work/stderr" \
    || { cat "$work/stderr" >&2; exit 1; }
  end=$(now_ms)
  after=$(requests)
  echo "$((end - start)) $((after - before))"
}

rows=()
for kubectl in $KUBECTLS; do
  kver=$("$kubectl" version --client -o json 2>/dev/null | sed -nE 's/.*"gitVersion": *"([^"]+)".*/\1/p' | head -1)
  for spec in "8 cold" "8 warm" "1 warm"; do
    set -- $spec
    parallel=$1 warm=$2
    if [ "$warm" = warm ]; then run_once "$kubectl" "$parallel" cold >/dev/null; fi
    best_wall= reqs=
    for _ in $(seq "$RUNS"); do
      read -r wall n < <(run_once "$kubectl" "$parallel" "$warm")
      if [ -z "$best_wall" ] || [ "$wall" -lt "$best_wall" ]; then best_wall=$wall reqs=$n; fi
    done
    sum=$((reqs * LATENCY_MS))
    ratio=$(awk -v w="$best_wall" -v s="$sum" 'BEGIN { printf "%.2f", w / s }')
    rows+=("| $kver | $parallel | $warm | $reqs | $(awk -v s="$sum" 'BEGIN{printf "%.1f", s/1000}') s | $(awk -v w="$best_wall" 'BEGIN{printf "%.2f", w/1000}') s | ${ratio}x |")
  done
done

members=$(tar -tzf "$work/out/b.tar.gz")
n_logs=$(grep -c '/logs/' <<<"$members" || true)
n_lists=$(grep -E '/(cluster|namespaces)/' <<<"$members" | grep -vc '/cluster/version.json' || true)
section=$(cat <<MD
## Collector

\`scripts/bench-collect.sh\`: \`aksbundle collect\` (all namespaces, default options) with the
real kubectl against the fake API server serving \`testdata/apiserver\`
(the bundle: $n_lists object lists, $n_logs container logs), with ${LATENCY_MS} ms injected
before every answer. "Sum of latencies" is requests served x ${LATENCY_MS} ms: what the same
calls cost one after another. Wall time is the best of $RUNS runs, on $(nproc) cores
($(date -u +%Y-%m-%d)). *cold*: kubectl's discovery cache is empty, so every process also
fetches discovery; *warm*: the cache is filled (a second collection).

| kubectl | parallel (-j) | discovery cache | requests | sum of latencies | wall time | wall / sum |
|---|---:|---|---:|---:|---:|---:|
$(printf '%s\n' "${rows[@]}")

Target: wall / sum <= 0.35 at the default parallelism (8). The collection is a short
critical path (probe, then the lists, then the logs the pods list asks for, started as soon
as it arrives), so the wall time stays close to three or four round trips plus kubectl's
own start-up, whatever the number of calls.
MD
)
printf '%s\n' "$section"

if [ -z "${NO_WRITE:-}" ]; then
  doc=docs/performance.md
  mkdir -p docs
  [ -f "$doc" ] || printf '# Performance\n\nFigures printed by the benchmark scripts; each section says how it was measured.\n' >"$doc"
  # Replace the "## Collector" section (up to the next "## " heading) or append it.
  awk -v section="$section" '
    /^## Collector[[:space:]]*$/ { print section; skip = 1; done = 1; next }
    skip && /^## / { skip = 0 }
    !skip { print }
    END { if (!done) { print ""; print section } }
  ' "$doc" >"$doc.tmp" && mv "$doc.tmp" "$doc"
  echo "bench-collect: wrote $doc" >&2
fi
