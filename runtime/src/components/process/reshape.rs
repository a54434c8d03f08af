//! `Reshape`: the same values in another per-element shape.

use std::marker::PhantomData;

use burn::prelude::*;
use percept_catalogue::Signal;
use percept_catalogue::ReshapeSettings;

use crate::component::{Builtin, Pass, Place, Meta, Parts, impl_component};
use crate::error::Result;
use crate::kernels::reshape::reshape;
use crate::value::{Value, from_user_axes, to_user_axes};

/// A Reshape component. Values keep their order in the user's layout (row-major
/// `[height, width, channels]`), as TensorFlow's reshape does.
#[derive(Module, Debug)]
pub struct Reshape<B: Backend> {
    backend: PhantomData<B>,
    #[module(skip)]
    meta: Meta,
    #[module(skip)]
    settings: ReshapeSettings,
}

impl<B: Backend> Reshape<B> {

    /// Reshapes a batch.
    ///
    /// # Shapes
    /// - input: `[batch, ...]` of rank `I`
    /// - output: `[batch, ...shape]` of rank `O` = `shape.len() + 1`
    pub fn forward<const I: usize, const O: usize>(
        &self,
        x: Tensor<B, I>,
    ) -> Tensor<B, O> {
        let batch = x.dims()[0];
        let target = self.settings.shape.dims();
        let dims: [usize; O] = std::array::from_fn(|i| if i == 0 { batch } else { target[i - 1] });
        reshape(x.permute(to_user_axes::<I>()), dims).permute(from_user_axes::<O>())
    }

    fn reshape_from<const I: usize>(&self, x: Tensor<B, I>) -> Value<B> {
        match self.settings.shape.rank() {
            0 => self.forward::<I, 1>(x).into(),
            1 => self.forward::<I, 2>(x).into(),
            2 => self.forward::<I, 3>(x).into(),
            _ => self.forward::<I, 4>(x).into(),
        }
    }
}

impl<B: Backend> Builtin<B> for Reshape<B> {
    type Settings = ReshapeSettings;

    fn new(meta: Meta, settings: ReshapeSettings, _inputs: &[Signal], _place: &Place<'_, B>) -> Self {
        Reshape {
            backend: PhantomData, meta, settings }
    }

    fn forward_value(&self, inputs: &[&Value<B>], _pass: Pass) -> Result<Value<B>> {
        let x = inputs[0];
        let this = &self.meta.instance;
        Ok(match x.rank() {
            1 => self.reshape_from::<1>(x.tensor(this)?),
            2 => self.reshape_from::<2>(x.tensor(this)?),
            3 => self.reshape_from::<3>(x.tensor(this)?),
            _ => self.reshape_from::<4>(x.tensor(this)?),
        })
    }
}

impl<B: Backend> Parts for Reshape<B> {
    fn meta(&self) -> &Meta {
        &self.meta
    }

    fn describe(&self) -> String {
        format!("{:#?}", self.settings)
    }

    fn formula(&self) -> &'static str {
        "the same values in another shape"
    }
}

impl_component!(Reshape);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::{Pass, place};

    const PASS: Pass = Pass {
        is_training: false,
        capture: false,
        logits: false,
    };
    use burn::backend::NdArray;
    use percept_catalogue::Signal;

    fn reshape(shape: &[usize]) -> Reshape<NdArray> {
        Reshape::<NdArray>::new(
            Meta::new("r", "Reshape", 1, Signal::new(shape)),
            ReshapeSettings::new(shape),
            &[],
            &place(),
        )
    }

    #[test]
    fn keeps_the_order_of_the_users_layout() {
        // [1, 4] -> [2, 1, 2] (h, w, c): channels last in the user's layout, so the values
        // 0 1 2 3 are pixel (0,0) channels 0 1, then pixel (1,0) channels 0 1.
        let x = Tensor::<NdArray, 2>::from_floats([[0.0, 1.0, 2.0, 3.0]], &Default::default());
        let y = reshape(&[2, 1, 2]).forward_value(&[&x.into()], PASS).unwrap();
        assert_eq!(y.dims(), [1, 2, 2, 1], "channels first inside");
        assert_eq!(
            y.first_element().to_vec::<f32>().unwrap(),
            [0.0, 1.0, 2.0, 3.0]
        );
        // and back to flat
        let flat = reshape(&[4]).forward_value(&[&y], PASS).unwrap();
        assert_eq!(flat.dims(), [1, 4]);
        assert_eq!(
            flat.into_user_data().to_vec::<f32>().unwrap(),
            [0.0, 1.0, 2.0, 3.0]
        );
    }

    #[test]
    fn reshapes_to_a_scalar() {
        let x = Tensor::<NdArray, 2>::from_floats([[5.0], [6.0]], &Default::default());
        let y = reshape(&[]).forward_value(&[&x.into()], PASS).unwrap();
        assert_eq!(y.dims(), [2]);
    }
}
