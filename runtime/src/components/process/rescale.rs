//! `Rescale`: `x * scale + offset`.

use std::marker::PhantomData;

use burn::prelude::*;
use percept_catalogue::Signal;
use percept_catalogue::RescaleSettings;

use crate::component::{Builtin, Pass, Place, Meta, Parts, impl_component};
use crate::error::Result;
use crate::value::{Value, by_rank};

/// A Rescale component.
#[derive(Module, Debug)]
pub struct Rescale<B: Backend> {
    backend: PhantomData<B>,
    #[module(skip)]
    meta: Meta,
    #[module(skip)]
    settings: RescaleSettings,
}

impl<B: Backend> Rescale<B> {

    /// Rescales every value.
    ///
    /// # Shapes
    /// - input and output: `[batch, ...]`
    pub fn forward<const D: usize>(&self, x: Tensor<B, D>) -> Tensor<B, D> {
        crate::kernels::rescale::rescale(x, self.settings.scale, self.settings.offset)
    }

}

impl<B: Backend> Builtin<B> for Rescale<B> {
    type Settings = RescaleSettings;

    fn new(meta: Meta, settings: RescaleSettings, _inputs: &[Signal], _place: &Place<'_, B>) -> Self {
        Rescale {
            backend: PhantomData, meta, settings }
    }

    fn forward_value(&self, inputs: &[&Value<B>], _pass: Pass) -> Result<Value<B>> {
        let x = inputs[0];
        Ok(by_rank!(x, &self.meta.instance, |t| self.forward(t)))
    }
}

impl<B: Backend> Parts for Rescale<B> {
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

impl_component!(Rescale);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::place;
    use burn::backend::NdArray;
    use percept_catalogue::Signal;

    #[test]
    fn scales_then_offsets() {
        let settings = RescaleSettings {
            scale: 1.0 / 255.0,
            offset: -0.5,
        };
        let rescale = Rescale::<NdArray>::new(
            Meta::new("r", "Rescale", 1, Signal::new([3])),
            settings,
            &[],
            &place(),
        );
        let x = Tensor::<NdArray, 2>::from_floats([[0.0, 255.0, 51.0]], &Default::default());
        let y = rescale.forward(x).into_data().to_vec::<f32>().unwrap();
        for (got, want) in y.iter().zip([-0.5, 0.5, -0.3]) {
            assert!((got - want).abs() < 1e-6, "{y:?}");
        }
    }
}
