//! `MaxPool`: the largest value of each window, channel by channel.

use std::marker::PhantomData;

use burn::prelude::*;
use percept_catalogue::Signal;
use percept_catalogue::MaxPoolSettings;

use crate::component::{Builtin, Pass, Place, Meta, Parts, impl_component};
use crate::error::Result;
use crate::kernels;
use crate::kernels::max_pool::Window;
use crate::value::Value;

/// A MaxPool component: percept's max-pool kernel on the CPU backends, burn's `max_pool2d`
/// elsewhere.
#[derive(Module, Debug)]
pub struct MaxPool<B: Backend> {
    backend: PhantomData<B>,
    #[module(skip)]
    meta: Meta,
    #[module(skip)]
    settings: MaxPoolSettings,
}

impl<B: Backend> MaxPool<B> {

    /// The maximum of each window.
    ///
    /// # Shapes
    /// - input: `[batch, channels, height, width]`
    /// - output: `[batch, channels, out_height, out_width]`
    pub fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let [_, _, height, width] = x.dims();
        kernels::max_pool::max_pool(x, self.window([height, width]))
    }

    /// The windows over planes of `[height, width]`.
    pub(crate) fn window(&self, plane: [usize; 2]) -> Window {
        Window::new(plane, self.settings.size, self.settings.stride())
    }

}

impl<B: Backend> Builtin<B> for MaxPool<B> {
    type Settings = MaxPoolSettings;

    fn new(meta: Meta, settings: MaxPoolSettings, _inputs: &[Signal], _place: &Place<'_, B>) -> Self {
        MaxPool {
            backend: PhantomData, meta, settings }
    }

    fn forward_value(&self, inputs: &[&Value<B>], _pass: Pass) -> Result<Value<B>> {
        let x = inputs[0];
        Ok(self.forward(x.tensor::<4>(&self.meta.instance)?).into())
    }
}

impl<B: Backend> Parts for MaxPool<B> {
    fn meta(&self) -> &Meta {
        &self.meta
    }

    fn describe(&self) -> String {
        format!("{:#?}", self.settings)
    }

    fn formula(&self) -> &'static str {
        "y = the maximum of each size x size window, moved by stride"
    }
}

impl_component!(MaxPool);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::place;
    use burn::backend::NdArray;
    use percept_catalogue::Signal;

    #[test]
    fn takes_the_maximum_of_each_window() {
        let pool = MaxPool::<NdArray>::new(
            Meta::new("p", "MaxPool", 1, Signal::new([2, 2, 1])),
            MaxPoolSettings::new(2),
            &[],
            &place(),
        );
        let x = Tensor::<NdArray, 1>::from_floats(
            [
                1., 2., 3., 4., 5., 6., 7., 8., 9., 10., 11., 12., 13., 14., 15., 16.,
            ],
            &Default::default(),
        )
        .reshape([1, 1, 4, 4]);
        let y = pool.forward(x);
        assert_eq!(y.into_data().to_vec::<f32>().unwrap(), [6., 8., 14., 16.]);
    }
}
