//! Collector: drives the user's own kubectl to snapshot an AKS cluster into an
//! `aksbundle/v1` support bundle (see `docs/collector.md`), safely on a half-broken cluster
//! and without ever shipping a secret.
//!
//! The entry points are [`collect`] (the `aksbundle collect` command) and
//! [`ipam::collect_node`] (`aksbundle collect node`, run on a node itself).

#![warn(missing_docs)]

mod bundle;
mod clock;
mod collect;
mod error;
pub mod ipam;
pub mod kubectl;
pub mod logs;
pub mod manifest;
pub mod nodelogs;
mod options;
pub mod plan;
mod pool;
pub mod redact;
pub mod terminal;

pub use collect::{collect, Summary, MAX_ATTACHMENT_BYTES};
pub use error::CollectError;
pub use options::{CancelToken, Options, Since, DEFAULT_DEBUG_IMAGE};
