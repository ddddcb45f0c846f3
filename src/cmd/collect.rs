//! `aksbundle collect`: flags → `collector::Options`, run, print the summary.
//! `aksbundle collect node`: count this node's IPAM store into `nodes/<node>/ipam.json`.

use crate::exit::ExitCode;
use std::path::PathBuf;
use std::time::Duration;

/// Flags of `aksbundle collect`.
#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct CollectArgs {
    #[command(subcommand)]
    pub command: Option<CollectCommand>,
    // Boxed: the flags are many, and `Command` in main.rs holds every subcommand's args inline.
    #[command(flatten)]
    pub flags: Box<CollectFlags>,
}

/// The collection flags proper.
#[derive(clap::Args, Debug)]
pub struct CollectFlags {
    /// kubectl to drive (your own, with its authentication, kubelogin included).
    #[arg(long, env = "KUBECTL", default_value = "kubectl", value_name = "PATH")]
    pub kubectl: PathBuf,
    /// Kubeconfig file (default: kubectl's own choice, $KUBECONFIG or ~/.kube/config).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context (default: the current context).
    #[arg(long)]
    pub context: Option<String>,
    /// Namespace to collect; repeat or comma-separate (default: all namespaces).
    #[arg(
        short = 'n',
        long = "namespace",
        value_delimiter = ',',
        value_name = "NS"
    )]
    pub namespaces: Vec<String>,
    /// Log window, kubectl syntax (30m, 1h, 2h30m).
    #[arg(long, default_value = "1h")]
    pub since: collector::Since,
    /// Lines kept of each container log (its last ones), and of each node journal.
    #[arg(long, default_value_t = collector::logs::DEFAULT_LOG_LINES, value_name = "N")]
    pub max_log_lines: u64,
    /// Bytes kept of each container log (its end, from a line start), and of each node log.
    #[arg(long, default_value_t = collector::logs::DEFAULT_LOG_BYTES, value_name = "BYTES")]
    pub max_log_bytes: u64,
    /// Total bytes of all container logs: unhealthy pods are paid first, then AKS add-ons,
    /// then the rest; logs left out are listed in manifest.json. 0 collects no container log.
    #[arg(long, default_value_t = collector::logs::DEFAULT_LOG_BUDGET, value_name = "BYTES")]
    pub log_budget: u64,
    /// No longer used: every container's log tail is collected within --log-budget.
    #[arg(long, value_name = "N", hide = true)]
    pub max_unready_pods: Option<usize>,
    /// Count IPAM store files on every node; starts a short-lived debug pod on each node.
    #[arg(long)]
    pub node_ipam: bool,
    /// Read kubelet and containerd journal tails, resolv.conf, certificate end dates, disk
    /// use and the provisioning log of every Linux node; starts a short-lived debug pod on each.
    #[arg(long)]
    pub node_logs: bool,
    /// Image of the --node-ipam and --node-logs debug pods.
    #[arg(long, default_value = collector::DEFAULT_DEBUG_IMAGE, value_name = "IMAGE")]
    pub debug_image: String,
    /// Add a text file (az CLI output, a portal error) under attachments/; repeatable.
    #[arg(long = "attach", value_name = "FILE")]
    pub attachments: Vec<PathBuf>,
    /// Bundle file, or a directory for the default name
    /// (aksbundle-<context>-<YYYYMMDDTHHMMSSZ>.tar.gz in the current directory). A device
    /// or FIFO is written straight, `-` is standard output.
    #[arg(short = 'o', long = "output", value_name = "OUT.tar.gz")]
    pub output: Option<PathBuf>,
    /// kubectl calls running at once.
    #[arg(short = 'j', long, default_value_t = 8, value_name = "N")]
    pub parallel: usize,
    /// Timeout of each kubectl call, in seconds (passed as --request-timeout and enforced).
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    pub request_timeout: u64,
    /// Timeout of the first reachability probe, in seconds.
    #[arg(long, default_value_t = 10, value_name = "SECONDS")]
    pub probe_timeout: u64,
}

/// Subcommands of `aksbundle collect`.
#[derive(clap::Subcommand, Debug)]
pub enum CollectCommand {
    /// Run on a node (or in a DaemonSet): count its IPAM store into nodes/<node>/ipam.json
    /// and read its node logs (journals, resolv.conf, certificate dates, disk use) beside it.
    Node(NodeArgs),
}

/// Flags of `aksbundle collect node`.
#[derive(clap::Args, Debug)]
pub struct NodeArgs {
    /// Where the node's root file system is (/ on the node, /host in a DaemonSet pod).
    #[arg(long, default_value = "/", value_name = "DIR")]
    pub host_root: PathBuf,
    /// Node name (default: $NODE_NAME, else the host name under --host-root).
    #[arg(long, value_name = "NAME")]
    pub node_name: Option<String>,
    /// Directory that receives nodes/<node>/.
    #[arg(short = 'o', long = "output", default_value = ".", value_name = "DIR")]
    pub output: PathBuf,
    /// Lines kept of each journal and of the provisioning log.
    #[arg(long, default_value_t = collector::logs::DEFAULT_LOG_LINES, value_name = "N")]
    pub max_log_lines: u64,
    /// Bytes kept of each text file (its end, from a line start).
    #[arg(long, default_value_t = collector::logs::DEFAULT_LOG_BYTES, value_name = "BYTES")]
    pub max_log_bytes: u64,
    /// journalctl to run (the host's journal is read with --directory under another root).
    #[arg(long, default_value = "journalctl", value_name = "PATH")]
    pub journalctl: PathBuf,
}

pub fn run(args: CollectArgs) -> anyhow::Result<ExitCode> {
    if let Some(CollectCommand::Node(node)) = args.command {
        return run_node(node);
    }
    if args.flags.max_unready_pods.is_some() {
        eprintln!("note: --max-unready-pods is no longer used: every container's log tail is collected, within --log-budget");
    }
    let opts = options(*args.flags)?;
    opts.cancel.cancel_on_ctrlc()?;
    let summary = collector::collect(&opts)?;
    print_summary(&summary);
    Ok(ExitCode::Clean)
}

fn options(args: CollectFlags) -> anyhow::Result<collector::Options> {
    Ok(collector::Options {
        kubectl: args.kubectl,
        kubeconfig: args.kubeconfig,
        context: args.context,
        namespaces: args.namespaces,
        since: args.since,
        max_log_lines: args.max_log_lines,
        max_log_bytes: args.max_log_bytes,
        log_budget: args.log_budget,
        node_ipam: args.node_ipam,
        node_logs: args.node_logs,
        debug_image: args.debug_image,
        attachments: args.attachments,
        output: args.output,
        parallelism: args.parallel,
        request_timeout: Duration::from_secs(args.request_timeout),
        probe_timeout: Duration::from_secs(args.probe_timeout),
        ..collector::Options::default()
    })
}

fn run_node(args: NodeArgs) -> anyhow::Result<ExitCode> {
    let node = args
        .node_name
        .unwrap_or_else(|| collector::ipam::default_node_name(&args.host_root));
    let path = collector::ipam::collect_node(&collector::ipam::NodeOptions {
        host_root: args.host_root.clone(),
        node: node.clone(),
        output_dir: args.output.clone(),
    })?;
    println!("{}", path.display());
    let written = collector::nodelogs::collect_node_logs(
        &collector::nodelogs::HostOptions {
            host_root: args.host_root,
            node,
            journalctl: args.journalctl,
            bounds: collector::nodelogs::Bounds {
                lines: args.max_log_lines.max(1),
                bytes: args.max_log_bytes.max(1),
            },
        },
        &args.output,
    )?;
    for path in written {
        println!("{}", path.display());
    }
    Ok(ExitCode::Clean)
}

fn print_summary(s: &collector::Summary) {
    eprint!("{}", render_summary(s));
    // The path alone on stdout, for scripts; not when the bundle itself went there.
    if s.path.as_os_str() != "-" {
        println!("{}", s.path.display());
    }
}

/// The summary for stderr: what was collected, size, path, what failed.
fn render_summary(s: &collector::Summary) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Collected {} in {:.1}s: {} over {}, {}, {}, {}; {} redacted.",
        count(s.files, "file"),
        s.elapsed.as_secs_f64(),
        count(s.object_files, "object list"),
        count(s.namespaces, "namespace"),
        count(s.logs, "container log"),
        if s.node_logs > 0 {
            format!(
                "{}, logs of {}",
                count(s.ipam_nodes, "node IPAM count"),
                count(s.node_logs, "node")
            )
        } else {
            count(s.ipam_nodes, "node IPAM count")
        },
        count(s.attachments, "attachment"),
        count(s.redactions as usize, "secret"),
    );
    if let Some(server) = &s.cluster.server {
        let _ = writeln!(
            out,
            "Cluster: {} ({server}), server version {}.",
            s.cluster.context.as_deref().unwrap_or("unknown context"),
            s.cluster.version.as_deref().unwrap_or("unknown")
        );
    }
    if !s.reachable {
        let _ = writeln!(
            out,
            "Collection stopped after the first call (kubectl version); the bundle records why."
        );
    }
    for note in &s.notes {
        let _ = writeln!(out, "note: {note}");
    }
    if !s.errors.is_empty() {
        let _ = writeln!(
            out,
            "{} failed (recorded in manifest.json):",
            count(s.errors.len(), "step")
        );
        for e in &s.errors {
            let first = e
                .stderr
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            let _ = writeln!(out, "  {} (exit {}): {}", e.step, e.exit_code, first);
        }
    }
    let mib = s.bytes as f64 / (1024.0 * 1024.0);
    let _ = writeln!(out, "Bundle: {} ({mib:.2} MiB)", s.path.display());
    out
}

/// `1 file`, `2 files`.
fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use collector::manifest::{ClusterInfo, StepError};

    #[derive(Parser)]
    struct Cli {
        #[command(subcommand)]
        command: Cmd,
    }

    #[derive(clap::Subcommand)]
    enum Cmd {
        Collect(CollectArgs),
    }

    fn parse(argv: &[&str]) -> CollectArgs {
        let cli = Cli::try_parse_from(["aksbundle", "collect"].iter().chain(argv)).unwrap();
        let Cmd::Collect(args) = cli.command;
        args
    }

    #[test]
    fn flags_become_options() {
        let args = parse(&[
            "--kubectl",
            "/opt/kubectl",
            "--context",
            "prod",
            "-n",
            "default,kube-system",
            "-n",
            "sc-system",
            "--since",
            "2h30m",
            "--node-ipam",
            "--attach",
            "az.txt",
            "-o",
            "out.tar.gz",
            "-j",
            "4",
            "--request-timeout",
            "12",
        ]);
        let opts = options(*args.flags).unwrap();
        assert_eq!(opts.kubectl, PathBuf::from("/opt/kubectl"));
        assert_eq!(opts.context.as_deref(), Some("prod"));
        assert_eq!(opts.namespaces, ["default", "kube-system", "sc-system"]);
        assert_eq!(opts.since.seconds(), 9000);
        assert!(opts.node_ipam);
        assert_eq!(opts.debug_image, collector::DEFAULT_DEBUG_IMAGE);
        assert_eq!(opts.attachments, [PathBuf::from("az.txt")]);
        assert_eq!(opts.output, Some(PathBuf::from("out.tar.gz")));
        assert_eq!(opts.parallelism, 4);
        assert_eq!(opts.request_timeout, Duration::from_secs(12));
        assert_eq!(opts.max_log_bytes, 256 * 1024);
        assert_eq!(opts.max_log_lines, 1000);
        assert_eq!(opts.log_budget, 256 * 1024 * 1024);
        assert!(!opts.node_logs);
        let args = parse(&[
            "--max-log-lines",
            "200",
            "--max-log-bytes",
            "65536",
            "--log-budget",
            "0",
            "--node-logs",
            "--max-unready-pods",
            "5",
        ]);
        let opts = options(*args.flags).unwrap();
        assert_eq!(
            (opts.max_log_lines, opts.max_log_bytes, opts.log_budget),
            (200, 65536, 0)
        );
        assert!(opts.node_logs);
    }

    #[test]
    fn collect_node_is_a_subcommand() {
        let args = parse(&["node", "--host-root", "/host", "--node-name", "aks-np-0"]);
        let Some(CollectCommand::Node(node)) = args.command else {
            panic!("not parsed as collect node");
        };
        assert_eq!(node.host_root, PathBuf::from("/host"));
        assert_eq!(node.node_name.as_deref(), Some("aks-np-0"));
        assert!(Cli::try_parse_from(["aksbundle", "collect", "--since", "1d"]).is_err());
    }

    #[test]
    fn summary_names_what_failed() {
        let summary = collector::Summary {
            path: PathBuf::from("aksbundle-prod-20261122T040000Z.tar.gz"),
            bytes: 1_572_864,
            files: 42,
            object_files: 20,
            logs: 12,
            ipam_nodes: 0,
            node_logs: 0,
            logs_skipped: 0,
            attachments: 1,
            namespaces: 3,
            redactions: 7,
            errors: vec![StepError {
                step: "events".into(),
                command: "kubectl get events --all-namespaces -o json".into(),
                exit_code: 1,
                stderr: "Error from server (Forbidden): events is forbidden\nmore".into(),
                at: "2026-11-22T04:00:03Z".into(),
            }],
            notes: vec!["no NodeNetworkConfig CRD".into()],
            reachable: true,
            cluster: ClusterInfo {
                context: Some("prod".into()),
                server: Some("https://prod-x.hcp.westeurope.azmk8s.io:443".into()),
                version: Some("v1.29.4".into()),
            },
            elapsed: Duration::from_millis(2400),
        };
        insta::assert_snapshot!(render_summary(&summary), @r"
        Collected 42 files in 2.4s: 20 object lists over 3 namespaces, 12 container logs, 0 node IPAM counts, 1 attachment; 7 secrets redacted.
        Cluster: prod (https://prod-x.hcp.westeurope.azmk8s.io:443), server version v1.29.4.
        note: no NodeNetworkConfig CRD
        1 step failed (recorded in manifest.json):
          events (exit 1): Error from server (Forbidden): events is forbidden
        Bundle: aksbundle-prod-20261122T040000Z.tar.gz (1.50 MiB)
        ");
    }
}
