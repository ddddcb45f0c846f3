//! SNAT port exhaustion is never logged inside the cluster: the load balancer silently drops
//! new outbound flows once a node's allocated ports are in use. This check infers it from
//! its shape in the logs: connection timeouts to public addresses from several pods on
//! several nodes, towards more than one destination, within the same minutes. Timeouts to
//! private, link-local or Azure platform addresses (in-VNet traffic, which SNAT does not
//! touch) and untimed lines are left out. A suspicion only: the finding says what confirms it.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use crate::engine::{Hit, Inputs};
use crate::time::{from_seconds, seconds};

/// The window in which the timeouts must fall.
const WINDOW_SECONDS: i64 = 15 * 60;
/// At least this many distinct pods ...
const MIN_PODS: usize = 3;
/// ... on at least this many nodes ...
const MIN_NODES: usize = 2;
/// ... towards at least this many public addresses (one address failing for everyone is
/// that service's outage, not the cluster's outbound path).
const MIN_DESTINATIONS: usize = 2;

/// The `snat_exhaustion` check.
pub fn check(_inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    // Public destinations with their time span.
    let timed: Vec<(Hit, i64, i64)> = hits
        .into_iter()
        .filter(|h| {
            h.facts
                .get("address")
                .and_then(|a| a.parse::<Ipv4Addr>().ok())
                .is_some_and(is_public)
        })
        .filter_map(|h| {
            let e = h.evidence.first()?;
            let last = e.last_seen.as_deref().and_then(seconds)?;
            let first = e.first_seen.as_deref().and_then(seconds).unwrap_or(last);
            Some((h, first, last))
        })
        .collect();
    // The window (ending at some hit's last time) that holds the most pods.
    let mut best: Option<(usize, i64)> = None;
    for &(_, _, end) in &timed {
        let inside = window(&timed, end);
        let pods = distinct(&inside, "pod").len();
        if best.is_none_or(|(n, _)| pods > n) {
            best = Some((pods, end));
        }
    }
    let Some((_, end)) = best else {
        return Vec::new();
    };
    let inside = window(&timed, end);
    let pods = distinct(&inside, "pod");
    let nodes = distinct(&inside, "node");
    let destinations = distinct(&inside, "address");
    if pods.len() < MIN_PODS || nodes.len() < MIN_NODES || destinations.len() < MIN_DESTINATIONS {
        return Vec::new();
    }
    let start = inside.iter().map(|(_, f, _)| *f).min().unwrap_or(end);
    let end = inside.iter().map(|(_, _, l)| *l).max().unwrap_or(end);
    let summary_facts = [
        ("snat_pods", pods.len().to_string()),
        ("snat_nodes", nodes.len().to_string()),
        (
            "destinations",
            destinations.iter().cloned().collect::<Vec<_>>().join(", "),
        ),
        ("window_start", from_seconds(start).unwrap_or_default()),
        ("window_end", from_seconds(end).unwrap_or_default()),
    ];
    inside
        .into_iter()
        .map(|(h, _, _)| {
            let mut h = h.clone();
            for (k, v) in &summary_facts {
                h.facts.insert((*k).to_string(), v.clone());
            }
            h
        })
        .collect()
}

/// The hits whose time span meets `[end - WINDOW, end]`.
fn window(timed: &[(Hit, i64, i64)], end: i64) -> Vec<&(Hit, i64, i64)> {
    timed
        .iter()
        .filter(|(_, first, last)| *last >= end - WINDOW_SECONDS && *first <= end)
        .collect()
}

fn distinct(hits: &[&(Hit, i64, i64)], fact: &str) -> BTreeSet<String> {
    hits.iter()
        .filter_map(|(h, _, _)| h.facts.get(fact).cloned())
        .collect()
}

/// An address outbound traffic reaches through SNAT: not private (RFC 1918), shared
/// (100.64.0.0/10), loopback, link-local, or Azure's platform address 168.63.129.16.
fn is_public(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || (a == 100 && (64..128).contains(&b))
        || ip == Ipv4Addr::new(168, 63, 129, 16))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Evidence;

    fn hit(pod: &str, node: &str, addr: &str, first: &str, last: &str) -> Hit {
        Hit {
            facts: [("pod", pod), ("node", node), ("address", addr)]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            evidence: vec![Evidence {
                first_seen: Some(first.into()),
                last_seen: Some(last.into()),
                ..Evidence::of_object("f", "x", None)
            }],
            ..Default::default()
        }
    }

    fn run(hits: Vec<Hit>) -> Vec<Hit> {
        let index = crate::index::Index::default();
        let scan = crate::scan::ScanResults::default();
        let catalogue = crate::rules::Catalogue::default();
        check(&Inputs::of(&index, &scan, &catalogue), 0, hits)
    }

    #[test]
    fn public_addresses_only() {
        assert!(is_public("52.165.34.19".parse().unwrap()));
        for private in [
            "10.0.0.1",
            "172.20.1.1",
            "192.168.1.1",
            "100.64.3.1",
            "168.63.129.16",
            "169.254.169.254",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
    }

    #[test]
    fn needs_pods_nodes_and_destinations_in_one_window() {
        let t = |m: u32| format!("2026-11-22T03:{m:02}:00Z");
        let spread = vec![
            hit("a", "n1", "20.60.1.1", &t(40), &t(50)),
            hit("b", "n2", "52.1.1.1", &t(45), &t(52)),
            hit("c", "n2", "20.60.1.1", &t(51), &t(55)),
        ];
        let out = run(spread.clone());
        assert_eq!(out.len(), 3);
        assert_eq!(out[0].facts["snat_pods"], "3");
        assert_eq!(out[0].facts["destinations"], "20.60.1.1, 52.1.1.1");
        // One destination: that service's outage.
        let one = vec![
            hit("a", "n1", "20.60.1.1", &t(40), &t(50)),
            hit("b", "n2", "20.60.1.1", &t(45), &t(52)),
            hit("c", "n2", "20.60.1.1", &t(51), &t(55)),
        ];
        assert!(run(one).is_empty());
        // Same pods, hours apart.
        let apart = vec![
            hit(
                "a",
                "n1",
                "20.60.1.1",
                "2026-11-22T01:00:00Z",
                "2026-11-22T01:01:00Z",
            ),
            hit("b", "n2", "52.1.1.1", &t(45), &t(52)),
            hit("c", "n2", "20.60.1.1", &t(51), &t(55)),
        ];
        assert!(run(apart).is_empty());
        // Private destinations do not count.
        let private = vec![
            hit("a", "n1", "10.1.0.4", &t(40), &t(50)),
            hit("b", "n2", "10.1.0.5", &t(45), &t(52)),
            hit("c", "n2", "10.1.0.4", &t(51), &t(55)),
        ];
        assert!(run(private).is_empty());
    }
}
