//! `Dropout`: zeroes a random fraction of the values while training.

use serde::{Deserialize, Serialize};

use super::rules::{in_range, one_input, output};
use super::{Category, ComponentSettings};
use crate::error::ShapeError;
use crate::schema::{Setting, ValueKind};
use crate::shape::{Input, Signal};

/// The settings of a `Dropout` component.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DropoutSettings {
    /// The fraction of values zeroed while training, in `[0, 1)` (default 0.5).
    pub rate: f64,
}

impl Default for DropoutSettings {
    fn default() -> Self {
        DropoutSettings { rate: 0.5 }
    }
}

impl ComponentSettings for DropoutSettings {
    const CATEGORY: Category = Category::DeepLearning;
    const TYPE: &'static str = "Dropout";
    const SCHEMA: &'static [Setting] = &[Setting::optional(
        "rate",
        ValueKind::Float,
        "0.5",
        "the fraction of values zeroed while training",
    )];

    fn infer(&self, this: &str, inputs: &[Input<'_>]) -> Result<Signal, ShapeError> {
        let input = one_input(this, Self::TYPE, inputs)?;
        in_range(this, "rate", self.rate, 0.0, 1.0)?;
        output(this, input.signal.shape.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::rules::test_support::inputs;

    #[test]
    fn keeps_the_shape() {
        let d = DropoutSettings { rate: 0.25 };
        assert_eq!(
            d.infer("d", &inputs(&[Signal::new([4, 4, 2])])).unwrap(),
            Signal::new([4, 4, 2])
        );
    }

    #[test]
    fn rejects_a_rate_of_one() {
        let err = DropoutSettings { rate: 1.0 }
            .infer("d", &inputs(&[Signal::new([4])]))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`d`: `rate` must be at least 0 and below 1, found 1"
        );
    }
}
