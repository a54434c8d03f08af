//! `Softmax`: probabilities over the last axis.

use burn::prelude::*;
use percept_catalogue::{Activation, SoftmaxSettings};

use crate::component::{Meta, Parts, impl_component};
use crate::components::deep_learning::activate;
use crate::error::Result;
use crate::value::{Value, by_rank};

/// A Softmax component.
#[derive(Module, Debug, Clone)]
pub struct Softmax {
    #[module(skip)]
    meta: Meta,
}

impl Softmax {
    /// A Softmax component.
    pub fn new(meta: Meta, _settings: SoftmaxSettings) -> Self {
        Softmax { meta }
    }

    /// `e^x / sum(e^x)` over the user's last axis.
    ///
    /// # Shapes
    /// - input and output: `[batch, ...]`
    pub fn forward<B: Backend, const D: usize>(&self, x: Tensor<B, D>) -> Tensor<B, D> {
        activate(x, Activation::Softmax)
    }

    pub(crate) fn forward_value<B: Backend>(&self, x: &Value<B>) -> Result<Value<B>> {
        Ok(by_rank!(x, &self.meta.instance, |t| self.forward(t)))
    }
}

impl Parts for Softmax {
    fn meta(&self) -> &Meta {
        &self.meta
    }

    fn describe(&self) -> String {
        "SoftmaxSettings {}".to_string()
    }

    fn formula(&self) -> &'static str {
        "y = e^x / sum(e^x) over the last axis"
    }
}

impl_component!(Softmax, "Math", "Softmax");
