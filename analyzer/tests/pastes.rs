//! Text pasted into a ticket (`attachments/`) read by every rule: a `kubectl describe pod`
//! block's events and container states, a `kubectl get events` table, a `kubectl logs`
//! paste, and az CLI errors, in `testdata/pasted-ticket` (a ticket that brought pastes and
//! no collection at all).

use std::path::Path;

use analyzer::{AnalyzeOptions, Catalogue, Finding};

fn analysis(lang: &str) -> analyzer::Analysis {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/pasted-ticket");
    let (catalogue, errors) = Catalogue::builtin();
    assert!(errors.is_empty(), "{errors:?}");
    let opts = AnalyzeOptions {
        lang: lang.into(),
        ..Default::default()
    };
    analyzer::analyze(&root, &catalogue, &opts).expect("reads")
}

fn only<'a>(findings: &'a [Finding], rule: &str) -> &'a Finding {
    let mine: Vec<&Finding> = findings.iter().filter(|f| f.rule == rule).collect();
    assert_eq!(
        mine.len(),
        1,
        "{rule}: {:#?}",
        findings
            .iter()
            .map(|f| (&f.rule, &f.objects))
            .collect::<Vec<_>>()
    );
    mine[0]
}

#[test]
fn describe_paste_events_are_the_described_pods_events() {
    let a = analysis("en");
    let f = only(&a.report.findings, "image-not-found");
    assert_eq!(f.objects, ["shop/pod/web-6f7c9d8b5-q4lzt"]);
    // The node comes from the paste's `Node:` line: the bundle has no pods.json.
    assert_eq!(f.nodes, ["aks-userpool-31207448-vmss000003"]);
    let e = &f.evidence[0];
    assert_eq!(
        (e.file.as_str(), e.line),
        ("attachments/describe-web.txt", Some(49))
    );
    assert_eq!(e.count, 4, "the row's `(x4 over 6m)`");
}

#[test]
fn get_events_rows_are_events_of_the_objects_they_name() {
    let a = analysis("en");
    let f = only(&a.report.findings, "kv-nmi-token-error");
    assert_eq!(f.objects, ["payments/pod/ledger-7d4b9c8f6-2kq9w"]);
    assert_eq!(f.evidence[0].file, "attachments/events.txt");
}

#[test]
fn logs_paste_is_the_named_pods_log() {
    let a = analysis("en");
    let f = only(&a.report.findings, "kv-vault-forbidden");
    // The provider's line names the pod it mounts for; the paste names the provider pod.
    assert_eq!(f.objects, ["shop/pod/orders-5c9d7b6f4-mm2xr"]);
    assert_eq!(
        f.facts.get("inner_code").map(String::as_str),
        Some("ForbiddenByRbac")
    );
    assert_eq!(f.evidence[0].file, "attachments/provider-logs.txt");
    assert_eq!(f.evidence[0].line, Some(3));
    // The Terraform run's 403 in the same ticket is no provider log (a near miss).
    assert!(
        f.evidence
            .iter()
            .all(|e| e.file != "attachments/terraform-apply.txt"),
        "{:#?}",
        f.evidence
    );
}

#[test]
fn a_paste_that_names_no_object_is_cluster_scoped_and_says_so() {
    let a = analysis("en");
    let f = only(&a.report.findings, "azure-vcpu-quota-exceeded");
    assert!(f.objects.is_empty(), "{:?}", f.objects);
    assert_eq!(
        f.count, 2,
        "the one-line error and its repeated Message: line, not the joined Code:/Message: pair"
    );
    for (lang, words) in [
        ("en", "pasted into the ticket"),
        ("ja", "貼り付けられたテキスト"),
        ("ko", "붙여 넣은 텍스트"),
    ] {
        let a = analysis(lang);
        let md = analyzer::render::markdown::render(&a.report);
        assert!(md.contains(words), "{lang}: {md}");
    }
}

#[test]
fn rules_whose_inputs_are_missing_still_read_pastes() {
    let a = analysis("en");
    let not_checked: Vec<&str> = a
        .report
        .not_checked
        .iter()
        .map(|n| n.rule.as_str())
        .collect();
    for rule in [
        "image-not-found",
        "kv-nmi-token-error",
        "kv-vault-forbidden",
    ] {
        assert!(
            a.report.findings.iter().any(|f| f.rule == rule),
            "{rule} did not fire"
        );
        assert!(
            !not_checked.contains(&rule),
            "{rule} fired on the paste yet is listed as not checked"
        );
    }
    // Rules that found nothing in the pastes stay "not checked": the bundle has no pods.
    assert!(not_checked.contains(&"pod-evicted"), "{not_checked:?}");
}
