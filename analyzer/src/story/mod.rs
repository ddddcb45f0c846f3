//! The story: the steps after the rules have run, each in its own module, fed by the
//! engine's findings and the index. [`time`] places every time on one axis, [`group`]
//! makes one finding per cause, [`status`] tells ongoing from over, [`causes`] links
//! symptoms to their root causes and orders the report root cause first, [`timeline`]
//! merges what happened into one sorted list. Data flows one way: reader → index →
//! rules → story → report.

pub mod causes;
pub mod group;
pub mod status;
pub mod time;
pub mod timeline;

use crate::finding::{Finding, StoryMeta, TimelineEntry};
use crate::index::Index;
use crate::rules::Catalogue;
use crate::time::Clock;

/// The quiet window's default: 10 minutes.
pub const DEFAULT_QUIET_WINDOW_SECONDS: i64 = 600;

/// Options of the story step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoryOptions {
    /// A finding whose objects are healthy is over once its last signal is this many
    /// seconds older than the collection. Default 600 (10 minutes).
    pub quiet_window_seconds: i64,
}

impl Default for StoryOptions {
    fn default() -> Self {
        StoryOptions {
            quiet_window_seconds: DEFAULT_QUIET_WINDOW_SECONDS,
        }
    }
}

/// What the story step gives the report.
#[derive(Debug, Clone, Default)]
pub struct Story {
    /// The findings in story order: root causes first, each followed by its symptoms.
    pub findings: Vec<Finding>,
    pub timeline: Vec<TimelineEntry>,
    pub meta: StoryMeta,
}

/// Runs the story steps over the engine's findings.
pub fn tell(
    findings: Vec<Finding>,
    index: &Index,
    catalogue: &Catalogue,
    opts: &StoryOptions,
) -> Story {
    let collected_at = index.manifest.as_ref().and_then(|m| m.collected_at.clone());
    let clock = collected_at.as_deref().and_then(Clock::of);
    let mut findings = findings;
    time::place_all(&mut findings, clock.as_ref());
    status::judge(
        &mut findings,
        index,
        collected_at.as_deref(),
        opts.quiet_window_seconds,
    );
    let findings = group::by_cause(findings, catalogue);
    let caused_by = causes::link(&findings, catalogue, index);
    let order = causes::order(&findings, &caused_by);
    // Ids follow the story order: stable for the same bundle.
    let mut id_of = vec![String::new(); findings.len()];
    for (pos, &i) in order.iter().enumerate() {
        id_of[i] = format!("f{}", pos + 1);
    }
    let mut explains: Vec<Vec<usize>> = vec![Vec::new(); findings.len()];
    for (i, cs) in caused_by.iter().enumerate() {
        for &c in cs {
            explains[c].push(i);
        }
    }
    let mut pos_of = vec![0usize; findings.len()];
    for (pos, &i) in order.iter().enumerate() {
        pos_of[i] = pos;
    }
    let ids = |list: &[usize]| {
        let mut v: Vec<usize> = list.to_vec();
        v.sort_by_key(|&i| pos_of[i]);
        v.into_iter().map(|i| id_of[i].clone()).collect::<Vec<_>>()
    };
    let mut slots: Vec<Option<Finding>> = findings.into_iter().map(Some).collect();
    let mut ordered = Vec::with_capacity(slots.len());
    for &i in &order {
        if let Some(mut f) = slots[i].take() {
            f.story.id = id_of[i].clone();
            f.story.caused_by = ids(&caused_by[i]);
            f.story.explains = ids(&explains[i]);
            ordered.push(f);
        }
    }
    let timeline = timeline::build(&ordered, index, clock.as_ref());
    Story {
        findings: ordered,
        timeline,
        meta: StoryMeta {
            quiet_window_seconds: opts.quiet_window_seconds,
            events_horizon: timeline::events_horizon(clock.as_ref()),
        },
    }
}
