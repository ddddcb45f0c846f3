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
    /// Byte cap per container log.
    #[arg(long, default_value_t = 5 * 1024 * 1024, value_name = "BYTES")]
    pub max_log_bytes: u64,
    /// How many not-Ready pods get their logs collected.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub max_unready_pods: usize,
    /// Count IPAM store files on every node; starts a short-lived debug pod on each node.
    #[arg(long)]
    pub node_ipam: bool,
    /// Image of the --node-ipam debug pods.
    #[arg(long, default_value = collector::DEFAULT_DEBUG_IMAGE, value_name = "IMAGE")]
    pub debug_image: String,
    /// Add a text file (az CLI output, a portal error) under attachments/; repeatable.
    #[arg(long = "attach", value_name = "FILE")]
    pub attachments: Vec<PathBuf>,
    /// Bundle file, or a directory for the default name
    /// (aksbundle-<context>-<YYYYMMDDTHHMMSSZ>.tar.gz in the current directory).
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
    /// Run on a node (or in a DaemonSet): count its IPAM store into nodes/<node>/ipam.json.
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
    /// Directory that receives nodes/<node>/ipam.json.
    #[arg(short = 'o', long = "output", default_value = ".", value_name = "DIR")]
    pub output: PathBuf,
}

pub fn run(args: CollectArgs) -> anyhow::Result<ExitCode> {
    if let Some(CollectCommand::Node(node)) = args.command {
        return run_node(node);
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
        max_log_bytes: args.max_log_bytes,
        max_unready_pods: args.max_unready_pods,
        node_ipam: args.node_ipam,
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
        host_root: args.host_root,
        node,
        output_dir: args.output,
    })?;
    println!("{}", path.display());
    Ok(ExitCode::Clean)
}

fn print_summary(s: &collector::Summary) {
    let mib = s.bytes as f64 / (1024.0 * 1024.0);
    eprintln!(
        "Collected {} files in {:.1}s: {} object lists over {} namespaces, {} container logs, {} node IPAM counts, {} attachments; {} secrets redacted.",
        s.files,
        s.elapsed.as_secs_f64(),
        s.object_files,
        s.namespaces,
        s.logs,
        s.ipam_nodes,
        s.attachments,
        s.redactions
    );
    if let Some(server) = &s.cluster.server {
        eprintln!(
            "Cluster: {} ({server}), server version {}.",
            s.cluster.context.as_deref().unwrap_or("unknown context"),
            s.cluster.version.as_deref().unwrap_or("unknown")
        );
    }
    if !s.reachable {
        eprintln!("The API server could not be reached; the bundle records how it failed.");
    }
    for note in &s.notes {
        eprintln!("note: {note}");
    }
    if !s.errors.is_empty() {
        eprintln!(
            "{} steps failed (recorded in manifest.json):",
            s.errors.len()
        );
        for e in &s.errors {
            let first = e
                .stderr
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            eprintln!("  {} (exit {}): {}", e.step, e.exit_code, first);
        }
    }
    eprintln!("Bundle: {} ({mib:.2} MiB)", s.path.display());
    // The path alone on stdout, for scripts.
    println!("{}", s.path.display());
}
