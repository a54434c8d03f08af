//! `Regression`: mean squared error and R².

use burn::prelude::*;
use percept_catalogue::RegressionSettings;

use super::BatchLoss;
use crate::component::{Meta, Parts, impl_component};
use crate::error::Result;
use crate::value::Value;

/// A Regression component.
#[derive(Module, Debug, Clone)]
pub struct Regression {
    #[module(skip)]
    meta: Meta,
    #[module(skip)]
    settings: RegressionSettings,
}

impl Regression {
    /// A Regression component.
    pub fn new(meta: Meta, settings: RegressionSettings) -> Self {
        Regression { meta, settings }
    }

    /// The settings.
    pub fn settings(&self) -> &RegressionSettings {
        &self.settings
    }

    /// The mean squared error, and the sums R² needs.
    ///
    /// # Shapes
    /// - prediction and targets: `[batch, values]`
    pub fn forward<B: Backend>(
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

    pub(crate) fn forward_value<B: Backend>(
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

impl Parts for Regression {
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

impl_component!(Regression, "Train", "Regression");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::train::MetricSums;
    use burn::backend::NdArray;
    use percept_catalogue::Signal;

    #[test]
    fn mean_squared_error_and_r_squared() {
        let device = Default::default();
        let r = Regression::new(
            Meta::new("t", "Regression", 1, Signal::new([])),
            Default::default(),
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
