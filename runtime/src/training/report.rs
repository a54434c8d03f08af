//! What training reports: per-epoch figures, and per-component captures.

use std::collections::BTreeMap;
use std::time::Duration;

use burn::prelude::TensorData;

use percept_catalogue::TrainingSettings;

use super::capture::TensorSummary;
use super::evaluation::{ClassificationReport, RegressionReport};
use super::preview::Preview;
use crate::graph::Summary;

/// The figures of one epoch.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EpochStats {
    /// The mean loss over the epoch's training batches.
    pub loss_training: f32,
    /// The accuracy (Classification) or R² (Regression) over the epoch's training batches.
    pub accuracy_training: f32,
    /// The loss on the validation split after the epoch (`NaN` with `validation: 0`).
    pub loss_validation: f32,
    /// The accuracy or R² on the validation split after the epoch (`NaN` with `validation: 0`).
    pub accuracy_validation: f32,
    /// How long the epoch took, validation included.
    pub duration: Duration,
}

/// The figures of one training step: one mini-batch, before the optimizer's update.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StepStats {
    /// The batch's mean loss.
    pub loss: f32,
    /// The batch's accuracy (Classification) or R² (Regression).
    pub accuracy: f32,
}

/// The summaries of one component's tensors at the end of one epoch.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct EpochCapture {
    /// Its output on the first sample of the epoch's last step.
    pub output: Option<TensorSummary>,
    /// Its weights, by name.
    pub weights: BTreeMap<String, TensorSummary>,
    /// Its biases, by name.
    pub biases: BTreeMap<String, TensorSummary>,
    /// The gradients of its trainable variables at the epoch's last step, by name.
    pub gradients: BTreeMap<String, TensorSummary>,
}

/// What training captured of one component: a summary per epoch (the latest values
/// themselves are on the component: `get_sample()`, `weights()`, `gradients()`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ComponentHistory {
    /// The instance name.
    pub instance: String,
    /// The PerceptiLabs-style class name.
    pub class_name: String,
    /// One capture per epoch.
    pub epochs: Vec<EpochCapture>,
    /// Its output on the first element of the last step, in the user's layout.
    pub sample: Option<TensorData>,
    /// That output as the training view draws it.
    pub preview: Option<Preview>,
}

/// What `run()` returns.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingReport {
    /// The settings trained with.
    pub settings: TrainingSettings,
    /// One entry per epoch.
    pub epochs: Vec<EpochStats>,
    /// One entry per training step, epoch after epoch.
    pub steps: Vec<StepStats>,
    /// The steps of an epoch.
    pub steps_per_epoch: usize,
    /// True for a Regression (the `accuracy` figures are R²), false for a Classification.
    pub regression: bool,
    /// One entry per component, in declaration order; empty when training ran headless.
    pub components: Vec<ComponentHistory>,
    /// Training elements per epoch.
    pub training_samples: usize,
    /// Validation elements.
    pub validation_samples: usize,
    /// The model's components: names, class names, output shapes, parameter counts.
    pub model: Summary,
    /// Who feeds whom: `(input, component)` by instance name.
    pub edges: Vec<(String, String)>,
    /// The backend that trained, as burn names it.
    pub backend: String,
    /// The test view, for the report to show: set it to what `evaluate()` returned.
    pub evaluation: Option<Evaluation>,
}

impl TrainingReport {
    /// The last epoch's figures.
    pub fn last(&self) -> Option<&EpochStats> {
        self.epochs.last()
    }

    /// The capture history of the component named `instance`.
    pub fn component(&self, instance: &str) -> Option<&ComponentHistory> {
        self.components.iter().find(|c| c.instance == instance)
    }

    /// The time the epochs took, validation included.
    pub fn duration(&self) -> Duration {
        self.epochs.iter().map(|e| e.duration).sum()
    }

    /// Training elements per second over the whole run.
    pub fn samples_per_second(&self) -> f64 {
        let seconds: f64 = self.epochs.iter().map(|e| e.duration.as_secs_f64()).sum();
        (self.training_samples * self.epochs.len()) as f64 / seconds.max(f64::MIN_POSITIVE)
    }
}

/// What `evaluate()` returns: the figures on the test set, and the test view.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// The mean loss.
    pub loss: f32,
    /// The accuracy (Classification) or R² (Regression).
    pub accuracy: f32,
    /// The number of test elements.
    pub samples: usize,
    /// For a Classification: per-class scores, the confusion matrix, the most frequent
    /// confusions and the worst-classified elements.
    pub classification: Option<ClassificationReport>,
    /// For a Regression: MAE, RMSE, R² and the residuals.
    pub regression: Option<RegressionReport>,
}

impl std::fmt::Display for Evaluation {
    /// The loss and accuracy (or R²), then the test view as tables.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let metric = if self.regression.is_some() {
            "R²"
        } else {
            "accuracy"
        };
        writeln!(
            f,
            "test set: {} elements, loss {:.4}, {metric} {:.4}",
            self.samples, self.loss, self.accuracy
        )?;
        if let Some(report) = &self.classification {
            writeln!(f)?;
            write!(f, "{report}")?;
        }
        if let Some(report) = &self.regression {
            write!(f, "{report}")?;
        }
        Ok(())
    }
}
