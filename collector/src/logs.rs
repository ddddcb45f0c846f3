//! Container log tails: which pods come first when the total log budget is short
//! (unhealthy pods, then AKS add-ons, then the rest), the budget itself, and the buffer that
//! keeps the end of a log.
//!
//! Every container of every collected pod gets a bounded tail (`--max-log-lines`,
//! `--max-log-bytes`); the sum of what is written is bounded by `--log-budget`. Logs the
//! budget could not pay for are listed in `manifest.json` (`logs.skipped`), never dropped
//! silently.

use crate::plan::{self, LogReason};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Mutex;

/// Default number of lines kept of each container log.
pub const DEFAULT_LOG_LINES: u64 = 1000;
/// Default byte cap of each container log.
pub const DEFAULT_LOG_BYTES: u64 = 256 * 1024;
/// Default total of all container logs.
pub const DEFAULT_LOG_BUDGET: u64 = 256 * 1024 * 1024;
/// How many times the per-log cap kubectl may transfer (`--limit-bytes`) so that the last
/// bytes of the tail can be kept when its lines are long.
pub const TRANSFER_FACTOR: u64 = 4;

/// Waiting reasons that mean a container is failing, not starting.
const NORMAL_WAITING: &[&str] = &["ContainerCreating", "PodInitializing"];

/// Order in which logs are paid from the budget: lower first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// Not Ready, restarting, or waiting with an error reason.
    Unhealthy,
    /// An AKS add-on or platform component (CoreDNS, konnectivity, CSI, ...), healthy.
    Component,
    /// Everything else.
    Other,
}

/// The priority of a pod's logs. A pod is unhealthy when it is not Ready (and did not
/// complete), when any container restarted, or when any container waits with a reason
/// other than starting up (`CrashLoopBackOff`, `ImagePullBackOff`,
/// `CreateContainerConfigError`, ...) or ended with a non-zero exit code.
pub fn priority(pod: &Value) -> Priority {
    if is_unhealthy(pod) {
        Priority::Unhealthy
    } else if plan::log_reason(pod) == Some(LogReason::Component) {
        Priority::Component
    } else {
        Priority::Other
    }
}

fn is_unhealthy(pod: &Value) -> bool {
    if !plan::is_ready(pod) {
        return true;
    }
    if pod["status"]["phase"].as_str() == Some("Succeeded") {
        return false;
    }
    ["initContainerStatuses", "containerStatuses"]
        .iter()
        .flat_map(|k| pod["status"][*k].as_array().into_iter().flatten())
        .any(|s| {
            let restarted = s["restartCount"].as_u64().unwrap_or(0) > 0;
            let waiting = s["state"]["waiting"]["reason"]
                .as_str()
                .is_some_and(|r| !NORMAL_WAITING.contains(&r));
            let failed = s["state"]["terminated"]["exitCode"]
                .as_i64()
                .is_some_and(|c| c != 0);
            restarted || waiting || failed
        })
}

/// The total log budget: reservations are taken before a fetch and settled with what was
/// written after it, so logs running at once never overspend it together.
#[derive(Debug)]
pub struct LogBudget {
    total: u64,
    state: Mutex<BudgetState>,
}

#[derive(Debug, Default)]
struct BudgetState {
    spent: u64,
    reserved: u64,
}

impl LogBudget {
    /// A budget of `total` bytes.
    pub fn new(total: u64) -> Self {
        LogBudget {
            total,
            state: Mutex::default(),
        }
    }

    /// Reserves up to `want` bytes; `None` when nothing is left.
    pub fn reserve(&self, want: u64) -> Option<u64> {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let left = self.total.saturating_sub(s.spent + s.reserved);
        let got = want.min(left);
        if got == 0 {
            return None;
        }
        s.reserved += got;
        Some(got)
    }

    /// Returns a reservation, counting `used` bytes as spent.
    pub fn settle(&self, reserved: u64, used: u64) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.reserved = s.reserved.saturating_sub(reserved);
        s.spent += used;
    }

    /// Bytes spent so far (settled reservations).
    pub fn spent(&self) -> u64 {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).spent
    }
}

/// The `logs` section of `manifest.json`: the bounds used and what the budget left out.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct LogsReport {
    /// `--max-log-lines`.
    pub max_lines: u64,
    /// `--max-log-bytes`.
    pub max_bytes: u64,
    /// `--log-budget`.
    pub budget: u64,
    /// Bytes of container logs written.
    pub written: u64,
    /// Logs not fetched because the budget was spent, by bundle path
    /// (`logs/<ns>/<pod>/<container>[.previous].log`), in the order they were due.
    pub skipped: Vec<String>,
    /// Logs cut shorter than `max_bytes` because the budget ran out while fetching them.
    pub cut: Vec<String>,
}

/// Keeps the last `cap` bytes written to it, starting at a line boundary when anything
/// before was dropped (half a line could hold half a token, and it reads badly).
#[derive(Debug)]
pub struct TailBuffer {
    cap: usize,
    buf: Vec<u8>,
    dropped: bool,
}

impl TailBuffer {
    /// A buffer keeping at most `cap` bytes.
    pub fn new(cap: u64) -> Self {
        TailBuffer {
            cap: usize::try_from(cap).unwrap_or(usize::MAX),
            buf: Vec::new(),
            dropped: false,
        }
    }

    /// True when bytes were dropped from the front.
    pub fn dropped(&self) -> bool {
        self.dropped
    }

    /// The kept bytes: the last `cap`, from the first line start among them when the front
    /// was dropped.
    pub fn into_tail(self) -> Vec<u8> {
        let mut buf = self.buf;
        if self.dropped {
            match buf.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    buf.drain(..=i);
                }
                None => buf.clear(),
            }
        }
        buf
    }
}

impl std::io::Write for TailBuffer {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if data.len() >= self.cap {
            self.buf.clear();
            self.buf.extend_from_slice(&data[data.len() - self.cap..]);
            self.dropped = true;
        } else {
            let over = (self.buf.len() + data.len()).saturating_sub(self.cap);
            if over > 0 {
                self.buf.drain(..over);
                self.dropped = true;
            }
            self.buf.extend_from_slice(data);
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::io::Write;

    fn pod(labels: Value, ready: bool, statuses: Value) -> Value {
        json!({
            "metadata": {"namespace": "kube-system", "name": "p", "labels": labels},
            "status": {
                "phase": "Running",
                "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}],
                "containerStatuses": statuses
            }
        })
    }

    #[test]
    fn unhealthy_pods_come_before_add_ons_before_the_rest() {
        let running = json!([{"name": "c", "restartCount": 0, "state": {"running": {}}}]);
        let coredns = pod(json!({"k8s-app": "kube-dns"}), true, running.clone());
        let web = pod(json!({"app": "web"}), true, running.clone());
        assert_eq!(priority(&coredns), Priority::Component);
        assert_eq!(priority(&web), Priority::Other);
        assert_eq!(
            priority(&pod(json!({"app": "web"}), false, running.clone())),
            Priority::Unhealthy
        );
        // Ready but restarted: a liveness probe kills it now and then.
        let restarted = json!([{"name": "c", "restartCount": 3, "state": {"running": {}}}]);
        assert_eq!(
            priority(&pod(json!({"k8s-app": "kube-dns"}), true, restarted)),
            Priority::Unhealthy
        );
        // A sidecar waiting on a bad image while the pod still counts as Ready.
        let pulling = json!([
            {"name": "c", "restartCount": 0, "state": {"running": {}}},
            {"name": "s", "restartCount": 0, "state": {"waiting": {"reason": "ImagePullBackOff"}}}
        ]);
        assert_eq!(
            priority(&pod(json!({}), true, pulling)),
            Priority::Unhealthy
        );
        let creating = json!([{"name": "c", "restartCount": 0, "state": {"waiting": {"reason": "ContainerCreating"}}}]);
        assert_eq!(priority(&pod(json!({}), true, creating)), Priority::Other);
        assert!(Priority::Unhealthy < Priority::Component && Priority::Component < Priority::Other);
    }

    #[test]
    fn the_budget_is_never_overspent_by_logs_running_at_once() {
        let budget = LogBudget::new(1000);
        assert_eq!(budget.reserve(400), Some(400));
        assert_eq!(budget.reserve(400), Some(400));
        // Only 200 left while the two above are in flight.
        assert_eq!(budget.reserve(400), Some(200));
        assert_eq!(budget.reserve(400), None);
        // The first wrote less than it reserved: the rest comes back.
        budget.settle(400, 100);
        assert_eq!(budget.reserve(400), Some(300));
        budget.settle(400, 400);
        budget.settle(200, 200);
        budget.settle(300, 0);
        assert_eq!(budget.spent(), 700);
        assert_eq!(budget.reserve(1000), Some(300));
    }

    #[test]
    fn tail_buffer_keeps_the_end_from_a_line_start() {
        let mut t = TailBuffer::new(16);
        t.write_all(b"line one\nline two\n").unwrap();
        t.write_all(b"line three\n").unwrap();
        assert!(t.dropped());
        assert_eq!(t.into_tail(), b"line three\n");

        let mut t = TailBuffer::new(64);
        t.write_all(b"a\nb\n").unwrap();
        assert!(!t.dropped());
        assert_eq!(t.into_tail(), b"a\nb\n");

        // One write larger than the cap, and a single line longer than the cap.
        let mut t = TailBuffer::new(8);
        t.write_all(b"0123456789abcdef").unwrap();
        assert_eq!(t.into_tail(), b"");
        let mut t = TailBuffer::new(8);
        t.write_all(b"xxxxxxxxxx\nend\n").unwrap();
        assert_eq!(t.into_tail(), b"end\n");
    }
}
