//! `Dense`: a fully connected layer, `activation(x W + b)`.

use serde::{Deserialize, Serialize};

use super::rules::{one_input, output, positive, wrong_rank};
use super::{Category, ComponentSettings};
use crate::activation::Activation;
use crate::error::ShapeError;
use crate::schema::{Setting, ValueKind};
use crate::shape::{Input, Shape, Signal};
use crate::values::{activation, integer, not_a_key};
use crate::written::{ValueError, Written};

// The keys, as written in `model!`: the schema lists them and `assign` reads them.
const UNITS: &str = "units";
const ACTIVATION: &str = "activation";

/// The settings of a `Dense` component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DenseSettings {
    /// The number of outputs (required).
    pub units: usize,
    /// The activation (default `None`).
    pub activation: Activation,
}

impl Default for DenseSettings {
    fn default() -> Self {
        DenseSettings {
            units: 0,
            activation: Activation::None,
        }
    }
}

impl DenseSettings {
    /// `units` outputs with the given activation.
    pub fn new(units: usize, activation: Activation) -> Self {
        DenseSettings { units, activation }
    }
}

impl ComponentSettings for DenseSettings {
    const CATEGORY: Category = Category::DeepLearning;
    const TYPE: &'static str = "Dense";
    const ABOUT: &'static str = "`activation(x W + b)`";
    const SHAPES: &'static str = "`[features]` → `[units]`";

    fn ends_in_softmax(&self) -> bool {
        self.activation == Activation::Softmax
    }
    const SCHEMA: &'static [Setting] = &[
        Setting::required(UNITS, ValueKind::Integer, "the number of outputs"),
        Setting::optional(
            ACTIVATION,
            ValueKind::Choice(Activation::NAMES),
            "None",
            "applied to the output",
        ),
    ];

    fn assign(&mut self, key: &str, value: &Written) -> Result<(), ValueError> {
        match key {
            UNITS => self.units = integer(key, value)?,
            ACTIVATION => self.activation = activation(key, value)?,
            other => return Err(not_a_key(Self::TYPE, other)),
        }
        Ok(())
    }

    fn infer(&self, this: &str, inputs: &[Input<'_>]) -> Result<Signal, ShapeError> {
        let input = one_input(this, Self::TYPE, inputs)?;
        positive(this, "units", self.units)?;
        match input.signal.shape.rank() {
            1 => output(this, Shape::from([self.units])),
            0 => Err(wrong_rank(
                this,
                Self::TYPE,
                input,
                "a flat input `[features]`",
                format!(
                    "insert `OneHot` between `{}` and `{this}` to turn class indices into features",
                    input.name
                ),
            )),
            _ => Err(wrong_rank(
                this,
                Self::TYPE,
                input,
                "a flat input `[features]`",
                format!("insert `Flatten` between `{}` and `{this}`", input.name),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::rules::test_support::inputs;

    #[test]
    fn outputs_units() {
        let d = DenseSettings::new(10, Activation::Softmax);
        assert_eq!(
            d.infer("fc", &inputs(&[Signal::new([144])])).unwrap(),
            Signal::new([10])
        );
    }

    #[test]
    fn suggests_flatten_for_images() {
        let err = DenseSettings::new(10, Activation::None)
            .infer("fc", &inputs(&[Signal::new([3, 3, 16])]))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`fc` (Dense) expects a flat input `[features]`, but `a` gives `[3, 3, 16]`; insert `Flatten` between `a` and `fc`"
        );
    }

    #[test]
    fn suggests_one_hot_for_class_indices() {
        let err = DenseSettings::new(10, Activation::None)
            .infer("fc", &inputs(&[Signal::class_indices(3)]))
            .unwrap_err();
        assert!(err.to_string().contains("insert `OneHot`"), "{err}");
    }

    #[test]
    fn needs_units() {
        let err = DenseSettings::default()
            .infer("fc", &inputs(&[Signal::new([4])]))
            .unwrap_err();
        assert_eq!(err.to_string(), "`fc`: `units` must be at least 1, found 0");
    }
}
