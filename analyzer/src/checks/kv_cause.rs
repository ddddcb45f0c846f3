//! The cause of a Key Vault mount failure from the component that knows it. kubelet's
//! `FailedMount` event often says only `context deadline exceeded` or `failed to mount
//! objects`, while the Azure Key Vault provider (or the CSI driver) on the same node logs
//! the real error, in many versions without naming the pod. A specific Key Vault rule's
//! hit from such a line is tied here to the pods whose mount failed on that node at that
//! time with a generic event, and reported for them with both lines as evidence.

use std::sync::LazyLock;

use regex::Regex;

use crate::engine::{Hit, Inputs};
use crate::finding::Evidence;
use crate::model::{Event, Pod};

/// The CSI driver of Key Vault volumes.
pub const DRIVER: &str = "secrets-store.csi.k8s.io";

/// The rule a specific cause replaces.
const GENERIC_RULE: &str = "kv-mount-failed";

/// How far (seconds) a provider line may lie outside an event's first..last occurrence and
/// still explain it: kubelet retries a failed mount with a back-off of up to about two
/// minutes, and each retry is one provider call.
const WINDOW: i64 = 300;

/// Facts of a log hit that describe the line's file and pod, not the cause.
const LINE_FACTS: &[&str] = &[
    "container",
    "file",
    "kind",
    "message",
    "name",
    "namespace",
    "node",
    "pod",
    "source_pod",
    "target_namespace",
    "target_pod",
];

/// `for volume "X"` in kubelet's mount messages, quotes possibly JSON-escaped.
static VOLUME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"for volume \\?"([^"\\]+)\\?""#).expect("static regex"));

/// kubelet's timeout summary: `unmounted volumes=[a b]`.
static UNMOUNTED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"unmounted volumes=\[([^\]]*)\]").expect("static regex"));

/// What makes a mount message a Secrets Store one when the volume cannot be looked up: it
/// names the driver or the provider, or a CSI volume named like a secret one fails.
static KEYWORDS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)failed to mount secrets store objects|secrets-store\.csi\.(?:x-)?k8s\.io|secretproviderclass|csi-secrets-store|secrets-store-provider|provider-azure",
        r#"|(?is)MountVolume\.SetUp failed for volume \\?"[^"\\]*(?:secret|keyvault|key-vault|akv|kv)[^"\\]*\\?"\s*:\s*(?:kubernetes\.io/csi|rpc error)"#,
    ))
    .expect("static regex")
});

/// The `kv_provider_cause` check: the rule's hits plus, for each provider line that names
/// no pod, one hit per pod it explains.
pub fn check(inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    correlate(inputs, hits)
}

/// A FailedMount event of a pod, ready to be compared with log lines.
struct Mount<'a> {
    ns: &'a str,
    event: &'a Event,
    node: String,
    first: Option<i64>,
    last: Option<i64>,
}

/// Ties the rule's weak hits (a provider or driver line that names no pod) to generic mount
/// failures on the same node within [`WINDOW`] of the line. A tied line becomes part of
/// the pod's hit; a line that explains no pod stays as it was.
pub fn correlate(inputs: &Inputs, hits: Vec<Hit>) -> Vec<Hit> {
    if !hits.iter().any(|h| h.weak_object && h.node.is_some()) {
        return hits;
    }
    let mounts = generic_mounts(inputs);
    if mounts.is_empty() {
        return hits;
    }
    let mut tied = vec![false; hits.len()];
    let mut added = Vec::new();
    for m in &mounts {
        // The nearest line in time, so two causes on one node split their pods.
        let best = hits
            .iter()
            .enumerate()
            .filter(|(_, h)| h.weak_object && h.node.as_deref() == Some(m.node.as_str()))
            .filter_map(|(i, h)| gap(m, h).map(|g| (g, i)))
            .filter(|(g, _)| *g <= WINDOW)
            .min();
        let Some((_, i)) = best else { continue };
        tied[i] = true;
        added.push(hit_for(inputs, m, &hits[i]));
    }
    // The pods' hits come first: the finding takes the first value of each fact, and the
    // pod is what its commands are about.
    added.extend(
        hits.into_iter()
            .zip(tied)
            .filter(|(_, t)| !t)
            .map(|(h, _)| h),
    );
    added
}

/// Seconds between a mount event's occurrences and a line's; zero when they overlap or
/// when either has no time (the bundle's logs cover a short window anyway).
fn gap(m: &Mount, h: &Hit) -> Option<i64> {
    let e = h.evidence.first()?;
    let secs = |t: &Option<String>| t.as_deref().and_then(crate::time::seconds);
    let (Some(lf), Some(ll)) = (secs(&e.first_seen), secs(&e.last_seen)) else {
        return Some(0);
    };
    let (Some(ef), Some(el)) = (m.first, m.last) else {
        return Some(0);
    };
    Some(if ll < ef {
        ef - ll
    } else if lf > el {
        lf - el
    } else {
        0
    })
}

/// FailedMount events of pods on a known node whose message is about a Secrets Store
/// volume and matches no specific Key Vault diagnosis.
fn generic_mounts<'a>(inputs: &'a Inputs) -> Vec<Mount<'a>> {
    let catalogue = inputs.catalogue;
    let specific: Vec<bool> = catalogue
        .rules
        .iter()
        .map(|r| r.spec.supersedes.iter().any(|s| s == GENERIC_RULE))
        .collect();
    let events = &catalogue.compiled().events;
    let secs = |t: Option<&str>| t.and_then(|t| crate::time::seconds(&inputs.time(t)));
    let mut out = Vec::new();
    for (file_ns, ev) in inputs.index.events() {
        if ev.reason.as_deref() != Some("FailedMount")
            || ev.involved_object.kind.as_deref() != Some("Pod")
        {
            continue;
        }
        let ns = ev.involved_object.namespace.as_deref().unwrap_or(file_ns);
        let name = ev.involved_object.name.as_deref().unwrap_or("");
        let message = ev.message.as_deref().unwrap_or("");
        let pod = inputs.index.pod(ns, name);
        if !is_kv_mount(pod, message) {
            continue;
        }
        let Some(node) = pod
            .and_then(|p| p.spec.node_name.clone())
            .or_else(|| ev.source.host.clone())
        else {
            continue;
        };
        let explained = events
            .matches(catalogue, message)
            .iter()
            .any(|(o, _, _)| specific[o.rule]);
        if explained {
            continue;
        }
        out.push(Mount {
            ns,
            event: ev,
            node,
            first: secs(ev.first_seen()),
            last: secs(ev.last_seen()),
        });
    }
    out
}

/// True when a mount message is about a Secrets Store CSI volume: the volume it names (or
/// one of the `unmounted volumes=[...]` of kubelet's timeout) is one of the pod's
/// `secrets-store.csi.k8s.io` volumes, or, when the pod or the volume is unknown, the
/// message names the driver or the provider (or a secret-like volume).
pub fn is_kv_mount(pod: Option<&Pod>, message: &str) -> bool {
    if let Some(p) = pod {
        let is_kv = |name: &str| {
            p.spec
                .volumes
                .iter()
                .find(|x| x.name == name)
                .map(|v| v.csi.as_ref().is_some_and(|c| c.driver == DRIVER))
        };
        if let Some(v) = VOLUME.captures(message).and_then(|c| c.get(1)) {
            if let Some(kv) = is_kv(v.as_str()) {
                return kv;
            }
        } else if let Some(list) = UNMOUNTED.captures(message).and_then(|c| c.get(1)) {
            return list
                .as_str()
                .split([' ', ','])
                .any(|n| is_kv(n.trim()) == Some(true));
        }
    }
    KEYWORDS.is_match(message)
}

/// The pod's hit: the cause's facts, the pod's identity, the event and the line as evidence.
fn hit_for(inputs: &Inputs, m: &Mount, cause: &Hit) -> Hit {
    let ev = m.event;
    let name = ev.involved_object.name.clone().unwrap_or_default();
    let reason = ev.reason.clone().unwrap_or_default();
    let message = ev.message.clone().unwrap_or_default();
    let mut facts = cause.facts.clone();
    facts.retain(|k, _| !LINE_FACTS.contains(&k.as_str()));
    if let (Some(ns), Some(pod)) = (cause.facts.get("namespace"), cause.facts.get("pod")) {
        facts.insert("cause_pod".into(), format!("{ns}/{pod}"));
    }
    facts.insert("namespace".into(), m.ns.to_string());
    facts.insert("pod".into(), name.clone());
    facts.insert("name".into(), name.clone());
    facts.insert("kind".into(), "pod".into());
    facts.insert("reason".into(), reason.clone());
    facts.insert("message".into(), message.clone());
    facts.insert("node".into(), m.node.clone());
    if let Some(v) = VOLUME.captures(&message).and_then(|c| c.get(1)) {
        facts
            .entry("volume".into())
            .or_insert_with(|| v.as_str().to_string());
    }
    let object = format!("{}/pod/{name}", m.ns);
    let mut evidence = vec![Evidence {
        file: inputs.object_file(m.ns, "events.json"),
        line: None,
        excerpt: crate::engine::cut(&format!("{reason}: {message}")),
        count: ev.occurrences(),
        first_seen: ev.first_seen().map(|t| inputs.time(t)),
        last_seen: ev.last_seen().map(|t| inputs.time(t)),
        object: Some(object.clone()),
        role: "signal".into(),
    }];
    evidence.extend(cause.evidence.iter().cloned());
    Hit {
        object: Some(object),
        node: Some(m.node.clone()),
        facts,
        evidence,
        table: cause.table.clone(),
        weak_object: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::{Index, NamespaceObjects};
    use crate::rules::Catalogue;
    use crate::scan::ScanResults;

    fn pod(name: &str, node: &str) -> Pod {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": name, "namespace": "shop"},
            "spec": {"nodeName": node, "volumes": [
                {"name": "app-settings", "csi": {"driver": DRIVER}},
                {"name": "data", "persistentVolumeClaim": {"claimName": "data"}}
            ]}
        }))
        .unwrap()
    }

    fn event(pod: &str, message: &str, first: &str, last: &str) -> Event {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": format!("{pod}.1"), "namespace": "shop"},
            "involvedObject": {"kind": "Pod", "name": pod, "namespace": "shop"},
            "reason": "FailedMount", "message": message, "count": 5,
            "firstTimestamp": first, "lastTimestamp": last,
            "source": {"component": "kubelet"}
        }))
        .unwrap()
    }

    const DEADLINE: &str = "MountVolume.SetUp failed for volume \"app-settings\" : rpc error: code = DeadlineExceeded desc = context deadline exceeded";

    fn index(events: Vec<Event>) -> Index {
        let mut index = Index::default();
        index.namespaces.insert(
            "shop".into(),
            NamespaceObjects {
                pods: Some(vec![pod("api-1", "node-a"), pod("api-2", "node-b")]),
                events: Some(events),
                ..Default::default()
            },
        );
        index
    }

    /// A provider line that names no pod, as `log::text_hits` makes it.
    fn provider_line(node: &str, at: &str) -> Hit {
        let mut facts = std::collections::BTreeMap::new();
        for (k, v) in [
            ("namespace", "kube-system"),
            ("pod", "aks-secrets-store-provider-azure-7xk2p"),
            ("error", "context deadline exceeded"),
            ("message", "failed to process mount request"),
        ] {
            facts.insert(k.to_string(), v.to_string());
        }
        Hit {
            object: Some("kube-system/pod/aks-secrets-store-provider-azure-7xk2p".into()),
            node: Some(node.into()),
            facts,
            evidence: vec![Evidence {
                file: "logs/kube-system/aks-secrets-store-provider-azure-7xk2p/provider-azure-installer.log".into(),
                line: Some(3),
                excerpt: "E1122 failed to process mount request".into(),
                count: 2,
                first_seen: Some(at.into()),
                last_seen: Some(at.into()),
                object: None,
                role: "signal".into(),
            }],
            table: None,
            weak_object: true,
        }
    }

    fn run(index: &Index, hits: Vec<Hit>) -> Vec<Hit> {
        let (catalogue, errors) = Catalogue::builtin();
        assert!(errors.is_empty());
        let scan = ScanResults::default();
        correlate(&Inputs::of(index, &scan, &catalogue), hits)
    }

    #[test]
    fn a_pod_less_provider_line_explains_the_generic_mount_on_its_node() {
        let index = index(vec![event(
            "api-1",
            DEADLINE,
            "2026-11-22T04:00:41Z",
            "2026-11-22T04:14:52Z",
        )]);
        let out = run(
            &index,
            vec![provider_line("node-a", "2026-11-22T04:12:40Z")],
        );
        assert_eq!(out.len(), 1, "the tied line joins the pod's hit");
        let h = &out[0];
        assert_eq!(h.object.as_deref(), Some("shop/pod/api-1"));
        assert!(!h.weak_object);
        assert_eq!(h.facts["pod"], "api-1");
        assert_eq!(h.facts["error"], "context deadline exceeded");
        assert_eq!(h.facts["volume"], "app-settings");
        assert_eq!(
            h.facts["cause_pod"],
            "kube-system/aks-secrets-store-provider-azure-7xk2p"
        );
        assert_eq!(h.evidence.len(), 2);
        assert!(h.evidence[0]
            .excerpt
            .starts_with("FailedMount: MountVolume"));
        assert!(h.evidence[1].file.ends_with("provider-azure-installer.log"));
    }

    #[test]
    fn another_node_or_a_distant_time_explains_nothing() {
        let index = index(vec![event(
            "api-1",
            DEADLINE,
            "2026-11-22T04:00:41Z",
            "2026-11-22T04:14:52Z",
        )]);
        for line in [
            provider_line("node-b", "2026-11-22T04:12:40Z"),
            provider_line("node-a", "2026-11-22T05:30:00Z"),
            provider_line("node-a", "2026-11-22T03:50:00Z"),
        ] {
            let out = run(&index, vec![line]);
            assert_eq!(out.len(), 1);
            assert!(out[0].weak_object, "left as the provider's own hit");
        }
        // Four minutes after the last occurrence is still the same failure.
        let out = run(
            &index,
            vec![provider_line("node-a", "2026-11-22T04:18:50Z")],
        );
        assert_eq!(out[0].object.as_deref(), Some("shop/pod/api-1"));
    }

    #[test]
    fn an_event_with_its_own_cause_or_another_volume_is_not_generic() {
        let forbidden = "MountVolume.SetUp failed for volume \"app-settings\" : rpc error: code = Unknown desc = failed to mount objects, error: failed to get objectType:secret, objectName:db, objectVersion:: keyvault.BaseClient#GetSecret: Failure responding to request: StatusCode=403 -- Original Error: autorest/azure: Service returned an error. Status=403 Code=\"Forbidden\" Message=\"denied\"";
        let disk = "MountVolume.SetUp failed for volume \"data\" : rpc error: code = DeadlineExceeded desc = context deadline exceeded";
        for message in [forbidden, disk] {
            let index = index(vec![event(
                "api-1",
                message,
                "2026-11-22T04:00:41Z",
                "2026-11-22T04:14:52Z",
            )]);
            let out = run(
                &index,
                vec![provider_line("node-a", "2026-11-22T04:12:40Z")],
            );
            assert!(out[0].weak_object, "{message}");
        }
    }

    #[test]
    fn the_nearest_line_wins_when_two_causes_share_a_node() {
        let index = index(vec![event(
            "api-1",
            DEADLINE,
            "2026-11-22T04:00:41Z",
            "2026-11-22T04:05:00Z",
        )]);
        let mut far = provider_line("node-a", "2026-11-22T04:09:00Z");
        far.facts.insert("error".into(), "i/o timeout".into());
        let near = provider_line("node-a", "2026-11-22T04:04:00Z");
        let out = run(&index, vec![far, near]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].object.as_deref(), Some("shop/pod/api-1"));
        assert_eq!(out[0].facts["error"], "context deadline exceeded");
        assert!(out[1].weak_object);
        assert_eq!(out[1].facts["error"], "i/o timeout");
    }

    #[test]
    fn unmounted_volumes_lists_are_read_too() {
        let p = pod("api-1", "node-a");
        let msg = "Unable to attach or mount volumes: unmounted volumes=[app-settings], unattached volumes=[kube-api-access-x app-settings]: timed out waiting for the condition";
        assert!(is_kv_mount(Some(&p), msg));
        let msg = "Unable to attach or mount volumes: unmounted volumes=[data], unattached volumes=[data]: timed out waiting for the condition";
        assert!(!is_kv_mount(Some(&p), msg));
    }
}
