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

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::NdArray;
    use percept_catalogue::Signal;

    #[test]
    fn gives_probabilities_over_the_last_axis() {
        let softmax = Softmax::new(
            Meta::new("s", "Softmax", 1, Signal::new([2])),
            SoftmaxSettings {},
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
