//! Redaction throughput on a realistic container log: `cargo run --release -p
//! aksbundle-collector --example bench-redact [MB]` (default 64). The log is generated here:
//! klog lines from the Key Vault provider and the CSI driver, JSON application lines, access
//! logs with query strings, Go panics, and 1 line in 1,000 carrying a secret in one of the
//! formats the redactor knows. Prints MB/s streamed through `RedactingWriter` (as `collect`
//! does with every log) and the redaction count.

use collector::redact::RedactingWriter;
use std::io::Write;
use std::time::Instant;

const ORDINARY: &[&str] = &[
    "I1122 04:01:02.123456       1 provider.go:45] \"mount request\" pod=\"default/web-5d8f7c9b4-abcde\" secretProviderClass=\"azure-kvname\" objects=3",
    "E1122 04:01:02.223456       1 server.go:123] failed to get key vault token: nmi response failed with status code: 404",
    "I1122 04:01:03.000000       1 reconciler.go:212] \"reconciling\" namespace=\"kube-system\" name=\"csi-secrets-store-provider-azure\" generation=7 uid=\"0d9c1c3e-5b8e-4f0e-9a8c-2f1d3e4b5a6c\"",
    "{\"level\":\"info\",\"ts\":\"2026-11-22T04:01:02.123Z\",\"caller\":\"api/handler.go:88\",\"msg\":\"request served\",\"method\":\"GET\",\"path\":\"/api/v1/orders\",\"status\":200,\"duration_ms\":12.4,\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\"}",
    "10.244.1.17 - - [22/Nov/2026:04:01:02 +0000] \"GET /api/v1/orders?page=2&limit=50&sort=created_at HTTP/1.1\" 200 5123 \"-\" \"Go-http-client/1.1\"",
    "W1122 04:01:04.000000       1 reflector.go:424] k8s.io/client-go/informers/factory.go:150: failed to list *v1.Secret: secrets is forbidden: User \"system:serviceaccount:kube-system:csi\" cannot list resource \"secrets\"",
    "{\"level\":\"warn\",\"msg\":\"retrying\",\"attempt\":3,\"error\":\"dial tcp 10.0.0.1:443: i/o timeout\",\"image\":\"mcr.microsoft.com/oss/azure/secrets-store/provider-azure@sha256:1b9b3a3d5c6a0e8f1d2c3b4a5968776655443322110ffeeddccbbaa998877665\"}",
    "goroutine 1 [running]:",
    "main.main()\n\t/src/cmd/api/main.go:42 +0x1d",
    "I1122 04:01:05.000000       1 tokens.go:87] refreshing token: expires in 3600s",
];

const SECRETS: &[&str] = &[
    "{\"level\":\"debug\",\"msg\":\"config\",\"raw\":\"{\\\"password\\\":\\\"Js0nEsc4ped!\\\"}\"}",
    "+ mysql -h db -uroot -pMyR00tPw! app",
    "Authorization: Bearer 0123456789abcdefABCDEF0123456789",
    "GET /b?sv=2022-11-02&sig=AbCdEf%2Bghij0123456789%3D&se=2026",
    "using token ghp_HAZt9xslXTTIQrh6bpy0VAq3GZuO2R8UziJd",
    "DB_PASSWORD=hunter2-is-secret",
];

fn main() -> std::io::Result<()> {
    let mb: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(64);
    let target = mb * 1_000_000;
    let mut log = Vec::with_capacity(target + 1024);
    let mut i = 0usize;
    while log.len() < target {
        let body = if i % 1000 == 999 {
            SECRETS[(i / 1000) % SECRETS.len()]
        } else {
            ORDINARY[i % ORDINARY.len()]
        };
        writeln!(
            log,
            "2026-11-22T04:{:02}:{:02}.{:09}Z {body}",
            (i / 60) % 60,
            i % 60,
            i % 1_000_000_000
        )?;
        i += 1;
    }
    let mut best = f64::MAX;
    let mut count = 0;
    for _ in 0..3 {
        let started = Instant::now();
        let mut writer = RedactingWriter::new(std::io::sink());
        for chunk in log.chunks(64 * 1024) {
            writer.write_all(chunk)?;
        }
        let (_, n) = writer.finish(false)?;
        best = best.min(started.elapsed().as_secs_f64());
        count = n;
    }
    let mbytes = log.len() as f64 / 1e6;
    println!(
        "redacted {mbytes:.1} MB ({i} lines, {count} secrets) in {best:.3} s: {:.1} MB/s (best of 3)",
        mbytes / best
    );
    Ok(())
}
