//! The API server could not call an admission webhook, so it refused the request the
//! webhook guards: a controller's `FailedCreate` (`Error creating: Internal error
//! occurred: failed calling webhook "<name>": failed to call webhook: Post
//! "https://<service>.<namespace>.svc:443/...": context deadline exceeded`) or a client's
//! `Error from server (InternalError)`. The check classifies why the call failed, and
//! names the webhook's Service with its ready endpoints when the bundle holds them.

use std::sync::LazyLock;

use regex::Regex;

use crate::engine::{Hit, Inputs};

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

/// The `admission_webhook` check: facts `webhook`, `failure`, `service`,
/// `service_namespace`, `endpoints_ready`; the webhook's Service, when it is in the
/// bundle, becomes a second object of the finding.
pub fn check(inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    let mut out = Vec::new();
    for mut h in hits {
        let text = h.facts.get("message").cloned().unwrap_or_default();
        let Some(w) = WEBHOOK.captures(&text) else {
            continue;
        };
        h.facts.insert("webhook".into(), w["webhook"].to_string());
        h.facts.insert("failure".into(), failure_of(&text).into());
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
