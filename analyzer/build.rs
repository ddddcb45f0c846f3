//! Embeds the diagnosis catalogue (`../rules/<area>/<id>/{rule.yaml,README.md}`) into the
//! library, each rule also converted to JSON (parsed at start-up several times faster than
//! YAML; a rule that is not valid YAML is embedded without, and its load reports it).
//! Cases stay out of the binary; they are test data.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

// The literal extraction of the prefilter, run here over the built-in patterns so that
// start-up parses none of them.
#[allow(dead_code)]
#[path = "src/prefilter.rs"]
mod prefilter;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let rules = manifest.join("..").join("rules");
    println!("cargo:rerun-if-changed={}", rules.display());
    println!("cargo::rustc-check-cfg=cfg(aksbundle_literal_table)");
    println!("cargo:rerun-if-changed=src/prefilter.rs");
    let mut found = Vec::new();
    collect(&rules, &rules, &mut found);
    let mut patterns: Vec<String> = Vec::new();
    found.sort();
    let mut out = String::from(
        "/// Rules compiled into the binary.\npub static EMBEDDED: &[EmbeddedRule] = &[\n",
    );
    for dir in &found {
        let abs = rules.join(dir);
        println!("cargo:rerun-if-changed={}", abs.display());
        let yaml = abs.join("rule.yaml");
        let readme = abs.join("README.md");
        println!("cargo:rerun-if-changed={}", yaml.display());
        println!("cargo:rerun-if-changed={}", readme.display());
        let json_expr = match std::fs::read_to_string(&yaml)
            .ok()
            .and_then(|text| serde_yaml::from_str::<serde_json::Value>(&text).ok())
        {
            Some(value) => {
                for m in value["match"].as_array().into_iter().flatten() {
                    for p in m["patterns"].as_array().into_iter().flatten() {
                        patterns.extend(p.as_str().map(str::to_string));
                    }
                }
                let name = format!("{}.json", dir.replace('/', "__"));
                let path = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join(name);
                std::fs::write(&path, serde_json::to_string(&value).unwrap()).unwrap();
                format!("Some(include_str!({:?}))", path.display().to_string())
            }
            None => "None".to_string(),
        };
        let readme_expr = if readme.exists() {
            format!("include_str!({:?})", readme.display().to_string())
        } else {
            "\"\"".to_string()
        };
        writeln!(
            out,
            "    EmbeddedRule {{ dir: {:?}, yaml: include_str!({:?}), json: {}, readme: {} }},",
            dir,
            yaml.display().to_string(),
            json_expr,
            readme_expr
        )
        .unwrap();
    }
    out.push_str("];\n");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    std::fs::write(out_dir.join("catalogue.rs"), out).unwrap();
    // Each pattern's required literals, sorted by pattern for a binary search.
    patterns.sort();
    patterns.dedup();
    let mut table = String::from(
        "/// The built-in patterns and their required literals.\n\
         pub static BUILTIN: &[(&str, Option<&[&[u8]]>)] = &[\n",
    );
    for p in &patterns {
        let lits = match prefilter::extract(p) {
            Some(lits) => {
                let each: Vec<String> = lits.iter().map(|l| format!("&{l:?}")).collect();
                format!("Some(&[{}])", each.join(", "))
            }
            None => "None".to_string(),
        };
        writeln!(table, "    ({p:?}, {lits}),").unwrap();
    }
    table.push_str("];\n");
    std::fs::write(out_dir.join("literals.rs"), table).unwrap();
    println!("cargo:rustc-cfg=aksbundle_literal_table");
}

fn collect(root: &Path, dir: &Path, found: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n == "cases") {
                continue;
            }
            println!("cargo:rerun-if-changed={}", p.display());
            if p.join("rule.yaml").is_file() {
                let rel = p
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                found.push(rel);
            } else {
                collect(root, &p, found);
            }
        }
    }
}
