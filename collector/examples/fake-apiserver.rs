//! Serves `testdata/apiserver` as a fake Kubernetes API server on 127.0.0.1, for trying the
//! collector by hand and for `scripts/bench-collect.sh`.
//!
//! ```text
//! cargo run -p aksbundle-collector --example fake-apiserver -- [--latency-ms 200] [--no-nnc] [FIXTURE_DIR]
//! ```
//! Prints the server URL on the first line of stdout, then serves until stdin closes.
//! `GET /_stats` answers `{"requests": N, "latency_ms": L}` (not counted itself).
//! The latency may also come from `$FAKE_APISERVER_LATENCY_MS`.

#[path = "../tests/support/fake_apiserver.rs"]
mod fake_apiserver;

use std::io::{Read, Write};
use std::time::Duration;

fn main() {
    let mut config = fake_apiserver::Config::default_fixtures();
    if let Some(ms) = std::env::var("FAKE_APISERVER_LATENCY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        config.latency = Duration::from_millis(ms);
    }
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--latency-ms" => {
                let Some(ms) = args.next().and_then(|v| v.parse().ok()) else {
                    eprintln!("--latency-ms needs a number of milliseconds");
                    std::process::exit(2);
                };
                config.latency = Duration::from_millis(ms);
            }
            "--no-nnc" => config.with_nnc = false,
            "-h" | "--help" => {
                println!("fake-apiserver [--latency-ms MS] [--no-nnc] [FIXTURE_DIR]");
                return;
            }
            dir => config.fixtures = dir.into(),
        }
    }
    let server = fake_apiserver::FakeApiServer::start(config);
    println!("{}", server.url());
    let _ = std::io::stdout().flush();
    // Serve until our stdin is closed (the caller exits or closes the pipe).
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    eprintln!(
        "fake-apiserver: {} requests served",
        server.requests().len()
    );
}
