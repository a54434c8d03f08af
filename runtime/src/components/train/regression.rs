//! `Regression`: mean squared error and R².

use std::marker::PhantomData;

use burn::prelude::*;
use percept_catalogue::{RegressionSettings, Signal};

use super::BatchLoss;
use crate::component::{Builtin, Meta, Parts, Pass, Place, impl_component};
use crate::error::Result;
use crate::value::Value;

/// A Regression component.
#[derive(Module, Debug)]
pub struct Regression<B: Backend> {
    backend: PhantomData<B>,
    #[module(skip)]
    meta: Meta,
    #[module(skip)]
    settings: RegressionSettings,
}

impl<B: Backend> Regression<B> {
    /// The settings.
    pub fn settings(&self) -> &RegressionSettings {
        &self.settings
    }

    /// The mean squared error, and the sums R² needs.
    ///
    /// # Shapes
    /// - prediction and targets: `[batch, values]`
    pub fn forward(
        &self,
        prediction: Tensor<B, 2>,
        targets: Tensor<B, 2>,
    ) -> BatchLoss<B> {
        let squared = (prediction - targets.clone()).powi_scalar(2);
        let loss = squared.clone().mean();
        let count = targets.dims().iter().product::<usize>() as f32;
        let device = targets.device();
        let sums = Tensor::cat(
            vec![
                squared.sum().detach(),
                targets.clone().sum(),
                targets.powi_scalar(2).sum(),
                Tensor::from_floats([count], &device),
            ],
            0,
        );
        BatchLoss { loss, sums }
    }

    pub(crate) fn loss_value(
        &self,
        prediction: &Value<B>,
        targets: &Value<B>,
    ) -> Result<BatchLoss<B>> {
        let this = &self.meta.instance;
        // Both sides share percept's layout, so comparing them value by value in that layout
        // is the same as in the user's.
        let flat = |v: &Value<B>| -> Result<Tensor<B, 2>> {
            Ok(match v.rank() {
                1 => v.tensor::<1>(this)?.reshape([-1, 1]),
                2 => v.tensor::<2>(this)?,
                3 => v.tensor::<3>(this)?.flatten(1, 2),
                _ => v.tensor::<4>(this)?.flatten(1, 3),
            })
        };
        Ok(self.forward(flat(prediction)?, flat(targets)?))
    }
}

impl<B: Backend> Builtin<B> for Regression<B> {
    type Settings = RegressionSettings;

    fn new(meta: Meta, settings: RegressionSettings, _inputs: &[Signal], _place: &Place<'_, B>) -> Self {
        Regression {
            backend: PhantomData,
            meta,
            settings,
        }
    }

    /// The loss of the prediction (the first input) against the labels (the second).
    fn forward_value(&self, inputs: &[&Value<B>], _pass: Pass) -> Result<Value<B>> {
        Ok(self.loss_value(inputs[0], inputs[1])?.loss.into())
    }
}

impl<B: Backend> Parts for Regression<B> {
    fn meta(&self) -> &Meta {
        &self.meta
    }

    fn describe(&self) -> String {
        format!("{:#?}", self.settings)
    }

    fn formula(&self) -> &'static str {
        "loss = mean((prediction - targets)^2); R² = 1 - SS_res / SS_tot"
    }
}

impl_component!(Regression);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::place;
    use crate::components::train::MetricSums;
    use burn::backend::NdArray;
    use percept_catalogue::Signal;

    #[test]
    fn mean_squared_error_and_r_squared() {
        let device = Default::default();
        let r = Regression::<NdArray>::new(
            Meta::new("t", "Regression", 1, Signal::new([])),
            Default::default(),
            &[],
            &place(),
        );
        let prediction = Tensor::<NdArray, 2>::from_floats([[1.0], [2.0], [4.0]], &device);
        let targets = Tensor::<NdArray, 2>::from_floats([[1.0], [2.0], [3.0]], &device);
        let (loss, sums) = r.forward(prediction, targets).read();
        assert!((loss - 1.0 / 3.0).abs() < 1e-6);
        let mut metric = MetricSums::default();
        metric.add(loss, &sums, 3);
        // SS_res 1, SS_tot 2 -> R² 0.5
        assert!((metric.metric() - 0.5).abs() < 1e-6);
    }
}
