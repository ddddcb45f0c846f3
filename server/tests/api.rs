//! The API's answers without kubectl in between: the token check, the refusals and the
//! shapes kubectl relies on, on the repository's sample bundles.

use std::path::Path;

use serde_json::Value;
use server::api::{handle, Body, Request};
use server::Store;

const TOKEN: &str = "0123456789abcdef";

fn store(rel: &str) -> Store {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata")
        .join(rel);
    Store::open(&path, &analyzer::Limits::default()).unwrap()
}

fn get(store: &Store, url: &str, auth: Option<&str>, accept: &str) -> (u16, Value) {
    let reply = handle(
        store,
        TOKEN,
        &Request {
            method: "GET",
            url,
            accept,
            authorization: auth,
        },
    );
    let Body::Bytes(bytes) = reply.body else {
        panic!("{url} answered with a stream");
    };
    (
        reply.status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[test]
fn no_token_or_another_scheme_is_401() {
    let s = store("healthy");
    let bearer = format!("Bearer {TOKEN}");
    assert_eq!(get(&s, "/api/v1/pods", Some(&bearer), "").0, 200);
    for auth in [
        None,
        Some("Basic dXNlcjpwYXNz"),
        Some("Bearer "),
        Some(TOKEN),
    ] {
        let (code, status) = get(&s, "/api/v1/pods", auth, "");
        assert_eq!(code, 401, "{auth:?}");
        assert_eq!(status["reason"], "Unauthorized");
        // Discovery needs the token too: kinds are not revealed.
        assert_eq!(get(&s, "/apis", auth, "").0, 401);
    }
}

#[test]
fn writes_are_405_even_with_the_token() {
    let s = store("healthy");
    let bearer = format!("Bearer {TOKEN}");
    for method in ["POST", "PUT", "PATCH", "DELETE"] {
        let reply = handle(
            &s,
            TOKEN,
            &Request {
                method,
                url: "/api/v1/namespaces/shop/pods/web-7d9c6b5f4d-h5x2k",
                accept: "",
                authorization: Some(&bearer),
            },
        );
        assert_eq!(reply.status, 405, "{method}");
    }
}

#[test]
fn discovery_lists_only_held_groups_and_nnc_as_its_own() {
    let s = store("cluster-info-dump");
    let bearer = format!("Bearer {TOKEN}");
    let (_, groups) = get(&s, "/apis", Some(&bearer), "");
    // A dump has no nnc, jobs or network policies: no group besides the core one.
    assert_eq!(groups["groups"], Value::Array(vec![]));
    let (code, _) = get(&s, "/apis/acn.azure.com/v1alpha", Some(&bearer), "");
    assert_eq!(code, 404);

    let s = store("healthy");
    let (_, groups) = get(&s, "/apis", Some(&bearer), "");
    let names: Vec<&str> = groups["groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|g| g["name"].as_str())
        .collect();
    assert_eq!(names, ["acn.azure.com", "batch", "networking.k8s.io"]);
}

#[test]
fn list_of_a_kind_is_a_kubernetes_list_with_kind_and_api_version() {
    let s = store("healthy");
    let bearer = format!("Bearer {TOKEN}");
    let (code, list) = get(
        &s,
        "/api/v1/nodes?labelSelector=agentpool%3Dnodepool1,kubernetes.io%2Fos+in+(linux)",
        Some(&bearer),
        "application/json",
    );
    assert_eq!(code, 200);
    assert_eq!(list["kind"], "NodeList");
    assert_eq!(list["items"].as_array().unwrap().len(), 3);
    let (_, one) = get(
        &s,
        "/api/v1/pods?fieldSelector=spec.nodeName%3Daks-nodepool1-31415926-vmss000001,metadata.namespace%3Dshop",
        Some(&bearer),
        "",
    );
    let names: Vec<&str> = one["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["metadata"]["name"].as_str())
        .collect();
    assert_eq!(names, ["web-7d9c6b5f4d-m8p4r"]);
}
