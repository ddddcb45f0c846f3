//! The per-format corpus: every secret format the collector must catch (issue 17's planted
//! secrets among them), and ordinary text it must leave alone byte for byte.

use super::*;
use serde_json::json;

fn red(s: &str) -> (String, u64) {
    let (out, n) = redact_str(s);
    (out.into_owned(), n)
}

/// (input, the secret that must be gone)
const SECRETS: &[(&str, &str)] = &[
    // --- formats caught before issue 17
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
    ("Authorization: Bearer 0123456789abcdefABCDEF0123456789.opaque", "0123456789abcdefABCDEF0123456789"),
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
    ("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIOtruncatedkeymaterial", "MHcCAQEEIOtruncatedkeymaterial"),
    (
        r#"{"auths":{"myacr.azurecr.io":{"username":"myacr","password":"S3cr3tRegistryPass","auth":"bXlhY3I6UzNjcjN0UmVnaXN0cnlQYXNz"}}}"#,
        "S3cr3tRegistryPass",
    ),
    (
        r#"{"auths":{"myacr.azurecr.io":{"auth":"bXlhY3I6UzNjcjN0UmVnaXN0cnlQYXNz"}}}"#,
        "bXlhY3I6UzNjcjN0UmVnaXN0cnlQYXNz",
    ),
    ("users:\n- name: admin\n  user:\n    token: 0123abcdkubeconfigtoken\n", "0123abcdkubeconfigtoken"),
    ("    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQ==\n", "LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQ"),
    (
        "    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUZIVENDQXdXZ0F3\n",
        "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUZIVENDQXdXZ0F3",
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
    ("Authorization: Basic YWRtaW46cGFzc3dvcmQxMjM=", "YWRtaW46cGFzc3dvcmQxMjM"),
    ("Ocp-Apim-Subscription-Key: 0a1b2c3d4e5f67890a1b2c3d4e5f6789", "0a1b2c3d4e5f67890a1b2c3d4e5f6789"),
    // --- issue 17: token formats, whatever name they carry
    ("cloning with ghp_HAZt9xslXTTIQrh6bpy0VAq3GZuO2R8UziJd for the build", "ghp_HAZt9xslXTTIQrh6bpy0VAq3GZuO2R8UziJd"),
    ("aws configure set aws_access_key_id AKIAVB3XDWD6XAZPHNPX", "AKIAVB3XDWD6XAZPHNPX"),
    ("aws_secret_access_key = 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", "hIiJyqGNSOvQmIQbgSc7I8gzNHj/crZ/YxzGtoBg"),
    ("//registry.npmjs.org/:_authToken=npm_i0Y4mj4TIJZ9RnvIh4TOetAfG82EOMjRZA0G", "npm_i0Y4mj4TIJZ9RnvIh4TOetAfG82EOMjRZA0G"),
    ("posting to slack as xoxb-84550261446-718183384924-dU4FLz0FoJAHOCe9DWnoEu0m", "dU4FLz0FoJAHOCe9DWnoEu0m"),
    ("E1122 auth.go:88] AADSTS7000215: invalid secret xMb8Q~2gQvDOVwBM3T5lnbyw575.r85bLHxb7RQB provided", "xMb8Q~2gQvDOVwBM3T5lnbyw575.r85bLHxb7RQB"),
    // --- flags, two words and attached
    ("exec /app/server --db-host db --password Tr0ub4dor&3x --port 5432", "Tr0ub4dor"),
    ("+ mysql -h mysql.prod -uroot -pMyR00tPw! app < dump.sql", "MyR00tPw!"),
    ("redis-cli -h cache -a R3d1sP4ssw0rd ping", "R3d1sP4ssw0rd"),
    ("curl -sf -u deploy:D3pl0yPw https://nexus/repo", "D3pl0yPw"),
    // --- headers in commands and logs
    (r#"curl -H "X-Api-Key: 19aa3a47f9e3872d96fb46492dec445a" https://api.example.com/v1"#, "19aa3a47f9e3872d96fb46492dec445a"),
    ("2026-11-22T04:01:02Z request headers: api-key: 7d0c3b1a9e8f4d2c6b5a4e3f2d1c0b9a host: x", "7d0c3b1a9e8f4d2c6b5a4e3f2d1c0b9a"),
    ("Authorization: Token 9f8e7d6c5b4a39281706f5e4d3c2b1a0", "9f8e7d6c5b4a39281706f5e4d3c2b1a0"),
    // --- JSON, JSON-escaped in a log line, YAML mid-line
    (r#"{"level":"info","msg":"config loaded","config":"{\"db\":{\"password\":\"Js0nEsc4ped!\"}}"}"#, "Js0nEsc4ped!"),
    ("connecting with user=admin password: Pr0dP@ss! timeout=5s", "Pr0dP@ss!"),
    // --- URL-encoded forms and query strings
    ("GET /upload?target=https%3A%2F%2Fa.blob.core.windows.net%2Fc%3Fsv%3D2022-11-02%26sig%3DkXn3%252FsP0QzV8aLr1mYc5Tt7Uu9WwEe2Rr4Yy%253D%26se%3D2026", "kXn3%252FsP0QzV8aLr1mYc5Tt7Uu9WwEe2Rr4Yy"),
    ("body: grant_type=password&username=svc&password=F0rmEnc0ded%21&client_id=x", "F0rmEnc0ded%21"),
    // --- names outside the old list; DSNs; webhooks
    ("DB_PWD=Pwd!2026x", "Pwd!2026x"),
    ("GH_PAT=github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefgh", "github_pat_11ABCDEFG0123456789"),
    ("GH_PAT=0f9e8d7c6b5a49382716a5b4c3d2e1f0a9b8c7d6", "0f9e8d7c6b5a49382716a5b4c3d2e1f0a9b8c7d6"),
    ("SENTRY_DSN=https://3f2a9c1b7d4e4f0a8b6c5d4e3f2a1b0c@o450123.ingest.sentry.io/5501234", "3f2a9c1b7d4e4f0a8b6c5d4e3f2a1b0c"),
    ("sending alert to https://hooks.slack.com/services/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", "B9dVIdmIqrww8IL0Az6aHWvf"),
    ("TEAMS_WEBHOOK=https://contoso.webhook.office.com/webhookb2/abc@def/IncomingWebhook/0123abcd/ef45", "IncomingWebhook/0123abcd"),
    ("ALERT_WEBHOOK_URL=https://alerts.internal.example/hook/7f3e2d1c", "alerts.internal.example/hook/7f3e2d1c"),
    // --- base64 that decodes to a secret
    ("config=eyJ1c2VybmFtZSI6InN2YyIsInBhc3N3b3JkIjoiU3VwM3JTM2NyZXQtQjY0In0=", "eyJ1c2VybmFtZSI6InN2YyIsInBhc3N3b3JkIjoiU3VwM3JTM2NyZXQtQjY0In0"),
    ("bootstrap blob dG9rZW49Z2hwX2c4MFc0UE9YNVlxcG5uSTN4MVVCeXI4ZnR6NlBuNHVhYzNLTA== applied", "dG9rZW49Z2hwX2c4MFc0UE9YNVlxcG5uSTN4MVVCeXI4ZnR6NlBuNHVhYzNLTA"),
    // --- issue 12: CoreDNS plugin credentials in the coredns-custom ConfigMap
    ("      credentials coredns EtcdPassw0rd-x1", "EtcdPassw0rd-x1"),
    ("skydns.local:53 {\n    etcd {\n      credentials coredns EtcdPassw0rd-x2\n    }\n}\n", "EtcdPassw0rd-x2"),
    ("  aws_access_key AKIDPLACEHOLDR wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"),
    // --- a token in an event message
    ("Failed to pull image \"myacr.azurecr.io/web:1.2.3\": rpc error: unauthorized: token ghp_HAZt9xslXTTIQrh6bpy0VAq3GZuO2R8UziJd expired", "ghp_HAZt9xslXTTIQrh6bpy0VAq3GZuO2R8UziJd"),
];

/// Text that must come through byte for byte: klog lines, UIDs, digests, resource names,
/// IPs, Git SHAs, CA bundles, prose that mentions secrets.
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
    "KEY_VAULT_NAME=myvault",
    "AZURE_CLIENT_ID=5f3c2a1e-7b9d-4c8e-a1f2-3d4e5f6a7b8c",
    "AZURE_FEDERATED_TOKEN_FILE=/var/run/secrets/azure/tokens/azure-identity-token",
    "git-commit: 3f2a9c1b7d4e4f0a8b6c5d4e3f2a1b0c9d8e7f60",
    "app.kubernetes.io/version=3f2a9c1b7d4e",
    "caBundle: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUMvekNDQWVlZ0F3SUJBZ0lCQURBTkJna3Foa2lHOXcwQkFRc0ZBREFWTVJNd0VRWURWUVFERXdwcmRXSmwKY201bGRHVnpNQjRYRFRJMk1URXlNakEwTURBd01Gb1hEVE0yTVRFeU1EQTBNREF3TUZvd0ZURVRNQkVHQTFVRQpBeE1LYTNWaVpYSnVaWFJsY3pDQ0FTSXdEUVlKS29aSWh2Y05BUUVCQlFBRGdnRVBBRENDQVFvQ2dnRUJBTDNrCi0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K",
    "I1122 04:01:02.000000 1 tokens.go:87] refreshing token: expires in 3600s",
    "W1122 04:01:02.000000 1 reflector.go:424] failed to list *v1.Secret: secrets is forbidden: User \"system:serviceaccount:kube-system:csi\" cannot list resource \"secrets\"",
    "E1122 04:01:02.000000 1 auth.go:61] authentication failed: token has expired",
    "level=info msg=\"rotated key\" keyId=3 keyVersion=7f3e2d1c0b9a",
    "--key /etc/kubernetes/pki/apiserver.key --cert /etc/kubernetes/pki/apiserver.crt",
    "tolerations: key: node.kubernetes.io/not-ready operator: Exists",
    "use --password to set the password, or --token for a token",
    "password: <set in secret db-creds>",
    "DB_PASSWORD=$(DB_PASSWORD_FROM_SECRET)",
    "pod-template-hash=5d8f7c9b4",
    "sha256:4c1e5f3a2b0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f",
    "2026-11-22T04:01:02.123456789Z stdout F GET /healthz 200 1.2ms",
    "Authorization header missing",
    "the token was rejected: Unauthorized",
    "Basic authentication failed for user svc",
    "--client-secret-name=sp-secret --password-file=/run/secrets/pw",
    "AccountName=mystorageacct;EndpointSuffix=core.windows.net",
    "readinessProbe: httpGet path=/ready port=8080",
    "mysql -h db -u app -p app_db",
    // Issue 12: a webhook's service URL with a port; a CSI provisioner's annotation.
    "https://aks-webhook-admission-controller.aks-system.svc:443/mutate",
    "volume.kubernetes.io/provisioner-deletion-secret-namespace: default",
    "credentials rotated by the operator at 04:00",
    // klog's caller location: a source file named after tokens is no `key: value`
    // (the workload identity webhook's `token_credential.go:70]`).
    r#"E1122 04:12:30.123456       1 token_credential.go:70] "failed to acquire token""#,
];

#[test]
fn every_secret_format_is_redacted() {
    let mut caught = 0;
    for (input, secret) in SECRETS {
        let (out, n) = red(input);
        assert!(!out.contains(secret), "secret survived in {out:?}");
        assert!(out.contains(REDACTED), "no marker in {out:?}");
        assert!(n >= 1, "not counted: {input}");
        caught += 1;
    }
    eprintln!("planted secrets caught: {caught} of {}", SECRETS.len());
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
fn only_the_secret_is_replaced() {
    let cases = [
        ("sig=abc123&se=2026 next", "sig=[REDACTED]&se=2026 next"),
        (
            "postgres://admin:pw12345@db:5432/app",
            "postgres://admin:[REDACTED]@db:5432/app",
        ),
        (
            "exec /app/server --password Tr0ub4dor --port 5432",
            "exec /app/server --password [REDACTED] --port 5432",
        ),
        (
            "mysql -uroot -pMyR00tPw! app",
            "mysql -uroot -p[REDACTED] app",
        ),
        (
            r#"{\"password\":\"Js0nEsc4ped!\",\"user\":\"a\"}"#,
            r#"{\"password\":\"[REDACTED]\",\"user\":\"a\"}"#,
        ),
        (
            "connecting with password: Pr0dP@ss! timeout=5s",
            "connecting with password: [REDACTED] timeout=5s",
        ),
        (
            "x?sig%3DAbCdEfGh%2B%3D%26se%3D2026",
            "x?sig%3D[REDACTED]%26se%3D2026",
        ),
        (
            "Authorization: Token 9f8e7d6c5b4a39281706",
            "Authorization: Token [REDACTED]",
        ),
    ];
    for (input, want) in cases {
        assert_eq!(red(input).0, want, "{input}");
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
    // A token under a secret's name counts once, not once per rule.
    let (_, n) = red("GITHUB_TOKEN=ghp_HAZt9xslXTTIQrh6bpy0VAq3GZuO2R8UziJd");
    assert_eq!(n, 1);
}

#[test]
fn a_pem_key_split_over_log_lines_is_dropped_to_its_end_line() {
    let log = "2026-11-22T04:01:01Z loading key\n2026-11-22T04:01:02Z -----BEGIN OPENSSH PRIVATE KEY-----\n2026-11-22T04:01:02Z b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n2026-11-22T04:01:02Z QyNTUxOQAAACDn0sWcKyb5hX8JzFz1o2dW3Yk1t8bY3pXkz0nK1rX1bgAAAJgAAAAA\n2026-11-22T04:01:02Z -----END OPENSSH PRIVATE KEY-----\n2026-11-22T04:01:03Z key loaded\n";
    let (out, n) = red(log);
    assert_eq!(n, 1);
    assert!(
        !out.contains("b3BlbnNzaC1rZXkt") && !out.contains("QyNTUxOQAAACDn0s"),
        "{out}"
    );
    assert!(out.contains("key loaded") && out.contains("-----END OPENSSH PRIVATE KEY-----"));
    // A BEGIN line with no key below it does not swallow the log.
    let (out, _) = red("-----BEGIN RSA PRIVATE KEY-----\nnot key material: next message\n");
    assert!(out.contains("next message"), "{out}");
}

#[test]
fn streaming_matches_whole_text_and_drops_a_cut_last_line() {
    let text: String = SECRETS
        .iter()
        .map(|(s, _)| format!("{}\n", s.replace('\n', " ")))
        .collect();
    let (whole, n_whole) = redact_text(text.as_bytes());
    let mut writer = RedactingWriter::new(Vec::new());
    for chunk in text.as_bytes().chunks(7) {
        writer.write_all(chunk).unwrap();
    }
    let (streamed, n_streamed) = writer.finish(false).unwrap();
    assert_eq!(streamed, whole.as_ref());
    assert_eq!(n_streamed, n_whole);

    let mut writer = RedactingWriter::new(Vec::new());
    writer
        .write_all(b"line one\ntoken ghp_HAZt9xslXTTIQrh6")
        .unwrap();
    let (out, _) = writer.finish(true).unwrap();
    assert_eq!(out, b"line one\n");
}

#[test]
fn an_endless_line_is_redacted_in_bounded_pieces() {
    let mut writer = RedactingWriter::new(Vec::new());
    let word = b"password=Sup3rSecretValue ";
    let mut written = 0;
    while written < 3 * MAX_LINE {
        writer.write_all(word).unwrap();
        written += word.len();
        assert!(writer.pending.len() <= MAX_LINE + word.len());
    }
    let (out, n) = writer.finish(false).unwrap();
    assert!(!contains(&out, b"Sup3rSecretValue"));
    assert_eq!(n as usize, written / word.len());
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn every_token_rule_compiles_and_has_keywords() {
    let ids = rule_ids();
    assert!(ids.len() >= 70, "{}", ids.len());
    // The multi-line PEM handling is gated on rule 0's keyword.
    assert_eq!(ids[0], "pem-private-key-inline");
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), ids.len(), "duplicate rule ids");
}

#[test]
fn env_names() {
    for name in [
        "DB_PASSWORD",
        "client_secret",
        "API_TOKEN",
        "STORAGE_CONNECTION_STRING",
        "SSH_KEY",
        "DB_PWD",
        "GH_PAT",
        "SENTRY_DSN",
        "SLACK_WEBHOOK_URL",
    ] {
        assert!(is_secret_env_name(name), "{name}");
    }
    for name in [
        "PATH",
        "HOME",
        "LOG_LEVEL",
        "AZURE_CLIENT_ID",
        "NODE_NAME",
        "KEY_VAULT_NAME",
    ] {
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
                "team": "payments",
                "example.com/api-key": "0a1b2c3d4e5f67890a1b2c3d4e5f6789"
            }
        },
        "spec": {
            "containers": [{
                "name": "web",
                "image": "myacr.azurecr.io/web:1.2.3",
                "command": ["mysql", "-h", "db", "-uroot", "-pMyR00tPw!"],
                "args": ["--db-host", "db", "--password", "Tr0ub4dor", "--token-ttl", "3600", "--api-key", "19aa3a47f9e3872d96fb46492dec445a"],
                "env": [
                    {"name": "DB_PASSWORD", "value": "hunter2"},
                    {"name": "DB_PWD", "value": "pwd-2026"},
                    {"name": "GH_PAT", "value": "0f9e8d7c6b5a49382716a5b4c3d2e1f0a9b8c7d6"},
                    {"name": "SSH_KEY_NAME", "value": "deploy"},
                    {"name": "LOG_LEVEL", "value": "debug"},
                    {"name": "KEY_VAULT_NAME", "value": "kv-prod"},
                    {"name": "API_TOKEN", "valueFrom": {"secretKeyRef": {"name": "api", "key": "token"}}},
                    {"name": "URL", "value": "https://u:pa55word@example.com/"}
                ],
                "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080, "httpHeaders": [{"name": "X-Api-Key", "value": "probe-key-7f3e2d1c"}]}}
            }],
            "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists"}],
            "volumes": [{"name": "kv", "secret": {"secretName": "keyvault-secrets"}}]
        }
    });
    let n = redact_json(&mut pod);
    let text = pod.to_string();
    for gone in [
        "hunter2",
        "pwd-2026",
        "0f9e8d7c6b5a4938",
        "pa55word",
        "MyR00tPw!",
        "Tr0ub4dor",
        "19aa3a47f9e3872d",
        "probe-key-7f3e2d1c",
        "0a1b2c3d4e5f6789",
        "managedFields",
        LAST_APPLIED,
    ] {
        assert!(!text.contains(gone), "{gone} survived: {text}");
    }
    assert_eq!(n, 10, "{pod:#}");
    for kept in [
        "keyvault-secrets",
        "payments",
        "debug",
        "deploy",
        "kv-prod",
        "secretKeyRef",
        "myacr.azurecr.io/web:1.2.3",
        "0d9c1c3e-5b8e-4f0e-9a8c-2f1d3e4b5a6c",
        "node.kubernetes.io/not-ready",
        "3600",
        "--db-host",
    ] {
        assert!(text.contains(kept), "{kept} lost");
    }
}

#[test]
fn webhook_host_names_are_not_secrets() {
    // Regression: a host containing "webhook" followed by `:port` was read as a
    // `webhook: <secret>` pair, and admission errors reached the bundle damaged.
    for input in [
        r#"Internal error occurred: failed calling webhook "webhook.cert-manager.io": failed to call webhook: Post "https://cert-manager-webhook.cert-manager.svc:443/mutate?timeout=10s": dial tcp 10.0.84.12:443: connect: connection refused"#,
        r#"failed calling webhook "validation.webhook.serving.knative.dev": Post "https://webhook.knative-serving.svc:443/resource-validation?timeout=10s": context deadline exceeded"#,
        "Trace[1920391]: ---\"Call mutating webhook\" configuration:couchbase-operator-admission,webhook:couchbase-operator-admission.default.svc,resource:apps/v1 1002ms",
        // An image whose repository ends in a secret-looking word keeps its tag.
        r#"Pulling image "spvest/azure-keyvault-webhook:1.3.1""#,
        "image: myacr.azurecr.io/tools/slack-webhook:2024.11.3",
    ] {
        let (out, n) = red(input);
        assert_eq!(out, input);
        assert_eq!(n, 0, "{input}");
    }
}
