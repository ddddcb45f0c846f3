//! Container log tails, the log budget and `--node-logs`, end to end: the real kubectl,
//! driven by the collector, against the fake API server serving a generated cluster
//! (`support::cluster_gen`). Also `collect node --host-root` on a fixture host. The kubectl
//! tests are skipped (with a message) only when kubectl is not on PATH.

#![cfg(unix)]

mod support;

use collector::Options;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;
use support::cluster_gen::{self, Container, Pod};
use support::fake_apiserver::{Config, FakeApiServer};
use support::{contains, json, text, KubectlEnv};

const NODE0: &str = "aks-nodepool1-12345678-vmss000000";
const NODE1: &str = "aks-nodepool1-12345678-vmss000001";
const WINDOWS_NODE: &str = "akswin000000";

/// A generated cluster served by the fake API server, and the real kubectl with its own
/// home and kubeconfig.
struct Cluster {
    fixtures: tempfile::TempDir,
    // Kept alive for the collection.
    #[allow(dead_code)]
    server: FakeApiServer,
    env: KubectlEnv,
}

impl Cluster {
    fn start(real_kubectl: &Path, pods: &[Pod], nodes: &[Value]) -> Self {
        let fixtures = tempfile::tempdir().unwrap();
        cluster_gen::write_fixture(&fixtures.path().join("cluster"), pods, nodes);
        let server = FakeApiServer::start(Config {
            fixtures: fixtures.path().join("cluster"),
            with_nnc: false,
            ..Config::default_fixtures()
        });
        let env = KubectlEnv::new(real_kubectl, &server.url(), "gen", "t", false);
        Cluster {
            fixtures,
            server,
            env,
        }
    }

    fn options(&self) -> Options {
        self.env.options()
    }

    fn fixture_log(&self, rel: &str) -> String {
        std::fs::read_to_string(self.fixtures.path().join("cluster").join(rel)).unwrap()
    }

    fn bundle(&self) -> BTreeMap<String, Vec<u8>> {
        self.env.bundle()
    }
}

/// The pods of the log tests: an unhealthy app, AKS add-ons in kube-system and their own
/// namespaces, and healthy apps with a long log and with long lines.
fn pods() -> Vec<Pod> {
    vec![
        Pod::new(
            "shop",
            "orders-7d9f8c6b5-q2xkz",
            json!({"app": "orders"}),
            false,
            vec![Container::crashlooping("orders", 6, 40, 120)],
        ),
        Pod::new(
            "kube-system",
            "coredns-789789675-5x2mw",
            json!({"k8s-app": "kube-dns", "kubernetes.azure.com/managedby": "aks"}),
            true,
            vec![Container::running("coredns", 200, 120)],
        ),
        Pod::new(
            "kube-system",
            "konnectivity-agent-6c9d8b7f5-kq2zl",
            json!({"app": "konnectivity-agent"}),
            true,
            vec![Container::running("konnectivity-agent", 150, 130)],
        ),
        Pod::new(
            "kube-system",
            "csi-azuredisk-node-4t6bq",
            json!({"app": "csi-azuredisk-node"}),
            true,
            vec![
                Container::running("liveness-probe", 20, 100),
                Container::running("node-driver-registrar", 30, 100),
                Container::running("azuredisk", 100, 150),
            ],
        ),
        Pod::new(
            "app-routing-system",
            "nginx-5d8f9c7b6-xx2kq",
            json!({"app": "nginx"}),
            true,
            vec![Container::running("controller", 80, 200)],
        ),
        Pod::new(
            "gatekeeper-system",
            "gatekeeper-audit-6f7d8c9b5-2kq7x",
            json!({"control-plane": "audit-controller", "gatekeeper.sh/system": "yes"}),
            true,
            vec![Container::running("manager", 60, 160)],
        ),
        // 3,000 lines: only the last 1,000 are kept.
        Pod::new(
            "shop",
            "catalog-5b6c7d8e9f-abcde",
            json!({"app": "catalog"}),
            true,
            vec![Container::running("catalog", 3000, 120)],
        ),
        // 600 lines of 1.5 KB: 900 KB, more than 256 KiB: the end is kept.
        Pod::new(
            "shop",
            "search-6c7d8e9f0a-fghij",
            json!({"app": "search"}),
            true,
            vec![Container::running("search", 600, 1500)],
        ),
        Pod::new(
            "web",
            "frontend-7d8e9f0a1b-klmno",
            json!({"app": "frontend"}),
            true,
            vec![Container::running("frontend", 50, 140)],
        ),
    ]
}

fn nodes() -> Vec<Value> {
    vec![
        cluster_gen::node(NODE0, "linux", true),
        // Not Ready: its kubelet log is the point, so it is tried all the same.
        cluster_gen::node(NODE1, "linux", false),
        cluster_gen::node(WINDOWS_NODE, "windows", true),
    ]
}

#[test]
fn every_container_gets_a_bounded_tail_with_its_previous_instance() {
    let real = require_kubectl!();
    let cluster = Cluster::start(&real, &pods(), &nodes());
    let summary = collector::collect(&cluster.options()).expect("collect");
    assert!(summary.errors.is_empty(), "{:#?}", summary.errors);
    let m = cluster.bundle();

    // Every container of every namespace, add-ons by their AKS labels included.
    for log in [
        "logs/shop/orders-7d9f8c6b5-q2xkz/orders.log",
        "logs/shop/orders-7d9f8c6b5-q2xkz/orders.previous.log",
        "logs/kube-system/coredns-789789675-5x2mw/coredns.log",
        "logs/kube-system/konnectivity-agent-6c9d8b7f5-kq2zl/konnectivity-agent.log",
        "logs/kube-system/csi-azuredisk-node-4t6bq/liveness-probe.log",
        "logs/kube-system/csi-azuredisk-node-4t6bq/node-driver-registrar.log",
        "logs/kube-system/csi-azuredisk-node-4t6bq/azuredisk.log",
        "logs/app-routing-system/nginx-5d8f9c7b6-xx2kq/controller.log",
        "logs/gatekeeper-system/gatekeeper-audit-6f7d8c9b5-2kq7x/manager.log",
        "logs/shop/catalog-5b6c7d8e9f-abcde/catalog.log",
        "logs/shop/search-6c7d8e9f0a-fghij/search.log",
        "logs/web/frontend-7d8e9f0a1b-klmno/frontend.log",
    ] {
        assert!(m.contains_key(log), "{log} missing");
    }
    assert_eq!(summary.logs, 12);
    // A previous log only where there was a previous instance.
    assert!(!m.contains_key("logs/shop/catalog-5b6c7d8e9f-abcde/catalog.previous.log"));

    // Small logs whole, previous instance included.
    let previous = text(&m, "logs/shop/orders-7d9f8c6b5-q2xkz/orders.previous.log");
    assert_eq!(
        previous,
        cluster.fixture_log("logs/shop/orders-7d9f8c6b5-q2xkz/orders.previous.log")
    );
    assert_eq!(previous.lines().count(), 120);

    // 3,000 lines: the last 1,000, ending with the fixture's last line.
    let catalog = text(&m, "logs/shop/catalog-5b6c7d8e9f-abcde/catalog.log");
    let fixture = cluster.fixture_log("logs/shop/catalog-5b6c7d8e9f-abcde/catalog.log");
    let fixture_lines: Vec<&str> = fixture.lines().collect();
    let lines: Vec<&str> = catalog.lines().collect();
    assert_eq!(lines.len(), 1000);
    assert_eq!(lines[..], fixture_lines[2000..]);
    assert!(lines[999].ends_with(" seq=3000"), "{}", lines[999]);

    // 900 KB of long lines: at most 256 KiB, whole lines, the end of the log.
    let search = text(&m, "logs/shop/search-6c7d8e9f0a-fghij/search.log");
    assert!(search.len() <= 256 * 1024, "{}", search.len());
    assert!(search.len() > 200 * 1024, "{}", search.len());
    assert!(
        search.starts_with("2026-11-22T"),
        "cut mid-line: {:?}",
        &search[..40]
    );
    assert!(search.trim_end().ends_with(" seq=600"));
    assert!(fixture_lines_contain_all(
        &cluster.fixture_log("logs/shop/search-6c7d8e9f0a-fghij/search.log"),
        &search
    ));

    // kubectl asked the server for the tail: lines, bytes, previous.
    let requests = cluster.server.requests();
    let log_requests: Vec<&String> = requests.iter().filter(|r| r.contains("/log?")).collect();
    assert_eq!(log_requests.len(), 12, "{log_requests:#?}");
    for r in &log_requests {
        for param in ["tailLines=1000", "limitBytes=1048576", "timestamps=true"] {
            assert!(r.contains(param), "{r} lacks {param}");
        }
    }
    assert_eq!(
        log_requests
            .iter()
            .filter(|r| r.contains("previous=true"))
            .count(),
        1
    );

    // The manifest records the bounds and what was written; nothing was skipped.
    let manifest = json(&m, "manifest.json");
    let logs = &manifest["logs"];
    assert_eq!(logs["max_lines"], 1000);
    assert_eq!(logs["max_bytes"], 262_144);
    assert_eq!(logs["budget"], 268_435_456);
    assert_eq!(logs["skipped"], json!([]));
    let written: usize = m
        .iter()
        .filter(|(k, _)| k.starts_with("logs/"))
        .map(|(_, v)| v.len())
        .sum();
    assert_eq!(logs["written"], written as u64);
}

/// Every line of `kept` is a line of `fixture`.
fn fixture_lines_contain_all(fixture: &str, kept: &str) -> bool {
    let all: std::collections::HashSet<&str> = fixture.lines().collect();
    kept.lines().all(|l| all.contains(l))
}

#[test]
fn the_budget_pays_unhealthy_pods_first_then_add_ons_and_lists_what_it_skipped() {
    let real = require_kubectl!();
    // Small logs only, so each log's size is its fixture file's.
    let pods: Vec<Pod> = pods()
        .into_iter()
        .filter(|p| !p.name.starts_with("catalog") && !p.name.starts_with("search"))
        .chain([
            Pod::new(
                "web",
                "api-0",
                json!({"app": "api"}),
                true,
                vec![Container::running("api", 30, 120)],
            ),
            Pod::new(
                "web",
                "api-1",
                json!({"app": "api"}),
                true,
                vec![Container::running("api", 30, 120)],
            ),
        ])
        .collect();
    let cluster = Cluster::start(&real, &pods, &nodes());
    let size = |rel: &str| cluster.fixture_log(rel).len() as u64;
    let unhealthy = [
        "logs/shop/orders-7d9f8c6b5-q2xkz/orders.log",
        "logs/shop/orders-7d9f8c6b5-q2xkz/orders.previous.log",
    ];
    let add_ons = [
        "logs/app-routing-system/nginx-5d8f9c7b6-xx2kq/controller.log",
        "logs/gatekeeper-system/gatekeeper-audit-6f7d8c9b5-2kq7x/manager.log",
        "logs/kube-system/coredns-789789675-5x2mw/coredns.log",
        "logs/kube-system/csi-azuredisk-node-4t6bq/liveness-probe.log",
        "logs/kube-system/csi-azuredisk-node-4t6bq/node-driver-registrar.log",
        "logs/kube-system/csi-azuredisk-node-4t6bq/azuredisk.log",
        "logs/kube-system/konnectivity-agent-6c9d8b7f5-kq2zl/konnectivity-agent.log",
    ];
    // The rest, in the order they are due: namespace, then pod.
    let rest = [
        "logs/web/api-0/api.log",
        "logs/web/api-1/api.log",
        "logs/web/frontend-7d8e9f0a1b-klmno/frontend.log",
    ];
    // Enough for the unhealthy pod and the add-ons, and 10 bytes more.
    let budget: u64 = unhealthy
        .iter()
        .chain(&add_ons)
        .map(|r| size(r))
        .sum::<u64>()
        + 10;
    let opts = Options {
        log_budget: budget,
        // One at a time: each log is paid in the order it is due.
        parallelism: 1,
        ..cluster.options()
    };
    let summary = collector::collect(&opts).expect("collect");
    assert!(summary.errors.is_empty(), "{:#?}", summary.errors);
    let m = cluster.bundle();
    for rel in unhealthy.iter().chain(&add_ons) {
        assert_eq!(text(&m, rel), cluster.fixture_log(rel), "{rel} not whole");
    }
    let manifest = json(&m, "manifest.json");
    let logs = &manifest["logs"];
    // The first of the rest got the last 10 bytes (not even a whole line), the others none.
    assert_eq!(logs["cut"], json!([rest[0]]));
    assert_eq!(logs["skipped"], json!(rest[1..]));
    for skipped in &rest[1..] {
        assert!(!m.contains_key(*skipped), "{skipped} was written");
    }
    assert!(logs["written"].as_u64().unwrap() <= budget);
    assert_eq!(summary.logs_skipped, 2);
    assert!(
        summary
            .notes
            .iter()
            .any(|n| n.contains("2 container logs left out") && n.contains("--log-budget")),
        "{:?}",
        summary.notes
    );
    // No request for what the budget could not pay.
    let requests = cluster.server.requests();
    assert!(!requests.iter().any(|r| r.contains("/pods/api-1/log")));

    // A budget of 0 collects no container log at all, and says so for each.
    let none = Cluster::start(&real, &pods, &nodes());
    let opts = Options {
        log_budget: 0,
        ..none.options()
    };
    let summary = collector::collect(&opts).expect("collect");
    assert_eq!(summary.logs, 0);
    assert_eq!(summary.logs_skipped, 12);
}

#[test]
fn node_logs_come_through_debug_pods_that_are_deleted_and_skip_windows() {
    let real = require_kubectl!();
    let pods = vec![Pod::new(
        "web",
        "frontend-0",
        json!({"app": "frontend"}),
        true,
        vec![Container::running("frontend", 5, 100)],
    )];
    let cluster = Cluster::start(&real, &pods, &nodes());
    let opts = Options {
        node_logs: true,
        ..cluster.options()
    };
    let summary = collector::collect(&opts).expect("collect");
    assert!(summary.errors.is_empty(), "{:#?}", summary.errors);
    assert_eq!(summary.node_logs, 2);

    // One debug pod per Linux node (the Windows node is skipped with a note), all deleted.
    let created = cluster.server.created_pods();
    let mut on: Vec<&str> = created
        .iter()
        .map(|p| p["spec"]["nodeName"].as_str().unwrap())
        .collect();
    on.sort();
    assert_eq!(on, [NODE0, NODE1]);
    assert!(cluster.server.live_created_pods().is_empty());
    assert!(
        summary
            .notes
            .iter()
            .any(|n| n.contains(WINDOWS_NODE) && n.contains("Windows")),
        "{:?}",
        summary.notes
    );
    let m = cluster.bundle();
    assert!(!m
        .keys()
        .any(|k| k.starts_with(&format!("nodes/{WINDOWS_NODE}"))));
    let manifest = json(&m, "manifest.json");
    assert_eq!(manifest["options"]["node_logs"], true);
    assert!(manifest["notes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n.as_str().unwrap().contains(WINDOWS_NODE)));

    // Node 0 has everything.
    let dir = format!("nodes/{NODE0}");
    // Journals: the last 1,000 lines, at most 256 KiB of them (containerd's 1,000 lines
    // are longer than that: their end is kept, from a line start).
    for (unit, bound_by_bytes) in [("kubelet", false), ("containerd", true)] {
        let journal = text(&m, &format!("{dir}/{unit}.log"));
        assert!(journal.len() <= 256 * 1024, "{}", journal.len());
        let lines = journal.lines().count();
        if bound_by_bytes {
            assert!(lines < 1000 && journal.len() > 200 * 1024, "{lines}");
        } else {
            assert_eq!(lines, 1000);
        }
        assert!(journal.starts_with("2026-11-22T"), "{:?}", &journal[..30]);
        assert!(journal.lines().last().unwrap().ends_with("seq=1500"));
    }
    let kubelet = text(&m, &format!("{dir}/kubelet.log"));
    assert!(kubelet.contains("kubelet[2714]: E1122"));
    assert!(text(&m, &format!("{dir}/containerd.log")).contains("401 Unauthorized"));
    assert!(text(&m, &format!("{dir}/resolv.conf")).contains("nameserver 127.0.0.53"));
    assert!(text(&m, &format!("{dir}/resolv.systemd.conf")).contains("nameserver 168.63.129.16"));
    let provision = text(&m, &format!("{dir}/cluster-provision.log"));
    assert_eq!(provision.lines().count(), 1000);
    assert!(provision.contains("ExecStop: provisioning finished"));
    assert!(
        provision.contains("SERVICE_PRINCIPAL_CLIENT_SECRET=[REDACTED]"),
        "{}",
        provision.lines().rev().nth(1).unwrap()
    );
    assert_certs(&json(&m, &format!("{dir}/certs.json")));
    let disk = json(&m, &format!("{dir}/disk.json"));
    let paths = disk["paths"].as_array().unwrap();
    assert_eq!(paths.len(), 2);
    assert_eq!(paths[0]["path"], "/var/lib/kubelet");
    assert_eq!(paths[1]["path"], "/var/lib/containerd");
    for p in paths {
        assert!(p["used_bytes"].as_u64().unwrap() > 0, "{p}");
        let fs = &p["filesystem"];
        assert!(
            fs["size_bytes"].as_u64().unwrap() >= fs["avail_bytes"].as_u64().unwrap(),
            "{p}"
        );
    }
    let summary0 = json(&m, &format!("{dir}/node-logs.json"));
    assert_eq!(summary0["source"], "debug-pod");
    assert_eq!(summary0["missing"], json!([]));

    // Node 1's fixture host has no journal and no provisioning log: said, not invented.
    let summary1 = json(&m, &format!("nodes/{NODE1}/node-logs.json"));
    let missing: Vec<&str> = summary1["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["file"].as_str().unwrap())
        .collect();
    assert_eq!(
        missing,
        [
            "kubelet.log",
            "containerd.log",
            "resolv.conf",
            "resolv.systemd.conf",
            "cluster-provision.log"
        ]
    );
    assert!(!m.contains_key(&format!("nodes/{NODE1}/kubelet.log")));

    // No key material left the node: not in the bundle, not even in the debug pods' output.
    let everything: Vec<u8> = m.values().flatten().copied().collect();
    for outputs in cluster.server.debug_outputs().iter().chain([&everything]) {
        for key in ["plantedCLIENTKEY", "plantedNODEKEY", "PRIVATE KEY"] {
            assert!(!contains(outputs, key), "{key} left the node");
        }
    }
}

/// The fixture node's certificates: dates read from real X.509 files (one chain file with
/// a key appended, whose key is skipped), keys never read.
fn assert_certs(certs: &Value) {
    let list = certs["certificates"].as_array().unwrap();
    let by_file: BTreeMap<&str, &Value> = list
        .iter()
        .map(|c| (c["file"].as_str().unwrap(), c))
        .collect();
    assert_eq!(
        by_file.keys().copied().collect::<Vec<_>>(),
        [
            "/etc/kubernetes/certs/apiserver.crt",
            "/etc/kubernetes/certs/bundle.crt",
            "/etc/kubernetes/certs/ca.crt",
            "/etc/kubernetes/certs/client.crt",
            "/etc/kubernetes/certs/kubeletserver.crt",
        ]
    );
    let apiserver = by_file["/etc/kubernetes/certs/apiserver.crt"];
    assert_eq!(apiserver["not_before"], "2025-11-28T00:00:00Z");
    assert_eq!(apiserver["not_after"], "2027-11-28T00:00:00Z");
    // Expired before the fixture's collection.
    assert_eq!(
        by_file["/etc/kubernetes/certs/client.crt"]["not_after"],
        "2026-11-01T00:00:00Z"
    );
    // After 2049: GeneralizedTime.
    assert_eq!(
        by_file["/etc/kubernetes/certs/kubeletserver.crt"]["not_after"],
        "2056-01-01T00:00:00Z"
    );
    assert_eq!(
        by_file["/etc/kubernetes/certs/bundle.crt"]["not_after"],
        "2056-01-01T00:00:00Z"
    );
    assert_eq!(list.len(), 5, "{list:#?}");
    // Dates only.
    for c in list {
        let keys: Vec<&String> = c.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["file", "index", "not_after", "not_before"], "{c}");
    }
}

#[test]
fn collect_node_on_the_host_writes_the_same_files_and_never_opens_a_key() {
    use std::os::unix::ffi::OsStrExt;
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/apiserver/hosts")
        .join(NODE0);
    let tmp = tempfile::tempdir().unwrap();
    let host = tmp.path().join("host");
    copy_dir(&fixture, &host);
    std::fs::create_dir_all(host.join("var/log/journal")).unwrap();
    // Key files become FIFOs: opening one for reading blocks until a writer comes, so a
    // collector that opened a key would never finish.
    for key in ["client.key", "apiserver.key"] {
        let path = host.join("etc/kubernetes/certs").join(key);
        std::fs::remove_file(&path).unwrap();
        let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo touches no memory of ours.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    }
    // /etc/resolv.conf as Ubuntu has it: a link into /run, absolute, meant for the host.
    std::fs::remove_file(host.join("etc/resolv.conf")).unwrap();
    std::fs::create_dir_all(host.join("run/systemd/resolve")).unwrap();
    std::fs::write(
        host.join("run/systemd/resolve/stub-resolv.conf"),
        "nameserver 127.0.0.53\noptions edns0 trust-ad\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(
        "/run/systemd/resolve/stub-resolv.conf",
        host.join("etc/resolv.conf"),
    )
    .unwrap();
    let out = tmp.path().join("out");
    let opts = collector::nodelogs::HostOptions {
        host_root: host.clone(),
        node: NODE0.into(),
        journalctl: host.join("usr/bin/journalctl"),
        bounds: collector::nodelogs::Bounds {
            lines: 300,
            bytes: 256 * 1024,
        },
    };
    let (tx, rx) = std::sync::mpsc::channel();
    let out2 = out.clone();
    std::thread::spawn(move || {
        let _ = tx.send(collector::nodelogs::collect_node_logs(&opts, &out2));
    });
    let written = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("collect node blocked: it opened a key file")
        .expect("collect node");
    let dir = out.join("nodes").join(NODE0);
    let mut names: Vec<String> = written
        .iter()
        .map(|p| p.strip_prefix(&dir).unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "certs.json",
            "cluster-provision.log",
            "containerd.log",
            "disk.json",
            "kubelet.log",
            "node-logs.json",
            "resolv.conf",
            "resolv.systemd.conf",
        ]
    );
    let read = |n: &str| std::fs::read_to_string(dir.join(n)).unwrap();
    let kubelet = read("kubelet.log");
    assert_eq!(kubelet.lines().count(), 300);
    assert!(kubelet.lines().last().unwrap().ends_with("seq=1500"));
    assert!(read("resolv.conf").contains("nameserver 127.0.0.53"));
    let provision = read("cluster-provision.log");
    assert_eq!(provision.lines().count(), 300);
    assert!(provision.contains("SERVICE_PRINCIPAL_CLIENT_SECRET=[REDACTED]"));
    let certs: Value = serde_json::from_str(&read("certs.json")).unwrap();
    assert_certs(&certs);
    let disk: Value = serde_json::from_str(&read("disk.json")).unwrap();
    // The fixture directories hold 20,000 and 5,000 bytes of files.
    let used: Vec<u64> = disk["paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["used_bytes"].as_u64().unwrap())
        .collect();
    assert!(used[0] >= 5_000 && used[1] >= 20_000, "{used:?}");
    let summary: Value = serde_json::from_str(&read("node-logs.json")).unwrap();
    assert_eq!(summary["source"], "host");
    assert_eq!(summary["missing"], json!([]));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
