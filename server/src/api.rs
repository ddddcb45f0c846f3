//! Answers one request of the Kubernetes REST API from the [`Store`]: discovery, list and
//! get (JSON or Table, selectors, watch), `pods/log`, and the refusals — 401 without the
//! token, 405 for any write, 404 with a reason for what the bundle does not hold.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::logs::{LogQuery, LogStream};
use crate::store::{LogKey, Store};
use crate::table::{self, Include};

/// The one resourceVersion of a bundle: it never changes.
pub const RESOURCE_VERSION: &str = "1";

/// A request, as far as the API reads it.
#[derive(Debug)]
pub struct Request<'a> {
    pub method: &'a str,
    /// Path and query.
    pub url: &'a str,
    pub accept: &'a str,
    pub authorization: Option<&'a str>,
}

/// What an answer carries.
pub enum Body {
    Bytes(Vec<u8>),
    /// A log, streamed.
    Log(LogStream),
}

/// An answer.
pub struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Body,
}

impl Reply {
    fn json(value: &Value) -> Reply {
        Reply {
            status: 200,
            content_type: "application/json",
            body: Body::Bytes(serde_json::to_vec(value).unwrap_or_default()),
        }
    }

    /// A `Status` object, as the API server answers errors.
    pub fn status(code: u16, reason: &str, message: &str) -> Reply {
        let mut reply = Reply::json(&json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {},
            "status": "Failure", "message": message, "reason": reason, "code": code
        }));
        reply.status = code;
        reply
    }

    fn not_found(message: &str) -> Reply {
        Reply::status(404, "NotFound", message)
    }
}

/// Compares the bearer token without an early exit on the first differing byte.
fn token_ok(header: Option<&str>, token: &str) -> bool {
    let Some(given) = header.and_then(|h| h.strip_prefix("Bearer ")) else {
        return false;
    };
    let (a, b) = (given.trim().as_bytes(), token.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Answers `req`.
pub fn handle(store: &Store, token: &str, req: &Request) -> Reply {
    if !token_ok(req.authorization, token) {
        return Reply::status(
            401,
            "Unauthorized",
            "Unauthorized: this aksbundle serve needs the bearer token of the kubeconfig it wrote",
        );
    }
    if req.method != "GET" && req.method != "HEAD" {
        return Reply::status(
            405,
            "MethodNotAllowed",
            &format!(
                "{} is not allowed: this is a support bundle served read-only by aksbundle serve",
                req.method
            ),
        );
    }
    let (path, query) = req.url.split_once('?').unwrap_or((req.url, ""));
    let query = parse_query(query);
    let decoded: Vec<String> = path
        .trim_matches('/')
        .split('/')
        .map(|p| percent_decode(p, false))
        .collect();
    let seg: Vec<&str> = decoded.iter().map(String::as_str).collect();
    match seg.as_slice() {
        // `kubectl version -o json` output holds the server's answer under serverVersion.
        ["version"] => match &store.version {
            Some(v) if v["serverVersion"].is_object() => Reply::json(&v["serverVersion"]),
            Some(v) => Reply::json(v),
            None => Reply::not_found("the bundle holds no cluster/version.json (not collected)"),
        },
        ["healthz"] | ["livez"] | ["readyz"] => Reply {
            status: 200,
            content_type: "text/plain",
            body: Body::Bytes(b"ok".to_vec()),
        },
        ["api"] => Reply::json(&json!({
            "kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": []
        })),
        ["apis"] => Reply::json(&group_list(store)),
        ["api", "v1"] => resource_list(store, "", "v1"),
        ["apis", g, v] => resource_list(store, g, v),
        ["api", "v1", rest @ ..] => objects(store, "", rest, &query, req.accept),
        ["apis", g, _v, rest @ ..] => objects(store, g, rest, &query, req.accept),
        _ => Reply::not_found("the server could not find the requested resource"),
    }
}

/// The resources of the "all" category on a live API server.
const ALL_CATEGORY: &[&str] = &[
    "pods",
    "services",
    "replicationcontrollers",
    "deployments",
    "daemonsets",
    "replicasets",
    "statefulsets",
    "jobs",
    "cronjobs",
    "horizontalpodautoscalers",
];

fn group_list(store: &Store) -> Value {
    let mut groups: BTreeMap<&str, &str> = BTreeMap::new();
    for c in store.resources.values() {
        if !c.resource.group.is_empty() {
            groups.insert(&c.resource.group, &c.resource.version);
        }
    }
    let groups: Vec<Value> = groups
        .into_iter()
        .map(|(g, v)| {
            let gv = json!({"groupVersion": format!("{g}/{v}"), "version": v});
            json!({"name": g, "versions": [gv.clone()], "preferredVersion": gv})
        })
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

fn resource_list(store: &Store, group: &str, version: &str) -> Reply {
    let mut resources: Vec<Value> = Vec::new();
    for c in store.resources.values() {
        let r = &c.resource;
        if r.group != group || r.version != version {
            continue;
        }
        let mut entry = json!({
            "name": r.name, "singularName": r.singular, "namespaced": r.namespaced,
            "kind": r.kind, "shortNames": r.short, "verbs": ["get", "list", "watch"]
        });
        // `kubectl get all` expands the category "all" as the API server defines it.
        if ALL_CATEGORY.contains(&r.name.as_str()) {
            entry["categories"] = json!(["all"]);
        }
        resources.push(entry);
        if r.group.is_empty() && r.name == "pods" {
            resources.push(json!({
                "name": "pods/log", "singularName": "", "namespaced": true,
                "kind": "Pod", "verbs": ["get"]
            }));
        }
    }
    if resources.is_empty() {
        let gv = if group.is_empty() {
            version.to_string()
        } else {
            format!("{group}/{version}")
        };
        return Reply::not_found(&format!(
            "the bundle holds nothing of the API group version {gv} (not collected)"
        ));
    }
    let group_version = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Reply::json(&json!({
        "kind": "APIResourceList", "apiVersion": "v1",
        "groupVersion": group_version, "resources": resources
    }))
}

fn held(store: &Store) -> String {
    store
        .resources
        .values()
        .map(|c| c.resource.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn objects(
    store: &Store,
    group: &str,
    rest: &[&str],
    query: &BTreeMap<String, String>,
    accept: &str,
) -> Reply {
    let (namespace, res_name, name, sub) = match rest {
        // `/api/v1/namespaces/<name>` is a get of a Namespace.
        ["namespaces", ns] if group.is_empty() => (None, "namespaces", Some(*ns), None),
        ["namespaces", ns, res, name, sub] => (Some(*ns), *res, Some(*name), Some(*sub)),
        ["namespaces", ns, res, name] => (Some(*ns), *res, Some(*name), None),
        ["namespaces", ns, res] => (Some(*ns), *res, None, None),
        [res, name] => (None, *res, Some(*name), None),
        [res] => (None, *res, None, None),
        _ => return Reply::not_found("the server could not find the requested resource"),
    };
    let Some(collected) = store.resource(group, res_name) else {
        return Reply::not_found(&format!(
            "{res_name} were not collected in this bundle; it holds: {}",
            held(store)
        ));
    };
    let res = &collected.resource;
    let in_ns = |item: &Value| namespace.is_none_or(|ns| item["metadata"]["namespace"] == ns);
    let found = |name: &str| {
        collected
            .items
            .iter()
            .find(|i| in_ns(i) && i["metadata"]["name"] == name)
    };
    match (name, sub) {
        (Some(name), Some("log")) if res.group.is_empty() && res.name == "pods" => {
            match found(name) {
                Some(pod) => pod_log(store, pod, query),
                None => Reply::not_found(&format!("pods \"{name}\" not found")),
            }
        }
        (Some(_), Some(sub)) => Reply::not_found(&format!(
            "the bundle holds no {}/{sub} (not collected)",
            res.name
        )),
        (Some(name), None) => match found(name) {
            Some(item) if wants_table(accept) => {
                let include = Include::from_query(query.get("includeObject").map(String::as_str));
                Reply::json(&table::table(
                    &res.kind,
                    &[item],
                    store.collected_at.at,
                    include,
                    table_version(accept),
                ))
            }
            Some(item) => Reply::json(item),
            None => Reply::not_found(&format!("{} \"{name}\" not found", res.name)),
        },
        (None, _) => {
            let labels = query.get("labelSelector").map(String::as_str).unwrap_or("");
            let fields = query.get("fieldSelector").map(String::as_str).unwrap_or("");
            let selected: Vec<&Value> = collected
                .items
                .iter()
                .filter(|i| in_ns(i))
                .filter(|i| crate::select::labels_match(labels, &i["metadata"]["labels"]))
                .filter(|i| crate::select::fields_match(fields, i))
                .collect();
            let watch = query.get("watch").is_some_and(|w| w == "true" || w == "1");
            if watch {
                return watch_reply(store, res, &selected, query, accept);
            }
            if wants_table(accept) {
                let include = Include::from_query(query.get("includeObject").map(String::as_str));
                return Reply::json(&table::table(
                    &res.kind,
                    &selected,
                    store.collected_at.at,
                    include,
                    table_version(accept),
                ));
            }
            Reply::json(&json!({
                "kind": format!("{}List", res.kind),
                "apiVersion": res.group_version(),
                "metadata": {"resourceVersion": RESOURCE_VERSION},
                "items": selected
            }))
        }
    }
}

/// A watch sends the current state as ADDED events and ends: a bundle never changes. A
/// watch from the list's resourceVersion has seen that state already and gets nothing.
fn watch_reply(
    store: &Store,
    res: &crate::resources::Resource,
    items: &[&Value],
    query: &BTreeMap<String, String>,
    accept: &str,
) -> Reply {
    let mut body = Vec::new();
    if query.get("resourceVersion").map(String::as_str) != Some(RESOURCE_VERSION) {
        for item in items {
            let object = if wants_table(accept) {
                let include = Include::from_query(query.get("includeObject").map(String::as_str));
                table::table(
                    &res.kind,
                    &[item],
                    store.collected_at.at,
                    include,
                    table_version(accept),
                )
            } else {
                (*item).clone()
            };
            let _ = serde_json::to_writer(&mut body, &json!({"type": "ADDED", "object": object}));
            body.push(b'\n');
        }
    }
    Reply {
        status: 200,
        content_type: "application/json",
        body: Body::Bytes(body),
    }
}

/// kubectl asks for `application/json;as=Table;v=v1;g=meta.k8s.io` (then v1beta1, then
/// plain JSON) when it prints a table.
fn wants_table(accept: &str) -> bool {
    accept.contains("as=Table")
}

fn table_version(accept: &str) -> &'static str {
    let first_table = accept
        .split(',')
        .find(|part| part.contains("as=Table"))
        .unwrap_or("");
    if first_table.contains("v=v1beta1") {
        "v1beta1"
    } else {
        "v1"
    }
}

fn pod_log(store: &Store, pod: &Value, query: &BTreeMap<String, String>) -> Reply {
    let ns = pod["metadata"]["namespace"].as_str().unwrap_or("");
    let name = pod["metadata"]["name"].as_str().unwrap_or("");
    let containers: Vec<&str> = ["initContainers", "containers", "ephemeralContainers"]
        .iter()
        .flat_map(|k| pod["spec"][*k].as_array().into_iter().flatten())
        .filter_map(|c| c["name"].as_str())
        .collect();
    let regular: Vec<&str> = pod["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["name"].as_str())
        .collect();
    let container = match query.get("container") {
        Some(c) => c.as_str(),
        None => {
            let default = pod["metadata"]["annotations"]["kubectl.kubernetes.io/default-container"]
                .as_str()
                .filter(|d| regular.contains(d));
            match (default, regular.as_slice()) {
                (Some(d), _) => d,
                (None, [only]) => only,
                _ => {
                    return Reply::status(
                        400,
                        "BadRequest",
                        &format!(
                        "a container name must be specified for pod {name}, choose one of: [{}]",
                        regular.join(" ")
                    ),
                    )
                }
            }
        }
    };
    if !containers.contains(&container) {
        return Reply::status(
            400,
            "BadRequest",
            &format!("container {container} is not valid for pod {name}"),
        );
    }
    let previous = query.get("previous").is_some_and(|v| v == "true");
    let key = LogKey {
        namespace: ns.to_string(),
        pod: name.to_string(),
        container: container.to_string(),
        previous,
    };
    let copy = match store.log(&key) {
        Some(copy) if LogStream::dump_has(copy, container).unwrap_or(false) => copy,
        _ => {
            let which = if previous {
                "previous terminated container"
            } else {
                "container"
            };
            return Reply::not_found(&format!(
                "the bundle holds no log of {which} \"{container}\" in pod \"{name}\" (not collected)"
            ));
        }
    };
    let since = match (query.get("sinceTime"), query.get("sinceSeconds")) {
        (Some(t), _) => match t.parse::<jiff::Timestamp>() {
            Ok(t) => Some(t),
            Err(_) => {
                return Reply::status(
                    400,
                    "BadRequest",
                    &format!("sinceTime {t:?} is not an RFC 3339 time"),
                )
            }
        },
        (None, Some(s)) => match s.parse::<i64>() {
            Ok(s) => store
                .collected_at
                .at
                .checked_sub(jiff::SignedDuration::from_secs(s))
                .ok(),
            Err(_) => {
                return Reply::status(
                    400,
                    "BadRequest",
                    &format!("sinceSeconds {s:?} is not a number"),
                )
            }
        },
        (None, None) => None,
    };
    let number = |key: &str| query.get(key).and_then(|v| v.parse::<u64>().ok());
    let options = LogQuery {
        tail_lines: number("tailLines"),
        since,
        timestamps: query.get("timestamps").is_some_and(|v| v == "true"),
        limit_bytes: number("limitBytes"),
    };
    match LogStream::open(copy, container, &options) {
        Ok(stream) => Reply {
            status: 200,
            content_type: "text/plain",
            body: Body::Log(stream),
        },
        Err(e) => Reply::status(500, "InternalError", &format!("reading the log copy: {e}")),
    }
}

fn parse_query(query: &str) -> BTreeMap<String, String> {
    query
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (percent_decode(k, true), percent_decode(v, true))
        })
        .collect()
}

/// Decodes `%XX` escapes (and `+` as a space in a query); a broken escape is kept as is.
fn percent_decode(s: &str, plus_is_space: bool) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' if plus_is_space => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_decoding_keeps_plus() {
        assert_eq!(percent_decode("p%1B%5B31m+x", false), "p\u{1b}[31m+x");
    }

    #[test]
    fn query_decoding_keeps_broken_escapes() {
        let q = parse_query("fieldSelector=involvedObject.name%3Dweb-1%2Cx%3Dy&bad=%zz&end=%4");
        assert_eq!(q["fieldSelector"], "involvedObject.name=web-1,x=y");
        assert_eq!(q["bad"], "%zz");
        assert_eq!(q["end"], "%4");
    }

    #[test]
    fn token_must_match_exactly() {
        assert!(token_ok(Some("Bearer abc"), "abc"));
        assert!(!token_ok(Some("Bearer abd"), "abc"));
        assert!(!token_ok(Some("Bearer ab"), "abc"));
        assert!(!token_ok(Some("Basic abc"), "abc"));
        assert!(!token_ok(None, "abc"));
    }

    #[test]
    fn table_version_follows_the_first_table_kubectl_accepts() {
        let v120 = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
        assert_eq!(table_version(v120), "v1");
        assert_eq!(
            table_version("application/json;as=Table;v=v1beta1;g=meta.k8s.io"),
            "v1beta1"
        );
        assert!(!wants_table("application/json"));
    }
}
