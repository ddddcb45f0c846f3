//! One module per subcommand: each turns raw CLI flags into the library's options
//! and calls the library.

pub mod analyze;
pub mod batch;
pub mod collect;
pub mod completions;
pub mod rules;
pub mod serve;
