//! `Dense`: a fully connected layer, `activation(x W + b)`.

use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use percept_catalogue::Signal;
use percept_catalogue::{Activation, DenseSettings};

use super::activate;
use crate::component::{Builtin, Pass, Place, width, Meta, Parts, Tensors, impl_component, param_data};
use crate::error::Result;
use crate::kernels;
use crate::kernels::activation::Elementwise;
use crate::value::Value;

/// A Dense component: burn's `Linear` and an activation.
#[derive(Module, Debug)]
pub struct Dense<B: Backend> {
    linear: Linear<B>,
    #[module(skip)]
    meta: Meta,
    #[module(skip)]
    settings: DenseSettings,
}

impl<B: Backend> Dense<B> {

    /// `activation(x W + b)`.
    ///
    /// # Shapes
    /// - input: `[batch, features]`
    /// - output: `[batch, units]`
    pub fn forward(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        let (fused, softmax) = Elementwise::split(self.settings.activation);
        let y = self.affine(x, fused);
        if softmax {
            activate(y, Activation::Softmax)
        } else {
            y
        }
    }

    /// `x W + b` without the activation: the logits a Classification trains on when the
    /// activation is Softmax.
    pub fn logits(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        self.affine(x, Elementwise::None)
    }

    /// `x W + b` and a fused element-wise activation: percept's kernel on the CPU backends.
    fn affine(&self, x: Tensor<B, 2>, activation: Elementwise) -> Tensor<B, 2> {
        let w = self.linear.weight.val();
        // percept's Dense always has a bias; a record without one adds zeros.
        let b = match &self.linear.bias {
            Some(b) => b.val(),
            None => Tensor::zeros([w.dims()[1]], &w.device()),
        };
        kernels::dense::dense(x, w, b, activation)
    }

    /// The activation.
    pub fn activation(&self) -> Activation {
        self.settings.activation
    }

}

impl<B: Backend> Builtin<B> for Dense<B> {
    type Settings = DenseSettings;

    fn new(meta: Meta, settings: DenseSettings, inputs: &[Signal], place: &Place<'_, B>) -> Self {
        let linear = LinearConfig::new(width(inputs, 0), settings.units).init(place.device);
        Dense {
            linear,
            meta,
            settings,
        }
    }

    fn forward_value(&self, inputs: &[&Value<B>], pass: Pass) -> Result<Value<B>> {
        let x = inputs[0].tensor::<2>(&self.meta.instance)?;
        Ok(if pass.logits {
            self.logits(x)
        } else {
            self.forward(x)
        }
        .into())
    }
}

impl<B: Backend> Parts for Dense<B> {
    fn meta(&self) -> &Meta {
        &self.meta
    }

    fn weight_tensors(&self) -> Tensors {
        Tensors::from([("W".to_string(), param_data(&self.linear.weight))])
    }

    fn bias_tensors(&self) -> Tensors {
        self.linear
            .bias
            .iter()
            .map(|b| ("b".to_string(), param_data(b)))
            .collect()
    }

    fn describe(&self) -> String {
        format!("{:#?}", self.settings)
    }

    fn formula(&self) -> &'static str {
        "y = activation(x W + b)"
    }
}

impl_component!(Dense);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::place;
    use crate::component::Component;
    use burn::backend::NdArray;
    use burn::module::Param;
    use percept_catalogue::Signal;

    #[test]
    fn computes_x_w_plus_b() {
        let device = Default::default();
        let mut dense = Dense::<NdArray>::new(
            Meta::new("fc", "Dense", 1, Signal::new([2])),
            DenseSettings::new(2, Activation::Relu),
            &[Signal::new([3])],
            &place(),
        );
        // W is [inputs, units] in burn.
        dense.linear.weight = Param::from_tensor(Tensor::from_floats(
            [[1.0, -1.0], [2.0, 0.0], [0.0, 3.0]],
            &device,
        ));
        dense.linear.bias = Some(Param::from_tensor(Tensor::from_floats(
            [0.5, -10.0],
            &device,
        )));
        let x = Tensor::from_floats([[1.0, 1.0, 1.0]], &device);
        // [1+2+0+0.5, -1+0+3-10] = [3.5, -8] -> relu -> [3.5, 0]
        assert_eq!(
            dense
                .forward(x.clone())
                .into_data()
                .to_vec::<f32>()
                .unwrap(),
            [3.5, 0.0]
        );
        assert_eq!(
            dense.logits(x).into_data().to_vec::<f32>().unwrap(),
            [3.5, -8.0]
        );
        assert_eq!(
            Component::<NdArray>::weights(&dense)["W"].shape.to_vec(),
            vec![3, 2]
        );
        assert_eq!(
            Component::<NdArray>::biases(&dense)["b"]
                .to_vec::<f32>()
                .unwrap(),
            [0.5, -10.0]
        );
        assert_eq!(Component::<NdArray>::trainable_variables(&dense).len(), 2);
        assert_eq!(
            Component::<NdArray>::class_name(&dense),
            "DeepLearningDense_Dense_1"
        );
        let code = Component::<NdArray>::code(&dense);
        assert!(code.contains("units: 2"), "{code}");
    }
}
