//! `Argmax`: the index of the largest value of each element.

use std::marker::PhantomData;

use burn::prelude::*;
use percept_catalogue::Signal;
use percept_catalogue::ArgmaxSettings;

use crate::component::{Builtin, Pass, Place, Meta, Parts, impl_component};
use crate::error::Result;
use crate::value::Value;

/// An Argmax component. The index travels as a float, like every value between components.
#[derive(Module, Debug)]
pub struct Argmax<B: Backend> {
    backend: PhantomData<B>,
    #[module(skip)]
    meta: Meta,
}

impl<B: Backend> Argmax<B> {

    /// The index of the largest score.
    ///
    /// # Shapes
    /// - input: `[batch, classes]`
    /// - output: `[batch]`
    pub fn forward(&self, x: Tensor<B, 2>) -> Tensor<B, 1> {
        x.argmax(1).float().reshape([-1])
    }

}

impl<B: Backend> Builtin<B> for Argmax<B> {
    type Settings = ArgmaxSettings;

    fn new(meta: Meta, _settings: ArgmaxSettings, _inputs: &[Signal], _place: &Place<'_, B>) -> Self {
        Argmax {
            backend: PhantomData, meta }
    }

    fn forward_value(&self, inputs: &[&Value<B>], _pass: Pass) -> Result<Value<B>> {
        let x = inputs[0];
        Ok(self.forward(x.tensor::<2>(&self.meta.instance)?).into())
    }
}

impl<B: Backend> Parts for Argmax<B> {
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

impl_component!(Argmax);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::place;
    use burn::backend::NdArray;
    use percept_catalogue::Signal;

    #[test]
    fn finds_the_largest() {
        let a = Argmax::<NdArray>::new(
            Meta::new("a", "Argmax", 1, Signal::class_indices(3)),
            ArgmaxSettings {},
            &[],
            &place(),
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
