//! A small bounded worker pool whose tasks may enqueue follow-up tasks (a pods list yields
//! its log fetches), so slow steps overlap instead of running in phases.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Condvar, Mutex};

struct State<T> {
    queue: VecDeque<T>,
    in_flight: usize,
}

/// Runs `initial` tasks and every follow-up they return on `workers` threads; returns when
/// the queue is empty and no task is running. `on_done(n)` is told each time a task ends
/// with `n` follow-ups. A task that panics yields no follow-ups and never stalls the pool.
pub fn run<T, F, D>(workers: usize, initial: Vec<T>, exec: F, on_done: D)
where
    T: Send,
    F: Fn(T) -> Vec<T> + Sync,
    D: Fn(usize) + Sync,
{
    let state = Mutex::new(State {
        queue: initial.into(),
        in_flight: 0,
    });
    let changed = Condvar::new();
    let lock = || state.lock().unwrap_or_else(|p| p.into_inner());
    std::thread::scope(|scope| {
        for _ in 0..workers.max(1) {
            scope.spawn(|| loop {
                let task = {
                    let mut guard = lock();
                    loop {
                        if let Some(task) = guard.queue.pop_front() {
                            guard.in_flight += 1;
                            break Some(task);
                        }
                        if guard.in_flight == 0 {
                            break None;
                        }
                        guard = changed.wait(guard).unwrap_or_else(|p| p.into_inner());
                    }
                };
                let Some(task) = task else {
                    changed.notify_all();
                    return;
                };
                let more = catch_unwind(AssertUnwindSafe(|| exec(task))).unwrap_or_default();
                on_done(more.len());
                let mut guard = lock();
                guard.queue.extend(more);
                guard.in_flight -= 1;
                drop(guard);
                changed.notify_all();
            });
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    #[test]
    fn runs_follow_ups_and_bounds_concurrency() {
        let running = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        let done = AtomicUsize::new(0);
        // Each task n > 0 spawns two tasks n-1: 1 + 2 + 4 + 8 = 15 tasks for n = 3.
        run(
            3,
            vec![3u32],
            |n| {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(20));
                running.fetch_sub(1, Ordering::SeqCst);
                done.fetch_add(1, Ordering::SeqCst);
                if n == 0 {
                    vec![]
                } else {
                    vec![n - 1, n - 1]
                }
            },
            |_| {},
        );
        assert_eq!(done.load(Ordering::SeqCst), 15);
        assert!(peak.load(Ordering::SeqCst) <= 3);
        assert!(peak.load(Ordering::SeqCst) >= 2, "tasks never overlapped");
    }

    #[test]
    fn all_workers_run_at_once() {
        // Each task waits until three tasks are running: this only finishes promptly when
        // the pool really runs three at once.
        let running = AtomicUsize::new(0);
        let met = AtomicUsize::new(0);
        run(
            3,
            vec![(); 3],
            |()| {
                running.fetch_add(1, Ordering::SeqCst);
                let deadline = Instant::now() + Duration::from_secs(10);
                while running.load(Ordering::SeqCst) < 3 && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(1));
                }
                if running.load(Ordering::SeqCst) == 3 {
                    met.fetch_add(1, Ordering::SeqCst);
                }
                vec![]
            },
            |_| {},
        );
        assert_eq!(met.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn a_panicking_task_does_not_stall_the_pool() {
        let done = AtomicUsize::new(0);
        run(
            2,
            vec![0, 1, 2, 3],
            |n: i32| {
                if n == 1 {
                    panic!("boom");
                }
                done.fetch_add(1, Ordering::SeqCst);
                vec![]
            },
            |_| {},
        );
        assert_eq!(done.load(Ordering::SeqCst), 3);
    }
}
