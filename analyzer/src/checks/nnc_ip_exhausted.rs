//! NodeNetworkConfig requested/allocated against pods failing IP allocation.
//!
//! Not written yet: passes the matchers' hits through unchanged.

use crate::engine::{Hit, Inputs};

/// The `nnc_ip_exhausted` check.
pub fn check(_inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    hits
}
