//! The settings that both Training components share.

use serde::{Deserialize, Serialize};

use super::rules::{in_range, positive};
use crate::error::ShapeError;
use crate::optimizer::Optimizer;
use crate::schema::{Setting, ValueKind};
use crate::shape::Input;
use crate::values::{boolean, float, integer, not_a_key, optimizer, text};
use crate::written::{ValueError, Written};

// The keys, as written in `model!`: the schema lists them and `assign` reads them.
const EPOCHS: &str = "epochs";
const BATCH_SIZE: &str = "batch_size";
const OPTIMIZER: &str = "optimizer";
const VALIDATION: &str = "validation";
const SEED: &str = "seed";
const HEADLESS: &str = "headless";
const CHECKPOINT: &str = "checkpoint";

/// How a Training component trains.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingSettings {
    /// Passes over the training data (default 10).
    pub epochs: usize,
    /// Elements per optimizer step (default 32).
    pub batch_size: usize,
    /// The optimizer (default `Adam { learning_rate: 0.001 }`).
    pub optimizer: Optimizer,
    /// The fraction of the data held out for validation, drawn at random with the seed, in
    /// `[0, 1)` (default 0.2).
    pub validation: f64,
    /// The seed of the split, the shuffles, the initial weights and dropout (default 42).
    pub seed: u64,
    /// Capture loss and accuracy only, not each component's outputs, weights and gradients
    /// (default false).
    pub headless: bool,
    /// A directory where training writes a checkpoint at the end of every epoch, from which
    /// `resume()` continues an interrupted run (default none). A relative path is taken from
    /// the current directory, as `save` takes it.
    #[serde(default)]
    pub checkpoint: Option<String>,
}

impl Default for TrainingSettings {
    fn default() -> Self {
        TrainingSettings {
            epochs: 10,
            batch_size: 32,
            optimizer: Optimizer::adam(),
            validation: 0.2,
            seed: 42,
            headless: false,
            checkpoint: None,
        }
    }
}

impl TrainingSettings {
    /// The keys shared by Classification and Regression.
    pub(crate) const SCHEMA: &'static [Setting] = &[
        Setting::optional(
            EPOCHS,
            ValueKind::Integer,
            "10",
            "passes over the training data",
        ),
        Setting::optional(
            BATCH_SIZE,
            ValueKind::Integer,
            "32",
            "elements per optimizer step",
        ),
        Setting::optional(
            OPTIMIZER,
            ValueKind::Optimizer,
            "Adam { learning_rate: 0.001 }",
            "`Sgd { learning_rate, momentum }`, `Adam { learning_rate }` or `RmsProp { learning_rate }`",
        ),
        Setting::optional(
            VALIDATION,
            ValueKind::Float,
            "0.2",
            "the fraction held out for validation",
        ),
        Setting::optional(
            SEED,
            ValueKind::Integer,
            "42",
            "the seed of everything random",
        ),
        Setting::optional(
            HEADLESS,
            ValueKind::Bool,
            "false",
            "capture loss and accuracy only",
        ),
        Setting::optional(
            CHECKPOINT,
            ValueKind::Path,
            "none",
            "a directory where a checkpoint is written at the end of every epoch, for `resume()`",
        ),
    ];

    /// Assigns the written `value` of `key` (`type_name` names the component type in errors).
    pub(crate) fn assign(
        &mut self,
        type_name: &str,
        key: &str,
        value: &Written,
    ) -> Result<(), ValueError> {
        match key {
            EPOCHS => self.epochs = integer(key, value)?,
            BATCH_SIZE => self.batch_size = integer(key, value)?,
            OPTIMIZER => self.optimizer = optimizer(value)?,
            VALIDATION => self.validation = float(key, value)?,
            SEED => self.seed = integer(key, value)? as u64,
            HEADLESS => self.headless = boolean(key, value)?,
            CHECKPOINT => self.checkpoint = Some(text(key, value)?),
            other => return Err(not_a_key(type_name, other)),
        }
        Ok(())
    }

    /// Checks the values: positive epochs and batch size, a validation fraction in `[0, 1)`,
    /// a positive learning rate, a momentum in `[0, 1)`. `this` names the component in errors.
    pub fn validate(&self, this: &str) -> Result<(), ShapeError> {
        positive(this, "epochs", self.epochs)?;
        positive(this, "batch_size", self.batch_size)?;
        in_range(this, "validation", self.validation, 0.0, 1.0)?;
        let rate = self.optimizer.learning_rate();
        if !(rate.is_finite() && rate > 0.0) {
            return Err(ShapeError::InvalidSetting {
                component: this.to_string(),
                setting: "optimizer",
                problem: format!("needs a positive `learning_rate`, found {rate}"),
            });
        }
        if let Optimizer::Sgd { momentum, .. } = self.optimizer {
            in_range(this, "optimizer", momentum, 0.0, 1.0).map_err(|_| {
                ShapeError::InvalidSetting {
                    component: this.to_string(),
                    setting: "optimizer",
                    problem: format!(
                        "needs a `momentum` of at least 0 and below 1, found {momentum}"
                    ),
                }
            })?;
        }
        Ok(())
    }

    /// Checks the values, and that there are two inputs (prediction, labels).
    pub(crate) fn check<'a>(
        &self,
        this: &str,
        type_name: &'static str,
        inputs: &[Input<'a>],
    ) -> Result<(Input<'a>, Input<'a>), ShapeError> {
        self.validate(this)?;
        match inputs {
            [prediction, labels] => Ok((*prediction, *labels)),
            _ => Err(ShapeError::Arity {
                component: this.to_string(),
                type_name,
                expected: "two inputs, the prediction then the labels",
                found: inputs.len(),
                fix: "write `<- (prediction, labels)`",
            }),
        }
    }
}
