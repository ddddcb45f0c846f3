//! Text the user attached (az CLI output, portal errors), matched line by line in the pass.

use crate::engine::{Hit, Inputs};
use crate::scan::TextSource;

/// Hits of attachment matchers, as `(rule index, hit)`.
pub fn hits(ctx: &Inputs) -> Vec<(usize, Hit)> {
    super::log::text_hits(ctx, TextSource::Attachment)
}
