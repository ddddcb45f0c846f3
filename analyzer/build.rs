//! Embeds the diagnosis catalogue (`../rules/<area>/<id>/{rule.yaml,README.md}`) into the
//! library. Cases stay out of the binary; they are test data.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let rules = manifest.join("..").join("rules");
    println!("cargo:rerun-if-changed={}", rules.display());
    let mut found = Vec::new();
    collect(&rules, &rules, &mut found);
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
        let readme_expr = if readme.exists() {
            format!("include_str!({:?})", readme.display().to_string())
        } else {
            "\"\"".to_string()
        };
        writeln!(
            out,
            "    EmbeddedRule {{ dir: {:?}, yaml: include_str!({:?}), readme: {} }},",
            dir,
            yaml.display().to_string(),
            readme_expr
        )
        .unwrap();
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("catalogue.rs");
    std::fs::write(dest, out).unwrap();
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
