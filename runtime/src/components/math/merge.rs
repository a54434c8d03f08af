//! `Merge`: combines several inputs into one.

use std::marker::PhantomData;

use burn::prelude::*;
use percept_catalogue::Signal;
use percept_catalogue::{MergeOp, MergeSettings};

use crate::component::{Builtin, Pass, Place, Meta, Parts, impl_component};
use crate::error::Result;
use crate::value::{Value, last_user_axis};

/// A Merge component.
#[derive(Module, Debug)]
pub struct Merge<B: Backend> {
    backend: PhantomData<B>,
    #[module(skip)]
    meta: Meta,
    #[module(skip)]
    settings: MergeSettings,
}

impl<B: Backend> Merge<B> {

    /// Concatenates along the user's last axis (features, or an image's channels), or adds or
    /// multiplies value by value.
    ///
    /// # Shapes
    /// - inputs: `[batch, ...]`, equal but for the last user axis when concatenating
    /// - output: `[batch, ...]`
    pub fn forward<const D: usize>(&self, inputs: Vec<Tensor<B, D>>) -> Tensor<B, D> {
        match self.settings.op {
            MergeOp::Concat => Tensor::cat(inputs, last_user_axis(D)),
            MergeOp::Add => inputs
                .into_iter()
                .reduce(|a, b| a + b)
                .expect("a Merge has two or more inputs"),
            MergeOp::Multiply => inputs
                .into_iter()
                .reduce(|a, b| a * b)
                .expect("a Merge has two or more inputs"),
        }
    }

}

impl<B: Backend> Builtin<B> for Merge<B> {
    type Settings = MergeSettings;

    fn new(meta: Meta, settings: MergeSettings, _inputs: &[Signal], _place: &Place<'_, B>) -> Self {
        Merge {
            backend: PhantomData, meta, settings }
    }

    fn forward_value(&self, inputs: &[&Value<B>], _pass: Pass) -> Result<Value<B>> {
        let this = &self.meta.instance;
        fn typed<B: Backend, const D: usize>(
            inputs: &[&Value<B>],
            this: &str,
        ) -> Result<Vec<Tensor<B, D>>> {
            inputs.iter().map(|v| v.tensor::<D>(this)).collect()
        }
        Ok(match inputs[0].rank() {
            1 => self.forward(typed::<B, 1>(inputs, this)?).into(),
            2 => self.forward(typed::<B, 2>(inputs, this)?).into(),
            3 => self.forward(typed::<B, 3>(inputs, this)?).into(),
            _ => self.forward(typed::<B, 4>(inputs, this)?).into(),
        })
    }
}

impl<B: Backend> Parts for Merge<B> {
    fn meta(&self) -> &Meta {
        &self.meta
    }

    fn describe(&self) -> String {
        format!("{:#?}", self.settings)
    }

    fn formula(&self) -> &'static str {
        "y = concat(inputs) along the last axis, or their sum or product"
    }
}

impl_component!(Merge);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::place;
    use burn::backend::NdArray;
    use percept_catalogue::Signal;

    fn merge(op: MergeOp) -> Merge<NdArray> {
        Merge::<NdArray>::new(
            Meta::new("m", "Merge", 1, Signal::new([1])),
            MergeSettings { op },
            &[],
            &place(),
        )
    }

    #[test]
    fn concatenates_features_and_channels() {
        let device = Default::default();
        let a = Tensor::<NdArray, 2>::from_floats([[1.0, 2.0]], &device);
        let b = Tensor::<NdArray, 2>::from_floats([[3.0]], &device);
        let y = merge(MergeOp::Concat).forward(vec![a, b]);
        assert_eq!(y.into_data().to_vec::<f32>().unwrap(), [1.0, 2.0, 3.0]);
        let a = Tensor::<NdArray, 4>::zeros([1, 2, 3, 3], &device);
        let b = Tensor::<NdArray, 4>::zeros([1, 1, 3, 3], &device);
        assert_eq!(
            merge(MergeOp::Concat).forward(vec![a, b]).dims(),
            [1, 3, 3, 3]
        );
    }

    #[test]
    fn adds_and_multiplies() {
        let device = Default::default();
        let a = Tensor::<NdArray, 2>::from_floats([[1.0, 2.0]], &device);
        let b = Tensor::<NdArray, 2>::from_floats([[3.0, 4.0]], &device);
        let sum = merge(MergeOp::Add).forward(vec![a.clone(), b.clone()]);
        assert_eq!(sum.into_data().to_vec::<f32>().unwrap(), [4.0, 6.0]);
        let product = merge(MergeOp::Multiply).forward(vec![a, b]);
        assert_eq!(product.into_data().to_vec::<f32>().unwrap(), [3.0, 8.0]);
    }
}
