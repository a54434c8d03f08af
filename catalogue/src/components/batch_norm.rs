//! `BatchNorm`: normalises each feature (or channel) with batch statistics while training and
//! running statistics otherwise, then scales and shifts it with learned values.

use serde::{Deserialize, Serialize};

use super::rules::{in_range, one_input, output, wrong_rank};
use super::{Category, ComponentSettings};
use crate::error::ShapeError;
use crate::schema::{Setting, ValueKind};
use crate::shape::{Input, Signal};
use crate::values::{float, not_a_key};
use crate::written::{ValueError, Written};

// The keys, as written in `model!`: the schema lists them and `assign` reads them.
const MOMENTUM: &str = "momentum";
const EPSILON: &str = "epsilon";

/// The settings of a `BatchNorm` component.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BatchNormSettings {
    /// How fast the running statistics follow the batches, in `[0, 1)` (default 0.1).
    pub momentum: f64,
    /// Added to the variance to avoid dividing by zero (default 1e-5).
    pub epsilon: f64,
}

impl Default for BatchNormSettings {
    fn default() -> Self {
        BatchNormSettings {
            momentum: 0.1,
            epsilon: 1e-5,
        }
    }
}

impl ComponentSettings for BatchNormSettings {
    const CATEGORY: Category = Category::DeepLearning;
    const TYPE: &'static str = "BatchNorm";
    const ABOUT: &'static str = "batch normalisation";
    const SHAPES: &'static str = "`[n]` or `[h, w, c]` → the same shape";
    const SCHEMA: &'static [Setting] = &[
        Setting::optional(
            MOMENTUM,
            ValueKind::Float,
            "0.1",
            "how fast the running statistics move",
        ),
        Setting::optional(EPSILON, ValueKind::Float, "1e-5", "added to the variance"),
    ];

    fn assign(&mut self, key: &str, value: &Written) -> Result<(), ValueError> {
        match key {
            MOMENTUM => self.momentum = float(key, value)?,
            EPSILON => self.epsilon = float(key, value)?,
            other => return Err(not_a_key(Self::TYPE, other)),
        }
        Ok(())
    }

    fn infer(&self, this: &str, inputs: &[Input<'_>]) -> Result<Signal, ShapeError> {
        let input = one_input(this, Self::TYPE, inputs)?;
        in_range(this, "momentum", self.momentum, 0.0, 1.0)?;
        if !(self.epsilon.is_finite() && self.epsilon > 0.0 && self.epsilon < 1.0) {
            return Err(ShapeError::InvalidSetting {
                component: this.to_string(),
                setting: "epsilon",
                problem: format!("must be above 0 and below 1, found {}", self.epsilon),
            });
        }
        match input.signal.shape.rank() {
            1 | 3 => output(this, input.signal.shape.clone()),
            _ => Err(wrong_rank(
                this,
                Self::TYPE,
                input,
                "features `[n]` or an image `[height, width, channels]`",
                format!(
                    "insert `Flatten` or `Reshape` between `{}` and `{this}`",
                    input.name
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::rules::test_support::inputs;

    #[test]
    fn keeps_features_and_images() {
        let b = BatchNormSettings::default();
        assert_eq!(
            b.infer("bn", &inputs(&[Signal::new([10])])).unwrap(),
            Signal::new([10])
        );
        assert_eq!(
            b.infer("bn", &inputs(&[Signal::new([4, 4, 3])])).unwrap(),
            Signal::new([4, 4, 3])
        );
    }

    #[test]
    fn rejects_rank_two() {
        let err = BatchNormSettings::default()
            .infer("bn", &inputs(&[Signal::new([4, 4])]))
            .unwrap_err();
        assert!(matches!(err, ShapeError::Rank { .. }));
    }

    #[test]
    fn rejects_a_zero_epsilon() {
        let b = BatchNormSettings {
            epsilon: 0.0,
            ..Default::default()
        };
        let err = b.infer("bn", &inputs(&[Signal::new([4])])).unwrap_err();
        assert!(matches!(
            err,
            ShapeError::InvalidSetting {
                setting: "epsilon",
                ..
            }
        ));
    }
}
