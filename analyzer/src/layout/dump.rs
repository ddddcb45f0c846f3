//! `kubectl cluster-info dump`, every generation: the `--output-directory` tree
//! (`nodes.json`, `<ns>/<kind>.json`, `<ns>/<pod>/logs.txt`), the single stream kubectl
//! prints without it (JSON documents and log sections one after another), and the Go
//! internal-type shapes kubectl 1.13 and older printed (`"Items"`, capitalised fields,
//! metadata flattened into the object), normalised here to what kubectl prints today.

use std::io::{BufRead, Read};

use serde_json::{Map, Value};

use super::{ObjectKind, Role};

/// The role of a path of a dump directory, relative to its root.
pub fn place(parts: &[&str]) -> Option<Role> {
    Some(match parts {
        ["nodes.json"] => Role::Nodes,
        [ns, file] => Role::Objects {
            namespace: ns.to_string(),
            kind: ObjectKind::from_file(file)?,
        },
        [ns, pod, "logs.txt"] => Role::DumpLogs {
            namespace: ns.to_string(),
            pod: pod.to_string(),
        },
        _ => return None,
    })
}

/// `ObjectMeta` fields, which Go's internal types flattened into the object.
const META_FIELDS: &[&str] = &[
    "name",
    "generateName",
    "namespace",
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "ownerReferences",
    "initializers",
    "finalizers",
    "clusterName",
];

/// Fields whose values are free-form maps (label keys, resource names): their keys are
/// data, never renamed.
const MAP_FIELDS: &[&str] = &[
    "labels",
    "annotations",
    "nodeSelector",
    "selector",
    "matchLabels",
    "limits",
    "requests",
    "capacity",
    "allocatable",
    "volumeAttributes",
    "data",
    "hard",
    "used",
];

/// Internal field names whose versioned (JSON) names differ by more than case.
const RENAMED: &[(&str, &str)] = &[("lastTerminationState", "lastState")];

/// Normalises one object printed as Go's internal type (kubectl 1.13 and older) to the
/// versioned JSON shape: field names in JSON case, `ObjectMeta` fields moved back under
/// `metadata`, `spec.securityContext.hostNetwork` back to `spec.hostNetwork`. Returns
/// whether the object had the internal shape; current objects are left untouched.
pub fn normalize_internal(v: &mut Value) -> bool {
    let Value::Object(m) = v else {
        return false;
    };
    if m.contains_key("metadata") || !m.keys().any(|k| starts_upper(k)) {
        return false;
    }
    rename_keys(v);
    let Value::Object(m) = v else {
        return false;
    };
    let mut meta = Map::new();
    for f in META_FIELDS {
        if let Some(x) = m.remove(*f) {
            meta.insert((*f).to_string(), x);
        }
    }
    m.insert("metadata".into(), Value::Object(meta));
    if let Some(spec) = m.get_mut("spec").and_then(Value::as_object_mut) {
        let host = spec
            .get("securityContext")
            .and_then(|s| s.get("hostNetwork"))
            .cloned();
        if let (Some(h), false) = (host, spec.contains_key("hostNetwork")) {
            spec.insert("hostNetwork".into(), h);
        }
    }
    true
}

fn starts_upper(k: &str) -> bool {
    k.chars().next().is_some_and(|c| c.is_ascii_uppercase())
}

fn rename_keys(v: &mut Value) {
    match v {
        Value::Object(m) => {
            let old = std::mem::take(m);
            for (k, mut x) in old {
                let k = if starts_upper(&k) { json_case(&k) } else { k };
                let k = RENAMED
                    .iter()
                    .find(|(from, _)| *from == k)
                    .map_or(k, |(_, to)| (*to).to_string());
                if !MAP_FIELDS.contains(&k.as_str()) {
                    rename_keys(&mut x);
                }
                m.insert(k, x);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(rename_keys),
        _ => {}
    }
}

/// A Go field name in the JSON case Kubernetes uses: the leading run of capitals in lower
/// case, keeping the last one when a lower-case letter follows (`PodIP` → `podIP`,
/// `APIVersion` → `apiVersion`, `UID` → `uid`).
pub fn json_case(go: &str) -> String {
    let chars: Vec<char> = go.chars().collect();
    let run = chars.iter().take_while(|c| c.is_ascii_uppercase()).count();
    let lower_upto = if run > 1 && run < chars.len() && chars[run].is_ascii_lowercase() {
        run - 1
    } else {
        run.max(1)
    };
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i < lower_upto {
                c.to_ascii_lowercase()
            } else {
                *c
            }
        })
        .collect()
}

/// True when the head of a file is a dump stream: a JSON document at the start that is
/// the node list kubectl always prints first (`"kind": "NodeList"`, or the internal
/// `"Items"` of kubectl 1.13 and older with a node's fields; another internal list, such
/// as a 1.13 dump directory's `daemonsets.json`, is not a stream).
pub fn is_stream_head(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let start = head.iter().position(|b| !b.is_ascii_whitespace());
    if start.map(|i| head[i]) != Some(b'{') {
        return false;
    }
    let has = |s: &[u8]| memchr::memmem::find(head, s).is_some();
    let internal_nodes = has(br#""Items": ["#)
        && (has(b"/api/v1/nodes") || has(br#""PodCIDR""#) || has(br#""ProviderID""#));
    has(br#""kind": "NodeList""#) || has(br#""kind":"NodeList""#) || internal_nodes
}

/// What a document of a dump stream holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamDoc {
    Nodes,
    Objects(ObjectKind),
    /// A kind the index does not keep (replication controllers, deployments ...).
    Other,
}

/// The order kubectl prints each namespace's lists in, after the node list.
const NAMESPACE_ORDER: [Option<ObjectKind>; 7] = [
    Some(ObjectKind::Events),
    None, // replicationcontrollers
    Some(ObjectKind::Services),
    None, // daemonsets
    None, // deployments
    None, // replicasets
    Some(ObjectKind::Pods),
];

/// What the `i`-th document of a stream holds: its `kind` when it has one, else its place
/// in kubectl's fixed order (internal types carried no kind).
pub fn stream_doc(doc: &Value, i: usize) -> StreamDoc {
    match doc.get("kind").and_then(Value::as_str) {
        Some("NodeList") | Some("Node") => StreamDoc::Nodes,
        Some(k) if !k.is_empty() => {
            ObjectKind::from_kind_name(k).map_or(StreamDoc::Other, StreamDoc::Objects)
        }
        _ if i == 0 => StreamDoc::Nodes,
        _ => NAMESPACE_ORDER[(i - 1) % NAMESPACE_ORDER.len()]
            .map_or(StreamDoc::Other, StreamDoc::Objects),
    }
}

/// Splits a dump stream as it is read: JSON documents (from a line starting with `{` to
/// the line starting with `}` that closes it, as kubectl's indenting printer writes them)
/// outside log sections are kept aside in `docs`; every other line (log sections with
/// their markers) is passed through to the reader's caller.
pub struct StreamSplit<R> {
    inner: R,
    /// The documents, in stream order.
    pub docs: Vec<Vec<u8>>,
    /// Documents dropped for size, one message each.
    pub errors: Vec<String>,
    cur: Option<Vec<u8>>,
    out: Vec<u8>,
    pos: usize,
    left: u64,
    limit: u64,
    first: bool,
    in_section: bool,
}

impl<R: BufRead> StreamSplit<R> {
    /// Splits `inner`, keeping at most `limit` bytes of documents in memory.
    pub fn new(inner: R, limit: u64) -> Self {
        StreamSplit {
            inner,
            docs: Vec::new(),
            errors: Vec::new(),
            cur: None,
            out: Vec::new(),
            pos: 0,
            left: limit,
            limit,
            first: true,
            in_section: false,
        }
    }

    fn keep(&mut self, line: &[u8]) {
        let Some(cur) = &mut self.cur else { return };
        if (line.len() as u64) > self.left {
            self.errors.push(format!(
                "JSON documents larger than {} bytes in all (--max-object-bytes); the rest were not read",
                self.limit
            ));
            self.cur = None;
            self.left = 0;
            return;
        }
        self.left -= line.len() as u64;
        cur.extend_from_slice(line);
    }
}

impl<R: BufRead> Read for StreamSplit<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            if self.pos < self.out.len() {
                let n = buf.len().min(self.out.len() - self.pos);
                buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
                self.pos += n;
                return Ok(n);
            }
            self.out.clear();
            self.pos = 0;
            let mut line = Vec::new();
            if self.inner.read_until(b'\n', &mut line)? == 0 {
                if let Some(doc) = self.cur.take() {
                    self.docs.push(doc);
                }
                return Ok(0);
            }
            if std::mem::take(&mut self.first) && line.starts_with(b"\xef\xbb\xbf") {
                line.drain(..3);
            }
            let trimmed = line.trim_ascii_end();
            if self.cur.is_some() {
                self.keep(&line);
                if trimmed.starts_with(b"}") {
                    if let Some(doc) = self.cur.take() {
                        self.docs.push(doc);
                    }
                }
                continue;
            }
            if let Some(marker) = super::dump_marker(trimmed) {
                self.in_section = marker.is_some();
            } else if !self.in_section && trimmed.starts_with(b"{") && self.left > 0 {
                self.cur = Some(Vec::new());
                self.keep(&line);
                // A document on one line closes itself.
                if trimmed.ends_with(b"}") && serde_json::from_slice::<Value>(trimmed).is_ok() {
                    if let Some(doc) = self.cur.take() {
                        self.docs.push(doc);
                    }
                }
                continue;
            }
            self.out = line;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_names_take_json_case() {
        for (go, json) in [
            ("Name", "name"),
            ("PodIP", "podIP"),
            ("HostIP", "hostIP"),
            ("APIVersion", "apiVersion"),
            ("UID", "uid"),
            ("IP", "ip"),
            ("PodCIDR", "podCIDR"),
            ("ContainerStatuses", "containerStatuses"),
            ("QOSClass", "qosClass"),
        ] {
            assert_eq!(json_case(go), json, "{go}");
        }
    }

    #[test]
    fn internal_pod_is_normalised() {
        // kubectl 1.13's internal core.Pod: ObjectMeta flattened (its own JSON tags),
        // every other field its Go name.
        let mut v = serde_json::json!({
            "name": "web-1", "namespace": "shop", "labels": {"App": "web"},
            "Spec": {"NodeName": "aks-1", "SecurityContext": {"HostNetwork": true},
                     "Containers": [{"Name": "app", "Image": "web:1"}]},
            "Status": {"Phase": "Running", "PodIP": "10.244.0.3",
                       "ContainerStatuses": [{"Name": "app", "RestartCount": 7,
                          "LastTerminationState": {"Terminated": {"ExitCode": 1, "Reason": "Error"}},
                          "State": {"Waiting": {"Reason": "CrashLoopBackOff"}}}]}
        });
        assert!(normalize_internal(&mut v));
        let pod: crate::model::Pod = serde_json::from_value(v).unwrap();
        assert_eq!(pod.object_ref(), "shop/pod/web-1");
        assert_eq!(pod.metadata.labels["App"], "web");
        assert!(pod.spec.host_network);
        assert_eq!(pod.status.pod_ip.as_deref(), Some("10.244.0.3"));
        let cs = &pod.status.container_statuses[0];
        assert_eq!(cs.restart_count, 7);
        assert_eq!(
            cs.state.waiting.as_ref().unwrap().reason.as_deref(),
            Some("CrashLoopBackOff")
        );
        assert_eq!(
            cs.last_state.terminated.as_ref().unwrap().exit_code,
            Some(1)
        );
    }

    #[test]
    fn current_objects_are_untouched() {
        let mut v = serde_json::json!({"metadata": {"name": "x"}, "Weird": 1});
        assert!(!normalize_internal(&mut v));
        assert_eq!(v["Weird"], 1);
    }

    #[test]
    fn stream_split_keeps_documents_and_passes_logs() {
        let text = "{\n    \"kind\": \"NodeList\",\n    \"items\": []\n}\n{\n    \"kind\": \"PodList\",\n    \"items\": []\n}\n\
                    ==== START logs for container app of pod shop/web-1 ====\n{\"level\":\"error\"}\nplain\n\
                    ==== END logs for container app of pod shop/web-1 ====\n";
        let mut s = StreamSplit::new(text.as_bytes(), 1 << 20);
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        assert_eq!(
            s.docs.len(),
            2,
            "a JSON log line inside a section stays log"
        );
        assert!(out.starts_with("==== START"));
        assert!(out.contains("{\"level\":\"error\"}\n"));
        assert!(out.contains("plain\n"));
        assert!(is_stream_head(text.as_bytes()));
        assert!(!is_stream_head(b"{\"kind\": \"PodList\"}"));
        // Regression: a kubectl 1.13 dump directory's daemonsets.json was taken for a stream.
        assert!(!is_stream_head(
            b"{\n    \"selfLink\": \"/apis/extensions/v1beta1/namespaces/shop/daemonsets\",\n    \"Items\": []\n}"
        ));
        assert!(is_stream_head(
            b"{\n    \"selfLink\": \"/api/v1/nodes\",\n    \"Items\": [\n"
        ));
    }
}
