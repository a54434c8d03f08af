//! `Softmax`: turns each element's last axis into probabilities that sum to 1.

use serde::{Deserialize, Serialize};

use super::rules::{one_input, output, wrong_rank};
use super::{Category, ComponentSettings};
use crate::error::ShapeError;
use crate::schema::Setting;
use crate::shape::{Input, Signal};
use crate::values::not_a_key;
use crate::written::{ValueError, Written};

/// The settings of a `Softmax` component (it has none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SoftmaxSettings {}

impl ComponentSettings for SoftmaxSettings {
    const CATEGORY: Category = Category::Math;
    const TYPE: &'static str = "Softmax";
    const ABOUT: &'static str = "probabilities over the last axis";
    const SHAPES: &'static str = "any shape of rank 1 or more → the same shape";

    fn ends_in_softmax(&self) -> bool {
        true
    }
    const SCHEMA: &'static [Setting] = &[];

    fn assign(&mut self, key: &str, _value: &Written) -> Result<(), ValueError> {
        Err(not_a_key(Self::TYPE, key))
    }

    fn infer(&self, this: &str, inputs: &[Input<'_>]) -> Result<Signal, ShapeError> {
        let input = one_input(this, Self::TYPE, inputs)?;
        if input.signal.shape.rank() == 0 {
            return Err(wrong_rank(
                this,
                Self::TYPE,
                input,
                "scores `[n]` (rank 1 or more)",
                format!("insert `OneHot` between `{}` and `{this}`", input.name),
            ));
        }
        output(this, input.signal.shape.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::rules::test_support::inputs;

    #[test]
    fn keeps_the_shape() {
        let out = SoftmaxSettings {}
            .infer("s", &inputs(&[Signal::new([10])]))
            .unwrap();
        assert_eq!(out, Signal::new([10]));
    }

    #[test]
    fn rejects_scalars() {
        let err = SoftmaxSettings {}
            .infer("s", &inputs(&[Signal::class_indices(3)]))
            .unwrap_err();
        assert!(matches!(err, ShapeError::Rank { .. }));
    }
}
