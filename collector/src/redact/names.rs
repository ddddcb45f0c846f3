//! Which names announce a secret (`DB_PWD`, `clientSecret`, `X-Api-Key`, `AccountKey`) and
//! which values look random enough to be one. Names are split into words (`_`, `-`, `.`,
//! `/`, camelCase) and judged by their words and their last word, so `secretName`,
//! `secretProviderClass`, `--token-ttl` and `KEY_VAULT_NAME` are no secrets.

/// How strongly a name announces a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strength {
    /// Not a secret's name.
    None,
    /// A secret whatever its value (`password`, `token`, `AccountKey`, `X-Api-Key`).
    Strong,
    /// A secret only when its value looks random (`key`, `pat`, `auth`, `SSH_KEY`).
    Weak,
}

/// Words that make a name a secret's name on their own.
const STRONG_WORDS: &[&str] = &[
    "password",
    "passwd",
    "passwort",
    "pwd",
    "pass",
    "passphrase",
    "secret",
    "token",
    "credential",
    "credentials",
    "creds",
    "apikey",
    "sig",
    "sas",
    "dsn",
    "webhook",
    "connectionstring",
    "privatekey",
    "accesskey",
    "secretkey",
    "accountkey",
    "sharedaccesskey",
    "masterkey",
    "cookie",
];

/// Words that make a name a secret's name only with a random-looking value.
const WEAK_WORDS: &[&str] = &["key", "pat", "auth", "authkey", "cert", "hmac", "salt"];

/// Words before `key` that make it a secret's key (`AccountKey`, `X-Api-Key`).
const KEY_QUALIFIERS: &[&str] = &[
    "access",
    "account",
    "api",
    "app",
    "application",
    "client",
    "encryption",
    "license",
    "master",
    "primary",
    "private",
    "secondary",
    "secret",
    "service",
    "shared",
    "signing",
    "storage",
    "subscription",
];

/// Last words that describe a secret rather than hold one: `secretName`, `token_file`,
/// `--token-ttl`, `api-version`, `secretProviderClass`, `passwordRequired`.
const DESCRIPTORS: &[&str] = &[
    "age",
    "algorithm",
    "annotation",
    "audience",
    "class",
    "count",
    "dir",
    "directory",
    "duration",
    "enabled",
    "endpoint",
    "env",
    "error",
    "expiration",
    "expires",
    "expiry",
    "field",
    "file",
    "files",
    "format",
    "header",
    "host",
    "id",
    "ids",
    "interval",
    "issuer",
    "kind",
    "label",
    "len",
    "length",
    "lifetime",
    "limit",
    "location",
    "max",
    "message",
    "min",
    "mode",
    "mount",
    "name",
    "names",
    "namespace",
    "path",
    "paths",
    "pattern",
    "period",
    "permission",
    "permissions",
    "policy",
    "prefix",
    "provider",
    "reason",
    "ref",
    "refs",
    "regex",
    "request",
    "requests",
    "required",
    "reviewer",
    "rotation",
    "scope",
    "scopes",
    "seconds",
    "selector",
    "size",
    "source",
    "status",
    "store",
    "suffix",
    "template",
    "timeout",
    "ttl",
    "type",
    "uri",
    "url",
    "var",
    "version",
    "volume",
];

/// Splits a name into lower-case words: `clientSecret` → [client, secret],
/// `Ocp-Apim-Subscription-Key` → [ocp, apim, subscription, key], `DB_PWD` → [db, pwd].
pub fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev: Option<char> = None;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev = None;
            continue;
        }
        // camelCase boundary: a capital after a lower-case letter or digit.
        if c.is_ascii_uppercase()
            && prev.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit())
            && !cur.is_empty()
        {
            out.push(std::mem::take(&mut cur));
        }
        cur.push(c.to_ascii_lowercase());
        prev = Some(c);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Fragments one of which every strong or weak name contains: most names in a log line
/// (`level`, `msg`, `pod`) are ruled out without splitting them into words.
const FRAGMENTS: &[&str] = &[
    "pass",
    "pwd",
    "secret",
    "token",
    "cred",
    "key",
    "sig",
    "sas",
    "dsn",
    "webhook",
    "cookie",
    "pat",
    "auth",
    "cert",
    "hmac",
    "salt",
    "connection",
];

/// How strongly `name` announces a secret.
pub fn strength(name: &str) -> Strength {
    static FRAGMENT_INDEX: std::sync::OnceLock<aho_corasick::AhoCorasick> =
        std::sync::OnceLock::new();
    let index = FRAGMENT_INDEX.get_or_init(|| {
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(FRAGMENTS)
            .expect("constant fragments")
    });
    if name.len() > 128 || !index.is_match(name) {
        return Strength::None;
    }
    let words = words(name);
    let Some(last) = words.last() else {
        return Strength::None;
    };
    let last = last.as_str();
    // A source file (`token_credential.go:70]`, klog's caller) names no secret.
    if name.contains('.')
        && matches!(
            last,
            "go" | "py"
                | "rs"
                | "java"
                | "js"
                | "ts"
                | "c"
                | "cc"
                | "cpp"
                | "h"
                | "cs"
                | "rb"
                | "kt"
        )
    {
        return Strength::None;
    }
    let has = |set: &[&str]| words.iter().any(|w| set.contains(&w.as_str()));
    // A webhook URL is the secret itself: `SLACK_WEBHOOK_URL`.
    if has(&["webhook"]) && !matches!(last, "name" | "id" | "ids" | "names" | "enabled") {
        return Strength::Strong;
    }
    if DESCRIPTORS.contains(&last) {
        return Strength::None;
    }
    // `Authorization: <credentials>` (the text redactor skips the scheme word).
    if matches!(last, "authorization" | "authentication") {
        return Strength::Strong;
    }
    let n = words.len();
    let before = |i: usize| (n > i).then(|| words[n - 1 - i].as_str());
    match last {
        // client-key-data, client-certificate-data (kubeconfig).
        "data" if matches!(before(1), Some("key" | "certificate")) => return Strength::Strong,
        // STORAGE_CONNECTION_STRING.
        "string" if before(1) == Some("connection") => return Strength::Strong,
        "key" | "keys" => {
            return match before(1) {
                Some(
                    "public" | "pub" | "foreign" | "sort" | "partition" | "row" | "idempotency"
                    | "cache" | "routing",
                ) => Strength::None,
                Some(q) if KEY_QUALIFIERS.contains(&q) => Strength::Strong,
                _ => Strength::Weak,
            };
        }
        _ => {}
    }
    if has(STRONG_WORDS) {
        Strength::Strong
    } else if WEAK_WORDS.contains(&last) {
        Strength::Weak
    } else {
        Strength::None
    }
}

/// Shannon entropy of `bytes`, in bits per byte.
pub fn entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let len = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / len;
            -p * p.log2()
        })
        .sum()
}

/// True for a value that looks like generated key material rather than a word, a name, a
/// path or a number: at least 16 bytes, no spaces, high entropy (3.2 bits per byte), mixed character classes,
/// and not a string of lower-case words joined by `.`, `-`, `/`, `_` or `:` (DNS names,
/// label keys, paths) unless one of its parts is itself long and mixed.
pub fn looks_random(value: &[u8]) -> bool {
    if value.len() < 16 || value.iter().any(|b| b.is_ascii_whitespace()) {
        return false;
    }
    let parts: Vec<&[u8]> = value
        .split(|b| matches!(b, b'.' | b'-' | b'/' | b'_' | b':'))
        .collect();
    let wordy = value
        .iter()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b".-/_:".contains(b));
    if wordy
        && !parts.iter().any(|p| {
            p.len() >= 16
                && p.iter().any(u8::is_ascii_digit)
                && p.iter().any(u8::is_ascii_alphabetic)
        })
    {
        return false;
    }
    let digit = value.iter().any(u8::is_ascii_digit);
    let lower = value.iter().any(u8::is_ascii_lowercase);
    let upper = value.iter().any(u8::is_ascii_uppercase);
    let mixed = (digit && (lower || upper)) || (lower && upper);
    // Letters only: words run together (`CriticalAddonsOnly`) unless long and very mixed.
    let letters_only = value.iter().all(u8::is_ascii_alphabetic);
    if letters_only {
        return value.len() >= 24 && entropy(value) >= 4.2;
    }
    mixed && entropy(value) >= 3.2
}

/// An in-cluster Service host name, with an optional port: `name.namespace.svc`,
/// `name.namespace.svc.cluster.local:443` (lower-case DNS labels only).
pub fn is_service_host(value: &[u8]) -> bool {
    let v = value
        .iter()
        .rposition(|b| !b".,;)\"'".contains(b))
        .map_or(&value[..0], |last| &value[..=last]);
    let host = match v.iter().rposition(|b| *b == b':') {
        Some(i) if i + 1 < v.len() && v[i + 1..].iter().all(u8::is_ascii_digit) => &v[..i],
        _ => v,
    };
    let dns = |s: &[u8]| {
        s.iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'.'))
    };
    let Some(name) = host
        .strip_suffix(b".svc")
        .or_else(|| host.strip_suffix(b".svc.cluster.local"))
    else {
        return false;
    };
    name.contains(&b'.') && dns(name) && !name.starts_with(b".")
}

/// Values that stand for a secret without being one: empty, already redacted, a variable
/// reference (`$(DB_PASSWORD)`, `${TOKEN}`, `$TOKEN`, `%TOKEN%`, `{{ .Values.x }}`), a
/// placeholder (`<token>`, `****`, `xxxx`), or a keyword (`true`, `null`, `none`).
pub fn is_placeholder(value: &[u8]) -> bool {
    let v = value;
    if v.is_empty() || v == super::REDACTED.as_bytes() {
        return true;
    }
    let all = |f: fn(&u8) -> bool| v.iter().all(f);
    let ident = |s: &[u8]| {
        !s.is_empty()
            && s.iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'.')
    };
    if v[0] == b'$' {
        let braced = v[1..]
            .strip_prefix(b"(")
            .and_then(|s| s.strip_suffix(b")"))
            .or_else(|| v[1..].strip_prefix(b"{").and_then(|s| s.strip_suffix(b"}")));
        let bare_upper = |s: &[u8]| {
            s.iter()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_')
        };
        match braced {
            Some(inner) if ident(inner) => return true,
            None if v.len() > 1 && bare_upper(&v[1..]) => return true,
            // A shell expansion (`$(cat /var/run/secrets/token)`) is no literal secret.
            _ if v.starts_with(b"$(") || v.starts_with(b"${") => return true,
            _ => {}
        }
    }
    if (v.starts_with(b"{{") && v.ends_with(b"}}"))
        || (v.starts_with(b"<") && v.ends_with(b">"))
        || (v.len() > 2 && v[0] == b'%' && v[v.len() - 1] == b'%' && ident(&v[1..v.len() - 1]))
    {
        return true;
    }
    if all(|b| *b == b'*') || all(|b| *b == b'x' || *b == b'X') || all(|b| *b == b'.') {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    matches!(
        lower.as_slice(),
        b"true"
            | b"false"
            | b"null"
            | b"nil"
            | b"none"
            | b"undefined"
            | b"yes"
            | b"no"
            | b"[redacted]"
            | b"redacted"
            | b"empty"
            | b"unset"
            | b"set"
            | b"required"
            | b"optional"
            | b"********"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_split_into_words() {
        assert_eq!(words("clientSecret"), ["client", "secret"]);
        assert_eq!(
            words("Ocp-Apim-Subscription-Key"),
            ["ocp", "apim", "subscription", "key"]
        );
        assert_eq!(words("DB_PWD"), ["db", "pwd"]);
        assert_eq!(
            words("secretProviderClass"),
            ["secret", "provider", "class"]
        );
        assert_eq!(
            words("SharedAccessKeyName"),
            ["shared", "access", "key", "name"]
        );
        assert_eq!(words("\\\"password\\\""), ["password"]);
    }

    #[test]
    fn secret_names() {
        for name in [
            "DB_PASSWORD",
            "DB_PWD",
            "client_secret",
            "clientSecret",
            "API_TOKEN",
            "STORAGE_CONNECTION_STRING",
            "AccountKey",
            "SharedAccessKey",
            "X-Api-Key",
            "api-key",
            "apikey",
            "Ocp-Apim-Subscription-Key",
            "sig",
            "SLACK_WEBHOOK_URL",
            "teamsWebhook",
            "SENTRY_DSN",
            "client-key-data",
            "password",
            "AWS_SECRET_ACCESS_KEY",
            "REDIS_PASS",
            "passphrase",
            "Authorization_Token",
            "GITHUB_TOKEN",
        ] {
            assert_eq!(strength(name), Strength::Strong, "{name}");
        }
        for name in ["SSH_KEY", "key", "GH_PAT", "auth", "ENCRYPTION_SALT"] {
            assert_eq!(strength(name), Strength::Weak, "{name}");
        }
        for name in [
            "PATH",
            "HOME",
            "LOG_LEVEL",
            "AZURE_CLIENT_ID",
            "NODE_NAME",
            "KEY_VAULT_NAME",
            "secretName",
            "secretProviderClass",
            "token-ttl",
            "secret-name",
            "api-version",
            "SharedAccessKeyName",
            "AZURE_FEDERATED_TOKEN_FILE",
            "tokenAudience",
            "caBundle",
            "publicKey",
            "keyvaultName",
            "code",
            "pod",
            "serviceAccountName",
            "TOKEN_URL",
            "passwordRequired",
        ] {
            assert_eq!(strength(name), Strength::None, "{name}");
        }
    }

    #[test]
    fn random_values_and_words() {
        for v in [
            "ghp_0a1B2c3D4e5F6g7H8i9J",
            "Zx8Q~verysecretvalue123",
            "a1b2c3d4e5f60718293a4b5c6d7e8f90",
            "Xk9pQ2vR7tLmZ3wYbN5cA1dF",
        ] {
            assert!(looks_random(v.as_bytes()), "{v}");
        }
        for v in [
            "node.kubernetes.io/not-ready",
            "myvault",
            "keyvault-secrets-provider",
            "/var/run/secrets/token",
            "kubernetes.azure.com/scalesetpriority",
            "CriticalAddonsOnly",
            "0123456789",
            "debug",
            "hello world this is prose",
        ] {
            assert!(!looks_random(v.as_bytes()), "{v}");
        }
    }

    #[test]
    fn placeholders() {
        for v in [
            "",
            "[REDACTED]",
            "$(DB_PASSWORD)",
            "${TOKEN}",
            "$TOKEN",
            "%TOKEN%",
            "{{ .Values.password }}",
            "<token>",
            "*****",
            "xxxx",
            "null",
            "true",
        ] {
            assert!(is_placeholder(v.as_bytes()), "{v}");
        }
        for v in ["hunter2", "S3cr3t!", "$ecretPa55"] {
            assert!(!is_placeholder(v.as_bytes()), "{v}");
        }
    }
}
