//! Collection errors the collector recorded in `manifest.json` (kubectl's own stderr), and
//! the gaps other layouts record (troubleshoot's `*-errors.json`, log fetch errors), which
//! the reader adds to the same list with the file they came from.

use std::collections::BTreeMap;

use crate::engine::{Hit, Inputs};
use crate::finding::Evidence;

/// Hits of manifest-error matchers, as `(rule index, hit)`.
pub fn hits(ctx: &Inputs) -> Vec<(usize, Hit)> {
    let set = &ctx.catalogue.compiled().manifest_errors;
    let mut out = Vec::new();
    let Some(manifest) = &ctx.index.manifest else {
        return out;
    };
    if set.is_empty() {
        return out;
    }
    for err in &manifest.errors {
        let stderr = err.stderr.as_deref().unwrap_or("");
        for (o, _m, caps) in set.matches(ctx.catalogue, stderr) {
            let mut facts: BTreeMap<String, String> = caps;
            if let Some(s) = &err.step {
                facts.insert("step".into(), s.clone());
            }
            if let Some(c) = &err.command {
                facts.insert("command".into(), c.clone());
            }
            facts.insert("message".into(), stderr.trim().to_string());
            let step = err.step.as_deref().unwrap_or("collection");
            out.push((
                o.rule,
                Hit {
                    weak_object: false,
                    object: None,
                    node: None,
                    facts,
                    evidence: vec![Evidence {
                        file: err.file.clone().unwrap_or_else(|| "manifest.json".into()),
                        line: None,
                        excerpt: crate::engine::cut(&format!("{step}: {}", stderr.trim())),
                        count: err.count.unwrap_or(1).max(1),
                        first_seen: err.at.as_deref().map(|t| ctx.time(t)),
                        last_seen: err.at.as_deref().map(|t| ctx.time(t)),
                        object: None,
                        role: "signal".into(),
                    }],
                    table: None,
                },
            ));
        }
    }
    out
}
