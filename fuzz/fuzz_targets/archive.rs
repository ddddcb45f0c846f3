//! Any bytes as a bundle archive (tar.gz, tar, zip, nested): the reader and the whole
//! catalogue must return, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fn catalogue() -> &'static analyzer::Catalogue {
    static CAT: std::sync::OnceLock<analyzer::Catalogue> = std::sync::OnceLock::new();
    CAT.get_or_init(|| analyzer::Catalogue::builtin().0)
}

fuzz_target!(|data: &[u8]| {
    let _ = analyzer::cases::analyze_bytes("fuzz.bin", data, catalogue(), "en");
});
