#!/usr/bin/env python3
"""Benchmark of `aksbundle serve` start-up: how long until kubectl can be answered.

Generates the synthetic bundles of bench_analyze.py (1,000 pods of klog and JSON log lines,
plus the object files): one of ~100 MB of logs inflated, and one of ~100 MB on disk
(gzipped). For each, times `aksbundle serve BUNDLE -- true` (read the bundle, copy the logs
to the private folder, make the certificate, run `true`, clean up) and the reading time serve
prints itself, as the median of several runs with peak RSS from GNU time, and rewrites the
`## Serve` section of docs/performance.md.
Usage: scripts/bench_serve.py [--quick]   (AKSBUNDLE_BIN overrides target/release/aksbundle)
"""
import os, re, statistics, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_analyze as ba  # noqa: E402

ROOT = ba.ROOT
BIN = os.environ.get("AKSBUNDLE_BIN", ba.BIN)
RUNS = 3 if "--quick" in sys.argv else 5


def serve_once(bundle):
    """Wall seconds, the reading seconds serve reports, and peak RSS (KiB) of one run."""
    with tempfile.NamedTemporaryFile("r") as rss:
        t0 = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-o", rss.name, "-f", "%M", BIN, "serve", bundle, "--", "true"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - t0
        kib = int(rss.read().strip().splitlines()[-1])
    if p.returncode != 0:
        raise SystemExit(f"serve {bundle} exited {p.returncode}: {p.stderr}")
    read = float(re.search(r"read in ([0-9.]+)s", p.stderr).group(1))
    return wall, read, kib


def median_serve(bundle):
    serve_once(bundle)  # warm the page cache
    runs = [serve_once(bundle) for _ in range(RUNS)]
    return (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs),
            max(r[2] for r in runs))


def main():
    if "AKSBUNDLE_BIN" not in os.environ:
        subprocess.run(["cargo", "build", "--release", "-q"], cwd=ROOT, check=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, mb in (("~100 MB of logs inflated", 100), ("~100 MB on disk (gzipped)", 660)):
            path = os.path.join(tmp, f"bench-{mb}.tar.gz")
            size = ba.gen_bundle(path, mb)
            inflated = int(subprocess.run(f"gzip -dc {path} | wc -c", shell=True, capture_output=True, text=True).stdout)
            gz, _ = ba.median_of(["sh", "-c", f"gzip -dc {path} > /dev/null"])
            wall, read, rss = median_serve(path)
            rows.append((label, size, inflated, gz, read, wall, rss))
    healthy = os.path.join(ROOT, "testdata", "healthy")
    h_wall, h_read, h_rss = median_serve(healthy)
    cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True, text=True).stdout.strip()
    md = ["## Serve", "",
          f"Measured by `scripts/bench_serve.py`{' --quick' if RUNS == 3 else ''} on {os.cpu_count()} cores ({cpu}); median of {RUNS} runs after one warm-up, page cache warm.",
          "Bundles: those of bench_analyze.py (1,000 pods). *Reading* is the time serve reports for",
          "its one pass (objects parsed, logs copied to the private folder); *serve -- true* is the",
          "whole run: reading, certificate, running `true`, removing the copies.", "",
          "| bundle | on disk | inflated | `gzip -dc` | reading | `serve -- true` | peak RSS |",
          "|---|---:|---:|---:|---:|---:|---:|"]
    for label, size, inflated, gz, read, wall, rss in rows:
        md.append(f"| {label} | {size / 1e6:.1f} MB | {inflated / 1e6:.0f} MB | {gz:.3f} s | {read:.3f} s | {wall:.3f} s | {rss / 1024:.1f} MiB |")
    md.append(f"| `testdata/healthy` (folder) | – | – | – | {h_read:.3f} s | {h_wall:.3f} s | {h_rss / 1024:.1f} MiB |")
    md += ["",
           "- A tar.gz cannot be read out of order, so start-up is one pass through the whole",
           "  stream: it grows with the inflated size, at about the speed of inflation, plus the",
           "  writing of the log copies. Objects stay in memory as JSON; logs do not.", ""]
    body = "\n".join(md)
    print(body)
    ba.write_section("## Serve", body)


if __name__ == "__main__":
    main()
