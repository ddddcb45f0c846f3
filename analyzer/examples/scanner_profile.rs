//! Times the line scanner alone over a text file with the catalogue's plan and with an
//! empty plan. `cargo run --release --example scanner_profile FILE`
use std::time::Instant;

use analyzer::scan::{ScanPlan, Scanner, TextFile, TextSource};

fn run(plan: &ScanPlan, text: &[u8]) -> f64 {
    let t = Instant::now();
    let mut s = Scanner::new(plan, 64 << 10);
    for chunk in text.chunks(text.len() / 300 + 1) {
        let file = TextFile {
            file: "logs/ns/app-1/app.log".into(),
            source: TextSource::Log,
            namespace: Some("ns".into()),
            pod: Some("app-1".into()),
            container: Some("app".into()),
            previous: false,
        };
        s.scan(file, false, &mut &chunk[..]).unwrap();
    }
    let r = s.finish();
    std::hint::black_box(r.hits.len());
    t.elapsed().as_secs_f64()
}

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: scanner_profile FILE");
    let text = std::fs::read(&path).expect("readable file");
    let (cat, _) = analyzer::Catalogue::builtin();
    let plan = &cat.compiled().plan;
    pieces(&text);
    let empty = ScanPlan::empty();
    let mb = text.len() as f64 / 1e6;
    for _ in 0..2 {
        let (a, b) = (run(plan, &text), run(&empty, &text));
        println!(
            "catalogue plan {:.0} MB/s, empty plan {:.0} MB/s",
            mb / a,
            mb / b
        );
    }
}

/// The scan's parts alone: newline counting, lower-casing, the literal search.
fn pieces(text: &[u8]) {
    let t = Instant::now();
    let n = memchr::memchr_iter(b'\n', text).count();
    println!(
        "memchr newline count: {:.0} MB/s ({n} lines)",
        text.len() as f64 / 1e6 / t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let mut lower = text.to_vec();
    lower.make_ascii_lowercase();
    println!(
        "lower-casing: {:.0} MB/s",
        text.len() as f64 / 1e6 / t.elapsed().as_secs_f64()
    );
    let (cat, _) = analyzer::Catalogue::builtin();
    let mut lits: Vec<Vec<u8>> = cat
        .compiled()
        .plan
        .patterns()
        .iter()
        .filter_map(|p| analyzer::prefilter::required_literals(p.regex.as_str()))
        .flatten()
        .collect();
    lits.sort();
    lits.dedup();
    let ac = aho_corasick::AhoCorasick::new(&lits).unwrap();
    let t = Instant::now();
    let n = ac.find_iter(&lower).count();
    println!(
        "aho-corasick over lower-cased text: {:.0} MB/s ({n} hits)",
        text.len() as f64 / 1e6 / t.elapsed().as_secs_f64()
    );
}
