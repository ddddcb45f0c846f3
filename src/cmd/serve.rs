//! `aksbundle serve`: turns the flags into `server::Options`, writes the kubeconfig, and
//! either runs the given command with `KUBECONFIG` set or serves until Ctrl-C.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use crate::cmd::analyze::LimitArgs;
use crate::exit::ExitCode;

/// Flags of `aksbundle serve`.
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// The bundle: a .tar.gz, .tar or .zip file, or a folder (aksbundle/v1, a
    /// `kubectl cluster-info dump` tree or a troubleshoot support bundle).
    pub bundle: PathBuf,
    /// Port on 127.0.0.1 (never another interface); 0 picks a free one.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub port: u16,
    /// Write the kubeconfig to FILE, which must not exist yet. Default: a private temporary
    /// file, removed when serve stops.
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Run COMMAND (for example `bash`) with KUBECONFIG set, and stop when it exits.
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<OsString>,
}

/// Writes `text` to a new file only the user can read.
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("writing the kubeconfig {}", path.display()))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("writing the kubeconfig {}", path.display()))?;
    Ok(())
}

pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    // The command's exit code is passed on once everything (temporary files) is cleaned up.
    match serve(args)? {
        Ok(code) => Ok(code),
        Err(command_code) => std::process::exit(command_code),
    }
}

/// Serves; `Err(code)` is a command's non-zero exit code.
fn serve(args: ServeArgs) -> anyhow::Result<Result<ExitCode, i32>> {
    if let Some(path) = &args.kubeconfig {
        if path.exists() {
            bail!(
                "{}: the kubeconfig file exists already; give a new path (serve never overwrites one)",
                path.display()
            );
        }
    }
    let options = server::Options {
        port: args.port,
        limits: args.limits.limits(),
    };
    let started = std::time::Instant::now();
    let srv = server::Server::start(&args.bundle, &options)
        .with_context(|| format!("serving {}", args.bundle.display()))?;
    let elapsed = started.elapsed();

    // Held until the end: dropping it removes the default kubeconfig.
    let private_dir;
    let kubeconfig = match &args.kubeconfig {
        Some(path) => path.clone(),
        None => {
            private_dir = tempfile::Builder::new()
                .prefix("aksbundle-serve-")
                .tempdir()
                .context("creating a private temporary folder")?;
            private_dir.path().join("kubeconfig")
        }
    };
    write_private(&kubeconfig, &srv.kubeconfig())?;

    let store = srv.store();
    let objects: usize = store.resources.values().map(|c| c.items.len()).sum();
    let kinds: Vec<&str> = store
        .resources
        .values()
        .map(|c| c.resource.name.as_str())
        .collect();
    let time_note = match store.collected_at.source {
        server::TimeSource::Manifest => "from manifest.json",
        server::TimeSource::NewestObject => "the newest time in the objects; no manifest",
        server::TimeSource::Now => "no time in the bundle; ages count from now",
    };
    eprintln!(
        "aksbundle serve: {} objects ({}), {} logs, read in {:.3}s; ages count from {} ({time_note}).",
        objects,
        analyzer::terminal::visible(&kinds.join(", ")),
        store.logs.len(),
        elapsed.as_secs_f64(),
        store.collected_at.at,
    );
    if !store.issues.is_empty() {
        eprintln!(
            "aksbundle serve: {} members could not be read; first: {}",
            store.issues.len(),
            // Member names and messages come from the bundle: shown, never sent, to the terminal.
            analyzer::terminal::visible(&format!(
                "{}: {}",
                store.issues[0].file, store.issues[0].message
            ))
        );
    }
    eprintln!(
        "Serving read-only on https://{} with the token in the kubeconfig:",
        srv.addr()
    );
    // Quoted, so the line can be pasted or `eval`ed whatever the path holds.
    println!(
        "export KUBECONFIG={}",
        analyzer::render::shell_quote(kubeconfig.display().to_string())
    );
    let _ = std::io::stdout().flush();

    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    // With a command, Ctrl-C belongs to it (the shell ignores it; serve must stay up).
    let running_command = !args.command.is_empty();
    ctrlc::set_handler(move || {
        if !running_command {
            let _ = stop_tx.send(());
        }
    })
    .context("installing the Ctrl-C handler")?;

    if running_command {
        let status = std::process::Command::new(&args.command[0])
            .args(&args.command[1..])
            .env("KUBECONFIG", &kubeconfig)
            .status()
            .with_context(|| format!("running {}", args.command[0].to_string_lossy()))?;
        return Ok(match status.code() {
            Some(0) => Ok(ExitCode::Clean),
            Some(code) => Err(code),
            None => Ok(ExitCode::Unusable),
        });
    }
    eprintln!("Ctrl-C stops.");
    let _ = stop_rx.recv();
    Ok(Ok(ExitCode::Clean))
}
