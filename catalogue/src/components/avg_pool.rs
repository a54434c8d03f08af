//! `AvgPool`: the mean of each window, channel by channel.

use serde::{Deserialize, Serialize};

use super::rules::{one_input, output, positive, wrong_rank};
use super::{Category, ComponentSettings};
use crate::error::ShapeError;
use crate::schema::{Setting, ValueKind};
use crate::shape::{Input, Shape, Signal};
use crate::values::{integer, not_a_key};
use crate::written::{ValueError, Written};

// The keys, as written in `model!`: the schema lists them and `assign` reads them.
const SIZE: &str = "size";
const STRIDE: &str = "stride";

/// The settings of an `AvgPool` component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AvgPoolSettings {
    /// The side of the square window (default 2).
    pub size: usize,
    /// The step between windows (default: the window size).
    pub stride: Option<usize>,
}

impl Default for AvgPoolSettings {
    fn default() -> Self {
        AvgPoolSettings {
            size: 2,
            stride: None,
        }
    }
}

impl AvgPoolSettings {
    /// A `size` x `size` window moved by its own size.
    pub fn new(size: usize) -> Self {
        AvgPoolSettings { size, stride: None }
    }

    /// The step between windows.
    pub fn stride(&self) -> usize {
        self.stride.unwrap_or(self.size)
    }
}

impl ComponentSettings for AvgPoolSettings {
    const CATEGORY: Category = Category::DeepLearning;
    const TYPE: &'static str = "AvgPool";
    const ABOUT: &'static str = "the mean of each window";
    const SHAPES: &'static str = "`[h, w, c]` → `[h', w', c]`";
    const SCHEMA: &'static [Setting] = &[
        Setting::optional(
            SIZE,
            ValueKind::Integer,
            "2",
            "the side of the square window",
        ),
        Setting::optional(
            STRIDE,
            ValueKind::Integer,
            "size",
            "the step between windows",
        ),
    ];

    fn assign(&mut self, key: &str, value: &Written) -> Result<(), ValueError> {
        match key {
            SIZE => self.size = integer(key, value)?,
            STRIDE => self.stride = Some(integer(key, value)?),
            other => return Err(not_a_key(Self::TYPE, other)),
        }
        Ok(())
    }

    fn infer(&self, this: &str, inputs: &[Input<'_>]) -> Result<Signal, ShapeError> {
        let input = one_input(this, Self::TYPE, inputs)?;
        positive(this, SIZE, self.size)?;
        positive(this, STRIDE, self.stride())?;
        let shape = &input.signal.shape;
        let &[h, w, c] = shape.dims() else {
            return Err(wrong_rank(
                this,
                Self::TYPE,
                input,
                "an image `[height, width, channels]`",
                format!(
                    "insert a `Reshape` to `[h, w, c]` between `{}` and `{this}`",
                    input.name
                ),
            ));
        };
        if self.size > h || self.size > w {
            return Err(ShapeError::WindowTooLarge {
                component: this.to_string(),
                type_name: Self::TYPE,
                window: "pool window",
                setting: SIZE,
                size: self.size,
                input: input.name.to_string(),
                found: shape.clone(),
                limit: h.min(w),
            });
        }
        let stride = self.stride();
        output(
            this,
            Shape::from([
                (h - self.size) / stride + 1,
                (w - self.size) / stride + 1,
                c,
            ]),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::rules::test_support::inputs;

    #[test]
    fn halves_the_image() {
        let p = AvgPoolSettings::new(2);
        assert_eq!(
            p.infer("pool", &inputs(&[Signal::new([8, 8, 16])]))
                .unwrap(),
            Signal::new([4, 4, 16])
        );
        assert_eq!(
            p.infer("pool", &inputs(&[Signal::new([7, 7, 3])])).unwrap(),
            Signal::new([3, 3, 3])
        );
    }

    #[test]
    fn honours_the_stride() {
        let p = AvgPoolSettings {
            size: 3,
            stride: Some(1),
        };
        assert_eq!(
            p.infer("pool", &inputs(&[Signal::new([5, 5, 2])])).unwrap(),
            Signal::new([3, 3, 2])
        );
    }

    #[test]
    fn rejects_a_window_larger_than_the_input() {
        let err = AvgPoolSettings::new(4)
            .infer("pool", &inputs(&[Signal::new([3, 3, 1])]))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`pool` (AvgPool) has a pool window of 4x4, larger than `a`'s `[3, 3, 1]`; use a pool window of at most 3"
        );
    }

    #[test]
    fn rejects_flat_inputs() {
        let err = AvgPoolSettings::new(2)
            .infer("pool", &inputs(&[Signal::new([16])]))
            .unwrap_err();
        assert!(matches!(err, ShapeError::Rank { .. }));
    }
}
