//! `Reshape`: the same values in another per-element shape.

use serde::{Deserialize, Serialize};

use super::rules::{one_input, output, positive};
use super::{Category, ComponentSettings};
use crate::error::ShapeError;
use crate::schema::{Setting, ValueKind};
use crate::shape::{Input, Shape, Signal};
use crate::values::{not_a_key, shape};
use crate::written::{ValueError, Written};

// The keys, as written in `model!`: the schema lists them and `assign` reads them.
const SHAPE: &str = "shape";

/// The settings of a `Reshape` component.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReshapeSettings {
    /// The new per-element shape (required), with as many values as the input.
    pub shape: Shape,
}

impl ReshapeSettings {
    /// Reshapes into `shape`.
    pub fn new(shape: impl Into<Shape>) -> Self {
        ReshapeSettings {
            shape: shape.into(),
        }
    }
}

impl ComponentSettings for ReshapeSettings {
    const CATEGORY: Category = Category::Process;
    const TYPE: &'static str = "Reshape";
    const ABOUT: &'static str = "the same values in another per-element shape";
    const SHAPES: &'static str = "`[..]` with N values → `shape`, with N values";
    const PASSES_VALUES: bool = true;
    const SCHEMA: &'static [Setting] = &[Setting::required(
        SHAPE,
        ValueKind::Shape,
        "the new per-element shape, e.g. `[8, 8, 1]`",
    )];

    fn assign(&mut self, key: &str, value: &Written) -> Result<(), ValueError> {
        match key {
            SHAPE => self.shape = shape(key, value)?,
            other => return Err(not_a_key(Self::TYPE, other)),
        }
        Ok(())
    }

    fn infer(&self, this: &str, inputs: &[Input<'_>]) -> Result<Signal, ShapeError> {
        let input = one_input(this, Self::TYPE, inputs)?;
        for &dim in self.shape.dims() {
            positive(this, "shape", dim)?;
        }
        let from = &input.signal.shape;
        if from.element_count() != self.shape.element_count() {
            return Err(ShapeError::ReshapeCount {
                component: this.to_string(),
                input: input.name.to_string(),
                from: from.clone(),
                to: self.shape.clone(),
                from_count: from.element_count(),
                to_count: self.shape.element_count(),
            });
        }
        output(this, self.shape.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::rules::test_support::inputs;

    #[test]
    fn keeps_the_element_count() {
        let s = ReshapeSettings::new([8, 8, 1]);
        let out = s.infer("reshape", &inputs(&[Signal::new([64])])).unwrap();
        assert_eq!(out, Signal::new([8, 8, 1]));
    }

    #[test]
    fn rejects_another_element_count() {
        let s = ReshapeSettings::new([8, 8, 2]);
        let err = s
            .infer("reshape", &inputs(&[Signal::new([64])]))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`reshape` (Reshape) cannot reshape `a`'s `[64]` (64 values) into `[8, 8, 2]` (128 values); choose a shape with 64 values in all"
        );
    }

    #[test]
    fn rejects_a_zero_dimension() {
        let err = ReshapeSettings::new([0, 64])
            .infer("r", &inputs(&[Signal::new([64])]))
            .unwrap_err();
        assert!(matches!(
            err,
            ShapeError::InvalidSetting {
                setting: "shape",
                ..
            }
        ));
    }

    #[test]
    fn rejects_rank_four() {
        let err = ReshapeSettings::new([2, 2, 2, 8])
            .infer("r", &inputs(&[Signal::new([64])]))
            .unwrap_err();
        assert!(matches!(err, ShapeError::RankTooHigh { rank: 4, .. }));
    }

    #[test]
    fn takes_one_input() {
        let err = ReshapeSettings::new([64])
            .infer("r", &inputs(&[Signal::new([64]), Signal::new([64])]))
            .unwrap_err();
        assert!(matches!(err, ShapeError::Arity { found: 2, .. }));
        assert!(err.to_string().contains("but 2 are given"), "{err}");
    }
}
