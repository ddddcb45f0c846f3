//! Every layout the analyzer reads (spec: foreign-layouts.md), end to end: the same broken
//! cluster written as `aksbundle/v1`, a troubleshoot support bundle, a current and a
//! kubectl 1.13 `cluster-info dump` and a dump printed to one stream gives the same
//! findings; a bundle in no layout the analyzer knows is refused with one line, never
//! reported healthy.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name)
}

fn analyze(bundle: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aksbundle"))
        .arg("analyze")
        .arg(bundle)
        .args(["--format", "json"])
        .output()
        .expect("runs")
}

fn report(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

/// `(rule, objects)` of every finding: what the cluster's data shows.
fn findings(v: &serde_json::Value) -> BTreeSet<(String, Vec<String>)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let objects = f["objects"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o.as_str().unwrap().to_string())
                .collect();
            (f["rule"].as_str().unwrap().to_string(), objects)
        })
        .collect()
}

const LAYOUTS: &[(&str, &str)] = &[
    ("layouts/aksbundle-v1", "aksbundle/v1"),
    ("layouts/troubleshoot", "troubleshoot.sh/v1beta2"),
    ("layouts/cluster-info-dump", "kubectl-cluster-info-dump"),
    (
        "layouts/cluster-info-dump-1.13",
        "kubectl-cluster-info-dump",
    ),
    (
        "layouts/cluster-info-dump-stream",
        "kubectl-cluster-info-dump-stream",
    ),
];

#[test]
fn the_same_cluster_gives_the_same_findings_in_every_layout() {
    let tmp = tempfile::tempdir().unwrap();
    let mut reference: Option<BTreeSet<(String, Vec<String>)>> = None;
    for (dir, layout) in LAYOUTS {
        let src = testdata(dir);
        let tgz = tmp.path().join(format!("{}.tgz", dir.replace('/', "-")));
        std::fs::write(&tgz, analyzer::cases::pack_tar_gz(&src).unwrap()).unwrap();
        for bundle in [&src, &tgz] {
            let o = analyze(bundle);
            assert_eq!(o.status.code(), Some(1), "{}", bundle.display());
            let v = report(&o);
            assert_eq!(v["bundle"]["layout"], *layout, "{}", bundle.display());
            let counts = &v["bundle"]["counts"];
            assert_eq!(counts["nodes"], 3, "{}: {counts}", bundle.display());
            assert_eq!(counts["pods"], 18, "{}: {counts}", bundle.display());
            let got = findings(&v);
            for (rule, object) in [
                ("pod-crashloop", "shop/pod/cart-6b8f7d9c5-zt4xq"),
                ("pod-unschedulable", "shop/pod/report-5f7c9d8b6-q8w2m"),
                ("node-not-ready", "node/aks-nodepool1-31415926-vmss000002"),
            ] {
                assert!(
                    got.iter()
                        .any(|(r, o)| r == rule && o.iter().any(|x| x.ends_with(object))),
                    "{}: no {rule} about {object} in {got:?}",
                    bundle.display()
                );
            }
            // The web pod's log could not be fetched, in each layout's own words.
            let gaps = v["collection_errors"].as_array().unwrap();
            assert!(
                gaps.iter()
                    .any(|e| e["step"].as_str().unwrap().contains("web-7c9d8b6f4-k2x4p")),
                "{}: {gaps:?}",
                bundle.display()
            );
            assert!(got.iter().any(|(r, _)| r == "collection-incomplete"));
            match &reference {
                None => reference = Some(got),
                Some(r) => assert_eq!(&got, r, "{} differs", bundle.display()),
            }
        }
    }
}

#[test]
fn troubleshoot_bundle_reads_versions_own_analysis_and_links_quietly() {
    let v = report(&analyze(&testdata("layouts/troubleshoot")));
    assert_eq!(v["bundle"]["format"], "troubleshoot.sh/v1beta2");
    assert_eq!(v["bundle"]["collector"], "troubleshoot 0.107.1");
    assert_eq!(v["bundle"]["cluster"]["version"], "v1.30.5");
    let own = v["bundle"]["own_analysis"].as_array().unwrap();
    assert_eq!(own.len(), 2);
    assert_eq!(own[0]["message"], "Not all nodes are online.");
    // The vendor's results are shown as its own, never as our findings.
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| !f["rule"].as_str().unwrap().contains("node-resources")));
    // all-logs/ links point at members the bundle holds: no error line each.
    let errors = v["errors"].as_array().unwrap();
    assert!(errors.is_empty(), "{errors:?}");
    // The previous log of the crash-looping container is tied to its pod.
    let crash = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "pod-crashloop")
        .unwrap();
    assert!(
        crash.to_string().contains("cart-previous.log"),
        "the previous log's tail is not evidence: {crash}"
    );
}

#[test]
fn kubectl_1_13_dump_is_normalised_not_read_as_empty() {
    let v = report(&analyze(&testdata("layouts/cluster-info-dump-1.13")));
    assert_eq!(v["bundle"]["legacy_shapes"], true);
    assert_eq!(v["bundle"]["counts"]["events"], 2);
    assert!(
        v["errors"].as_array().unwrap().is_empty(),
        "{}",
        v["errors"]
    );
}

#[test]
fn dump_stream_reads_as_a_plain_file() {
    let file = testdata("layouts/cluster-info-dump-stream/cluster-info.txt");
    let o = analyze(&file);
    assert_eq!(o.status.code(), Some(1));
    let v = report(&o);
    assert_eq!(v["bundle"]["layout"], "kubectl-cluster-info-dump-stream");
    assert_eq!(
        findings(&v),
        findings(&report(&analyze(&testdata("layouts/cluster-info-dump"))))
    );
}

#[test]
fn a_log_body_that_is_an_error_is_a_gap_and_many_alike_are_said_once() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("dump");
    std::fs::create_dir_all(root.join("shop")).unwrap();
    std::fs::copy(
        testdata("layouts/cluster-info-dump/nodes.json"),
        root.join("nodes.json"),
    )
    .unwrap();
    for pod in ["a-1", "b-2", "c-3", "d-4"] {
        std::fs::create_dir_all(root.join("shop").join(pod)).unwrap();
        std::fs::write(
            root.join("shop").join(pod).join("logs.txt"),
            format!(
                "==== START logs for container app of pod shop/{pod} ====\n\
                 Request log error: an error on the server (\"unknown\") has prevented the request from succeeding (get pods {pod})\n\
                 ==== END logs for container app of pod shop/{pod} ====\n"
            ),
        )
        .unwrap();
    }
    let v = report(&analyze(&root));
    let gaps = v["collection_errors"].as_array().unwrap();
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert_eq!(gaps[0]["step"], "logs");
    assert_eq!(gaps[0]["count"], 4);
    assert_eq!(v["bundle"]["counts"]["logs"], 0);
    let ci = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "collection-incomplete")
        .expect("collection-incomplete");
    assert_eq!(ci["facts"]["reason"], "kubelet_unreachable", "{ci}");
    assert_eq!(ci["count"], 4);
}

fn assert_refused(o: &Output, words: &[&str]) {
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    for w in words {
        assert!(err.contains(w), "{w:?} not in {err}");
    }
}

#[test]
fn unknown_layouts_exit_2_with_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    // An arbitrary project folder.
    let project = tmp.path().join("project");
    std::fs::create_dir_all(project.join("src")).unwrap();
    std::fs::write(project.join("Cargo.toml"), "[package]\nname = \"x\"\n").unwrap();
    std::fs::write(project.join("src/main.rs"), "fn main() {}\n").unwrap();
    assert_refused(
        &analyze(&project),
        &["no layout I know", "Cargo.toml", "src/main.rs"],
    );
    // An archive of photos.
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for name in ["holiday/IMG_0001.jpg", "holiday/IMG_0002.jpg"] {
        zip.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00").unwrap();
    }
    let photos = tmp.path().join("photos.zip");
    std::fs::write(&photos, zip.finish().unwrap().into_inner()).unwrap();
    assert_refused(&analyze(&photos), &["no layout I know", "IMG_0001.jpg"]);
    // An empty archive.
    let empty = tmp.path().join("empty.tar.gz");
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let tar = tar::Builder::new(gz)
        .into_inner()
        .unwrap()
        .finish()
        .unwrap();
    std::fs::write(&empty, tar).unwrap();
    assert_refused(&analyze(&empty), &["no layout I know", "no files"]);
    // A troubleshoot bundle holding only the vendor's own analysis.
    let only = tmp.path().join("only-analysis");
    std::fs::create_dir_all(&only).unwrap();
    std::fs::copy(
        testdata("layouts/troubleshoot/analysis.json"),
        only.join("analysis.json"),
    )
    .unwrap();
    assert_refused(&analyze(&only), &["no layout I know", "analysis.json"]);
}

#[test]
fn a_bundle_whose_every_known_file_fails_is_refused_not_healthy() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("b");
    std::fs::create_dir_all(root.join("cluster")).unwrap();
    std::fs::write(root.join("cluster/nodes.json"), "{\"foo\": 1}").unwrap();
    assert_refused(
        &analyze(&root),
        &["nothing in the bundle could be read", "cluster/nodes.json"],
    );
}
