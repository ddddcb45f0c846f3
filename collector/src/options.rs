//! What to collect and how: the library's view of the `collect` flags, with defaults, and
//! the cancellation token that Ctrl-C trips.

use crate::error::CollectError;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Default image for `--node-ipam` debug pods: small, and pullable from AKS without egress
/// to Docker Hub.
pub const DEFAULT_DEBUG_IMAGE: &str = "mcr.microsoft.com/cbl-mariner/busybox:2.0";

/// Options of one `collect` run. Build with [`Options::default`] and change fields.
#[derive(Debug, Clone)]
pub struct Options {
    /// The kubectl binary to drive. Default: `kubectl` (found on `PATH`).
    pub kubectl: PathBuf,
    /// Passed as `--kubeconfig`. Default: none, so kubectl honours `$KUBECONFIG` itself
    /// (which may list several files).
    pub kubeconfig: Option<PathBuf>,
    /// Passed as `--context`. Default: the kubeconfig's current context.
    pub context: Option<String>,
    /// Namespaces to collect. Default: empty, meaning all of them.
    pub namespaces: Vec<String>,
    /// Log window handed to `kubectl logs --since`. Default: `1h`.
    pub since: Since,
    /// Lines kept of each container log (`kubectl logs --tail`). Default: 1,000.
    pub max_log_lines: u64,
    /// Bytes kept of each container log: its last bytes, from a line start. Default: 256 KiB.
    pub max_log_bytes: u64,
    /// Total bytes of all container logs, spent on unhealthy pods first, then AKS add-ons,
    /// then the rest; what it cannot pay for is listed in the manifest. Default: 256 MiB.
    pub log_budget: u64,
    /// Start a debug pod on each node to count IPAM store files. Default: false.
    pub node_ipam: bool,
    /// Start a debug pod on each Linux node to read its kubelet and containerd journals,
    /// resolv.conf, certificate end dates, disk use and provisioning log. Default: false.
    pub node_logs: bool,
    /// Image of the node debug pods. Default: [`DEFAULT_DEBUG_IMAGE`].
    pub debug_image: String,
    /// Text files the user adds under `attachments/`. Default: none.
    pub attachments: Vec<PathBuf>,
    /// Output file, or an existing directory to write the default name into.
    /// Default: `aksbundle-<context>-<YYYYMMDDTHHMMSSZ>.tar.gz` in the current directory.
    pub output: Option<PathBuf>,
    /// kubectl processes running at once. Default: 8.
    pub parallelism: usize,
    /// Per-call timeout: passed as `--request-timeout` and enforced on the process (plus a
    /// short grace), which is killed when it runs over. Default: 30 s.
    pub request_timeout: Duration,
    /// Timeout of the first reachability probe (`kubectl version`). Default: 10 s.
    pub probe_timeout: Duration,
    /// Draw a progress bar on stderr. Default: true when stderr is a terminal.
    pub progress: bool,
    /// Trips when the user presses Ctrl-C. The collector also trips it itself when writing
    /// the bundle fails, to stop the remaining calls. Default: a fresh, untripped token.
    pub cancel: CancelToken,
}

impl Default for Options {
    fn default() -> Self {
        use std::io::IsTerminal;
        Options {
            kubectl: PathBuf::from("kubectl"),
            kubeconfig: None,
            context: None,
            namespaces: Vec::new(),
            since: Since::default(),
            max_log_lines: crate::logs::DEFAULT_LOG_LINES,
            max_log_bytes: crate::logs::DEFAULT_LOG_BYTES,
            log_budget: crate::logs::DEFAULT_LOG_BUDGET,
            node_ipam: false,
            node_logs: false,
            debug_image: DEFAULT_DEBUG_IMAGE.to_string(),
            attachments: Vec::new(),
            output: None,
            parallelism: 8,
            request_timeout: Duration::from_secs(30),
            probe_timeout: Duration::from_secs(10),
            progress: std::io::stderr().is_terminal(),
            cancel: CancelToken::default(),
        }
    }
}

impl Options {
    /// Checks the values no kubectl call would catch early enough.
    pub fn validate(&self) -> Result<(), CollectError> {
        if self.parallelism == 0 {
            return Err(CollectError::InvalidOption {
                option: "parallelism",
                reason: "must be at least 1".into(),
            });
        }
        if self.request_timeout.is_zero() || self.probe_timeout.is_zero() {
            return Err(CollectError::InvalidOption {
                option: "timeout",
                reason: "must be more than zero".into(),
            });
        }
        if self.max_log_lines == 0 || self.max_log_bytes == 0 {
            return Err(CollectError::InvalidOption {
                option: "max-log-lines/max-log-bytes",
                reason: "must be at least 1 (use --log-budget 0 to collect no container log)"
                    .into(),
            });
        }
        if let Some(bad) = self.namespaces.iter().find(|ns| !is_dns_label(ns)) {
            return Err(CollectError::InvalidOption {
                option: "namespace",
                reason: format!("`{bad}` is not a valid namespace name"),
            });
        }
        Ok(())
    }

    /// True when every namespace is collected.
    pub fn all_namespaces(&self) -> bool {
        self.namespaces.is_empty()
    }
}

/// A namespace name is an RFC 1123 label; checking it keeps paths in the bundle safe.
fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// A log window in kubectl's duration syntax (`90s`, `30m`, `1h`, `2h30m`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Since {
    text: String,
    seconds: u64,
}

impl Default for Since {
    fn default() -> Self {
        Since {
            text: "1h".into(),
            seconds: 3600,
        }
    }
}

impl Since {
    /// As written, for kubectl and the manifest.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Length of the window in seconds.
    pub fn seconds(&self) -> u64 {
        self.seconds
    }
}

impl std::str::FromStr for Since {
    type Err = CollectError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |reason: &str| CollectError::InvalidOption {
            option: "since",
            reason: format!("`{s}`: {reason} (examples: 30m, 1h, 2h30m)"),
        };
        let mut seconds: u64 = 0;
        let mut digits = String::new();
        for c in s.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            let unit = match c {
                'h' => 3600,
                'm' => 60,
                's' => 1,
                _ => return Err(bad("unknown unit")),
            };
            let n: u64 = digits
                .parse()
                .map_err(|_| bad("a number must come before each unit"))?;
            seconds = n
                .checked_mul(unit)
                .and_then(|v| seconds.checked_add(v))
                .ok_or_else(|| bad("too long"))?;
            digits.clear();
        }
        if !digits.is_empty() {
            return Err(bad("a unit (h, m, s) must follow the number"));
        }
        if seconds == 0 {
            return Err(bad("must be longer than zero"));
        }
        Ok(Since {
            text: s.to_string(),
            seconds,
        })
    }
}

/// Shared flag that stops the collection: running kubectl processes are killed, debug pods
/// deleted, and the temporary bundle removed.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// Trips the token.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// True once tripped.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// Trips this token on Ctrl-C (SIGINT) and SIGTERM. A process can install only one such
    /// handler; a second call returns the `ctrlc` error.
    pub fn cancel_on_ctrlc(&self) -> Result<(), ctrlc::Error> {
        let token = self.clone();
        ctrlc::set_handler(move || token.cancel())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_parses_kubectl_durations() {
        assert_eq!("1h".parse::<Since>().unwrap().seconds(), 3600);
        assert_eq!("2h30m".parse::<Since>().unwrap().seconds(), 9000);
        assert_eq!("90s".parse::<Since>().unwrap().as_str(), "90s");
        for bad in ["", "h", "10", "1d", "0m", "-1h", "1.5h"] {
            assert!(bad.parse::<Since>().is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn validate_rejects_unsafe_namespaces_and_zero_parallelism() {
        let mut opts = Options::default();
        assert!(opts.validate().is_ok());
        opts.namespaces = vec!["../etc".into()];
        assert!(opts.validate().is_err());
        opts.namespaces = vec!["kube-system".into()];
        assert!(opts.validate().is_ok());
        opts.parallelism = 0;
        assert!(opts.validate().is_err());
    }

    #[test]
    fn cancel_token_is_shared_between_clones() {
        let a = CancelToken::default();
        let b = a.clone();
        assert!(!b.is_cancelled());
        a.cancel();
        assert!(b.is_cancelled());
    }
}
