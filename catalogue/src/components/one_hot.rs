//! `OneHot`: a class index into a vector with a 1 at that index.

use serde::{Deserialize, Serialize};

use super::rules::{class_count, one_input, output, wrong_rank};
use super::{Category, ComponentSettings};
use crate::error::ShapeError;
use crate::schema::{Setting, ValueKind};
use crate::shape::{Input, Shape, Signal};
use crate::values::{integer, not_a_key};
use crate::written::{ValueError, Written};

// The keys, as written in `model!`: the schema lists them and `assign` reads them.
const CLASSES: &str = "classes";

/// The settings of a `OneHot` component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OneHotSettings {
    /// The number of classes; by default the class count of the input (`classes:` on its Data).
    pub classes: Option<usize>,
}

impl ComponentSettings for OneHotSettings {
    const CATEGORY: Category = Category::Process;
    const TYPE: &'static str = "OneHot";
    const ABOUT: &'static str = "a class index into a one-hot vector";
    const SHAPES: &'static str = "`[]` with n classes → `[n]`";
    const SCHEMA: &'static [Setting] = &[Setting::optional(
        CLASSES,
        ValueKind::Integer,
        "the input's class count",
        "the number of classes, the width of the output",
    )];

    fn assign(&mut self, key: &str, value: &Written) -> Result<(), ValueError> {
        match key {
            CLASSES => self.classes = Some(integer(key, value)?),
            other => return Err(not_a_key(Self::TYPE, other)),
        }
        Ok(())
    }

    fn infer(&self, this: &str, inputs: &[Input<'_>]) -> Result<Signal, ShapeError> {
        let input = one_input(this, Self::TYPE, inputs)?;
        if input.signal.shape.element_count() != 1 {
            return Err(wrong_rank(
                this,
                Self::TYPE,
                input,
                "one class index per element `[]`",
                "feed it class labels, e.g. a Data component with `classes: n`".to_string(),
            ));
        }
        // The input's labels were checked against its class count when they loaded, so a
        // width of at least that many cannot be overrun.
        let Some(known) = input.signal.classes else {
            return Err(ShapeError::UnknownClasses {
                component: this.to_string(),
                type_name: Self::TYPE,
                input: input.name.to_string(),
            });
        };
        let classes = self.classes.unwrap_or(known);
        class_count(this, "classes", classes)?;
        if classes < known {
            return Err(ShapeError::InvalidSetting {
                component: this.to_string(),
                setting: "classes",
                problem: format!(
                    "is {classes}, fewer than the {known} classes of `{}`; drop it or write `classes: {known}`",
                    input.name
                ),
            });
        }
        output(this, Shape::from([classes]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::rules::test_support::inputs;

    #[test]
    fn uses_the_class_count_of_its_input() {
        let out = OneHotSettings::default()
            .infer("o", &inputs(&[Signal::class_indices(10)]))
            .unwrap();
        assert_eq!(out, Signal::new([10]));
    }

    #[test]
    fn explicit_classes_may_widen() {
        let o = OneHotSettings { classes: Some(4) };
        assert_eq!(
            o.infer("o", &inputs(&[Signal::class_indices(3)])).unwrap(),
            Signal::new([4])
        );
        let o = OneHotSettings { classes: Some(2) };
        let err = o
            .infer("o", &inputs(&[Signal::class_indices(3)]))
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("is 2, fewer than the 3 classes of `a`"),
            "{err}"
        );
    }

    #[test]
    fn needs_a_class_count() {
        let err = OneHotSettings::default()
            .infer("o", &inputs(&[Signal::new([])]))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`o` (OneHot) needs to know how many classes `a` has; add `classes: n` to `a`"
        );
    }

    #[test]
    fn rejects_wide_inputs() {
        let err = OneHotSettings::default()
            .infer("o", &inputs(&[Signal::new([3])]))
            .unwrap_err();
        assert!(matches!(err, ShapeError::Rank { .. }), "{err}");
    }
}
