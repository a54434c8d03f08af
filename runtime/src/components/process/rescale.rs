//! `Rescale`: `x * scale + offset`.

use burn::prelude::*;
use percept_catalogue::RescaleSettings;

use crate::component::{Meta, Parts, impl_component};
use crate::error::Result;
use crate::value::{Value, by_rank};

/// A Rescale component.
#[derive(Module, Debug, Clone)]
pub struct Rescale {
    #[module(skip)]
    meta: Meta,
    #[module(skip)]
    settings: RescaleSettings,
}

impl Rescale {
    /// A Rescale component.
    pub fn new(meta: Meta, settings: RescaleSettings) -> Self {
        Rescale { meta, settings }
    }

    /// Rescales every value.
    ///
    /// # Shapes
    /// - input and output: `[batch, ...]`
    pub fn forward<B: Backend, const D: usize>(&self, x: Tensor<B, D>) -> Tensor<B, D> {
        x.mul_scalar(self.settings.scale)
            .add_scalar(self.settings.offset)
    }

    pub(crate) fn forward_value<B: Backend>(&self, x: &Value<B>) -> Result<Value<B>> {
        Ok(by_rank!(x, &self.meta.instance, |t| self.forward(t)))
    }
}

impl Parts for Rescale {
    fn meta(&self) -> &Meta {
        &self.meta
    }

    fn describe(&self) -> String {
        format!("{:#?}", self.settings)
    }

    fn formula(&self) -> &'static str {
        "y = x * scale + offset"
    }
}

impl_component!(Rescale, "Process", "Rescale");

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::NdArray;
    use percept_catalogue::Signal;

    #[test]
    fn scales_then_offsets() {
        let settings = RescaleSettings {
            scale: 1.0 / 255.0,
            offset: -0.5,
        };
        let rescale = Rescale::new(Meta::new("r", "Rescale", 1, Signal::new([3])), settings);
        let x = Tensor::<NdArray, 2>::from_floats([[0.0, 255.0, 51.0]], &Default::default());
        let y = rescale.forward(x).into_data().to_vec::<f32>().unwrap();
        for (got, want) in y.iter().zip([-0.5, 0.5, -0.3]) {
            assert!((got - want).abs() < 1e-6, "{y:?}");
        }
    }
}
