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
