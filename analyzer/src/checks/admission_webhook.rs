//! The API server could not call an admission webhook, so it refused the request the
//! webhook guards: a controller's `FailedCreate` (`Error creating: Internal error
//! occurred: failed calling webhook "<name>": failed to call webhook: Post
//! "https://<service>.<namespace>.svc:443/...": context deadline exceeded`) or a client's
//! `Error from server (InternalError)`. The check classifies why the call failed, and
//! names the webhook's Service with its ready endpoints when the bundle holds them.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::engine::{Hit, Inputs};
use crate::finding::Evidence;
use crate::index::Index;
use crate::layout::ClusterKind;
use crate::model::{Webhook, WebhookConfiguration};

fn re(p: &str) -> Regex {
    Regex::new(p).expect("static regex")
}

static WEBHOOK: LazyLock<Regex> = LazyLock::new(|| {
    re(r#"(?i)failed calling (?:admission )?webhook \\?"(?P<webhook>[^"\\]+)\\?""#)
});
static SERVICE_URL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)https://(?P<service>[a-z0-9]([a-z0-9\-]*[a-z0-9])?)\.(?P<service_namespace>[a-z0-9]([a-z0-9\-]*[a-z0-9])?)\.svc(?:\.cluster\.local)?(?::(?P<port>\d+))?",
    )
});
static NO_SERVICE: LazyLock<Regex> =
    LazyLock::new(|| re(r#"(?i)service \\?"[^"\\]+\\?" not found"#));

/// Why the API server could not call the webhook, as the fact value templates test.
pub fn failure_of(text: &str) -> &'static str {
    let t = text.to_ascii_lowercase();
    if t.contains("tunnel-uds/proxysocket")
        || t.contains("no agent available")
        || (t.contains("proxy error from") && t.contains("while dialing"))
    {
        "tunnel"
    } else if t.contains("no endpoints available for service") {
        "no_endpoints"
    } else if NO_SERVICE.is_match(text) {
        "no_service"
    } else if t.contains("x509:") || t.contains("tls: ") {
        "tls"
    } else if t.contains("connection refused") {
        "refused"
    } else if t.contains("no such host") {
        "dns"
    } else if t.contains("context deadline exceeded")
        || t.contains("client.timeout exceeded")
        || t.contains("i/o timeout")
        || t.contains("timed out")
    {
        "timeout"
    } else {
        "other"
    }
}

/// A webhook of a collected configuration.
struct Registered<'a> {
    resource: &'static str,
    configuration: &'a WebhookConfiguration,
    webhook: &'a Webhook,
    file: String,
}

fn registered(index: &Index) -> Vec<Registered<'_>> {
    let mut out = Vec::new();
    for (resource, list, kind) in [
        (
            "validatingwebhookconfiguration",
            &index.cluster.validating_webhooks,
            ClusterKind::ValidatingWebhookConfigurations,
        ),
        (
            "mutatingwebhookconfiguration",
            &index.cluster.mutating_webhooks,
            ClusterKind::MutatingWebhookConfigurations,
        ),
    ] {
        for configuration in list.iter().flatten() {
            for webhook in &configuration.webhooks {
                out.push(Registered {
                    resource,
                    configuration,
                    webhook,
                    file: index.cluster_file(kind),
                });
            }
        }
    }
    out
}

/// `Fail` unless the webhook says `Ignore` (the admissionregistration/v1 default).
fn fails_closed(w: &Webhook) -> bool {
    w.failure_policy.as_deref() != Some("Ignore")
}

fn describe(h: &mut Hit, r: &Registered) {
    h.facts.insert(
        "configuration".into(),
        r.configuration.metadata.name.clone(),
    );
    h.facts
        .insert("configuration_resource".into(), r.resource.into());
    h.facts.insert(
        "failure_policy".into(),
        r.webhook
            .failure_policy
            .clone()
            .unwrap_or_else(|| "Fail".into()),
    );
}

/// Webhooks that fail closed and whose Service is missing from a namespace whose
/// Services were collected, or has an Endpoints object with no ready address.
fn object_hits(index: &Index) -> Vec<Hit> {
    let mut out = Vec::new();
    for r in registered(index) {
        let Some(s) = &r.webhook.client_config.service else {
            continue;
        };
        if !fails_closed(r.webhook) {
            continue;
        }
        let services_read = index
            .namespaces
            .get(&s.namespace)
            .is_some_and(|n| n.services.is_some());
        let exists = index
            .services()
            .any(|(n, x)| n == s.namespace && x.metadata.name == s.name);
        let (failure, ready) = match (exists, index.endpoints(&s.namespace, &s.name)) {
            (false, _) if services_read => ("no_service", None),
            (true, Some(e)) if e.ready_count() == 0 => ("no_endpoints", Some(0)),
            _ => continue,
        };
        let object = format!("cluster/{}/{}", r.resource, r.configuration.metadata.name);
        let mut facts = BTreeMap::new();
        facts.insert("webhook".to_string(), r.webhook.name.clone());
        facts.insert("failure".to_string(), failure.to_string());
        facts.insert("service".to_string(), s.name.clone());
        facts.insert("service_namespace".to_string(), s.namespace.clone());
        if let Some(n) = ready {
            facts.insert("endpoints_ready".to_string(), n.to_string());
        }
        let mut h = Hit {
            object: Some(object.clone()),
            node: None,
            facts,
            evidence: vec![Evidence {
                file: r.file.clone(),
                line: None,
                excerpt: format!(
                    "{} {}: webhook {} calls Service {}/{}, which {} (failurePolicy {})",
                    r.resource,
                    r.configuration.metadata.name,
                    r.webhook.name,
                    s.namespace,
                    s.name,
                    if failure == "no_service" {
                        "does not exist"
                    } else {
                        "has no ready endpoints"
                    },
                    r.webhook.failure_policy.as_deref().unwrap_or("Fail")
                ),
                count: 1,
                first_seen: None,
                last_seen: None,
                object: Some(object),
                role: "signal".into(),
            }],
            table: None,
            weak_object: false,
        };
        describe(&mut h, &r);
        if exists {
            let mut service = h.clone();
            service.object = Some(format!("{}/service/{}", s.namespace, s.name));
            service.evidence.clear();
            out.push(service);
        }
        out.push(h);
    }
    out
}

/// The `admission_webhook` check: facts `webhook`, `failure`, `service`,
/// `service_namespace`, `endpoints_ready`, and from the collected configurations
/// `configuration`, `configuration_resource`, `failure_policy`; the webhook's Service and
/// configuration, when they are in the bundle, become objects of the finding. A webhook
/// that fails closed with a missing Service or no ready endpoints is a hit of its own.
pub fn check(inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    let mut out = object_hits(inputs.index);
    let known = registered(inputs.index);
    for mut h in hits {
        let text = h.facts.get("message").cloned().unwrap_or_default();
        let Some(w) = WEBHOOK.captures(&text) else {
            continue;
        };
        h.facts.insert("webhook".into(), w["webhook"].to_string());
        h.facts.insert("failure".into(), failure_of(&text).into());
        if let Some(r) = known.iter().find(|r| r.webhook.name == w["webhook"]) {
            describe(&mut h, r);
            let mut configuration = h.clone();
            configuration.object = Some(format!(
                "cluster/{}/{}",
                r.resource, r.configuration.metadata.name
            ));
            configuration.evidence.clear();
            out.push(configuration);
        }
        let Some(s) = SERVICE_URL.captures(&text) else {
            out.push(h);
            continue;
        };
        let (svc, ns) = (s["service"].to_string(), s["service_namespace"].to_string());
        h.facts.insert("service".into(), svc.clone());
        h.facts.insert("service_namespace".into(), ns.clone());
        let known = inputs
            .index
            .services()
            .any(|(n, x)| n == ns && x.metadata.name == svc);
        if let Some(e) = inputs.index.endpoints(&ns, &svc) {
            h.facts
                .insert("endpoints_ready".into(), e.ready_count().to_string());
        }
        if known {
            let mut service = h.clone();
            service.object = Some(format!("{ns}/service/{svc}"));
            service.evidence.clear();
            out.push(h);
            out.push(service);
        } else {
            out.push(h);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_classified() {
        // istio/istio#13840.
        assert_eq!(
            failure_of(
                r#"Error creating: Internal error occurred: failed calling admission webhook "sidecar-injector.istio.io": Post https://istio-sidecar-injector.istio-system.svc:443/inject?timeout=30s: context deadline exceeded"#
            ),
            "timeout"
        );
        // Microsoft Learn, troubleshoot-apiserver-etcd.
        assert_eq!(
            failure_of(
                r#"Internal error occurred: failed calling webhook "mutate.kyverno.svc-fail": failed to call webhook: Post "https://kyverno-system-kyverno-system-svc.kyverno-system.svc:443/mutate/fail?timeout=10s": write unix @->/tunnel-uds/proxysocket: write: broken pipe"#
            ),
            "tunnel"
        );
        assert_eq!(
            failure_of(
                r#"Internal error occurred: failed calling webhook "validate.nginx.ingress.kubernetes.io": failed to call webhook: Post "https://ingress-nginx-controller-admission.ingress-nginx.svc:443/networking/v1/ingresses?timeout=10s": no endpoints available for service "ingress-nginx-controller-admission""#
            ),
            "no_endpoints"
        );
        assert_eq!(
            failure_of(
                r#"Internal error occurred: failed calling webhook "webhook.cert-manager.io": failed to call webhook: Post "https://cert-manager-webhook.cert-manager.svc:443/mutate?timeout=10s": service "cert-manager-webhook" not found"#
            ),
            "no_service"
        );
    }

    #[test]
    fn webhook_and_service_are_read_from_escaped_text() {
        let text = r#"Error creating: Internal error occurred: failed calling webhook \"webhook.serving.knative.dev\": failed to call webhook: Post \"https://webhook.knative-serving.svc:443/defaulting?timeout=10s\": context deadline exceeded"#;
        assert_eq!(
            &WEBHOOK.captures(text).unwrap()["webhook"],
            "webhook.serving.knative.dev"
        );
        let s = SERVICE_URL.captures(text).unwrap();
        assert_eq!(&s["service"], "webhook");
        assert_eq!(&s["service_namespace"], "knative-serving");
    }
}
