//! `ProvisioningFailed` events of PersistentVolumeClaims: splits the provisioner's error into
//! causes (the StorageClass missing, the cluster identity not found or not allowed, a
//! storage account firewall refusing the share's creation, the CSI controller timing out
//! or unreachable, the storage account missing) and drops claims a later
//! `ProvisioningSucceeded` event shows provisioned.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::engine::{Hit, Inputs};

struct Cause {
    name: &'static str,
    re: Regex,
}

static CAUSES: LazyLock<Vec<Cause>> = LazyLock::new(|| {
    let c = |name, p: &str| Cause {
        name,
        re: Regex::new(p).expect("cause regex"),
    };
    vec![
        c(
            "storage_class_missing",
            r#"(?i)storageclass\.storage\.k8s\.io \\?"[^"\\]+\\?" not found"#,
        ),
        c("identity_not_found", r"(?i)Identity not found"),
        c(
            "storage_firewall",
            r"(?is)(?:StatusCode=403|HTTPStatusCode: 403).{0,200}(?:AuthorizationFailure|This request is not authorized to perform this operation)",
        ),
        c(
            "authorization",
            r"(?is)AuthorizationFailed|does not have authorization to perform action",
        ),
        c(
            "account_not_found",
            r#"(?is)could not get storage key for storage account.{0,300}(?:ResourceNotFound|StorageAccountNotFound|was not found)"#,
        ),
        c(
            "quota",
            r"(?i)QuotaExceeded|exceeding approved .{0,80}quota|OperationNotAllowed.{0,200}quota",
        ),
        c(
            "controller_unavailable",
            r"(?i)code = (?:DeadlineExceeded|Unavailable)|context deadline exceeded|error reading from server: EOF|connection refused",
        ),
    ]
});

static ACTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)authorization to perform action '(?P<action>[^']+)'").expect("action regex")
});

static ACCOUNT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:storage account |in account |storageAccounts/)(?P<account>[a-z0-9]{3,24})\b",
    )
    .expect("account regex")
});

/// The cause of a provisioning failure.
pub fn classify(message: &str) -> &'static str {
    CAUSES
        .iter()
        .find(|c| c.re.is_match(message))
        .map_or("other", |c| c.name)
}

/// The `pvc_provisioning` check.
pub fn check(inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    // The last successful provisioning of each claim.
    let mut succeeded: HashMap<String, i64> = HashMap::new();
    for (ns, ev) in inputs.index.events() {
        if ev.reason.as_deref() != Some("ProvisioningSucceeded")
            || ev.involved_object.kind.as_deref() != Some("PersistentVolumeClaim")
        {
            continue;
        }
        if let Some(t) = ev.last_seen().and_then(crate::time::seconds) {
            let e = succeeded.entry(ev.object_ref(ns)).or_insert(t);
            *e = (*e).max(t);
        }
    }
    hits.into_iter()
        .filter(|h| {
            let done = h.object.as_ref().and_then(|o| succeeded.get(o));
            let last = h
                .evidence
                .iter()
                .filter_map(|e| e.last_seen.as_deref().and_then(crate::time::seconds))
                .max();
            !matches!((done, last), (Some(d), Some(l)) if *d >= l)
        })
        .map(|mut h| {
            let message = h.facts.get("message").cloned().unwrap_or_default();
            let cause = classify(&message);
            h.facts.insert("cause".into(), cause.into());
            h.facts.insert(format!("cause_{cause}"), "true".into());
            if let Some(name) = h.facts.get("name").cloned() {
                let ns = h.facts.get("namespace").cloned().unwrap_or_default();
                h.evidence
                    .extend(super::storage::claim_users(inputs, &ns, &name));
                h.facts.insert("claim".into(), name);
            }
            if let Some(a) = ACTION.captures(&message) {
                h.facts.insert("action".into(), a["action"].to_string());
            }
            if let Some(a) = ACCOUNT.captures(&message) {
                h.facts
                    .insert("account".into(), a["account"].to_ascii_lowercase());
            }
            h
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provisioning_errors_split_into_causes() {
        let cases = [
            (
                r#"storageclass.storage.k8s.io "fast" not found"#,
                "storage_class_missing",
            ),
            (
                r#"failed to provision volume with StorageClass "managed-csi": rpc error: code = Unknown desc = Retriable: false, RetryAfter: 0s, HTTPStatusCode: 400, RawError: azure.BearerAuthorizer#WithAuthorization: Failed to refresh the Token for request to https://management.azure.com/subscriptions/x: StatusCode=400 -- Original Error: adal: Refresh request failed. Status Code = '400'. Response body: {"error":"invalid_request","error_description":"Identity not found"}"#,
                "identity_not_found",
            ),
            (
                r#"Failed to provision volume with StorageClass "azurefile": failed to create share kubernetes-dynamic-pvc-1 in account f1: failed to create file share, err: storage: service returned error: StatusCode=403, ErrorCode=AuthorizationFailure, ErrorMessage=This request is not authorized to perform this operation."#,
                "storage_firewall",
            ),
            (
                r#"failed to provision volume with StorageClass "azurefile-csi": rpc error: code = Internal desc = failed to ensure storage account: could not get storage key for storage account sa1: Retriable: false, RetryAfter: 0s, HTTPStatusCode: 403, RawError: {"error":{"code":"AuthorizationFailed","message":"The client 'x' does not have authorization to perform action 'Microsoft.Storage/storageAccounts/listKeys/action' over scope"}}"#,
                "authorization",
            ),
            (
                r#"failed to provision volume with StorageClass "disk.csi.azure.com": rpc error: code = DeadlineExceeded desc = context deadline exceeded"#,
                "controller_unavailable",
            ),
            (
                "failed to provision volume with StorageClass \"x\": invalid parameter",
                "other",
            ),
        ];
        for (m, want) in cases {
            assert_eq!(classify(m), want, "{m}");
        }
    }

    #[test]
    fn account_names_come_from_share_and_key_errors() {
        let m = "failed to create share kubernetes-dynamic-pvc-1 in account f1a2b3c4d5: failed";
        assert_eq!(
            ACCOUNT.captures(m).map(|c| c["account"].to_string()),
            Some("f1a2b3c4d5".into())
        );
    }
}
