//! `Softmax`: probabilities over the last axis.

use std::marker::PhantomData;

use burn::prelude::*;
use percept_catalogue::Signal;
use percept_catalogue::{Activation, SoftmaxSettings};

use crate::component::{Builtin, Pass, Place, Meta, Parts, impl_component};
use crate::components::deep_learning::activate;
use crate::error::Result;
use crate::value::{Value, by_rank};

/// A Softmax component.
#[derive(Module, Debug)]
pub struct Softmax<B: Backend> {
    backend: PhantomData<B>,
    #[module(skip)]
    meta: Meta,
}

impl<B: Backend> Softmax<B> {

    /// `e^x / sum(e^x)` over the user's last axis.
    ///
    /// # Shapes
    /// - input and output: `[batch, ...]`
    pub fn forward<const D: usize>(&self, x: Tensor<B, D>) -> Tensor<B, D> {
        activate(x, Activation::Softmax)
    }

}

impl<B: Backend> Builtin<B> for Softmax<B> {
    type Settings = SoftmaxSettings;

    fn new(meta: Meta, _settings: SoftmaxSettings, _inputs: &[Signal], _place: &Place<'_, B>) -> Self {
        Softmax {
            backend: PhantomData, meta }
    }

    fn forward_value(&self, inputs: &[&Value<B>], pass: Pass) -> Result<Value<B>> {
        let x = inputs[0];
        if pass.logits {
            // The prediction's Softmax, left out so that training reads the logits.
            return Ok(x.clone());
        }
        Ok(by_rank!(x, &self.meta.instance, |t| self.forward(t)))
    }
}

impl<B: Backend> Parts for Softmax<B> {
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

impl_component!(Softmax);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::place;
    use burn::backend::NdArray;
    use percept_catalogue::Signal;

    #[test]
    fn gives_probabilities_over_the_last_axis() {
        let softmax = Softmax::<NdArray>::new(
            Meta::new("s", "Softmax", 1, Signal::new([2])),
            SoftmaxSettings {},
            &[],
            &place(),
        );
        let x =
            Tensor::<NdArray, 2>::from_floats([[0.0, 2f32.ln()], [5.0, 5.0]], &Default::default());
        let y = softmax.forward(x).into_data().to_vec::<f32>().unwrap();
        // e^0 : e^ln2 = 1 : 2
        for (got, want) in y.iter().zip([1.0 / 3.0, 2.0 / 3.0, 0.5, 0.5]) {
            assert!((got - want).abs() < 1e-6, "{y:?}");
        }
    }
}
