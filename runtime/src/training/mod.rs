//! Training: `run()`, `evaluate()`, and what they report.
//!
//! `run()` splits the data into training and validation elements at random (from the Training
//! component's seed, never simply the tail: files are often sorted by class), then for each
//! epoch shuffles the training elements, steps the optimizer once per mini-batch, and measures
//! the validation split. Unless the Training component is headless, each step also captures
//! every component's output on the first sample; the last step of each epoch captures the
//! gradients of every parameter; at the end of each epoch the summaries of outputs, weights,
//! biases and gradients go into the report.
//!
//! The previews of those captures, what each component's output looks like, are drawn here
//! too ([`Preview`]), since the report keeps them. Whoever follows a run as it goes, as the
//! live dashboard does, is an observer registered on the model (`observe`): training calls
//! them and imports nothing from the view above it.

mod capture;
mod checkpoint;
mod evaluation;
pub(crate) mod observe;
mod preview;
mod progress;
mod report;

pub use capture::{HISTOGRAM_BINS, TensorSummary};
pub use evaluation::{
    ClassScores, ClassificationReport, Confusion, Misclassified, RegressionReport, WORST_KEPT,
};
pub use preview::{Hint, MAX_PREVIEW_VALUES, Preview};
pub use progress::Progress;
pub use report::{
    ComponentHistory, EpochCapture, EpochStats, Evaluation, StepStats, TrainingReport,
};

use std::sync::Arc;
use std::time::Instant;

use burn::optim::{
    GradientsParams, Optimizer as BurnOptimizer, RmsPropConfig, SgdConfig, momentum::MomentumConfig,
};
use burn::prelude::*;
use burn::tensor::backend::AutodiffBackend;
use percept_catalogue::{Optimizer, TrainingSettings};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use crate::component::Pass;
use crate::components::Node;
use crate::components::data::Dataset;
use crate::components::train::{BatchLoss, MetricSums};
use crate::error::{Error, Result};
use crate::graph::Model;
use crate::graph::model::Graph;
use crate::kernels::adam::FusedAdam;
use crate::value::Value;
use observe::RunObserver;

/// Elements per batch when measuring validation or test data.
const EVALUATION_BATCH: usize = 256;

impl<B: Backend> Model<B> {
    /// The Training component's settings.
    pub fn training_settings(&self) -> TrainingSettings {
        self.plan.entries[self.plan.training]
            .settings
            .training()
            .expect("the plan's training entry trains")
            .clone()
    }

    /// Loss and accuracy (or R²) on the test set: the `test_file` of every Data component.
    pub fn evaluate(&self) -> Result<Evaluation> {
        if let Some(inference) = self.without_autodiff() {
            return inference.evaluate();
        }
        let sets = self.datasets(true)?;
        let n = sets.first().map_or(0, |(_, s)| s.len());
        if n == 0 {
            return Err(Error::NotEnoughData {
                what: "evaluate",
                problem: "the test set has no elements".into(),
            });
        }
        let (prediction, labels) = self.plan.prediction_and_labels();
        let mut metrics = MetricSums::default();
        let (mut predicted, mut targets) = (Vec::new(), Vec::new());
        let all: Vec<usize> = (0..n).collect();
        for chunk in all.chunks(EVALUATION_BATCH) {
            let values = self.batch(&sets, chunk);
            let pass = Pass {
                is_training: false,
                capture: false,
                logits: true,
            };
            let outputs = self.forward(values, self.plan.training, pass)?;
            let (loss, sums) = self.batch_loss(&outputs)?.read();
            metrics.add(loss, &sums, chunk.len());
            for (i, out) in [(prediction, &mut predicted), (labels, &mut targets)] {
                let value = outputs[i].clone().expect("the forward pass computed it");
                out.extend(value.into_user_data().convert::<f32>().iter::<f32>());
            }
        }
        let (mut classification, mut regression) = (None, None);
        match &self.graph.nodes[self.plan.training] {
            Node::Classification(_) => {
                let classes = self.plan.entries[labels]
                    .output
                    .classes
                    .expect("a Classification's labels have classes");
                if !self.plan.prediction_holds_probabilities() {
                    for row in predicted.chunks_mut(classes) {
                        softmax(row);
                    }
                }
                let labels_of: Vec<usize> = targets.iter().map(|&l| l as usize).collect();
                let input = sets.iter().find(|(i, _)| *i != labels).cloned();
                let mut report = ClassificationReport::from_probabilities(
                    &labels_of,
                    &predicted,
                    classes,
                    |element| {
                        input
                            .as_ref()
                            .map_or(Vec::new(), |(_, s)| s.gather(&[element]))
                    },
                );
                if let Some((i, set)) = &input {
                    let shape = set.element_shape().dims();
                    let hint = self.preview_hint(*i);
                    for worst in &mut report.worst {
                        let values = worst.input.clone();
                        worst.preview = Some(Preview::of_values(values, shape, hint));
                    }
                }
                classification = Some(report);
            }
            _ => regression = Some(RegressionReport::new(&predicted, &targets)),
        }
        let evaluation = Evaluation {
            loss: metrics.loss(),
            accuracy: metrics.metric(),
            samples: n,
            classification,
            regression,
        };
        for observer in self.observers() {
            observer.evaluated(&evaluation);
        }
        Ok(evaluation)
    }

    /// The loss and metric over `indices`, in inference mode.
    fn measure(&self, sets: &[(usize, Arc<Dataset>)], indices: &[usize]) -> Result<MetricSums> {
        let mut metrics = MetricSums::default();
        for chunk in indices.chunks(EVALUATION_BATCH) {
            let values = self.batch(sets, chunk);
            let outputs = self.forward(
                values,
                self.plan.training,
                Pass {
                    is_training: false,
                    capture: false,
                    logits: true,
                },
            )?;
            let (loss, sums) = self.batch_loss(&outputs)?.read();
            metrics.add(loss, &sums, chunk.len());
        }
        Ok(metrics)
    }

    /// The Training component's loss on a forward pass's outputs.
    pub(crate) fn batch_loss(&self, outputs: &[Option<Value<B>>]) -> Result<BatchLoss<B>> {
        let (prediction, labels) = self.plan.prediction_and_labels();
        let predicted = outputs[prediction]
            .as_ref()
            .expect("the prediction was computed");
        let labels = outputs[labels].as_ref().expect("the labels were computed");
        match &self.graph.nodes[self.plan.training] {
            Node::Classification(c) => {
                let node = &self.graph.nodes[prediction];
                if self.plan.prediction_holds_probabilities() {
                    // The prediction holds probabilities (its Softmax was needed elsewhere, or
                    // a Dropout or Reshape follows it): log-probabilities are logits as good,
                    // since log_softmax(log p) = log p.
                    let p = predicted.tensor::<2>(&node.meta().instance)?;
                    let logits: Value<B> = p.clamp_min(1e-7).log().into();
                    return c.loss_value(&logits, labels);
                }
                c.loss_value(predicted, labels)
            }
            Node::Regression(r) => r.loss_value(predicted, labels),
            _ => unreachable!("the plan's training entry is a Training component"),
        }
    }
}

/// Turns logits into probabilities, in place.
fn softmax(row: &mut [f32]) {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for v in row.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    for v in row.iter_mut() {
        *v /= sum;
    }
}

/// Splits `0..n` into validation and training indices at random (files are often sorted by
/// class, so the tail would be a biased sample): `validation` of them, at least one when it
/// is positive, are held out.
/// A pool of as many threads as rayon's global one, for one training run; `None` where the
/// system refuses threads (the run then goes on on the calling thread, its parallel work on
/// the global pool).
fn run_pool() -> Option<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(rayon::current_num_threads())
        .thread_name(|i| format!("percept-training-{i}"))
        .build()
        .ok()
}

fn split(n: usize, validation: f64, rng: &mut StdRng) -> Result<(Vec<usize>, Vec<usize>)> {
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(rng);
    let held_out = ((n as f64) * validation).round() as usize;
    let held_out = if validation > 0.0 { held_out.max(1) } else { 0 };
    if n <= held_out {
        return Err(Error::NotEnoughData {
            what: "training",
            problem: format!(
                "the data has {n} elements; holding out {held_out} for validation (`validation: {validation}`) leaves none for training"
            ),
        });
    }
    let training = order.split_off(held_out);
    Ok((order, training))
}

impl<B: AutodiffBackend> Model<B> {
    /// Trains the model with its Training component's settings and returns the report.
    ///
    /// A training or validation loss that becomes NaN or infinite stops training with
    /// [`Error::NonFiniteLoss`]; the model then keeps the last parameters whose training loss
    /// was finite (its initial ones if the first step fails), which are finite.
    pub fn run(&mut self) -> Result<TrainingReport> {
        self.run_with(self.training_settings())
    }

    /// Trains with other settings than the Training component's (more epochs, another
    /// optimizer), checked as the component's own are.
    pub fn run_with(&mut self, settings: TrainingSettings) -> Result<TrainingReport> {
        self.train(settings, false)
    }

    /// Continues the run whose checkpoints are in the Training component's `checkpoint`
    /// directory from its last checkpoint, up to its `epochs`.
    ///
    /// On ndarray, the final parameters and the report are bit for bit those of a run that
    /// was never interrupted (epoch durations aside). The checkpoint must come from this model
    /// (the same components and parameter shapes) trained with the same batch size,
    /// optimizer, validation fraction and seed; `epochs` may be larger than the run's.
    pub fn resume(&mut self) -> Result<TrainingReport> {
        self.resume_with(self.training_settings())
    }

    /// [`resume`](Model::resume) with other settings than the Training component's; their
    /// `checkpoint` names the directory.
    pub fn resume_with(&mut self, settings: TrainingSettings) -> Result<TrainingReport> {
        self.train(settings, true)
    }

    fn train(&mut self, settings: TrainingSettings, resume: bool) -> Result<TrainingReport> {
        let result = match run_pool() {
            // On a worker of a pool of its own: every kernel's parallel work then starts on
            // the calling worker and is shared by stealing, instead of waking the pool and
            // putting the training thread to sleep at each of a step's dozen parallel calls.
            // Not on rayon's global pool: burn's autodiff takes every graph's lock after a
            // backward pass, and holds its own through one while waiting for the pool, so a
            // global worker waiting inside another thread's backward pass could take this
            // run up and block on that thread's lock, each waiting for the other for ever.
            Some(pool) => pool.install(|| self.train_checked(settings, resume)),
            None => self.train_checked(settings, resume),
        };
        for observer in self.observers() {
            observer.finished(result.as_ref().err());
        }
        result
    }

    fn train_checked(
        &mut self,
        settings: TrainingSettings,
        resume: bool,
    ) -> Result<TrainingReport> {
        settings.validate(&self.plan.entries[self.plan.training].instance)?;
        match settings.optimizer {
            Optimizer::Sgd {
                learning_rate,
                momentum,
            } => {
                let momentum = (momentum > 0.0).then(|| {
                    MomentumConfig::new()
                        .with_momentum(momentum)
                        .with_dampening(0.0)
                });
                self.train_with(
                    SgdConfig::new().with_momentum(momentum).init(),
                    learning_rate,
                    &settings,
                    resume,
                )
            }
            Optimizer::Adam { learning_rate } => {
                self.train_with(FusedAdam::new().init(), learning_rate, &settings, resume)
            }
            Optimizer::RmsProp { learning_rate } => {
                // Plain RMSProp (PyTorch's defaults: alpha 0.99, no momentum).
                self.train_with(
                    RmsPropConfig::new().with_momentum(0.0).init(),
                    learning_rate,
                    &settings,
                    resume,
                )
            }
        }
    }

    fn train_with<O: BurnOptimizer<Graph<B>, B>>(
        &mut self,
        mut optimizer: O,
        learning_rate: f64,
        settings: &TrainingSettings,
        resume: bool,
    ) -> Result<TrainingReport> {
        let sets = self.datasets(false)?;
        let n = sets.first().map_or(0, |(_, s)| s.len());
        let mut rng = StdRng::seed_from_u64(settings.seed);
        let (validation, mut training) = split(n, settings.validation, &mut rng)?;
        let _random = crate::seed::exclusive();

        let steps = training.len().div_ceil(settings.batch_size);
        let capture = !settings.headless;
        let mut report = TrainingReport {
            settings: settings.clone(),
            epochs: Vec::with_capacity(settings.epochs),
            steps: Vec::with_capacity(settings.epochs * steps),
            steps_per_epoch: steps,
            regression: matches!(self.graph.nodes[self.plan.training], Node::Regression(_)),
            components: self.histories(capture),
            training_samples: training.len(),
            validation_samples: validation.len(),
            model: self.summary(),
            edges: self.edges(),
            backend: B::name(&self.device),
            evaluation: None,
        };
        let mut done = 0;
        if resume {
            let dir = checkpoint::directory(settings, "resume")?;
            let state = checkpoint::read::<B, O>(self, dir, settings)?;
            optimizer = optimizer.load_record(state.optimizer);
            done = state.epoch;
            report.epochs = state.epochs;
            report.steps = state.steps;
            report.components = state.components;
            // The shuffles of the epochs done, replayed: the generator is where it was.
            for _ in 0..done {
                training.shuffle(&mut rng);
            }
        }
        let mut reporter =
            progress::Reporter::new(self.progress(), settings.epochs, steps, report.regression);
        let mut runs: Vec<Box<dyn RunObserver>> = self
            .observers()
            .map(|observer| observer.clone().begin(&report, settings.epochs))
            .collect();
        // The last parameters whose training loss was found finite, restored if a loss stops
        // being finite. (Cloning a module clones tensor handles; the update that follows
        // copies the values instead of updating them in place.)
        let mut last_finite = self.graph.clone();
        for epoch in done + 1..=settings.epochs {
            // Each epoch's random draws (dropout) start from its own seed, so that a run
            // resumed at this epoch draws what the uninterrupted run drew.
            B::seed(&self.device, checkpoint::epoch_seed(settings.seed, epoch));
            let start = Instant::now();
            training.shuffle(&mut rng);
            let mut metrics = MetricSums::default();
            for (step, chunk) in training.chunks(settings.batch_size).enumerate() {
                let values = self.batch(&sets, chunk);
                let pass = Pass {
                    is_training: true,
                    capture,
                    logits: true,
                };
                let outputs = self.forward(values, self.plan.training, pass)?;
                let batch = self.batch_loss(&outputs)?;
                outputs.into_iter().flatten().for_each(Value::recycle);
                let (loss, sums) = batch.read();
                if !loss.is_finite() {
                    self.graph = last_finite;
                    return Err(Error::NonFiniteLoss {
                        epoch,
                        step: Some(step + 1),
                        loss,
                    });
                }
                let replaced = std::mem::replace(&mut last_finite, self.graph.clone());
                crate::kernels::host::recycle_params(replaced);
                metrics.add(loss, &sums, chunk.len());
                let mut batch_metrics = MetricSums::default();
                batch_metrics.add(loss, &sums, chunk.len());
                report.steps.push(StepStats {
                    loss,
                    accuracy: batch_metrics.metric(),
                });
                if capture {
                    self.capture_loss(loss);
                }
                reporter.step(
                    epoch,
                    step + 1,
                    chunk.len(),
                    metrics.loss(),
                    metrics.metric(),
                );
                for run in &mut runs {
                    run.step(&report, epoch, step + 1, chunk.len(), &mut || {
                        if capture { self.previews() } else { Vec::new() }
                    });
                }
                let grads = GradientsParams::from_grads(batch.loss.backward(), &self.graph);
                // Only the latest gradients are kept, and only the epoch's end summarises
                // them, so reading them back (megabytes per step) earlier would be wasted.
                if capture && step + 1 == steps {
                    capture::capture_gradients(&self.graph.nodes, &grads);
                }
                let graph = std::mem::replace(&mut self.graph, Graph { nodes: Vec::new() });
                self.graph = optimizer.step(learning_rate, graph, grads);
            }
            let (loss_validation, accuracy_validation) = if validation.is_empty() {
                (f32::NAN, f32::NAN)
            } else {
                let measured = self.valid().measure(&sets, &validation)?;
                (measured.loss(), measured.metric())
            };
            if !validation.is_empty() && !loss_validation.is_finite() {
                self.graph = last_finite;
                return Err(Error::NonFiniteLoss {
                    epoch,
                    step: None,
                    loss: loss_validation,
                });
            }
            let stats = EpochStats {
                loss_training: metrics.loss(),
                accuracy_training: metrics.metric(),
                loss_validation,
                accuracy_validation,
                duration: start.elapsed(),
            };
            reporter.epoch(epoch, &stats, training.len());
            report.epochs.push(stats);
            if capture {
                self.record_epoch(&mut report.components);
            }
            for run in &mut runs {
                run.epoch(&report, epoch, &mut || {
                    if capture { self.previews() } else { Vec::new() }
                });
            }
            if let Some(dir) = &settings.checkpoint {
                checkpoint::write(self, dir.as_ref(), settings, epoch, &optimizer, &report)?;
            }
        }
        reporter.finish(&report);
        Ok(report)
    }

    fn histories(&self, capture: bool) -> Vec<ComponentHistory> {
        if !capture {
            return Vec::new();
        }
        self.graph
            .nodes
            .iter()
            .map(|node| ComponentHistory {
                instance: node.meta().instance.clone(),
                class_name: node.class_name(),
                epochs: Vec::new(),
                sample: None,
                preview: None,
            })
            .collect()
    }

    fn record_epoch(&self, histories: &mut [ComponentHistory]) {
        for (i, (node, history)) in self.graph.nodes.iter().zip(histories).enumerate() {
            history.sample = node.get_sample();
            history.preview = history
                .sample
                .as_ref()
                .map(|sample| Preview::of(sample, self.preview_hint(i)));
            history.epochs.push(EpochCapture {
                output: node.get_sample().as_ref().map(TensorSummary::of),
                weights: TensorSummary::of_all(&node.weights()),
                biases: TensorSummary::of_all(&node.biases()),
                gradients: TensorSummary::of_all(&node.gradients()),
            });
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::mpsc;
    use std::thread;
    use std::time::Duration;

    use burn::backend::autodiff::checkpoint::base::Checkpointer;
    use burn::backend::autodiff::grads::Gradients;
    use burn::backend::autodiff::ops::{Backward, Ops};
    use percept_catalogue::{
        Activation, ClassificationSettings, DataSettings, DenseSettings, Digits,
    };

    use super::*;
    use crate::backend::{DefaultBackend, TrainingBackend};
    use crate::graph::ModelBuilder;
    use crate::kernels::host;

    /// Digits through one small Dense, trained on so few elements that a step is quick.
    pub(crate) fn digits_dense() -> Model<TrainingBackend> {
        let mut model = ModelBuilder::new("Digits")
            .add("images", DataSettings::digits(Digits::Images), &[])
            .add("labels", DataSettings::digits(Digits::Labels), &[])
            .add(
                "fc",
                DenseSettings::new(10, Activation::Softmax),
                &["images"],
            )
            .add(
                "train",
                ClassificationSettings::default(),
                &["fc", "labels"],
            )
            .build::<TrainingBackend>(&Default::default())
            .unwrap();
        model.set_progress(Progress::Hidden);
        model
    }

    /// `epochs` of two steps each over [`digits_dense`]'s data.
    pub(crate) fn two_steps_an_epoch(epochs: usize) -> TrainingSettings {
        TrainingSettings {
            epochs,
            // 1797 elements, 20% held out: two steps per epoch, the second one short.
            batch_size: 1000,
            ..TrainingSettings::default()
        }
    }

    /// An identity whose backward pass, which burn runs holding its graph's lock, waits for
    /// a worker of rayon's pool that is itself waiting, as burn's and the kernels' parallel
    /// loops do: the part it waits for holds the lock for `HOLD`.
    #[derive(Debug)]
    struct WaitingInThePool;

    const HOLD: Duration = Duration::from_millis(800);

    impl Backward<DefaultBackend, 1> for WaitingInThePool {
        type State = (Vec<usize>, mpsc::Sender<()>);

        fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
            host::backward_one::<DefaultBackend, _>(
                ops,
                grads,
                |(dims, _)| dims.clone(),
                |(_, waiting), grad| {
                    // A worker takes the join and runs its first half; the other worker
                    // steals the second. The first, done early, waits for the second, and
                    // looks for other jobs meanwhile.
                    rayon::join(
                        || {
                            thread::sleep(HOLD / 8);
                            waiting.send(()).unwrap();
                        },
                        || thread::sleep(HOLD),
                    );
                    grad.to_vec()
                },
            );
        }
    }

    /// burn's autodiff holds a graph's lock through its backward pass, and after each
    /// backward pass takes every graph's lock in turn. Training ran as a job of rayon's global
    /// pool, so a worker that was waiting inside another thread's backward pass could take the
    /// training up, and block on that thread's lock: each then waited for the other for ever
    /// (seen in CI, where two tests run at a time). Here a worker is made to wait just so,
    /// while a training run starts.
    #[test]
    fn training_beside_another_threads_backward_pass_finishes() {
        let (waiting, worker_waits) = mpsc::channel();
        let backward = thread::spawn(move || {
            let device = Default::default();
            let x = Tensor::<TrainingBackend, 1>::ones([4], &device).require_grad();
            let y = host::record::<_, _, 1, 1>(
                WaitingInThePool,
                [&host::tracked(x.clone())],
                (vec![4], waiting),
                host::primitive(Tensor::<DefaultBackend, 1>::ones([4], &device)),
            );
            x.grad(&y.sum().backward()).is_some()
        });
        worker_waits.recv().unwrap();
        let (finished, trained) = mpsc::channel();
        thread::spawn(move || {
            let run = digits_dense().run_with(two_steps_an_epoch(1));
            finished.send(run.map(|report| report.epochs.len())).ok();
        });
        let trained = trained.recv_timeout(HOLD + Duration::from_secs(30));
        assert!(
            trained.is_ok(),
            "the training run never finished: a deadlock"
        );
        assert_eq!(trained.unwrap().unwrap(), 1, "one epoch trained");
        assert!(
            backward.join().unwrap(),
            "the other backward pass gave a gradient"
        );
    }

    #[test]
    fn the_validation_split_is_drawn_from_everywhere() {
        let mut rng = StdRng::seed_from_u64(42);
        let (validation, training) = split(150, 0.2, &mut rng).unwrap();
        assert_eq!((validation.len(), training.len()), (30, 120));
        let mut all: Vec<usize> = validation.iter().chain(&training).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..150).collect::<Vec<_>>(), "a partition");
        // Iris is sorted by class in thirds: each third must be in the validation split.
        for third in 0..3 {
            assert!(
                validation.iter().any(|&i| i / 50 == third),
                "no element of third {third}"
            );
        }
        let again = split(150, 0.2, &mut StdRng::seed_from_u64(42)).unwrap();
        assert_eq!(again.0, validation, "the seed fixes the split");
    }

    #[test]
    fn a_split_that_leaves_nothing_to_train_on_is_an_error() {
        let err = split(1, 0.2, &mut StdRng::seed_from_u64(0)).unwrap_err();
        assert!(
            err.to_string().contains("leaves none for training"),
            "{err}"
        );
        let (validation, training) = split(3, 0.0, &mut StdRng::seed_from_u64(0)).unwrap();
        assert_eq!((validation.len(), training.len()), (0, 3));
    }
}
