#!/usr/bin/env python3
"""Writes testdata/xss/: a bundle whose every bundle-controlled string is hostile.

Event messages, log lines, pod and namespace names, the cluster context, attachment text
and the manifest's collection errors carry HTML/JS payloads and template syntax. The HTML
report of this bundle must show them as text and run none of them (tests/browser.rs).
Run it from anywhere:  python3 testdata/make_xss.py
"""
import os

import make_fixtures as mf

HERE = os.path.dirname(os.path.abspath(__file__))

# Each payload, if it ever ran, sets window.__pwned, changes the title or adds a
# <pwned-marker> element; the browser test looks for all three.
SCRIPT = "<script>window.__pwned=1;document.title='PWNED'</script>"
IMG = "<img src=x onerror=\"window.__pwned=2;document.body.appendChild(document.createElement('pwned-marker'))\">"
SVG = "\"><svg onload=\"window.__pwned=3\">"
JSURL = "javascript:window.__pwned=4//"
TEXTAREA = "</textarea></title></style></script><script>window.__pwned=5</script>"
TEMPLATE = "{{ 7*7 }}{% raw %}"
ALL = " ".join([SCRIPT, IMG, SVG, JSURL, TEXTAREA, TEMPLATE])


def main():
    root = os.path.join(HERE, "xss")
    sys_pods, logs, web = mf.healthy_like(root, "aks-" + SCRIPT)
    err = {"step": "logs " + IMG, "command": "kubectl logs " + SVG, "exit_code": 1,
           "stderr": "error: " + ALL + "\n", "at": "2026-11-22T04:00:15Z"}
    mf.write(root, "manifest.json", mf.manifest("aks-" + SCRIPT, [err]))
    mf.write(root, "attachments/notes.txt", "customer note: " + ALL + "\n<a href=\"" + JSURL + "\">click</a>\n")
    n = mf.NODES[1]
    ns = "payments"
    name = "payments-api-" + SVG + IMG
    app = mf.pod(ns, name, n, {"app": "payments-api", "aadpodidbinding": TEMPLATE},
                 [mf.container("api", "contosoprod.azurecr.io/payments/api:3.2.0")], phase="Pending", ready=False,
                 statuses=[{"name": "api", "image": "contosoprod.azurecr.io/payments/api:3.2.0", "imageID": "", "ready": False,
                            "restartCount": 0, "started": False, "state": {"waiting": {"reason": "ContainerCreating"}}}])
    msg = ("MountVolume.SetUp failed for volume \"secrets-store-inline\" : " + ALL +
           " failed to get key vault token: nmi response failed with status code: 404, err: <nil>")
    mf.write_ns(root, ns, [app], [
        mf.event(ns, name, "Pod", "FailedMount", msg, typ="Warning", count=9, first="2026-11-22T03:41:07Z", last="2026-11-22T03:59:31Z", host=n),
        mf.event(ns, name, "Pod", "BackOff" + SCRIPT, "Back-off " + ALL, typ="Warning", count=3, first="2026-11-22T03:30:00Z", last="2026-11-22T03:45:00Z", host=n),
    ])
    prov = "aks-secrets-store-provider-azure-q9m4d"
    logs[("kube-system", prov, "provider-azure-installer")] += (
        "2026-11-22T03:59:31.224871003Z E1122 03:59:31.224701       1 server.go:155] \"failed to process mount request\" "
        "err=\"" + ALL + " nmi response failed with status code: 404\" pod=\"payments/" + name + "\"\n")
    mf.write_logs(root, logs)


if __name__ == "__main__":
    main()
