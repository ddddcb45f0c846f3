//! Bundle size of a 500-pod cluster with the default log bounds: generates a fixture
//! cluster (`tests/support/cluster_gen.rs`), serves it with the fake API server, runs
//! `collector::collect` with the real kubectl against it, and prints a Markdown table row
//! set: wall time, container logs written and skipped, log bytes, bundle size.
//!
//! ```text
//! cargo run --release -p aksbundle-collector --example bundle-size -- [--pods 500] [--full] [--kubectl PATH]
//! ```
//! `--full` gives every container a log longer than both bounds (the worst case for the
//! default budget); without it, the mix is the one described in docs/performance.md.
//! Used by `scripts/bench-bundle-size.sh`.

#[path = "../tests/support/cluster_gen.rs"]
mod cluster_gen;
#[path = "../tests/support/fake_apiserver.rs"]
mod fake_apiserver;

use cluster_gen::{Container, Pod};
use serde_json::json;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The generated cluster: `nodes` Linux nodes with the AKS DaemonSets (kube-proxy, Azure
/// Disk and File CSI nodes, cloud-node-manager), the AKS Deployments (CoreDNS,
/// konnectivity, metrics-server, CSI controllers), and application pods up to `total`
/// across 24 namespaces. Log sizes follow a fixed mix (see [`app_container`]).
fn cluster(total: usize, full: bool) -> (Vec<Pod>, Vec<serde_json::Value>) {
    let node_count = 20;
    let nodes: Vec<serde_json::Value> = (0..node_count)
        .map(|i| cluster_gen::node(&format!("aks-nodepool1-12345678-vmss{i:06}"), "linux", true))
        .collect();
    let mut pods = Vec::new();
    let sized = |name: &str, lines: usize, bytes: usize| {
        if full {
            Container::running(name, 1100, 300)
        } else {
            Container::running(name, lines, bytes)
        }
    };
    for i in 0..node_count {
        let node = format!("aks-nodepool1-12345678-vmss{i:06}");
        let mut ds = |name: &str, labels: serde_json::Value, containers: Vec<Container>| {
            let mut p = Pod::new(
                "kube-system",
                &format!("{name}-{i:05x}"),
                labels,
                true,
                containers,
            );
            p.node = node.clone();
            pods.push(p);
        };
        ds(
            "kube-proxy",
            json!({"component": "kube-proxy", "tier": "node"}),
            vec![sized("kube-proxy", 120, 180)],
        );
        ds(
            "csi-azuredisk-node",
            json!({"app": "csi-azuredisk-node"}),
            vec![
                sized("liveness-probe", 10, 120),
                sized("node-driver-registrar", 20, 140),
                sized("azuredisk", 400, 200),
            ],
        );
        ds(
            "csi-azurefile-node",
            json!({"app": "csi-azurefile-node"}),
            vec![
                sized("liveness-probe", 10, 120),
                sized("node-driver-registrar", 20, 140),
                sized("azurefile", 300, 200),
            ],
        );
        ds(
            "cloud-node-manager",
            json!({"k8s-app": "cloud-node-manager"}),
            vec![sized("cloud-node-manager", 200, 220)],
        );
    }
    for (name, labels, containers) in [
        (
            "coredns-789789675-5x2mw",
            json!({"k8s-app": "kube-dns"}),
            vec![sized("coredns", 1500, 160)],
        ),
        (
            "coredns-789789675-9q7kz",
            json!({"k8s-app": "kube-dns"}),
            vec![sized("coredns", 1500, 160)],
        ),
        (
            "konnectivity-agent-6c9d8b7f5-kq2zl",
            json!({"app": "konnectivity-agent"}),
            vec![sized("konnectivity-agent", 1500, 200)],
        ),
        (
            "konnectivity-agent-6c9d8b7f5-p8w4n",
            json!({"app": "konnectivity-agent"}),
            vec![sized("konnectivity-agent", 1500, 200)],
        ),
        (
            "metrics-server-5955767688-8k2jv",
            json!({"k8s-app": "metrics-server"}),
            vec![
                sized("metrics-server", 600, 250),
                sized("metrics-server-vpa", 50, 150),
            ],
        ),
        (
            "csi-azuredisk-controller-7b8c9d-xk2",
            json!({"app": "csi-azuredisk-controller"}),
            vec![
                sized("csi-provisioner", 800, 260),
                sized("csi-attacher", 800, 260),
                sized("csi-snapshotter", 100, 200),
                sized("csi-resizer", 100, 200),
                sized("liveness-probe", 10, 120),
                sized("azuredisk", 1500, 300),
            ],
        ),
    ] {
        pods.push(Pod::new("kube-system", name, labels, true, containers));
    }
    let mut i = 0usize;
    while pods.len() < total {
        let ns = format!("team-{:02}", i % 24);
        let app = format!("svc-{}", i / 24);
        let unhealthy = i % 20 == 7;
        let mut containers = vec![app_container(&app, i, full)];
        if i.is_multiple_of(3) {
            containers.push(app_container("envoy", i + 1000, full));
        }
        if unhealthy {
            containers[0] = Container::crashlooping(&app, 5 + (i % 9) as u64, 60, 300);
        }
        pods.push(Pod::new(
            &ns,
            &format!("{app}-6c9d8b7f5-{:05x}", i * 7919 % 1_048_576),
            json!({"app": app}),
            !unhealthy,
            containers,
        ));
        i += 1;
    }
    (pods, nodes)
}

/// The log of an application container, by its index: 55 % quiet (20-300 lines), 30 % busy
/// (1,500 lines, of which the last 1,000 are kept), 10 % chatty with long lines (1,500 lines
/// of 600 bytes: the 256 KiB cap applies), 5 % nearly silent (3 lines).
fn app_container(name: &str, i: usize, full: bool) -> Container {
    if full {
        return Container::running(name, 1100, 300);
    }
    match i % 20 {
        0..=10 => Container::running(name, 20 + (i * 37) % 280, 150),
        11..=16 => Container::running(name, 1500, 180),
        17 | 18 => Container::running(name, 1500, 600),
        _ => Container::running(name, 3, 120),
    }
}

fn main() {
    let mut total = 500;
    let mut full = false;
    let mut kubectl = std::env::var_os("KUBECTL")
        .map(PathBuf::from)
        .unwrap_or_else(|| "kubectl".into());
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--pods" => total = args.next().and_then(|v| v.parse().ok()).expect("--pods N"),
            "--full" => full = true,
            "--kubectl" => kubectl = args.next().expect("--kubectl PATH").into(),
            other => {
                eprintln!("bundle-size [--pods N] [--full] [--kubectl PATH]: unknown {other}");
                std::process::exit(2);
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let fixtures = dir.path().join("cluster");
    let (pods, nodes) = cluster(total, full);
    let containers: usize = pods.iter().map(|p| p.containers.len()).sum();
    cluster_gen::write_fixture(&fixtures, &pods, &nodes);
    let server = fake_apiserver::FakeApiServer::start(fake_apiserver::Config {
        fixtures,
        with_nnc: false,
        ..fake_apiserver::Config::default_fixtures()
    });
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: {}\ncontexts:\n- name: bench\n  context:\n    cluster: fake\n    user: u\ncurrent-context: bench\nusers:\n- name: u\n  user:\n    token: t\n",
            server.url()
        ),
    )
    .unwrap();
    // kubectl keeps its discovery cache under HOME: a wrapper keeps it in the temporary
    // directory.
    let wrapper = dir.path().join("kubectl-wrapper");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nexport HOME='{}' KUBECACHEDIR='{}'\nexec '{}' \"$@\"\n",
            home.display(),
            dir.path().join("cache").display(),
            kubectl.display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let out = dir.path().join("bundle.tar.gz");
    let opts = collector::Options {
        kubectl: wrapper,
        kubeconfig: Some(kubeconfig),
        output: Some(out.clone()),
        progress: false,
        request_timeout: Duration::from_secs(60),
        ..collector::Options::default()
    };
    let started = Instant::now();
    let summary = collector::collect(&opts).expect("collect");
    let wall = started.elapsed();
    let manifest = read_manifest(&out);
    let written = manifest["logs"]["written"].as_u64().unwrap_or(0);
    let skipped = manifest["logs"]["skipped"].as_array().map_or(0, Vec::len);
    println!(
        "| {} | {} | {} | {} | {} | {:.1} MiB | {:.2} MiB | {:.1} s |",
        if full {
            "every log over both bounds"
        } else {
            "mixed (see below)"
        },
        pods.len(),
        containers,
        summary.logs,
        skipped,
        written as f64 / (1024.0 * 1024.0),
        summary.bytes as f64 / (1024.0 * 1024.0),
        wall.as_secs_f64(),
    );
    if !summary.errors.is_empty() {
        eprintln!(
            "bundle-size: {} steps failed, first: {:?}",
            summary.errors.len(),
            summary.errors[0]
        );
    }
}

fn read_manifest(bundle: &std::path::Path) -> serde_json::Value {
    use std::io::Read;
    let file = std::fs::File::open(bundle).unwrap();
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        if entry.path().unwrap().ends_with("manifest.json") {
            let mut s = String::new();
            entry.read_to_string(&mut s).unwrap();
            return serde_json::from_str(&s).unwrap();
        }
    }
    panic!("no manifest.json in the bundle");
}
