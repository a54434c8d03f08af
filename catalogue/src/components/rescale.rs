//! `Rescale`: `x * scale + offset`, value by value (e.g. pixels 0..=255 into 0..=1).

use serde::{Deserialize, Serialize};

use super::rules::{one_input, output};
use super::{Category, ComponentSettings};
use crate::error::ShapeError;
use crate::schema::{Setting, ValueKind};
use crate::shape::{Input, Signal};
use crate::values::{float, not_a_key};
use crate::written::{ValueError, Written};

// The keys, as written in `model!`: the schema lists them and `assign` reads them.
const SCALE: &str = "scale";
const OFFSET: &str = "offset";

/// The settings of a `Rescale` component.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RescaleSettings {
    /// The factor (default 1).
    pub scale: f32,
    /// Added after scaling (default 0).
    pub offset: f32,
}

impl Default for RescaleSettings {
    fn default() -> Self {
        RescaleSettings {
            scale: 1.0,
            offset: 0.0,
        }
    }
}

impl ComponentSettings for RescaleSettings {
    const CATEGORY: Category = Category::Process;
    const TYPE: &'static str = "Rescale";
    const ABOUT: &'static str = "`x * scale + offset`, value by value";
    const SHAPES: &'static str = "any shape → the same shape";
    const SCHEMA: &'static [Setting] = &[
        Setting::optional(
            SCALE,
            ValueKind::Float,
            "1.0",
            "the factor, e.g. `1.0 / 255.0`",
        ),
        Setting::optional(OFFSET, ValueKind::Float, "0.0", "added after scaling"),
    ];

    fn assign(&mut self, key: &str, value: &Written) -> Result<(), ValueError> {
        match key {
            SCALE => self.scale = float(key, value)? as f32,
            OFFSET => self.offset = float(key, value)? as f32,
            other => return Err(not_a_key(Self::TYPE, other)),
        }
        Ok(())
    }

    fn infer(&self, this: &str, inputs: &[Input<'_>]) -> Result<Signal, ShapeError> {
        let input = one_input(this, Self::TYPE, inputs)?;
        for (setting, value) in [("scale", self.scale), ("offset", self.offset)] {
            if !value.is_finite() {
                return Err(ShapeError::InvalidSetting {
                    component: this.to_string(),
                    setting,
                    problem: format!("must be a finite number, found {value}"),
                });
            }
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
        let r = RescaleSettings {
            scale: 1.0 / 255.0,
            offset: 0.0,
        };
        assert_eq!(
            r.infer("r", &inputs(&[Signal::new([28, 28])])).unwrap(),
            Signal::new([28, 28])
        );
    }

    #[test]
    fn rejects_a_non_finite_scale() {
        let r = RescaleSettings {
            scale: f32::NAN,
            offset: 0.0,
        };
        let err = r.infer("r", &inputs(&[Signal::new([2])])).unwrap_err();
        assert!(matches!(
            err,
            ShapeError::InvalidSetting {
                setting: "scale",
                ..
            }
        ));
    }
}
