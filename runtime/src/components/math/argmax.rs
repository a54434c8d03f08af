//! `Argmax`: the index of the largest value of each element.

use burn::prelude::*;
use percept_catalogue::ArgmaxSettings;

use crate::component::{Meta, Parts, impl_component};
use crate::error::Result;
use crate::value::Value;

/// An Argmax component. The index travels as a float, like every value between components.
#[derive(Module, Debug, Clone)]
pub struct Argmax {
    #[module(skip)]
    meta: Meta,
}

impl Argmax {
    /// An Argmax component.
    pub fn new(meta: Meta, _settings: ArgmaxSettings) -> Self {
        Argmax { meta }
    }

    /// The index of the largest score.
    ///
    /// # Shapes
    /// - input: `[batch, classes]`
    /// - output: `[batch]`
    pub fn forward<B: Backend>(&self, x: Tensor<B, 2>) -> Tensor<B, 1> {
        x.argmax(1).float().reshape([-1])
    }

    pub(crate) fn forward_value<B: Backend>(&self, x: &Value<B>) -> Result<Value<B>> {
        Ok(self.forward(x.tensor::<2>(&self.meta.instance)?).into())
    }
}

impl Parts for Argmax {
    fn meta(&self) -> &Meta {
        &self.meta
    }

    fn describe(&self) -> String {
        "ArgmaxSettings {}".to_string()
    }

    fn formula(&self) -> &'static str {
        "y = the index of the largest value"
    }
}

impl_component!(Argmax, "Math", "Argmax");

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::NdArray;
    use percept_catalogue::Signal;

    #[test]
    fn finds_the_largest() {
        let a = Argmax::new(
            Meta::new("a", "Argmax", 1, Signal::class_indices(3)),
            ArgmaxSettings {},
        );
        let x = Tensor::<NdArray, 2>::from_floats(
            [[0.1, 0.7, 0.2], [5.0, 1.0, 2.0]],
            &Default::default(),
        );
        assert_eq!(
            a.forward(x).into_data().to_vec::<f32>().unwrap(),
            [1.0, 0.0]
        );
    }
}
