//! `Dropout`: zeroes a random fraction of the values while training.

use serde::{Deserialize, Serialize};

use super::rules::{in_range, one_input, output};
use super::{Category, ComponentSettings};
use crate::error::ShapeError;
use crate::schema::{Setting, ValueKind};
use crate::shape::{Input, Signal};
use crate::values::{float, not_a_key};
use crate::written::{ValueError, Written};

// The keys, as written in `model!`: the schema lists them and `assign` reads them.
const RATE: &str = "rate";

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
    const ABOUT: &'static str = "random zeroes while training";
    const SHAPES: &'static str = "any shape → the same shape";
    const PASSES_VALUES: bool = true;
    const SCHEMA: &'static [Setting] = &[Setting::optional(
        RATE,
        ValueKind::Float,
        "0.5",
        "the fraction of values zeroed while training",
    )];

    fn assign(&mut self, key: &str, value: &Written) -> Result<(), ValueError> {
        match key {
            RATE => self.rate = float(key, value)?,
            other => return Err(not_a_key(Self::TYPE, other)),
        }
        Ok(())
    }

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
