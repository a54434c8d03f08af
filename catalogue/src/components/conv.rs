//! `Conv`: a 2-D convolution over `[height, width, channels]`.

use serde::{Deserialize, Serialize};

use super::rules::{one_input, output, positive, wrong_rank};
use super::{Category, ComponentSettings};
use crate::activation::Activation;
use crate::error::ShapeError;
use crate::schema::{Setting, ValueKind};
use crate::shape::{Input, Shape, Signal};
use crate::values::{activation, choice, integer, not_a_key};
use crate::written::{ValueError, Written};

// The keys, as written in `model!`: the schema lists them and `assign` reads them.
const FILTERS: &str = "filters";
const KERNEL: &str = "kernel";
const STRIDE: &str = "stride";
const PADDING: &str = "padding";
const ACTIVATION: &str = "activation";

/// How a window treats the border of its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Padding {
    /// Zero padding so that the output has `ceil(input / stride)` rows and columns (the default).
    #[default]
    Same,
    /// No padding: the window stays inside the input.
    Valid,
}

impl Padding {
    /// Every padding's name, as written in `model!`.
    pub const NAMES: &'static [&'static str] = &["Same", "Valid"];

    /// The output length of a window of `size` moved by `stride` over `input` values, or `None`
    /// when the window does not fit (Valid padding only).
    pub fn output_len(self, input: usize, size: usize, stride: usize) -> Option<usize> {
        match self {
            Padding::Same => Some(input.div_ceil(stride)),
            Padding::Valid if size <= input => Some((input - size) / stride + 1),
            Padding::Valid => None,
        }
    }

    /// The zeros to add before and after the input for Same padding (TensorFlow's rule: the
    /// extra one, if any, goes after).
    pub fn same_pads(input: usize, size: usize, stride: usize) -> (usize, usize) {
        let out = input.div_ceil(stride);
        let total = ((out - 1) * stride + size).saturating_sub(input);
        (total / 2, total - total / 2)
    }
}

/// The settings of a `Conv` component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConvSettings {
    /// The number of output channels (required).
    pub filters: usize,
    /// The side of the square kernel (default 3).
    pub kernel: usize,
    /// The step between windows (default 1).
    pub stride: usize,
    /// The border treatment (default `Same`).
    pub padding: Padding,
    /// The activation (default `None`).
    pub activation: Activation,
}

impl Default for ConvSettings {
    fn default() -> Self {
        ConvSettings {
            filters: 0,
            kernel: 3,
            stride: 1,
            padding: Padding::Same,
            activation: Activation::None,
        }
    }
}

impl ConvSettings {
    /// `filters` output channels with a `kernel` x `kernel` window and the other defaults.
    pub fn new(filters: usize, kernel: usize) -> Self {
        ConvSettings {
            filters,
            kernel,
            ..Self::default()
        }
    }

    /// With this activation.
    pub fn with_activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }
}

impl ComponentSettings for ConvSettings {
    const CATEGORY: Category = Category::DeepLearning;
    const TYPE: &'static str = "Conv";
    const ABOUT: &'static str = "a 2-D convolution";
    const SHAPES: &'static str = "`[h, w, c]` → `[h', w', filters]`";
    const SCHEMA: &'static [Setting] = &[
        Setting::required(FILTERS, ValueKind::Integer, "the number of output channels"),
        Setting::optional(
            KERNEL,
            ValueKind::Integer,
            "3",
            "the side of the square kernel",
        ),
        Setting::optional(STRIDE, ValueKind::Integer, "1", "the step between windows"),
        Setting::optional(
            PADDING,
            ValueKind::Choice(Padding::NAMES),
            "Same",
            "the border treatment",
        ),
        Setting::optional(
            ACTIVATION,
            ValueKind::Choice(Activation::NAMES),
            "None",
            "applied to the output",
        ),
    ];

    fn assign(&mut self, key: &str, value: &Written) -> Result<(), ValueError> {
        match key {
            FILTERS => self.filters = integer(key, value)?,
            KERNEL => self.kernel = integer(key, value)?,
            STRIDE => self.stride = integer(key, value)?,
            PADDING => {
                self.padding = [Padding::Same, Padding::Valid][choice(key, value, Padding::NAMES)?]
            }
            ACTIVATION => self.activation = activation(key, value)?,
            other => return Err(not_a_key(Self::TYPE, other)),
        }
        Ok(())
    }

    fn infer(&self, this: &str, inputs: &[Input<'_>]) -> Result<Signal, ShapeError> {
        let input = one_input(this, Self::TYPE, inputs)?;
        positive(this, "filters", self.filters)?;
        positive(this, "kernel", self.kernel)?;
        positive(this, "stride", self.stride)?;
        let shape = &input.signal.shape;
        let &[h, w, _c] = shape.dims() else {
            let fix = match shape.dims() {
                [n] => format!(
                    "insert `Reshape {{ shape: [h, w, c] }}` between `{}` and `{this}` (h * w * c = {n})",
                    input.name
                ),
                [h, w] => format!(
                    "insert `Reshape {{ shape: [{h}, {w}, 1] }}` between `{}` and `{this}`",
                    input.name
                ),
                _ => format!("feed `{this}` an image-like input"),
            };
            return Err(wrong_rank(
                this,
                Self::TYPE,
                input,
                "an image `[height, width, channels]`",
                fix,
            ));
        };
        let window = |len| self.padding.output_len(len, self.kernel, self.stride);
        match (window(h), window(w)) {
            (Some(oh), Some(ow)) if self.kernel <= h.min(w) => {
                output(this, Shape::from([oh, ow, self.filters]))
            }
            _ => Err(ShapeError::WindowTooLarge {
                component: this.to_string(),
                type_name: Self::TYPE,
                window: "kernel",
                setting: KERNEL,
                size: self.kernel,
                input: input.name.to_string(),
                found: shape.clone(),
                limit: h.min(w),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::rules::test_support::inputs;

    #[test]
    fn same_padding_keeps_the_size() {
        let c = ConvSettings::new(16, 3);
        assert_eq!(
            c.infer("conv", &inputs(&[Signal::new([8, 8, 1])])).unwrap(),
            Signal::new([8, 8, 16])
        );
    }

    #[test]
    fn same_padding_with_stride_rounds_up() {
        let c = ConvSettings {
            stride: 2,
            ..ConvSettings::new(4, 3)
        };
        assert_eq!(
            c.infer("conv", &inputs(&[Signal::new([7, 8, 1])])).unwrap(),
            Signal::new([4, 4, 4])
        );
        assert_eq!(Padding::same_pads(7, 3, 2), (1, 1));
        assert_eq!(Padding::same_pads(8, 3, 2), (0, 1));
        assert_eq!(Padding::same_pads(8, 3, 1), (1, 1));
    }

    #[test]
    fn valid_padding_shrinks() {
        let c = ConvSettings {
            padding: Padding::Valid,
            ..ConvSettings::new(8, 3)
        };
        assert_eq!(
            c.infer("conv", &inputs(&[Signal::new([8, 8, 1])])).unwrap(),
            Signal::new([6, 6, 8])
        );
        let c = ConvSettings {
            padding: Padding::Valid,
            stride: 2,
            ..ConvSettings::new(8, 3)
        };
        assert_eq!(
            c.infer("conv", &inputs(&[Signal::new([8, 8, 1])])).unwrap(),
            Signal::new([3, 3, 8])
        );
    }

    #[test]
    fn rejects_a_kernel_larger_than_the_input() {
        let c = ConvSettings {
            padding: Padding::Valid,
            ..ConvSettings::new(8, 5)
        };
        let err = c
            .infer("conv", &inputs(&[Signal::new([4, 4, 1])]))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`conv` (Conv) has a kernel of 5x5, larger than `a`'s `[4, 4, 1]`; use a kernel of at most 4"
        );
    }

    #[test]
    fn rejects_a_kernel_larger_than_the_input_even_with_same_padding() {
        let err = ConvSettings::new(8, 5)
            .infer("conv", &inputs(&[Signal::new([4, 4, 1])]))
            .unwrap_err();
        assert!(
            matches!(
                err,
                ShapeError::WindowTooLarge {
                    size: 5,
                    limit: 4,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn rejects_a_zero_stride() {
        let c = ConvSettings {
            stride: 0,
            ..ConvSettings::new(8, 3)
        };
        let err = c
            .infer("conv", &inputs(&[Signal::new([4, 4, 1])]))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`conv`: `stride` must be at least 1, found 0"
        );
    }

    #[test]
    fn suggests_reshape_for_flat_inputs() {
        let err = ConvSettings::new(8, 3)
            .infer("conv", &inputs(&[Signal::new([64])]))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`conv` (Conv) expects an image `[height, width, channels]`, but `a` gives `[64]`; insert `Reshape { shape: [h, w, c] }` between `a` and `conv` (h * w * c = 64)"
        );
        let err = ConvSettings::new(8, 3)
            .infer("conv", &inputs(&[Signal::new([28, 28])]))
            .unwrap_err();
        assert!(
            err.to_string().contains("`Reshape { shape: [28, 28, 1] }`"),
            "{err}"
        );
    }

    #[test]
    fn needs_filters() {
        let err = ConvSettings::default()
            .infer("conv", &inputs(&[Signal::new([8, 8, 1])]))
            .unwrap_err();
        assert!(matches!(
            err,
            ShapeError::InvalidSetting {
                setting: "filters",
                ..
            }
        ));
    }
}
