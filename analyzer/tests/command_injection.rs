//! Meta-test over every suggested command (issue 17 item 1): each command of each rule —
//! the catalogue's and a user rule's — is rendered with every variable set to a hostile
//! value, then pasted into an interactive bash whose PATH holds only stub binaries. Nothing
//! may run: no `touch`, no marker file, no history expansion, no syntax error. The same
//! commands rendered with real-looking values must keep them verbatim.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};

use analyzer::render::shell::{kind_of, Command, Kind};
use analyzer::rules::Catalogue;
use serde_json::{json, Value};

/// Hostile values; `MARK` is replaced by the marker file's path.
const HOSTILE: &[&str] = &[
    "$(touch MARK)",
    "`touch MARK`",
    "'; touch MARK; '",
    "\"; touch MARK; \"",
    ";touch MARK",
    "\n touch MARK",
    "x\ntouch MARK\n",
    "$((1))$(touch MARK)",
    "${IFS}touch${IFS}MARK",
    "x'$(touch MARK)'",
    "a\"$(touch MARK)\"b",
    "\\'$(touch MARK)",
    "$(cd;touch MARK).azurecr.io/x",
    "|touch MARK",
    "&touch MARK&",
    ">MARK",
    "EOF\ntouch MARK\nEOF",
    "!histprobe",
    "!!",
    "'!histprobe'",
];

/// A user rule whose commands put values in every context a rule author may use.
const USER_RULE: &str = r#"
id: user-commands
severity: warning
title: {en: "t"}
summary: {en: "s"}
explanation: {en: "e"}
match:
  - source: event
    patterns: ["x"]
kinds:
  ticket: text
  mode: word
remediation:
  - text: {en: "step"}
    commands:
      - "kubectl logs {{ pod }} -n {{ namespace }} -c {{ container }} | grep -F '{{ ticket }}'"
      - "echo \"ticket {{ ticket }} on {{ node }}\" && echo '{{ ticket }}' {{ ticket }}"
      - "grep -F \"{{ ticket }}\" --label={{ ticket }}"
      - "kubectl exec {{ pod }} -n {{ namespace }} -- sh -c 'ping -c1 {{ pod_ip }} && nslookup {{ registry }}'"
      - "az role assignment list --scope $(az acr show -n {{ acr_name }} --query id -o tsv) --query \"[?principalId=='{{ oid }}']\""
      - "cat <<'EOF' | kubectl apply -f -\nmetadata:\n  name: {{ pod }}\n  namespace: {{ namespace }}\n  note: {{ ticket }}\nEOF"
      - "kubectl get pods {% if namespace %}-n {{ namespace }}{% else %}-A{% endif %} -l '{{ selector }}' --field-selector spec.nodeName={{ node | default('<node>') }}"
      - "{% for p in pods %}kubectl delete pod {{ p }} -n {{ namespace }}; {% endfor %}curl -s '{{ server }}/healthz?x={{ mode }}'"
"#;

/// A real-looking value of each kind.
fn benign(kind: Kind) -> &'static str {
    match kind {
        Kind::Name => "web-7d4b9c-x2x5q",
        Kind::Label => "shop",
        Kind::Image => "myacr.azurecr.io/shop/web:1.4.2",
        Kind::Host => "myacr.azurecr.io",
        Kind::Ip => "10.244.1.7",
        Kind::Cidr => "10.224.0.0/16",
        Kind::Number => "8080",
        Kind::AzureName => "kvshopprod",
        Kind::Url => "https://aks-shop-dns-1a2b3c.hcp.eastus.azmk8s.io:443",
        Kind::Selector => "app=web,tier=frontend",
        Kind::Principal => "system:serviceaccount:shop:builder",
        Kind::Word => "deployment",
        Kind::Path => "/var/lib/cni/networks/kubenet",
        Kind::Guid => "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
        Kind::Text => "INC-1234",
    }
}

/// Every rule of the catalogue and the user fixture, with its kind overrides.
fn all_rules(dir: &Path) -> Catalogue {
    let (mut cat, errors) = Catalogue::builtin();
    assert!(errors.is_empty(), "{errors:?}");
    let folder = dir.join("user-rules/user-commands");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("rule.yaml"), USER_RULE).unwrap();
    let errors = cat.add_dir(&dir.join("user-rules"));
    assert!(errors.is_empty(), "{errors:?}");
    cat
}

/// The context of a command with every variable it reads set by `value(name)`.
fn context(cmd: &Command, value: &dyn Fn(&str) -> Value) -> Value {
    let env = minijinja::Environment::new();
    let tmpl = env
        .template_from_str(&cmd.source)
        .expect("compiled at load");
    let mut ctx = serde_json::Map::new();
    for path in tmpl.undeclared_variables(true) {
        let mut parts: Vec<&str> = path.split('.').collect();
        let leaf = parts.pop().expect("a name");
        let mut obj = &mut ctx;
        for p in parts {
            let slot = obj.entry(p.to_string()).or_insert_with(|| json!({}));
            if !slot.is_object() {
                *slot = json!({});
            }
            obj = slot.as_object_mut().expect("an object");
        }
        let v = if leaf == "pods" {
            json!([value("pod")])
        } else {
            value(leaf)
        };
        obj.insert(leaf.to_string(), v);
    }
    Value::Object(ctx)
}

/// A folder of stub binaries: each does nothing, except `touch` and `histprobe` (they log
/// their calls), `kubectl` (runs what follows `--`, as the pod would) and `chroot`.
fn stubs(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = dir.join("calls.log");
    let write = |name: &str, body: &str| {
        let p = bin.join(name);
        std::fs::write(&p, format!("#!/bin/bash\n{body}\n")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    for name in [
        "az",
        "grep",
        "curl",
        "nslookup",
        "jq",
        "cat",
        "base64",
        "wc",
        "head",
        "sed",
        "docker",
        "helm",
        "kubelogin",
        "aksbundle",
        "telnet",
        "crictl",
        "journalctl",
        "getent",
        "ls",
        "ping",
        "echo",
        "bash",
        "sleep",
    ] {
        write(
            name,
            &format!("echo \"$*\" >> '{}'", dir.join("args.log").display()),
        );
    }
    for name in ["touch", "histprobe"] {
        write(name, &format!("echo \"{name} $*\" >> '{}'", log.display()));
    }
    write(
        "kubectl",
        &(format!("echo \"$*\" >> '{}'\n", dir.join("args.log").display()) + "while [ $# -gt 0 ]; do if [ \"$1\" = -- ]; then shift; exec \"$@\"; fi; shift; done"),
    );
    write("chroot", "shift; exec \"$@\"");
    std::os::unix::fs::symlink("/bin/sh", bin.join("sh")).unwrap();
    bin
}

struct Run {
    stderr: String,
    /// Calls of `touch` and `histprobe`.
    calls: String,
    /// The arguments every other stub received.
    args: String,
}

/// Pastes `script` into an interactive bash (history expansion on) after a first line
/// that puts `histprobe` in its history.
fn paste(dir: &Path, bin: &Path, script: &str) -> Run {
    let log = dir.join("calls.log");
    let args = dir.join("args.log");
    let _ = std::fs::remove_file(&log);
    let _ = std::fs::remove_file(&args);
    let input = format!("histprobe\n{script}\n");
    let mut child = Process::new("/bin/bash")
        .args(["--norc", "--noprofile", "-i"])
        .env_clear()
        .env("PATH", bin)
        .env("HOME", dir)
        .env("PS1", "")
        .env("PS2", "")
        .env("TERM", "dumb")
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bash runs");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    Run {
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        calls: std::fs::read_to_string(&log).unwrap_or_default(),
        args: std::fs::read_to_string(&args).unwrap_or_default(),
    }
}

#[test]
fn hostile_values_in_every_command_run_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let cat = all_rules(tmp.path());
    let bin = stubs(tmp.path());
    let mark = tmp.path().join("MARK");
    // The harness itself must be able to see a breach.
    let probe = paste(
        tmp.path(),
        &bin,
        &format!("kubectl run x -- sh -c 'touch {}'", mark.display()),
    );
    assert!(
        probe.calls.contains("touch"),
        "the stubs do not record: {:?}",
        probe.calls
    );

    let mut commands = 0;
    let mut parses = BTreeSet::new();
    let expanded = regex::Regex::new(r"(^|[^!])histprobe").unwrap();
    for rule in &cat.rules {
        let cmds: Vec<&Command> = rule.commands.iter().flatten().collect();
        if cmds.is_empty() {
            continue;
        }
        for h in HOSTILE {
            let h = h.replace("MARK", &mark.display().to_string());
            let texts: Vec<String> = cmds
                .iter()
                .map(|c| c.render(&context(c, &|_| json!(h))).text)
                .collect();
            let script = texts.join("\n");
            let run = paste(tmp.path(), &bin, &script);
            let breach = run.calls.lines().any(|l| l != "histprobe ")
                || mark.exists()
                || expanded.is_match(&run.args);
            assert!(
                !breach,
                "{} ({}) with {h:?} ran something:\n--- commands\n{script}\n--- calls\n{}\n--- args\n{}\n--- stderr\n{}",
                rule.spec.id, rule.origin, run.calls, run.args, run.stderr
            );
            for text in &texts {
                parses.insert(text.clone());
            }
            commands += cmds.len();
        }
    }
    assert!(
        commands > 200 * HOSTILE.len() / 2,
        "only {commands} commands ran"
    );
    // Quoting that broke would show as a syntax error. A `<placeholder>` left in a
    // command is a redirection on purpose (nothing runs until the engineer fills it in),
    // so only commands without one are parsed.
    let placeholder = regex::Regex::new(r"<[A-Za-z][^<>\s]*>").unwrap();
    let mut parsed = 0;
    for text in parses.iter().filter(|t| !placeholder.is_match(t)) {
        let out = Process::new("/bin/bash")
            .args(["-n", "-c", text])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "does not parse: {text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        parsed += 1;
    }
    assert!(parsed > 20, "only {parsed} commands without a placeholder");
}

#[test]
fn real_values_stay_verbatim_in_every_command() {
    let tmp = tempfile::tempdir().unwrap();
    let cat = all_rules(tmp.path());
    let mut with_pod = 0;
    for rule in &cat.rules {
        for cmd in rule.commands.iter().flatten() {
            let value = |name: &str| json!(benign(kind_of(name, &rule.spec.kinds)));
            let r = cmd.render(&context(cmd, &value));
            assert!(
                r.withheld.is_empty(),
                "{}: real values withheld from {:?}: {:?}",
                rule.spec.id,
                cmd.source,
                r.withheld
            );
            let names: BTreeSet<&str> = cmd.slots.iter().map(|s| s.name.as_str()).collect();
            if names.contains("pod") && !cmd.source.contains("{%") {
                assert!(
                    r.text.contains("web-7d4b9c-x2x5q"),
                    "{}: {}",
                    rule.spec.id,
                    r.text
                );
                with_pod += 1;
            }
        }
    }
    assert!(with_pod >= 15, "only {with_pod} commands name a pod");
}

/// Regression for issue 17 item 1: a container named `$(cd;touch pwned)` inside the
/// catalogue's jsonpath (`@.name=="{{ container }}"`) became a live substitution.
#[test]
fn container_named_like_a_substitution_in_jsonpath_is_withheld() {
    let tmp = tempfile::tempdir().unwrap();
    let cat = all_rules(tmp.path());
    let rule = cat.get("pod-crashloop").expect("in the catalogue");
    let cmd = rule
        .commands
        .iter()
        .flatten()
        .find(|c| c.source.contains("jsonpath") && c.source.contains("{{ container }}"))
        .expect("the jsonpath command");
    let facts: BTreeMap<&str, &str> = [
        ("pod", "web-1"),
        ("namespace", "shop"),
        ("container", "$(cd;touch pwned)"),
    ]
    .into();
    let r = cmd.render(&json!(facts));
    assert!(!r.text.contains("$("), "{}", r.text);
    assert!(r.text.contains("@.name==\"<container>\""), "{}", r.text);
    assert_eq!(r.withheld[0].value, "$(cd;touch pwned)");
}
