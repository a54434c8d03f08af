//! The view state: everything the training view page shows, as one JSON document. The static
//! report embeds one; the dashboard serves the latest at `/state` and pushes each new one on
//! `/events`. The page's script (`assets/view.js`) is its only reader.

use serde::Serialize;

use super::layout::GraphLayout;
use crate::training::{
    ClassScores, ClassificationReport, Confusion, Evaluation, Preview, RegressionReport,
    TensorSummary, TrainingReport,
};

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Nothing trained yet.
    Waiting,
    /// Training.
    Training,
    /// Training ended.
    Finished,
    /// Training stopped on an error (the state's `message`).
    Failed,
}

/// How far a run is.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Position {
    /// The epoch running or done, from 1 (0 before the first step).
    pub epoch: usize,
    /// The epochs in all.
    pub epochs: usize,
    /// The step within the epoch, from 1.
    pub step: usize,
    /// The steps of an epoch.
    pub steps: usize,
    /// Seconds since the run started.
    pub elapsed_s: f64,
    /// The estimated seconds left, once a step has run.
    pub eta_s: Option<f64>,
    /// Training elements per second so far.
    pub samples_per_s: Option<f64>,
}

/// The whole page's data.
#[derive(Debug, Clone, Serialize)]
pub struct ViewState<'a> {
    model: &'a str,
    backend: &'a str,
    status: Status,
    message: Option<&'a str>,
    metric: &'static str,
    settings: Vec<(&'static str, String)>,
    progress: Position,
    steps: Steps,
    epochs: Epochs,
    graph: GraphLayout,
    components: Vec<ComponentView<'a>>,
    evaluation: Option<EvaluationView<'a>>,
}

#[derive(Debug, Clone, Default, Serialize)]
struct Steps {
    x: Vec<usize>,
    loss: Vec<f32>,
    accuracy: Vec<f32>,
}

#[derive(Debug, Clone, Default, Serialize)]
struct Epochs {
    x: Vec<usize>,
    loss_training: Vec<f32>,
    loss_validation: Vec<f32>,
    accuracy_training: Vec<f32>,
    accuracy_validation: Vec<f32>,
}

#[derive(Debug, Clone, Serialize)]
struct ComponentView<'a> {
    instance: &'a str,
    class_name: &'a str,
    output: String,
    preview: Option<&'a Preview>,
    histograms: Vec<Histograms<'a>>,
}

/// One tensor's summaries over the epochs.
#[derive(Debug, Clone, Serialize)]
struct Histograms<'a> {
    kind: &'static str,
    name: &'a str,
    epochs: Vec<HistogramAt<'a>>,
}

#[derive(Debug, Clone, Serialize)]
struct HistogramAt<'a> {
    epoch: usize,
    min: f32,
    max: f32,
    mean: f32,
    std: f32,
    counts: &'a [u32],
}

#[derive(Debug, Clone, Serialize)]
struct EvaluationView<'a> {
    samples: usize,
    loss: f32,
    metric: &'static str,
    accuracy: f32,
    classification: Option<ClassificationView<'a>>,
    regression: Option<RegressionView<'a>>,
}

#[derive(Debug, Clone, Serialize)]
struct ClassificationView<'a> {
    labels: Vec<String>,
    confusion: &'a [Vec<usize>],
    classes: Vec<Scores>,
    macro_average: Scores,
    weighted_average: Scores,
    accuracy: f64,
    confusions: Vec<ConfusionView>,
    worst: Vec<WorstView<'a>>,
}

#[derive(Debug, Clone, Copy, Serialize)]
struct Scores {
    precision: f64,
    recall: f64,
    f1: f64,
    support: usize,
}

#[derive(Debug, Clone, Copy, Serialize)]
struct ConfusionView {
    label: usize,
    predicted: usize,
    count: usize,
}

#[derive(Debug, Clone, Serialize)]
struct WorstView<'a> {
    element: usize,
    label: usize,
    predicted: usize,
    loss: f32,
    probabilities: &'a [f32],
    input: Option<&'a Preview>,
}

#[derive(Debug, Clone, Serialize)]
struct RegressionView<'a> {
    mae: f64,
    rmse: f64,
    r2: f64,
    residuals: &'a [f32],
    predicted: &'a [f32],
}

impl<'a> ViewState<'a> {
    /// The view of `report` (the run so far), at `progress`, with the latest `previews`
    /// (one per row of the report's summary; the report's own from the last epoch when
    /// empty).
    pub fn new(
        report: &'a TrainingReport,
        status: Status,
        message: Option<&'a str>,
        progress: Position,
        previews: &'a [Option<Preview>],
    ) -> Self {
        let metric = metric_name(report.regression);
        let s = &report.settings;
        let settings = vec![
            ("epochs", s.epochs.to_string()),
            ("batch size", s.batch_size.to_string()),
            ("optimizer", s.optimizer.to_string()),
            ("validation", s.validation.to_string()),
            ("seed", s.seed.to_string()),
            (
                "captures",
                if s.headless { "off (headless)" } else { "on" }.into(),
            ),
            ("backend", report.backend.clone()),
            (
                "elements",
                format!(
                    "{} training, {} validation",
                    report.training_samples, report.validation_samples
                ),
            ),
        ];
        let mut steps = Steps::default();
        for (k, point) in report.steps.iter().enumerate() {
            steps.x.push(k + 1);
            steps.loss.push(point.loss);
            steps.accuracy.push(point.accuracy);
        }
        let mut epochs = Epochs::default();
        for (k, e) in report.epochs.iter().enumerate() {
            epochs.x.push(k + 1);
            epochs.loss_training.push(e.loss_training);
            epochs.loss_validation.push(e.loss_validation);
            epochs.accuracy_training.push(e.accuracy_training);
            epochs.accuracy_validation.push(e.accuracy_validation);
        }
        let components = report
            .model
            .rows
            .iter()
            .enumerate()
            .map(|(i, row)| {
                let history = report.component(&row.component);
                let preview = previews
                    .get(i)
                    .and_then(Option::as_ref)
                    .or_else(|| history.and_then(|h| h.preview.as_ref()));
                ComponentView {
                    instance: &row.component,
                    class_name: &row.class_name,
                    output: row.output.to_string(),
                    preview,
                    histograms: history.map_or_else(Vec::new, histograms),
                }
            })
            .collect();
        ViewState {
            model: &report.model.model,
            backend: &report.backend,
            status,
            message,
            metric,
            settings,
            progress,
            steps,
            epochs,
            graph: GraphLayout::of(&report.model, &report.edges),
            components,
            evaluation: report.evaluation.as_ref().map(EvaluationView::of),
        }
    }

    /// The view of a finished run.
    pub fn finished(report: &'a TrainingReport) -> Self {
        let last = report.steps.len();
        let epochs = report.settings.epochs.max(report.epochs.len());
        let steps = report.steps_per_epoch;
        let elapsed: f64 = report.epochs.iter().map(|e| e.duration.as_secs_f64()).sum();
        let progress = Position {
            epoch: report.epochs.len(),
            epochs,
            step: if last == 0 { 0 } else { steps },
            steps,
            elapsed_s: elapsed,
            eta_s: Some(0.0),
            samples_per_s: (!report.epochs.is_empty()).then(|| report.samples_per_second()),
        };
        ViewState::new(report, Status::Finished, None, progress, &[])
    }

    /// The state as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("the view state serialises")
    }
}

/// What the accuracy series hold.
fn metric_name(regression: bool) -> &'static str {
    if regression { "R²" } else { "accuracy" }
}

/// The summaries of each of a component's tensors over the epochs.
fn histograms(history: &crate::training::ComponentHistory) -> Vec<Histograms<'_>> {
    let mut out: Vec<Histograms<'_>> = Vec::new();
    for (epoch, capture) in history.epochs.iter().enumerate() {
        for (kind, tensors) in [
            ("weight", &capture.weights),
            ("bias", &capture.biases),
            ("gradient", &capture.gradients),
        ] {
            for (name, summary) in tensors {
                let at = HistogramAt::of(epoch + 1, summary);
                match out.iter_mut().find(|h| h.kind == kind && h.name == name) {
                    Some(h) => h.epochs.push(at),
                    None => out.push(Histograms {
                        kind,
                        name,
                        epochs: vec![at],
                    }),
                }
            }
        }
    }
    out
}

impl<'a> HistogramAt<'a> {
    fn of(epoch: usize, s: &'a TensorSummary) -> Self {
        HistogramAt {
            epoch,
            min: s.min,
            max: s.max,
            mean: s.mean,
            std: s.std,
            counts: &s.histogram,
        }
    }
}

impl<'a> EvaluationView<'a> {
    fn of(e: &'a Evaluation) -> Self {
        EvaluationView {
            samples: e.samples,
            loss: e.loss,
            metric: metric_name(e.regression.is_some()),
            accuracy: e.accuracy,
            classification: e.classification.as_ref().map(ClassificationView::of),
            regression: e.regression.as_ref().map(RegressionView::of),
        }
    }
}

impl From<&ClassScores> for Scores {
    fn from(s: &ClassScores) -> Self {
        Scores {
            precision: s.precision,
            recall: s.recall,
            f1: s.f1,
            support: s.support,
        }
    }
}

impl From<&Confusion> for ConfusionView {
    fn from(c: &Confusion) -> Self {
        ConfusionView {
            label: c.label,
            predicted: c.predicted,
            count: c.count,
        }
    }
}

impl<'a> ClassificationView<'a> {
    fn of(c: &'a ClassificationReport) -> Self {
        ClassificationView {
            labels: (0..c.classes.len()).map(|k| k.to_string()).collect(),
            confusion: &c.confusion,
            classes: c.classes.iter().map(Scores::from).collect(),
            macro_average: (&c.macro_average).into(),
            weighted_average: (&c.weighted_average).into(),
            accuracy: c.accuracy,
            confusions: c.confusions.iter().map(ConfusionView::from).collect(),
            worst: c
                .worst
                .iter()
                .map(|w| WorstView {
                    element: w.element,
                    label: w.label,
                    predicted: w.predicted,
                    loss: w.loss,
                    probabilities: &w.probabilities,
                    input: w.preview.as_ref(),
                })
                .collect(),
        }
    }
}

impl<'a> RegressionView<'a> {
    fn of(r: &'a RegressionReport) -> Self {
        RegressionView {
            mae: r.mae,
            rmse: r.rmse,
            r2: r.r2,
            residuals: &r.residuals,
            predicted: &r.predicted,
        }
    }
}
