#!/usr/bin/env python3
"""Holdout bundles for the second wave's diagnoses (storage, nodes, workloads, control
plane, admission, DNS, load balancers, autoscaling and quotas).

Written from research/breadth.md's signals and from real wordings found in public issue
threads and Microsoft Learn pages, without reading the rules that diagnose them: each case
is a failure as a ticket would bring it, and `expected.yaml` says which diagnosis a
support engineer would name. `analyzer/tests/wordings.rs` runs them all.

Run from the repository root: python3 testdata/make_wordings_wave2.py
"""

import hashlib
import json
import os
import shutil

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "wordings")
COLLECTED = "2026-11-29T18:30:00Z"
NODES = ["aks-nodepool1-31718369-vmss000000", "aks-nodepool1-31718369-vmss000001",
         "aks-nodepool1-31718369-vmss000002"]
WIN = "akswin000000"


def uid(*parts):
    h = hashlib.sha1("/".join(parts).encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


def t(minutes_before):
    """A time `minutes_before` the collection (2026-11-29T18:30:00Z)."""
    total = 18 * 60 + 30 - minutes_before
    day = 29
    while total < 0:
        total += 24 * 60
        day -= 1
    return f"2026-11-{day:02d}T{total // 60:02d}:{total % 60:02d}:00Z"


def lst(items, kind="List"):
    return {"apiVersion": "v1", "kind": kind, "metadata": {"resourceVersion": ""}, "items": items}


def manifest(errors=(), version="v1.29.9"):
    return {
        "format": "aksbundle/v1",
        "collector": {"name": "aksbundle", "version": "0.2.0"},
        "collected_at": COLLECTED,
        "cluster": {"context": "prod-aks",
                    "server": "https://prod-aks-dns-7b2d9c1e.hcp.westeurope.azmk8s.io:443",
                    "version": version},
        "options": {"since": "1h", "namespaces": ["*"], "node_ipam": False},
        "redactions": 0,
        "errors": list(errors),
    }


def collect_error(step, command, stderr, minutes=0):
    return {"step": step, "command": command, "exit_code": 1, "stderr": stderr, "at": t(minutes)}


def node(name, ready="True", reason="KubeletReady", message="kubelet is posting ready status",
         pressure=None, windows=False, taints=None):
    conds = []
    for typ, bad_reason, ok_reason, ok_msg in [
        ("MemoryPressure", "KubeletHasInsufficientMemory", "KubeletHasSufficientMemory",
         "kubelet has sufficient memory available"),
        ("DiskPressure", "KubeletHasDiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        ("PIDPressure", "KubeletHasInsufficientPID", "KubeletHasSufficientPID",
         "kubelet has sufficient PID available"),
    ]:
        if pressure and typ in pressure:
            conds.append({"type": typ, "status": "True", "reason": bad_reason, "message": pressure[typ],
                          "lastHeartbeatTime": t(1), "lastTransitionTime": t(40)})
        else:
            conds.append({"type": typ, "status": "False", "reason": ok_reason, "message": ok_msg,
                          "lastHeartbeatTime": t(1), "lastTransitionTime": t(9000)})
    conds.append({"type": "Ready", "status": ready, "reason": reason, "message": message,
                  "lastHeartbeatTime": t(1), "lastTransitionTime": t(45 if ready != "True" else 9000)})
    os_name = "windows" if windows else "linux"
    labels = {"kubernetes.io/os": os_name, "kubernetes.io/hostname": name,
              "agentpool": "win" if windows else "nodepool1",
              "node.kubernetes.io/instance-type": "Standard_D4s_v3",
              "topology.kubernetes.io/zone": "westeurope-1"}
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "uid": uid("node", name), "labels": labels,
                     "creationTimestamp": t(20000)},
        "spec": {"providerID": f"azure:///subscriptions/3f2b6c1d-8a4e-4f0b-9c7d-2e1a5b6c7d8e/resourceGroups/mc_prod_prod-aks_westeurope/providers/Microsoft.Compute/virtualMachineScaleSets/aks-nodepool1-31718369-vmss/virtualMachines/{name[-1]}",
                 "podCIDR": "10.244.0.0/24", **({"taints": taints} if taints else {})},
        "status": {
            "conditions": conds,
            "addresses": [{"type": "InternalIP", "address": "10.224.0.%d" % (4 + (sum(map(ord, name)) % 200))},
                          {"type": "Hostname", "address": name}],
            "allocatable": {"cpu": "3860m", "memory": "12880960Ki", "pods": "110", "ephemeral-storage": "119703055367"},
            "nodeInfo": {
                "kubeletVersion": "v1.29.9", "containerRuntimeVersion": "containerd://1.7.22-1",
                "operatingSystem": os_name, "architecture": "amd64",
                "osImage": "Windows Server 2022 Datacenter" if windows else "Ubuntu 22.04.5 LTS",
                "kernelVersion": "10.0.20348.2762" if windows else "5.15.0-1074-azure",
            },
        },
    }


def nodes(*extra, base=NODES):
    return lst([node(n) for n in base] + list(extra))


def pod(ns, name, node_name=NODES[0], phase="Running", ready=True, containers=None, owner=None,
        labels=None, volumes=None, reason=None, message=None, created=60, deletion=None, init=None):
    containers = containers or [{"name": "app", "image": "prodacr.azurecr.io/shop/app:3.4.1"}]
    statuses = []
    for c in containers:
        st = c.get("state") or ({"running": {"startedAt": t(created - 1)}} if phase == "Running" else
                                {"waiting": {"reason": "ContainerCreating"}})
        statuses.append({"name": c["name"], "image": c["image"], "imageID": "", "ready": c.get("ready", ready),
                         "restartCount": c.get("restarts", 0), "started": phase == "Running",
                         "state": st, "lastState": c.get("last", {})})
    meta = {"name": name, "namespace": ns, "uid": uid("pod", ns, name), "labels": labels or {},
            "creationTimestamp": t(created)}
    if owner:
        meta["ownerReferences"] = [{"apiVersion": "apps/v1" if owner[0] != "Job" else "batch/v1",
                                    "kind": owner[0], "name": owner[1], "uid": uid(owner[0], ns, owner[1]),
                                    "controller": True, "blockOwnerDeletion": True}]
    if deletion:
        meta["deletionTimestamp"] = deletion
        meta["deletionGracePeriodSeconds"] = 30
    spec = {"nodeName": node_name, "serviceAccountName": "default", "restartPolicy": "Always",
            "containers": [{k: v for k, v in c.items() if k in ("name", "image", "env", "ports", "resources",
                                                                 "readinessProbe", "livenessProbe", "args")}
                           for c in containers]}
    if node_name is None:
        del spec["nodeName"]
    if volumes:
        spec["volumes"] = volumes
    if init:
        spec["initContainers"] = init
    conds = [{"type": "PodScheduled", "status": "True" if node_name else "False", "lastTransitionTime": t(created)}]
    if node_name:
        conds += [{"type": "Initialized", "status": "True", "lastTransitionTime": t(created)},
                  {"type": "ContainersReady", "status": "True" if ready else "False", "lastTransitionTime": t(created)},
                  {"type": "Ready", "status": "True" if ready else "False", "lastTransitionTime": t(created)}]
    status = {"phase": phase, "conditions": conds, "hostIP": "10.224.0.5" if node_name else None,
              "podIP": "10.244.1.%d" % (sum(map(ord, name)) % 250) if phase == "Running" else None,
              "startTime": t(created), "containerStatuses": statuses if node_name else []}
    if reason:
        status["reason"] = reason
    if message:
        status["message"] = message
    status = {k: v for k, v in status.items() if v is not None}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec, "status": status}


def event(ns, kind, name, reason, message, typ="Warning", first=20, last=2, count=1, component="kubelet",
          host=NODES[0], field=None, api="v1"):
    inv = {"apiVersion": api, "kind": kind, "name": name, "uid": uid(kind, ns or "", name)}
    if ns and kind not in ("Node", "PersistentVolume", "Namespace"):
        inv["namespace"] = ns
    if field:
        inv["fieldPath"] = field
    return {
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": f"{name}.{hashlib.sha1((reason + message).encode()).hexdigest()[:16]}",
                     "namespace": ns or "default", "uid": uid("ev", name, reason, message),
                     "creationTimestamp": t(first)},
        "involvedObject": inv, "reason": reason, "message": message,
        "source": {"component": component, **({"host": host} if component == "kubelet" else {})},
        "firstTimestamp": t(first), "lastTimestamp": t(last), "count": count, "type": typ,
        "eventTime": None, "reportingComponent": component, "reportingInstance": host if component == "kubelet" else "",
    }


def workload(kind, ns, name, replicas=1, status=None, labels=None, owner=None, template=None, extra_spec=None):
    labels = labels or {"app": name}
    meta = {"name": name, "namespace": ns, "uid": uid(kind, ns, name), "generation": 3,
            "labels": labels, "creationTimestamp": t(3000)}
    if owner:
        meta["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": owner[0], "name": owner[1],
                                    "uid": uid(owner[0], ns, owner[1]), "controller": True}]
    spec = {"replicas": replicas, "selector": {"matchLabels": labels},
            "template": template or {"metadata": {"labels": labels},
                                     "spec": {"containers": [{"name": "app", "image": "prodacr.azurecr.io/shop/app:3.4.1"}]}}}
    if kind == "DaemonSet":
        del spec["replicas"]
    spec.update(extra_spec or {})
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": meta, "spec": spec, "status": status or {}}


def service(ns, name, selector, typ="ClusterIP", ports=None, lb_ingress=None, annotations=None):
    s = {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": name, "namespace": ns, "uid": uid("svc", ns, name), "creationTimestamp": t(3000),
                      **({"annotations": annotations} if annotations else {})},
         "spec": {"type": typ, "selector": selector, "clusterIP": "10.0.%d.%d" % (len(name), len(ns) * 7 % 250),
                  "ports": ports or [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}]},
         "status": {"loadBalancer": {"ingress": lb_ingress} if lb_ingress else {}}}
    return s


def endpoints(ns, name, ready_ips=(), not_ready=()):
    subsets = []
    if ready_ips or not_ready:
        sub = {"ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}
        if ready_ips:
            sub["addresses"] = [{"ip": ip, "nodeName": NODES[0]} for ip in ready_ips]
        if not_ready:
            sub["notReadyAddresses"] = [{"ip": ip, "nodeName": NODES[0]} for ip in not_ready]
        subsets.append(sub)
    return {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": name, "namespace": ns}, "subsets": subsets}


class Case:
    def __init__(self, name, note):
        self.name = name
        self.note = note
        self.files = {}
        self.expect = []
        self.absent = []
        self.errors = []
        self.version = "v1.29.9"
        self.files["cluster/nodes.json"] = nodes()

    def put(self, rel, obj):
        self.files[rel] = obj
        return self

    def ns(self, ns, kind, items):
        rel = f"namespaces/{ns}/{kind}.json"
        if rel in self.files:
            self.files[rel]["items"].extend(items)
            return self
        return self.put(rel, lst(items))

    def cluster(self, kind, items):
        return self.put(f"cluster/{kind}.json", lst(items))

    def text(self, rel, body):
        self.files[rel] = body
        return self

    def want(self, rule, objects=None, facts=None):
        e = {"rule": rule}
        if objects is not None:
            e["objects"] = objects
        if facts:
            e["facts"] = facts
        self.expect.append(e)
        return self

    def none(self, *rules):
        self.absent.extend(rules)
        return self

    def write(self):
        d = os.path.join(ROOT, self.name)
        shutil.rmtree(d, ignore_errors=True)
        b = os.path.join(d, "bundle")
        self.files["manifest.json"] = manifest(self.errors, self.version)
        for rel, body in self.files.items():
            p = os.path.join(b, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "w", encoding="utf-8") as f:
                if isinstance(body, str):
                    f.write(body)
                else:
                    json.dump(body, f, indent=2, ensure_ascii=False)
                    f.write("\n")
        with open(os.path.join(d, "expected.yaml"), "w", encoding="utf-8") as f:
            f.write("note: " + json.dumps(self.note, ensure_ascii=False) + "\n")
            f.write("expect:\n" if self.expect else "expect: []\n")
            for e in self.expect:
                f.write(f"  - rule: {e['rule']}\n")
                if "objects" in e:
                    f.write("    objects: [" + ", ".join(e["objects"]) + "]\n")
                if "facts" in e:
                    f.write("    facts: {" + ", ".join(f"{k}: {json.dumps(v)}" for k, v in e["facts"].items()) + "}\n")
            if self.absent:
                f.write("absent: [" + ", ".join(self.absent) + "]\n")


CASES = []


def case(name, note):
    c = Case(name, note)
    CASES.append(c)
    return c


SUB = "/subscriptions/3f2b6c1d-8a4e-4f0b-9c7d-2e1a5b6c7d8e"
MC = f"{SUB}/resourceGroups/mc_prod_prod-aks_westeurope"


def rs_and_deploy(ns, name, hash_, replicas=1, available=1, conds=None, rs_conds=None, image=None):
    labels = {"app": name}
    tmpl = {"metadata": {"labels": labels}, "spec": {"containers": [
        {"name": "app", "image": image or f"prodacr.azurecr.io/shop/{name}:3.4.1"}]}}
    dep = workload("Deployment", ns, name, replicas, {
        "observedGeneration": 3, "replicas": replicas, "updatedReplicas": replicas,
        "readyReplicas": available, "availableReplicas": available,
        "unavailableReplicas": max(replicas - available, 0) or None,
        "conditions": conds or [
            {"type": "Available", "status": "True" if available >= replicas else "False",
             "reason": "MinimumReplicasAvailable" if available >= replicas else "MinimumReplicasUnavailable",
             "message": "Deployment has minimum availability." if available >= replicas else "Deployment does not have minimum availability.",
             "lastUpdateTime": t(50), "lastTransitionTime": t(50)},
            {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
             "message": f'ReplicaSet "{name}-{hash_}" has successfully progressed.',
             "lastUpdateTime": t(50), "lastTransitionTime": t(3000)}]}, labels, template=tmpl)
    dep["status"] = {k: v for k, v in dep["status"].items() if v is not None}
    rs = workload("ReplicaSet", ns, f"{name}-{hash_}", replicas, {
        "observedGeneration": 1, "replicas": available, "readyReplicas": available,
        "availableReplicas": available, **({"conditions": rs_conds} if rs_conds else {})},
        {**labels, "pod-template-hash": hash_}, owner=("Deployment", name), template=tmpl)
    return dep, rs


# ---------------------------------------------------------------- storage
c = case("azure-disk-attach-failed-zone-mismatch-autorest",
         "Track-1 azure-sdk (autorest) wording of a zonal disk attached to a VM in another zone, as "
         "Azure/AKS issue threads and the 'Troubleshoot Azure disk attach' Learn page quote it: "
         "\"cannot be attached to the VM because it is not in the same zone as the VM\".")
pvname = "pvc-2c7a1e4f-9b3d-4e8a-a1f2-7d6c5b4a3e21"
c.ns("ledger", "pods", [pod("ledger", "ledger-0", NODES[1], phase="Pending", ready=False,
                             owner=("StatefulSet", "ledger"), labels={"app": "ledger"},
                             volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": "data-ledger-0"}}])])
c.ns("ledger", "statefulsets", [workload("StatefulSet", "ledger", "ledger", 1, {"replicas": 1, "readyReplicas": 0, "currentReplicas": 1})])
c.ns("ledger", "persistentvolumeclaims", [{"apiVersion": "v1", "kind": "PersistentVolumeClaim",
    "metadata": {"name": "data-ledger-0", "namespace": "ledger", "uid": uid("pvc", "data-ledger-0")},
    "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "managed-csi-premium", "volumeName": pvname,
             "resources": {"requests": {"storage": "64Gi"}}},
    "status": {"phase": "Bound", "accessModes": ["ReadWriteOnce"], "capacity": {"storage": "64Gi"}}}])
c.cluster("persistentvolumes", [{"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": pvname},
    "spec": {"capacity": {"storage": "64Gi"}, "accessModes": ["ReadWriteOnce"], "storageClassName": "managed-csi-premium",
             "claimRef": {"kind": "PersistentVolumeClaim", "namespace": "ledger", "name": "data-ledger-0"},
             "csi": {"driver": "disk.csi.azure.com", "volumeHandle": f"{MC}/providers/Microsoft.Compute/disks/{pvname}"},
             "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                 {"key": "topology.disk.csi.azure.com/zone", "operator": "In", "values": ["westeurope-1"]}]}]}}},
    "status": {"phase": "Bound"}}])
c.ns("ledger", "events", [event("ledger", "Pod", "ledger-0", "FailedAttachVolume",
    f'AttachVolume.Attach failed for volume "{pvname}" : rpc error: code = Unknown desc = Attach volume '
    f'"{MC}/providers/Microsoft.Compute/disks/{pvname}" to instance "aks-nodepool1-31718369-vmss000001" failed with '
    'compute.VirtualMachineScaleSetVMsClient#Update: Failure sending request: StatusCode=400 -- Original Error: '
    'Code="BadRequest" Message="Disk '
    f"{MC}/providers/Microsoft.Compute/disks/{pvname}"
    ' cannot be attached to the VM because it is not in the same zone as the VM. VM zone: \'2\'. Disk zone: \'1\'."',
    component="attachdetach-controller", count=14)])
c.want("azure-disk-attach-failed").none("volume-multi-attach", "pvc-pending", "pvc-provisioning-failed", "kv-mount-failed")

c = case("azure-disk-attach-failed-max-data-disks-track2",
         "Track-2 azure-sdk-for-go wording (RESPONSE 409 / ERROR CODE: OperationNotAllowed, multi-line JSON body), "
         "as the disk CSI driver v1.28+ prints it, on the VolumeAttachment's attachError only: the data-disk count limit of the VM size.")
pv2 = "pvc-8d1c3b5a-2f4e-4a6b-9c8d-0e1f2a3b4c5d"
va_msg = (f"rpc error: code = Internal desc = Attach volume {MC}/providers/Microsoft.Compute/disks/{pv2} to instance "
          "aks-nodepool1-31718369-vmss000000 failed with PUT https://management.azure.com" + MC +
          "/providers/Microsoft.Compute/virtualMachineScaleSets/aks-nodepool1-31718369-vmss/virtualMachines/0\n"
          "--------------------------------------------------------------------------------\n"
          "RESPONSE 409: 409 Conflict\nERROR CODE: OperationNotAllowed\n"
          "--------------------------------------------------------------------------------\n"
          "{\n  \"error\": {\n    \"code\": \"OperationNotAllowed\",\n    \"message\": \"The maximum number of data disks allowed to be attached to a VM of this size is 8.\",\n    \"target\": \"dataDisks\"\n  }\n}\n"
          "--------------------------------------------------------------------------------\n")
c.ns("analytics", "pods", [pod("analytics", "spark-worker-3", NODES[0], phase="Pending", ready=False,
                                owner=("StatefulSet", "spark-worker"), labels={"app": "spark-worker"},
                                volumes=[{"name": "scratch", "persistentVolumeClaim": {"claimName": "scratch-spark-worker-3"}}])])
c.ns("analytics", "persistentvolumeclaims", [{"apiVersion": "v1", "kind": "PersistentVolumeClaim",
    "metadata": {"name": "scratch-spark-worker-3", "namespace": "analytics"},
    "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "managed-csi", "volumeName": pv2,
             "resources": {"requests": {"storage": "128Gi"}}}, "status": {"phase": "Bound"}}])
c.cluster("volumeattachments", [{"apiVersion": "storage.k8s.io/v1", "kind": "VolumeAttachment",
    "metadata": {"name": "csi-5e0b8c2f1d3a4b6c8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d"},
    "spec": {"attacher": "disk.csi.azure.com", "nodeName": NODES[0], "source": {"persistentVolumeName": pv2}},
    "status": {"attached": False, "attachError": {"time": t(3), "message": va_msg}}}])
c.ns("analytics", "events", [])
c.cluster("csinodes", [{"apiVersion": "storage.k8s.io/v1", "kind": "CSINode", "metadata": {"name": NODES[0]},
    "spec": {"drivers": [{"name": "disk.csi.azure.com", "nodeID": NODES[0], "allocatable": {"count": 8},
                          "topologyKeys": ["topology.disk.csi.azure.com/zone"]}]}}])
c.want("azure-disk-attach-failed").none("volume-multi-attach", "pvc-pending")

c = case("volume-multi-attach-rollout-rwo-disk",
         "Kubernetes attach-detach controller wording since 1.10 (\"Multi-Attach error for volume ... Volume is already used by pod(s) ...\"), "
         "Azure/AKS#1035-style rolling update of a Deployment holding a ReadWriteOnce Azure disk, new pod on another node.")
pv3 = "pvc-0f9e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f"
c.ns("monitoring", "pods", [
    pod("monitoring", "grafana-6f8d9b7c4d-q2w8x", NODES[0], owner=("ReplicaSet", "grafana-6f8d9b7c4d"),
        labels={"app": "grafana"}, created=900,
        volumes=[{"name": "storage", "persistentVolumeClaim": {"claimName": "grafana"}}]),
    pod("monitoring", "grafana-7b5c4d8e9f-m4n6p", NODES[2], phase="Pending", ready=False,
        owner=("ReplicaSet", "grafana-7b5c4d8e9f"), labels={"app": "grafana"}, created=25,
        volumes=[{"name": "storage", "persistentVolumeClaim": {"claimName": "grafana"}}])])
c.ns("monitoring", "persistentvolumeclaims", [{"apiVersion": "v1", "kind": "PersistentVolumeClaim",
    "metadata": {"name": "grafana", "namespace": "monitoring"},
    "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "managed-csi", "volumeName": pv3,
             "resources": {"requests": {"storage": "10Gi"}}}, "status": {"phase": "Bound"}}])
c.ns("monitoring", "events", [
    event("monitoring", "Pod", "grafana-7b5c4d8e9f-m4n6p", "FailedAttachVolume",
          f'Multi-Attach error for volume "{pv3}" Volume is already used by pod(s) grafana-6f8d9b7c4d-q2w8x',
          component="attachdetach-controller", first=25, last=1, count=1),
    event("monitoring", "Pod", "grafana-7b5c4d8e9f-m4n6p", "FailedMount",
          "Unable to attach or mount volumes: unmounted volumes=[storage], unattached volumes=[storage kube-api-access-7xk2m]: timed out waiting for the condition",
          host=NODES[2], first=23, last=1, count=11)])
c.want("volume-multi-attach").none("azure-disk-attach-failed", "azure-file-mount-failed", "kv-mount-failed")

c = case("azure-file-mount-failed-permission-denied-key",
         "file.csi.azure.com wording with the cifs mount output 'mount error(13): Permission denied' after the storage "
         "account key was rotated (Learn: 'Azure Files mount errors', error 13), kubelet FailedMount wrapped with Mounting arguments.")
pv4 = "pvc-91b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
c.ns("cms", "pods", [pod("cms", "wordpress-5c7d9f8b6-h7j9k", NODES[1], phase="Pending", ready=False,
                          owner=("ReplicaSet", "wordpress-5c7d9f8b6"), labels={"app": "wordpress"},
                          volumes=[{"name": "uploads", "persistentVolumeClaim": {"claimName": "wp-uploads"}}])])
c.ns("cms", "persistentvolumeclaims", [{"apiVersion": "v1", "kind": "PersistentVolumeClaim",
    "metadata": {"name": "wp-uploads", "namespace": "cms"},
    "spec": {"accessModes": ["ReadWriteMany"], "storageClassName": "azurefile-csi", "volumeName": pv4,
             "resources": {"requests": {"storage": "100Gi"}}}, "status": {"phase": "Bound"}}])
c.ns("cms", "events", [event("cms", "Pod", "wordpress-5c7d9f8b6-h7j9k", "FailedMount",
    f'MountVolume.MountDevice failed for volume "{pv4}" : rpc error: code = Internal desc = volume(mc_prod_prod-aks_westeurope#f8a1b2c3d4e5f6a7b8c9d0e1#{pv4}###cms) '
    f'mount //f8a1b2c3d4e5f6a7b8c9d0e1.file.core.windows.net/{pv4} on /var/lib/kubelet/plugins/kubernetes.io/csi/file.csi.azure.com/3a1b2c3d4e5f/globalmount failed with '
    'mount failed: exit status 32\nMounting command: mount\nMounting arguments: -t cifs -o mfsymlinks,actimeo=30,nosharesock,file_mode=0777,dir_mode=0777,<masked> '
    f'//f8a1b2c3d4e5f6a7b8c9d0e1.file.core.windows.net/{pv4} /var/lib/kubelet/plugins/kubernetes.io/csi/file.csi.azure.com/3a1b2c3d4e5f/globalmount\n'
    'Output: mount error(13): Permission denied\nRefer to the mount.cifs(8) manual page (e.g. man mount.cifs) and kernel log messages (dmesg)\n',
    host=NODES[1], count=18)])
c.want("azure-file-mount-failed").none("kv-mount-failed", "azure-disk-attach-failed", "volume-multi-attach")

c = case("azure-file-mount-failed-host-down-in-tree",
         "In-tree kubernetes.io/azure-file wording (Kubernetes 1.2x, before CSI migration): 'MountVolume.SetUp failed ... "
         "mount error(112): Host is down', the port 445 blocked case of Learn's 'Azure Files mount errors' article.")
c.ns("legacy", "pods", [pod("legacy", "reports-7d8f9c6b5-t5r4e", NODES[2], phase="Pending", ready=False,
                             owner=("ReplicaSet", "reports-7d8f9c6b5"), labels={"app": "reports"},
                             volumes=[{"name": "share", "azureFile": {"secretName": "azure-secret", "shareName": "reports", "readOnly": False}}])])
c.ns("legacy", "events", [event("legacy", "Pod", "reports-7d8f9c6b5-t5r4e", "FailedMount",
    'MountVolume.SetUp failed for volume "share" : mount failed: exit status 32\nMounting command: systemd-run\n'
    'Mounting arguments: --description=Kubernetes transient mount for /var/lib/kubelet/pods/7c1e2d3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f/volumes/kubernetes.io~azure-file/share '
    '--scope -- mount -t cifs -o username=reportsstore01,password=<masked>,file_mode=0777,dir_mode=0777,vers=3.0 //reportsstore01.file.core.windows.net/reports '
    '/var/lib/kubelet/pods/7c1e2d3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f/volumes/kubernetes.io~azure-file/share\n'
    'Output: Running scope as unit run-r2b4c6d8e.scope.\nmount error(112): Host is down\n'
    'Refer to the mount.cifs(8) manual page (e.g. man mount.cifs)\n', host=NODES[2], count=31)])
c.want("azure-file-mount-failed").none("kv-mount-failed", "azure-disk-attach-failed")

c = case("pvc-provisioning-failed-storageclass-not-found",
         "persistentvolume-controller's ProvisioningFailed wording for a claim naming a StorageClass that does not exist "
         "(storageclass.storage.k8s.io \"...\" not found), as in kubernetes/kubernetes issue threads about Helm charts' storageClassName.")
c.ns("search", "pods", [pod("search", "elasticsearch-master-0", None, phase="Pending", ready=False,
                             owner=("StatefulSet", "elasticsearch-master"), labels={"app": "elasticsearch-master"},
                             volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": "data-elasticsearch-master-0"}}])])
c.ns("search", "persistentvolumeclaims", [{"apiVersion": "v1", "kind": "PersistentVolumeClaim",
    "metadata": {"name": "data-elasticsearch-master-0", "namespace": "search", "creationTimestamp": t(120)},
    "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "premium-retain",
             "resources": {"requests": {"storage": "30Gi"}}, "volumeMode": "Filesystem"},
    "status": {"phase": "Pending"}}])
c.cluster("storageclasses", [{"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
    "metadata": {"name": "managed-csi", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
    "provisioner": "disk.csi.azure.com", "parameters": {"skuname": "StandardSSD_LRS"},
    "reclaimPolicy": "Delete", "volumeBindingMode": "WaitForFirstConsumer", "allowVolumeExpansion": True}])
c.ns("search", "events", [
    event("search", "PersistentVolumeClaim", "data-elasticsearch-master-0", "ProvisioningFailed",
          'storageclass.storage.k8s.io "premium-retain" not found', component="persistentvolume-controller",
          first=120, last=1, count=482),
    event("search", "Pod", "elasticsearch-master-0", "FailedScheduling",
          '0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.',
          component="default-scheduler", first=120, last=3, count=25)])
c.want("pvc-provisioning-failed").none("azure-disk-attach-failed", "volume-multi-attach")

c = case("pvc-pending-no-storage-class-static-binding",
         "persistentvolume-controller FailedBinding wording 'no persistent volumes available for this claim and no storage class is set' "
         "(claim with storageClassName \"\" waiting for a static PV that was never created).")
c.ns("etl", "persistentvolumeclaims", [{"apiVersion": "v1", "kind": "PersistentVolumeClaim",
    "metadata": {"name": "landing-zone", "namespace": "etl", "creationTimestamp": t(300)},
    "spec": {"accessModes": ["ReadWriteMany"], "storageClassName": "", "resources": {"requests": {"storage": "500Gi"}}},
    "status": {"phase": "Pending"}}])
c.ns("etl", "pods", [pod("etl", "ingest-6b8d7c5f4-z9x8c", None, phase="Pending", ready=False,
                          owner=("ReplicaSet", "ingest-6b8d7c5f4"), labels={"app": "ingest"}, created=300,
                          volumes=[{"name": "landing", "persistentVolumeClaim": {"claimName": "landing-zone"}}])])
c.ns("etl", "events", [event("etl", "PersistentVolumeClaim", "landing-zone", "FailedBinding",
    "no persistent volumes available for this claim and no storage class is set",
    component="persistentvolume-controller", first=300, last=1, count=1202)])
c.want("pvc-pending").none("pvc-provisioning-failed", "azure-disk-attach-failed")

c = case("ok-storage-wait-for-first-consumer",
         "Near miss: a claim of a WaitForFirstConsumer class that no pod uses yet stays Pending with the Normal event "
         "'waiting for first consumer to be created before binding'; a Normal ExternalProvisioning event of a bound claim.")
c.ns("staging", "persistentvolumeclaims", [{"apiVersion": "v1", "kind": "PersistentVolumeClaim",
    "metadata": {"name": "scratch", "namespace": "staging", "creationTimestamp": t(200)},
    "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "managed-csi", "resources": {"requests": {"storage": "8Gi"}}},
    "status": {"phase": "Pending"}}])
c.cluster("storageclasses", [{"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
    "metadata": {"name": "managed-csi", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
    "provisioner": "disk.csi.azure.com", "parameters": {"skuname": "StandardSSD_LRS"},
    "reclaimPolicy": "Delete", "volumeBindingMode": "WaitForFirstConsumer"}])
c.ns("staging", "events", [event("staging", "PersistentVolumeClaim", "scratch", "WaitForFirstConsumer",
    "waiting for first consumer to be created before binding", typ="Normal",
    component="persistentvolume-controller", first=200, last=1, count=802)])
c.none("pvc-pending", "pvc-provisioning-failed", "azure-disk-attach-failed", "volume-multi-attach", "azure-file-mount-failed")

# ---------------------------------------------------------------- nodes
c = case("pod-evicted-memory-threshold-wording",
         "Kubelet eviction manager wording of Kubernetes 1.2x ('The node was low on resource: memory. Threshold quantity: ..., "
         "available: .... Container ... was using ..., request is ..., has larger consumption of memory.'), the replacement pod running.")
dep, rs = rs_and_deploy("orders", "order-worker", "84c6d9f7b5", replicas=2, available=2)
c.ns("orders", "deployments", [dep])
c.ns("orders", "replicasets", [rs])
c.ns("orders", "pods", [
    pod("orders", "order-worker-84c6d9f7b5-8kq2w", NODES[1], phase="Failed", ready=False,
        owner=("ReplicaSet", "order-worker-84c6d9f7b5"), labels={"app": "order-worker"}, created=80,
        reason="Evicted",
        message="The node was low on resource: memory. Threshold quantity: 100Mi, available: 91436Ki. Container worker was using 3521496Ki, request is 512Mi, has larger consumption of memory. ",
        containers=[{"name": "worker", "image": "prodacr.azurecr.io/orders/worker:5.1.0",
                     "state": {"terminated": {"exitCode": 137, "reason": "ContainerStatusUnknown", "finishedAt": t(6)}}}]),
    pod("orders", "order-worker-84c6d9f7b5-p7t5v", NODES[0], owner=("ReplicaSet", "order-worker-84c6d9f7b5"),
        labels={"app": "order-worker"}, created=6),
    pod("orders", "order-worker-84c6d9f7b5-w2m4r", NODES[2], owner=("ReplicaSet", "order-worker-84c6d9f7b5"),
        labels={"app": "order-worker"}, created=300)])
c.ns("orders", "events", [event("orders", "Pod", "order-worker-84c6d9f7b5-8kq2w", "Evicted",
    "The node was low on resource: memory. Threshold quantity: 100Mi, available: 91436Ki. Container worker was using 3521496Ki, request is 512Mi, has larger consumption of memory. ",
    host=NODES[1], first=6, last=6)])
c.want("pod-evicted").none("container-oomkilled", "pod-crashloop")

c = case("node-pressure-disk-eviction-threshold",
         "A Ready node with DiskPressure=True and the taint node.kubernetes.io/disk-pressure, kubelet events "
         "'Node ... status is now: NodeHasDiskPressure' and EvictionThresholdMet 'Attempting to reclaim ephemeral-storage'.")
c.put("cluster/nodes.json", lst([node(NODES[0]),
    node(NODES[1], pressure={"DiskPressure": "kubelet has disk pressure"},
         taints=[{"key": "node.kubernetes.io/disk-pressure", "effect": "NoSchedule", "timeAdded": t(40)}]),
    node(NODES[2])]))
c.ns("default", "events", [
    event("default", "Node", NODES[1], "NodeHasDiskPressure", f"Node {NODES[1]} status is now: NodeHasDiskPressure",
          typ="Normal", host=NODES[1], first=40, last=40),
    event("default", "Node", NODES[1], "EvictionThresholdMet", "Attempting to reclaim ephemeral-storage",
          host=NODES[1], first=40, last=2, count=9)])
c.want("node-pressure").none("node-not-ready", "kubelet-pleg-unhealthy")

c = case("kubelet-pleg-unhealthy-runtime-check",
         "Kubelet 1.2x Ready=False message combining the runtime check and PLEG ('container runtime status check may not have "
         "completed yet, PLEG is not healthy: pleg was last seen active 4m12.331s ago; threshold is 3m0s'), kubernetes#101056 style.")
c.put("cluster/nodes.json", lst([node(NODES[0]), node(NODES[1]),
    node(NODES[2], ready="False", reason="KubeletNotReady",
         message="container runtime status check may not have completed yet, PLEG is not healthy: pleg was last seen active 4m12.331077916s ago; threshold is 3m0s")]))
c.ns("default", "events", [event("default", "Node", NODES[2], "NodeNotReady",
    f"Node {NODES[2]} status is now: NodeNotReady", typ="Normal", host=NODES[2], first=45, last=45)])
c.want("kubelet-pleg-unhealthy").none("node-pressure")

c = case("node-stuck-pods-sandbox-deadline",
         "A Ready node where pods of several workloads sit in ContainerCreating for half an hour with "
         "'Failed to create pod sandbox: rpc error: code = DeadlineExceeded desc = context deadline exceeded' and SandboxChanged (Azure/AKS#1461).")
stuck = [("cart", "cart-6c8d7f9b4-k2l3m"), ("search", "indexer-5b7c9d8f6-n4p5q"),
         ("orders", "order-api-7f6e5d4c3-r6s7t"), ("catalog", "catalog-59d8c7b6a-u8v9w")]
for ns, name in stuck:
    rsname = name.rsplit("-", 1)[0]
    c.ns(ns, "pods", [pod(ns, name, NODES[1], phase="Pending", ready=False, owner=("ReplicaSet", rsname),
                           labels={"app": rsname.rsplit("-", 1)[0]}, created=38)])
    c.ns(ns, "events", [
        event(ns, "Pod", name, "FailedCreatePodSandBox",
              "Failed to create pod sandbox: rpc error: code = DeadlineExceeded desc = context deadline exceeded",
              host=NODES[1], first=36, last=2, count=15),
        event(ns, "Pod", name, "SandboxChanged", "Pod sandbox changed, it will be killed and re-created.",
              typ="Normal", host=NODES[1], first=36, last=2, count=15)])
c.want("node-stuck-pods").none("node-not-ready", "pod-ip-allocation-failed")

c = case("windows-container-start-failed-os-mismatch",
         "containerd on Windows (hcsshim) wording for a container image built for another Windows build: "
         "'hcs::CreateComputeSystem ...: The container operating system does not match the host operating system.' (Learn: "
         "Windows container version compatibility; microsoft/Windows-Containers issue threads).")
c.put("cluster/nodes.json", nodes(node(WIN, windows=True)))
c.ns("legacyapps", "pods", [pod("legacyapps", "iis-site-7d9c8b6f5-x4y5z", WIN, phase="Running", ready=False,
    owner=("ReplicaSet", "iis-site-7d9c8b6f5"), labels={"app": "iis-site"},
    containers=[{"name": "iis", "image": "prodacr.azurecr.io/legacy/iis-site:ltsc2019", "restarts": 6,
                 "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s restarting failed container=iis pod=iis-site-7d9c8b6f5-x4y5z_legacyapps"}},
                 "last": {"terminated": {"exitCode": 128, "reason": "StartError", "finishedAt": t(3),
                          "message": "failed to create containerd task: failed to create shim task: hcs::CreateComputeSystem iis: The container operating system does not match the host operating system.: unknown"}}}])])
c.ns("legacyapps", "events", [event("legacyapps", "Pod", "iis-site-7d9c8b6f5-x4y5z", "Failed",
    "Error: failed to create containerd task: failed to create shim task: hcs::CreateComputeSystem iis: The container operating system does not match the host operating system.: unknown",
    host=WIN, field="spec.containers{iis}", count=7)])
c.want("windows-container-start-failed")

c = case("aks-system-addon-degraded-cloud-node-manager",
         "k8sgpt-style DaemonSet shortfall ('has 2 ready replicas out of 3 scheduled') for an AKS component, cloud-node-manager, "
         "whose pod on one node crashloops.")
ds = workload("DaemonSet", "kube-system", "cloud-node-manager", status={
    "desiredNumberScheduled": 3, "currentNumberScheduled": 3, "numberReady": 2, "numberAvailable": 2,
    "numberUnavailable": 1, "numberMisscheduled": 0, "updatedNumberScheduled": 3, "observedGeneration": 2},
    labels={"k8s-app": "cloud-node-manager"})
c.ns("kube-system", "daemonsets", [ds])
c.ns("kube-system", "deployments", [workload("Deployment", "kube-system", "coredns", 2, {
    "observedGeneration": 4, "replicas": 2, "readyReplicas": 2, "availableReplicas": 2, "updatedReplicas": 2},
    labels={"k8s-app": "kube-dns"})])
c.ns("kube-system", "pods", [
    pod("kube-system", f"cloud-node-manager-{s}", n, owner=("DaemonSet", "cloud-node-manager"),
        labels={"k8s-app": "cloud-node-manager"}, created=9000,
        containers=[{"name": "cloud-node-manager", "image": "mcr.microsoft.com/oss/kubernetes/azure-cloud-node-manager:v1.29.9"}])
    for s, n in [("4xk9p", NODES[0]), ("7bn2d", NODES[1])]] + [
    pod("kube-system", "cloud-node-manager-q8w3e", NODES[2], ready=False, owner=("DaemonSet", "cloud-node-manager"),
        labels={"k8s-app": "cloud-node-manager"}, created=9000,
        containers=[{"name": "cloud-node-manager", "image": "mcr.microsoft.com/oss/kubernetes/azure-cloud-node-manager:v1.29.9",
                     "restarts": 23, "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                     "last": {"terminated": {"exitCode": 255, "reason": "Error", "finishedAt": t(2)}}}])])
c.want("aks-system-addon-degraded")

# ---------------------------------------------------------------- workloads
c = case("resourcequota-exceeded-limits-memory",
         "ReplicaSet controller FailedCreate with the quota admission wording 'exceeded quota: ..., requested: limits.memory=2Gi, used: "
         "limits.memory=15Gi, limited: limits.memory=16Gi' (Kubernetes docs 'Resource Quotas' captured output), ResourceQuota used vs hard.")
dep, rs = rs_and_deploy("checkout", "checkout", "5d9f7c6b8", replicas=3, available=2,
                        rs_conds=[{"type": "ReplicaFailure", "status": "True", "reason": "FailedCreate",
                                   "message": 'pods "checkout-5d9f7c6b8-x9v8b" is forbidden: exceeded quota: team-quota, requested: limits.memory=2Gi, used: limits.memory=15Gi, limited: limits.memory=16Gi',
                                   "lastTransitionTime": t(30)}])
c.ns("checkout", "deployments", [dep])
c.ns("checkout", "replicasets", [rs])
c.ns("checkout", "pods", [pod("checkout", f"checkout-5d9f7c6b8-{s}", NODES[i], owner=("ReplicaSet", "checkout-5d9f7c6b8"),
                              labels={"app": "checkout"}, created=400) for i, s in enumerate(["a1b2c", "d3e4f"])])
c.ns("checkout", "resourcequotas", [{"apiVersion": "v1", "kind": "ResourceQuota",
    "metadata": {"name": "team-quota", "namespace": "checkout"},
    "spec": {"hard": {"limits.memory": "16Gi", "requests.cpu": "8"}},
    "status": {"hard": {"limits.memory": "16Gi", "requests.cpu": "8"}, "used": {"limits.memory": "15Gi", "requests.cpu": "3"}}}])
c.ns("checkout", "events", [event("checkout", "ReplicaSet", "checkout-5d9f7c6b8", "FailedCreate",
    'Error creating: pods "checkout-5d9f7c6b8-x9v8b" is forbidden: exceeded quota: team-quota, requested: limits.memory=2Gi, used: limits.memory=15Gi, limited: limits.memory=16Gi',
    component="replicaset-controller", api="apps/v1", first=30, last=1, count=17)])
c.want("resourcequota-exceeded").none("pod-unschedulable", "rbac-forbidden")

c = case("controller-create-failed-serviceaccount-missing",
         "StatefulSet controller wording ('create Pod ledger-0 in StatefulSet ledger failed error: pods \"ledger-0\" is forbidden: "
         "error looking up service account payments/ledger-sa: serviceaccount \"ledger-sa\" not found').")
c.ns("payments", "statefulsets", [workload("StatefulSet", "payments", "ledger", 1, {"replicas": 0, "readyReplicas": 0, "currentReplicas": 0, "observedGeneration": 1})])
c.ns("payments", "events", [event("payments", "StatefulSet", "ledger", "FailedCreate",
    'create Pod ledger-0 in StatefulSet ledger failed error: pods "ledger-0" is forbidden: error looking up service account payments/ledger-sa: serviceaccount "ledger-sa" not found',
    component="statefulset-controller", api="apps/v1", first=50, last=1, count=33)])
c.want("controller-create-failed").none("resourcequota-exceeded", "rbac-forbidden")

c = case("deployment-not-progressing-image-tag-missing",
         "Deployment controller 'ReplicaSet \"catalog-6d5c4b3a2\" has timed out progressing.' (ProgressDeadlineExceeded) while its new pods "
         "cannot pull a tag that does not exist (containerd 1.7 'failed to resolve reference ...: not found').")
dep, rs_old = rs_and_deploy("catalog", "catalog", "59d8c7b6a", replicas=2, available=2, conds=[
    {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable", "message": "Deployment has minimum availability.",
     "lastUpdateTime": t(400), "lastTransitionTime": t(400)},
    {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
     "message": 'ReplicaSet "catalog-6d5c4b3a2" has timed out progressing.', "lastUpdateTime": t(15), "lastTransitionTime": t(15)}])
dep["status"]["updatedReplicas"] = 1
dep["status"]["unavailableReplicas"] = 1
_, rs_new = rs_and_deploy("catalog", "catalog", "6d5c4b3a2", replicas=1, available=0, image="prodacr.azurecr.io/shop/catalog:3.5.0")
c.ns("catalog", "deployments", [dep])
c.ns("catalog", "replicasets", [rs_old, rs_new])
img = "prodacr.azurecr.io/shop/catalog:3.5.0"
c.ns("catalog", "pods", [
    pod("catalog", f"catalog-59d8c7b6a-{s}", NODES[i], owner=("ReplicaSet", "catalog-59d8c7b6a"), labels={"app": "catalog"}, created=2000)
    for i, s in enumerate(["f4g5h", "j6k7l"])] + [
    pod("catalog", "catalog-6d5c4b3a2-m8n9p", NODES[2], phase="Pending", ready=False, owner=("ReplicaSet", "catalog-6d5c4b3a2"),
        labels={"app": "catalog"}, created=25,
        containers=[{"name": "app", "image": img, "state": {"waiting": {"reason": "ImagePullBackOff",
                     "message": f'Back-off pulling image "{img}"'}}}])])
c.ns("catalog", "events", [
    event("catalog", "Pod", "catalog-6d5c4b3a2-m8n9p", "Failed",
          f'Failed to pull image "{img}": rpc error: code = NotFound desc = failed to pull and unpack image "{img}": failed to resolve reference "{img}": {img}: not found',
          host=NODES[2], field="spec.containers{app}", first=25, last=2, count=8),
    event("catalog", "Deployment", "catalog", "ScalingReplicaSet", "Scaled up replica set catalog-6d5c4b3a2 to 1",
          typ="Normal", component="deployment-controller", api="apps/v1", first=25, last=25)])
c.want("deployment-not-progressing", objects=["catalog/deployment/catalog"]).want("image-not-found")

c = case("probe-failing-readiness-500",
         "Kubelet prober wording 'Readiness probe failed: HTTP probe failed with statuscode: 500' repeating for 40 minutes on a Running, "
         "never-Ready pod (Kubernetes docs 'Configure Liveness, Readiness and Startup Probes' captured events).")
dep, rs = rs_and_deploy("billing", "invoice-api", "7b6c5d4e3", replicas=1, available=0)
c.ns("billing", "deployments", [dep])
c.ns("billing", "replicasets", [rs])
c.ns("billing", "pods", [pod("billing", "invoice-api-7b6c5d4e3-q1w2e", NODES[0], ready=False,
    owner=("ReplicaSet", "invoice-api-7b6c5d4e3"), labels={"app": "invoice-api"}, created=42,
    containers=[{"name": "app", "image": "prodacr.azurecr.io/billing/invoice-api:2.2.0", "ready": False,
                 "readinessProbe": {"httpGet": {"path": "/health/ready", "port": 8080}, "periodSeconds": 10}}])])
c.ns("billing", "events", [event("billing", "Pod", "invoice-api-7b6c5d4e3-q1w2e", "Unhealthy",
    "Readiness probe failed: HTTP probe failed with statuscode: 500", field="spec.containers{app}",
    first=41, last=0, count=246)])
c.want("probe-failing").none("pod-crashloop")

c = case("ok-probe-failing-startup-then-passed",
         "Near miss: a startup probe refused three times while the JVM started 50 minutes ago ('Startup probe failed: Get \"http://...\": "
         "dial tcp ...: connect: connection refused'), the pod Ready since.")
c.ns("billing", "pods", [pod("billing", "ledger-svc-6a5b4c3d2-z1x2c", NODES[1], owner=("ReplicaSet", "ledger-svc-6a5b4c3d2"),
    labels={"app": "ledger-svc"}, created=55)])
c.ns("billing", "events", [event("billing", "Pod", "ledger-svc-6a5b4c3d2-z1x2c", "Unhealthy",
    'Startup probe failed: Get "http://10.244.1.77:8080/actuator/health": dial tcp 10.244.1.77:8080: connect: connection refused',
    host=NODES[1], field="spec.containers{app}", first=54, last=52, count=3)])
c.none("probe-failing", "pod-crashloop", "deployment-not-progressing")

c = case("image-pull-rate-limited-docker-hub-429",
         "containerd 1.6/1.7 wording of Docker Hub's anonymous pull limit ('429 Too Many Requests - Server message: toomanyrequests: "
         "You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit').")
c.ns("cache", "pods", [pod("cache", "redis-0", NODES[2], phase="Pending", ready=False, owner=("StatefulSet", "redis"),
    labels={"app": "redis"}, created=20,
    containers=[{"name": "redis", "image": "redis:7.2", "state": {"waiting": {"reason": "ImagePullBackOff", "message": 'Back-off pulling image "redis:7.2"'}}}])])
c.ns("cache", "events", [event("cache", "Pod", "redis-0", "Failed",
    'Failed to pull image "redis:7.2": rpc error: code = Unknown desc = failed to pull and unpack image "docker.io/library/redis:7.2": '
    'failed to copy: httpReadSeeker: failed open: unexpected status code https://registry-1.docker.io/v2/library/redis/manifests/sha256:3d6c2a8b0f1e4d5c6b7a8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b: '
    '429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit',
    host=NODES[2], field="spec.containers{redis}", count=6)])
c.want("image-pull-rate-limited").none("image-pull-unauthorized", "image-pull-forbidden", "image-not-found")

c = case("create-container-config-error-secret-missing",
         "Kubelet CreateContainerConfigError with 'Error: secret \"orders-db\" not found' (Kubernetes docs 'Debug Pods' and "
         "many kubernetes/kubernetes issue threads).")
c.ns("orders", "pods", [pod("orders", "order-api-5f4e3d2c1-b7n8m", NODES[0], phase="Pending", ready=False,
    owner=("ReplicaSet", "order-api-5f4e3d2c1"), labels={"app": "order-api"}, created=15,
    containers=[{"name": "api", "image": "prodacr.azurecr.io/orders/api:4.0.0",
                 "env": [{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "orders-db", "key": "password"}}}],
                 "state": {"waiting": {"reason": "CreateContainerConfigError", "message": 'secret "orders-db" not found'}}}])])
c.ns("orders", "events", [event("orders", "Pod", "order-api-5f4e3d2c1-b7n8m", "Failed", 'Error: secret "orders-db" not found',
    field="spec.containers{api}", first=15, last=1, count=72)])
c.want("create-container-config-error").none("pod-crashloop", "kv-mount-failed")

c = case("create-container-config-error-configmap-key",
         "Kubelet wording for a missing key ('Error: couldn't find key REDIS_URL in ConfigMap shop/cart-config'), as quoted in "
         "kubernetes/kubernetes issue threads about configMapKeyRef.")
c.ns("shop", "pods", [pod("shop", "cart-7a6b5c4d3-e2r3t", NODES[1], phase="Pending", ready=False,
    owner=("ReplicaSet", "cart-7a6b5c4d3"), labels={"app": "cart"}, created=12,
    containers=[{"name": "cart", "image": "prodacr.azurecr.io/shop/cart:1.9.3",
                 "state": {"waiting": {"reason": "CreateContainerConfigError", "message": "couldn't find key REDIS_URL in ConfigMap shop/cart-config"}}}])])
c.ns("shop", "events", [event("shop", "Pod", "cart-7a6b5c4d3-e2r3t", "Failed", "Error: couldn't find key REDIS_URL in ConfigMap shop/cart-config",
    host=NODES[1], field="spec.containers{cart}", first=12, last=1, count=58)])
c.want("create-container-config-error").none("pod-crashloop")

c = case("job-failed-backoff-limit",
         "Job controller conditions Failed/BackoffLimitExceeded 'Job has reached the specified backoff limit' with its pods Failed (exit 1), "
         "a nightly export job outside Service Connector.")
c.ns("reporting", "jobs", [{"apiVersion": "batch/v1", "kind": "Job",
    "metadata": {"name": "nightly-export-29405520", "namespace": "reporting", "labels": {"job-name": "nightly-export-29405520"},
                 "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob", "name": "nightly-export", "uid": uid("cj", "nightly-export"), "controller": True}]},
    "spec": {"backoffLimit": 2, "completions": 1, "parallelism": 1},
    "status": {"failed": 3, "startTime": t(40), "conditions": [
        {"type": "FailureTarget", "status": "True", "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit", "lastTransitionTime": t(5)},
        {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit", "lastTransitionTime": t(5)}]}}])
c.ns("reporting", "cronjobs", [{"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly-export", "namespace": "reporting"},
    "spec": {"schedule": "0 18 * * *"}, "status": {"lastScheduleTime": t(30)}}])
c.ns("reporting", "pods", [pod("reporting", f"nightly-export-29405520-{s}", NODES[i], phase="Failed", ready=False,
    owner=("Job", "nightly-export-29405520"), labels={"job-name": "nightly-export-29405520"}, created=40 - 10 * i,
    containers=[{"name": "export", "image": "prodacr.azurecr.io/reporting/export:1.0.4",
                 "state": {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": t(35 - 10 * i)}}}]) for i, s in enumerate(["4bq7x", "9mw2k", "c5t8z"])])
c.ns("reporting", "events", [event("reporting", "Job", "nightly-export-29405520", "BackoffLimitExceeded",
    "Job has reached the specified backoff limit", component="job-controller", api="batch/v1", first=5, last=5)])
c.want("job-failed").none("sc-job-failed")

# ---------------------------------------------------------------- control plane and admission
c = case("admission-webhook-unreachable-no-endpoints-kyverno",
         "API server wording for a mutating webhook whose Service has no ready pod ('failed calling webhook \"mutate.kyverno.svc-fail\": "
         "failed to call webhook: Post \"https://kyverno-svc.kyverno.svc:443/mutate/fail?timeout=10s\": no endpoints available for service "
         "\"kyverno-svc\"'), seen by the ReplicaSet controller (kyverno/kyverno issue threads).")
dep, rs = rs_and_deploy("shop", "frontend", "6b5a4c3d2", replicas=2, available=0,
                        rs_conds=[{"type": "ReplicaFailure", "status": "True", "reason": "FailedCreate", "lastTransitionTime": t(20),
                                   "message": 'Internal error occurred: failed calling webhook "mutate.kyverno.svc-fail": failed to call webhook: Post "https://kyverno-svc.kyverno.svc:443/mutate/fail?timeout=10s": no endpoints available for service "kyverno-svc"'}])
c.ns("shop", "deployments", [dep])
c.ns("shop", "replicasets", [rs])
c.ns("shop", "events", [event("shop", "ReplicaSet", "frontend-6b5a4c3d2", "FailedCreate",
    'Error creating: Internal error occurred: failed calling webhook "mutate.kyverno.svc-fail": failed to call webhook: Post "https://kyverno-svc.kyverno.svc:443/mutate/fail?timeout=10s": no endpoints available for service "kyverno-svc"',
    component="replicaset-controller", api="apps/v1", first=20, last=1, count=19)])
c.ns("kyverno", "services", [service("kyverno", "kyverno-svc", {"app.kubernetes.io/component": "admission-controller"},
                                     ports=[{"name": "https", "port": 443, "targetPort": "https", "protocol": "TCP"}])])
c.ns("kyverno", "endpoints", [endpoints("kyverno", "kyverno-svc", not_ready=["10.244.2.31"])])
c.ns("kyverno", "pods", [pod("kyverno", "kyverno-admission-controller-5c4b3a2d1-h8j9k", NODES[2], ready=False,
    owner=("ReplicaSet", "kyverno-admission-controller-5c4b3a2d1"), labels={"app.kubernetes.io/component": "admission-controller"}, created=30,
    containers=[{"name": "kyverno", "image": "ghcr.io/kyverno/kyverno:v1.12.5", "restarts": 8, "ready": False,
                 "ports": [{"name": "https", "containerPort": 9443, "protocol": "TCP"}],
                 "state": {"waiting": {"reason": "CrashLoopBackOff"}}, "last": {"terminated": {"exitCode": 2, "reason": "Error", "finishedAt": t(2)}}}])])
c.cluster("mutatingwebhookconfigurations", [{"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
    "metadata": {"name": "kyverno-resource-mutating-webhook-cfg"},
    "webhooks": [{"name": "mutate.kyverno.svc-fail", "admissionReviewVersions": ["v1"],
                  "clientConfig": {"caBundle": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUM=",
                                   "service": {"namespace": "kyverno", "name": "kyverno-svc", "path": "/mutate/fail", "port": 443}},
                  "failurePolicy": "Fail", "timeoutSeconds": 10, "sideEffects": "NoneOnDryRun",
                  "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"], "resources": ["pods"], "scope": "*"}]}]}])
c.want("admission-webhook-unreachable").none("rbac-forbidden", "resourcequota-exceeded")

c = case("pdb-blocks-eviction-az-upgrade-failed",
         "az aks upgrade error text pasted in attachments ('(UpgradeFailed) Drain node ... failed when evicting pod ... failed with Too Many "
         "Requests error. This is often caused by a restrictive Pod Disruption Budget (PDB) policy.'), as Learn's "
         "'UpgradeFailed: drain node failures' article quotes it; the PDB allows 0 disruptions.")
c.text("attachments/az-aks-upgrade.txt",
       "$ az aks upgrade -g prod-rg -n prod-aks --kubernetes-version 1.30.6 --yes\n"
       "(UpgradeFailed) Drain node aks-nodepool1-31718369-vmss000001 failed when evicting pod payments-api-7c5d8f9b6-l4m2n failed with Too Many Requests error. "
       "This is often caused by a restrictive Pod Disruption Budget (PDB) policy. See http://aka.ms/aks/debugdrainfailures. "
       "Original error: Cannot evict pod as it would violate the pod's disruption budget.. PDB debug info: payments/payments-api-7c5d8f9b6-l4m2n blocked by pdb payments-api-pdb with 0 unready pods.\n"
       "Code: UpgradeFailed\n"
       "Message: Drain node aks-nodepool1-31718369-vmss000001 failed when evicting pod payments-api-7c5d8f9b6-l4m2n failed with Too Many Requests error. "
       "This is often caused by a restrictive Pod Disruption Budget (PDB) policy. See http://aka.ms/aks/debugdrainfailures. "
       "Original error: Cannot evict pod as it would violate the pod's disruption budget.. PDB debug info: payments/payments-api-7c5d8f9b6-l4m2n blocked by pdb payments-api-pdb with 0 unready pods.\n")
c.ns("payments", "poddisruptionbudgets", [{"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
    "metadata": {"name": "payments-api-pdb", "namespace": "payments"},
    "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "payments-api"}}},
    "status": {"currentHealthy": 2, "desiredHealthy": 2, "disruptionsAllowed": 0, "expectedPods": 2, "observedGeneration": 1,
               "conditions": [{"type": "DisruptionAllowed", "status": "False", "reason": "InsufficientPods", "lastTransitionTime": t(900)}]}}])
c.ns("payments", "pods", [pod("payments", f"payments-api-7c5d8f9b6-{s}", NODES[i + 1], owner=("ReplicaSet", "payments-api-7c5d8f9b6"),
    labels={"app": "payments-api"}, created=2000) for i, s in enumerate(["l4m2n", "p9o8i"])])
c.want("pdb-blocks-eviction")

c = case("konnectivity-tunnel-broken-logs-and-agent",
         "kubectl logs failing through the konnectivity tunnel ('Error from server: Get \"https://10.224.0.5:10250/containerLogs/...\": "
         "proxy error from 127.0.0.1:8131 while dialing 10.224.0.5:10250, code 503: 503 Service Unavailable' and 'error dialing backend: "
         "dial tcp ...:10250: i/o timeout'), konnectivity-agent logging 'cannot connect once' to the control plane (Learn: tunnel connectivity issues).")
c.errors = [
    collect_error("logs/shop/web-6f5d8c7b9-a1s2d/app", "kubectl logs -n shop web-6f5d8c7b9-a1s2d -c app --since 1h",
                  'Error from server: Get "https://10.224.0.5:10250/containerLogs/shop/web-6f5d8c7b9-a1s2d/app?sinceSeconds=3600": proxy error from 127.0.0.1:8131 while dialing 10.224.0.5:10250, code 503: 503 Service Unavailable\n', 1),
    collect_error("logs/kube-system/coredns-76b9877f49-k2l3m/coredns", "kubectl logs -n kube-system coredns-76b9877f49-k2l3m -c coredns --since 1h",
                  'Error from server: Get "https://10.224.0.6:10250/containerLogs/kube-system/coredns-76b9877f49-k2l3m/coredns?sinceSeconds=3600": proxy error from 127.0.0.1:8131 while dialing 10.224.0.6:10250, code 503: 503 Service Unavailable\n', 1),
    collect_error("logs/orders/order-api-7f6e5d4c3-r6s7t/api", "kubectl logs -n orders order-api-7f6e5d4c3-r6s7t -c api --since 1h",
                  "Error from server: error dialing backend: dial tcp 10.224.0.7:10250: i/o timeout\n", 1)]
c.ns("kube-system", "pods", [pod("kube-system", f"konnectivity-agent-6d8f7c9b5-{s}", NODES[i], owner=("ReplicaSet", "konnectivity-agent-6d8f7c9b5"),
    labels={"app": "konnectivity-agent"}, created=9000,
    containers=[{"name": "konnectivity-agent", "image": "mcr.microsoft.com/oss/kubernetes/apiserver-network-proxy/agent:v0.30.3-hotfix.20240819"}])
    for i, s in enumerate(["z5x4c", "v3b2n"])])
agent_log = "".join(
    f'E1129 18:{m:02d}:{s:02d}.{400000 + m * 1000 + s:06d}       1 client.go:532] "cannot connect once" err="rpc error: code = Unavailable desc = connection error: desc = \\"transport: Error while dialing: dial tcp 20.103.4.12:443: i/o timeout\\""\n'
    for m, s in [(5, 11), (9, 47), (14, 22), (19, 3), (23, 40), (27, 58)])
for s in ["z5x4c", "v3b2n"]:
    c.text(f"logs/kube-system/konnectivity-agent-6d8f7c9b5-{s}/konnectivity-agent.log", agent_log)
c.want("konnectivity-tunnel-broken").none("apiserver-unreachable", "cluster-certificate-expired")

c = case("cluster-certificate-expired-kubectl-x509",
         "kubectl's wording when the cluster's certificates expired ('Unable to connect to the server: x509: certificate has expired or is not "
         "yet valid: current time ... is after ...'), Learn: 'Rotate certificates in AKS' and Azure/AKS issue threads; every step failed the same way.")
x509 = "Unable to connect to the server: x509: certificate has expired or is not yet valid: current time 2026-11-29T18:30:02Z is after 2026-11-27T09:12:44Z\n"
c.errors = [collect_error(s, f"kubectl get {s} -A -o json", x509) for s in ["nodes", "pods", "events", "services"]]
del c.files["cluster/nodes.json"]
c.want("cluster-certificate-expired").none("apiserver-unreachable", "collection-misconfigured")

c = case("apiservice-unavailable-metrics-discovery",
         "APIService v1beta1.metrics.k8s.io Available=False FailedDiscoveryCheck ('failing or missing response from https://...: context deadline "
         "exceeded') and kubectl 1.26+ stderr 'couldn't get resource list for metrics.k8s.io/v1beta1: the server is currently unable to handle the request' (memcache.go).")
c.errors = [collect_error("events", "kubectl get events -A -o json",
    "E1129 18:30:01.512338   48211 memcache.go:287] couldn't get resource list for metrics.k8s.io/v1beta1: the server is currently unable to handle the request\n"
    "E1129 18:30:01.618804   48211 memcache.go:121] couldn't get resource list for metrics.k8s.io/v1beta1: the server is currently unable to handle the request\n")]
c.errors[0]["exit_code"] = 0
c.cluster("apiservices", [
    {"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService", "metadata": {"name": "v1beta1.metrics.k8s.io"},
     "spec": {"group": "metrics.k8s.io", "version": "v1beta1", "service": {"namespace": "kube-system", "name": "metrics-server", "port": 443},
              "insecureSkipTLSVerify": True, "groupPriorityMinimum": 100, "versionPriority": 100},
     "status": {"conditions": [{"type": "Available", "status": "False", "reason": "FailedDiscoveryCheck", "lastTransitionTime": t(70),
         "message": 'failing or missing response from https://10.244.2.14:10250/apis/metrics.k8s.io/v1beta1: Get "https://10.244.2.14:10250/apis/metrics.k8s.io/v1beta1": context deadline exceeded'}]}},
    {"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService", "metadata": {"name": "v1.apps"},
     "spec": {"group": "apps", "version": "v1", "groupPriorityMinimum": 17800, "versionPriority": 15},
     "status": {"conditions": [{"type": "Available", "status": "True", "reason": "Local", "message": "Local APIServices are always available"}]}}])
c.want("apiservice-unavailable")

c = case("namespace-stuck-terminating-pvc-protection",
         "Namespace controller conditions of a namespace deleted three days ago (NamespaceContentRemaining 'Some resources are remaining: "
         "persistentvolumeclaims. has 1 resource instances', NamespaceFinalizersRemaining 'Some content in the namespace has finalizers "
         "remaining: kubernetes.io/pvc-protection in 1 resource instances').")
c.cluster("namespaces", [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}, "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}},
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "legacy-reports", "deletionTimestamp": "2026-11-26T10:14:09Z",
                                                          "labels": {"kubernetes.io/metadata.name": "legacy-reports"}},
     "spec": {"finalizers": ["kubernetes"]},
     "status": {"phase": "Terminating", "conditions": [
         {"type": "NamespaceDeletionDiscoveryFailure", "status": "False", "reason": "ResourcesDiscovered", "message": "All resources successfully discovered", "lastTransitionTime": "2026-11-26T10:14:15Z"},
         {"type": "NamespaceDeletionGroupVersionParsingFailure", "status": "False", "reason": "ParsedGroupVersions", "message": "All legacy kube types successfully parsed", "lastTransitionTime": "2026-11-26T10:14:15Z"},
         {"type": "NamespaceDeletionContentFailure", "status": "False", "reason": "ContentDeleted", "message": "All content successfully deleted, may be waiting on finalization", "lastTransitionTime": "2026-11-26T10:14:15Z"},
         {"type": "NamespaceContentRemaining", "status": "True", "reason": "SomeResourcesRemain", "message": "Some resources are remaining: persistentvolumeclaims. has 1 resource instances", "lastTransitionTime": "2026-11-26T10:14:15Z"},
         {"type": "NamespaceFinalizersRemaining", "status": "True", "reason": "SomeFinalizersRemain", "message": "Some content in the namespace has finalizers remaining: kubernetes.io/pvc-protection in 1 resource instances", "lastTransitionTime": "2026-11-26T10:14:15Z"}]}}])
c.want("namespace-stuck-terminating")

c = case("apiserver-throttled-429-and-guard-flowschema",
         "kubectl's wording of HTTP 429 ('Error from server (TooManyRequests): the server has received too many requests and has asked us to "
         "try again later') with AKS's aks-managed-apiserver-guard FlowSchema present (Learn: API server and etcd troubleshooting, cause 4).")
c.errors = [collect_error("pods", "kubectl get pods -A -o json",
    "Error from server (TooManyRequests): the server has received too many requests and has asked us to try again later (get pods)\n"),
    collect_error("events", "kubectl get events -A -o json",
    "Error from server (TooManyRequests): the server has received too many requests and has asked us to try again later (get events)\n")]
c.cluster("flowschemas", [{"apiVersion": "flowcontrol.apiserver.k8s.io/v1", "kind": "FlowSchema",
    "metadata": {"name": "aks-managed-apiserver-guard", "labels": {"kubernetes.azure.com/managedby": "aks"}},
    "spec": {"matchingPrecedence": 300, "priorityLevelConfiguration": {"name": "aks-managed-apiserver-guard"},
             "distinguisherMethod": {"type": "ByUser"}, "rules": []},
    "status": {"conditions": [{"type": "Dangling", "status": "False", "reason": "Found"}]}}])
c.cluster("prioritylevelconfigurations", [{"apiVersion": "flowcontrol.apiserver.k8s.io/v1", "kind": "PriorityLevelConfiguration",
    "metadata": {"name": "aks-managed-apiserver-guard"},
    "spec": {"type": "Limited", "limited": {"nominalConcurrencyShares": 5, "limitResponse": {"type": "Reject"}}}}])
c.want("apiserver-throttled").none("apiserver-unreachable")

# ---------------------------------------------------------------- DNS and load balancing
def coredns_pods(c, ready=True, restarts=0, state=None):
    c.ns("kube-system", "pods", [pod("kube-system", f"coredns-76b9877f49-{s}", NODES[i], ready=ready,
        owner=("ReplicaSet", "coredns-76b9877f49"), labels={"k8s-app": "kube-dns"}, created=9000,
        containers=[{"name": "coredns", "image": "mcr.microsoft.com/oss/kubernetes/coredns:v1.9.4-hotfix.20240704",
                     "restarts": restarts, "ready": ready, **({"state": state, "last": {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": t(1)}}} if state else {})}])
        for i, s in enumerate(["k2l3m", "n4p5q"])])
    c.ns("kube-system", "services", [service("kube-system", "kube-dns", {"k8s-app": "kube-dns"},
        ports=[{"name": "dns", "port": 53, "targetPort": 53, "protocol": "UDP"}, {"name": "dns-tcp", "port": 53, "targetPort": 53, "protocol": "TCP"}])])


c = case("coredns-upstream-timeout-custom-dns-server",
         "CoreDNS 1.9 errors plugin wording for a customer DNS server that does not answer ('[ERROR] plugin/errors: 2 "
         "prodsql.database.windows.net. AAAA: read udp 10.244.0.12:51232->10.50.0.4:53: i/o timeout'), VNet custom DNS, not Azure DNS.")
coredns_pods(c)
c.ns("kube-system", "endpoints", [endpoints("kube-system", "kube-dns", ready_ips=["10.244.0.12", "10.244.1.9"])])
lines = "".join(
    f"[ERROR] plugin/errors: 2 {host}. {q}: read udp 10.244.0.12:{port}->10.50.0.4:53: i/o timeout\n"
    for host, q, port in [("prodsql.database.windows.net", "AAAA", 51232), ("prodsql.database.windows.net", "A", 40417),
                          ("prodkv01.vault.azure.net", "A", 38811), ("login.microsoftonline.com", "AAAA", 55902),
                          ("prodsql.database.windows.net", "A", 60144), ("api.contoso.internal", "A", 47730)])
c.text("logs/kube-system/coredns-76b9877f49-k2l3m/coredns.log",
       "[WARNING] No files matching import glob pattern: custom/*.override\n.:53\n[INFO] plugin/reload: Running configuration SHA512 = 6f3c...\n"
       "CoreDNS-1.9.4\nlinux/amd64, go1.21.11, \n" + lines)
c.text("logs/kube-system/coredns-76b9877f49-n4p5q/coredns.log",
       "[WARNING] No files matching import glob pattern: custom/*.server\n.:53\nCoreDNS-1.9.4\n" + lines.replace("10.244.0.12", "10.244.1.9"))
c.want("coredns-upstream-timeout").none("coredns-unhealthy")

c = case("coredns-unhealthy-custom-config-parse-error",
         "CoreDNS crashlooping on a broken coredns-custom entry ('/etc/coredns/custom/contoso.server:3 - Error during parsing: Unknown "
         "directive 'forwrad''), Caddyfile parser wording of CoreDNS 1.8-1.11; the kube-dns Service has no ready endpoint.")
coredns_pods(c, ready=False, restarts=9, state={"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s restarting failed container=coredns"}})
c.ns("kube-system", "endpoints", [endpoints("kube-system", "kube-dns", not_ready=["10.244.0.12", "10.244.1.9"])])
c.put("namespaces/kube-system/configmaps/coredns-custom.json", {"apiVersion": "v1", "kind": "ConfigMap",
    "metadata": {"name": "coredns-custom", "namespace": "kube-system"},
    "data": {"contoso.server": "contoso.com:53 {\n    errors\n    forwrad . 10.50.0.4\n}\n"}})
for s in ["k2l3m", "n4p5q"]:
    c.text(f"logs/kube-system/coredns-76b9877f49-{s}/coredns.previous.log",
           "/etc/coredns/custom/contoso.server:3 - Error during parsing: Unknown directive 'forwrad'\n")
c.want("coredns-unhealthy").none("coredns-upstream-timeout")

c = case("loadbalancer-service-pending-pip-authorization",
         "cloud-provider-azure (track-1 SDK) wording of SyncLoadBalancerFailed when the cluster identity cannot read a static public IP in another "
         "resource group ('Retriable: false, RetryAfter: 0s, HTTPStatusCode: 403, RawError: {\"error\":{\"code\":\"AuthorizationFailed\"...'), Azure/AKS#2468.")
c.ns("ingress", "services", [service("ingress", "public-gateway", {"app": "gateway"}, typ="LoadBalancer",
    ports=[{"name": "https", "port": 443, "targetPort": 8443, "protocol": "TCP", "nodePort": 31443}],
    annotations={"service.beta.kubernetes.io/azure-load-balancer-resource-group": "prod-network-rg",
                 "service.beta.kubernetes.io/azure-pip-name": "prod-gateway-pip"})])
c.ns("ingress", "events", [
    event("ingress", "Service", "public-gateway", "EnsuringLoadBalancer", "Ensuring load balancer", typ="Normal",
          component="service-controller", first=90, last=2, count=21),
    event("ingress", "Service", "public-gateway", "SyncLoadBalancerFailed",
          'Error syncing load balancer: failed to ensure load balancer: Retriable: false, RetryAfter: 0s, HTTPStatusCode: 403, RawError: '
          '{"error":{"code":"AuthorizationFailed","message":"The client \'5e4d3c2b-1a09-4f8e-9d7c-6b5a4f3e2d1c\' with object id '
          '\'5e4d3c2b-1a09-4f8e-9d7c-6b5a4f3e2d1c\' does not have authorization to perform action \'Microsoft.Network/publicIPAddresses/read\' over scope '
          f'\'{SUB}/resourceGroups/prod-network-rg/providers/Microsoft.Network/publicIPAddresses/prod-gateway-pip\' or the scope is invalid. If access was recently granted, please refresh your credentials."}}}}',
          component="service-controller", first=90, last=2, count=21)])
c.want("loadbalancer-service-pending").none("rbac-forbidden")

c = case("ok-loadbalancer-ensured",
         "Near miss: the Normal EnsuringLoadBalancer / EnsuredLoadBalancer pair of a Service that got its address.")
c.ns("web", "services", [service("web", "storefront", {"app": "storefront"}, typ="LoadBalancer",
    lb_ingress=[{"ip": "20.61.14.201"}])])
c.ns("web", "events", [
    event("web", "Service", "storefront", "EnsuringLoadBalancer", "Ensuring load balancer", typ="Normal", component="service-controller", first=30, last=30),
    event("web", "Service", "storefront", "EnsuredLoadBalancer", "Ensured load balancer", typ="Normal", component="service-controller", first=29, last=29)])
c.none("loadbalancer-service-pending", "snat-exhaustion-suspected")

c = case("ingress-misconfigured-backend-service-missing",
         "An Ingress whose backend names a Service that does not exist (the Service is 'store-front'), with the ingress-nginx controller's "
         "wording 'Error obtaining Endpoints for Service \"web/storefront\": no object matching key \"web/storefront\" in local store'.")
c.ns("web", "services", [service("web", "store-front", {"app": "storefront"})])
c.ns("web", "endpoints", [endpoints("web", "store-front", ready_ips=["10.244.1.40"])])
c.ns("web", "ingresses", [{"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
    "metadata": {"name": "storefront", "namespace": "web"},
    "spec": {"ingressClassName": "webapprouting.kubernetes.azure.com",
             "rules": [{"host": "shop.contoso.com", "http": {"paths": [{"path": "/", "pathType": "Prefix",
                        "backend": {"service": {"name": "storefront", "port": {"number": 80}}}}]}}]},
    "status": {"loadBalancer": {"ingress": [{"ip": "20.61.14.9"}]}}}])
c.cluster("ingressclasses", [{"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
    "metadata": {"name": "webapprouting.kubernetes.azure.com"}, "spec": {"controller": "webapprouting.kubernetes.azure.com/nginx"}}])
c.ns("app-routing-system", "pods", [pod("app-routing-system", "nginx-6c8f9d7b5-w3e4r", NODES[0], owner=("ReplicaSet", "nginx-6c8f9d7b5"),
    labels={"app": "nginx"}, created=9000,
    containers=[{"name": "controller", "image": "mcr.microsoft.com/oss/kubernetes/ingress/nginx-ingress-controller:v1.11.2"}])])
c.text("logs/app-routing-system/nginx-6c8f9d7b5-w3e4r/controller.log",
       "I1129 18:02:10.118203       7 main.go:205] \"Creating API client\" host=\"https://10.0.0.1:443\"\n"
       + "".join(f'W1129 18:{m:02d}:11.442310       7 controller.go:1214] Error obtaining Endpoints for Service "web/storefront": no object matching key "web/storefront" in local store\n'
                 for m in (5, 12, 19, 26)))
c.want("ingress-misconfigured").none("service-no-endpoints")

c = case("snat-exhaustion-suspected-outbound-timeouts-many-nodes",
         "The docs' offline symptom of SNAT port exhaustion: pods on three nodes time out dialing public endpoints on 443 in the same minutes "
         "('dial tcp 52.239.140.4:443: i/o timeout', 'connect: connection timed out') while the cluster's own traffic works.")
apps = [("orders", "order-api-7f6e5d4c3-r6s7t", NODES[0], "api"), ("catalog", "catalog-59d8c7b6a-u8v9w", NODES[1], "app"),
        ("payments", "payments-api-7c5d8f9b6-l4m2n", NODES[2], "api"), ("search", "indexer-5b7c9d8f6-n4p5q", NODES[1], "indexer")]
targets = ["52.239.140.4:443", "20.60.132.36:443", "40.126.32.134:443", "13.107.246.43:443"]
for i, (ns, name, n, ctr) in enumerate(apps):
    rsname = name.rsplit("-", 1)[0]
    c.ns(ns, "pods", [pod(ns, name, n, owner=("ReplicaSet", rsname), labels={"app": rsname.rsplit("-", 1)[0]}, created=900,
                          containers=[{"name": ctr, "image": f"prodacr.azurecr.io/{ns}/{ctr}:2.0.0"}])])
    body = ""
    for k in range(12):
        m, s = 17 + k, (7 * k + 3 * i) % 60
        tgt = targets[(k + i) % len(targets)]
        if k % 2:
            body += f'{{"level":"error","ts":"2026-11-29T18:{m:02d}:{s:02d}.{k}31Z","msg":"upstream call failed","error":"Post \\"https://{tgt.split(":")[0]}/v1/batch\\": dial tcp {tgt}: i/o timeout"}}\n'
        else:
            body += f"2026-11-29T18:{m:02d}:{s:02d}.{k}12Z ERROR http client: dial tcp {tgt}: connect: connection timed out\n"
    c.text(f"logs/{ns}/{name}/{ctr}.log", body)
c.want("snat-exhaustion-suspected").none("pod-apiserver-unreachable", "coredns-upstream-timeout")

# ---------------------------------------------------------------- scaling and quotas
c = case("hpa-metrics-unavailable-no-metrics-returned",
         "HPA controller wording 'failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource "
         "metrics API' (FailedGetResourceMetric), ScalingActive=False, as in Azure/AKS and kubernetes-sigs/metrics-server issue threads.")
dep, rs = rs_and_deploy("shop", "web", "7c9f8d6b5", replicas=2, available=2)
c.ns("shop", "deployments", [dep])
c.ns("shop", "horizontalpodautoscalers", [{"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
    "metadata": {"name": "web", "namespace": "shop"},
    "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}, "minReplicas": 2, "maxReplicas": 10,
             "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}}}]},
    "status": {"currentReplicas": 2, "desiredReplicas": 2, "currentMetrics": None, "conditions": [
        {"type": "AbleToScale", "status": "True", "reason": "SucceededGetScale", "message": "the HPA controller was able to get the target's current scale", "lastTransitionTime": t(3000)},
        {"type": "ScalingActive", "status": "False", "reason": "FailedGetResourceMetric", "lastTransitionTime": t(60),
         "message": "the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API"}]}}])
c.ns("shop", "events", [event("shop", "HorizontalPodAutoscaler", "web", "FailedGetResourceMetric",
    "failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API",
    component="horizontal-pod-autoscaler", api="autoscaling/v2", first=60, last=0, count=240)])
c.want("hpa-metrics-unavailable")

c = case("autoscaler-scale-up-blocked-max-size",
         "cluster-autoscaler NotTriggerScaleUp wording ('pod didn't trigger scale-up: 1 max node group size reached') on pods the scheduler "
         "cannot place (Insufficient cpu), AKS cluster autoscaler FAQ.")
for s in ["a7s8d", "f9g0h", "j1k2l"]:
    c.ns("batch", "pods", [pod("batch", f"renderer-6d7e8f9a0-{s}", None, phase="Pending", ready=False,
        owner=("ReplicaSet", "renderer-6d7e8f9a0"), labels={"app": "renderer"}, created=35)])
c.ns("batch", "events", [e for s in ["a7s8d", "f9g0h", "j1k2l"] for e in [
    event("batch", "Pod", f"renderer-6d7e8f9a0-{s}", "FailedScheduling",
          "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.",
          component="default-scheduler", first=35, last=1, count=12),
    event("batch", "Pod", f"renderer-6d7e8f9a0-{s}", "NotTriggerScaleUp",
          "pod didn't trigger scale-up: 1 max node group size reached", typ="Normal", component="cluster-autoscaler",
          first=34, last=1, count=70)]])
c.put("namespaces/kube-system/configmaps/cluster-autoscaler-status.json", {"apiVersion": "v1", "kind": "ConfigMap",
    "metadata": {"name": "cluster-autoscaler-status", "namespace": "kube-system",
                 "annotations": {"cluster-autoscaler.kubernetes.io/last-updated": "2026-11-29 18:29:51.000000000 +0000 UTC"}},
    "data": {"status": "Cluster-autoscaler status at 2026-11-29 18:29:51.000000000 +0000 UTC:\n"
             "Cluster-wide:\n  Health:      Healthy (ready=3 unready=0 notStarted=0 longNotStarted=0 registered=3 longUnregistered=0)\n"
             "  ScaleUp:     NoActivity (ready=3 registered=3)\n  ScaleDown:   NoCandidates (candidates=0)\n\n"
             "NodeGroups:\n  Name:        aks-nodepool1-31718369-vmss\n  Health:      Healthy (ready=3 unready=0 notStarted=0 longNotStarted=0 registered=3 longUnregistered=0 cloudProviderTarget=3 (minSize=1, maxSize=3))\n"
             "  ScaleUp:     NoActivity (ready=3 cloudProviderTarget=3)\n  ScaleDown:   NoCandidates (candidates=0)\n"}})
c.want("autoscaler-scale-up-blocked")

c = case("azure-vcpu-quota-exceeded-az-cli-json",
         "az CLI JSON error of a node pool scale-up ('Operation could not be completed as it results in exceeding approved standardDSv3Family "
         "Cores quota. Additional details - Deployment Model: Resource Manager, Location: westeurope, Current Limit: 100, Current Usage: 96, "
         "Additional Required: 8, (Minimum) New Limit Required: 104'), Learn: QuotaExceeded error code article.")
c.text("attachments/az-aks-nodepool-scale.json", json.dumps({"error": {
    "code": "QuotaExceeded",
    "message": "Provisioning of resource(s) for container service prod-aks in resource group prod-rg failed. Message: Operation could not be completed as it results in exceeding approved standardDSv3Family Cores quota. Additional details - Deployment Model: Resource Manager, Location: westeurope, Current Limit: 100, Current Usage: 96, Additional Required: 8, (Minimum) New Limit Required: 104. Submit a request for Quota increase at https://aka.ms/ProdportalCRP/#blade/Microsoft_Azure_Capacity/UsageAndQuota.ReactView/Parameters/%7B%22subscriptionId%22:%223f2b6c1d-8a4e-4f0b-9c7d-2e1a5b6c7d8e%22,%22command%22:%22openQuotaApprovalBlade%22%7D by specifying parameters listed in the 'Details' section for deployment to succeed. Please read more about quota limits at https://docs.microsoft.com/en-us/azure/azure-supportability/per-vm-quota-requests. Details: ",
    "details": []}}, indent=2) + "\n")
c.want("azure-vcpu-quota-exceeded").none("subnet-full")

c = case("subnet-full-portal-notification",
         "Portal notification text for a node pool scale that the subnet cannot hold ('Code: SubnetIsFull ... does not have enough capacity for "
         "12 IP addresses'), Learn: SubnetIsFull error code article.")
c.text("attachments/portal-notification.txt",
       "Failed to scale node pool\n"
       "Failed to save node pool 'nodepool1'.\n"
       "Error: Code=\"SubnetIsFull\" Message=\"Subnet /subscriptions/3f2b6c1d-8a4e-4f0b-9c7d-2e1a5b6c7d8e/resourceGroups/prod-network-rg/providers/Microsoft.Network/virtualNetworks/prod-vnet/subnets/aks-subnet "
       "with address prefix 10.224.0.0/24 does not have enough capacity for 12 IP addresses.\"\n")
c.want("subnet-full").none("azure-vcpu-quota-exceeded")


if __name__ == "__main__":
    for c in CASES:
        c.write()
    print(f"{len(CASES)} cases written under {ROOT}")
