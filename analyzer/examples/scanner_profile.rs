//! Times the line scanner alone over a text file: as an application's log, as an add-on's
//! log (the Key Vault provider's), as a log of unknown pod (every log pattern), and with an
//! empty plan; then the literal search alone, packed (SIMD) on lower-cased text and as a
//! case-insensitive DFA. `cargo run --release --example scanner_profile FILE`
use std::time::Instant;

use analyzer::scan::{ScanPlan, Scanner, TextFile, TextSource};

fn file(ns: Option<&str>, pod: Option<&str>) -> TextFile {
    TextFile {
        file: "logs/ns/app-1/app.log".into(),
        source: TextSource::Log,
        namespace: ns.map(str::to_string),
        pod: pod.map(str::to_string),
        container: Some("app".into()),
        previous: false,
    }
}

fn run(plan: &ScanPlan, text: &[u8], f: &TextFile) -> (f64, usize) {
    let t = Instant::now();
    let mut s = Scanner::new(plan, 64 << 10);
    for chunk in text.chunks(text.len() / 300 + 1) {
        s.scan(f.clone(), false, &mut &chunk[..]).unwrap();
    }
    let r = s.finish();
    (t.elapsed().as_secs_f64(), r.hits.len())
}

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: scanner_profile FILE");
    let text = std::fs::read(&path).expect("readable file");
    let (cat, _) = analyzer::Catalogue::builtin();
    let plan = &cat.compiled().plan;
    let empty = ScanPlan::empty();
    let mb = text.len() as f64 / 1e6;
    println!(
        "memchr newline count: {:.0} MB/s",
        mb / time(|| memchr::memchr_iter(b'\n', &text).count())
    );
    let mut lower = text.clone();
    println!(
        "lower-casing in place: {:.0} MB/s",
        mb / time(|| lower.make_ascii_lowercase())
    );
    let classes = [
        (
            "application log (shop/web-1)",
            file(Some("shop"), Some("web-7d9c6b5f4d-x2x9z")),
        ),
        (
            "add-on log (kube-system/secrets-store-provider-azure-abcde)",
            file(
                Some("kube-system"),
                Some("secrets-store-provider-azure-abcde"),
            ),
        ),
        ("pod unknown (every log pattern)", file(None, None)),
    ];
    for (name, f) in &classes {
        let class = plan.class_of(f, false);
        println!(
            "{name}: {} of {} patterns, literal search {}",
            class.ids().len(),
            plan.patterns().len(),
            if class.is_packed() {
                "packed (SIMD)"
            } else {
                "DFA"
            }
        );
    }
    for _ in 0..2 {
        for (name, f) in &classes {
            let (t, hits) = run(plan, &text, f);
            println!("  {name}: {:.0} MB/s ({hits} hits)", mb / t);
        }
        let (t, _) = run(&empty, &text, &classes[0].1);
        println!("  empty plan: {:.0} MB/s", mb / t);
    }
    // The literal search alone, over every log pattern's literals.
    let mut lits: Vec<Vec<u8>> = plan
        .patterns()
        .iter()
        .filter(|p| p.sources.contains(&TextSource::Log))
        .filter_map(|p| analyzer::prefilter::required_literals(p.regex.as_str()))
        .flatten()
        .collect();
    lits.sort();
    lits.dedup();
    let ac = aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .kind(Some(aho_corasick::AhoCorasickKind::DFA))
        .build(&lits)
        .unwrap();
    let mut n = 0;
    let t = time(|| n = ac.find_iter(&text).count());
    println!(
        "case-insensitive DFA, {} literals: {:.0} MB/s ({n} hits)",
        lits.len(),
        mb / t
    );
    if let Some(p) = aho_corasick::packed::Searcher::new(lits.iter()) {
        let t = time(|| n = p.find_iter(&lower).count());
        println!(
            "packed, whole literals, lower-cased text: {:.0} MB/s ({n} hits)",
            mb / t
        );
    }
}

fn time<T>(f: impl FnOnce() -> T) -> f64 {
    let t = Instant::now();
    std::hint::black_box(f());
    t.elapsed().as_secs_f64()
}
