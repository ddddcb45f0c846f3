//! A failed `sc-job` Job in sc-system.
//!
//! Not written yet: passes the matchers' hits through unchanged.

use crate::engine::{Hit, Inputs};

/// The `sc_job_failed` check.
pub fn check(_inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    hits
}
