//! `Argmax`: the index of the largest value of each element, a class index.

use serde::{Deserialize, Serialize};

use super::rules::{one_input, wrong_rank};
use super::{Category, ComponentSettings};
use crate::error::ShapeError;
use crate::schema::Setting;
use crate::shape::{Input, Signal};
use crate::values::not_a_key;
use crate::written::{ValueError, Written};

/// The settings of an `Argmax` component (it has none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ArgmaxSettings {}

impl ComponentSettings for ArgmaxSettings {
    const CATEGORY: Category = Category::Math;
    const TYPE: &'static str = "Argmax";
    const ABOUT: &'static str = "the index of the largest value";
    const SHAPES: &'static str = "`[n]` → `[]`, n classes";
    const SCHEMA: &'static [Setting] = &[];

    fn assign(&mut self, key: &str, _value: &Written) -> Result<(), ValueError> {
        Err(not_a_key(Self::TYPE, key))
    }

    fn infer(&self, this: &str, inputs: &[Input<'_>]) -> Result<Signal, ShapeError> {
        let input = one_input(this, Self::TYPE, inputs)?;
        match input.signal.shape.dims() {
            &[n] => Ok(Signal::class_indices(n)),
            _ => Err(wrong_rank(
                this,
                Self::TYPE,
                input,
                "scores `[classes]`",
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
    fn gives_a_class_index() {
        let out = ArgmaxSettings {}
            .infer("am", &inputs(&[Signal::new([10])]))
            .unwrap();
        assert_eq!(out, Signal::class_indices(10));
    }

    #[test]
    fn rejects_images() {
        let err = ArgmaxSettings {}
            .infer("am", &inputs(&[Signal::new([2, 2, 1])]))
            .unwrap_err();
        assert!(matches!(err, ShapeError::Rank { .. }));
    }
}
