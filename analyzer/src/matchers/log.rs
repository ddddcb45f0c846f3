//! Container log lines. The lines were matched during the reading pass (see `scan`); here
//! the hits are tied to their rules and pods, and pod filters apply now that every pod
//! object is known.

use crate::engine::{Hit, Inputs};
use crate::scan::TextSource;

use super::pod_ok;

/// Hits of log matchers, as `(rule index, hit)`.
pub fn hits(ctx: &Inputs) -> Vec<(usize, Hit)> {
    text_hits(ctx, TextSource::Log)
}

/// Hits of line patterns for one text source.
pub fn text_hits(ctx: &Inputs, source: TextSource) -> Vec<(usize, Hit)> {
    let mut out = Vec::new();
    for h in &ctx.scan.hits {
        if h.file.source != source {
            continue;
        }
        let o = ctx.line_origins[h.pattern];
        let m = &ctx.catalogue.rules[o.rule].matchers[o.matcher];
        let (ns, pod) = (
            h.file.namespace.as_deref().unwrap_or(""),
            h.file.pod.as_deref().unwrap_or(""),
        );
        if source == TextSource::Log
            && !pod_ok(
                m.spec.pods.as_ref(),
                m.pod_name.as_ref(),
                ctx.index,
                ns,
                pod,
            )
        {
            continue;
        }
        let mut hit = ctx.hit_of_line(h);
        // An add-on line that should name its pod but does not (older provider versions)
        // only vouches for the add-on pod that printed it.
        hit.weak_object = m.spec.about.is_some() && !h.captures.contains_key("target_pod");
        out.push((o.rule, hit));
    }
    out
}
