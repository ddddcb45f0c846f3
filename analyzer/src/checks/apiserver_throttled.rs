//! The API server throttling: kubectl's 429 TooManyRequests (the rule's matchers), and the
//! FlowSchema `aks-managed-apiserver-guard` AKS applies as a last resort when the API
//! server keeps running out of memory, which throttles every non-system client.

use std::collections::BTreeMap;

use crate::engine::{Hit, Inputs};
use crate::finding::Evidence;
use crate::layout::ClusterKind;

/// The FlowSchema and PriorityLevelConfiguration AKS applies.
pub const GUARD: &str = "aks-managed-apiserver-guard";

/// The `apiserver_throttled` check: the matchers' hits, plus one about the guard's
/// FlowSchema when the bundle holds it.
pub fn check(inputs: &Inputs, _rule: usize, mut hits: Vec<Hit>) -> Vec<Hit> {
    let index = inputs.index;
    let Some(fs) = index
        .cluster_list(|c| &c.flow_schemas)
        .find(|f| f.metadata.name == GUARD)
    else {
        return hits;
    };
    let object = format!("cluster/flowschema/{GUARD}");
    let created = fs
        .metadata
        .creation_timestamp
        .as_deref()
        .map(|t| inputs.time(t));
    let mut facts = BTreeMap::new();
    facts.insert("guard".to_string(), GUARD.to_string());
    if let Some(t) = &created {
        facts.insert("guard_since".to_string(), t.clone());
    }
    let level = &fs.spec.priority_level_configuration.name;
    if !level.is_empty() {
        facts.insert("guard_level".to_string(), level.clone());
    }
    hits.push(Hit {
        object: Some(object.clone()),
        node: None,
        facts,
        evidence: vec![Evidence {
            file: index.cluster_file(ClusterKind::FlowSchemas),
            line: None,
            excerpt: format!(
                "FlowSchema {GUARD} present{}",
                created
                    .as_deref()
                    .map(|t| format!(" (created {t})"))
                    .unwrap_or_default()
            ),
            count: 1,
            first_seen: created.clone(),
            last_seen: created,
            object: Some(object),
            role: "signal".into(),
        }],
        table: None,
        weak_object: false,
    });
    hits
}
