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

#[test]
fn every_sample_report_validates() {
    let v = schema();
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
    for bundle in &bundles {
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
    let broken: [Breakage; 5] = [
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
