//! Containers the kubelet cannot even create (`CreateContainerConfigError`): a ConfigMap or
//! Secret the pod references is missing, a key in it is missing, or `runAsNonRoot` meets
//! an image that runs as root. The kubelet's wording differs between versions (`secret`
//! and `secrets`, `couldn't` and `Couldn't`, with or without the pod and container in
//! brackets); this check reads the stable core and names the cause and the reference.

use std::sync::LazyLock;

use regex::Regex;

use crate::engine::{Hit, Inputs};

static MISSING_OBJECT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)\b(configmaps?|secrets?) \\?"([^"\\\s]+)\\?" not found"#)
        .expect("static regex")
});
static MISSING_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)couldn't find key (\S+) in (ConfigMap|Secret) ([^/\s]+)/([^\s,)]+)")
        .expect("static regex")
});
static NON_ROOT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)container has runAsNonRoot and image (will run as root|has non-numeric user)")
        .expect("static regex")
});

/// What a config error message says: the cause and the facts naming what is missing.
pub fn classify(message: &str) -> Vec<(&'static str, String)> {
    if let Some(c) = MISSING_KEY.captures(message) {
        return vec![
            ("cause", "missing_key".into()),
            ("ref_key", c[1].to_string()),
            ("ref_kind", c[2].to_ascii_lowercase()),
            ("ref_namespace", c[3].to_string()),
            ("ref_name", c[4].to_string()),
        ];
    }
    if let Some(c) = MISSING_OBJECT.captures(message) {
        let kind = c[1].to_ascii_lowercase();
        let kind = kind.trim_end_matches('s').to_string();
        return vec![
            ("cause", "missing_object".into()),
            ("ref_kind", kind),
            ("ref_name", c[2].to_string()),
        ];
    }
    if let Some(c) = NON_ROOT.captures(message) {
        let user = if c[1].contains("non-numeric") {
            "non_numeric_user"
        } else {
            "root"
        };
        return vec![
            ("cause", "run_as_non_root".into()),
            ("image_user", user.into()),
        ];
    }
    vec![("cause", "other".into())]
}

/// A pod that got past its config error: every container created, the pod Running and
/// Ready. A Helm release that creates a ConfigMap a moment after the Deployment leaves
/// such an event behind; it is start-up noise, not a diagnosis.
fn recovered(p: &crate::model::Pod) -> bool {
    p.is_running()
        && p.is_ready()
        && !p.all_statuses().any(|cs| {
            cs.state.waiting.as_ref().and_then(|w| w.reason.as_deref())
                == Some("CreateContainerConfigError")
        })
}

/// The `create_container_config` check: every hit is given its cause, the reference it
/// names and the pod's workload; events of pods that have since started are dropped.
pub fn check(inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    hits.into_iter()
        .filter(|h| {
            let pod = match (h.facts.get("namespace"), h.facts.get("pod")) {
                (Some(ns), Some(pod)) => inputs.index.pod(ns, pod),
                _ => None,
            };
            !pod.is_some_and(recovered)
        })
        .map(|mut h| {
            let message = h.facts.get("message").cloned().unwrap_or_default();
            for (k, v) in classify(&message) {
                h.facts.insert(k.into(), v);
            }
            let pod = match (h.facts.get("namespace"), h.facts.get("pod")) {
                (Some(ns), Some(pod)) => inputs.index.pod(ns, pod),
                _ => None,
            };
            if let Some(p) = pod {
                if let Some((kind, name)) = super::acr_registry_typo::workload_of(p) {
                    h.facts.insert("workload_kind".into(), kind);
                    h.facts.insert("workload".into(), name);
                }
                // The event does not say which container; the status does.
                if !h.facts.contains_key("container") {
                    if let Some(cs) = p.all_statuses().find(|cs| {
                        cs.state.waiting.as_ref().and_then(|w| w.reason.as_deref())
                            == Some("CreateContainerConfigError")
                    }) {
                        h.facts.insert("container".into(), cs.name.clone());
                    }
                }
            }
            // A key's namespace is the pod's when the message does not say.
            if let Some(ns) = h.facts.get("namespace").cloned() {
                h.facts.entry("ref_namespace".into()).or_insert(ns);
            }
            h
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::classify;

    fn get(msg: &str, key: &str) -> Option<String> {
        classify(msg)
            .into_iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
    }

    #[test]
    fn missing_objects_in_every_generation() {
        for (msg, kind, name) in [
            (
                r#"Error: configmap "autotune-config-key" not found"#,
                "configmap",
                "autotune-config-key",
            ),
            (
                r#"Error: secrets "secrets-2.16.4-1" not found"#,
                "secret",
                "secrets-2.16.4-1",
            ),
            (
                r#"secret \"smtp-account\" not found"#,
                "secret",
                "smtp-account",
            ),
        ] {
            assert_eq!(
                get(msg, "cause").as_deref(),
                Some("missing_object"),
                "{msg}"
            );
            assert_eq!(get(msg, "ref_kind").as_deref(), Some(kind), "{msg}");
            assert_eq!(get(msg, "ref_name").as_deref(), Some(name), "{msg}");
        }
    }

    #[test]
    fn missing_keys_old_and_new_case() {
        let m = "Error: Couldn't find key contiv_etcd in ConfigMap kube-system/contiv-config";
        assert_eq!(get(m, "cause").as_deref(), Some("missing_key"));
        assert_eq!(get(m, "ref_key").as_deref(), Some("contiv_etcd"));
        assert_eq!(get(m, "ref_kind").as_deref(), Some("configmap"));
        assert_eq!(get(m, "ref_namespace").as_deref(), Some("kube-system"));
        assert_eq!(get(m, "ref_name").as_deref(), Some("contiv-config"));
        let m = "couldn't find key VALUE in Secret default/aegis-secret-aegis-workload-demo";
        assert_eq!(get(m, "ref_kind").as_deref(), Some("secret"));
        assert_eq!(
            get(m, "ref_name").as_deref(),
            Some("aegis-secret-aegis-workload-demo")
        );
    }

    #[test]
    fn run_as_non_root_and_the_rest() {
        let m = r#"container has runAsNonRoot and image will run as root (pod: "x_ns(uid)", container: app)"#;
        assert_eq!(get(m, "cause").as_deref(), Some("run_as_non_root"));
        assert_eq!(get(m, "image_user").as_deref(), Some("root"));
        let m = "container has runAsNonRoot and image has non-numeric user (nginx), cannot verify user is non-root";
        assert_eq!(get(m, "image_user").as_deref(), Some("non_numeric_user"));
        assert_eq!(
            get(
                "failed to sync configmap cache: timed out waiting for the condition",
                "cause"
            )
            .as_deref(),
            Some("other")
        );
    }
}
