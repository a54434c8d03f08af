//! `BatchNorm`: batch normalisation of features or image channels.

use burn::nn::BatchNormConfig;
use burn::prelude::*;
use percept_catalogue::Signal;
use percept_catalogue::BatchNormSettings;

use crate::component::{Builtin, Pass, Place, width, Meta, Parts, Tensors, impl_component, param_data};
use crate::error::Result;
use crate::value::Value;

/// A BatchNorm component: burn's `BatchNorm`. It normalises with the batch's statistics while
/// training (and updates its running statistics), and with the running statistics otherwise.
#[derive(Module, Debug)]
pub struct BatchNorm<B: Backend> {
    norm: burn::nn::BatchNorm<B>,
    #[module(skip)]
    meta: Meta,
    #[module(skip)]
    settings: BatchNormSettings,
}

impl<B: Backend> BatchNorm<B> {

    /// `gamma * (x - mean) / sqrt(var + epsilon) + beta`, over the features or channels.
    ///
    /// # Shapes
    /// - input and output: `[batch, features]` or `[batch, channels, height, width]`
    pub fn forward<const D: usize>(&self, x: Tensor<B, D>, is_training: bool) -> Tensor<B, D> {
        if is_training {
            // burn uses the batch's statistics on a backend with autodiff.
            return self.norm.forward(x);
        }
        // burn would use the batch's statistics whenever the backend has autodiff, so a
        // preview or validation pass on the training backend computes inference here.
        let mut shape = [1; D];
        shape[1] = x.dims()[1];
        let device = x.device();
        let mean = self
            .norm
            .running_mean
            .value_sync()
            .to_device(&device)
            .reshape(shape);
        let var = self
            .norm
            .running_var
            .value_sync()
            .to_device(&device)
            .reshape(shape);
        let gamma = self.norm.gamma.val().reshape(shape);
        let beta = self.norm.beta.val().reshape(shape);
        (x - mean)
            .div(var.add_scalar(self.settings.epsilon).sqrt())
            .mul(gamma)
            .add(beta)
    }

}

impl<B: Backend> Builtin<B> for BatchNorm<B> {
    type Settings = BatchNormSettings;

    fn new(meta: Meta, settings: BatchNormSettings, inputs: &[Signal], place: &Place<'_, B>) -> Self {
        let norm = BatchNormConfig::new(width(inputs, 0))
            .with_momentum(settings.momentum)
            .with_epsilon(settings.epsilon)
            .init(place.device);
        BatchNorm {
            norm,
            meta,
            settings,
        }
    }

    fn forward_value(&self, inputs: &[&Value<B>], pass: Pass) -> Result<Value<B>> {
        let x = inputs[0];
        let this = &self.meta.instance;
        Ok(match x.rank() {
            2 => self.forward(x.tensor::<2>(this)?, pass.is_training).into(),
            _ => self.forward(x.tensor::<4>(this)?, pass.is_training).into(),
        })
    }
}

impl<B: Backend> Parts for BatchNorm<B> {
    fn meta(&self) -> &Meta {
        &self.meta
    }

    fn weight_tensors(&self) -> Tensors {
        Tensors::from([("gamma".to_string(), param_data(&self.norm.gamma))])
    }

    fn bias_tensors(&self) -> Tensors {
        Tensors::from([("beta".to_string(), param_data(&self.norm.beta))])
    }

    fn state_tensors(&self) -> Tensors {
        Tensors::from([
            (
                "running_mean".to_string(),
                self.norm.running_mean.value_sync().into_data(),
            ),
            (
                "running_var".to_string(),
                self.norm.running_var.value_sync().into_data(),
            ),
        ])
    }

    fn describe(&self) -> String {
        format!("{:#?}", self.settings)
    }

    fn formula(&self) -> &'static str {
        "y = gamma * (x - mean) / sqrt(var + epsilon) + beta"
    }
}

impl_component!(BatchNorm);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::place;
    use burn::backend::{Autodiff, NdArray};
    use percept_catalogue::Signal;

    #[test]
    fn normalises_each_feature_over_the_batch() {
        let device = Default::default();
        let bn = BatchNorm::<Autodiff<NdArray>>::new(
            Meta::new("bn", "BatchNorm", 1, Signal::new([2])),
            BatchNormSettings::default(),
            &[Signal::new([2])],
            &place(),
        );
        let x = Tensor::<Autodiff<NdArray>, 2>::from_floats([[1.0, 10.0], [3.0, 30.0]], &device);
        let y = bn
            .forward(x.clone(), true)
            .into_data()
            .to_vec::<f32>()
            .unwrap();
        // mean [2, 20], biased variance [1, 100]: each feature becomes [-1, 1].
        for (got, want) in y.iter().zip([-1.0, -1.0, 1.0, 1.0]) {
            assert!((got - want).abs() < 1e-3, "{y:?}");
        }
        // The running statistics moved by momentum 0.1 from (0, 1) towards (mean, var).
        let mean = bn
            .norm
            .running_mean
            .value_sync()
            .into_data()
            .to_vec::<f32>()
            .unwrap();
        assert!(
            (mean[0] - 0.2).abs() < 1e-5 && (mean[1] - 2.0).abs() < 1e-5,
            "{mean:?}"
        );
        // Inference uses them: (1 - 0.2) / sqrt(0.1 * 1 + 0.9 * 1 + eps)
        let y = bn.forward(x, false).into_data().to_vec::<f32>().unwrap();
        assert!((y[0] - 0.8).abs() < 1e-3, "{y:?}");
    }
}
