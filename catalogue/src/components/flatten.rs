//! `Flatten`: every value of an element in one row, in the user's layout (height, width, channels).

use serde::{Deserialize, Serialize};

use super::rules::{one_input, output};
use super::{Category, ComponentSettings};
use crate::error::ShapeError;
use crate::schema::Setting;
use crate::shape::{Input, Shape, Signal};
use crate::values::not_a_key;
use crate::written::{ValueError, Written};

/// The settings of a `Flatten` component (it has none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FlattenSettings {}

impl ComponentSettings for FlattenSettings {
    const CATEGORY: Category = Category::Process;
    const TYPE: &'static str = "Flatten";
    const ABOUT: &'static str = "every value of an element in one row";
    const SHAPES: &'static str = "`[..]` with N values → `[N]`";
    const PASSES_VALUES: bool = true;
    const SCHEMA: &'static [Setting] = &[];

    fn assign(&mut self, key: &str, _value: &Written) -> Result<(), ValueError> {
        Err(not_a_key(Self::TYPE, key))
    }

    fn infer(&self, this: &str, inputs: &[Input<'_>]) -> Result<Signal, ShapeError> {
        let input = one_input(this, Self::TYPE, inputs)?;
        output(this, Shape::from([input.signal.shape.element_count()]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::rules::test_support::inputs;

    #[test]
    fn flattens_every_rank() {
        let f = FlattenSettings {};
        assert_eq!(
            f.infer("f", &inputs(&[Signal::new([3, 3, 16])])).unwrap(),
            Signal::new([144])
        );
        assert_eq!(
            f.infer("f", &inputs(&[Signal::new([7])])).unwrap(),
            Signal::new([7])
        );
        assert_eq!(
            f.infer("f", &inputs(&[Signal::class_indices(4)])).unwrap(),
            Signal::new([1])
        );
    }

    #[test]
    fn takes_one_input() {
        let err = FlattenSettings {}.infer("f", &[]).unwrap_err();
        assert!(matches!(err, ShapeError::Arity { found: 0, .. }));
    }
}
