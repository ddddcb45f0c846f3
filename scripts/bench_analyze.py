#!/usr/bin/env python3
"""Benchmark of `aksbundle analyze` against `gzip -dc` of the same archive, in one run.

Generates a synthetic bundle (about 100 MB of klog lines across 1,000 pods, plus the
object files), times `gzip -dc FILE > /dev/null` and `aksbundle analyze FILE` (full
catalogue, and reading alone with --no-default-rules) as the median of several runs, reads
peak RSS from GNU time, repeats with 4x the logs, with the catalogue loaded twice (a
renamed copy as user rules) and on testdata/healthy (start-up), and rewrites the
`## Analyze` section of docs/performance.md with every target of issue 16.
Usage: [AKSBUNDLE=BIN] [BASELINE=OLD_BIN] scripts/bench_analyze.py [--quick]
"""
import json, os, random, statistics, subprocess, sys, tarfile, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("AKSBUNDLE") or os.path.join(os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target"), "release", "aksbundle")
# An earlier build to time in the same rounds (before/after figures of one run).
BASELINE = os.environ.get("BASELINE")
QUICK = "--quick" in sys.argv
RUNS = 3 if QUICK else 5

KLOG = [
    'I1122 {t}       1 reconciler.go:{n}] "attempting to mount volume" volume="secrets-store-inline" pod="shop/web-{p}"',
    'I1122 {t}       1 nodeserver.go:{n}] "node publish volume" target="/var/lib/kubelet/pods/{u}/volumes/kubernetes.io~csi/secrets-store-inline/mount" volumeId="csi-{u}"',
    'I1122 {t}       1 server.go:{n}] "GRPC call" method="/v1alpha1.CSIDriverProvider/Mount" request="{{\\"secrets\\":\\"null\\"}}"',
    'I1122 {t}       1 controller.go:{n}] "Successfully synced" key="shop/web-{p}" duration="1.2ms"',
    'W1122 {t}       1 reflector.go:{n}] watch of *v1.Pod ended with: an error on the server ("unable to decode an event from the watch stream: http2: client connection lost") has prevented the request from succeeding',
    'I1122 {t}       1 round_trippers.go:{n}] "HTTP" verb="GET" url="https://10.0.0.1:443/api/v1/namespaces/shop/pods/web-{p}" status="200 OK" milliseconds=3',
    '{{"level":"info","ts":"2026-11-22T03:{mm}:{ss}.123Z","logger":"controller","msg":"Reconciling","namespace":"shop","name":"web-{p}","reconcileID":"{u}"}}',
    '10.244.1.{o} - - [22/Nov/2026:03:{mm}:{ss} +0000] "GET /api/orders/{n} HTTP/1.1" 200 512 "-" "Go-http-client/1.1"',
]
ERR = 'E1122 {t}       1 server.go:155] "failed to process mount request" err="failed to get keyvault client: failed to get key vault token: nmi response failed with status code: 404, err: <nil>" pod="shop/web-{p}"'


def gen_bundle(path, mb_logs):
    rnd = random.Random(42)
    top = "aksbundle-bench-20261122T040000Z"
    pods = []
    with tempfile.TemporaryDirectory() as tmp:
        base = os.path.join(tmp, top)
        per_pod = int(mb_logs * 1_000_000 / 1000)
        for i in range(1000):
            ns = f"team-{i % 40:02d}"
            name = f"svc-{i:04d}-7d9c6b5f4d-{rnd.randrange(36**5):05x}"
            node = f"aks-nodepool1-31415926-vmss{i % 50:06d}"
            pods.append((ns, name, node))
            d = os.path.join(base, "logs", ns, name)
            os.makedirs(d, exist_ok=True)
            out, size = [], 0
            while size < per_pod:
                s = rnd.randrange(3600)
                t = f"03:{s // 60:02d}:{s % 60:02d}.{rnd.randrange(10**6):06d}"
                tmpl = ERR if rnd.random() < 0.001 else rnd.choice(KLOG)
                line = f"2026-11-22T03:{s // 60:02d}:{s % 60:02d}.{rnd.randrange(10**9):09d}Z " + tmpl.format(
                    t=t, n=rnd.randrange(900), p=rnd.randrange(10**5), u=f"{rnd.getrandbits(64):016x}", mm=f"{s // 60:02d}", ss=f"{s % 60:02d}", o=rnd.randrange(250))
                out.append(line)
                size += len(line) + 1
            with open(os.path.join(d, "app.log"), "w") as f:
                f.write("\n".join(out) + "\n")
        by_ns = {}
        for ns, name, node in pods:
            by_ns.setdefault(ns, []).append({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns, "labels": {"app": name.rsplit("-", 2)[0]}},
                                             "spec": {"nodeName": node, "containers": [{"name": "app", "image": "contosoprod.azurecr.io/app:1.0", "ports": [{"containerPort": 8080}]}]},
                                             "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}], "containerStatuses": [{"name": "app", "ready": True, "restartCount": 0, "state": {"running": {}}}]}})
        for ns, items in by_ns.items():
            d = os.path.join(base, "namespaces", ns)
            os.makedirs(d, exist_ok=True)
            for kind, its in [("pods", items), ("events", []), ("services", []), ("endpoints", []), ("networkpolicies", []), ("jobs", [])]:
                with open(os.path.join(d, f"{kind}.json"), "w") as f:
                    json.dump({"apiVersion": "v1", "kind": "List", "items": its}, f)
        with open(os.path.join(base, "manifest.json"), "w") as f:
            json.dump({"format": "aksbundle/v1", "collector": {"name": "aksbundle", "version": "0.1.0"}, "collected_at": "2026-11-22T04:00:00Z", "cluster": {"context": "bench"}, "errors": []}, f)
        subprocess.run(["tar", "-C", tmp, "-czf", path, top], check=True)
    return os.path.getsize(path)


def measure(cmd):
    """Wall seconds, peak RSS (KiB) and CPU seconds of one run, output discarded. RSS comes
    from GNU time, not from wait4 here: a child forked from Python inherits its high-water
    mark."""
    with tempfile.NamedTemporaryFile("r") as rss, open(os.devnull, "wb") as devnull:
        t0 = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-o", rss.name, "-f", "%M %U %S"] + cmd, stdout=devnull, stderr=devnull)
        wall = time.perf_counter() - t0
        kib, user, sys_ = rss.read().strip().splitlines()[-1].split()
    if p.returncode not in (0, 1):
        raise SystemExit(f"{cmd} exited {p.returncode}")
    return wall, int(kib), float(user) + float(sys_)


def median_of(cmd, runs=None):
    measure(cmd)  # warm the page cache
    rs = [measure(cmd) for _ in range(runs or RUNS)]
    return statistics.median(r[0] for r in rs), max(r[1] for r in rs)


def interleaved(cmds, runs):
    """Medians of several commands run in turn, `runs` rounds: a change in the machine's
    load hits each alike. Returns {name: (wall, peak RSS KiB)}."""
    for c in cmds.values():
        measure(c)
    walls = {k: [] for k in cmds}
    rss = {k: 0 for k in cmds}
    for _ in range(runs):
        for k, c in cmds.items():
            w, m, _ = measure(c)
            walls[k].append(w)
            rss[k] = max(rss[k], m)
    return {k: (statistics.median(walls[k]), rss[k]) for k in cmds}


def renamed_catalogue(dst):
    """The built-in catalogue again as user rules: every rule folder copied with `-again`
    added to its ID (and folder), so the run has each rule twice."""
    n = 0
    for area in sorted(os.listdir(os.path.join(ROOT, "rules"))):
        adir = os.path.join(ROOT, "rules", area)
        if not os.path.isdir(adir):
            continue
        for rid in sorted(os.listdir(adir)):
            src = os.path.join(adir, rid, "rule.yaml")
            if not os.path.isfile(src):
                continue
            text = open(src).read()
            lines = text.split("\n")
            for i, line in enumerate(lines):
                if line.startswith("id:"):
                    lines[i] = f"id: {rid}-again"
                    break
            d = os.path.join(dst, area, f"{rid}-again")
            os.makedirs(d)
            open(os.path.join(d, "rule.yaml"), "w").write("\n".join(lines))
            n += 1
    return n


def main():
    if not os.environ.get("AKSBUNDLE"):
        subprocess.run(["cargo", "build", "--release", "-q", "--bin", "aksbundle"], cwd=ROOT, check=True)
    load_start = open("/proc/loadavg").read().split()[:3]
    healthy = os.path.join(ROOT, "testdata", "healthy")
    with tempfile.TemporaryDirectory() as tmp:
        small = os.path.join(tmp, "bench.tar.gz")
        big = os.path.join(tmp, "bench4x.tar.gz")
        again = os.path.join(tmp, "again")
        mb = 25 if QUICK else 100
        size = gen_bundle(small, mb)
        gen_bundle(big, mb * 4)
        doubled = renamed_catalogue(again)
        inflated = int(subprocess.run(f"gzip -dc {small} | wc -c", shell=True, capture_output=True, text=True).stdout)
        js = ["--format", "json"]
        cmds = {
            "gzip": ["sh", "-c", f"gzip -dc {small} > /dev/null"],
            "full": [BIN, "analyze", small] + js,
            "read": [BIN, "analyze", small, "--no-default-rules"] + js,
            "twice": [BIN, "analyze", small, "--rules", again] + js,
        }
        if BASELINE:
            cmds["base_full"] = [BASELINE, "analyze", small] + js
            cmds["base_read"] = [BASELINE, "analyze", small, "--no-default-rules"] + js
        r = interleaved(cmds, RUNS)
        big_r = interleaved({"full": [BIN, "analyze", big] + js, "read": [BIN, "analyze", big, "--no-default-rules"] + js}, max(3, RUNS // 2))
        start_cmds = {
            "full": [BIN, "analyze", healthy] + js,
            "read": [BIN, "analyze", healthy, "--no-default-rules"] + js,
            "twice": [BIN, "analyze", healthy, "--rules", again] + js,
        }
        if BASELINE:
            start_cmds["base_full"] = [BASELINE, "analyze", healthy] + js
        st = interleaved(start_cmds, RUNS * 3)
    load_end = open("/proc/loadavg").read().split()[:3]
    rules = int(subprocess.run([BIN, "rules", "list"], capture_output=True, text=True).stdout.count("\n"))
    cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True, text=True).stdout.strip()
    gz_t = r["gzip"][0]
    an_t, an_rss = r["full"]
    rd_t, rd_rss = r["read"]
    tw_t, tw_rss = r["twice"]
    big_t, big_rss = big_r["full"]
    big_rd_t, _ = big_r["read"]
    start_t, start_rss = st["full"]
    rows = [
        ("`gzip -dc` (baseline)", gz_t, r["gzip"][1], "1.00×"),
        (f"`aksbundle analyze`, full catalogue ({rules} rules)", an_t, an_rss, f"{an_t / gz_t:.2f}×"),
        ("`aksbundle analyze --no-default-rules` (reading alone)", rd_t, rd_rss, f"{rd_t / gz_t:.2f}×"),
        (f"`aksbundle analyze --rules DIR`, the catalogue twice ({doubled} more rules, other IDs)", tw_t, tw_rss, f"{tw_t / gz_t:.2f}×"),
    ]
    if BASELINE:
        rows += [
            ("before this change: `analyze`, full catalogue", r["base_full"][0], r["base_full"][1], f"{r['base_full'][0] / gz_t:.2f}×"),
            ("before this change: reading alone", r["base_read"][0], r["base_read"][1], f"{r['base_read'][0] / gz_t:.2f}×"),
        ]
    rows += [
        ("`aksbundle analyze`, 4× the logs", big_t, big_rss, f"{big_t / gz_t:.2f}× (vs 1× gzip)"),
        ("`aksbundle analyze --no-default-rules`, 4× the logs", big_rd_t, big_r["read"][1], f"{big_rd_t / gz_t:.2f}× (vs 1× gzip)"),
        ("`aksbundle analyze testdata/healthy` (start-up)", start_t, start_rss, "–"),
        ("`aksbundle analyze testdata/healthy --no-default-rules`", st["read"][0], st["read"][1], "–"),
        ("`aksbundle analyze testdata/healthy --rules DIR` (catalogue twice)", st["twice"][0], st["twice"][1], "–"),
    ]
    if BASELINE:
        rows.append(("before this change: `analyze testdata/healthy`", st["base_full"][0], st["base_full"][1], "–"))

    def met(ok):
        return "**met**" if ok else "**missed**"

    md = ["## Analyze", "",
          f"Measured by `scripts/bench_analyze.py`{' --quick' if QUICK else ''} on {os.cpu_count()} cores ({cpu}), in one run: "
          f"median of {RUNS} rounds after one warm-up (start-up: {RUNS * 3} rounds), the commands of a table part run in turn in each round so that "
          f"a change in load hits each alike; page cache warm. Load average {' '.join(load_start)} at the start, {' '.join(load_end)} at the end "
          + f"(the benchmark itself keeps up to {os.cpu_count()} threads busy; a higher load means other work shared the machine, and then only ratios within this table mean anything).",
          f"Synthetic bundle: 1,000 pods, {inflated / 1e6:.0f} MB of klog and JSON log lines (0.1% of them Key Vault errors the catalogue matches), {size / 1e6:.1f} MB gzipped.", "",
          "| command | median wall | peak RSS | time vs `gzip -dc` |", "|---|---:|---:|---:|"]
    for name, t, rss, ratio in rows:
        md.append(f"| {name} | {t:.3f} s | {f'{rss / 1024:.1f} MiB' if rss else '–'} | {ratio} |")
    md += ["",
           "Targets (issue 16):",
           "",
           f"- P5, full catalogue over reading alone ≤ 1.25×: {an_t / rd_t:.2f}×: {met(an_t <= 1.25 * rd_t)}.",
           f"- P1, analyze ≤ 0.5× `gzip -dc`: {an_t / gz_t:.2f}×: {met(an_t <= 0.5 * gz_t)}.",
           f"- The catalogue twice (user rules, other IDs) over once ≤ 1.1×: {tw_t / an_t:.2f}×: {met(tw_t <= 1.1 * an_t)}.",
           f"- Start-up, `analyze testdata/healthy` ≤ 25 ms: {start_t * 1000:.0f} ms: {met(start_t <= 0.025)} "
           f"(reading alone: {st['read'][0] * 1000:.0f} ms; with the catalogue twice: {st['twice'][0] * 1000:.0f} ms).",
           f"- Peak RSS under 100 MiB: {an_rss / 1024:.0f} MiB: {met(an_rss < 100 * 1024)}; with 4× the logs ≤ 1.2×: {big_rss / an_rss:.2f}×: {met(big_rss <= 1.2 * an_rss)}.",
           f"- Throughput of analyze: {inflated / an_t / 1e6:.0f} MB/s inflated; reading alone {inflated / rd_t / 1e6:.0f} MB/s; `gzip -dc`: {inflated / gz_t / 1e6:.0f} MB/s.",
           f"- Per 100 MB of logs beyond the first, the catalogue adds {((big_t - an_t) - (big_rd_t - rd_t)) / 3 / (inflated / 1e8):.3f} s over reading alone.",
           ""]
    write_section("## Analyze", "\n".join(md))
    print("\n".join(md))


def write_section(heading, body):
    path = os.path.join(ROOT, "docs", "performance.md")
    text = open(path).read() if os.path.exists(path) else "# Performance\n\nFigures printed by the benchmark scripts; each section says how it was measured.\n"
    start = text.find(heading + "\n")
    if start == -1:
        text = text.rstrip("\n") + "\n\n" + body
    else:
        nxt = text.find("\n## ", start + len(heading))
        text = text[:start] + body + (text[nxt:] if nxt != -1 else "")
    with open(path, "w") as f:
        f.write(text.rstrip("\n") + "\n")


if __name__ == "__main__":
    main()
