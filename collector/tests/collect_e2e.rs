//! End-to-end: the real kubectl, driven by the collector, against a fake API server serving
//! `testdata/apiserver`. Skipped (with a message) only when kubectl is not on PATH.

#![cfg(unix)]

mod support;

use collector::{CollectError, Options};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};
use support::fake_apiserver::{self, Config, FakeApiServer, SilentServer};
use support::{contains, decompressed, json, members, only_file, text, KubectlEnv};

/// Secrets planted in the fixtures and the attachment; none may reach the bundle.
const PLANTED: &[&str] = &[
    "hunter2-db-Passw0rd",
    "Zm9vYmFyYmF6cXV4c2VjcmV0a2V5MDEyMzQ1Njc4OQ",
    "RXZlbnRBY2NvdW50S2V5U2VjcmV0MDEyMzQ1Njc4OQ",
    "svc-lastapplied-Secret-9f8e",
    "eyJhdWQiOiJodHRwczovL3ZhdWx0LmF6dXJlLm5ldCIsInN1YiI6Im5taS1wbGFudGVkIn0",
    "Q2hhcmxpZUJlYXJlclRva2VuMTIzNDU2Nzg5MA",
    "kXn3%2FsP0QzV8aLr1mYc5Tt7Uu9WwEe2Rr4Yy6Ii8Oo0",
    "c2VjcmV0LW9iamVjdC1kYXRhLW5ldmVyLWZldGNoZWQ",
    "Att4chm3nt~Secret.Value",
    "attached-kubeconfig-token-0123456789",
    "kubeconfig-token-MUST-NOT-LEAK",
    // Issue 17: formats the first redactor did not know, in objects (env, args,
    // annotations, headers), an event and a log.
    "Tw0W0rdArg-Pl4nted",
    "MyR00tPl4nted!",
    "DumpPl4nted2026",
    "Js0nEsc4pedPl4nted",
    "c0ffee5e1f2a3b4c5d6e7f8091a2b3c4",
    "5b1e2d3c4f5a69788796a5b4c3d2e1f0",
    "Pl4ntedMidL1ne!",
    "UrlEnc0dedSasPl4nted",
    "AKIAVB3XDWD6XAZPHNPX",
    "hIiJyqGNSOvQmIQbgSc7I8gzNHj/crZ/YxzGtoBg",
    "xMb8Q~2gQvDOVwBM3T5lnbyw575.r85bLHxb7RQB",
    "Sup3rS3cret-B64",
    "9f8e7d6c5b4a39281706f5e4d3c2b1a0",
    "TeamsHookPl4nted0123456789abcdef",
    "Pwd!Planted2026",
    "ghp_HAZt9xslXTTIQrh6bpy0VAq3GZuO2R8UziJd",
    "3f2a9c1b7d4e4f0a8b6c5d4e3f2a1b0c",
    "B9dVIdmIqrww8IL0Az6aHWvf",
    "a7c4e91f0b3d58e26f1a9c7b4d2e0f83",
    "probe-Hdr-Pl4nted-7f3e2d1c",
    "dU4FLz0FoJAHOCe9DWnoEu0m",
    "npm_i0Y4mj4TIJZ9RnvIh4TOetAfG82EOMjRZA0G",
    // Issue 12: secrets in the new kinds (workload templates, a CronJob's args, the
    // coredns-custom ConfigMap, an Ingress annotation, a webhook URL).
    "C0nnStr1ngPl4nted",
    "SbK3yPl4ntedQ2hhcmxpZUJyYXZvRGVsdGFFY2hvMDE",
    "St4tefulR00tPl4nted",
    "W0rksp4ceK3yPl4ntedR2VvcmdlSGFycmlzb25Kb2huTGVubm9uUmluZ29TdGFycg",
    "CronT0kenPl4nted-5e6f7a8b9c0d1e2f",
    "Q3JvbkN1cmxCZWFyZXJQbDRudGVkMDEyMzQ1Njc4OQ",
    "Zq48Q~CoreDnsAzurePl4ntedSecretValue0123",
    "EtcdPassw0rdPl4nted",
    "SW5ncmVzc1NuaXBwZXRCZWFyZXJQbDRudGVk",
    "WebhookUrlPl4nted",
];

/// Ordinary text that must survive redaction.
const ORDINARY: &[&str] = &[
    "mcr.microsoft.com/oss/azure/secrets-store/provider-azure:v1.5.0",
    "myacr.azurecr.io/web:1.2.3",
    "10.244.1.17",
    "10.224.0.4",
    "0d9c1c3e-5b8e-4f0e-9a8c-2f1d3e4b5a6c",
    "5f3c2a1e-7b9d-4c8e-a1f2-3d4e5f6a7b8c",
    "keyvault-secrets",
    "token-reviewer",
    "E1122 04:01:02.223456       1 server.go:123] failed to process mount request",
    "failed to get key vault token: nmi response failed with status code: 404",
    "kv-prod-westeu",
    "--db-host",
    "db.prod.internal",
    "mysql.prod.internal",
    "--single-transaction",
    "prometheus.io/scrape",
    "loaded config",
    "Invalid client secret provided",
    // Issue 12: ordinary text of the new kinds.
    "orders-sql.database.windows.net",
    "https://aks-webhook-admission-controller.aks-system.svc:443/mutate",
    "provisioner-deletion-secret-namespace",
    "forward . /etc/resolv.conf",
    "The maximum number of data disks allowed to be attached to a VM of this size is 4.",
    "FailedDiscoveryCheck",
];

/// Every base64 run of the bundle, decoded (standard or URL-safe alphabet): a planted secret
/// must not survive in encoded form either.
fn decoded_base64_runs(bytes: &[u8]) -> Vec<Vec<u8>> {
    use base64::Engine as _;
    let is_b64 = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_');
    bytes
        .split(|b| !is_b64(b))
        .filter(|run| run.len() >= 16)
        .filter_map(|run| {
            let run = &run[..run.len() - run.len() % 4];
            base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(run)
                .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(run))
                .ok()
        })
        .collect()
}

/// kubectl against `server` with the context `fake-ctx` (namespace `default`) and a
/// kubeconfig token that must never reach the bundle.
fn env_for(real_kubectl: &Path, server: &str) -> KubectlEnv {
    KubectlEnv::new(
        real_kubectl,
        server,
        "fake-ctx",
        "kubeconfig-token-MUST-NOT-LEAK",
        true,
    )
}

fn is_rfc3339_prefixed(line: &str) -> bool {
    let b = line.as_bytes();
    b.len() > 20
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
}

#[test]
fn collects_a_broken_cluster_into_a_redacted_bundle() {
    let real = require_kubectl!();
    let server = FakeApiServer::start(Config::default_fixtures());
    let env = env_for(&real, &server.url());
    let attachment = env.dir.path().join("az-aks-show.txt");
    std::fs::write(
        &attachment,
        "$ az aks get-credentials -g rg -n prod\nERROR: (AuthorizationFailed) client_secret=Att4chm3nt~Secret.Value rejected\nusers:\n- name: clusterUser\n  user:\n    token: attached-kubeconfig-token-0123456789\n",
    )
    .unwrap();
    let opts = Options {
        attachments: vec![attachment],
        ..env.options()
    };

    let summary = collector::collect(&opts).expect("collect");
    assert!(summary.reachable);
    assert!(
        summary.errors.is_empty(),
        "unexpected errors: {:#?}",
        summary.errors
    );
    let bundle = only_file(&env.out);
    assert_eq!(summary.path, bundle);
    let name = bundle.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("aksbundle-fake-ctx-") && name.ends_with("Z.tar.gz"),
        "{name}"
    );
    let m = members(&bundle);
    assert_analyzer_reads_every_kind(&bundle);

    // The tree.
    for required in [
        "manifest.json",
        "cluster/version.json",
        "cluster/nodes.json",
        "cluster/nnc.json",
        "namespaces/default/pods.json",
        "namespaces/default/events.json",
        "namespaces/default/services.json",
        "namespaces/default/endpoints.json",
        "namespaces/default/networkpolicies.json",
        "namespaces/default/jobs.json",
        "namespaces/kube-system/pods.json",
        "namespaces/sc-system/jobs.json",
        // sc-system has no network policy: an empty list says "none", not "not collected".
        "namespaces/sc-system/networkpolicies.json",
        "namespaces/default/deployments.json",
        "namespaces/default/replicasets.json",
        "namespaces/default/statefulsets.json",
        "namespaces/default/cronjobs.json",
        "namespaces/default/persistentvolumeclaims.json",
        "namespaces/default/horizontalpodautoscalers.json",
        "namespaces/default/poddisruptionbudgets.json",
        "namespaces/default/resourcequotas.json",
        "namespaces/default/limitranges.json",
        "namespaces/default/ingresses.json",
        "namespaces/default/endpointslices.json",
        "namespaces/kube-system/daemonsets.json",
        "namespaces/logging/daemonsets.json",
        "namespaces/sc-system/deployments.json",
        "cluster/persistentvolumes.json",
        "cluster/storageclasses.json",
        "cluster/volumeattachments.json",
        "cluster/csinodes.json",
        "cluster/csidrivers.json",
        "cluster/namespaces.json",
        "cluster/apiservices.json",
        "cluster/validatingwebhookconfigurations.json",
        "cluster/mutatingwebhookconfigurations.json",
        "cluster/ingressclasses.json",
        "cluster/priorityclasses.json",
        "cluster/flowschemas.json",
        "cluster/prioritylevelconfigurations.json",
        "namespaces/kube-system/configmaps/coredns.json",
        "namespaces/kube-system/configmaps/coredns-custom.json",
        "namespaces/kube-system/configmaps/cluster-autoscaler-status.json",
        "logs/kube-system/aks-secrets-store-provider-azure-x7k2p/provider-azure-installer.log",
        "logs/kube-system/aks-secrets-store-csi-driver-4xqzn/node-driver-registrar.log",
        "logs/kube-system/aks-secrets-store-csi-driver-4xqzn/secrets-store.log",
        "logs/kube-system/aks-secrets-store-csi-driver-4xqzn/secrets-store.previous.log",
        "logs/kube-system/aks-secrets-store-csi-driver-4xqzn/liveness-probe.log",
        "logs/kube-system/nmi-8fj2k/nmi.log",
        "logs/kube-system/azure-cns-5lq9w/cns-container.log",
        "logs/default/api-6c9d8b7f5-xk2lp/api.log",
        "logs/default/api-6c9d8b7f5-xk2lp/api.previous.log",
        "logs/sc-system/sc-job-7h2kd/sc-job.log",
        // CoreDNS is an AKS add-on: its log is always collected.
        "logs/kube-system/coredns-789789675-2x8kq/coredns.log",
        "attachments/az-aks-show.txt",
    ] {
        assert!(
            m.contains_key(required),
            "{required} missing; have {:#?}",
            m.keys().collect::<Vec<_>>()
        );
    }
    // Containers that never started have no logs; nor has a container without a previous
    // instance a previous log.
    for absent in [
        "logs/default/web-5d8f7c9b4-abcde/web.log",
        "logs/kube-system/aks-secrets-store-provider-azure-x7k2p/provider-azure-installer.previous.log",
        "logs/kube-system/aks-secrets-store-csi-driver-4xqzn/liveness-probe.previous.log",
    ] {
        assert!(!m.contains_key(absent), "{absent} should not be collected");
    }
    assert!(!m
        .keys()
        .any(|k| k.contains("secret") && k.ends_with(".json") && !k.contains("secrets-store")));
    // AKS 1.29 does not serve ValidatingAdmissionPolicy (beta, off by default): a note.
    for absent in [
        "cluster/validatingadmissionpolicies.json",
        "cluster/validatingadmissionpolicybindings.json",
    ] {
        assert!(
            !m.contains_key(absent),
            "{absent} cannot have been collected"
        );
    }
    for resource in [
        "validatingadmissionpolicies.admissionregistration.k8s.io",
        "validatingadmissionpolicybindings.admissionregistration.k8s.io",
    ] {
        assert_eq!(
            summary
                .notes
                .iter()
                .filter(|n| n.contains(&format!("does not serve {resource} ")))
                .count(),
            1,
            "{:#?}",
            summary.notes
        );
    }
    // Only the three ConfigMaps, only by name: never a ConfigMap list.
    let config_maps: Vec<&String> = m.keys().filter(|k| k.contains("configmaps")).collect();
    assert_eq!(config_maps.len(), 3, "{config_maps:?}");

    // manifest.json.
    let manifest = json(&m, "manifest.json");
    assert_eq!(manifest["format"], "aksbundle/v1");
    assert_eq!(manifest["collector"]["name"], "aksbundle");
    assert_eq!(manifest["cluster"]["context"], "fake-ctx");
    assert_eq!(manifest["cluster"]["server"], server.url());
    assert_eq!(manifest["cluster"]["version"], "v1.29.4");
    assert_eq!(manifest["options"]["since"], "1h");
    assert_eq!(manifest["options"]["namespaces"], serde_json::json!(["*"]));
    assert_eq!(manifest["options"]["node_ipam"], false);
    assert_eq!(manifest["options"]["node_logs"], false);
    assert_eq!(manifest["errors"], serde_json::json!([]));
    assert_eq!(manifest["logs"]["skipped"], serde_json::json!([]));
    let logged: usize = m
        .iter()
        .filter(|(k, _)| k.starts_with("logs/"))
        .map(|(_, v)| v.len())
        .sum();
    assert_eq!(manifest["logs"]["written"], logged as u64);
    assert!(is_rfc3339_prefixed(&format!(
        "{} ",
        manifest["collected_at"].as_str().unwrap()
    )));
    let redactions = manifest["redactions"].as_u64().unwrap();
    assert!(redactions >= 9, "only {redactions} redactions");
    assert_eq!(redactions, summary.redactions);

    // JSON shapes: what `kubectl get -o json` prints.
    let pods = json(&m, "namespaces/kube-system/pods.json");
    assert_eq!(pods["kind"], "List");
    assert_eq!(pods["apiVersion"], "v1");
    let items = pods["items"].as_array().unwrap();
    assert_eq!(items.len(), 5);
    for pod in items {
        assert_eq!(pod["kind"], "Pod");
        assert_eq!(pod["metadata"]["namespace"], "kube-system");
        assert!(pod["metadata"].get("managedFields").is_none());
        assert!(pod["status"]["conditions"].is_array());
    }
    let nodes = json(&m, "cluster/nodes.json");
    assert_eq!(nodes["items"].as_array().unwrap().len(), 2);
    assert_eq!(nodes["items"][0]["kind"], "Node");
    let nnc = json(&m, "cluster/nnc.json");
    assert_eq!(nnc["items"][0]["kind"], "NodeNetworkConfig");
    assert_eq!(nnc["items"][0]["spec"]["requestedIPCount"], 16);
    let events = json(&m, "namespaces/default/events.json");
    assert!(events["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["reason"] == "FailedMount"
            && e["message"]
                .as_str()
                .unwrap()
                .contains("nmi response failed with status code: 404")));
    let web = json(&m, "namespaces/default/pods.json")["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["metadata"]["name"] == "web-5d8f7c9b4-abcde")
        .cloned()
        .unwrap();
    let env_vars = &web["spec"]["containers"][0]["env"];
    assert_eq!(env_vars[0]["value"], "[REDACTED]");
    assert_eq!(env_vars[2]["value"], "info", "ordinary env values stay");
    let services = json(&m, "namespaces/default/services.json");
    assert!(services["items"][1]["metadata"]["annotations"]
        .get("kubectl.kubernetes.io/last-applied-configuration")
        .is_none());
    assert_eq!(
        json(&m, "namespaces/sc-system/networkpolicies.json")["items"],
        serde_json::json!([])
    );
    assert_eq!(
        json(&m, "namespaces/sc-system/jobs.json")["items"][0]["metadata"]["name"],
        "sc-job"
    );
    assert_new_kinds(&m);

    // Logs: timestamps on every line, the --since window honoured, the signal intact.
    let provider = text(
        &m,
        "logs/kube-system/aks-secrets-store-provider-azure-x7k2p/provider-azure-installer.log",
    );
    assert!(provider
        .contains("failed to get key vault token: nmi response failed with status code: 404"));
    assert!(
        !provider.contains("OLD-LINE-OUTSIDE-WINDOW"),
        "--since was not honoured"
    );
    for (name, data) in m.iter().filter(|(k, _)| k.starts_with("logs/")) {
        for line in String::from_utf8_lossy(data).lines() {
            assert!(
                is_rfc3339_prefixed(line),
                "{name}: line without timestamp: {line}"
            );
        }
    }
    assert!(
        text(&m, "logs/default/api-6c9d8b7f5-xk2lp/api.previous.log").contains("sig=[REDACTED]")
    );

    // Secrets: not one planted byte anywhere in the bundle, plain or base64-encoded, and
    // Secrets never requested.
    let all = decompressed(&bundle);
    let decoded = decoded_base64_runs(&all);
    for secret in PLANTED {
        assert!(
            !contains(&all, secret),
            "planted secret {secret} leaked into the bundle"
        );
        assert!(
            !decoded.iter().any(|d| contains(d, secret)),
            "planted secret {secret} leaked into the bundle base64-encoded"
        );
    }
    eprintln!(
        "planted secrets caught: {} of {} (plain and base64-decoded)",
        PLANTED.len(),
        PLANTED.len()
    );
    let requests = server.requests();
    assert!(requests
        .iter()
        .any(|r| r.contains("/pods/") && r.contains("/log?")));
    // Group-qualified names take each group's preferred version, as on a real server.
    assert!(requests
        .iter()
        .any(|r| r.starts_with("GET /apis/autoscaling/v2/horizontalpodautoscalers?")));
    assert!(!requests.iter().any(|r| r.contains("/configmaps?")));
    // Regression: a kind the server does not serve is not asked for (`kubectl
    // api-resources` said so): a kubectl asked for an unknown type drops the shared
    // discovery cache, and every kubectl started after it fetched discovery again.
    assert!(!requests
        .iter()
        .any(|r| r.contains("validatingadmissionpolicies")));
    // What is left: `kubectl api-resources` once, and each kubectl given a `resource.group`
    // whose group has a dot, which kubectl first reads as `resource.version.group`, misses,
    // and refetches discovery for (kubectl's behaviour, once per such process).
    let dotted = collector::plan::NAMESPACED
        .iter()
        .map(|k| k.resource)
        .chain(collector::plan::CLUSTER.iter().map(|k| k.resource))
        .chain([collector::plan::NNC_RESOURCE])
        .filter(|r| !r.starts_with("validatingadmissionpolic"))
        .filter(|r| {
            r.split_once('.')
                .is_some_and(|(_, group)| group.contains('.'))
        })
        .count();
    let discovery = requests
        .iter()
        .filter(|r| r.split('?').next() == Some("GET /apis"))
        .count();
    eprintln!(
        "discovery fetched {discovery} times ({dotted} dotted-group kinds) in {} requests",
        requests.len()
    );
    assert!(
        discovery <= 1 + dotted,
        "discovery fetched {discovery} times"
    );
    let secret_requests: Vec<&String> =
        requests.iter().filter(|r| r.contains("/secrets")).collect();
    assert!(
        secret_requests.is_empty(),
        "Secrets were requested: {secret_requests:?}"
    );
    let log_request = requests
        .iter()
        .find(|r| r.contains("provider-azure-installer"))
        .unwrap();
    for param in [
        "timestamps=true",
        "sinceSeconds=3600",
        "tailLines=1000",
        "limitBytes=1048576",
    ] {
        assert!(log_request.contains(param), "{log_request} lacks {param}");
    }

    // Ordinary text survives.
    for ordinary in ORDINARY {
        assert!(
            contains(&all, ordinary),
            "ordinary text {ordinary:?} was lost"
        );
    }
    let attached = text(&m, "attachments/az-aks-show.txt");
    assert!(attached.contains("AuthorizationFailed") && attached.contains("[REDACTED]"));
}

/// The analyzer reads the collected bundle whole: no member refused, and every kind the
/// fake server serves (all of issue 12's but the 1.29-absent ValidatingAdmissionPolicies)
/// counted in its index.
fn assert_analyzer_reads_every_kind(bundle: &Path) {
    use analyzer::layout::{ClusterKind, ObjectKind};
    let out = analyzer::reader::read_bundle(
        bundle,
        &analyzer::limits::Limits::default(),
        &analyzer::scan::ScanPlan::empty(),
    )
    .expect("the analyzer reads the bundle");
    assert!(out.issues.is_empty(), "{:#?}", out.issues);
    let counts = out.index.counts();
    for (kind, _) in ObjectKind::ALL {
        assert!(
            counts.contains_key(kind.plural()),
            "{} not in the index: {counts:?}",
            kind.plural()
        );
    }
    for (kind, plural, ..) in ClusterKind::ALL {
        if matches!(
            kind,
            ClusterKind::ValidatingAdmissionPolicies
                | ClusterKind::ValidatingAdmissionPolicyBindings
        ) {
            continue;
        }
        assert!(
            counts.contains_key(*plural),
            "{plural} not in the index: {counts:?}"
        );
    }
    for name in ["coredns", "coredns-custom", "cluster-autoscaler-status"] {
        assert!(
            out.index.config_map("kube-system", name).is_some(),
            "ConfigMap {name} not in the index"
        );
    }
    assert!(counts.get("logs").copied().unwrap_or(0) > 0, "{counts:?}");
}

/// The files of issue 12's kinds: `kubectl get -o json` Lists (one object for the
/// ConfigMaps), split by namespace, with the objects' real kinds and API versions, and
/// redacted without losing what a diagnosis reads.
fn assert_new_kinds(m: &BTreeMap<String, Vec<u8>>) {
    let namespaced = [
        ("default", "deployments", "Deployment", "apps/v1", 2),
        ("kube-system", "deployments", "Deployment", "apps/v1", 3),
        ("default", "replicasets", "ReplicaSet", "apps/v1", 2),
        ("default", "statefulsets", "StatefulSet", "apps/v1", 1),
        ("kube-system", "daemonsets", "DaemonSet", "apps/v1", 3),
        ("logging", "daemonsets", "DaemonSet", "apps/v1", 1),
        ("default", "cronjobs", "CronJob", "batch/v1", 2),
        (
            "default",
            "persistentvolumeclaims",
            "PersistentVolumeClaim",
            "v1",
            3,
        ),
        (
            "default",
            "horizontalpodautoscalers",
            "HorizontalPodAutoscaler",
            "autoscaling/v2",
            1,
        ),
        (
            "default",
            "poddisruptionbudgets",
            "PodDisruptionBudget",
            "policy/v1",
            1,
        ),
        (
            "kube-system",
            "poddisruptionbudgets",
            "PodDisruptionBudget",
            "policy/v1",
            1,
        ),
        ("default", "resourcequotas", "ResourceQuota", "v1", 1),
        ("default", "limitranges", "LimitRange", "v1", 1),
        ("default", "ingresses", "Ingress", "networking.k8s.io/v1", 1),
        (
            "default",
            "endpointslices",
            "EndpointSlice",
            "discovery.k8s.io/v1",
            2,
        ),
        (
            "kube-system",
            "endpointslices",
            "EndpointSlice",
            "discovery.k8s.io/v1",
            1,
        ),
        ("sc-system", "deployments", "Deployment", "apps/v1", 0),
    ];
    for (ns, plural, kind, api_version, count) in namespaced {
        let rel = format!("namespaces/{ns}/{plural}.json");
        let list = json(m, &rel);
        assert_eq!(list["kind"], "List", "{rel}");
        assert_eq!(list["apiVersion"], "v1", "{rel}");
        let items = list["items"].as_array().unwrap();
        assert_eq!(items.len(), count, "{rel}");
        for item in items {
            assert_eq!(item["kind"], kind, "{rel}");
            assert_eq!(item["apiVersion"], api_version, "{rel}");
            assert_eq!(item["metadata"]["namespace"], ns, "{rel}");
        }
    }
    let cluster = [
        ("persistentvolumes", "PersistentVolume", "v1", 2),
        ("storageclasses", "StorageClass", "storage.k8s.io/v1", 4),
        (
            "volumeattachments",
            "VolumeAttachment",
            "storage.k8s.io/v1",
            2,
        ),
        ("csinodes", "CSINode", "storage.k8s.io/v1", 2),
        ("csidrivers", "CSIDriver", "storage.k8s.io/v1", 3),
        ("namespaces", "Namespace", "v1", 4),
        ("apiservices", "APIService", "apiregistration.k8s.io/v1", 4),
        (
            "validatingwebhookconfigurations",
            "ValidatingWebhookConfiguration",
            "admissionregistration.k8s.io/v1",
            2,
        ),
        (
            "mutatingwebhookconfigurations",
            "MutatingWebhookConfiguration",
            "admissionregistration.k8s.io/v1",
            1,
        ),
        ("ingressclasses", "IngressClass", "networking.k8s.io/v1", 2),
        (
            "priorityclasses",
            "PriorityClass",
            "scheduling.k8s.io/v1",
            3,
        ),
        (
            "flowschemas",
            "FlowSchema",
            "flowcontrol.apiserver.k8s.io/v1",
            4,
        ),
        (
            "prioritylevelconfigurations",
            "PriorityLevelConfiguration",
            "flowcontrol.apiserver.k8s.io/v1",
            4,
        ),
    ];
    for (plural, kind, api_version, count) in cluster {
        let rel = format!("cluster/{plural}.json");
        let list = json(m, &rel);
        assert_eq!(list["kind"], "List", "{rel}");
        let items = list["items"].as_array().unwrap();
        assert_eq!(items.len(), count, "{rel}");
        for item in items {
            assert_eq!(item["kind"], kind, "{rel}");
            assert_eq!(item["apiVersion"], api_version, "{rel}");
            assert!(item["metadata"].get("namespace").is_none(), "{rel}");
        }
    }

    // What the diagnoses read survives redaction.
    let va = json(m, "cluster/volumeattachments.json");
    assert!(va["items"][1]["status"]["attachError"]["message"]
        .as_str()
        .unwrap()
        .contains("The maximum number of data disks allowed"));
    let pdb = json(m, "namespaces/default/poddisruptionbudgets.json");
    assert_eq!(pdb["items"][0]["status"]["disruptionsAllowed"], 0);
    let api = json(m, "cluster/apiservices.json");
    let metrics = api["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["metadata"]["name"] == "v1beta1.metrics.k8s.io")
        .unwrap();
    assert_eq!(
        metrics["status"]["conditions"][0]["reason"],
        "FailedDiscoveryCheck"
    );
    // A webhook's caBundle is public: kept whole.
    let webhooks = json(m, "cluster/validatingwebhookconfigurations.json");
    let ca = webhooks["items"][0]["webhooks"][0]["clientConfig"]["caBundle"]
        .as_str()
        .unwrap();
    assert!(
        ca.starts_with("LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t") && ca.len() > 300,
        "{ca}"
    );
    // The URL keeps its host, not its password.
    assert_eq!(
        webhooks["items"][1]["webhooks"][0]["clientConfig"]["url"],
        "https://policyhook:[REDACTED]@policy.contoso.com/validate"
    );
    // Pod templates are redacted like pods: env, args.
    let deployments = json(m, "namespaces/default/deployments.json");
    let web = deployments["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["metadata"]["name"] == "web")
        .unwrap();
    let env = &web["spec"]["template"]["spec"]["containers"][0]["env"];
    assert_eq!(env[0]["value"], "Production");
    assert!(env[1]["value"]
        .as_str()
        .unwrap()
        .contains("Password=[REDACTED];Encrypt=True"));
    let backup = &json(m, "namespaces/default/cronjobs.json")["items"][0];
    let args = &backup["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"];
    assert_eq!(args[4], "--auth-token");
    assert_eq!(args[5], "[REDACTED]");
    assert_eq!(args[7], "14", "ordinary args stay");

    // ConfigMaps: the single object kubectl prints, data redacted line by line.
    let coredns = json(m, "namespaces/kube-system/configmaps/coredns.json");
    assert_eq!(coredns["kind"], "ConfigMap");
    assert_eq!(coredns["apiVersion"], "v1");
    assert!(coredns["data"]["Corefile"]
        .as_str()
        .unwrap()
        .contains("forward . /etc/resolv.conf"));
    let custom = json(m, "namespaces/kube-system/configmaps/coredns-custom.json");
    assert_eq!(custom["metadata"]["name"], "coredns-custom");
    let etcd = custom["data"]["etcd.server"].as_str().unwrap();
    assert!(etcd.contains("credentials coredns [REDACTED]\n"), "{etcd}");
    assert!(custom["data"]["contoso.server"]
        .as_str()
        .unwrap()
        .contains("forward . 10.10.0.4 10.10.0.5"));
    let status = json(
        m,
        "namespaces/kube-system/configmaps/cluster-autoscaler-status.json",
    );
    assert!(status["data"]["status"]
        .as_str()
        .unwrap()
        .contains("Name:        aks-nodepool1-12345678-vmss"));
}

#[test]
fn forbidden_kinds_are_errors_and_unserved_kinds_are_notes_and_collection_goes_on() {
    let real = require_kubectl!();
    let server = FakeApiServer::start(Config {
        // RBAC refuses two kinds, one cluster-scoped and one namespaced.
        forbidden: vec!["apiservices", "resourcequotas"],
        // The cluster upgraded away from a version kubectl's discovery cache still lists.
        not_found: vec!["flowschemas"],
        // The cluster autoscaler is off: its status ConfigMap does not exist.
        missing: vec!["configmaps/kube-system/cluster-autoscaler-status"],
        ..Config::everything_served()
    });
    let env = env_for(&real, &server.url());
    let summary = collector::collect(&env.options()).expect("collect");
    let m = members(&only_file(&env.out));
    let manifest = json(&m, "manifest.json");
    let errors = manifest["errors"].as_array().unwrap();
    let mut steps: Vec<&str> = errors.iter().map(|e| e["step"].as_str().unwrap()).collect();
    steps.sort_unstable();
    // resourcequotas falls back to the context's namespace, which is refused too.
    assert_eq!(
        steps,
        ["apiservices", "resourcequotas", "resourcequotas/default"],
        "{errors:#?}"
    );
    let api = errors.iter().find(|e| e["step"] == "apiservices").unwrap();
    assert_eq!(
        api["command"],
        "kubectl-wrapper get apiservices.apiregistration.k8s.io -o json"
    );
    assert_eq!(api["exit_code"], 1);
    assert_eq!(
        api["stderr"],
        "Error from server (Forbidden): apiservices.apiregistration.k8s.io is forbidden: User \"system:serviceaccount:support:aksbundle\" cannot list resource \"apiservices\" in API group \"apiregistration.k8s.io\" at the cluster scope"
    );
    let rq = errors
        .iter()
        .find(|e| e["step"] == "resourcequotas/default")
        .unwrap();
    assert!(rq["stderr"]
        .as_str()
        .unwrap()
        .contains("in the namespace \"default\""));
    assert!(
        summary.notes.iter().any(|n| n.starts_with(
            "listing resourcequotas across all namespaces is forbidden for you; collected namespace default only"
        )),
        "{:#?}",
        summary.notes
    );
    assert!(summary
        .notes
        .iter()
        .any(|n| n.contains("does not serve flowschemas.flowcontrol.apiserver.k8s.io ")));
    assert!(summary
        .notes
        .iter()
        .any(|n| n.contains("no ConfigMap kube-system/cluster-autoscaler-status")));
    for absent in [
        "cluster/apiservices.json",
        "cluster/flowschemas.json",
        "namespaces/default/resourcequotas.json",
        "namespaces/kube-system/configmaps/cluster-autoscaler-status.json",
    ] {
        assert!(!m.contains_key(absent), "{absent}");
    }
    // The collection went on: everything else is there, the 1.30 kinds included.
    for present in [
        "cluster/prioritylevelconfigurations.json",
        "cluster/validatingadmissionpolicies.json",
        "cluster/validatingadmissionpolicybindings.json",
        "namespaces/default/pods.json",
        "namespaces/default/limitranges.json",
        "namespaces/kube-system/configmaps/coredns.json",
    ] {
        assert!(m.contains_key(present), "{present}");
    }
    let vap = json(&m, "cluster/validatingadmissionpolicies.json");
    assert_eq!(vap["items"][0]["kind"], "ValidatingAdmissionPolicy");
    assert_eq!(
        vap["items"][0]["spec"]["validations"][0]["expression"],
        "object.spec.replicas <= 5"
    );
}

#[test]
fn missing_nnc_crd_is_a_note_not_an_error_and_namespaces_are_honoured() {
    let real = require_kubectl!();
    let server = FakeApiServer::start(Config {
        with_nnc: false,
        ..Config::default_fixtures()
    });
    let env = env_for(&real, &server.url());
    let opts = Options {
        namespaces: vec!["default".into(), "kube-system".into()],
        ..env.options()
    };
    let summary = collector::collect(&opts).expect("collect");
    assert!(summary.errors.is_empty(), "{:#?}", summary.errors);
    assert!(
        summary
            .notes
            .iter()
            .any(|n| n.contains("NodeNetworkConfig")),
        "{:?}",
        summary.notes
    );
    let m = members(&only_file(&env.out));
    assert!(!m.contains_key("cluster/nnc.json"));
    assert!(m.contains_key("namespaces/default/pods.json"));
    assert!(m.contains_key("namespaces/kube-system/events.json"));
    assert!(
        !m.keys().any(|k| k.contains("sc-system")),
        "sc-system was not asked for"
    );
    // Logs come from the chosen namespaces only, and from both of them.
    assert!(m.contains_key("logs/default/api-6c9d8b7f5-xk2lp/api.previous.log"));
    // kube-system was asked for: its ConfigMaps come along; cluster-scoped kinds always.
    assert!(m.contains_key("namespaces/kube-system/configmaps/coredns.json"));
    assert!(m.contains_key("namespaces/default/deployments.json"));
    assert!(m.contains_key("cluster/storageclasses.json"));
    assert!(m.contains_key("logs/kube-system/nmi-8fj2k/nmi.log"));
    assert!(!m.keys().any(|k| k.starts_with("logs/sc-system/")));
    let manifest = json(&m, "manifest.json");
    assert_eq!(
        manifest["options"]["namespaces"],
        serde_json::json!(["default", "kube-system"])
    );
    assert!(server
        .requests()
        .iter()
        .any(|r| r.starts_with("GET /api/v1/namespaces/default/pods")));
}

fn assert_unreachable_bundle(
    env: &KubectlEnv,
    server_url: &str,
    started: Instant,
    limit: Duration,
) {
    let elapsed = started.elapsed();
    assert!(elapsed < limit, "took {elapsed:?}");
    let m = members(&only_file(&env.out));
    let manifest = json(&m, "manifest.json");
    assert_eq!(manifest["cluster"]["server"], server_url);
    assert_eq!(manifest["cluster"]["context"], "fake-ctx");
    assert!(manifest["cluster"]["version"].is_null());
    let errors = manifest["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0]["step"], "version");
    assert_eq!(errors[0]["command"], "kubectl-wrapper version -o json");
    assert_ne!(errors[0]["exit_code"], 0);
    assert!(
        !m.keys().any(|k| k.starts_with("namespaces/")),
        "nothing more was tried"
    );
    assert!(errors[0]["at"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn refused_connection_still_yields_a_bundle() {
    let real = require_kubectl!();
    let url = format!("http://127.0.0.1:{}", fake_apiserver::refused_port());
    let env = env_for(&real, &url);
    let started = Instant::now();
    let summary = collector::collect(&env.options()).expect("a bundle even when unreachable");
    assert!(!summary.reachable);
    assert_unreachable_bundle(&env, &url, started, Duration::from_secs(20));
    assert!(
        summary.errors[0].stderr.contains("refused"),
        "{}",
        summary.errors[0].stderr
    );
}

#[test]
fn silent_server_still_yields_a_bundle_in_bounded_time() {
    let real = require_kubectl!();
    let silent = SilentServer::start();
    let env = env_for(&real, &silent.url());
    let opts = Options {
        probe_timeout: Duration::from_secs(2),
        ..env.options()
    };
    let started = Instant::now();
    let summary = collector::collect(&opts).expect("a bundle even when the server is silent");
    assert!(!summary.reachable);
    // 2 s request timeout, plus the 5 s process grace at worst, plus kubectl start-up.
    assert_unreachable_bundle(&env, &silent.url(), started, Duration::from_secs(15));
}

#[test]
fn a_bad_attachment_fails_before_touching_the_cluster() {
    let real = require_kubectl!();
    let server = FakeApiServer::start(Config::default_fixtures());
    let env = env_for(&real, &server.url());
    let opts = Options {
        attachments: vec![env.dir.path().join("no-such-file.txt")],
        ..env.options()
    };
    assert!(matches!(
        collector::collect(&opts),
        Err(CollectError::Attachment { .. })
    ));
    assert!(server.requests().is_empty());
    assert_eq!(std::fs::read_dir(&env.out).unwrap().count(), 0);
}

#[test]
fn node_ipam_runs_kubectl_debug_and_deletes_the_pods() {
    let real = require_kubectl!();
    let server = FakeApiServer::start(Config::default_fixtures());
    let env = env_for(&real, &server.url());
    let opts = Options {
        node_ipam: true,
        namespaces: vec!["kube-system".into()],
        ..env.options()
    };
    let summary = collector::collect(&opts).expect("collect");
    assert!(summary.errors.is_empty(), "{:#?}", summary.errors);
    assert_eq!(summary.ipam_nodes, 2);
    let m = members(&only_file(&env.out));

    // The counts come from the script the debug pod ran against each node's fixture host:
    // 12 IP files beside `lock` and `last_reserved_ip.0`; 3 beside `lock`.
    let n0 = json(&m, "nodes/aks-nodepool1-12345678-vmss000000/ipam.json");
    assert_eq!(n0["node"], "aks-nodepool1-12345678-vmss000000");
    assert_eq!(
        n0["stores"],
        serde_json::json!([{"path": "/var/lib/cni/networks/kubenet", "ip_files": 12}])
    );
    assert!(n0["collected_at"].as_str().unwrap().ends_with('Z'));
    let n1 = json(&m, "nodes/aks-nodepool1-12345678-vmss000001/ipam.json");
    assert_eq!(
        n1["stores"],
        serde_json::json!([{"path": "/var/lib/cni/networks/k8s-pod-network", "ip_files": 3}])
    );
    assert_eq!(json(&m, "manifest.json")["options"]["node_ipam"], true);

    // One debug pod per node, on that node, with the configured image and the host's root
    // at /host; every one deleted.
    let created = server.created_pods();
    assert_eq!(created.len(), 2);
    for pod in &created {
        let node = pod["spec"]["nodeName"].as_str().unwrap();
        assert!(pod["metadata"]["name"]
            .as_str()
            .unwrap()
            .starts_with(&format!("node-debugger-{node}-")));
        assert_eq!(pod["metadata"]["namespace"], "default");
        let container = &pod["spec"]["containers"][0];
        assert_eq!(container["image"], collector::DEFAULT_DEBUG_IMAGE);
        assert!(container["volumeMounts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["mountPath"] == "/host"));
    }
    assert!(
        server.live_created_pods().is_empty(),
        "debug pods left behind: {:?}",
        server.live_created_pods()
    );
    let deletes = server
        .requests()
        .into_iter()
        .filter(|r| r.starts_with("DELETE /api/v1/namespaces/default/pods/node-debugger-"))
        .count();
    assert_eq!(deletes, 2);
}
