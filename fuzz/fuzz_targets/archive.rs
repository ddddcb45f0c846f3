//! Any bytes as a bundle archive (tar.gz, tar, zip, nested): the reader and the whole
//! catalogue must return, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (catalogue, _) = analyzer::Catalogue::builtin();
    let _ = analyzer::cases::analyze_bytes("fuzz.bin", data, &catalogue, "en");
});
