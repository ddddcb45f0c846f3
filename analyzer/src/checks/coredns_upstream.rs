//! CoreDNS forwarding timeouts, classified by the upstream that did not answer: Azure DNS
//! (168.63.129.16, the VNet's default), a custom DNS server (the VNet's DNS setting, or a
//! `forward` in `coredns-custom`), or only the `loop` plugin's start-up probe (an `HINFO`
//! query for a random numeric name) while no user query timed out. When both Azure DNS and
//! a custom server time out, the VNet's DNS list mixes them.

use std::collections::{BTreeMap, BTreeSet};

use crate::engine::{Hit, Inputs};

/// Azure's virtual public IP that serves DNS in every VNet.
pub const AZURE_DNS: &str = "168.63.129.16";

/// The `coredns_upstream` check.
pub fn check(inputs: &Inputs, _rule: usize, mut hits: Vec<Hit>) -> Vec<Hit> {
    // Per upstream: did a user query (not the loop probe) time out, and for which name?
    let mut user_query: BTreeMap<String, bool> = BTreeMap::new();
    let mut example: BTreeMap<String, String> = BTreeMap::new();
    for h in &mut hits {
        let Some(up) = h.facts.get("upstream").map(|u| bare(u).to_string()) else {
            continue;
        };
        h.facts.insert("upstream".into(), up.clone());
        let probe = is_loop_probe(
            h.facts.get("qname").map(String::as_str),
            h.facts.get("qtype").map(String::as_str),
        );
        if !probe {
            // The root (`. NS`, CoreDNS priming) names nothing a user asked for.
            if let Some(q) = h.facts.get("qname").map(|q| q.trim_end_matches('.')) {
                if !q.is_empty() {
                    example.entry(up.clone()).or_insert_with(|| q.to_string());
                }
            }
        }
        *user_query.entry(up).or_default() |= !probe;
    }
    let custom_forwards = custom_forwarders(inputs);
    let kinds: BTreeSet<&str> = user_query
        .keys()
        .map(|u| if u == AZURE_DNS { "azure" } else { "custom" })
        .collect();
    let mixed = kinds.len() == 2;
    for h in &mut hits {
        let Some(up) = h.facts.get("upstream").cloned() else {
            continue;
        };
        let kind = if !user_query.get(&up).copied().unwrap_or(false) {
            "loop_probe"
        } else if up == AZURE_DNS {
            "azure_dns"
        } else {
            "custom"
        };
        h.facts.insert("upstream_kind".into(), kind.into());
        if let Some(q) = example.get(&up) {
            h.facts.insert("example_name".into(), q.clone());
        }
        h.facts.insert(
            "upstream_server".into(),
            if up == AZURE_DNS {
                "azure_dns"
            } else {
                "custom"
            }
            .into(),
        );
        if mixed {
            h.facts.insert("mixed_upstreams".into(), "true".into());
        }
        if custom_forwards.contains(&up) {
            h.facts
                .insert("configured_in".into(), "coredns-custom".into());
        }
    }
    hits
}

/// The loop plugin's probe: `HINFO` for `<random>.<random>.`, two runs of digits.
fn is_loop_probe(qname: Option<&str>, qtype: Option<&str>) -> bool {
    let (Some(name), Some(t)) = (qname, qtype) else {
        return false;
    };
    if !t.eq_ignore_ascii_case("HINFO") {
        return false;
    }
    let labels: Vec<&str> = name.trim_end_matches('.').split('.').collect();
    labels.len() == 2
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()))
}

/// `[fd00::10]` → `fd00::10`.
fn bare(a: &str) -> &str {
    a.trim_start_matches('[').trim_end_matches(']')
}

/// Addresses that `forward` lines of the collected `coredns-custom` ConfigMap send to.
fn custom_forwarders(inputs: &Inputs) -> BTreeSet<String> {
    inputs
        .index
        .config_map("kube-system", "coredns-custom")
        .into_iter()
        .flat_map(|cm| cm.data.values())
        .flat_map(|text| forward_targets(text))
        .collect()
}

/// The IP addresses after `forward <zone>` in a Corefile fragment (`dns://`, `tls://` and
/// `:port` stripped).
#[cfg_attr(not(test), allow(dead_code))]
fn forward_targets(corefile: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in corefile.lines() {
        let mut words = line.split_whitespace();
        if words.next() != Some("forward") {
            continue;
        }
        let _zone = words.next();
        for w in words {
            if w == "{" {
                break;
            }
            let w = w.trim_start_matches("dns://").trim_start_matches("tls://");
            let host = match w.rsplit_once(':') {
                Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) && !h.contains(':') => h,
                _ => w,
            };
            if host.parse::<std::net::IpAddr>().is_ok() {
                out.push(host.to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loop_probe_is_hinfo_for_two_numeric_labels() {
        // Wording of coredns/coredns#4211.
        assert!(is_loop_probe(
            Some("3797952284163317497.7063757873447144811."),
            Some("HINFO")
        ));
        assert!(!is_loop_probe(Some("example.com."), Some("HINFO")));
        assert!(!is_loop_probe(
            Some("3797952284163317497.7063757873447144811."),
            Some("A")
        ));
        assert!(!is_loop_probe(None, Some("HINFO")));
    }

    #[test]
    fn forward_targets_of_a_coredns_custom_server_block() {
        let text = "onpremzones.server: |\ncontoso.local:53 {\n    errors\n    forward . 10.20.0.4 dns://10.20.0.5:53 tls://1.1.1.1 {\n      tls_servername cloudflare-dns.com\n    }\n}\n";
        assert_eq!(
            forward_targets(text),
            vec!["10.20.0.4", "10.20.0.5", "1.1.1.1"]
        );
        assert!(forward_targets("forward . /etc/resolv.conf").is_empty());
    }

    #[test]
    fn classifies_by_upstream_and_probe() {
        let index = crate::index::Index::default();
        let scan = crate::scan::ScanResults::default();
        let catalogue = crate::rules::Catalogue::default();
        let inputs = Inputs::of(&index, &scan, &catalogue);
        let hit = |up: &str, name: &str, t: &str| Hit {
            facts: [("upstream", up), ("qname", name), ("qtype", t)]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Default::default()
        };
        let out = check(
            &inputs,
            0,
            vec![
                hit("168.63.129.16", "login.microsoftonline.com.", "A"),
                hit("10.20.0.4", "123.456.", "HINFO"),
            ],
        );
        assert_eq!(out[0].facts["upstream_kind"], "azure_dns");
        assert_eq!(out[0].facts["example_name"], "login.microsoftonline.com");
        assert!(!out[1].facts.contains_key("example_name"));
        assert_eq!(out[1].facts["upstream_kind"], "loop_probe");
        assert_eq!(out[1].facts["upstream_server"], "custom");
        assert_eq!(out[0].facts["mixed_upstreams"], "true");
        let out = check(
            &inputs,
            0,
            vec![
                hit("10.20.0.4", "123.456.", "HINFO"),
                hit("10.20.0.4", "db.contoso.local.", "AAAA"),
            ],
        );
        assert!(out.iter().all(|h| h.facts["upstream_kind"] == "custom"));
        assert!(!out[0].facts.contains_key("mixed_upstreams"));
    }
}
