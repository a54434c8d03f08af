//! `Flatten`: every value of an element in one row.

use std::marker::PhantomData;

use burn::prelude::*;
use percept_catalogue::Signal;
use percept_catalogue::FlattenSettings;

use crate::component::{Builtin, Pass, Place, Meta, Parts, impl_component};
use crate::error::Result;
use crate::kernels::reshape::reshape;
use crate::value::{Value, to_user_axes};

/// A Flatten component. Images flatten in the user's layout (height, width, channels), so a
/// Dense after it sees the values in TensorFlow's order.
#[derive(Module, Debug)]
pub struct Flatten<B: Backend> {
    backend: PhantomData<B>,
    #[module(skip)]
    meta: Meta,
}

impl<B: Backend> Flatten<B> {

    /// Flattens a batch.
    ///
    /// # Shapes
    /// - input: `[batch, ...]`
    /// - output: `[batch, values per element]`
    pub fn forward<const D: usize>(&self, x: Tensor<B, D>) -> Tensor<B, 2> {
        let dims = x.dims();
        let values = dims[1..].iter().product();
        // Without a copy on the CPU backends: an image's channels-last values are already in
        // the user's order.
        reshape(x.permute(to_user_axes::<D>()), [dims[0], values])
    }

}

impl<B: Backend> Builtin<B> for Flatten<B> {
    type Settings = FlattenSettings;

    fn new(meta: Meta, _settings: FlattenSettings, _inputs: &[Signal], _place: &Place<'_, B>) -> Self {
        Flatten {
            backend: PhantomData, meta }
    }

    fn forward_value(&self, inputs: &[&Value<B>], _pass: Pass) -> Result<Value<B>> {
        let x = inputs[0];
        let this = &self.meta.instance;
        Ok(match x.rank() {
            1 => self.forward(x.tensor::<1>(this)?),
            2 => self.forward(x.tensor::<2>(this)?),
            3 => self.forward(x.tensor::<3>(this)?),
            _ => self.forward(x.tensor::<4>(this)?),
        }
        .into())
    }
}

impl<B: Backend> Parts for Flatten<B> {
    fn meta(&self) -> &Meta {
        &self.meta
    }

    fn describe(&self) -> String {
        "FlattenSettings {}".to_string()
    }

    fn formula(&self) -> &'static str {
        "every value of an element in one row"
    }
}

impl_component!(Flatten);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::place;
    use burn::backend::NdArray;
    use percept_catalogue::Signal;

    #[test]
    fn flattens_images_in_the_users_order() {
        let flatten = Flatten::<NdArray>::new(
            Meta::new("f", "Flatten", 1, Signal::new([4])),
            FlattenSettings {},
            &[],
            &place(),
        );
        // One image [h 1, w 2, c 2] stored channels first: channel 0 = [1, 2], channel 1 = [10, 20].
        let x = Tensor::<NdArray, 1>::from_floats([1.0, 2.0, 10.0, 20.0], &Default::default())
            .reshape([1, 2, 1, 2]);
        let y = flatten.forward(x);
        // Row-major over (h, w, c): pixel 0 channels 0 1, pixel 1 channels 0 1.
        assert_eq!(
            y.into_data().to_vec::<f32>().unwrap(),
            [1.0, 10.0, 2.0, 20.0]
        );
    }
}
