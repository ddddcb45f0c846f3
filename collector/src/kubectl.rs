//! Runs the user's kubectl: global flags (`--kubeconfig`, `--context`, `--request-timeout`)
//! on every call, a process timeout enforced here (the child and its process group are
//! killed), cancellation, and bounded capture of stdout and stderr.

use crate::options::CancelToken;
use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Exit code recorded when we killed kubectl for running over its timeout (as `timeout(1)`).
pub const EXIT_TIMED_OUT: i32 = 124;
/// Exit code recorded when kubectl could not be started (as a shell does).
pub const EXIT_NOT_STARTED: i32 = 127;
/// Exit code recorded when kubectl was stopped because the user pressed Ctrl-C.
pub const EXIT_CANCELLED: i32 = 130;

/// Extra time the process gets beyond `--request-timeout` before we kill it: kubectl may
/// make more than one request (discovery, then the call).
const GRACE: Duration = Duration::from_secs(5);
/// How much of kubectl's stderr is kept.
const STDERR_CAP: u64 = 64 * 1024;
/// How much of kubectl's stdout is kept; a bigger answer is an error, never an OOM.
const STDOUT_CAP: u64 = 1024 * 1024 * 1024;
/// How often a running child is checked for exit, timeout and cancellation.
const POLL: Duration = Duration::from_millis(10);

/// Why one kubectl call produced no usable output.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// kubectl could not be started.
    #[error("cannot start {program}: {source}")]
    Spawn {
        /// The program we tried to start.
        program: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// kubectl ran over its timeout and was killed.
    #[error("timed out after {}s and was killed", .after.as_secs())]
    TimedOut {
        /// The process timeout that was exceeded.
        after: Duration,
        /// What kubectl had written to stderr until then.
        stderr: String,
    },
    /// The user pressed Ctrl-C while kubectl was running.
    #[error("cancelled")]
    Cancelled,
    /// kubectl exited with a non-zero status.
    #[error("exited with status {code}")]
    Failed {
        /// The exit code (128 + signal number when killed by a signal).
        code: i32,
        /// kubectl's own stderr.
        stderr: String,
        /// What kubectl printed on stdout (e.g. `kubectl version` prints the client
        /// version even when the server is unreachable).
        stdout: Vec<u8>,
    },
    /// Reading kubectl's output failed, or it was larger than we keep.
    #[error("reading kubectl output: {0}")]
    Output(String),
}

impl RunError {
    /// The exit code to record in the manifest.
    pub fn exit_code(&self) -> i32 {
        match self {
            RunError::Spawn { .. } => EXIT_NOT_STARTED,
            RunError::TimedOut { .. } => EXIT_TIMED_OUT,
            RunError::Cancelled => EXIT_CANCELLED,
            RunError::Failed { code, .. } => *code,
            RunError::Output(_) => 0,
        }
    }

    /// kubectl's stderr, or our own words when kubectl had none.
    pub fn stderr(&self) -> String {
        match self {
            RunError::Failed { stderr, .. } if !stderr.trim().is_empty() => stderr.clone(),
            RunError::TimedOut { stderr, .. } if !stderr.trim().is_empty() => {
                format!("{}\n({self})", stderr.trim_end())
            }
            other => other.to_string(),
        }
    }

    /// True when the failure means the API server cannot be reached at all (refused,
    /// timeout, DNS, TLS), as opposed to a refusal or a missing resource.
    pub fn is_unreachable(&self) -> bool {
        match self {
            RunError::TimedOut { stderr, .. } => !is_login_prompt(stderr),
            RunError::Failed { stderr, .. } => is_unreachable_message(stderr),
            _ => false,
        }
    }

    /// True when RBAC refused a cluster-wide list (`... is forbidden: User "..." cannot list
    /// resource "pods" in API group "" at the cluster scope`).
    pub fn is_cluster_scope_forbidden(&self) -> bool {
        matches!(self, RunError::Failed { stderr, .. }
            if stderr.contains("forbidden") && stderr.contains("at the cluster scope"))
    }

    /// True when the server does not serve the resource at all: kubectl found no such type
    /// in discovery (`error: the server doesn't have a resource type "..."`: an older
    /// Kubernetes, a disabled beta API, a CRD not installed), or the server answered a list
    /// with 404 (`Error from server (NotFound): the server could not find the requested
    /// resource`). Not an RBAC refusal: those are 403.
    pub fn is_not_served(&self) -> bool {
        matches!(self, RunError::Failed { stderr, .. }
            if stderr.contains("doesn't have a resource type")
                || stderr.contains("the server could not find the requested resource"))
    }

    /// True when a named object does not exist (`Error from server (NotFound): configmaps
    /// "cluster-autoscaler-status" not found`).
    pub fn is_not_found(&self) -> bool {
        matches!(self, RunError::Failed { stderr, .. }
            if stderr.contains("(NotFound)") && stderr.contains("not found"))
    }

    /// True when kubectl's credential plugin was waiting for the user to sign in
    /// interactively (kubelogin's device code flow), which cannot happen without a terminal.
    pub fn needs_login(&self) -> bool {
        match self {
            RunError::TimedOut { stderr, .. } | RunError::Failed { stderr, .. } => {
                is_login_prompt(stderr)
            }
            _ => false,
        }
    }
}

/// An interactive sign-in prompt (Entra ID device code flow, as kubelogin prints it).
pub fn is_login_prompt(stderr: &str) -> bool {
    const SIGNS: &[&str] = &["microsoft.com/devicelogin", "To sign in, use a web browser"];
    SIGNS.iter().any(|sign| stderr.contains(sign))
}

/// kubectl's (Go's) wording for "the server could not be reached".
pub fn is_unreachable_message(stderr: &str) -> bool {
    const SIGNS: &[&str] = &[
        "Unable to connect to the server",
        "connection refused",
        "was refused",
        "i/o timeout",
        "no such host",
        "TLS handshake timeout",
        "context deadline exceeded",
        "Client.Timeout exceeded",
        "connectex:",
        "network is unreachable",
        "no route to host",
        "x509:",
        "tls: ",
        "connection reset by peer",
        "EOF",
    ];
    SIGNS.iter().any(|sign| stderr.contains(sign))
}

/// Owned arguments from string literals: `args(&["get", "nodes"])`.
pub fn args(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|s| s.to_string()).collect()
}

/// A configured kubectl.
#[derive(Debug, Clone)]
pub struct Kubectl {
    program: PathBuf,
    global: Vec<OsString>,
    cancel: CancelToken,
}

impl Kubectl {
    /// kubectl at `program`, with `--kubeconfig`/`--context` added to every call when given.
    pub fn new(
        program: &Path,
        kubeconfig: Option<&Path>,
        context: Option<&str>,
        cancel: CancelToken,
    ) -> Self {
        let mut global = Vec::new();
        if let Some(path) = kubeconfig {
            global.push(OsString::from("--kubeconfig"));
            global.push(path.as_os_str().to_owned());
        }
        if let Some(ctx) = context {
            global.push(OsString::from("--context"));
            global.push(OsString::from(ctx));
        }
        Kubectl {
            program: program.to_owned(),
            global,
            cancel,
        }
    }

    /// The same kubectl, but deaf to Ctrl-C: for the clean-up that must run after it.
    pub fn uncancellable(&self) -> Self {
        Kubectl {
            cancel: CancelToken::default(),
            ..self.clone()
        }
    }

    /// The command as the manifest shows it: `kubectl get pods -A -o json` (global flags
    /// left out; they are the same for every call).
    pub fn display(&self, args: &[String]) -> String {
        let name = self
            .program
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "kubectl".into());
        std::iter::once(name)
            .chain(args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Runs `kubectl <global flags> --request-timeout=<timeout> <args>` and returns stdout.
    /// The process is killed when it runs over `timeout` plus a short grace, or when the
    /// cancel token trips.
    pub fn run(&self, args: &[String], timeout: Duration) -> Result<Vec<u8>, RunError> {
        if self.cancel.is_cancelled() {
            return Err(RunError::Cancelled);
        }
        let mut child = self.spawn(args, timeout)?;
        let stdout = child.stdout.take().map(|out| capture(out, STDOUT_CAP));
        let stderr = child.stderr.take().map(|err| capture(err, STDERR_CAP));
        let limit = timeout + GRACE;
        let outcome = self.wait(&mut child, limit);
        let stdout = stdout.map(join_capture).unwrap_or(Ok((Vec::new(), false)));
        let stderr_text = stderr_text(stderr);
        match outcome {
            Waited::Exited(status) => {
                let (out, truncated) = stdout.map_err(|e| RunError::Output(e.to_string()))?;
                if status.success() {
                    if truncated {
                        return Err(RunError::Output(format!(
                            "more than {STDOUT_CAP} bytes of output"
                        )));
                    }
                    Ok(out)
                } else {
                    Err(RunError::Failed {
                        code: exit_code(status),
                        stderr: stderr_text,
                        stdout: out,
                    })
                }
            }
            Waited::TimedOut => Err(RunError::TimedOut {
                after: limit,
                stderr: stderr_text,
            }),
            Waited::Cancelled => Err(RunError::Cancelled),
            Waited::WaitFailed(e) => Err(RunError::Output(e.to_string())),
        }
    }

    /// Runs kubectl like [`Kubectl::run`] but passes its stdout to `sink` as it arrives,
    /// never holding more than one read in memory. At `cap` bytes the rest is refused:
    /// kubectl (its whole process group) is killed and what was read is kept. An error of
    /// `sink` (the bundle cannot be written) stops kubectl and is returned as such.
    pub fn stream(
        &self,
        args: &[String],
        timeout: Duration,
        cap: u64,
        sink: &mut dyn Write,
    ) -> std::io::Result<Streamed> {
        let mut streamed = Streamed::default();
        if self.cancel.is_cancelled() {
            streamed.error = Some(RunError::Cancelled);
            return Ok(streamed);
        }
        let mut child = match self.spawn(args, timeout) {
            Ok(child) => child,
            Err(e) => {
                streamed.error = Some(e);
                return Ok(streamed);
            }
        };
        let stderr = child.stderr.take().map(|err| capture(err, STDERR_CAP));
        let (tx, rx) = std::sync::mpsc::sync_channel::<std::io::Result<Vec<u8>>>(4);
        if let Some(mut out) = child.stdout.take() {
            std::thread::spawn(move || loop {
                let mut chunk = vec![0u8; STREAM_CHUNK];
                match out.read(&mut chunk) {
                    Ok(0) => break,
                    Ok(n) => {
                        chunk.truncate(n);
                        if tx.send(Ok(chunk)).is_err() {
                            break;
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        break;
                    }
                }
            });
        }
        let limit = timeout + GRACE;
        let deadline = Instant::now() + limit;
        let mut stopped: Option<Waited> = None;
        loop {
            match rx.recv_timeout(POLL) {
                Ok(Ok(chunk)) => {
                    let room = cap.saturating_sub(streamed.bytes);
                    let take = (chunk.len() as u64).min(room) as usize;
                    if let Err(e) = sink.write_all(&chunk[..take]) {
                        kill(&mut child);
                        return Err(e);
                    }
                    streamed.bytes += take as u64;
                    if take < chunk.len() {
                        streamed.truncated = true;
                        kill(&mut child);
                        break;
                    }
                }
                Ok(Err(e)) => {
                    kill(&mut child);
                    streamed.error = Some(RunError::Output(e.to_string()));
                    break;
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    if self.cancel.is_cancelled() {
                        kill(&mut child);
                        stopped = Some(Waited::Cancelled);
                        break;
                    }
                    if Instant::now() >= deadline {
                        kill(&mut child);
                        stopped = Some(Waited::TimedOut);
                        break;
                    }
                }
            }
        }
        drop(rx);
        let outcome = match stopped {
            Some(w) => w,
            None if streamed.truncated || streamed.error.is_some() => return Ok(streamed),
            None => self.wait(
                &mut child,
                deadline.saturating_duration_since(Instant::now()),
            ),
        };
        let stderr_text = stderr_text(stderr);
        streamed.error = match outcome {
            Waited::Exited(status) if status.success() => None,
            Waited::Exited(status) => Some(RunError::Failed {
                code: exit_code(status),
                stderr: stderr_text,
                stdout: Vec::new(),
            }),
            Waited::TimedOut => Some(RunError::TimedOut {
                after: limit,
                stderr: stderr_text,
            }),
            Waited::Cancelled => Some(RunError::Cancelled),
            Waited::WaitFailed(e) => Some(RunError::Output(e.to_string())),
        };
        Ok(streamed)
    }

    /// Starts kubectl with the global flags, in its own process group, stdout and stderr piped.
    fn spawn(&self, args: &[String], timeout: Duration) -> Result<Child, RunError> {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.global)
            .arg(format!("--request-timeout={}s", timeout.as_secs().max(1)))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        #[cfg(unix)]
        {
            // Own process group: Ctrl-C in the terminal reaches us, not kubectl (we stop it
            // ourselves after cleaning up), and a kill reaches credential plugins too.
            use std::os::unix::process::CommandExt;
            cmd.process_group(0);
        }
        cmd.spawn().map_err(|source| RunError::Spawn {
            program: self.program.clone(),
            source,
        })
    }

    fn wait(&self, child: &mut Child, limit: Duration) -> Waited {
        let deadline = Instant::now() + limit;
        loop {
            match child.try_wait() {
                Ok(Some(status)) => return Waited::Exited(status),
                Ok(None) => {}
                Err(e) => {
                    kill(child);
                    return Waited::WaitFailed(e);
                }
            }
            if self.cancel.is_cancelled() {
                kill(child);
                return Waited::Cancelled;
            }
            if Instant::now() >= deadline {
                kill(child);
                return Waited::TimedOut;
            }
            std::thread::sleep(POLL);
        }
    }
}

/// What [`Kubectl::stream`] passed on.
#[derive(Debug, Default)]
pub struct Streamed {
    /// Bytes of kubectl's stdout written to the sink.
    pub bytes: u64,
    /// True when kubectl had more than the cap to say and was stopped there.
    pub truncated: bool,
    /// Why kubectl failed, when it did (what it wrote before is in the sink all the same).
    pub error: Option<RunError>,
}

/// One read of a streamed stdout.
const STREAM_CHUNK: usize = 64 * 1024;

fn stderr_text(stderr: Option<Capture>) -> String {
    stderr
        .map(join_capture)
        .and_then(Result::ok)
        .map(|(bytes, _)| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
}

enum Waited {
    Exited(ExitStatus),
    TimedOut,
    Cancelled,
    WaitFailed(std::io::Error),
}

type Capture = std::thread::JoinHandle<std::io::Result<(Vec<u8>, bool)>>;

/// Reads a pipe to its end on a thread, keeping at most `cap` bytes (the rest is drained so
/// the child never blocks on a full pipe). The flag says whether bytes were dropped.
fn capture(pipe: impl Read + Send + 'static, cap: u64) -> Capture {
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut pipe = pipe;
        (&mut pipe).take(cap).read_to_end(&mut kept)?;
        let dropped = std::io::copy(&mut pipe, &mut std::io::sink())?;
        Ok((kept, dropped > 0))
    })
}

fn join_capture(handle: Capture) -> std::io::Result<(Vec<u8>, bool)> {
    handle
        .join()
        .unwrap_or_else(|_| Err(std::io::Error::other("output reader panicked")))
}

/// Kills the child's whole process group (credential plugins included), then reaps it.
fn kill(child: &mut Child) {
    #[cfg(unix)]
    {
        if let Ok(pid) = i32::try_from(child.id()) {
            // SAFETY: kill(2) with a negative pid signals the process group we created for
            // this child (process_group(0) makes its pgid equal its pid); it touches no memory.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn exit_code(status: ExitStatus) -> i32 {
    if let Some(code) = status.code() {
        return code;
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return 128 + signal;
        }
    }
    -1
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;

    /// A fake kubectl: a shell script with the given body.
    fn fake(dir: &Path, body: &str) -> PathBuf {
        let path = dir.join("kubectl");
        let mut f = std::fs::File::create(&path).unwrap();
        writeln!(f, "#!/bin/sh\n{body}").unwrap();
        drop(f);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    fn kubectl(path: &Path) -> Kubectl {
        Kubectl::new(
            path,
            Some(Path::new("/tmp/kc")),
            Some("prod"),
            CancelToken::default(),
        )
    }

    #[test]
    fn passes_global_flags_first_and_returns_stdout() {
        let dir = tempfile::tempdir().unwrap();
        let k = kubectl(&fake(dir.path(), r#"echo "$@""#));
        let out = k
            .run(&["get".into(), "pods".into()], Duration::from_secs(7))
            .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "--kubeconfig /tmp/kc --context prod --request-timeout=7s get pods\n"
        );
        assert_eq!(
            k.display(&["get".into(), "pods".into()]),
            "kubectl get pods"
        );
    }

    #[test]
    fn failure_keeps_exit_code_and_stderr() {
        let dir = tempfile::tempdir().unwrap();
        let k = kubectl(&fake(
            dir.path(),
            "echo 'error: the server has asked for the client to provide credentials' >&2; exit 1",
        ));
        let err = k.run(&[], Duration::from_secs(5)).unwrap_err();
        assert_eq!(err.exit_code(), 1);
        assert!(err.stderr().contains("provide credentials"));
        assert!(!err.is_unreachable());
    }

    #[test]
    fn a_hanging_kubectl_is_killed_at_its_timeout() {
        let dir = tempfile::tempdir().unwrap();
        // The child of the script holds the pipes too: killing only the script would hang.
        let k = kubectl(&fake(dir.path(), "sleep 60 & sleep 60"));
        let started = Instant::now();
        let err = k.run(&[], Duration::from_millis(100)).unwrap_err();
        assert!(matches!(err, RunError::TimedOut { .. }), "{err:?}");
        assert_eq!(err.exit_code(), EXIT_TIMED_OUT);
        assert!(err.is_unreachable());
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn cancellation_stops_a_running_kubectl() {
        let dir = tempfile::tempdir().unwrap();
        let cancel = CancelToken::default();
        let k = Kubectl::new(&fake(dir.path(), "sleep 60"), None, None, cancel.clone());
        let trip = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            cancel.cancel();
        });
        let started = Instant::now();
        // The fake was just written: a fork in another test thread can still hold its
        // write descriptor, and exec then fails with ETXTBSY (26). Start it again.
        let err = loop {
            match k.run(&[], Duration::from_secs(60)) {
                Err(RunError::Spawn { source, .. }) if source.raw_os_error() == Some(26) => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                other => break other.unwrap_err(),
            }
        };
        trip.join().unwrap();
        assert!(matches!(err, RunError::Cancelled), "{err}");
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn regression_endless_pod_log_is_cut_at_the_cap_and_kubectl_killed() {
        let dir = tempfile::tempdir().unwrap();
        // An endless log, from a child of the script: only a process-group kill stops it.
        let k = kubectl(&fake(
            dir.path(),
            "yes '2026-11-22T04:00:00Z endless log line from a runaway container' & wait",
        ));
        let cap = 1024 * 1024;
        let mut sink = Vec::new();
        let started = Instant::now();
        let streamed = k
            .stream(&[], Duration::from_secs(30), cap, &mut sink)
            .unwrap();
        assert!(streamed.truncated);
        assert!(streamed.error.is_none(), "{:?}", streamed.error);
        assert_eq!(streamed.bytes, cap);
        assert_eq!(sink.len() as u64, cap);
        assert!(sink.starts_with(b"2026-11-22T04:00:00Z endless"));
        assert!(started.elapsed() < Duration::from_secs(20));
    }

    #[test]
    fn streaming_keeps_a_failures_output_and_words() {
        let dir = tempfile::tempdir().unwrap();
        let k = kubectl(&fake(
            dir.path(),
            "echo 'partial line'; echo 'error: container not found' >&2; exit 1",
        ));
        let mut sink = Vec::new();
        let streamed = k
            .stream(&[], Duration::from_secs(5), 1024, &mut sink)
            .unwrap();
        assert!(!streamed.truncated);
        assert_eq!(sink, b"partial line\n");
        let err = streamed.error.unwrap();
        assert_eq!(err.exit_code(), 1);
        assert!(err.stderr().contains("container not found"));
    }

    #[test]
    fn a_hanging_stream_is_killed_at_its_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let k = kubectl(&fake(dir.path(), "echo started; sleep 60 & sleep 60"));
        let mut sink = Vec::new();
        let started = Instant::now();
        let streamed = k
            .stream(&[], Duration::from_millis(100), 1024, &mut sink)
            .unwrap();
        assert!(matches!(streamed.error, Some(RunError::TimedOut { .. })));
        assert_eq!(sink, b"started\n");
        assert!(started.elapsed() < Duration::from_secs(20));
    }

    #[test]
    fn a_missing_binary_is_a_spawn_error() {
        let k = kubectl(Path::new("/nonexistent/kubectl"));
        let err = k.run(&[], Duration::from_secs(1)).unwrap_err();
        assert!(matches!(err, RunError::Spawn { .. }));
        assert_eq!(err.exit_code(), EXIT_NOT_STARTED);
    }

    #[test]
    fn a_device_code_prompt_is_not_an_unreachable_server() {
        let err = RunError::TimedOut {
            after: Duration::from_secs(15),
            stderr: "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code F7GH2JK9L to authenticate.".into(),
        };
        assert!(err.needs_login());
        assert!(!err.is_unreachable());
        let silent = RunError::TimedOut {
            after: Duration::from_secs(15),
            stderr: String::new(),
        };
        assert!(silent.is_unreachable() && !silent.needs_login());
    }

    #[test]
    fn cluster_scope_refusal_is_recognised() {
        let failed = |stderr: &str| RunError::Failed {
            code: 1,
            stderr: stderr.into(),
            stdout: Vec::new(),
        };
        assert!(failed("Error from server (Forbidden): pods is forbidden: User \"alice@contoso.com\" cannot list resource \"pods\" in API group \"\" at the cluster scope").is_cluster_scope_forbidden());
        assert!(!failed("Error from server (Forbidden): pods is forbidden: User \"alice\" cannot list resource \"pods\" in API group \"\" in the namespace \"prod\"").is_cluster_scope_forbidden());
        assert!(
            !failed("error: the server doesn't have a resource type \"nodenetworkconfigs\"")
                .is_cluster_scope_forbidden()
        );
    }

    #[test]
    fn unserved_kinds_and_missing_objects_are_recognised() {
        let failed = |stderr: &str| RunError::Failed {
            code: 1,
            stderr: stderr.into(),
            stdout: Vec::new(),
        };
        // kubectl 1.20 and today's, for a type missing from discovery.
        let unserved = failed(
            "error: the server doesn't have a resource type \"validatingadmissionpolicies\"\n",
        );
        assert!(unserved.is_not_served() && !unserved.is_not_found());
        let gone = failed(
            "Error from server (NotFound): the server could not find the requested resource",
        );
        assert!(gone.is_not_served());
        let missing = failed(
            "Error from server (NotFound): configmaps \"cluster-autoscaler-status\" not found",
        );
        assert!(missing.is_not_found() && !missing.is_not_served());
        let refused = failed("Error from server (Forbidden): apiservices.apiregistration.k8s.io is forbidden: User \"alice\" cannot list resource \"apiservices\" in API group \"apiregistration.k8s.io\" at the cluster scope");
        assert!(!refused.is_not_served() && !refused.is_not_found());
    }

    #[test]
    fn unreachable_wording() {
        for msg in [
            "Unable to connect to the server: dial tcp 20.1.2.3:443: i/o timeout",
            "The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?\nconnection refused",
            "Unable to connect to the server: dial tcp: lookup prod-x.hcp.westeurope.azmk8s.io: no such host",
            "Unable to connect to the server: net/http: TLS handshake timeout",
        ] {
            assert!(is_unreachable_message(msg), "{msg}");
        }
        assert!(!is_unreachable_message(
            "Error from server (Forbidden): pods is forbidden: User \"x\" cannot list resource \"pods\""
        ));
    }
}
