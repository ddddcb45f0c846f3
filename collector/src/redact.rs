//! Redaction of everything the collector writes: Kubernetes objects (JSON) and free text
//! (logs, attachments, kubectl's stderr). Each replaced secret counts once toward
//! `manifest.redactions`. Rules are narrow on purpose: resource names such as
//! `keyvault-secrets`, UIDs, IPs, image names and klog lines must come through untouched.

use regex::bytes::{Captures, Regex};
use serde_json::Value;
use std::borrow::Cow;
use std::sync::OnceLock;

/// What a redacted value is replaced with.
pub const REDACTED: &str = "[REDACTED]";

/// The annotation `kubectl apply` keeps; it holds the whole last-applied object, secrets and all.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Text rules. Each regex has three groups: a prefix that stays, the secret, a suffix that
/// stays. Order matters: the broad env-style rule runs before the narrower ones so a
/// connection string assigned to `*_CONNECTION_STRING=` counts once.
const RULES: &[(&str, &str)] = &[
    // PEM private keys, whole block (RSA, EC, OPENSSH, ENCRYPTED, plain PKCS#8); newlines may
    // be real or JSON-escaped.
    (
        "pem-private-key",
        r"(-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----)((?:[A-Za-z0-9+/=:,\- \t\r\n]|\\[rn])+?)(-----END [A-Z0-9 ]*PRIVATE KEY-----)",
    ),
    // A PEM block cut off before its END line (log byte cap).
    (
        "pem-private-key-truncated",
        r"(-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----)((?:[A-Za-z0-9+/= \t\r\n]|\\[rn])+)()",
    ),
    // JSON Web Tokens: base64url header and payload, both JSON objects (`eyJ`).
    (
        "jwt",
        r"()(\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*)()",
    ),
    // Environment-style assignments with a secret-like upper-case name, e.g. in `env` dumps,
    // shell traces and attachments: DB_PASSWORD=..., STORAGE_CONNECTION_STRING=...
    (
        "env-assignment",
        r#"(\b[A-Z0-9_]*(?:SECRET|PASSWORD|PASSWD|TOKEN|KEY|CONNECTION_STRING|CONNECTIONSTRING|CREDENTIAL)[A-Z0-9_]*=)("[^"\r\n]*"|'[^'\r\n]*'|[^\s"']+)()"#,
    ),
    // Azure storage / Service Bus / Event Hubs connection-string keys, APIM subscription keys.
    (
        "azure-key",
        r#"(?i)(\b(?:AccountKey|SharedAccessKey|PrimaryKey|SecondaryKey)\s*=\s*)([^;\s"'&<>]+)()"#,
    ),
    (
        "subscription-key",
        r#"(?i)(\bOcp-Apim-Subscription-Key\s*[:=]\s*)([^;\s"'&<>]+)()"#,
    ),
    // SAS signature in a URL or SAS token.
    ("sas-signature", r#"(?i)(\bsig=)([^&\s"';<>]+)()"#),
    // Authorization headers.
    ("bearer", r"(?i)(\bbearer\s+)([A-Za-z0-9\-._~+/]{20,}=*)()"),
    (
        "basic-auth",
        r"(?i)(\bauthorization\s*:\s*basic\s+)([A-Za-z0-9+/]{8,}=*)()",
    ),
    // Passwords in URLs: scheme://user:password@host.
    (
        "url-password",
        r#"(\b[A-Za-z][A-Za-z0-9+.\-]*://[^/\s:@"']*:)([^@/\s"']+)(@)"#,
    ),
    // OAuth client secrets: client_secret=..., clientSecret: ..., "client-secret": "...".
    (
        "client-secret",
        r#"(?i)(\bclient[_-]?secret["']?\s*[:=]\s*["']?)([^&\s"',;]+)()"#,
    ),
    // password=... in connection strings and query strings.
    (
        "password-assignment",
        r#"(?i)(\b(?:password|passwd|pwd)\s*=\s*)([^;&\s"']+)()"#,
    ),
    // Secret-bearing JSON keys, as in docker config JSON (`auth`, `password`,
    // `identitytoken`) and token responses.
    (
        "json-secret-key",
        r#"(?i)("(?:password|passwd|auth|identitytoken|registrytoken|client_secret|clientsecret|token|access_token|refresh_token|id_token|client-key-data|client-certificate-data|apikey|api_key)"\s*:\s*")((?:[^"\\]|\\.)+)(")"#,
    ),
    // Secret-bearing YAML keys, as in a kubeconfig pasted into an attachment (block style,
    // or flow style: `user: {token: ...}`).
    (
        "yaml-secret-key",
        r#"(?m)((?:^|[{,])[ \t]*(?:-[ \t]+)?(?:token|client-key-data|client-certificate-data|password|client-secret|id-token|refresh-token|access-token)[ \t]*:[ \t]*)("[^"\r\n]*"|'[^'\r\n]*'|[^\s"'#,{}]+)()"#,
    ),
    // A device-code sign-in prompt (kubelogin): the code lets whoever enters it first sign in.
    (
        "device-code",
        r"(?i)(\benter the code\s+)([A-Z0-9]{6,12})()",
    ),
    // Command-line flags: --password=..., --client-secret=..., --storage-account-key=...
    (
        "secret-flag",
        r"(?i)(--(?:[a-z0-9]+-)*(?:password|secret|token|api-key|access-key|account-key|key)=)(\S+)()",
    ),
];

/// Compiled text rules, built once.
fn rules() -> &'static [(&'static str, Regex)] {
    static RULES_RE: OnceLock<Vec<(&'static str, Regex)>> = OnceLock::new();
    RULES_RE.get_or_init(|| {
        RULES
            .iter()
            .map(|(name, re)| {
                // The patterns are constants checked by the unit tests.
                (*name, Regex::new(re).expect("redaction rule compiles"))
            })
            .collect()
    })
}

/// Redacts secrets in free text. Returns the text (borrowed when nothing changed) and how
/// many secrets were replaced. Non-UTF-8 bytes are kept as they are.
pub fn redact_text(input: &[u8]) -> (Cow<'_, [u8]>, u64) {
    let mut text: Cow<'_, [u8]> = Cow::Borrowed(input);
    let mut count = 0u64;
    for (_, re) in rules() {
        let replaced = re.replace_all(&text, |caps: &Captures<'_>| {
            let secret = &caps[2];
            let inner = secret
                .strip_prefix(b"\"")
                .and_then(|s| s.strip_suffix(b"\""))
                .or_else(|| secret.strip_prefix(b"'").and_then(|s| s.strip_suffix(b"'")))
                .unwrap_or(secret);
            if inner.is_empty() || inner == REDACTED.as_bytes() {
                return caps[0].to_vec();
            }
            count += 1;
            let mut out = Vec::with_capacity(caps[0].len());
            out.extend_from_slice(&caps[1]);
            out.extend_from_slice(REDACTED.as_bytes());
            out.extend_from_slice(&caps[3]);
            out
        });
        if let Cow::Owned(changed) = replaced {
            text = Cow::Owned(changed);
        }
    }
    (text, count)
}

/// [`redact_text`] for a string.
pub fn redact_str(input: &str) -> (Cow<'_, str>, u64) {
    match redact_text(input.as_bytes()) {
        (Cow::Borrowed(_), n) => (Cow::Borrowed(input), n),
        (Cow::Owned(bytes), n) => (Cow::Owned(String::from_utf8_lossy(&bytes).into_owned()), n),
    }
}

/// True for an environment variable name that suggests a secret value
/// (`*SECRET*`, `*PASSWORD*`, `*TOKEN*`, `*KEY*`, `*CONNECTION_STRING*`, ...), case-insensitive.
pub fn is_secret_env_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    [
        "SECRET",
        "PASSWORD",
        "PASSWD",
        "TOKEN",
        "KEY",
        "CONNECTION_STRING",
        "CONNECTIONSTRING",
        "CREDENTIAL",
    ]
    .iter()
    .any(|word| upper.contains(word))
}

/// Redacts a Kubernetes object or list in place and returns the number of redactions.
///
/// - `metadata.managedFields` is dropped (noise; not counted);
/// - the `kubectl.kubernetes.io/last-applied-configuration` annotation is dropped (it can
///   embed a whole Secret manifest; counted);
/// - `env` entries with a secret-like name get their `value` replaced (counted);
/// - every other string goes through [`redact_text`].
pub fn redact_json(value: &mut Value) -> u64 {
    match value {
        Value::Object(map) => {
            let mut count = 0;
            if let Some(Value::Object(meta)) = map.get_mut("metadata") {
                meta.remove("managedFields");
                if let Some(Value::Object(annotations)) = meta.get_mut("annotations") {
                    if annotations.remove(LAST_APPLIED).is_some() {
                        count += 1;
                    }
                }
            }
            if let Some(Value::Array(env)) = map.get_mut("env") {
                for var in env.iter_mut() {
                    count += redact_env_var(var);
                }
            }
            for child in map.values_mut() {
                count += redact_json(child);
            }
            count
        }
        Value::Array(items) => items.iter_mut().map(redact_json).sum(),
        Value::String(s) => {
            let (redacted, n) = redact_str(s);
            if let Cow::Owned(new) = redacted {
                *s = new;
            }
            n
        }
        _ => 0,
    }
}

/// `{"name": "DB_PASSWORD", "value": "..."}` → value replaced.
fn redact_env_var(var: &mut Value) -> u64 {
    let Value::Object(var) = var else { return 0 };
    let secret_name = var
        .get("name")
        .and_then(Value::as_str)
        .is_some_and(is_secret_env_name);
    match var.get_mut("value") {
        Some(Value::String(v)) if secret_name && !v.is_empty() && v != REDACTED => {
            *v = REDACTED.to_string();
            1
        }
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn red(s: &str) -> (String, u64) {
        let (out, n) = redact_str(s);
        (out.into_owned(), n)
    }

    /// (input, the secret that must be gone)
    const SECRETS: &[(&str, &str)] = &[
        (
            "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=c2VjcmV0a2V5c2VjcmV0a2V5Zm9v==;EndpointSuffix=core.windows.net",
            "c2VjcmV0a2V5c2VjcmV0a2V5Zm9v",
        ),
        (
            "GET https://acct.blob.core.windows.net/c/b?sv=2022-11-02&ss=b&sp=r&se=2026-12-01&sig=AbCdEf%2Bghij0123456789%3D HTTP/1.1",
            "AbCdEf%2Bghij0123456789",
        ),
        (
            "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey=q1w2e3r4t5y6u7i8o9p0=",
            "q1w2e3r4t5y6u7i8o9p0",
        ),
        (
            "Authorization: Bearer 0123456789abcdefABCDEF0123456789.opaque",
            "0123456789abcdefABCDEF0123456789",
        ),
        (
            "token: eyJhbGciOiJSUzI1NiIsImtpZCI6IjEyMyJ9.eyJhdWQiOiJhcGkiLCJzdWIiOiJ4In0.c2lnbmF0dXJlLXBhcnQ",
            "eyJhdWQiOiJhcGkiLCJzdWIiOiJ4In0",
        ),
        ("connecting to postgres://admin:Hunter2Pass@db.internal:5432/app", "Hunter2Pass"),
        ("REDIS_URL=redis://:R3disOnlyPass@cache:6380/0", "R3disOnlyPass"),
        (
            "POST /oauth2/v2.0/token grant_type=client_credentials&client_id=abc&client_secret=Zx8Q~verysecretvalue&scope=x",
            "Zx8Q~verysecretvalue",
        ),
        ("clientSecret: Zx8Q~anothersecret", "Zx8Q~anothersecret"),
        (
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\nVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n-----END RSA PRIVATE KEY-----",
            "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun",
        ),
        (
            "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n-----END PRIVATE KEY-----",
            "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
        ),
        (
            "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIOtruncatedkeymaterial",
            "MHcCAQEEIOtruncatedkeymaterial",
        ),
        (
            r#"{"auths":{"myacr.azurecr.io":{"username":"myacr","password":"S3cr3tRegistryPass","auth":"bXlhY3I6UzNjcjN0UmVnaXN0cnlQYXNz"}}}"#,
            "S3cr3tRegistryPass",
        ),
        (
            r#"{"auths":{"myacr.azurecr.io":{"auth":"bXlhY3I6UzNjcjN0UmVnaXN0cnlQYXNz"}}}"#,
            "bXlhY3I6UzNjcjN0UmVnaXN0cnlQYXNz",
        ),
        (
            "users:\n- name: admin\n  user:\n    token: 0123abcdkubeconfigtoken\n",
            "0123abcdkubeconfigtoken",
        ),
        (
            "    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQ==\n",
            "LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQ",
        ),
        // The client certificate identifies the kubeconfig's user: it leaves with the key.
        (
            "    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUZIVENDQXdXZ0F3\n",
            "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUZIVENDQXdXZ0F3",
        ),
        (
            r#"{"users":[{"name":"clusterUser","user":{"client-certificate-data":"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUZIVENDQ","client-key-data":"LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0t"}}]}"#,
            "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUZIVENDQ",
        ),
        ("- name: u\n  user: {token: fl0wStyleT0ken, username: admin}", "fl0wStyleT0ken"),
        ("DB_PASSWORD=hunter2-is-secret", "hunter2-is-secret"),
        (
            "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code F7GH2JK9L to authenticate.",
            "F7GH2JK9L",
        ),
        ("export API_TOKEN='tok-with spaces'", "tok-with spaces"),
        ("Server=tcp:sql.database.windows.net;Password=P@ssw0rd!;", "P@ssw0rd!"),
        ("az login --service-principal --password=Sp.Secret.123", "Sp.Secret.123"),
        (
            "Authorization: Basic YWRtaW46cGFzc3dvcmQxMjM=",
            "YWRtaW46cGFzc3dvcmQxMjM",
        ),
        ("Ocp-Apim-Subscription-Key: 0a1b2c3d4e5f67890a1b2c3d4e5f6789", "0a1b2c3d4e5f67890a1b2c3d4e5f6789"),
    ];

    /// Text that must come through byte for byte.
    const ORDINARY: &[&str] = &[
        "mcr.microsoft.com/oss/azure/secrets-store/provider-azure:v1.5.0",
        "docker-pullable://mcr.microsoft.com/oss/kubernetes-csi/secrets-store/driver@sha256:1b9b3a3d5c6a0e8f1d2c3b4a5968776655443322110ffeeddccbbaa998877665",
        "0d9c1c3e-5b8e-4f0e-9a8c-2f1d3e4b5a6c",
        "10.244.1.17",
        "dial tcp 10.0.0.1:443: i/o timeout",
        "E1122 04:01:02.123456       1 server.go:123] failed to get key vault token: nmi response failed with status code: 404",
        "I1122 04:01:02.123456       1 provider.go:45] \"mount request\" pod=\"default/web-5d8f\" secretProviderClass=\"azure-kvname\"",
        "keyvault-secrets",
        "token-reviewer",
        "secrets-store-csi-driver",
        "secretName: keyvault-secrets",
        "failed to read password: file not found",
        "using a bearer token from the service account",
        "http://localhost:2579/host/token/",
        "https://kv-prod.vault.azure.net/secrets/db-password?api-version=7.2",
        "dial tcp 127.0.0.1:10090: connect: connection refused",
        "MountVolume.SetUp failed for volume \"secrets-store-inline\" : rpc error: code = Unknown",
        "Normal  Pulled  kubelet  Successfully pulled image \"myacr.azurecr.io/web:1.2.3\"",
        "--secret-name=keyvault-secrets --token-ttl=3600",
        "serviceAccountToken expirationSeconds: 3607",
        "SharedAccessKeyName=RootManageSharedAccessKey",
        "AADSTS70021: No matching federated identity record found for presented assertion",
    ];

    #[test]
    fn every_secret_format_is_redacted() {
        for (input, secret) in SECRETS {
            let (out, n) = red(input);
            assert!(!out.contains(secret), "secret survived in {out:?}");
            assert!(out.contains(REDACTED), "no marker in {out:?}");
            assert!(n >= 1, "not counted: {input}");
        }
    }

    #[test]
    fn ordinary_text_survives_untouched() {
        for input in ORDINARY {
            let (out, n) = red(input);
            assert_eq!(&out, input);
            assert_eq!(n, 0, "{input}");
        }
    }

    #[test]
    fn redaction_is_idempotent_and_counted_once() {
        let (once, n1) = red("Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123456789");
        assert_eq!(n1, 1);
        assert_eq!(once, "Authorization: Bearer [REDACTED]");
        let (twice, n2) = red(&once);
        assert_eq!(twice, once);
        assert_eq!(n2, 0);
    }

    #[test]
    fn surrounding_text_is_kept() {
        let (out, _) = red("sig=abc123&se=2026 next");
        assert_eq!(out, "sig=[REDACTED]&se=2026 next");
        let (out, _) = red("postgres://admin:pw12345@db:5432/app");
        assert_eq!(out, "postgres://admin:[REDACTED]@db:5432/app");
    }

    #[test]
    fn env_names() {
        for name in [
            "DB_PASSWORD",
            "client_secret",
            "API_TOKEN",
            "STORAGE_CONNECTION_STRING",
            "SSH_KEY",
        ] {
            assert!(is_secret_env_name(name), "{name}");
        }
        for name in ["PATH", "HOME", "LOG_LEVEL", "AZURE_CLIENT_ID", "NODE_NAME"] {
            assert!(!is_secret_env_name(name), "{name}");
        }
    }

    #[test]
    fn json_objects_lose_secrets_and_managed_fields_but_keep_names() {
        let mut pod = json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": "web-5d8f",
                "uid": "0d9c1c3e-5b8e-4f0e-9a8c-2f1d3e4b5a6c",
                "managedFields": [{"manager": "kubectl"}],
                "annotations": {
                    LAST_APPLIED: "{\"env\":[{\"name\":\"DB_PASSWORD\",\"value\":\"hunter2\"}]}",
                    "team": "payments"
                }
            },
            "spec": {
                "containers": [{
                    "name": "web",
                    "image": "myacr.azurecr.io/web:1.2.3",
                    "env": [
                        {"name": "DB_PASSWORD", "value": "hunter2"},
                        {"name": "LOG_LEVEL", "value": "debug"},
                        {"name": "API_TOKEN", "valueFrom": {"secretKeyRef": {"name": "api", "key": "token"}}},
                        {"name": "URL", "value": "https://u:pa55word@example.com/"}
                    ]
                }],
                "volumes": [{"name": "kv", "secret": {"secretName": "keyvault-secrets"}}]
            }
        });
        let n = redact_json(&mut pod);
        assert_eq!(n, 3, "{pod}");
        let text = pod.to_string();
        assert!(!text.contains("hunter2"));
        assert!(!text.contains("pa55word"));
        assert!(!text.contains("managedFields"));
        assert!(!text.contains(LAST_APPLIED));
        for kept in [
            "keyvault-secrets",
            "payments",
            "debug",
            "secretKeyRef",
            "myacr.azurecr.io/web:1.2.3",
            "0d9c1c3e-5b8e-4f0e-9a8c-2f1d3e4b5a6c",
        ] {
            assert!(text.contains(kept), "{kept} lost");
        }
    }
}
