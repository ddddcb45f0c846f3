//! Services of type LoadBalancer still waiting for their address. The service controller's
//! failure events (`SyncLoadBalancerFailed`, older `CreatingLoadBalancerFailed`) are kept
//! only while the Service has no `status.loadBalancer.ingress`, and their Azure tail is
//! split into a cause the fix depends on: missing permission, a static IP that is not where
//! the identity looks, a public-IP or frontend quota, a SKU mismatch, or a plain timeout. A
//! Service pending long after creation with no failure event left is reported too.

use std::collections::{BTreeMap, BTreeSet};

use regex::Regex;
use std::sync::LazyLock;

use crate::engine::{Hit, Inputs};
use crate::finding::Evidence;
use crate::model::Service;
use crate::time::seconds;

/// A Service pending this long after creation, with no failure event, is reported.
const PENDING_WITHOUT_EVENT_SECONDS: i64 = 15 * 60;

static AUTHZ: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)(?:Linked)?AuthorizationFailed.*?client '(?P<client>[^']*)' with object id '(?P<oid>[^']*)'.*?(?:perform action|permission to perform action) '(?P<action>[^']+)'(?:[^']*?on the linked scope\(s\) '(?P<linked>[^']+)'| over scope '(?P<scope>[^']+)')?"#,
    )
    .expect("static regex")
});
static LINKED_DENIED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)does not have permission to perform action '(?P<action>[^']+)' on the linked scope\(s\) '(?P<scope>[^']+)'")
        .expect("static regex")
});
static IP_NOT_FOUND: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)user supplied IP address (?P<ip>[0-9a-f.:]+) was not found(?: in resource group (?P<rg>[A-Za-z0-9._()-]+))?")
        .expect("static regex")
});
static QUOTA: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?P<code>\w*CountLimitReached|\w*QuotaExceeded)").expect("static regex")
});
static SKU: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:Basic|Standard) sku (?:load balancer|public ?ip)\b.*?\b(?:Basic|Standard) sku|SkuMismatch|mismatched SKU")
        .expect("static regex")
});
static RESOURCE_GROUP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?P<rg_scope>/subscriptions/[^/\s]+/resourceGroups/(?P<rg>[A-Za-z0-9._()-]+))",
    )
    .expect("static regex")
});

/// The `loadbalancer_pending` check.
pub fn check(inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    let index = inputs.index;
    let mut out = Vec::new();
    let mut with_event: BTreeSet<(String, String)> = BTreeSet::new();
    for mut h in hits {
        let (Some(ns), Some(name)) = (
            h.facts.get("namespace").cloned(),
            h.facts.get("name").cloned(),
        ) else {
            continue;
        };
        let services_collected = index
            .namespaces
            .get(&ns)
            .is_some_and(|n| n.services.is_some());
        let svc = index
            .services()
            .find(|(n, s)| *n == ns && s.metadata.name == name)
            .map(|(_, s)| s);
        match svc {
            Some(s) if !is_pending(s) => continue, // it has its address now (or is no LB)
            None if services_collected => continue, // the Service is gone
            Some(s) => {
                h.facts.insert("service_state".into(), "pending".into());
                if let Some(ip) = s.spec.load_balancer_ip.as_ref().filter(|i| !i.is_empty()) {
                    h.facts.insert("load_balancer_ip".into(), ip.clone());
                }
            }
            None => {
                h.facts
                    .insert("service_state".into(), "not_collected".into());
            }
        }
        h.facts.insert("service".into(), name.clone());
        let message = h.facts.get("message").cloned().unwrap_or_default();
        for (k, v) in classify(&message) {
            h.facts.insert(k, v);
        }
        with_event.insert((ns, name));
        out.push(h);
    }
    let now = index
        .manifest
        .as_ref()
        .and_then(|m| m.collected_at.as_deref())
        .and_then(seconds);
    if let Some(now) = now {
        for (ns, svc) in index.services() {
            // Without the namespace's events, "no failure event" would be a guess.
            let events_collected = index.namespaces.get(ns).is_some_and(|n| n.events.is_some());
            if !events_collected
                || !is_pending(svc)
                || with_event.contains(&(ns.to_string(), svc.metadata.name.clone()))
            {
                continue;
            }
            let Some(created) = svc.metadata.creation_timestamp.as_deref().and_then(seconds) else {
                continue;
            };
            let age = now - created;
            if age < PENDING_WITHOUT_EVENT_SECONDS {
                continue; // still being provisioned
            }
            out.push(pending_without_event(inputs, ns, svc, age));
        }
    }
    // A finding takes its facts from its first hit: the most telling cause goes first (a
    // permission error says more than the timeout the same Service also logged).
    out.sort_by_key(|h| cause_rank(h.facts.get("cause").map(String::as_str)));
    out
}

fn cause_rank(cause: Option<&str>) -> u8 {
    match cause {
        Some("authorization") => 0,
        Some("ip_not_found") => 1,
        Some("quota") => 2,
        Some("sku_mismatch") => 3,
        Some("other") => 4,
        Some("timeout") => 5,
        _ => 6,
    }
}

/// A LoadBalancer Service of the cloud provider without an address yet.
fn is_pending(s: &Service) -> bool {
    s.spec.type_.as_deref() == Some("LoadBalancer")
        && s.spec
            .load_balancer_class
            .as_deref()
            .is_none_or(str::is_empty)
        && s.status.load_balancer.ingress.iter().all(|i| {
            i.ip.as_deref().is_none_or(str::is_empty)
                && i.hostname.as_deref().is_none_or(str::is_empty)
        })
}

fn pending_without_event(inputs: &Inputs, ns: &str, svc: &Service, age: i64) -> Hit {
    let name = &svc.metadata.name;
    let object = format!("{ns}/service/{name}");
    let mut facts: BTreeMap<String, String> = [
        ("namespace", ns.to_string()),
        ("service", name.clone()),
        ("name", name.clone()),
        ("kind", "service".to_string()),
        ("cause", "no_event".to_string()),
        ("service_state", "pending".to_string()),
        ("pending_minutes", (age / 60).to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    if let Some(ip) = svc.spec.load_balancer_ip.as_ref().filter(|i| !i.is_empty()) {
        facts.insert("load_balancer_ip".into(), ip.clone());
    }
    Hit {
        object: Some(object.clone()),
        facts,
        evidence: vec![Evidence::of_object(
            inputs.object_file(ns, "services.json"),
            format!(
                "service {ns}/{name} type LoadBalancer created {} minutes before collection: status.loadBalancer.ingress is empty",
                age / 60
            ),
            Some(object),
        )],
        ..Default::default()
    }
}

/// The cause of a service-controller failure message, with what the fix needs.
fn classify(message: &str) -> Vec<(String, String)> {
    let mut out: Vec<(&str, String)> = Vec::new();
    let scope;
    if let Some(c) = LINKED_DENIED.captures(message) {
        out.push(("cause", "authorization".into()));
        out.push(("action", c["action"].to_string()));
        scope = Some(c["scope"].to_string());
        if let Some(a) = AUTHZ.captures(message) {
            out.push(("oid", a["oid"].to_string()));
        }
    } else if let Some(c) = AUTHZ.captures(message) {
        out.push(("cause", "authorization".into()));
        out.push(("action", c["action"].to_string()));
        out.push(("oid", c["oid"].to_string()));
        scope = c
            .name("scope")
            .or_else(|| c.name("linked"))
            .map(|m| m.as_str().to_string());
    } else if let Some(c) = IP_NOT_FOUND.captures(message) {
        out.push(("cause", "ip_not_found".into()));
        out.push(("public_ip", c["ip"].to_string()));
        if let Some(rg) = c.name("rg") {
            out.push(("resource_group", rg.as_str().to_string()));
        }
        scope = None;
    } else if let Some(c) = QUOTA.captures(message) {
        out.push(("cause", "quota".into()));
        out.push(("code", c["code"].to_string()));
        scope = None;
    } else if SKU.is_match(message) {
        out.push(("cause", "sku_mismatch".into()));
        scope = None;
    } else if message.contains("timed out waiting for the condition") {
        out.push(("cause", "timeout".into()));
        scope = None;
    } else {
        out.push(("cause", "other".into()));
        scope = None;
    }
    if let Some(scope) = scope {
        if let Some(c) = RESOURCE_GROUP.captures(&scope) {
            out.push(("resource_group", c["rg"].to_string()));
            out.push(("rg_scope", c["rg_scope"].to_string()));
        }
        out.push(("scope", scope));
    }
    out.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(message: &str) -> BTreeMap<String, String> {
        classify(message).into_iter().collect()
    }

    #[test]
    fn authorization_failed_names_action_scope_and_resource_group() {
        // Wording of MicrosoftDocs/azure-docs#62754 (SubnetsClient#Get, 403).
        let f = facts(
            r#"Error syncing load balancer: failed to ensure load balancer: network.SubnetsClient#Get: Failure responding to request: StatusCode=403 -- Original Error: autorest/azure: Service returned an error. Status=403 Code="AuthorizationFailed" Message="The client '6b1f0a52-3c8e-4d0e-9a57-2f4c8e1d7a90' with object id '6b1f0a52-3c8e-4d0e-9a57-2f4c8e1d7a90' does not have authorization to perform action 'Microsoft.Network/virtualNetworks/subnets/read' over scope '/subscriptions/0d5c8e2a-1b7f-4c3a-9e6d-8f2b1a7c4e90/resourceGroups/net-hub-rg/providers/Microsoft.Network/virtualNetworks/hub-vnet/subnets/aks-subnet' or the scope is invalid.""#,
        );
        assert_eq!(f["cause"], "authorization");
        assert_eq!(
            f["action"],
            "Microsoft.Network/virtualNetworks/subnets/read"
        );
        assert_eq!(f["resource_group"], "net-hub-rg");
        assert_eq!(
            f["rg_scope"],
            "/subscriptions/0d5c8e2a-1b7f-4c3a-9e6d-8f2b1a7c4e90/resourceGroups/net-hub-rg"
        );
        assert_eq!(f["oid"], "6b1f0a52-3c8e-4d0e-9a57-2f4c8e1d7a90");
    }

    #[test]
    fn linked_authorization_names_the_linked_resource() {
        // Wording of Azure/AKS#1945.
        let f = facts(
            r#"Code="LinkedAuthorizationFailed" Message="The client 'a1' with object id 'b2' has permission to perform action 'Microsoft.Network/loadBalancers/write' on scope '/subscriptions/s/resourceGroups/mc_rg/providers/Microsoft.Network/loadBalancers/kubernetes'; however, it does not have permission to perform action 'Microsoft.Network/publicIPAddresses/join/action' on the linked scope(s) '/subscriptions/s/resourceGroups/ip-rg/providers/Microsoft.Network/publicIPAddresses/web-ip' or the linked scope(s) are invalid.""#,
        );
        assert_eq!(f["cause"], "authorization");
        assert_eq!(
            f["action"],
            "Microsoft.Network/publicIPAddresses/join/action"
        );
        assert_eq!(f["resource_group"], "ip-rg");
        assert_eq!(f["oid"], "b2");
    }

    #[test]
    fn other_causes() {
        assert_eq!(
            facts("Error creating load balancer (will retry): Failed to create load balancer for service default/service1: user supplied IP Address 1.2.3.4 was not found")["cause"],
            "ip_not_found"
        );
        assert_eq!(
            facts(
                r#"Code="PublicIPCountLimitReached" Message="Cannot create more than 10 public IP addresses for this subscription in this region.""#
            )["code"],
            "PublicIPCountLimitReached"
        );
        assert_eq!(
            facts("Error syncing load balancer: failed to ensure load balancer: timed out waiting for the condition")["cause"],
            "timeout"
        );
        assert_eq!(
            facts("Error syncing load balancer: failed to ensure load balancer: Retriable: false, RetryAfter: 0s, HTTPStatusCode: 429")["cause"],
            "other"
        );
    }

    #[test]
    fn pending_means_no_address_and_the_cloud_providers_class() {
        let svc = |v: serde_json::Value| -> Service { serde_json::from_value(v).unwrap() };
        assert!(is_pending(&svc(serde_json::json!({
            "metadata": {"name": "a"}, "spec": {"type": "LoadBalancer"}, "status": {"loadBalancer": {}}
        }))));
        assert!(!is_pending(&svc(serde_json::json!({
            "metadata": {"name": "a"}, "spec": {"type": "LoadBalancer"},
            "status": {"loadBalancer": {"ingress": [{"ip": "20.1.2.3"}]}}
        }))));
        assert!(!is_pending(&svc(serde_json::json!({
            "metadata": {"name": "a"}, "spec": {"type": "LoadBalancer", "loadBalancerClass": "io.cilium/bgp"}
        }))));
        assert!(!is_pending(&svc(serde_json::json!({
            "metadata": {"name": "a"}, "spec": {"type": "ClusterIP"}
        }))));
    }
}
