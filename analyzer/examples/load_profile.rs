//! Times loading and compiling the built-in catalogue. `cargo run --release --example load_profile`
use std::time::Instant;

fn main() {
    let t = Instant::now();
    let (cat, _) = analyzer::Catalogue::builtin();
    let load = t.elapsed();
    let t = Instant::now();
    let (plan, _) = analyzer::engine::scan_plan(&cat);
    let lines = t.elapsed();
    drop(plan);
    let t = Instant::now();
    let _ = cat.compiled();
    let all = t.elapsed();
    println!("load+validate {load:?}; line plan {lines:?}; all compiled sets {all:?}");
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
    println!(
        "{} line patterns, {} distinct required literals, shortest {}",
        cat.compiled().plan.patterns().len(),
        lits.len(),
        lits.iter().map(Vec::len).min().unwrap_or(0)
    );
}
