//! The JSON report validates against docs/report.schema.json, for every sample bundle in
//! every language, and the schema is strict enough to reject a broken report.

use std::path::Path;

fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/report.schema.json"),
    )
    .expect("docs/report.schema.json exists");
    let schema: serde_json::Value = serde_json::from_str(&text).expect("schema is JSON");
    jsonschema::validator_for(&schema).expect("schema is a valid JSON Schema")
}

/// The JSON report of `testdata/BUNDLE`, as `aksbundle analyze --format json` prints it.
fn report_json(bundle: &str, lang: &str) -> serde_json::Value {
    let (catalogue, rule_errors) = analyzer::Catalogue::builtin();
    let opts = analyzer::AnalyzeOptions {
        lang: lang.into(),
        display_path: Some(format!("testdata/{bundle}")),
        ..Default::default()
    };
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(bundle);
    let mut analysis = analyzer::analyze(&src, &catalogue, &opts).expect("reads");
    analysis
        .report
        .errors
        .extend(rule_errors.into_iter().map(|e| analyzer::ReadIssue {
            file: e.path,
            message: e.message,
        }));
    let text = analyzer::render::render(&analysis.report, analyzer::render::Format::Json);
    serde_json::from_str(&text).expect("JSON report parses")
}

fn errors(v: &jsonschema::Validator, doc: &serde_json::Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect()
}

/// Every sample bundle of testdata/, the layouts' too.
fn sample_bundles() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    let mut bundles: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    // testdata/layouts holds one bundle per layout the analyzer reads.
    let layouts: Vec<String> = std::fs::read_dir(root.join("layouts"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| format!("layouts/{}", e.file_name().to_string_lossy()))
        .collect();
    // wordings/ is a corpus of bundles, not one: read as one it is refused (no layout).
    bundles.retain(|b| b != "layouts" && b != "wordings");
    bundles.extend(layouts);
    bundles.sort();
    assert!(bundles.len() >= 10, "sample bundles found: {bundles:?}");
    bundles
}

#[test]
fn every_sample_report_validates() {
    let v = schema();
    for bundle in &sample_bundles() {
        for lang in ["en", "ja", "ko"] {
            let doc = report_json(bundle, lang);
            let errs = errors(&v, &doc);
            assert!(errs.is_empty(), "{bundle} ({lang}): {errs:#?}");
        }
    }
}

#[test]
fn schema_rejects_broken_reports() {
    let v = schema();
    let good = report_json("keyvault-nmi", "en");
    assert!(
        !good["findings"].as_array().unwrap().is_empty(),
        "the sample must have findings for this test to mean something"
    );
    type Breakage = (&'static str, fn(&mut serde_json::Value));
    let broken: [Breakage; 8] = [
        ("unknown severity", |d| {
            d["findings"][0]["severity"] = "fatal".into()
        }),
        ("missing findings", |d| {
            d.as_object_mut().unwrap().remove("findings");
        }),
        ("wrong schema name", |d| {
            d["schema"] = "aksbundle.report/v2".into()
        }),
        ("line zero", |d| {
            d["findings"][0]["evidence"][0]["line"] = 0.into()
        }),
        ("a raw klog time", |d| {
            d["findings"][0]["first_seen"] = "1122 03:41:07.000001".into()
        }),
        ("unknown status", |d| {
            d["findings"][0]["status"] = "recovering".into()
        }),
        ("timeline entry without time", |d| {
            d["timeline"][0].as_object_mut().unwrap().remove("time");
        }),
        ("evidence without file", |d| {
            d["findings"][0]["evidence"][0]
                .as_object_mut()
                .unwrap()
                .remove("file");
        }),
    ];
    for (what, break_it) in broken {
        let mut doc = good.clone();
        break_it(&mut doc);
        assert!(!errors(&v, &doc).is_empty(), "schema accepted: {what}");
    }
}

/// Every time the JSON report holds: the bundle's, findings', evidence's, the timeline's.
fn times(doc: &serde_json::Value) -> Vec<(String, serde_json::Value)> {
    let mut out = vec![(
        "bundle.collected_at".to_string(),
        doc["bundle"]["collected_at"].clone(),
    )];
    for (i, f) in doc["findings"].as_array().unwrap().iter().enumerate() {
        for k in ["first_seen", "last_seen"] {
            out.push((format!("findings[{i}].{k}"), f[k].clone()));
        }
        for (j, e) in f["evidence"].as_array().unwrap().iter().enumerate() {
            for k in ["first_seen", "last_seen"] {
                out.push((format!("findings[{i}].evidence[{j}].{k}"), e[k].clone()));
            }
        }
    }
    for key in ["timeline", "warning_events"] {
        for (i, e) in doc[key].as_array().into_iter().flatten().enumerate() {
            out.push((format!("{key}[{i}].time"), e["time"].clone()));
        }
    }
    out
}

/// RFC 3339 in UTC, as the report writes it (placing it again changes nothing).
fn is_rfc3339_utc(s: &str) -> bool {
    s.ends_with('Z') && analyzer::time::place(s, None).as_deref() == Some(s)
}

#[test]
fn every_time_in_every_sample_report_is_rfc3339_or_null() {
    let mut checked = 0;
    for bundle in sample_bundles() {
        let doc = report_json(&bundle, "en");
        for (at, v) in times(&doc) {
            match &v {
                serde_json::Value::Null => {}
                serde_json::Value::String(s) => {
                    assert!(
                        is_rfc3339_utc(s),
                        "{bundle}: {at} = {s:?} is not RFC 3339 UTC"
                    );
                    checked += 1;
                }
                other => panic!("{bundle}: {at} = {other} is neither a time nor null"),
            }
        }
        for (i, f) in doc["findings"].as_array().unwrap().iter().enumerate() {
            let spans = std::iter::once(f).chain(f["evidence"].as_array().unwrap());
            for s in spans {
                let (a, b) = (&s["first_seen"], &s["last_seen"]);
                assert_eq!(
                    a.is_null(),
                    b.is_null(),
                    "{bundle}: findings[{i}]: one end of {a} .. {b} is null"
                );
                if let (Some(a), Some(b)) = (a.as_str(), b.as_str()) {
                    assert!(a <= b, "{bundle}: findings[{i}]: {a} after {b}");
                }
            }
        }
        let tl: Vec<&str> = doc["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["time"].as_str().unwrap())
            .collect();
        assert!(
            tl.windows(2).all(|w| w[0] <= w[1]),
            "{bundle}: timeline not sorted"
        );
    }
    assert!(checked > 20, "only {checked} times checked");
}

#[test]
fn ids_are_unique_and_links_point_at_findings() {
    let doc = report_json("keyvault-nmi", "en");
    let findings = doc["findings"].as_array().unwrap();
    let ids: Vec<&str> = findings.iter().map(|f| f["id"].as_str().unwrap()).collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "ids {ids:?}");
    for f in findings {
        for key in ["caused_by", "explains"] {
            for id in f[key].as_array().unwrap() {
                assert!(
                    ids.contains(&id.as_str().unwrap()),
                    "{key} {id} is no finding"
                );
            }
        }
    }
    // One root cause leads; the Service is its symptom.
    assert_eq!(findings[0]["rule"], "kv-nmi-token-error");
    assert_eq!(findings[0]["caused_by"], serde_json::json!([]));
    let svc = findings
        .iter()
        .find(|f| f["rule"] == "service-no-endpoints")
        .expect("the Service finding");
    assert_eq!(svc["caused_by"], serde_json::json!([findings[0]["id"]]));
    assert_eq!(findings[0]["explains"], serde_json::json!([svc["id"]]));
    // The same bundle gives the same ids.
    assert_eq!(
        report_json("keyvault-nmi", "en")["findings"],
        doc["findings"]
    );
}

#[test]
fn a_deployment_not_progressing_is_explained_by_its_pods_image_pull() {
    // A holdout bundle: the Deployment's new ReplicaSet cannot pull its tag, so the rollout
    // passed its progress deadline. The pull is the root cause; the Deployment follows it.
    let doc = report_json(
        "wordings/deployment-not-progressing-image-tag-missing/bundle",
        "en",
    );
    let findings = doc["findings"].as_array().unwrap();
    let by_rule = |rule: &str| {
        findings
            .iter()
            .find(|f| f["rule"] == rule)
            .unwrap_or_else(|| panic!("no {rule} finding in {findings:#?}"))
    };
    let pull = by_rule("image-not-found");
    let deploy = by_rule("deployment-not-progressing");
    assert_eq!(
        deploy["objects"],
        serde_json::json!(["catalog/deployment/catalog"])
    );
    assert_eq!(deploy["caused_by"], serde_json::json!([pull["id"]]));
    assert!(pull["explains"].as_array().unwrap().contains(&deploy["id"]));
    let pos = |f: &serde_json::Value| findings.iter().position(|x| x["id"] == f["id"]).unwrap();
    assert!(pos(pull) < pos(deploy), "the root cause comes first");
    assert_eq!(deploy["status"], "ongoing");
}
