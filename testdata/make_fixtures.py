#!/usr/bin/env python3
"""Writes the sample bundles in testdata/ as trees a person can open.

The object shapes follow what `kubectl get ... -o json` prints on AKS 1.29/1.30 (trimmed
to the fields a reader needs: managedFields and most annotations left out); log lines
follow klog and the `kubectl logs --timestamps` prefix. Run it from anywhere:
    python3 testdata/make_fixtures.py
It rewrites healthy/, keyvault-nmi/, apiserver-unreachable/, ipam-leak/ and
cluster-info-dump/ from scratch, deterministically.
"""
import json, os, shutil

HERE = os.path.dirname(os.path.abspath(__file__))
T0 = "2026-11-22T03:12:44Z"
COLLECTED = "2026-11-22T04:00:00Z"
NODES = ["aks-nodepool1-31415926-vmss000000", "aks-nodepool1-31415926-vmss000001", "aks-nodepool1-31415926-vmss000002"]


def write(root, rel, obj):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        if isinstance(obj, str):
            f.write(obj)
        else:
            json.dump(obj, f, indent=4, ensure_ascii=False)
            f.write("\n")


def lst(items):
    return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}


def uid(seed):
    import hashlib
    h = hashlib.sha1(seed.encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def node(name, i, ready=True):
    cond = [
        {"type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory", "message": "kubelet has sufficient memory available", "lastHeartbeatTime": "2026-11-22T03:59:41Z", "lastTransitionTime": T0},
        {"type": "DiskPressure", "status": "False", "reason": "KubeletHasNoDiskPressure", "message": "kubelet has no disk pressure", "lastHeartbeatTime": "2026-11-22T03:59:41Z", "lastTransitionTime": T0},
        {"type": "PIDPressure", "status": "False", "reason": "KubeletHasSufficientPID", "message": "kubelet has sufficient PID available", "lastHeartbeatTime": "2026-11-22T03:59:41Z", "lastTransitionTime": T0},
        {"type": "Ready", "status": "True" if ready else "Unknown", "reason": "KubeletReady" if ready else "NodeStatusUnknown",
         "message": "kubelet is posting ready status" if ready else "Kubelet stopped posting node status.", "lastHeartbeatTime": "2026-11-22T03:59:41Z", "lastTransitionTime": T0},
    ]
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "uid": uid(name), "creationTimestamp": "2026-11-01T08:00:00Z",
                     "labels": {"agentpool": "nodepool1", "kubernetes.azure.com/agentpool": "nodepool1", "kubernetes.azure.com/cluster": "MC_rg-prod_aks-prod_westeurope",
                                "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
                                "node.kubernetes.io/instance-type": "Standard_D4ds_v5", "topology.kubernetes.io/region": "westeurope", "topology.kubernetes.io/zone": f"westeurope-{i+1}"}},
        "spec": {"podCIDR": f"10.244.{i}.0/24", "podCIDRs": [f"10.244.{i}.0/24"], "providerID": f"azure:///subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/mc_rg-prod_aks-prod_westeurope/providers/Microsoft.Compute/virtualMachineScaleSets/aks-nodepool1-31415926-vmss/virtualMachines/{i}"},
        "status": {"addresses": [{"type": "InternalIP", "address": f"10.224.0.{4+i}"}, {"type": "Hostname", "address": name}],
                   "allocatable": {"cpu": "3860m", "memory": "12880404Ki", "pods": "110"},
                   "capacity": {"cpu": "4", "memory": "16365012Ki", "pods": "110"},
                   "conditions": cond,
                   "nodeInfo": {"architecture": "amd64", "containerRuntimeVersion": "containerd://1.7.22-1", "kernelVersion": "5.15.0-1073-azure",
                                "kubeProxyVersion": "v1.30.5", "kubeletVersion": "v1.30.5", "operatingSystem": "linux", "osImage": "Ubuntu 22.04.5 LTS"}},
    }


def pod(ns, name, node_name, labels, containers, phase="Running", ready=True, host_network=False, ip=None, statuses=None, volumes=None, owner=None, conditions=None):
    spec = {"containers": containers, "nodeName": node_name, "restartPolicy": "Always", "schedulerName": "default-scheduler",
            "serviceAccountName": labels.get("app", "default") if ns == "kube-system" else "default",
            "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst"}
    if host_network:
        spec["hostNetwork"] = True
    if volumes:
        spec["volumes"] = volumes
    if statuses is None:
        statuses = [{"name": c["name"], "image": c["image"], "imageID": "", "ready": ready, "restartCount": 0, "started": ready,
                     "containerID": f"containerd://{uid(name + c['name']).replace('-', '')}",
                     "state": {"running": {"startedAt": T0}}} for c in containers]
    conds = conditions or [
        {"type": "PodReadyToStartContainers", "status": "True", "lastTransitionTime": T0},
        {"type": "Initialized", "status": "True", "lastTransitionTime": T0},
        {"type": "Ready", "status": "True" if ready else "False", "lastTransitionTime": T0},
        {"type": "ContainersReady", "status": "True" if ready else "False", "lastTransitionTime": T0},
        {"type": "PodScheduled", "status": "True", "lastTransitionTime": T0},
    ]
    host_ip = f"10.224.0.{4 + NODES.index(node_name)}" if node_name in NODES else None
    status = {"phase": phase, "conditions": conds, "containerStatuses": statuses, "hostIP": host_ip, "qosClass": "Burstable", "startTime": T0}
    pod_ip = host_ip if host_network else ip
    if pod_ip:
        status["podIP"] = pod_ip
        status["podIPs"] = [{"ip": pod_ip}]
    meta = {"name": name, "namespace": ns, "uid": uid(ns + name), "labels": labels, "creationTimestamp": T0}
    if owner:
        meta["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": owner[0], "name": owner[1], "uid": uid(owner[1]), "controller": True, "blockOwnerDeletion": True}]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec, "status": status}


def container(name, image, ports=None, mem=None):
    c = {"name": name, "image": image, "imagePullPolicy": "IfNotPresent",
         "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}, "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}
    if mem:
        c["resources"]["limits"] = {"memory": mem}
    if ports:
        c["ports"] = [{"containerPort": p, "name": n, "protocol": "TCP"} for n, p in ports]
    return c


def event(ns, name, kind, reason, message, typ="Normal", count=1, first=T0, last=None, component="kubelet", host=None):
    ev = {"apiVersion": "v1", "kind": "Event",
          "metadata": {"name": f"{name}.{uid(reason + message)[:16].replace('-', '')}", "namespace": ns, "uid": uid(ns + name + reason + message), "creationTimestamp": first},
          "involvedObject": {"apiVersion": "v1", "kind": kind, "name": name, "namespace": ns, "uid": uid(ns + name)},
          "reason": reason, "message": message, "source": {"component": component},
          "firstTimestamp": first, "lastTimestamp": last or first, "count": count, "type": typ,
          "reportingComponent": component, "reportingInstance": host or ""}
    if host:
        ev["source"]["host"] = host
    return ev


def service(ns, name, selector, ports, cluster_ip, typ="ClusterIP"):
    spec = {"clusterIP": cluster_ip, "clusterIPs": [cluster_ip], "ports": [{"name": n, "port": p, "protocol": "TCP", "targetPort": t} for n, p, t in ports],
            "sessionAffinity": "None", "type": typ, "internalTrafficPolicy": "Cluster", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack"}
    if selector is not None:
        spec["selector"] = selector
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns, "uid": uid(ns + name), "creationTimestamp": "2026-11-01T08:10:00Z", "labels": {}}, "spec": spec, "status": {"loadBalancer": {}}}


def endpoints(ns, name, addrs, ports, not_ready=()):
    subset = {"ports": [{"name": n, "port": p, "protocol": "TCP"} for n, p in ports]}
    if addrs:
        subset["addresses"] = [{"ip": ip, "nodeName": nd, "targetRef": {"kind": "Pod", "name": pn, "namespace": ns, "uid": uid(ns + pn)}} for ip, nd, pn in addrs]
    if not_ready:
        subset["notReadyAddresses"] = [{"ip": ip, "nodeName": nd, "targetRef": {"kind": "Pod", "name": pn, "namespace": ns, "uid": uid(ns + pn)}} for ip, nd, pn in not_ready]
    subsets = [subset] if addrs or not_ready else []
    return {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": name, "namespace": ns, "uid": uid("ep" + ns + name), "creationTimestamp": "2026-11-01T08:10:00Z"}, "subsets": subsets}


def nnc_overlay(node_name, i):
    return {"apiVersion": "acn.azure.com/v1alpha", "kind": "NodeNetworkConfig",
            "metadata": {"name": node_name, "namespace": "kube-system", "uid": uid("nnc" + node_name), "labels": {"kubernetes.azure.com/podnetwork-delegationguid": "", "managed": "true", "owner": node_name},
                         "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": node_name, "uid": uid(node_name), "blockOwnerDeletion": True, "controller": True}]},
            "spec": {"requestedIPCount": 0},
            "status": {"assignedIPCount": 256, "networkContainers": [{"assignmentMode": "static", "id": uid("nc" + node_name), "nodeIP": f"10.224.0.{4+i}", "primaryIP": f"10.244.{i}.0/24",
                                                                       "subnetAddressSpace": "10.244.0.0/16", "subnetName": "routingdomain_" + uid("rd")[:8] + "_overlaysubnet", "type": "overlay", "version": 0}]}}


def manifest(context, errors=(), redactions=0, server="https://aks-prod-7f3a9c1e.hcp.westeurope.azmk8s.io:443", version="v1.30.5"):
    return {"format": "aksbundle/v1", "collector": {"name": "aksbundle", "version": "0.1.0"}, "collected_at": COLLECTED,
            "cluster": {"context": context, "server": server, "version": version},
            "options": {"since": "1h", "namespaces": ["*"], "node_ipam": True}, "redactions": redactions, "errors": list(errors)}


def system_pods():
    pods, logs = [], {}
    for i, n in enumerate(NODES):
        sfx = ["x7k2p", "q9m4d", "t3v8w"][i]
        pods.append(pod("kube-system", f"azure-cns-{sfx}", n, {"k8s-app": "azure-cns"}, [container("cns-container", "mcr.microsoft.com/containernetworking/azure-cns:v1.6.13")], host_network=True, owner=("DaemonSet", "azure-cns")))
        pods.append(pod("kube-system", f"kube-proxy-{sfx}", n, {"component": "kube-proxy"}, [container("kube-proxy", "mcr.microsoft.com/oss/kubernetes/kube-proxy:v1.30.5")], host_network=True, owner=("DaemonSet", "kube-proxy")))
        drv = f"aks-secrets-store-csi-driver-{sfx}"
        pods.append(pod("kube-system", drv, n, {"app": "secrets-store-csi-driver"}, [container("node-driver-registrar", "mcr.microsoft.com/oss/kubernetes-csi/csi-node-driver-registrar:v2.11.1"), container("secrets-store", "mcr.microsoft.com/oss/kubernetes-csi/secrets-store/driver:v1.4.5"), container("liveness-probe", "mcr.microsoft.com/oss/kubernetes-csi/livenessprobe:v2.13.1")], ip=f"10.244.{i}.{11}", owner=("DaemonSet", "aks-secrets-store-csi-driver")))
        prov = f"aks-secrets-store-provider-azure-{sfx}"
        pods.append(pod("kube-system", prov, n, {"app": "secrets-store-provider-azure"}, [container("provider-azure-installer", "mcr.microsoft.com/oss/azure/secrets-store/provider-azure:v1.5.6")], host_network=True, owner=("DaemonSet", "aks-secrets-store-provider-azure")))
        logs[("kube-system", drv, "secrets-store")] = (
            "2026-11-22T03:12:50.101233411Z I1122 03:12:50.101112       1 exporter.go:35] \"initializing metrics backend\" backend=\"prometheus\"\n"
            "2026-11-22T03:12:50.203344521Z I1122 03:12:50.203221       1 main.go:195] \"starting manager\"\n"
            "2026-11-22T03:12:50.410771201Z I1122 03:12:50.410654       1 secrets-store.go:46] \"Initializing Secrets Store CSI Driver\" driver=\"secrets-store.csi.k8s.io\" version=\"v1.4.5\" buildTime=\"2024-08-21-00:52\"\n"
            "2026-11-22T03:12:50.512881902Z I1122 03:12:50.512770       1 server.go:126] \"Listening for connections\" address=\"//csi/csi.sock\"\n")
        logs[("kube-system", prov, "provider-azure-installer")] = (
            "2026-11-22T03:12:49.811233411Z I1122 03:12:49.811102       1 main.go:106] \"provider health check enabled\" port=8989\n"
            "2026-11-22T03:12:49.914333001Z I1122 03:12:49.914221       1 main.go:152] \"Listening for connections\" address=\"/provider/azure.sock\"\n")
    pods.append(pod("kube-system", "coredns-6f9b9b8c9f-2kq7d", NODES[0], {"k8s-app": "kube-dns", "pod-template-hash": "6f9b9b8c9f"}, [container("coredns", "mcr.microsoft.com/oss/kubernetes/coredns:v1.9.4", [("dns", 53), ("dns-tcp", 53), ("metrics", 9153)])], ip="10.244.0.7", owner=("ReplicaSet", "coredns-6f9b9b8c9f")))
    pods.append(pod("kube-system", "coredns-6f9b9b8c9f-9rlxz", NODES[1], {"k8s-app": "kube-dns", "pod-template-hash": "6f9b9b8c9f"}, [container("coredns", "mcr.microsoft.com/oss/kubernetes/coredns:v1.9.4", [("dns", 53), ("dns-tcp", 53), ("metrics", 9153)])], ip="10.244.1.9", owner=("ReplicaSet", "coredns-6f9b9b8c9f")))
    pods.append(pod("kube-system", "metrics-server-7b685846d6-fwq2m", NODES[2], {"k8s-app": "metrics-server"}, [container("metrics-server", "mcr.microsoft.com/oss/kubernetes/metrics-server:v0.7.2", [("https", 4443)])], ip="10.244.2.5", owner=("ReplicaSet", "metrics-server-7b685846d6")))
    return pods, logs


def base(root, context, errors=()):
    shutil.rmtree(root, ignore_errors=True)
    write(root, "manifest.json", manifest(context, errors))
    write(root, "cluster/version.json", {"clientVersion": {"major": "1", "minor": "30", "gitVersion": "v1.30.3", "platform": "linux/amd64"},
                                         "kustomizeVersion": "v5.0.4-0.20230601165947-6ce0bf390ce3",
                                         "serverVersion": {"major": "1", "minor": "30", "gitVersion": "v1.30.5", "gitCommit": "74e84a90c725047b1328ff3d589fedb1cb7a120e", "buildDate": "2024-09-12T00:11:55Z", "goVersion": "go1.22.6", "compiler": "gc", "platform": "linux/amd64"}})
    write(root, "cluster/nodes.json", lst([node(n, i) for i, n in enumerate(NODES)]))
    write(root, "cluster/nnc.json", lst([nnc_overlay(n, i) for i, n in enumerate(NODES)]))
    sys_pods, logs = system_pods()
    web = [pod("shop", f"web-7d9c6b5f4d-{s}", NODES[i], {"app": "web", "pod-template-hash": "7d9c6b5f4d"}, [container("web", "contosoprod.azurecr.io/shop/web:1.14.2", [("http", 8080)], mem="512Mi")], ip=f"10.244.{i}.{20+i}", owner=("ReplicaSet", "web-7d9c6b5f4d"))
           for i, s in enumerate(["h5x2k", "m8p4r"])]
    return sys_pods, logs, web


def write_ns(root, ns, pods=(), events=(), services=(), eps=(), netpols=(), jobs=()):
    write(root, f"namespaces/{ns}/pods.json", lst(list(pods)))
    write(root, f"namespaces/{ns}/events.json", lst(list(events)))
    write(root, f"namespaces/{ns}/services.json", lst(list(services)))
    write(root, f"namespaces/{ns}/endpoints.json", lst(list(eps)))
    write(root, f"namespaces/{ns}/networkpolicies.json", lst(list(netpols)))
    write(root, f"namespaces/{ns}/jobs.json", lst(list(jobs)))


def write_logs(root, logs):
    for (ns, p, c), text in logs.items():
        write(root, f"logs/{ns}/{p}/{c}.log", text)


def healthy_like(root, context):
    sys_pods, logs, web = base(root, context)
    normal = [event("shop", p["metadata"]["name"], "Pod", r, m, host=p["spec"]["nodeName"], first="2026-11-22T03:20:0%dZ" % k)
              for p in web for k, (r, m) in enumerate([("Scheduled", f"Successfully assigned shop/{p['metadata']['name']} to {p['spec']['nodeName']}"),
                                                       ("Pulled", 'Container image "contosoprod.azurecr.io/shop/web:1.14.2" already present on machine'),
                                                       ("Created", "Created container web"), ("Started", "Started container web")])]
    write_ns(root, "shop", web, normal,
             [service("shop", "web", {"app": "web"}, [("http", 80, "http")], "10.0.142.17")],
             [endpoints("shop", "web", [(p["status"]["podIP"], p["spec"]["nodeName"], p["metadata"]["name"]) for p in web], [("http", 8080)])])
    write_ns(root, "kube-system", sys_pods, [event("kube-system", "coredns-6f9b9b8c9f-2kq7d", "Pod", "Pulled", 'Container image "mcr.microsoft.com/oss/kubernetes/coredns:v1.9.4" already present on machine', host=NODES[0])],
             [service("kube-system", "kube-dns", {"k8s-app": "kube-dns"}, [("dns", 53, 53), ("dns-tcp", 53, 53)], "10.0.0.10"),
              service("kube-system", "metrics-server", {"k8s-app": "metrics-server"}, [("https", 443, "https")], "10.0.77.201")],
             [endpoints("kube-system", "kube-dns", [("10.244.0.7", NODES[0], "coredns-6f9b9b8c9f-2kq7d"), ("10.244.1.9", NODES[1], "coredns-6f9b9b8c9f-9rlxz")], [("dns", 53), ("dns-tcp", 53)]),
              endpoints("kube-system", "metrics-server", [("10.244.2.5", NODES[2], "metrics-server-7b685846d6-fwq2m")], [("https", 4443)])])
    write_ns(root, "default", [], [], [service("default", "kubernetes", None, [("https", 443, 443)], "10.0.0.1")],
             [endpoints("default", "kubernetes", [("20.76.13.202", None, "x")], [("https", 443)])])
    for i, n in enumerate(NODES):
        running = sum(1 for p in sys_pods + web if p["spec"]["nodeName"] == n and not p["spec"].get("hostNetwork"))
        write(root, f"nodes/{n}/ipam.json", {"node": n, "collected_at": "2026-11-22T04:00:05Z", "stores": [{"path": "/var/lib/cni/networks/azure", "ip_files": running + 1}]})
    write_logs(root, logs)
    return sys_pods, logs, web


def healthy():
    healthy_like(os.path.join(HERE, "healthy"), "aks-prod-westeu")


def keyvault_nmi():
    root = os.path.join(HERE, "keyvault-nmi")
    sys_pods, logs, web = healthy_like(root, "aks-prod-westeu")
    n = NODES[1]
    app = pod("payments", "payments-api-5c7d8f9b6-kq2lm", n, {"app": "payments-api", "aadpodidbinding": "payments-identity"},
              [container("api", "contosoprod.azurecr.io/payments/api:3.2.0", [("http", 8080)])], phase="Pending", ready=False,
              statuses=[{"name": "api", "image": "contosoprod.azurecr.io/payments/api:3.2.0", "imageID": "", "ready": False, "restartCount": 0, "started": False,
                         "state": {"waiting": {"reason": "ContainerCreating"}}}],
              volumes=[{"name": "secrets-store-inline", "csi": {"driver": "secrets-store.csi.k8s.io", "readOnly": True, "volumeAttributes": {"secretProviderClass": "payments-kv"}}}],
              owner=("ReplicaSet", "payments-api-5c7d8f9b6"))
    msg = ("MountVolume.SetUp failed for volume \"secrets-store-inline\" : rpc error: code = Unknown desc = failed to mount secrets store objects for pod payments/payments-api-5c7d8f9b6-kq2lm, "
           "err: rpc error: code = Unknown desc = failed to mount objects, error: failed to get keyvault client: failed to get key vault token: nmi response failed with status code: 404, err: <nil>")
    write_ns(root, "payments", [app], [event("payments", app["metadata"]["name"], "Pod", "Scheduled", f"Successfully assigned payments/{app['metadata']['name']} to {n}", component="default-scheduler", first="2026-11-22T03:41:02Z"),
                                       event("payments", app["metadata"]["name"], "Pod", "FailedMount", msg, typ="Warning", count=14, first="2026-11-22T03:41:07Z", last="2026-11-22T03:59:31Z", host=n)],
             [service("payments", "payments-api", {"app": "payments-api"}, [("http", 80, "http")], "10.0.51.9")], [endpoints("payments", "payments-api", [], [])])
    prov = "aks-secrets-store-provider-azure-q9m4d"
    logs[("kube-system", prov, "provider-azure-installer")] += (
        "2026-11-22T03:59:31.224871003Z E1122 03:59:31.224701       1 server.go:155] \"failed to process mount request\" err=\"failed to get keyvault client: failed to get key vault token: nmi response failed with status code: 404, err: <nil>\" pod=\"payments/payments-api-5c7d8f9b6-kq2lm\"\n")
    write_logs(root, logs)


def apiserver_unreachable():
    root = os.path.join(HERE, "apiserver-unreachable")
    shutil.rmtree(root, ignore_errors=True)
    err = {"step": "version", "command": "kubectl version -o json --request-timeout=15s", "exit_code": 1,
           "stderr": "Unable to connect to the server: dial tcp 20.103.218.47:443: i/o timeout\n", "at": "2026-11-22T04:00:15Z"}
    write(root, "manifest.json", manifest("aks-private-jpe", [err], server="https://aks-private-jpe-5e2a1b.hcp.japaneast.azmk8s.io:443", version=None))
    write(root, "attachments/az-aks-show.txt",
          "$ az aks show -g rg-private -n aks-private-jpe --query apiServerAccessProfile\n"
          "{\n  \"authorizedIpRanges\": [\n    \"203.0.113.0/24\"\n  ],\n  \"enablePrivateCluster\": false\n}\n")


def ipam_leak():
    root = os.path.join(HERE, "ipam-leak")
    sys_pods, logs, web = healthy_like(root, "aks-kubenet-krc")
    n = NODES[2]
    # kubenet: host-local IPAM files pile up while only a few pods run.
    for i, nd in enumerate(NODES):
        running = sum(1 for p in sys_pods + web if p["spec"]["nodeName"] == nd and not p["spec"].get("hostNetwork"))
        files = 244 if nd == n else running + 2
        write(root, f"nodes/{nd}/ipam.json", {"node": nd, "collected_at": "2026-11-22T04:00:05Z", "stores": [{"path": "/var/lib/cni/networks/kubenet", "ip_files": files}]})
    os.remove(os.path.join(root, "cluster/nnc.json"))
    stuck = pod("batch", "report-28861420-vd9qs", n, {"job-name": "report-28861420"}, [container("report", "contosoprod.azurecr.io/batch/report:2.0.1")], phase="Pending", ready=False,
                statuses=[{"name": "report", "image": "contosoprod.azurecr.io/batch/report:2.0.1", "imageID": "", "ready": False, "restartCount": 0, "started": False, "state": {"waiting": {"reason": "ContainerCreating"}}}])
    msg = ('Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox "4a1f0d2c9e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f": '
           'plugin type="bridge" failed (add): failed to allocate for range 0: no IP addresses available in range set: 10.244.2.1-10.244.2.254')
    write_ns(root, "batch", [stuck], [event("batch", stuck["metadata"]["name"], "Pod", "FailedCreatePodSandBox", msg, typ="Warning", count=37, first="2026-11-22T03:30:12Z", last="2026-11-22T03:59:48Z", host=n)])


def cluster_info_dump():
    root = os.path.join(HERE, "cluster-info-dump")
    shutil.rmtree(root, ignore_errors=True)
    write(root, "nodes.json", {"kind": "NodeList", "apiVersion": "v1", "metadata": {"resourceVersion": "1841153"}, "items": [node(n, i) for i, n in enumerate(NODES)]})
    sys_pods, _, web = system_pods()[0], None, None
    app = pod("shop", "cart-6b8f7d9c5-zt4xq", NODES[0], {"app": "cart"}, [container("cart", "contosoprod.azurecr.io/shop/cart:0.9.1")], ready=False,
              statuses=[{"name": "cart", "image": "contosoprod.azurecr.io/shop/cart:0.9.1", "imageID": "", "ready": False, "restartCount": 9, "started": False,
                         "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s restarting failed container=cart pod=cart-6b8f7d9c5-zt4xq_shop(" + uid("shopcart") + ")"}},
                         "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "startedAt": "2026-11-22T03:52:10Z", "finishedAt": "2026-11-22T03:52:13Z", "containerID": "containerd://" + uid("cart").replace("-", "")}}}])
    write(root, "shop/pods.json", {"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "1841153"}, "items": [app]})
    write(root, "shop/events.json", {"kind": "EventList", "apiVersion": "v1", "metadata": {"resourceVersion": "1841153"},
                                     "items": [event("shop", app["metadata"]["name"], "Pod", "BackOff", "Back-off restarting failed container cart in pod cart-6b8f7d9c5-zt4xq_shop(" + uid("shopcart") + ")", typ="Warning", count=41, first="2026-11-22T03:20:31Z", last="2026-11-22T03:58:02Z", host=NODES[0])]})
    write(root, "shop/services.json", {"kind": "ServiceList", "apiVersion": "v1", "metadata": {}, "items": []})
    write(root, "kube-system/pods.json", {"kind": "PodList", "apiVersion": "v1", "metadata": {}, "items": sys_pods})
    write(root, "kube-system/events.json", {"kind": "EventList", "apiVersion": "v1", "metadata": {}, "items": []})
    write(root, "shop/cart-6b8f7d9c5-zt4xq/logs.txt",
          "==== START logs for container cart of pod shop/cart-6b8f7d9c5-zt4xq ====\n"
          "2026/11/22 03:52:10 starting cart service version=0.9.1\n"
          "2026/11/22 03:52:13 fatal: cannot connect to redis at cart-redis.shop.svc.cluster.local:6379: dial tcp 10.0.88.14:6379: i/o timeout\n"
          "==== END logs for container cart of pod shop/cart-6b8f7d9c5-zt4xq ====\n")


if __name__ == "__main__":
    healthy()
    keyvault_nmi()
    apiserver_unreachable()
    ipam_leak()
    cluster_info_dump()
