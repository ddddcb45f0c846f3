//! `aksbundle serve` against the real kubectl: discovery, tables and ages, `-o json`,
//! `describe` (events by field selector), logs, the refusals (401, 404, 405), the
//! 127.0.0.1-only listener, each bundle layout, and hostile bundles.

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(rel)
}

/// A running server with its kubeconfig and a kubectl cache folder of its own.
struct Served {
    server: server::Server,
    dir: tempfile::TempDir,
}

impl Served {
    fn start(bundle: &Path) -> Served {
        let server = server::Server::start(bundle, &server::Options::default())
            .unwrap_or_else(|e| panic!("serve {}: {e}", bundle.display()));
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("kubeconfig"), server.kubeconfig()).unwrap();
        Served { server, dir }
    }

    fn kubeconfig(&self) -> PathBuf {
        self.dir.path().join("kubeconfig")
    }

    /// Runs kubectl; returns (success, stdout, stderr).
    fn kubectl(&self, args: &[&str]) -> (bool, String, String) {
        kubectl_with(&self.kubeconfig(), self.dir.path(), args)
    }

    fn ok(&self, args: &[&str]) -> String {
        let (ok, out, err) = self.kubectl(args);
        assert!(ok, "kubectl {args:?} failed: {err}");
        out
    }
}

fn kubectl_with(kubeconfig: &Path, cache: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .arg("--cache-dir")
        .arg(cache.join("cache"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("kubectl on PATH (as in the collector's tests)");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The bundle's own object: item `name` of a list file.
fn bundle_item(file: &Path, name: &str) -> Value {
    let list: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["metadata"]["name"] == name)
        .cloned()
        .unwrap()
}

/// Packs a folder into a .tar.gz under one top folder, as the collector does.
fn pack_tar_gz(src: &Path, dest: &Path) {
    let gz = flate2::write::GzEncoder::new(
        std::fs::File::create(dest).unwrap(),
        flate2::Compression::fast(),
    );
    let mut tar = tar::Builder::new(gz);
    tar.append_dir_all("aksbundle-test-20261122T040000Z", src)
        .unwrap();
    tar.into_inner().unwrap().finish().unwrap();
}

/// Cells of the row whose NAME column is `name`, split on runs of spaces.
fn row<'a>(table: &'a str, name: &str) -> Vec<&'a str> {
    table
        .lines()
        .find(|l| l.split_whitespace().any(|c| c == name))
        .unwrap_or_else(|| panic!("no row {name} in\n{table}"))
        .split_whitespace()
        .collect()
}

#[test]
fn get_pods_all_namespaces_prints_table_columns_with_ages_at_collection_time() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("healthy.tar.gz");
    pack_tar_gz(&testdata("healthy"), &bundle);
    let s = Served::start(&bundle);
    let out = s.ok(&["get", "pods", "-A"]);
    let header: Vec<&str> = out.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    );
    // Created 03:12:44, collected 04:00:00 (manifest.json): 47 minutes, whatever today is.
    assert_eq!(
        row(&out, "web-7d9c6b5f4d-h5x2k"),
        ["shop", "web-7d9c6b5f4d-h5x2k", "1/1", "Running", "0", "47m"]
    );
    assert!(out.contains("kube-system"), "{out}");
    let wide = s.ok(&["get", "pods", "-n", "shop", "-o", "wide"]);
    let r = row(&wide, "web-7d9c6b5f4d-m8p4r");
    assert!(r.contains(&"aks-nodepool1-31415926-vmss000001"), "{wide}");
    let all = s.ok(&["get", "all", "-n", "shop"]);
    assert!(all.contains("pod/web-7d9c6b5f4d-h5x2k"), "{all}");
    assert!(all.contains("service/"), "{all}");
    let nodes = s.ok(&["get", "nodes"]);
    assert!(nodes.lines().next().unwrap().contains("ROLES"), "{nodes}");
    assert_eq!(nodes.lines().count(), 4, "{nodes}");
}

#[test]
fn get_pod_json_is_the_bundles_object() {
    let s = Served::start(&testdata("keyvault-nmi"));
    let out = s.ok(&[
        "get",
        "pod",
        "payments-api-5c7d8f9b6-kq2lm",
        "-n",
        "payments",
        "-o",
        "json",
    ]);
    let served: Value = serde_json::from_str(&out).unwrap();
    let own = bundle_item(
        &testdata("keyvault-nmi/namespaces/payments/pods.json"),
        "payments-api-5c7d8f9b6-kq2lm",
    );
    assert_eq!(served, own);
}

#[test]
fn describe_pod_lists_its_events_found_by_field_selector() {
    let s = Served::start(&testdata("keyvault-nmi"));
    let out = s.ok(&[
        "describe",
        "pod",
        "payments-api-5c7d8f9b6-kq2lm",
        "-n",
        "payments",
    ]);
    assert!(out.contains("Name:") && out.contains("payments-api-5c7d8f9b6-kq2lm"));
    let events = out.split("Events:").nth(1).expect("an Events section");
    assert!(events.contains("FailedMount"), "{events}");
    assert!(events.contains("Scheduled"), "{events}");

    let selected = s.ok(&[
        "get",
        "events",
        "-n",
        "payments",
        "--field-selector",
        "reason=FailedMount,involvedObject.name=payments-api-5c7d8f9b6-kq2lm",
    ]);
    assert!(selected.contains("FailedMount"), "{selected}");
    assert!(!selected.contains("Scheduled"), "{selected}");
    let none = s.kubectl(&[
        "get",
        "events",
        "-n",
        "payments",
        "--field-selector",
        "involvedObject.name=nobody",
    ]);
    assert!(none.0 && none.1.trim().is_empty(), "{none:?}");
}

#[test]
fn logs_previous_and_tail_from_the_bundle() {
    let s = Served::start(&testdata("wordings/pod-crashloop-previous-log/bundle"));
    let file = testdata(
        "wordings/pod-crashloop-previous-log/bundle/logs/shop/pricing-6f7d8c9b5-zt4kq/pricing.previous.log",
    );
    let text = std::fs::read_to_string(file).unwrap();
    let last = text.lines().last().unwrap();
    let previous = s.ok(&[
        "logs",
        "-n",
        "shop",
        "pricing-6f7d8c9b5-zt4kq",
        "--previous",
    ]);
    assert_eq!(previous.lines().count(), text.lines().count());
    // Without --timestamps the collector's stamp is taken off again.
    assert_eq!(
        previous.lines().last().unwrap(),
        last.split_once(' ').unwrap().1
    );
    let tail = s.ok(&[
        "logs",
        "-n",
        "shop",
        "pricing-6f7d8c9b5-zt4kq",
        "--previous",
        "--tail=1",
        "--timestamps",
    ]);
    assert_eq!(tail.trim_end(), last);
    // The current log was not collected: said so, not an empty answer.
    let (ok, _, err) = s.kubectl(&["logs", "-n", "shop", "pricing-6f7d8c9b5-zt4kq"]);
    assert!(!ok);
    assert!(err.contains("not collected"), "{err}");
}

#[test]
fn cluster_info_dump_serves_pods_and_container_logs_from_logs_txt() {
    let s = Served::start(&testdata("cluster-info-dump"));
    let pods = s.ok(&["get", "pods", "-n", "shop"]);
    let r = row(&pods, "cart-6b8f7d9c5-zt4xq");
    assert_eq!(r[2], "CrashLoopBackOff", "{pods}");
    let logs = s.ok(&["logs", "-n", "shop", "cart-6b8f7d9c5-zt4xq"]);
    assert!(
        logs.starts_with("2026/11/22 03:52:10 starting cart service"),
        "{logs}"
    );
    assert!(!logs.contains("===="), "{logs}");
    // No manifest: ages count from the newest time in the objects, never from today.
    let store = s.server.store();
    assert_eq!(store.collected_at.source, server::TimeSource::NewestObject);
    assert!(store.collected_at.at.to_string().starts_with("2026-11-22"));
}

#[test]
fn nnc_api_resources_and_kinds_not_collected() {
    let s = Served::start(&testdata("healthy"));
    let nnc = s.ok(&["get", "nnc", "-n", "kube-system"]);
    assert_eq!(nnc.lines().count(), 4, "{nnc}");
    assert!(nnc.contains("aks-nodepool1-31415926-vmss000002"));
    // /version answers with the server part of the bundle's `kubectl version -o json`.
    let version = s.ok(&["version", "-o", "json"]);
    let version: Value = serde_json::from_str(&version).unwrap();
    assert_eq!(version["serverVersion"]["gitVersion"], "v1.30.5");
    let resources = s.ok(&["api-resources"]);
    let names: Vec<&str> = resources
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    for want in [
        "pods",
        "events",
        "nodes",
        "services",
        "nodenetworkconfigs",
        "jobs",
    ] {
        assert!(names.contains(&want), "{want} missing from\n{resources}");
    }
    assert!(!names.contains(&"configmaps"), "{resources}");
    assert!(resources.contains("acn.azure.com"), "{resources}");
    // kubectl knows from discovery that the kind is absent ...
    let (ok, _, err) = s.kubectl(&["get", "configmaps", "-A"]);
    assert!(!ok && err.contains("configmaps"), "{err}");
    // ... and the API says why when asked directly.
    let (ok, _, err) = s.kubectl(&["get", "--raw", "/api/v1/namespaces/shop/configmaps"]);
    assert!(!ok);
    assert!(err.contains("were not collected in this bundle"), "{err}");
}

#[test]
fn writes_are_refused_as_read_only_and_the_bundle_is_unchanged() {
    let s = Served::start(&testdata("healthy"));
    let (ok, _, err) = s.kubectl(&["delete", "pod", "-n", "shop", "web-7d9c6b5f4d-h5x2k"]);
    assert!(!ok);
    assert!(err.contains("read-only"), "{err}");
    let (ok, _, err) = s.kubectl(&["label", "node", "aks-nodepool1-31415926-vmss000000", "x=y"]);
    assert!(!ok);
    assert!(err.contains("read-only"), "{err}");
    assert!(s
        .ok(&["get", "pods", "-n", "shop"])
        .contains("web-7d9c6b5f4d-h5x2k"));
}

#[test]
fn a_request_without_the_token_is_unauthorized() {
    let s = Served::start(&testdata("healthy"));
    let config = std::fs::read_to_string(s.kubeconfig()).unwrap();
    let token = config
        .lines()
        .find_map(|l| l.trim().strip_prefix("token: "))
        .unwrap()
        .trim_matches('"')
        .to_string();
    let other = if token.starts_with('f') { "e" } else { "f" };
    let wrong = config.replace(&token, &other.repeat(token.len()));
    let path = s.dir.path().join("wrong-token");
    std::fs::write(&path, wrong).unwrap();
    let (ok, _, err) = kubectl_with(&path, s.dir.path(), &["get", "pods", "-A"]);
    assert!(!ok);
    assert!(err.contains("must be logged in"), "{err}");
    // No token at all is the same check (see server/tests/api.rs); kubectl would prompt.
}

#[test]
fn server_listens_on_127_0_0_1_only() {
    let s = Served::start(&testdata("healthy"));
    let addr = s.server.addr();
    assert_eq!(addr.ip(), Ipv4Addr::LOCALHOST);
    let timeout = Duration::from_secs(2);
    assert!(TcpStream::connect_timeout(&addr, timeout).is_ok());
    // Another loopback address of this machine: nothing listens there.
    let other = SocketAddr::from((Ipv4Addr::new(127, 0, 0, 2), addr.port()));
    assert!(TcpStream::connect_timeout(&other, timeout).is_err());
    // This machine's own non-loopback address, if it has one (found without sending).
    let probe = std::net::UdpSocket::bind("0.0.0.0:0").unwrap();
    if probe.connect("192.0.2.1:9").is_ok() {
        let local = probe.local_addr().unwrap().ip();
        if !local.is_loopback() && !local.is_unspecified() {
            let there = SocketAddr::new(local, addr.port());
            assert!(TcpStream::connect_timeout(&there, timeout).is_err());
        }
    }
}

#[test]
fn watch_sends_the_state_and_ends() {
    let s = Served::start(&testdata("healthy"));
    let (_, out, err) = s.kubectl(&[
        "get",
        "pods",
        "-n",
        "shop",
        "--watch",
        "--request-timeout=20s",
    ]);
    assert!(out.contains("web-7d9c6b5f4d-h5x2k"), "{out}{err}");
    let raw = s.ok(&["get", "--raw", "/api/v1/namespaces/shop/pods?watch=true"]);
    let events: Vec<Value> = raw
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 2, "{raw}");
    assert!(events.iter().all(|e| e["type"] == "ADDED"));
}

#[test]
fn hostile_bundles_are_served_without_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("hostile.tar.gz");
    let gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&bundle).unwrap(),
        flate2::Compression::fast(),
    );
    let mut tar = tar::Builder::new(gz);
    let mut add = |name: &str, body: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(body.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        {
            let raw = h.as_old_mut();
            raw.name[..name.len()].copy_from_slice(name.as_bytes());
        }
        h.set_cksum();
        tar.append(&h, body).unwrap();
    };
    let nested = "[".repeat(100_000);
    let pod = r#"{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Pod",
        "metadata":{"name":"p\u001b[31m","namespace":"x","creationTimestamp":"2026-11-22T03:00:00Z"},
        "spec":{"containers":[{"name":"c"}]}},
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"garbled","namespace":"x","creationTimestamp":"not a time"},
        "spec":{"containers":"none"},"status":{"containerStatuses":"oops"}}, 42]}"#;
    add(
        "b/manifest.json",
        br#"{"format":"aksbundle/v1","collected_at":"garbage"}"#,
    );
    add("b/../escape.json", b"{}");
    add("b/namespaces/x/pods.json", pod.as_bytes());
    add("b/namespaces/x/events.json", nested.as_bytes());
    add("b/namespaces/y/pods.json", b"{\"items\": [1, \"two\", null");
    add("b/cluster/nodes.json", b"{\"items\":[{\"metadata\":17}]}");
    let long_line = vec![b'a'; 3 << 20];
    add("b/logs/x/p\u{1b}[31m/c.log", &long_line);
    let encoder = tar.into_inner().unwrap();
    encoder.finish().unwrap().flush().unwrap();

    let s = Served::start(&bundle);
    assert!(!s.server.store().issues.is_empty());
    // The garbled creation time reads as an unknown age; kubectl still prints the table.
    let (ok, pods, err) = s.kubectl(&["get", "pods", "-A"]);
    assert!(ok, "{err}");
    assert!(pods.contains("<unknown>"), "{pods}");
    let (ok, log, err) = s.kubectl(&["logs", "-n", "x", "p\u{1b}[31m"]);
    assert!(ok, "{err}");
    assert_eq!(log.len(), 3 << 20);
    let (_, _, err) = s.kubectl(&["get", "events", "-A"]);
    assert!(!err.contains("panicked"), "{err}");
    // Still answering after all of it.
    assert!(s.ok(&["get", "--raw", "/api"]).contains("APIVersions"));
}

#[test]
fn serve_runs_the_command_with_kubeconfig_and_stops_with_its_exit_code() {
    let bin = env!("CARGO_BIN_EXE_aksbundle");
    let cache = tempfile::tempdir().unwrap();
    let out = Command::new(bin)
        .args(["serve"])
        .arg(testdata("healthy"))
        .args(["--", "sh", "-c"])
        .arg(format!(
            "echo \"kc=$KUBECONFIG\"; kubectl --cache-dir {} get nodes",
            cache.path().display()
        ))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("aks-nodepool1-31415926-vmss000002"),
        "{stdout}"
    );
    let kc = stdout.lines().find_map(|l| l.strip_prefix("kc=")).unwrap();
    assert!(
        !Path::new(kc).exists(),
        "the temporary kubeconfig {kc} is left behind"
    );

    let status = Command::new(bin)
        .arg("serve")
        .arg(testdata("healthy"))
        .args(["--", "sh", "-c", "exit 3"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(3));
}

#[test]
fn kubectl_plugin_link_runs_serve() {
    let bin = env!("CARGO_BIN_EXE_aksbundle");
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(bin, dir.path().join("kubectl-aksbundle")).unwrap();
    let path = format!(
        "{}:{}",
        dir.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("kubectl")
        .args(["aksbundle", "serve"])
        .arg(testdata("healthy"))
        .args(["--", "sh", "-c"])
        .arg(format!(
            "kubectl --cache-dir {}/cache get pods -n shop",
            dir.path().display()
        ))
        .env("PATH", path)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("web-7d9c6b5f4d-h5x2k"), "{stdout}");
}

#[test]
fn an_existing_kubeconfig_is_never_overwritten() {
    let bin = env!("CARGO_BIN_EXE_aksbundle");
    let dir = tempfile::tempdir().unwrap();
    let existing = dir.path().join("config");
    std::fs::write(&existing, "mine").unwrap();
    let out = Command::new(bin)
        .arg("serve")
        .arg(testdata("healthy"))
        .arg("--kubeconfig")
        .arg(&existing)
        .args(["--", "true"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "mine");
}

#[test]
fn without_a_command_serve_runs_until_sigterm_and_removes_its_files() {
    use std::io::BufRead;
    let bin = env!("CARGO_BIN_EXE_aksbundle");
    let mut child = Command::new(bin)
        .arg("serve")
        .arg(testdata("healthy"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let kubeconfig = PathBuf::from(line.trim().strip_prefix("export KUBECONFIG=").unwrap());
    let cache = tempfile::tempdir().unwrap();
    let (ok, out, err) = kubectl_with(&kubeconfig, cache.path(), &["get", "pods", "-n", "shop"]);
    assert!(ok, "{err}");
    assert!(out.contains("web-7d9c6b5f4d-h5x2k"), "{out}");
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    assert!(
        !kubeconfig.exists(),
        "{} is left behind",
        kubeconfig.display()
    );
}

#[test]
fn troubleshoot_and_kubectl_1_13_dump_layouts_are_served() {
    for layout in ["troubleshoot", "cluster-info-dump-1.13"] {
        let s = Served::start(&testdata(&format!("layouts/{layout}")));
        let pods = s.ok(&["get", "pods", "-n", "shop"]);
        let r = row(&pods, "cart-6b8f7d9c5-zt4xq");
        assert_eq!(r[2], "CrashLoopBackOff", "{layout}: {pods}");
        // No manifest: ages from the newest time in the objects, not today.
        assert_eq!(r[4], "46m", "{layout}: {pods}");
        let logs = s.ok(&["logs", "-n", "shop", "cart-6b8f7d9c5-zt4xq"]);
        assert!(logs.contains("starting cart service"), "{layout}: {logs}");
        let nodes = s.ok(&["get", "nodes"]);
        assert_eq!(nodes.lines().count(), 4, "{layout}: {nodes}");
    }
}
