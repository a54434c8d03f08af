//! `Regression`: trains the prediction to match targets (mean squared error) and reports R².

use serde::{Deserialize, Serialize};

use super::training::TrainingSettings;
use super::{Category, ComponentSettings};
use crate::error::ShapeError;
use crate::schema::Setting;
use crate::shape::{Input, Shape, Signal};
use crate::written::{ValueError, Written};

/// The settings of a `Regression` component.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RegressionSettings {
    /// Epochs, batch size, optimizer, validation split, seed, headless, checkpoint.
    pub training: TrainingSettings,
}

impl ComponentSettings for RegressionSettings {
    const CATEGORY: Category = Category::Train;
    const TYPE: &'static str = "Regression";
    const ABOUT: &'static str = "mean squared error against targets; reports R²";
    const SHAPES: &'static str = "(prediction, targets of the same shape) → the loss";
    const SCHEMA: &'static [Setting] = TrainingSettings::SCHEMA;

    fn assign(&mut self, key: &str, value: &Written) -> Result<(), ValueError> {
        self.training.assign(Self::TYPE, key, value)
    }

    /// The prediction and the targets must hold the same values per element.
    fn infer(&self, this: &str, inputs: &[Input<'_>]) -> Result<Signal, ShapeError> {
        let (prediction, labels) = self.training.check(this, Self::TYPE, inputs)?;
        if !prediction.signal.shape.same_values(&labels.signal.shape) {
            return Err(ShapeError::TargetShape {
                component: this.to_string(),
                prediction: prediction.name.to_string(),
                prediction_shape: prediction.signal.shape.clone(),
                labels: labels.name.to_string(),
                labels_shape: labels.signal.shape.clone(),
            });
        }
        Ok(Signal::new(Shape::scalar()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::rules::test_support::inputs;

    #[test]
    fn accepts_equal_shapes() {
        let r = RegressionSettings::default();
        assert!(
            r.infer("t", &inputs(&[Signal::new([3]), Signal::new([3])]))
                .is_ok()
        );
        assert!(
            r.infer("t", &inputs(&[Signal::new([1]), Signal::new([])]))
                .is_ok()
        );
    }

    #[test]
    fn rejects_other_shapes() {
        let err = RegressionSettings::default()
            .infer("t", &inputs(&[Signal::new([3]), Signal::new([2])]))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`t` (Regression) compares predictions `a` of shape `[3]` with targets `b` of shape `[2]`; make both the same shape"
        );
    }
}
