//! The state a running training publishes for the dashboard, and how often.
//!
//! [`Live`] observes the model's runs (training's `Observer`, registered by
//! `set_dashboard`), and each run's [`Publisher`] copies into it. Training pays for a
//! dashboard only here: a clock read per step, and about four times a second a lock to copy
//! the new steps and the latest previews in. Everything else (the JSON, the network) happens
//! on the dashboard's own thread, from [`Live::json`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::state::{Position, Status, ViewState};
use crate::training::observe::{Observer, RunObserver};
use crate::training::{Evaluation, Preview, TrainingReport};

/// How often training publishes between epochs.
pub(crate) const PUBLISH_EVERY: Duration = Duration::from_millis(250);

/// What the dashboard shows, shared between training and the server.
#[derive(Debug, Default)]
pub(crate) struct Live {
    state: Mutex<LiveState>,
    /// Bumped by every change, so that the server sends only what is new.
    version: AtomicU64,
}

#[derive(Debug)]
struct LiveState {
    report: Option<TrainingReport>,
    status: Status,
    message: Option<String>,
    position: Position,
    /// The latest preview of each component, in the summary's order.
    previews: Vec<Option<Preview>>,
    /// An evaluation given before any training, shown alone.
    evaluation: Option<Evaluation>,
}

impl Default for LiveState {
    fn default() -> Self {
        LiveState {
            report: None,
            status: Status::Waiting,
            message: None,
            position: Position::default(),
            previews: Vec::new(),
            evaluation: None,
        }
    }
}

impl Live {
    /// The number of changes so far.
    pub(crate) fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    fn update(&self, change: impl FnOnce(&mut LiveState)) {
        change(&mut self.lock());
        self.version.fetch_add(1, Ordering::AcqRel);
    }

    fn lock(&self) -> MutexGuard<'_, LiveState> {
        // A panic elsewhere while holding the lock leaves a state that is still readable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The current state as the page's JSON, `None` before any training.
    pub(crate) fn json(&self) -> Option<String> {
        let state = self.lock();
        let report = state.report.as_ref()?;
        let view = ViewState::new(
            report,
            state.status,
            state.message.as_deref(),
            state.position,
            &state.previews,
        );
        Some(view.to_json())
    }

    /// The model's name, once a run started.
    pub(crate) fn title(&self) -> Option<String> {
        self.lock().report.as_ref().map(|r| r.model.model.clone())
    }
}

impl Observer for Live {
    fn begin(self: Arc<Self>, report: &TrainingReport, epochs: usize) -> Box<dyn RunObserver> {
        Box::new(Publisher::begin(self, report, epochs))
    }

    /// Marks the run finished, or failed with `error`.
    fn finished(&self, error: Option<&crate::Error>) {
        self.update(|s| {
            s.position.eta_s = error.is_none().then_some(0.0);
            s.status = if error.is_some() {
                Status::Failed
            } else {
                Status::Finished
            };
            s.message = error.map(ToString::to_string);
        });
    }

    /// Shows `evaluation` as the test view of the latest run.
    fn evaluated(&self, evaluation: &Evaluation) {
        self.update(|s| match &mut s.report {
            Some(report) => report.evaluation = Some(evaluation.clone()),
            None => s.evaluation = Some(evaluation.clone()),
        });
    }
}

/// One run's publishing: what it sent last and when.
pub(crate) struct Publisher {
    live: Arc<Live>,
    started: Instant,
    last: Instant,
    /// Steps of the report already copied.
    steps_sent: usize,
    /// Training elements done in this run (not counting epochs resumed from).
    samples: usize,
    total_steps: usize,
    steps_done: usize,
}

impl Publisher {
    /// Starts publishing a run whose report so far is `report`.
    pub(crate) fn begin(live: Arc<Live>, report: &TrainingReport, epochs: usize) -> Self {
        let steps = report.steps_per_epoch;
        let position = Position {
            epoch: report.epochs.len(),
            epochs,
            step: 0,
            steps,
            ..Position::default()
        };
        let mut report = report.clone();
        live.update(|s| {
            report.evaluation = s.evaluation.take();
            s.report = Some(report);
            s.status = Status::Training;
            s.message = None;
            s.position = position;
            s.previews = Vec::new();
        });
        let now = Instant::now();
        Publisher {
            live,
            started: now,
            last: now,
            steps_sent: 0,
            samples: 0,
            total_steps: epochs.saturating_sub(position.epoch) * steps,
            steps_done: 0,
        }
    }

    fn publish(
        &mut self,
        report: &TrainingReport,
        epoch: usize,
        step: usize,
        previews: Option<Vec<Option<Preview>>>,
        whole: bool,
    ) {
        let elapsed = self.started.elapsed().as_secs_f64();
        let rate = self.steps_done as f64 / elapsed.max(1e-9);
        let position = Position {
            epoch,
            epochs: report.settings.epochs,
            step,
            steps: report.steps_per_epoch,
            elapsed_s: elapsed,
            eta_s: (self.steps_done > 0)
                .then(|| self.total_steps.saturating_sub(self.steps_done) as f64 / rate),
            samples_per_s: (self.samples > 0).then(|| self.samples as f64 / elapsed.max(1e-9)),
        };
        let from = self.steps_sent;
        self.steps_sent = report.steps.len();
        self.live.update(|s| {
            let Some(live) = &mut s.report else { return };
            if whole {
                let evaluation = live.evaluation.take();
                *live = report.clone();
                live.evaluation = evaluation;
            } else {
                live.steps
                    .extend_from_slice(&report.steps[from.min(report.steps.len())..]);
            }
            s.position = position;
            if let Some(previews) = previews {
                s.previews = previews;
            }
        });
    }
}

impl RunObserver for Publisher {
    /// After each step: publishes at most every [`PUBLISH_EVERY`].
    fn step(
        &mut self,
        report: &TrainingReport,
        epoch: usize,
        step: usize,
        samples: usize,
        previews: &mut dyn FnMut() -> Vec<Option<Preview>>,
    ) {
        self.samples += samples;
        self.steps_done += 1;
        let now = Instant::now();
        if now.duration_since(self.last) < PUBLISH_EVERY {
            return;
        }
        self.last = now;
        self.publish(report, epoch, step, Some(previews()), false);
    }

    /// After each epoch: the epoch's figures and captures.
    fn epoch(
        &mut self,
        report: &TrainingReport,
        epoch: usize,
        previews: &mut dyn FnMut() -> Vec<Option<Preview>>,
    ) {
        self.last = Instant::now();
        let steps = report.steps_per_epoch;
        self.publish(report, epoch, steps, Some(previews()), true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_shown_before_a_run() {
        let live = Live::default();
        assert_eq!(live.json(), None);
        assert_eq!(live.version(), 0);
    }
}
