//! Any text as a user's rule.yaml: loading reports errors, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = analyzer::rules::compile(text, "fuzz/rule.yaml", "user", "");
    }
});
