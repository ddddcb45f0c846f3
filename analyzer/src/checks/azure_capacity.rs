//! Azure capacity errors of node pool operations: the regional or VM-family vCPU quota
//! (`QuotaExceeded`, `OperationNotAllowed ... exceeding ... Cores quota`) and a full node
//! subnet (`SubnetIsFull`, `InsufficientSubnetSize`). They reach a bundle as az CLI, ARM
//! or portal text the user attached, and, when the cluster autoscaler hit them, as its
//! `FailedToScaleUpGroup` events about its status ConfigMap. The message is parsed for its
//! numbers and names (family, region, subnet, prefix, node pool).
//!
//! A pasted error names no cluster object. When the autoscaler is seen in backoff after a
//! failed scale-up and the bundle holds no event saying why, the pasted error is the reason
//! the bundle can offer: the finding then names the autoscaler's status ConfigMap, the object
//! the blocked pods wait on, so `autoscaler-scale-up-blocked` links to it as its cause.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::engine::{Hit, Inputs};
use crate::index::Index;

/// The cluster autoscaler's status ConfigMap: its failed scale-ups are events about it.
pub const AUTOSCALER_STATUS: &str = "kube-system/configmap/cluster-autoscaler-status";

/// The `azure_vcpu_quota` check.
pub fn vcpu_quota(inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    finish(inputs.index, hits, quota_facts, &QUOTA)
}

/// The `subnet_full` check.
pub fn subnet_full(inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    finish(inputs.index, hits, subnet_facts, &SUBNET)
}

/// A vCPU quota error, in any of its wordings (the rule's patterns, for text the matchers
/// do not see: the autoscaler's status).
static QUOTA: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)exceeding (?:approved\s+[\w ]+?\s+(?:v?CPUs?|Cores)\s+quota|quota limits? of\s+(?:\w+\s+)?Cores?\b)|Insufficient vcpu quota requested \d+").unwrap()
});
/// A full subnet, in any of its wordings.
static SUBNET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bSubnetIsFull\b|\bInsufficientSubnetSize\b|Pre-allocated IPs \d+ exceeds IPs available|with address prefix \S+ do(?:es)?(?:n't| not) have enough").unwrap()
});

type Parse = fn(&str, &mut BTreeMap<String, String>);

fn finish(index: &Index, mut hits: Vec<Hit>, parse: Parse, what: &Regex) -> Vec<Hit> {
    let link = backoff_without_reason(index, what);
    hits.extend(status_hits(index, what));
    hits.into_iter()
        .map(|mut h| {
            let message = h.facts.get("message").cloned().unwrap_or_default();
            parse(&message, &mut h.facts);
            pool_facts(&message, &mut h.facts);
            if h.facts.get("reason").map(String::as_str) == Some("FailedToScaleUpGroup") {
                h.facts.insert("autoscaler".into(), "true".into());
            }
            if h.object.is_none() && link {
                h.object = Some(AUTOSCALER_STATUS.into());
                h.facts.insert("autoscaler".into(), "true".into());
            }
            h
        })
        .collect()
}

/// Lines of the autoscaler's status text (recent versions keep each node group's backoff
/// error there) that carry this rule's error.
fn status_hits(index: &Index, what: &Regex) -> Vec<Hit> {
    let Some(status) = autoscaler_status(index) else {
        return Vec::new();
    };
    let file = index
        .config_map_file("kube-system", "cluster-autoscaler-status")
        .unwrap_or("namespaces/kube-system/configmaps/cluster-autoscaler-status.json")
        .to_string();
    let groups = backoff_groups(status);
    status
        .lines()
        .enumerate()
        .filter(|(_, l)| what.is_match(l))
        .map(|(i, l)| {
            let line = l.trim();
            let mut facts = BTreeMap::new();
            facts.insert("message".into(), line.to_string());
            facts.insert("autoscaler".into(), "true".into());
            // The group whose entry holds the line.
            if let Some(g) = group_at(status, i).or_else(|| groups.first().cloned()) {
                if let Some(pool) = pool_of_group(&g) {
                    facts.insert("nodepool".into(), pool);
                }
                facts.insert("node_group".into(), g);
            }
            Hit {
                object: Some(AUTOSCALER_STATUS.into()),
                node: None,
                facts,
                evidence: vec![crate::finding::Evidence {
                    file: file.clone(),
                    line: None,
                    excerpt: crate::engine::cut(&format!("data.status: {line}")),
                    count: 1,
                    first_seen: None,
                    last_seen: None,
                    object: Some(AUTOSCALER_STATUS.into()),
                    role: "signal".into(),
                }],
                table: None,
                weak_object: false,
            }
        })
        .collect()
}

/// The autoscaler's status text (`data.status` of its ConfigMap), when collected.
pub fn autoscaler_status(index: &Index) -> Option<&str> {
    index
        .config_map("kube-system", "cluster-autoscaler-status")
        .and_then(|c| c.data.get("status"))
        .map(String::as_str)
}

static GROUP_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^\s*(?:-\s*)?name:\s*(?P<name>[\w./:-]+)\s*$").unwrap());

/// The node group whose entry holds line `at`: the nearest `Name:` (text form) or `- name:`
/// (YAML form) above it, after the `NodeGroups:` heading.
fn group_at(status: &str, at: usize) -> Option<String> {
    let lines: Vec<&str> = status.lines().take(at + 1).collect();
    let start = lines.iter().position(|l| {
        l.trim_start()
            .to_ascii_lowercase()
            .starts_with("nodegroups:")
    })?;
    lines[start..]
        .iter()
        .rev()
        .find_map(|l| GROUP_NAME.captures(l).map(|c| c["name"].to_string()))
}

/// Node groups whose scale-up is in backoff, in the text form (`ScaleUp:     Backoff (...)`)
/// and the YAML form (`scaleUp:` then `status: Backoff`).
pub fn backoff_groups(status: &str) -> Vec<String> {
    static TEXT: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)^\s*ScaleUp:\s+Backoff\b").unwrap());
    static YAML: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)^\s*status:\s*Backoff\b").unwrap());
    let mut out = Vec::new();
    for (i, l) in status.lines().enumerate() {
        if TEXT.is_match(l) || YAML.is_match(l) {
            if let Some(g) = group_at(status, i) {
                if !out.contains(&g) {
                    out.push(g);
                }
            }
        }
    }
    out
}

/// True when pods wait on an autoscaler node group in backoff after a failed scale-up
/// and nothing in the cluster says why: no event of the autoscaler, and no error of this
/// rule in its status.
pub fn backoff_without_reason(index: &Index, what: &Regex) -> bool {
    let status = autoscaler_status(index);
    if status.is_some_and(|s| s.lines().any(|l| what.is_match(l))) {
        return false;
    }
    let mut backoff = status.is_some_and(|s| !backoff_groups(s).is_empty());
    for (_, e) in index.events() {
        let reason = e.reason.as_deref().unwrap_or("");
        if reason == "FailedToScaleUpGroup" {
            return false;
        }
        if reason == "NotTriggerScaleUp"
            && e.message
                .as_deref()
                .is_some_and(|m| m.to_ascii_lowercase().contains("backoff"))
        {
            backoff = true;
        }
    }
    backoff
}

fn put(facts: &mut BTreeMap<String, String>, key: &str, value: &str) {
    let v = value.trim_matches(|c: char| c == '\'' || c == '"' || c == '\\');
    if !v.is_empty() {
        facts
            .entry(key.to_string())
            .or_insert_with(|| v.to_string());
    }
}

fn quota_facts(message: &str, facts: &mut BTreeMap<String, String>) {
    static LIMITS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
        [
            // Maximum allowed: 10, Current in use: 7, Additional requested: 4
            r"(?i)Maximum allowed:\s*(?P<limit>\d+),\s*Current in use:\s*(?P<usage>\d+),\s*Additional requested:\s*(?P<requested>\d+)",
            // Current Limit: 10, Current Usage: 8, Additional Required: 4
            r"(?i)Current Limit:\s*(?P<limit>\d+),\s*Current Usage:\s*(?P<usage>\d+),\s*Additional Required:\s*(?P<requested>\d+)",
            // Insufficient vcpu quota requested 6, remaining 4 for family X for region Y
            r"(?i)Insufficient vcpu quota requested\s+(?P<requested>\d+),\s*remaining\s+(?P<remaining>\d+)\s+for family\s+(?P<family>\w+)\s+for region\s+(?P<region>[\w-]+)",
            // exceeding approved standardDSv3Family Cores quota / Total Regional Cores quota
            r"(?i)exceeding approved\s+(?P<quota>[\w ]+?)\s+(?:v?CPUs?|Cores)\s+quota",
            // exceeding quota limit of standardDSv3Family Cores / quota limits of Core
            r"(?i)exceeding quota limits? of\s+(?P<quota>\w+)\s+Cores?\b",
            r"(?i)exceeding quota limits? of\s+(?P<quota>Core)\b",
            r"(?i)Location:\s*(?P<region>[\w-]+)",
            r"(?i)\b(?P<code>QuotaExceeded|OperationNotAllowed)\b",
        ]
        .iter()
        .map(|p| Regex::new(p).unwrap())
        .collect()
    });
    for re in LIMITS.iter() {
        if let Some(c) = re.captures(message) {
            for name in re.capture_names().flatten() {
                if let Some(m) = c.name(name) {
                    put(facts, name, m.as_str());
                }
            }
        }
    }
    if let Some(q) = facts.get("quota").cloned() {
        if q.to_ascii_lowercase().ends_with("family") {
            put(facts, "family", &q);
        } else {
            facts.insert("regional".into(), "true".into());
        }
    }
    if let (Some(l), Some(u)) = (
        facts.get("limit").and_then(|v| v.parse::<i64>().ok()),
        facts.get("usage").and_then(|v| v.parse::<i64>().ok()),
    ) {
        facts
            .entry("remaining".into())
            .or_insert_with(|| (l - u).max(0).to_string());
    }
    if let (Some(r), Some(u)) = (
        facts.get("requested").and_then(|v| v.parse::<i64>().ok()),
        facts.get("usage").and_then(|v| v.parse::<i64>().ok()),
    ) {
        facts
            .entry("needed_limit".into())
            .or_insert_with(|| (r + u).to_string());
    }
}

fn subnet_facts(message: &str, facts: &mut BTreeMap<String, String>) {
    static PARTS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
        [
            // <subnet or its resource ID> with address prefix 10.0.0.0/20
            r#"(?i)(?P<subnet_ref>[^\s'"\\=:(]+)(?:\\?['"]|\\u0027)?\s+with address prefix\s+(?P<prefix>[0-9a-fA-F.:]+/\d+)"#,
            // ... enough capacity for 101 IP addresses / to satisfy the request for 1 IP addresses
            r"(?i)\bfor\s+(?P<ips_needed>\d+)\s+IP addresses",
            // Pre-allocated IPs 255 exceeds IPs available 251 in Subnet Cidr 10.10.0.0/24, Subnet Name AKS
            r"(?i)Pre-allocated IPs\s+(?P<preallocated>\d+)\s+exceeds IPs available(?:\s+in Subnet)?\s+(?P<available>\d+)(?:\s+in Subnet Cidr\s+(?P<prefix>[0-9a-fA-F.:]+/\d+))?(?:,\s*Subnet Name\s+(?P<subnet_ref>[\w.-]+))?",
            r"(?i)\b(?P<code>SubnetIsFull|InsufficientSubnetSize)\b",
        ]
        .iter()
        .map(|p| Regex::new(p).unwrap())
        .collect()
    });
    static ID: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)/resourceGroups/(?P<vnet_resource_group>[^/]+)/providers/Microsoft\.Network/virtualNetworks/(?P<vnet>[^/]+)/subnets/(?P<subnet>[^/\s]+)").unwrap()
    });
    for re in PARTS.iter() {
        if let Some(c) = re.captures(message) {
            for name in re.capture_names().flatten() {
                if let Some(m) = c.name(name) {
                    put(facts, name, m.as_str());
                }
            }
        }
    }
    if let Some(r) = facts.get("subnet_ref").cloned() {
        match ID.captures(&r) {
            Some(c) => {
                for name in ["vnet_resource_group", "vnet", "subnet"] {
                    if let Some(m) = c.name(name) {
                        put(facts, name, m.as_str());
                    }
                }
            }
            // `networkProfile.podCIDR` names a setting, not a subnet.
            None if !r.contains('.') && !r.contains('/') => put(facts, "subnet", &r),
            None => {}
        }
    }
}

/// The node pool: named by an AKS operation (`Failed to scale node pool 'np1'`) or by the
/// autoscaler's node group (`aks-np1-12345678-vmss`).
fn pool_facts(message: &str, facts: &mut BTreeMap<String, String>) {
    static POOL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"(?i)(?:node ?pool|agent ?pool)\s+(?:\\?['"]|\\u0027)?(?P<nodepool>[a-z][a-z0-9]{0,11})(?:\\?['"]|\\u0027)"#).unwrap()
    });
    static GROUP: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)Scale-up failed for group\s+(?P<node_group>[\w.-]+?):").unwrap()
    });
    if let Some(c) = GROUP.captures(message) {
        let group = &c["node_group"];
        put(facts, "node_group", group);
        if let Some(pool) = pool_of_group(group) {
            put(facts, "nodepool", &pool);
        }
    }
    if let Some(c) = POOL.captures(message) {
        put(facts, "nodepool", &c["nodepool"]);
    }
}

/// `aks-<pool>-<digits>-vmss` to `<pool>`; AKS pool names are letters and digits only.
pub fn pool_of_group(group: &str) -> Option<String> {
    let rest = group.strip_prefix("aks-")?;
    let rest = rest.strip_suffix("-vmss").unwrap_or(rest);
    let (pool, id) = rest.rsplit_once('-')?;
    (id.chars().all(|c| c.is_ascii_digit())
        && !pool.is_empty()
        && pool.chars().all(|c| c.is_ascii_alphanumeric()))
    .then(|| pool.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(parse: Parse, message: &str) -> BTreeMap<String, String> {
        let mut f = BTreeMap::new();
        parse(message, &mut f);
        pool_facts(message, &mut f);
        f
    }

    #[test]
    fn quota_numbers_of_the_old_core_wording_in_an_autoscaler_event() {
        // Azure/AKS#1184: the autoscaler's FailedToScaleUpGroup event.
        let f = facts(
            quota_facts,
            r#"Scale-up failed for group aks-default-21938529-vmss: compute.VirtualMachineScaleSetsClient#CreateOrUpdate: Failure sending request: StatusCode=0 -- Original Error: autorest/azure: Service returned an error. Status=<nil> Code="OperationNotAllowed" Message="Operation results in exceeding quota limits of Core. Maximum allowed: 10, Current in use: 7, Additional requested: 4.""#,
        );
        assert_eq!(f["limit"], "10");
        assert_eq!(f["usage"], "7");
        assert_eq!(f["requested"], "4");
        assert_eq!(f["remaining"], "3");
        assert_eq!(f["needed_limit"], "11");
        assert_eq!(f["code"], "OperationNotAllowed");
        assert_eq!(f["regional"], "true");
        assert_eq!(f["node_group"], "aks-default-21938529-vmss");
        assert_eq!(f["nodepool"], "default");
        assert!(!f.contains_key("family"));
    }

    #[test]
    fn quota_family_and_region_of_the_approved_and_preflight_wordings() {
        let f = facts(
            quota_facts,
            "Operation could not be completed as it results in exceeding approved standardDSv3Family Cores quota. Additional details - Deployment Model: Resource Manager, Location: westeurope, Current Limit: 24, Current Usage: 24, Additional Required: 8, (Minimum) New Limit Required: 32.",
        );
        assert_eq!(f["family"], "standardDSv3Family");
        assert_eq!(f["region"], "westeurope");
        assert_eq!(f["needed_limit"], "32");
        let f = facts(
            quota_facts,
            "Insufficient vcpu quota requested 6, remaining 4 for family standardDCSv2Family for region westeurope.",
        );
        assert_eq!(
            (f["requested"].as_str(), f["remaining"].as_str()),
            ("6", "4")
        );
        assert_eq!(f["family"], "standardDCSv2Family");
        let f = facts(
            quota_facts,
            "Operation could not be completed as it results in exceeding approved Total Regional Cores quota. Additional details - Deployment Model: Resource Manager, Location: centralus, Current Limit: 10, Current Usage: 8, Additional Required: 4",
        );
        assert_eq!(f["quota"], "Total Regional");
        assert_eq!(f["regional"], "true");
        assert_eq!(f["remaining"], "2");
    }

    #[test]
    fn subnet_of_a_resource_id_and_of_the_insufficient_size_wording() {
        let f = facts(
            subnet_facts,
            "SubnetIsFull: Subnet /subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworks/hub-vnet/subnets/aks-nodes with address prefix 10.0.0.0/20 does not have enough capacity for 1 IP addresses",
        );
        assert_eq!(f["subnet"], "aks-nodes");
        assert_eq!(f["vnet"], "hub-vnet");
        assert_eq!(f["vnet_resource_group"], "net-rg");
        assert_eq!(f["prefix"], "10.0.0.0/20");
        assert_eq!(f["ips_needed"], "1");
        let f = facts(
            subnet_facts,
            r#"Failed to scale node pool 'userpool' in Kubernetes service 'prod'. Error: VMSSAgentPoolReconciler retry failed: Code='SubnetIsFull' Message='aks-subnet with address prefix 10.240.0.0/24 doesn't have enough capacity for IP addresses.' Details=[]"#,
        );
        assert_eq!(f["subnet"], "aks-subnet");
        assert_eq!(f["prefix"], "10.240.0.0/24");
        assert_eq!(f["nodepool"], "userpool");
        let f = facts(
            subnet_facts,
            r#"\"message\": \"Pre-allocated IPs 1280 exceeds IPs available 1024 in Subnet Cidr 10.240.100.0/22, Subnet Name networkProfile.podCIDR. If Autoscaler is enabled"#,
        );
        assert_eq!(f["preallocated"], "1280");
        assert_eq!(f["available"], "1024");
        assert_eq!(f["prefix"], "10.240.100.0/22");
        // A setting's name is no subnet.
        assert!(!f.contains_key("subnet"));
    }

    #[test]
    fn backoff_groups_of_the_text_and_yaml_status() {
        // Text form (Azure/AKS#913, microsoft/tyger#59), one group in backoff.
        let text = "Cluster-autoscaler status at 2026-11-28 10:29:51.1 +0000 UTC:\nCluster-wide:\n  Health:      Healthy (ready=3 unready=0)\n  ScaleUp:     NoActivity (ready=3 registered=3)\n\nNodeGroups:\n  Name:        aks-system-41208563-vmss\n  Health:      Healthy (ready=1)\n  ScaleUp:     NoActivity (ready=1 cloudProviderTarget=1)\n\n  Name:        aks-userpool-28391745-vmss\n  Health:      Healthy (ready=2)\n  ScaleUp:     Backoff (ready=2 cloudProviderTarget=2)\n";
        assert_eq!(backoff_groups(text), vec!["aks-userpool-28391745-vmss"]);
        // YAML form (kubernetes/autoscaler#6375): the cluster-wide status is not a group.
        let yaml = "time: 2026-11-28 10:29:51 +0000 UTC\nautoscalerStatus: Running\nclusterWide:\n  scaleUp:\n    status: Backoff\nnodeGroups:\n- name: aks-userpool-28391745-vmss\n  scaleUp:\n    status: Backoff\n    backoffInfo:\n      errorCode: OperationNotAllowed\n";
        assert_eq!(backoff_groups(yaml), vec!["aks-userpool-28391745-vmss"]);
        assert!(backoff_groups("NodeGroups:\n  Name: g\n  ScaleUp:     NoActivity\n").is_empty());
    }

    #[test]
    fn pool_of_an_aks_scale_set_only() {
        assert_eq!(
            pool_of_group("aks-nodepool1-12345678-vmss").as_deref(),
            Some("nodepool1")
        );
        assert_eq!(pool_of_group("k8s-workers-x-vmss"), None);
        assert_eq!(pool_of_group("aks-bad_pool-1-vmss"), None);
    }
}
