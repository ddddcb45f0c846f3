#!/usr/bin/env bash
# Benchmark of `aksbundle batch`: throughput (bundles/s, MB/s) with -j1 and -j2 over 200
# synthetic bundles, how the cost grows from 50 to 200 to 800 bundles, and peak memory
# (RSS) including one bundle whose log inflates to several hundred MB.
#
# The bundles are generated here (python3, from the testdata trees: names, contexts and
# versions varied, realistic log volume added) and never committed.
#
#   scripts/bench-batch.sh                 # builds release, generates into $WORK, runs
#   AKSBUNDLE=/path/to/aksbundle WORK=/tmp/b REPEAT=3 BIG_MB=400 scripts/bench-batch.sh
#   GENERATE_ONLY=1 scripts/bench-batch.sh # only the synthetic bundles
#   P3_ONLY=1 scripts/bench-batch.sh       # only issue 16's P3: 40 small tar.gz, batch -j2
#                                          # and -j1 against gzip -dc two at a time (xargs -P2)
#
# Prints Markdown tables (the figures in docs/performance.md come from here).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="${WORK:-${TMPDIR:-/tmp}/aksbundle-bench}"
REPEAT="${REPEAT:-3}"
BIG_MB="${BIG_MB:-400}"
SEED="${SEED:-20261122}"
POOL_SIZE=800
[[ -n "${P3_ONLY:-}" ]] && POOL_SIZE=50 && BIG_MB="${BIG_MB_P3:-8}"

if [[ -z "${AKSBUNDLE:-}" && -z "${GENERATE_ONLY:-}" ]]; then
  (cd "$ROOT" && cargo build --release --bin aksbundle >&2)
  AKSBUNDLE="${CARGO_TARGET_DIR:-$ROOT/target}/release/aksbundle"
fi
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (GNU time) for peak RSS" >&2; exit 2; }

mkdir -p "$WORK"
if [[ ! -f "$WORK/pool/.done-$SEED-$POOL_SIZE" ]]; then
  rm -rf "$WORK/pool" "$WORK/sets"
  echo "generating $POOL_SIZE bundles and one large one into $WORK ..." >&2
  python3 - "$ROOT/testdata" "$WORK" "$SEED" "$BIG_MB" "$POOL_SIZE" <<'PY'
import io, json, os, random, sys, tarfile, zipfile

testdata, work, seed, big_mb, pool_size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
rng = random.Random(seed)
SOURCES = ["healthy", "keyvault-nmi", "ipam-leak", "healthy", "cluster-info-dump",
           "keyvault-nmi", "apiserver-unreachable", "healthy"]
K8S = ["v1.28.9", "v1.29.7", "v1.30.5", "v1.30.5", "v1.31.2"]
COLLECTORS = ["0.1.0", "0.1.0", "0.1.1", "0.2.0"]
REGIONS = ["westeu", "jpe", "krc", "eastus2", "uksouth"]

def tree(name):
    base = os.path.join(testdata, name)
    out = {}
    for d, _, files in os.walk(base):
        for f in files:
            p = os.path.join(d, f)
            out[os.path.relpath(p, base).replace(os.sep, "/")] = open(p, "rb").read()
    return out

TREES = {n: tree(n) for n in set(SOURCES)}

# A pool of realistic lines: app access logs, klog, Go panics' neighbours, JSON logs.
paths = ["/api/v1/items", "/healthz", "/api/v1/orders/%d", "/metrics", "/login", "/cart/%d"]
POOL = []
for i in range(40000):
    k = rng.random()
    if k < 0.45:
        p = rng.choice(paths)
        p = p % rng.randint(1, 99999) if "%d" in p else p
        POOL.append('10.244.%d.%d - - "GET %s HTTP/1.1" %d %d "-" "Go-http-client/1.1" rt=%.3f' % (
            rng.randint(0, 9), rng.randint(2, 250), p, rng.choice([200, 200, 200, 304, 404, 500]),
            rng.randint(80, 9000), rng.random()))
    elif k < 0.75:
        POOL.append('I1122 03:%02d:%02d.%06d       1 %s.go:%d] "%s" pod="shop/web-%05x" node="aks-nodepool1-31415926-vmss%06d"' % (
            rng.randint(0, 59), rng.randint(0, 59), rng.randint(0, 999999),
            rng.choice(["reconciler", "kubelet", "volume_manager", "prober", "kuberuntime_manager"]),
            rng.randint(50, 2000), rng.choice(["SyncLoop (probe)", "Probe succeeded", "Successfully pulled image",
                                               "Volume is already mounted", "Started container"]),
            rng.randint(0, 0xfffff), rng.randint(0, 5)))
    else:
        POOL.append(json.dumps({"level": rng.choice(["info", "debug", "warn"]), "ts": "2026-11-22T03:%02d:%02dZ" % (
            rng.randint(0, 59), rng.randint(0, 59)), "msg": rng.choice(["cache refreshed", "request done",
            "retrying upstream", "config reloaded"]), "latency_ms": rng.randint(1, 900),
            "trace": "%032x" % rng.getrandbits(128)}))

def log_bytes(target):
    lines, size = [], 0
    while size < target:
        chunk = rng.choices(POOL, k=500)
        lines.extend(chunk)
        size += sum(len(c) + 1 for c in chunk)
    return ("\n".join(lines) + "\n").encode()

def variant(i):
    src = SOURCES[i % len(SOURCES)]
    files = dict(TREES[src])
    ctx = "aks-%s-%04d" % (rng.choice(REGIONS), i)
    k8s, coll = rng.choice(K8S), rng.choice(COLLECTORS)
    if "manifest.json" in files:
        m = json.loads(files["manifest.json"])
        m["cluster"]["context"] = ctx
        if m["cluster"].get("version"):
            m["cluster"]["version"] = k8s
        m["collector"]["version"] = coll
        files["manifest.json"] = json.dumps(m, indent=2).encode()
    if "cluster/version.json" in files:
        v = json.loads(files["cluster/version.json"])
        v["serverVersion"]["gitVersion"] = k8s
        files["cluster/version.json"] = json.dumps(v, indent=2).encode()
    target = int(rng.uniform(0.5, 3.5) * 1e6)  # inflated log volume per bundle, ~2 MB mean
    parts = rng.randint(2, 5)
    for p in range(parts):
        body = log_bytes(target // parts)
        if src == "cluster-info-dump":
            files["shop/app-%d-%d/logs.txt" % (i, p)] = (
                b"==== START logs for container app of pod shop/app-%d-%d ====\n" % (i, p) + body +
                b"==== END logs for container app of pod shop/app-%d-%d ====\n" % (i, p))
        elif src == "apiserver-unreachable":
            files["attachments/journal-%d.txt" % p] = body
        else:
            files["logs/shop/app-%d-%d/app.log" % (i, p)] = body
    return ctx, files

def tar_gz(top, files, path):
    with tarfile.open(path, "w:gz", compresslevel=6) as t:
        for rel in sorted(files):
            data = files[rel]
            ti = tarfile.TarInfo("%s/%s" % (top, rel)); ti.size = len(data); ti.mtime = 1795320000
            t.addfile(ti, io.BytesIO(data))

def zip_of(top, files, path):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for rel in sorted(files):
            z.writestr("%s/%s" % (top, rel), files[rel])

pool = os.path.join(work, "pool")
for i in range(pool_size):
    ctx, files = variant(i)
    d = os.path.join(pool, "t%05d" % i)
    os.makedirs(d, exist_ok=True)
    top = "aksbundle-%s-20261122T040000Z" % ctx
    kind = i % 10
    if kind == 7:
        zip_of(top, files, os.path.join(d, top + ".zip"))
    elif kind == 9:
        inner = os.path.join(d, "inner.tar.gz")
        tar_gz(top, files, inner)
        with zipfile.ZipFile(os.path.join(d, "ticket-export.zip"), "w", zipfile.ZIP_STORED) as z:
            z.write(inner, "case-%05d/%s.tar.gz" % (i, top))
            z.writestr("case-%05d/notes.txt" % i, "customer notes\n")
        os.remove(inner)
    else:
        tar_gz(top, files, os.path.join(d, top + ".tar.gz"))
    if i % 100 == 99:
        print("  %d bundles" % (i + 1), file=sys.stderr)

# One large bundle: the keyvault tree plus a single log of big_mb MB, streamed to disk.
big = os.path.join(work, "big")
os.makedirs(big, exist_ok=True)
files = dict(TREES["keyvault-nmi"])
log_path = os.path.join(big, "app.log")
with open(log_path, "wb") as f:
    block = log_bytes(8 << 20)
    for _ in range(max(1, (big_mb << 20) // len(block))):
        f.write(block)
with tarfile.open(os.path.join(big, "big.tar.gz"), "w:gz", compresslevel=6) as t:
    for rel in sorted(files):
        ti = tarfile.TarInfo("big/%s" % rel); ti.size = len(files[rel]); t.addfile(ti, io.BytesIO(files[rel]))
    t.add(log_path, "big/logs/shop/web-0/app.log")
os.remove(log_path)
open(os.path.join(pool, ".done-%d-%d" % (seed, pool_size)), "w").write("ok\n")
PY
fi

# Issue 16's P3 set: the first 40 plain .tar.gz bundles of the pool.
if [[ ! -d "$WORK/sets/p3" ]]; then
  mkdir -p "$WORK/sets/p3"
  find "$WORK/pool" -name '*.tar.gz' | sort | head -n 40 | while read -r f; do
    ln -s "$f" "$WORK/sets/p3/$(basename "$(dirname "$f")").tar.gz"
  done
fi
[[ -n "${P3_ONLY:-}" ]] && SETS="" || SETS="50 200 800"
# Sets of 50, 200 and 800 bundles: links to the same files (batch follows linked files).
for n in $SETS; do
  if [[ ! -d "$WORK/sets/$n" ]]; then
    mkdir -p "$WORK/sets/$n"
    for d in $(ls "$WORK/pool" | head -n "$n"); do
      mkdir -p "$WORK/sets/$n/$d"
      for f in "$WORK/pool/$d"/*; do ln -s "$f" "$WORK/sets/$n/$d/"; done
    done
  fi
done
# The tar.gz bundles of the first 200 re-packed as zip (decompressed on the analyzing thread), to separate the reader's
# inflate thread from the -j scaling.
if [[ -z "${P3_ONLY:-}" && ! -d "$WORK/sets/zip200" ]]; then
  python3 - "$WORK" <<'PY'
import os, sys, tarfile, zipfile
work = sys.argv[1]
out = os.path.join(work, "sets", "zip200")
for d in sorted(n for n in os.listdir(os.path.join(work, "pool")) if not n.startswith("."))[:200]:
    src_dir = os.path.join(work, "pool", d)
    for f in os.listdir(src_dir):
        if not f.endswith(".tar.gz"):
            continue
        os.makedirs(os.path.join(out, d), exist_ok=True)
        with tarfile.open(os.path.join(src_dir, f)) as t, \
             zipfile.ZipFile(os.path.join(out, d, f[:-7] + ".zip"), "w", zipfile.ZIP_DEFLATED) as z:
            for m in t.getmembers():
                if m.isfile():
                    z.writestr(m.name, t.extractfile(m).read())
PY
fi

[[ -n "${GENERATE_ONLY:-}" ]] && exit 0

bytes_of() { du -sLb "$1" | cut -f1; }
count_of() { find -L "$1" -type f \( -name '*.tar.gz' -o -name '*.zip' \) | wc -l; }

# One timed run: prints "wall_s peak_rss_kb cpu_s".
once() {
  /usr/bin/time -f '%e %M %U %S' -o "$WORK/time.txt" \
    "$AKSBUNDLE" batch "$1" -j "$2" --out "$WORK/out.jsonl" 2>/dev/null
  awk '{print $1, $2, $3 + $4}' "$WORK/time.txt"
}

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# rows LABEL SET J... : $REPEAT rounds, each running every J once in turn (interleaved, so
# a change in the machine's load hits every J alike); one table row per J with the median
# wall and CPU time and the highest RSS.
rows() {
  local label="$1" set="$2"; shift 2
  local n mb j w m c
  n=$(count_of "$set"); mb=$(bytes_of "$set")
  declare -A walls cpus rss
  for _ in $(seq "$REPEAT"); do
    for j in "$@"; do
      read -r w m c < <(once "$set" "$j")
      walls[$j]+="$w "; cpus[$j]+="$c "
      (( m > ${rss[$j]:-0} )) && rss[$j]=$m
    done
  done
  for j in "$@"; do
    # shellcheck disable=SC2086
    w=$(median ${walls[$j]}); c=$(median ${cpus[$j]})
    awk -v l="$label" -v n="$n" -v b="$mb" -v w="$w" -v r="${rss[$j]}" -v j="$j" -v c="$c" 'BEGIN {
      printf "| %s | %d | %.1f | -j%d | %.2f | %.1f | %.1f | %.2f | %.0f%% | %.0f |\n", l, n, b/1e6, j, w, n/w, b/1e6/w, c, c*100/w, r/1024 }'
    echo "$w" > "$WORK/wall-$j"
  done
}

echo "aksbundle $("$AKSBUNDLE" --version 2>/dev/null | cut -d' ' -f2), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), repeat $REPEAT, -j1/-j2 interleaved (medians)"
echo

# P3 (issue 16): batch -j2 over 40 small tar.gz against inflating the same files two at a
# time with gzip -dc; -j1 too, and the CPU each used. Rounds interleave the three.
p3() {
  local set="$WORK/sets/p3" n mb gw=() gc=() w c
  n=$(count_of "$set"); mb=$(bytes_of "$set")
  echo "| P3: 40 small tar.gz | command | wall s | CPU s | CPU used | peak RSS MiB |"
  echo "|---|---|---:|---:|---:|---:|"
  declare -A walls cpus rss
  for _ in $(seq "$REPEAT"); do
    /usr/bin/time -f '%e %U %S' -o "$WORK/time.txt" sh -c \
      "find -L '$set' -name '*.tar.gz' -print0 | xargs -0 -P2 -n1 sh -c 'gzip -dc \"\$1\" > /dev/null' _"
    read -r w u s < "$WORK/time.txt"; gw+=("$w"); gc+=("$(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}')")
    for j in 2 1; do
      read -r w m c < <(once "$set" "$j")
      walls[$j]+="$w "; cpus[$j]+="$c "
      (( m > ${rss[$j]:-0} )) && rss[$j]=$m
    done
  done
  w=$(median "${gw[@]}"); c=$(median "${gc[@]}")
  awk -v n="$n" -v b="$mb" -v w="$w" -v c="$c" 'BEGIN {
    printf "| %d bundles, %.1f MB | `gzip -dc`, `xargs -P2` | %.2f | %.2f | %.0f%% | – |\n", n, b/1e6, w, c, c*100/w }'
  echo "$w" > "$WORK/p3-gzip"
  for j in 2 1; do
    # shellcheck disable=SC2086
    w=$(median ${walls[$j]}); c=$(median ${cpus[$j]})
    awk -v n="$n" -v b="$mb" -v w="$w" -v c="$c" -v j="$j" -v r="${rss[$j]}" 'BEGIN {
      printf "| %d bundles, %.1f MB | `aksbundle batch -j%d` | %.2f | %.2f | %.0f%% | %.0f |\n", n, b/1e6, j, w, c, c*100/w, r/1024 }'
    echo "$w" > "$WORK/p3-j$j"
  done
  awk -v g="$(cat "$WORK/p3-gzip")" -v a="$(cat "$WORK/p3-j2")" 'BEGIN {
    printf "\n- P3, batch -j2 ≤ gzip -dc two at a time: %.2fx (%s)\n\n", a/g, (a <= g ? "met" : "missed") }'
}
p3
[[ -n "${P3_ONLY:-}" ]] && exit 0

echo "| set | bundles | MB on disk | jobs | wall s | bundles/s | MB/s | CPU s | CPU used | peak RSS MiB |"
echo "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|"
rows "200 mixed" "$WORK/sets/200" 1 2; w1=$(cat "$WORK/wall-1"); w2=$(cat "$WORK/wall-2")
rows "zip only" "$WORK/sets/zip200" 1 2; z1=$(cat "$WORK/wall-1"); z2=$(cat "$WORK/wall-2")
# Control: the same 200 bundles as two -j1 processes at once (shards 0/2 and 1/2). If -j2
# matches it, in-process parallelism is as good as the machine allows.
ctl=()
for _ in $(seq "$REPEAT"); do
  t0=$(date +%s.%N)
  "$AKSBUNDLE" batch "$WORK/sets/200" -j1 --shard 0/2 --out "$WORK/ctl0.jsonl" 2>/dev/null &
  "$AKSBUNDLE" batch "$WORK/sets/200" -j1 --shard 1/2 --out "$WORK/ctl1.jsonl" 2>/dev/null
  wait
  ctl+=("$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {print b - a}')")
done
ctl=$(median "${ctl[@]}")
rows "50 mixed" "$WORK/sets/50" 2; s50=$(cat "$WORK/wall-2")
rows "800 mixed" "$WORK/sets/800" 2; s800=$(cat "$WORK/wall-2")
rows "1 large ($BIG_MB MB log)" "$WORK/big" 1 2
echo
awk -v ctl="$ctl" -v a="$w1" -v b="$w2" -v c="$z1" -v d="$z2" -v s50="$s50" -v s200="$w2" -v s800="$s800" 'BEGIN {
  printf "- -j2 / -j1 throughput: %.2fx (mixed tar.gz/zip), %.2fx (zip only); target 1.8x\n", a/b, c/d
  printf "- control, 200 mixed as two -j1 processes at once: %.2f s wall (-j2: %.2f s); -j1 / two processes: %.2fx\n", ctl, b, a/ctl
  printf "- wall per bundle at -j2: 50 → %.1f ms, 200 → %.1f ms, 800 → %.1f ms (800/200 wall ratio %.2f; linear = 4.00)\n", s50*1000/50, s200*1000/200, s800*1000/800, s800/s200
}'
