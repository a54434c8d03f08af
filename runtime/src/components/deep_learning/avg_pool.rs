//! `AvgPool`: the mean of each window, channel by channel.

use std::marker::PhantomData;

use burn::prelude::*;
use burn::tensor::module::avg_pool2d;
use percept_catalogue::{AvgPoolSettings, Signal};

use crate::component::{Builtin, Meta, Parts, Pass, Place, impl_component};
use crate::error::Result;
use crate::value::Value;

/// An AvgPool component, on burn's `avg_pool2d` (every backend; autodiff gives its gradient).
#[derive(Module, Debug)]
pub struct AvgPool<B: Backend> {
    backend: PhantomData<B>,
    #[module(skip)]
    meta: Meta,
    #[module(skip)]
    settings: AvgPoolSettings,
}

impl<B: Backend> AvgPool<B> {
    /// The mean of each window.
    ///
    /// # Shapes
    /// - input: `[batch, channels, height, width]`
    /// - output: `[batch, channels, out_height, out_width]`
    pub fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let size = self.settings.size;
        let stride = self.settings.stride();
        // No padding, so every window is whole and its mean is over size x size values.
        avg_pool2d(x, [size, size], [stride, stride], [0, 0], true, false)
    }
}

impl<B: Backend> Builtin<B> for AvgPool<B> {
    type Settings = AvgPoolSettings;

    fn new(meta: Meta, settings: AvgPoolSettings, _inputs: &[Signal], _place: &Place<'_, B>) -> Self {
        AvgPool {
            backend: PhantomData,
            meta,
            settings,
        }
    }

    fn forward_value(&self, inputs: &[&Value<B>], _pass: Pass) -> Result<Value<B>> {
        Ok(self.forward(inputs[0].tensor::<4>(&self.meta.instance)?).into())
    }
}

impl<B: Backend> Parts for AvgPool<B> {
    fn meta(&self) -> &Meta {
        &self.meta
    }

    fn describe(&self) -> String {
        format!("{:#?}", self.settings)
    }

    fn formula(&self) -> &'static str {
        "y = the mean of each size x size window, moved by stride"
    }
}

impl_component!(AvgPool);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::place;
    use burn::backend::{Autodiff, NdArray};

    fn pool<B: Backend>(settings: AvgPoolSettings) -> AvgPool<B> {
        AvgPool::new(
            Meta::new("p", "AvgPool", 1, Signal::new([2, 2, 1])),
            settings,
            &[Signal::new([4, 4, 1])],
            &place(),
        )
    }

    #[test]
    fn takes_the_mean_of_each_window() {
        let x = Tensor::<NdArray, 1>::from_floats(
            [
                1., 2., 3., 4., 5., 6., 7., 8., 9., 10., 11., 12., 13., 14., 15., 16.,
            ],
            &Default::default(),
        )
        .reshape([1, 1, 4, 4]);
        let y = pool::<NdArray>(AvgPoolSettings::new(2)).forward(x);
        // (1 + 2 + 5 + 6) / 4, (3 + 4 + 7 + 8) / 4, ...
        assert_eq!(y.into_data().to_vec::<f32>().unwrap(), [3.5, 5.5, 11.5, 13.5]);
    }

    #[test]
    fn honours_the_stride_and_spreads_the_gradient_over_each_window() {
        let device = Default::default();
        let x = Tensor::<Autodiff<NdArray>, 1>::from_floats(
            [1., 2., 3., 4., 5., 6., 7., 8., 9.],
            &device,
        )
        .reshape([1, 1, 3, 3])
        .require_grad();
        let settings = AvgPoolSettings {
            size: 2,
            stride: Some(1),
        };
        let y = pool::<Autodiff<NdArray>>(settings).forward(x.clone());
        assert_eq!(
            y.clone().into_data().to_vec::<f32>().unwrap(),
            [3.0, 4.0, 6.0, 7.0]
        );
        // Each output takes a quarter of its window: the centre is in all four windows.
        let grads = y.sum().backward();
        let dx = x.grad(&grads).unwrap().into_data().to_vec::<f32>().unwrap();
        assert_eq!(dx, [0.25, 0.5, 0.25, 0.5, 1.0, 0.5, 0.25, 0.5, 0.25]);
    }
}
