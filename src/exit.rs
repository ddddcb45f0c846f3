//! Exit codes. Those of `analyze` are a public contract (spec: cli.md), so they are a named
//! enum with tests rather than numbers scattered through the code.

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// 0: the command ran and nothing reached `--fail-on`.
    Clean = 0,
    /// 1: the command ran and a finding reached `--fail-on`.
    FindingsReached = 1,
    /// 2: the input or the arguments could not be used.
    Unusable = 2,
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> Self {
        std::process::ExitCode::from(code as u8)
    }
}

/// True when the error chain ends in a broken pipe (`aksbundle ... | head`), which is not a failure.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The error chain on one line: `outer: inner: innermost`.
pub fn one_line(err: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in err.chain() {
        let text = cause.to_string().replace('\n', " ");
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_the_contract() {
        assert_eq!(ExitCode::Clean as u8, 0);
        assert_eq!(ExitCode::FindingsReached as u8, 1);
        assert_eq!(ExitCode::Unusable as u8, 2);
    }

    #[test]
    fn broken_pipe_is_detected_through_context() {
        let io = std::io::Error::new(std::io::ErrorKind::BrokenPipe, "pipe");
        let err = anyhow::Error::new(io).context("writing report");
        assert!(is_broken_pipe(&err));
        assert!(!is_broken_pipe(&anyhow::anyhow!("other")));
    }

    #[test]
    fn one_line_joins_the_chain_without_newlines() {
        let err = anyhow::anyhow!("bad\nthing").context("reading x.json");
        assert_eq!(one_line(&err), "reading x.json: bad thing");
    }
}
