//! `Merge`: combines several inputs into one.

use serde::{Deserialize, Serialize};

use super::rules::{output, wrong_rank};
use super::{Category, ComponentSettings};
use crate::error::ShapeError;
use crate::schema::{Setting, ValueKind};
use crate::shape::{Input, Shape, Signal};
use crate::values::{choice, not_a_key};
use crate::written::{ValueError, Written};

// The keys, as written in `model!`: the schema lists them and `assign` reads them.
const OP: &str = "op";

/// How a Merge combines its inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum MergeOp {
    /// Side by side along the last axis (features, or channels of an image) (the default).
    #[default]
    Concat,
    /// Value by value sum; the shapes must be equal.
    Add,
    /// Value by value product; the shapes must be equal.
    Multiply,
}

impl MergeOp {
    /// Every operation's name, as written in `model!`.
    pub const NAMES: &'static [&'static str] = &["Concat", "Add", "Multiply"];

    /// The name as written in `model!`.
    pub fn name(self) -> &'static str {
        match self {
            MergeOp::Concat => "Concat",
            MergeOp::Add => "Add",
            MergeOp::Multiply => "Multiply",
        }
    }
}

/// The settings of a `Merge` component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MergeSettings {
    /// The operation (default `Concat`).
    pub op: MergeOp,
}

impl ComponentSettings for MergeSettings {
    const CATEGORY: Category = Category::Math;
    const TYPE: &'static str = "Merge";
    const ABOUT: &'static str = "two or more inputs combined into one";
    const SHAPES: &'static str = "`Concat`: last axes added; `Add`, `Multiply`: one shape";
    const SCHEMA: &'static [Setting] = &[Setting::optional(
        OP,
        ValueKind::Choice(MergeOp::NAMES),
        "Concat",
        "how the inputs combine",
    )];

    fn assign(&mut self, key: &str, value: &Written) -> Result<(), ValueError> {
        match key {
            OP => {
                self.op = [MergeOp::Concat, MergeOp::Add, MergeOp::Multiply]
                    [choice(key, value, MergeOp::NAMES)?]
            }
            other => return Err(not_a_key(Self::TYPE, other)),
        }
        Ok(())
    }

    fn infer(&self, this: &str, inputs: &[Input<'_>]) -> Result<Signal, ShapeError> {
        let [first, rest @ ..] = inputs else {
            return Err(arity(this, 0));
        };
        if rest.is_empty() {
            return Err(arity(this, 1));
        }
        let shape = &first.signal.shape;
        let mismatch = |other: &Input<'_>, fix| ShapeError::Merge {
            component: this.to_string(),
            op: self.op.name(),
            first: first.name.to_string(),
            first_shape: shape.clone(),
            other: other.name.to_string(),
            other_shape: other.signal.shape.clone(),
            fix,
        };
        match self.op {
            MergeOp::Add | MergeOp::Multiply => {
                if let Some(other) = rest.iter().find(|i| i.signal.shape != *shape) {
                    return Err(mismatch(other, "the shapes must be equal"));
                }
                output(this, shape.clone())
            }
            MergeOp::Concat => {
                let Some((&last, lead)) = shape.dims().split_last() else {
                    return Err(wrong_rank(
                        this,
                        Self::TYPE,
                        *first,
                        "inputs of rank 1 or more to concatenate",
                        format!("insert `Flatten` between `{}` and `{this}`", first.name),
                    ));
                };
                let mut total = last;
                for other in rest {
                    match other.signal.shape.dims().split_last() {
                        Some((&l, other_lead)) if other_lead == lead => total += l,
                        _ => {
                            return Err(mismatch(
                                other,
                                "`Concat` needs the same rank and the same sizes except the last axis",
                            ));
                        }
                    }
                }
                let mut dims = lead.to_vec();
                dims.push(total);
                output(this, Shape(dims))
            }
        }
    }
}

fn arity(this: &str, found: usize) -> ShapeError {
    ShapeError::Arity {
        component: this.to_string(),
        type_name: MergeSettings::TYPE,
        expected: "two or more inputs",
        found,
        fix: "write `<- (a, b)` with the components to merge",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::rules::test_support::inputs;

    #[test]
    fn concatenates_the_last_axis() {
        let m = MergeSettings::default();
        let out = m
            .infer(
                "m",
                &inputs(&[Signal::new([4, 4, 2]), Signal::new([4, 4, 3])]),
            )
            .unwrap();
        assert_eq!(out, Signal::new([4, 4, 5]));
        let out = m
            .infer(
                "m",
                &inputs(&[Signal::new([2]), Signal::new([3]), Signal::new([1])]),
            )
            .unwrap();
        assert_eq!(out, Signal::new([6]));
    }

    #[test]
    fn concat_rejects_other_leading_sizes() {
        let err = MergeSettings::default()
            .infer(
                "m",
                &inputs(&[Signal::new([4, 4, 2]), Signal::new([2, 2, 2])]),
            )
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`m` (Merge Concat) cannot combine `a`'s `[4, 4, 2]` with `b`'s `[2, 2, 2]`; `Concat` needs the same rank and the same sizes except the last axis"
        );
    }

    #[test]
    fn add_needs_equal_shapes() {
        let m = MergeSettings { op: MergeOp::Add };
        assert_eq!(
            m.infer("m", &inputs(&[Signal::new([3]), Signal::new([3])]))
                .unwrap(),
            Signal::new([3])
        );
        let err = m
            .infer("m", &inputs(&[Signal::new([3]), Signal::new([4])]))
            .unwrap_err();
        assert!(
            err.to_string().ends_with("the shapes must be equal"),
            "{err}"
        );
    }

    #[test]
    fn concat_rejects_scalars() {
        let err = MergeSettings::default()
            .infer("m", &inputs(&[Signal::new([]), Signal::new([])]))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`m` (Merge) expects inputs of rank 1 or more to concatenate, but `a` gives `[]`; insert `Flatten` between `a` and `m`"
        );
    }

    #[test]
    fn needs_two_inputs() {
        let err = MergeSettings::default()
            .infer("m", &inputs(&[Signal::new([3])]))
            .unwrap_err();
        assert!(matches!(err, ShapeError::Arity { found: 1, .. }));
    }
}
