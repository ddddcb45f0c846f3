//! Times each log/attachment pattern of the built-in catalogue over a text file, to find
//! the patterns that slow the one-pass scan. `cargo run --release --example scan_profile FILE`
use std::time::Instant;

fn main() {
    let path = std::env::args().nth(1).expect("usage: scan_profile FILE");
    let text = std::fs::read(&path).expect("readable file");
    let (cat, _) = analyzer::Catalogue::builtin();
    let plan = &cat.compiled().plan;
    let mut rows = Vec::new();
    for (i, p) in plan.patterns().iter().enumerate() {
        let t = Instant::now();
        let n = p.regex.find_iter(&text).count();
        rows.push((
            t.elapsed().as_secs_f64(),
            i,
            n,
            p.regex.as_str().to_string(),
        ));
    }
    rows.sort_by(|a, b| b.0.total_cmp(&a.0));
    let lower = text.to_ascii_lowercase();
    let lines: Vec<&[u8]> = lower.split(|b| *b == b'\n').collect();
    for p in plan.patterns() {
        match analyzer::prefilter::required_literals(p.regex.as_str()) {
            None => println!("no required literal: {}", p.regex.as_str()),
            Some(lits) => {
                let n = lines
                    .iter()
                    .filter(|l| {
                        lits.iter()
                            .any(|x| l.windows(x.len()).any(|w| w == x.as_slice()))
                    })
                    .count();
                if n > lines.len() / 1000 {
                    let shown: Vec<String> = lits
                        .iter()
                        .map(|l| String::from_utf8_lossy(l).into_owned())
                        .collect();
                    println!("{n:>7} of {} lines contain one of {shown:?}", lines.len());
                }
            }
        }
    }
    let mb = text.len() as f64 / 1e6;
    for (secs, i, n, re) in rows.iter().take(15) {
        println!(
            "{:>8.1} MB/s  #{i:<3} {n:>6} hits  {}",
            mb / secs,
            &re[..re.len().min(140)]
        );
    }
}
