//! `Dropout`: zeroes a random fraction of the values while training.

use burn::nn::DropoutConfig;
use std::marker::PhantomData;

use burn::prelude::*;
use percept_catalogue::Signal;
use percept_catalogue::DropoutSettings;

use crate::component::{Builtin, Pass, Place, Meta, Parts, impl_component};
use crate::error::Result;
use crate::value::{Value, by_rank};

/// A Dropout component, active only while training: percept's kernel on the CPU backends
/// (`kernels::dropout`), burn's `Dropout` elsewhere.
#[derive(Module, Debug)]
pub struct Dropout<B: Backend> {
    backend: PhantomData<B>,
    dropout: burn::nn::Dropout,
    #[module(skip)]
    meta: Meta,
    #[module(skip)]
    settings: DropoutSettings,
}

impl<B: Backend> Dropout<B> {

    /// While training, zeroes each value with probability `rate` and scales the others by
    /// `1 / (1 - rate)`; otherwise returns `x`. (burn also leaves `x` unchanged on a backend
    /// without autodiff, as in previews.)
    ///
    /// # Shapes
    /// - input and output: `[batch, ...]`
    pub fn forward<const D: usize>(
        &self,
        x: Tensor<B, D>,
        is_training: bool,
    ) -> Tensor<B, D> {
        if is_training {
            crate::kernels::dropout::dropout(x, self.dropout.prob)
        } else {
            x
        }
    }

}

impl<B: Backend> Builtin<B> for Dropout<B> {
    type Settings = DropoutSettings;

    fn new(meta: Meta, settings: DropoutSettings, _inputs: &[Signal], _place: &Place<'_, B>) -> Self {
        Dropout {
            backend: PhantomData,
            dropout: DropoutConfig::new(settings.rate).init(),
            meta,
            settings,
        }
    }

    fn forward_value(&self, inputs: &[&Value<B>], pass: Pass) -> Result<Value<B>> {
        let x = inputs[0];
        Ok(by_rank!(x, &self.meta.instance, |t| self.forward(t, pass.is_training)))
    }
}

impl<B: Backend> Parts for Dropout<B> {
    fn meta(&self) -> &Meta {
        &self.meta
    }

    fn describe(&self) -> String {
        format!("{:#?}", self.settings)
    }

    fn formula(&self) -> &'static str {
        "y = x * mask / (1 - rate) while training, x otherwise"
    }
}

impl_component!(Dropout);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::place;
    use burn::backend::{Autodiff, NdArray};
    use percept_catalogue::Signal;

    #[test]
    fn zeroes_about_rate_while_training_only() {
        let d = Dropout::<Autodiff<NdArray>>::new(
            Meta::new("d", "Dropout", 1, Signal::new([1000])),
            DropoutSettings { rate: 0.25 },
            &[],
            &place(),
        );
        let device = Default::default();
        let x = Tensor::<Autodiff<NdArray>, 2>::ones([1, 1000], &device);
        let y = d
            .forward(x.clone(), true)
            .into_data()
            .to_vec::<f32>()
            .unwrap();
        let zeros = y.iter().filter(|v| **v == 0.0).count();
        assert!((150..350).contains(&zeros), "{zeros} zeros");
        assert!(
            y.iter()
                .all(|v| *v == 0.0 || (*v - 1.0 / 0.75).abs() < 1e-6)
        );
        let y = d.forward(x, false).into_data().to_vec::<f32>().unwrap();
        assert!(y.iter().all(|v| *v == 1.0));
    }
}
