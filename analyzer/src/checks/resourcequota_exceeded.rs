//! Controllers whose pods a ResourceQuota refused (`FailedCreate` with `exceeded quota`
//! or `failed quota: ...: must specify ...`). The message names the quota and, when it
//! is exceeded, what the pod requested, what is used and the hard limit, per resource;
//! the finding shows them as a table. A controller that created pods after its last
//! refusal has recovered and stays quiet.

use std::sync::LazyLock;

use regex::Regex;

use crate::engine::{cut, Hit, Inputs};
use crate::finding::{Evidence, Table};

use super::controller_create_failed::common;

static EXCEEDED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)exceeded quota: ([^\s,]+)(?:, requested: (\S+?), used: (\S+?), limited: ([^\s\\]+?))?(?:\\?\x22|$|\s)")
        .expect("static regex")
});
static MUST_SPECIFY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)failed quota: ([^\s:]+): must specify ([\w.,/-]+)").expect("static regex")
});

/// `a=1,b=2` as pairs.
fn pairs(s: &str) -> Vec<(String, String)> {
    s.split(',')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// The quota facts of a refusal, and its table (resource, requested, used, limit).
pub fn parse(message: &str) -> (Vec<(&'static str, String)>, Option<Table>) {
    if let Some(c) = MUST_SPECIFY.captures(message) {
        return (
            vec![
                ("cause", "must_specify".into()),
                ("quota", c[1].to_string()),
                (
                    "must_specify",
                    c[2].trim_end_matches(['.', ',']).to_string(),
                ),
            ],
            None,
        );
    }
    let Some(c) = EXCEEDED.captures(message) else {
        return (vec![("cause", "exceeded".into())], None);
    };
    let mut facts = vec![("cause", "exceeded".into()), ("quota", c[1].to_string())];
    let (Some(req), Some(used), Some(lim)) = (c.get(2), c.get(3), c.get(4)) else {
        return (facts, None);
    };
    facts.push(("requested", req.as_str().to_string()));
    facts.push(("used", used.as_str().to_string()));
    facts.push(("limited", lim.as_str().to_string()));
    let used = pairs(used.as_str());
    let lim = pairs(lim.as_str());
    let resources: Vec<String> = pairs(req.as_str()).iter().map(|(k, _)| k.clone()).collect();
    if !resources.is_empty() {
        facts.push(("resources", resources.join(",")));
    }
    let value = |list: &[(String, String)], k: &str| {
        list.iter()
            .find(|(r, _)| r == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| "-".into())
    };
    let table = Table {
        columns: ["quota", "resource", "requested", "used", "hard"]
            .iter()
            .map(|c| c.to_string())
            .collect(),
        rows: pairs(req.as_str())
            .into_iter()
            .map(|(k, v)| {
                vec![
                    c[1].to_string(),
                    k.clone(),
                    v,
                    value(&used, &k),
                    value(&lim, &k),
                ]
            })
            .collect(),
    };
    (facts, Some(table))
}

/// A quantity as the API server writes it in a ResourceQuota (a string, or a number).
fn quantity(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The ResourceQuota object the refusal names, as evidence: its used and hard values
/// now, for the resources the refusal names (all of them when it names none).
fn quota_evidence(inputs: &Inputs, ns: &str, h: &Hit) -> Option<Evidence> {
    let name = h.facts.get("quota")?;
    let (_, q) = inputs
        .index
        .resource_quotas()
        .find(|(n, q)| *n == ns && q.metadata.name == *name)?;
    let wanted: Vec<&str> = h
        .facts
        .get("resources")
        .or_else(|| h.facts.get("must_specify"))
        .map(|r| r.split(',').collect())
        .unwrap_or_default();
    let hard = if q.status.hard.is_empty() {
        &q.spec.hard
    } else {
        &q.status.hard
    };
    let parts: Vec<String> = hard
        .iter()
        .filter(|(k, _)| wanted.is_empty() || wanted.contains(&k.as_str()))
        .map(|(k, v)| {
            let used = q
                .status
                .used
                .get(k)
                .map(quantity)
                .unwrap_or_else(|| "?".into());
            format!("{k} {used}/{}", quantity(v))
        })
        .collect();
    let object = format!("{ns}/resourcequota/{name}");
    let mut e = Evidence::of_object(
        inputs.object_file(ns, "resourcequotas.json"),
        cut(&format!(
            "resourcequota {name} (used/hard): {}",
            parts.join(", ")
        )),
        Some(object),
    );
    e.role = "context".into();
    Some(e)
}

/// The `resourcequota_exceeded` check.
pub fn check(inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    common(inputs, hits)
        .into_iter()
        .map(|mut h| {
            let message = h.facts.get("message").cloned().unwrap_or_default();
            let (facts, table) = parse(&message);
            for (k, v) in facts {
                h.facts.insert(k.into(), v);
            }
            h.table = table;
            let ns = h.facts.get("namespace").cloned().unwrap_or_default();
            if let Some(e) = quota_evidence(inputs, &ns, &h) {
                h.facts.insert("quota_in_bundle".into(), "true".into());
                h.evidence.push(e);
            }
            h
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(facts: &[(&str, String)], key: &str) -> Option<String> {
        facts
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone())
    }

    #[test]
    fn exceeded_with_every_number() {
        let m = r#"Error creating: pods "allocation-manager-6597bc46dc-2wm8j" is forbidden: exceeded quota: namespace-quota, requested: limits.cpu=1,limits.memory=2Gi, used: limits.cpu=6,limits.memory=12Gi, limited: limits.cpu=6,limits.memory=12Gi"#;
        let (f, t) = parse(m);
        assert_eq!(get(&f, "quota").as_deref(), Some("namespace-quota"));
        assert_eq!(
            get(&f, "requested").as_deref(),
            Some("limits.cpu=1,limits.memory=2Gi")
        );
        assert_eq!(
            get(&f, "limited").as_deref(),
            Some("limits.cpu=6,limits.memory=12Gi")
        );
        let t = t.unwrap();
        assert_eq!(
            t.rows[1],
            vec!["namespace-quota", "limits.memory", "2Gi", "12Gi", "12Gi"]
        );
    }

    #[test]
    fn old_capitalised_wordings() {
        let m = r#"Error creating: pods "test-1-" is forbidden: Exceeded quota: compute-resources, requested: limits.cpu=384m,limits.memory=512Mi, used: limits.cpu=384m,limits.memory=512Mi, limited: limits.cpu=384m,limits.memory=512Mi"#;
        assert_eq!(
            get(&parse(m).0, "quota").as_deref(),
            Some("compute-resources")
        );
        let m = r#"Error creating: pods "nginx-3137573019-" is forbidden: Failed quota: compute-resources: must specify limits.cpu,limits.memory,requests.cpu,requests.memory"#;
        let (f, t) = parse(m);
        assert_eq!(get(&f, "cause").as_deref(), Some("must_specify"));
        assert_eq!(
            get(&f, "must_specify").as_deref(),
            Some("limits.cpu,limits.memory,requests.cpu,requests.memory")
        );
        assert!(t.is_none());
    }
}
