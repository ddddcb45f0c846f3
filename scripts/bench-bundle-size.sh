#!/usr/bin/env bash
# Bundle size of a generated 500-pod cluster with the default log bounds.
#
# Builds collector/examples/bundle-size.rs, which generates the cluster
# (collector/tests/support/cluster_gen.rs), serves it with the fake API server and runs
# `collector::collect` with the real kubectl against it: once with the mixed log sizes
# described in docs/performance.md, once with every container's log over both per-log
# bounds. Writes the table into docs/performance.md under "## Bundle size" (only that
# section is replaced) and prints it.
#
#   scripts/bench-bundle-size.sh             # 500 pods
#   PODS=1000 scripts/bench-bundle-size.sh
#   NO_WRITE=1 scripts/bench-bundle-size.sh  # print only
#   KUBECTL=/opt/k120/usr/bin/kubectl scripts/bench-bundle-size.sh
set -euo pipefail

PODS=${PODS:-500}
KUBECTL=${KUBECTL:-kubectl}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
command -v "$KUBECTL" >/dev/null || { echo "bench-bundle-size: $KUBECTL not found (set KUBECTL)" >&2; exit 2; }

cargo build --quiet -p aksbundle-collector --example bundle-size
bin=$CARGO_TARGET_DIR/debug/examples/bundle-size
kver=$("$KUBECTL" version --client -o json 2>/dev/null | sed -nE 's/.*"gitVersion": *"([^"]+)".*/\1/p' | head -1)
load=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')
mixed=$("$bin" --pods "$PODS" --kubectl "$KUBECTL")
full=$("$bin" --pods "$PODS" --kubectl "$KUBECTL" --full)

section=$(cat <<MD
## Bundle size

\`scripts/bench-bundle-size.sh\`: \`collector::collect\` with default options (all namespaces,
last 1,000 lines and at most 256 KiB per log, 256 MiB log budget) and the real kubectl
($kver) against the fake API server serving a generated cluster
(\`collector/examples/bundle-size.rs\`): 20 Linux nodes with the AKS DaemonSets (kube-proxy,
Azure Disk and File CSI nodes, cloud-node-manager), CoreDNS, konnectivity, metrics-server
and the Azure Disk CSI controller, and application pods up to $PODS in 24 namespaces, a
third of them with a sidecar. Logs are klog and JSON lines with varied fields, so they
compress like real logs rather than like one repeated line. *mixed*: of the application
containers 55 % log 20-300 lines, 30 % 1,500 lines (the last 1,000 kept), 10 % 1,500 long
lines (the 256 KiB cap applies), 5 % three lines; one pod in 20 is crash-looping (with a
previous log); add-ons log 10-1,500 lines. *every log over both bounds*: each container
logs 1,100 lines of 300 bytes, so each log is cut to its last 256 KiB (the worst case for
the default budget). Wall time is one run, debug build, on $(nproc) cores shared with
other builds (load average $load when it started), $(date -u +%Y-%m-%d): it measures the
machine's load more than the collector.

| logs | pods | containers | container logs written | skipped for the budget | log bytes | bundle (gzip) | wall time |
|---|---:|---:|---:|---:|---:|---:|---:|
$mixed
$full

Target: a 500-pod cluster's bundle under 20 MB compressed with the default log budget.
MD
)
printf '%s\n' "$section"

if [ -z "${NO_WRITE:-}" ]; then
  doc=docs/performance.md
  awk -v section="$section" '
    /^## Bundle size[[:space:]]*$/ { print section; skip = 1; done = 1; next }
    skip && /^## / { skip = 0 }
    !skip { print }
    END { if (!done) { print ""; print section } }
  ' "$doc" >"$doc.tmp" && mv "$doc.tmp" "$doc"
  echo "bench-bundle-size: wrote $doc" >&2
fi
