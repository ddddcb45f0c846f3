//! Shell completions and man pages come from the clap definition: the bash script
//! completes subcommands in a real bash, and the man page names every subcommand.

use std::process::Command;

fn aksbundle(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_aksbundle"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

const SUBCOMMANDS: &[&str] = &[
    "collect",
    "analyze",
    "batch",
    "summarize",
    "rules",
    "serve",
    "completions",
    "man",
];

/// Completes `line` with the bash script loaded, as bash does on Tab.
fn bash_complete(script: &std::path::Path, words: &[&str]) -> Vec<String> {
    let words_sh: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        "source '{}'\n\
         complete -p aksbundle >/dev/null || exit 9\n\
         COMP_WORDS=({})\n\
         COMP_CWORD={}\n\
         COMP_LINE='{}'\n\
         COMP_POINT=${{#COMP_LINE}}\n\
         func=$(complete -p aksbundle | sed -E 's/.*-F ([^ ]+).*/\\1/')\n\
         \"$func\" aksbundle '{}' '{}'\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display(),
        words_sh.join(" "),
        words.len() - 1,
        words.join(" "),
        words[words.len() - 1],
        words[words.len() - 2],
    );
    let out = Command::new("bash")
        .arg("--norc")
        .arg("-c")
        .arg(program)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn bash_completion_completes_subcommands_and_serve_flags() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("aksbundle.bash");
    std::fs::write(&script, aksbundle(&["completions", "bash"])).unwrap();
    assert_eq!(bash_complete(&script, &["aksbundle", "an"]), ["analyze"]);
    assert_eq!(bash_complete(&script, &["aksbundle", "se"]), ["serve"]);
    let flags = bash_complete(&script, &["aksbundle", "serve", "--kube"]);
    assert_eq!(flags, ["--kubeconfig"]);
}

#[test]
fn every_shell_gets_a_script_naming_the_subcommands() {
    for shell in ["zsh", "fish", "powershell"] {
        let script = aksbundle(&["completions", shell]);
        for sub in SUBCOMMANDS {
            assert!(script.contains(sub), "{shell} script lacks {sub}");
        }
    }
}

#[test]
fn man_page_is_roff_and_names_every_subcommand() {
    let page = aksbundle(&["man"]);
    assert!(
        page.starts_with(".ie") || page.contains(".TH aksbundle"),
        "{page}"
    );
    for sub in SUBCOMMANDS {
        assert!(page.contains(sub), "man page lacks {sub}");
    }
    let dir = tempfile::tempdir().unwrap();
    aksbundle(&["man", "--out-dir", dir.path().to_str().unwrap()]);
    let serve = std::fs::read_to_string(dir.path().join("aksbundle-serve.1")).unwrap();
    assert!(
        serve.contains("kubeconfig") && serve.contains("127.0.0.1"),
        "{serve}"
    );
}
