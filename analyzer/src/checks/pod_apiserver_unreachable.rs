//! Keeps dial failures aimed at the kubernetes Service IP.
//!
//! Not written yet: passes the matchers' hits through unchanged.

use crate::engine::{Hit, Inputs};

/// The `pod_apiserver_unreachable` check.
pub fn check(_inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    hits
}
