//! Who follows a model's runs and evaluations as they happen.
//!
//! Training calls every [`Observer`] registered on the model and knows nothing else of them:
//! the live dashboard is one, and it lives in the view, above training. Without this trait
//! training would have to name the dashboard's state to publish into it, and the two layers
//! would depend on each other.
//!
//! A run's observing is split in two because the two halves live differently: the
//! [`Observer`] is shared by the model's clones and outlives its runs (what it shows stays
//! after a run), while the [`RunObserver`] it starts belongs to one run on the training thread,
//! so it keeps what it sent last and when without a lock or an atomic on every step.

use std::any::TypeId;
use std::sync::Arc;

use burn::prelude::Backend;

use super::preview::Preview;
use super::report::{Evaluation, TrainingReport};
use crate::error::Error;
use crate::graph::Model;

/// Follows a model's runs and evaluations; registered with [`Model::observe`].
pub(crate) trait Observer: Send + Sync {
    /// A run starts, or resumes, with `report` so far (the epochs resumed from included),
    /// towards `epochs` epochs; what it returns follows that run, step by step.
    fn begin(self: Arc<Self>, report: &TrainingReport, epochs: usize) -> Box<dyn RunObserver>;

    /// The run ended, or failed with `error` (also when it failed before it began: bad
    /// settings, unreadable data).
    fn finished(&self, error: Option<&Error>);

    /// `evaluate()` measured `evaluation` on the test set.
    fn evaluated(&self, evaluation: &Evaluation);
}

/// Follows one run, from the training thread.
///
/// `previews` draws every component's latest captured output, in the summary's order (empty
/// for a headless run, which captures none). It is a function, called only by an observer
/// about to show them, because drawing reads every sample back.
pub(crate) trait RunObserver {
    /// After step `step` (from 1) of epoch `epoch` (from 1), which trained on `samples`
    /// elements; `report` holds its `StepStats`.
    fn step(
        &mut self,
        report: &TrainingReport,
        epoch: usize,
        step: usize,
        samples: usize,
        previews: &mut dyn FnMut() -> Vec<Option<Preview>>,
    );

    /// After epoch `epoch`, once `report` holds its figures and captures.
    fn epoch(
        &mut self,
        report: &TrainingReport,
        epoch: usize,
        previews: &mut dyn FnMut() -> Vec<Option<Preview>>,
    );
}

/// The observers registered on a model, in the order they were registered, one per type:
/// registering a second dashboard replaces the first, as setting a dashboard always did.
#[derive(Clone, Default)]
struct Observers(Vec<(TypeId, Arc<dyn Observer>)>);

impl<B: Backend> Model<B> {
    /// Has `observer` follow the next runs and evaluations, in place of an earlier observer of
    /// its type.
    #[cfg_attr(
        not(feature = "dashboard"),
        allow(dead_code, reason = "the dashboard is the only observer")
    )]
    pub(crate) fn observe<O: Observer + 'static>(&mut self, observer: Arc<O>) {
        // Extensions share their values with the model's clones, so the list is copied (a few
        // `Arc`s) and put back: changed in place, it would register the observer on the
        // clones too.
        let mut observers = self
            .extensions
            .get::<Observers>()
            .cloned()
            .unwrap_or_default();
        let kind = TypeId::of::<O>();
        match observers.0.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, earlier)) => *earlier = observer,
            None => observers.0.push((kind, observer)),
        }
        self.extensions.insert(observers);
    }

    /// The observers registered on the model.
    pub(crate) fn observers(&self) -> impl Iterator<Item = &Arc<dyn Observer>> {
        self.extensions
            .get::<Observers>()
            .into_iter()
            .flat_map(|observers| observers.0.iter().map(|(_, observer)| observer))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::training::tests::{digits_dense as model, two_steps_an_epoch as settings};

    /// Writes down what it is told, one line per call.
    #[derive(Default)]
    struct Recorder(Mutex<Vec<String>>);

    impl Recorder {
        fn note(&self, line: String) {
            self.0.lock().unwrap().push(line);
        }

        fn lines(&self) -> Vec<String> {
            self.0.lock().unwrap().clone()
        }
    }

    struct RecordedRun(Arc<Recorder>);

    impl Observer for Recorder {
        fn begin(self: Arc<Self>, report: &TrainingReport, epochs: usize) -> Box<dyn RunObserver> {
            self.note(format!("begin {} of {epochs}", report.epochs.len()));
            Box::new(RecordedRun(self))
        }

        fn finished(&self, error: Option<&Error>) {
            self.note(format!("finished, failed: {}", error.is_some()));
        }

        fn evaluated(&self, _: &Evaluation) {
            self.note("evaluated".into());
        }
    }

    impl RunObserver for RecordedRun {
        fn step(
            &mut self,
            report: &TrainingReport,
            epoch: usize,
            step: usize,
            samples: usize,
            _: &mut dyn FnMut() -> Vec<Option<Preview>>,
        ) {
            let steps = report.steps.len();
            self.0.note(format!(
                "step {epoch}.{step}: {samples} samples, {steps} steps in"
            ));
        }

        fn epoch(
            &mut self,
            report: &TrainingReport,
            epoch: usize,
            previews: &mut dyn FnMut() -> Vec<Option<Preview>>,
        ) {
            let drawn = previews().iter().flatten().count();
            let epochs = report.epochs.len();
            self.0.note(format!(
                "epoch {epoch}: {epochs} in the report, {drawn} previews"
            ));
        }
    }

    #[test]
    fn observers_hear_every_step_epoch_and_the_end_of_a_run() {
        let mut model = model();
        let recorder = Arc::new(Recorder::default());
        model.observe(recorder.clone());
        model.run_with(settings(2)).unwrap();
        assert_eq!(
            recorder.lines(),
            [
                "begin 0 of 2",
                "step 1.1: 1000 samples, 1 steps in",
                "step 1.2: 438 samples, 2 steps in",
                "epoch 1: 1 in the report, 4 previews",
                "step 2.1: 1000 samples, 3 steps in",
                "step 2.2: 438 samples, 4 steps in",
                "epoch 2: 2 in the report, 4 previews",
                "finished, failed: false",
            ]
        );
    }

    #[test]
    fn a_run_that_fails_before_it_begins_still_ends() {
        let mut model = model();
        let recorder = Arc::new(Recorder::default());
        model.observe(recorder.clone());
        model.run_with(settings(0)).unwrap_err();
        assert_eq!(recorder.lines(), ["finished, failed: true"]);
    }

    #[test]
    fn an_observer_replaces_one_of_its_type_and_clones_keep_theirs() {
        let mut model = model();
        let (first, second) = (Arc::new(Recorder::default()), Arc::new(Recorder::default()));
        model.observe(first.clone());
        let mut clone = model.clone();
        model.observe(second.clone());
        assert_eq!(model.observers().count(), 1, "one per type");
        model.run_with(settings(0)).unwrap_err();
        assert_eq!(first.lines(), Vec::<String>::new(), "replaced");
        assert_eq!(second.lines(), ["finished, failed: true"]);
        clone.run_with(settings(0)).unwrap_err();
        assert_eq!(
            first.lines(),
            ["finished, failed: true"],
            "the clone keeps the first"
        );
    }
}
