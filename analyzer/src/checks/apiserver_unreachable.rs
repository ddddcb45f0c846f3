//! Classifies how the API server was unreachable (timeout, refused, DNS, TLS, no kubeconfig).
//!
//! Not written yet: passes the matchers' hits through unchanged.

use crate::engine::{Hit, Inputs};

/// The `apiserver_unreachable` check.
pub fn check(_inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    hits
}
