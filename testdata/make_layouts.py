#!/usr/bin/env python3
"""Writes testdata/layouts/: one broken cluster in every layout the analyzer reads.

The cluster: three nodes, one of them NotReady (Unknown: the kubelet stopped posting);
a crash-looping `cart` pod; a `report` pod that cannot be scheduled; a `web` pod on the
lost node whose log could not be fetched. Every layout must give the same findings.

The layouts are written from the formats' public sources, never from a customer bundle:
- aksbundle-v1/: docs/bundle-format.md.
- troubleshoot/: replicatedhq/troubleshoot pkg/collect (cluster_resources.go names
  cluster-resources/<kind>/<ns>.json, <kind>-errors.json, pods/logs/<ns>/<pod>/<c>.log and
  <c>-logs-errors.log; client-go writes an empty list as "items": null; version.yaml;
  cluster-info/cluster_version.json; analysis.json; all-logs/ links).
- cluster-info-dump/: kubectl cluster-info dump --output-directory (kubectl's
  clusterinfo_dump.go: nodes.json, <ns>/<kind>.json, <ns>/<pod>/logs.txt between START/END
  markers, "Request log error: ..." written into logs.txt when a log fetch fails).
- cluster-info-dump-1.13/: the same as kubectl 1.13 and older printed it, Go's internal
  types (kubernetes pkg/apis/core/types.go: no JSON tags, so "Items" and Go field names;
  ObjectMeta embedded, so its fields sit on the object under their own JSON tags).
- cluster-info-dump-stream/cluster-info.txt: kubectl cluster-info dump without
  --output-directory, one stream (nodes, then per namespace events, replicationcontrollers,
  services, daemonsets, deployments, replicasets, pods, then each pod's logs).
Run: python3 testdata/make_layouts.py
"""
import json, os, shutil, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import (HERE, NODES, T0, COLLECTED, write, lst, uid, node, pod, container,
                           event, service, endpoints, manifest, system_pods)

ROOT = os.path.join(HERE, "layouts")
LOST = NODES[2]
WEB = "web-7c9d8b6f4-k2x4p"
CART = "cart-6b8f7d9c5-zt4xq"
REPORT = "report-5f7c9d8b6-q8w2m"
UNKNOWN_ERR = 'an error on the server ("unknown") has prevented the request from succeeding (get pods %s)' % WEB
KUBELET_ERR = 'Get "https://10.224.0.6:10250/containerLogs/shop/%s/web": dial tcp 10.224.0.6:10250: i/o timeout' % WEB
CART_LOG = ("2026-11-22T03:52:10.118402Z 2026/11/22 03:52:10 starting cart service version=0.9.1\n"
            "2026-11-22T03:52:13.120931Z 2026/11/22 03:52:13 fatal: cannot connect to redis at cart-redis.shop.svc.cluster.local:6379: dial tcp 10.0.88.14:6379: i/o timeout\n")


def cluster():
    nodes = [node(n, i, ready=(n != LOST)) for i, n in enumerate(NODES)]
    lost = nodes[2]
    lost["spec"]["taints"] = [{"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule", "timeAdded": "2026-11-22T03:31:02Z"},
                              {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute", "timeAdded": "2026-11-22T03:31:07Z"}]
    for c in lost["status"]["conditions"]:
        c["status"], c["reason"], c["message"] = "Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status."
        c["lastTransitionTime"] = "2026-11-22T03:31:02Z"
    cart = pod("shop", CART, NODES[0], {"app": "cart"}, [container("cart", "contosoprod.azurecr.io/shop/cart:0.9.1")], ready=False,
               statuses=[{"name": "cart", "image": "contosoprod.azurecr.io/shop/cart:0.9.1", "imageID": "", "ready": False, "restartCount": 9, "started": False,
                          "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s restarting failed container=cart pod=%s_shop(%s)" % (CART, uid("shop" + CART))}},
                          "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "startedAt": "2026-11-22T03:52:10Z", "finishedAt": "2026-11-22T03:52:13Z",
                                                       "containerID": "containerd://" + uid("cart").replace("-", "")}}}],
               owner=("ReplicaSet", "cart-6b8f7d9c5"))
    report = pod("shop", REPORT, None, {"app": "report"}, [container("report", "contosoprod.azurecr.io/shop/report:2.0.1")], phase="Pending", ready=False, statuses=[],
                 owner=("ReplicaSet", "report-5f7c9d8b6"),
                 conditions=[{"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "lastTransitionTime": "2026-11-22T03:40:00Z",
                              "message": "0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod."}])
    del report["spec"]["nodeName"]
    report["spec"]["containers"][0]["resources"]["requests"]["cpu"] = "3500m"
    web = pod("shop", WEB, LOST, {"app": "web"}, [container("web", "contosoprod.azurecr.io/shop/web:1.4.2", ports=[("http", 8080)])], ip="10.244.2.17",
              owner=("ReplicaSet", "web-7c9d8b6f4"))
    shop_pods = [cart, report, web]
    shop_events = [
        event("shop", CART, "Pod", "BackOff", "Back-off restarting failed container cart in pod %s_shop(%s)" % (CART, uid("shop" + CART)), typ="Warning", count=41,
              first="2026-11-22T03:20:31Z", last="2026-11-22T03:58:02Z", host=NODES[0]),
        event("shop", REPORT, "Pod", "FailedScheduling", report["status"]["conditions"][0]["message"], typ="Warning", count=12,
              first="2026-11-22T03:40:00Z", last="2026-11-22T03:58:40Z", component="default-scheduler"),
    ]
    # No service: kubectl cluster-info dump does not collect endpoints, and every layout
    # must show the same findings.
    svc, eps = [], []
    sys_pods = system_pods()[0]
    return nodes, {"shop": (shop_pods, shop_events, svc, eps), "kube-system": (sys_pods, [], [], [])}


def aksbundle_v1(nodes, nss):
    root = os.path.join(ROOT, "aksbundle-v1")
    err = {"step": "logs/shop/%s/web" % WEB, "command": "kubectl logs -n shop %s -c web --timestamps --since=1h" % WEB, "exit_code": 1,
           "stderr": "Error from server: " + KUBELET_ERR, "at": "2026-11-22T04:00:07Z"}
    write(root, "manifest.json", manifest("prod-westeu", errors=[err]))
    write(root, "cluster/version.json", {"clientVersion": {"gitVersion": "v1.30.5"}, "serverVersion": {"gitVersion": "v1.30.5"}})
    write(root, "cluster/nodes.json", lst(nodes))
    for ns, (pods, events, svcs, eps) in nss.items():
        write(root, f"namespaces/{ns}/pods.json", lst(pods))
        write(root, f"namespaces/{ns}/events.json", lst(events))
        write(root, f"namespaces/{ns}/services.json", lst(svcs))
        write(root, f"namespaces/{ns}/endpoints.json", lst(eps))
    write(root, f"logs/shop/{CART}/cart.log", "2026-11-22T03:58:10.002114Z 2026/11/22 03:58:10 starting cart service version=0.9.1\n")
    write(root, f"logs/shop/{CART}/cart.previous.log", CART_LOG)


def troubleshoot(nodes, nss):
    root = os.path.join(ROOT, "troubleshoot")
    write(root, "version.yaml", "apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\nspec:\n  versionNumber: 0.107.1\n")
    write(root, "analysis.json", [
        {"name": "node-resources-check", "labels": {"desiredPosition": "1", "iconKey": "kubernetes_node_status"},
         "insight": {"name": "node-resources-check", "labels": {"iconKey": "kubernetes_node_status"}, "primary": "Node status check",
                     "detail": "Not all nodes are online.", "severity": "error"}, "severity": "error", "analyzerSpec": ""},
        {"name": "kubernetes-version", "labels": {"desiredPosition": "1"},
         "insight": {"name": "kubernetes-version", "primary": "Kubernetes version", "detail": "Your cluster meets the recommended and required versions of Kubernetes.",
                     "severity": "debug"}, "severity": "debug", "analyzerSpec": ""},
    ])
    write(root, "cluster-info/cluster_version.json", {"info": {"major": "1", "minor": "30", "gitVersion": "v1.30.5", "gitCommit": "74e84a90c725047b1328ff3d589fedb1cb7a120e",
                                                               "gitTreeState": "clean", "buildDate": "2024-09-12T00:11:55Z", "goVersion": "go1.22.6",
                                                               "compiler": "gc", "platform": "linux/amd64"}, "string": "v1.30.5"})
    write(root, "cluster-resources/nodes.json", {"kind": "NodeList", "apiVersion": "v1", "metadata": {"resourceVersion": "1841153"}, "items": nodes})
    write(root, "cluster-resources/namespaces.json", {"kind": "NamespaceList", "apiVersion": "v1", "metadata": {"resourceVersion": "1841153"},
                                                      "items": [{"kind": "Namespace", "apiVersion": "v1", "metadata": {"name": ns}, "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}} for ns in ["default", *nss]]})
    for ns, (pods, events, svcs, eps) in {"default": ([], [], [], []), **nss}.items():
        for kind, items, lkind in [("pods", pods, "PodList"), ("events", events, "EventList"), ("services", svcs, "ServiceList"), ("endpoints", eps, "EndpointsList")]:
            # client-go marshals an empty list's items as null.
            write(root, f"cluster-resources/{kind}/{ns}.json", {"kind": lkind, "apiVersion": "v1", "metadata": {"resourceVersion": "1841153"}, "items": items or None})
    write(root, "cluster-resources/deployments/shop.json", {"kind": "DeploymentList", "apiVersion": "apps/v1", "metadata": {}, "items": None})
    write(root, "cluster-resources/auth-cani-list/shop.json", [{"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods"]}])
    write(root, "cluster-resources/pods/logs/shop/%s/cart.log" % CART, CART_LOG.replace("2026-11-22T03:52", "2026-11-22T03:58").split("\n")[0] + "\n")
    write(root, "cluster-resources/pods/logs/shop/%s/cart-previous.log" % CART, CART_LOG)
    write(root, "cluster-resources/pods/logs/shop/%s/web-logs-errors.log" % WEB, KUBELET_ERR)
    link_dir = os.path.join(root, "all-logs", "shop", CART)
    os.makedirs(link_dir, exist_ok=True)
    for f in ["cart.log", "cart-previous.log"]:
        os.symlink(f"../../../cluster-resources/pods/logs/shop/{CART}/{f}", os.path.join(link_dir, f))


def dump_logs(pod_name, body):
    return ("==== START logs for container %s of pod shop/%s ====\n" % (pod_name.split("-")[0], pod_name) + body +
            "==== END logs for container %s of pod shop/%s ====\n" % (pod_name.split("-")[0], pod_name))


def cluster_info_dump(nodes, nss):
    root = os.path.join(ROOT, "cluster-info-dump")
    write(root, "nodes.json", {"kind": "NodeList", "apiVersion": "v1", "metadata": {"resourceVersion": "1841153"}, "items": nodes})
    for ns, (pods, events, svcs, eps) in nss.items():
        for kind, items, lkind in [("events", events, "EventList"), ("replicationcontrollers", [], "ReplicationControllerList"), ("services", svcs, "ServiceList"),
                                   ("daemonsets", [], "DaemonSetList"), ("deployments", [], "DeploymentList"), ("replicasets", [], "ReplicaSetList"), ("pods", pods, "PodList")]:
            write(root, f"{ns}/{kind}.json", {"kind": lkind, "apiVersion": "v1", "metadata": {"resourceVersion": "1841153"}, "items": items})
    write(root, f"shop/{CART}/logs.txt", dump_logs(CART, CART_LOG.replace("2026-11-22T03:52:10.118402Z ", "").replace("2026-11-22T03:52:13.120931Z ", "")))
    write(root, f"shop/{WEB}/logs.txt", dump_logs(WEB, "Request log error: " + UNKNOWN_ERR + "\n"))


GO_NAMES = {"ip": "IP", "uid": "UID", "qosClass": "QOSClass", "apiVersion": "APIVersion", "podIPs": "PodIPs", "hostIPs": "HostIPs"}
META = {"name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp", "labels", "annotations", "ownerReferences", "finalizers"}
MAPS = {"labels", "annotations", "nodeSelector", "selector", "limits", "requests", "capacity", "allocatable"}


def go_name(k):
    return GO_NAMES.get(k, k[:1].upper() + k[1:])


def internal_fields(v):
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            name = {"lastState": "LastTerminationState"}.get(k, go_name(k))
            out[name] = x if k in MAPS else internal_fields(x)
        return out
    if isinstance(v, list):
        return [internal_fields(x) for x in v]
    return v


def internal(obj):
    """A versioned object as kubectl 1.13 printed its internal type."""
    obj = json.loads(json.dumps(obj))
    meta = obj.pop("metadata", {})
    obj.pop("apiVersion", None), obj.pop("kind", None)
    spec = obj.get("spec")
    if isinstance(spec, dict) and spec.pop("hostNetwork", False):
        spec.setdefault("securityContext", {})["hostNetwork"] = True
    out = {k: meta[k] for k in meta if k in META}
    out.update(internal_fields(obj))
    return out


def internal_list(items, link):
    return {"selfLink": link, "resourceVersion": "1841153", "Items": [internal(i) for i in items]}


def cluster_info_dump_113(nodes, nss):
    root = os.path.join(ROOT, "cluster-info-dump-1.13")
    write(root, "nodes.json", internal_list(nodes, "/api/v1/nodes"))
    for ns, (pods, events, svcs, eps) in nss.items():
        for kind, items in [("events", events), ("replicationcontrollers", []), ("services", svcs), ("daemonsets", []), ("deployments", []), ("replicasets", []), ("pods", pods)]:
            write(root, f"{ns}/{kind}.json", internal_list(items, f"/api/v1/namespaces/{ns}/{kind}"))
    write(root, f"shop/{CART}/logs.txt", dump_logs(CART, CART_LOG.replace("2026-11-22T03:52:10.118402Z ", "").replace("2026-11-22T03:52:13.120931Z ", "")))
    write(root, f"shop/{WEB}/logs.txt", dump_logs(WEB, "Request log error: " + UNKNOWN_ERR + "\n"))


def cluster_info_dump_stream(nodes, nss):
    docs = [json.dumps({"kind": "NodeList", "apiVersion": "v1", "metadata": {"resourceVersion": "1841153"}, "items": nodes}, indent=4, ensure_ascii=False)]
    logs = {}
    out = []
    for ns, (pods, events, svcs, eps) in nss.items():
        for kind, items, lkind in [("events", events, "EventList"), ("replicationcontrollers", [], "ReplicationControllerList"), ("services", svcs, "ServiceList"),
                                   ("daemonsets", [], "DaemonSetList"), ("deployments", [], "DeploymentList"), ("replicasets", [], "ReplicaSetList"), ("pods", pods, "PodList")]:
            docs.append(json.dumps({"kind": lkind, "apiVersion": "v1", "metadata": {"resourceVersion": "1841153"}, "items": items}, indent=4, ensure_ascii=False))
        if ns == "shop":
            docs.append(dump_logs(CART, CART_LOG.replace("2026-11-22T03:52:10.118402Z ", "").replace("2026-11-22T03:52:13.120931Z ", "")).rstrip("\n"))
            docs.append(dump_logs(WEB, "Request log error: " + UNKNOWN_ERR + "\n").rstrip("\n"))
    write(os.path.join(ROOT, "cluster-info-dump-stream"), "cluster-info.txt", "\n".join(docs) + "\n")


if __name__ == "__main__":
    shutil.rmtree(ROOT, ignore_errors=True)
    nodes, nss = cluster()
    aksbundle_v1(nodes, nss)
    troubleshoot(nodes, nss)
    cluster_info_dump(nodes, nss)
    cluster_info_dump_113(nodes, nss)
    cluster_info_dump_stream(nodes, nss)
