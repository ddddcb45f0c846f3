//! Any bytes as each object file of a bundle (pods, events, nodes, nnc, manifest ...),
//! packed into a tar with a line of log: the index builder and every rule must cope.
#![no_main]

use libfuzzer_sys::fuzz_target;

fn catalogue() -> &'static analyzer::Catalogue {
    static CAT: std::sync::OnceLock<analyzer::Catalogue> = std::sync::OnceLock::new();
    CAT.get_or_init(|| analyzer::Catalogue::builtin().0)
}

const FILES: &[&str] = &[
    "manifest.json",
    "cluster/nodes.json",
    "cluster/nnc.json",
    "cluster/version.json",
    "namespaces/default/pods.json",
    "namespaces/default/events.json",
    "namespaces/default/services.json",
    "namespaces/default/endpoints.json",
    "namespaces/default/jobs.json",
    "nodes/n1/ipam.json",
    "logs/kube-system/aks-secrets-store-provider-azure-x/provider.log",
];

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else { return };
    let name = FILES[which as usize % FILES.len()];
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_path(format!("b/{name}")).unwrap();
    h.set_size(body.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    b.append(&h, body).unwrap();
    let bytes = b.into_inner().unwrap();
    let _ = analyzer::cases::analyze_bytes("fuzz.tar", &bytes, catalogue(), "en");
});
