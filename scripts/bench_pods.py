#!/usr/bin/env python3
"""Scaling benchmark of `aksbundle analyze` with the number of pods.

Generates, streaming (one namespace's JSON in memory at a time), a bundle of N
crash-looping pods in namespaces of 1,000 (pods of 10 per Deployment, each with a BackOff
Warning event, kubectl's JSON shapes), then runs the release binary on it and prints wall
time, peak RSS and the report's size. Peak RSS is GNU time's %M (a child forked from Python
would inherit Python's high-water mark through wait4). Prints a Markdown table for
docs/performance.md.

Usage: scripts/bench_pods.py [N ...]      (default: 10000 100000 1000000)
"""
import io, json, os, subprocess, sys, tarfile, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("AKSBUNDLE", os.path.join(ROOT, "target", "release", "aksbundle"))
PER_NS = 1000
PER_WORKLOAD = 10
TOP = "aksbundle-bench-20261122T040000Z"


def pod(ns, w, i):
    app = f"api-{w:05d}"
    rs = f"{app}-6f9c7d5b8"
    name = f"{rs}-{i:05x}"
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "uid": f"{w:08x}-0000-4000-8000-{i:012x}",
                     "labels": {"app": app, "pod-template-hash": "6f9c7d5b8"},
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs, "controller": True}]},
        "spec": {"nodeName": f"aks-nodepool1-31415926-vmss{(w * 7 + i) % 300:06d}",
                 "containers": [{"name": "app", "image": f"contosoprod.azurecr.io/{app}:1.4.2"}]},
        "status": {"phase": "Running", "podIP": f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}",
                   "conditions": [{"type": "Ready", "status": "False", "reason": "ContainersNotReady"}],
                   "containerStatuses": [{
                       "name": "app", "ready": False, "restartCount": 37, "image": f"contosoprod.azurecr.io/{app}:1.4.2",
                       "state": {"waiting": {"reason": "CrashLoopBackOff", "message": f"back-off 5m0s restarting failed container=app pod={name}_{ns}({w:08x})"}},
                       "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "startedAt": "2026-11-22T03:54:10Z", "finishedAt": "2026-11-22T03:54:12Z"}}}]},
    }


def event(ns, p, k):
    name = p["metadata"]["name"]
    return {"apiVersion": "v1", "kind": "Event", "metadata": {"name": f"{name}.18a{k:06x}", "namespace": ns},
            "involvedObject": {"kind": "Pod", "namespace": ns, "name": name, "fieldPath": "spec.containers{app}"},
            "reason": "BackOff", "message": "Back-off restarting failed container app in pod " + name,
            "type": "Warning", "count": 412, "firstTimestamp": "2026-11-22T02:10:00Z", "lastTimestamp": "2026-11-22T03:59:40Z",
            "source": {"component": "kubelet", "host": p["spec"]["nodeName"]}}


def add(tar, name, data):
    info = tarfile.TarInfo(f"{TOP}/{name}")
    info.size = len(data)
    info.mtime = 1795320000
    tar.addfile(info, io.BytesIO(data))


def gen(path, n):
    """Writes an N-pod bundle; returns its size and the inflated bytes."""
    inflated = 0
    with tarfile.open(path, "w:gz", compresslevel=1, format=tarfile.GNU_FORMAT) as tar:
        manifest = {"format": "aksbundle/v1", "collector": {"name": "aksbundle", "version": "0.1.0"},
                    "collected_at": "2026-11-22T04:00:00Z", "cluster": {"context": "bench"}, "errors": []}
        add(tar, "manifest.json", json.dumps(manifest).encode())
        nodes = [{"metadata": {"name": f"aks-nodepool1-31415926-vmss{k:06d}"},
                  "status": {"conditions": [{"type": "Ready", "status": "True"}]}} for k in range(300)]
        add(tar, "cluster/nodes.json", json.dumps({"kind": "List", "items": nodes}).encode())
        for s in range(0, n, PER_NS):
            ns = f"team-{s // PER_NS:04d}"
            pods = [pod(ns, (s + i) // PER_WORKLOAD, s + i) for i in range(min(PER_NS, n - s))]
            events = [event(ns, p, s + k) for k, p in enumerate(pods)]
            for kind, items in (("pods", pods), ("events", events)):
                data = json.dumps({"apiVersion": "v1", "kind": "List", "items": items}).encode()
                inflated += len(data)
                add(tar, f"namespaces/{ns}/{kind}.json", data)
    return os.path.getsize(path), inflated


def measure(bundle):
    with tempfile.NamedTemporaryFile("r") as rss, tempfile.NamedTemporaryFile() as report:
        t0 = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-o", rss.name, "-f", "%M", BIN, "analyze", bundle,
                            "--format", "json", "-o", report.name], stderr=subprocess.PIPE)
        wall = time.perf_counter() - t0
        kib = int(rss.read().strip().splitlines()[-1])
        size = os.path.getsize(report.name)
        findings = len(json.load(open(report.name))["findings"])
    if p.returncode not in (0, 1):
        raise SystemExit(f"analyze exited {p.returncode}: {p.stderr.decode()}")
    return wall, kib, size, findings


def main():
    sizes = [int(a) for a in sys.argv[1:]] or [10_000, 100_000, 1_000_000]
    if "AKSBUNDLE" not in os.environ:
        subprocess.run(["cargo", "build", "--release", "-q"], cwd=ROOT, check=True)
    print("| pods | bundle (gz) | inflated JSON | generate | analyze wall | peak RSS | report | findings |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = os.path.join(tmp, f"pods-{n}.tar.gz")
            t0 = time.perf_counter()
            gz, raw = gen(path, n)
            g = time.perf_counter() - t0
            wall, kib, size, findings = measure(path)
            print(f"| {n:,} | {gz / 1e6:.1f} MB | {raw / 1e6:.0f} MB | {g:.0f} s | {wall:.2f} s | {kib / 1024:.0f} MiB | {size / 1e6:.2f} MB | {findings:,} |", flush=True)
            os.remove(path)


if __name__ == "__main__":
    main()
