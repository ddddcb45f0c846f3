//! The aksbundle analyzer: reads a bundle in one streaming pass ([`reader`]), builds an
//! immutable [`index::Index`] of its objects while [`scan`] matches log lines, runs the
//! diagnosis catalogue ([`rules`], [`matchers`], [`checks`]) in [`engine`], tells the
//! story of its findings ([`story`]: time, status, causes, timeline), and renders
//! reports ([`render`]). Data flows one way: reader → index → rules → story → report.

pub mod batch;
pub mod bounds;
pub mod cases;
pub mod checks;
pub mod engine;
pub mod error;
pub mod finding;
pub mod index;
pub mod layout;
pub mod limits;
pub mod matchers;
pub mod model;
pub mod paste;
pub mod prefilter;
pub mod reader;
pub mod render;
pub mod rules;
pub mod scan;
pub mod story;
pub mod time;

/// Text bound for a terminal or a Markdown stream (shared with the collector).
pub use outfile::terminal;

pub use engine::{analyze, Analysis, AnalyzeOptions};
pub use error::{OpenError, ReadIssue};
pub use finding::{Finding, Report, Severity, Status};
pub use limits::Limits;
pub use rules::Catalogue;
pub use story::StoryOptions;
