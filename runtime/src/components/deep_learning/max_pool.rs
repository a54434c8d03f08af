//! `MaxPool`: the largest value of each window, channel by channel.

use burn::prelude::*;
use percept_catalogue::MaxPoolSettings;

use crate::component::{Meta, Parts, impl_component};
use crate::error::Result;
use crate::kernels;
use crate::kernels::max_pool::Window;
use crate::value::Value;

/// A MaxPool component: percept's max-pool kernel on the CPU backends, burn's `max_pool2d`
/// elsewhere.
#[derive(Module, Debug, Clone)]
pub struct MaxPool {
    #[module(skip)]
    meta: Meta,
    #[module(skip)]
    settings: MaxPoolSettings,
}

impl MaxPool {
    /// A MaxPool component.
    pub fn new(meta: Meta, settings: MaxPoolSettings) -> Self {
        MaxPool { meta, settings }
    }

    /// The maximum of each window.
    ///
    /// # Shapes
    /// - input: `[batch, channels, height, width]`
    /// - output: `[batch, channels, out_height, out_width]`
    pub fn forward<B: Backend>(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let [_, _, height, width] = x.dims();
        kernels::max_pool::max_pool(x, self.window([height, width]))
    }

    /// The windows over planes of `[height, width]`.
    pub(crate) fn window(&self, plane: [usize; 2]) -> Window {
        Window::new(plane, self.settings.size, self.settings.stride())
    }

    pub(crate) fn forward_value<B: Backend>(&self, x: &Value<B>) -> Result<Value<B>> {
        Ok(self.forward(x.tensor::<4>(&self.meta.instance)?).into())
    }
}

impl Parts for MaxPool {
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

impl_component!(MaxPool, "DeepLearning", "MaxPool");

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::NdArray;
    use percept_catalogue::Signal;

    #[test]
    fn takes_the_maximum_of_each_window() {
        let pool = MaxPool::new(
            Meta::new("p", "MaxPool", 1, Signal::new([2, 2, 1])),
            MaxPoolSettings::new(2),
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
