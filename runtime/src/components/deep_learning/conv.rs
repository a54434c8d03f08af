//! `Conv`: a 2-D convolution over `[height, width, channels]`.

use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::prelude::*;
use percept_catalogue::Signal;
use percept_catalogue::{Activation, ConvSettings, Padding};

use super::{MaxPool, activate};
use crate::component::{Builtin, Pass, Place, width, Meta, Parts, Tensors, impl_component, param_data};
use crate::error::Result;
use crate::kernels;
use crate::kernels::activation::Elementwise;
use crate::kernels::conv::Geometry;
use crate::value::Value;

/// A Conv component: burn's `Conv2d` and an activation.
#[derive(Module, Debug)]
pub struct Conv<B: Backend> {
    conv: Conv2d<B>,
    #[module(skip)]
    meta: Meta,
    #[module(skip)]
    settings: ConvSettings,
}

impl<B: Backend> Conv<B> {

    /// `activation(conv(x, W) + b)`.
    ///
    /// # Shapes
    /// - input: `[batch, channels, height, width]` (percept's layout of `[h, w, c]`)
    /// - output: `[batch, filters, out_height, out_width]`
    pub fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let (geometry, w, b) = self.operands(&x);
        let (fused, softmax) = Elementwise::split(self.settings.activation);
        let y = kernels::conv::conv(x, w, b, geometry, fused);
        if softmax {
            activate(y, Activation::Softmax)
        } else {
            y
        }
    }

    /// `pool(forward(x))` as one fused operation, for a MaxPool that alone reads this
    /// component; with `capture`, also this component's output for the first element.
    ///
    /// # Shapes
    /// - input: `[batch, channels, height, width]`
    /// - output: `[batch, filters, pooled_height, pooled_width]`, and `[1, filters,
    ///   out_height, out_width]`
    pub(crate) fn forward_pooled(
        &self,
        x: Tensor<B, 4>,
        pool: &MaxPool<B>,
        capture: bool,
    ) -> (Tensor<B, 4>, Option<Tensor<B, 4>>) {
        let (fused, softmax) = Elementwise::split(self.settings.activation);
        if softmax {
            let y = self.forward(x);
            let first = capture.then(|| y.clone().narrow(0, 0, 1));
            return (pool.forward(y), first);
        }
        let (geometry, w, b) = self.operands(&x);
        let window = pool.window(geometry.output());
        let pooled = kernels::conv_pool::conv_pool(x, w, b, geometry, fused, window, capture);
        (pooled.output, pooled.first_conv)
    }

    /// The geometry over `x`, the weights and the bias.
    fn operands(&self, x: &Tensor<B, 4>) -> (Geometry, Tensor<B, 4>, Tensor<B, 1>) {
        let [_, channels, height, width] = x.dims();
        let geometry = Geometry::new(
            [channels, height, width],
            self.settings.filters,
            self.settings.kernel,
            self.settings.stride,
            self.settings.padding,
        );
        let w = self.conv.weight.val();
        // percept's Conv always has a bias; a record without one adds zeros.
        let b = match &self.conv.bias {
            Some(b) => b.val(),
            None => Tensor::zeros([self.settings.filters], &w.device()),
        };
        (geometry, w, b)
    }

}

impl<B: Backend> Builtin<B> for Conv<B> {
    type Settings = ConvSettings;

    fn new(meta: Meta, settings: ConvSettings, inputs: &[Signal], place: &Place<'_, B>) -> Self {
        let padding = match settings.padding {
            // burn's Same matches TensorFlow's (the extra zero, if any, after), for any stride.
            Padding::Same => PaddingConfig2d::Same,
            Padding::Valid => PaddingConfig2d::Valid,
        };
        let conv = Conv2dConfig::new([width(inputs, 0), settings.filters], [settings.kernel; 2])
            .with_stride([settings.stride; 2])
            .with_padding(padding)
            .init(place.device);
        Conv {
            conv,
            meta,
            settings,
        }
    }

    fn forward_value(&self, inputs: &[&Value<B>], _pass: Pass) -> Result<Value<B>> {
        let x = inputs[0];
        Ok(self.forward(x.tensor::<4>(&self.meta.instance)?).into())
    }
}

impl<B: Backend> Parts for Conv<B> {
    fn meta(&self) -> &Meta {
        &self.meta
    }

    fn weight_tensors(&self) -> Tensors {
        Tensors::from([("W".to_string(), param_data(&self.conv.weight))])
    }

    fn bias_tensors(&self) -> Tensors {
        self.conv
            .bias
            .iter()
            .map(|b| ("b".to_string(), param_data(b)))
            .collect()
    }

    fn describe(&self) -> String {
        format!("{:#?}", self.settings)
    }

    fn formula(&self) -> &'static str {
        "y = activation(conv2d(x, W, stride, padding) + b)"
    }
}

impl_component!(Conv);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::place;
    use burn::backend::NdArray;
    use burn::module::Param;
    use percept_catalogue::Signal;

    fn conv(settings: ConvSettings) -> Conv<NdArray> {
        let device = Default::default();
        let mut conv = Conv::<NdArray>::new(
            Meta::new("c", "Conv", 1, Signal::new([1])),
            settings,
            &[Signal::new([1])],
            &place(),
        );
        // A 3x3 kernel of ones and no bias: each output sums its window.
        conv.conv.weight = Param::from_tensor(Tensor::ones([1, 1, 3, 3], &device));
        conv.conv.bias = Some(Param::from_tensor(Tensor::zeros([1], &device)));
        conv
    }

    fn image() -> Tensor<NdArray, 4> {
        // 4x4 image of 1..=16.
        Tensor::<NdArray, 1>::from_floats(
            [
                1., 2., 3., 4., 5., 6., 7., 8., 9., 10., 11., 12., 13., 14., 15., 16.,
            ],
            &Default::default(),
        )
        .reshape([1, 1, 4, 4])
    }

    #[test]
    fn valid_sums_each_window() {
        let c = conv(ConvSettings {
            padding: Padding::Valid,
            ..ConvSettings::new(1, 3)
        });
        let y = c.forward(image());
        assert_eq!(y.dims(), [1, 1, 2, 2]);
        // top-left window 1+2+3+5+6+7+9+10+11 = 54
        assert_eq!(y.into_data().to_vec::<f32>().unwrap(), [54., 63., 90., 99.]);
    }

    #[test]
    fn same_pads_with_zeros() {
        let c = conv(ConvSettings::new(1, 3));
        let y = c.forward(image());
        assert_eq!(y.dims(), [1, 1, 4, 4]);
        // corner: 1+2+5+6 = 14
        assert_eq!(y.into_data().to_vec::<f32>().unwrap()[0], 14.0);
    }

    #[test]
    fn same_with_stride_two() {
        let c = conv(ConvSettings {
            stride: 2,
            ..ConvSettings::new(1, 3)
        });
        let y = c.forward(image());
        assert_eq!(y.dims(), [1, 1, 2, 2]);
        // TensorFlow pads 0 before and 1 after: first window rows 0..3, cols 0..3 = 54.
        assert_eq!(y.into_data().to_vec::<f32>().unwrap()[0], 54.0);
    }

    #[test]
    fn applies_the_activation() {
        let c = conv(
            ConvSettings {
                padding: Padding::Valid,
                ..ConvSettings::new(1, 3)
            }
            .with_activation(Activation::Tanh),
        );
        let y = c.forward(image()).into_data().to_vec::<f32>().unwrap();
        assert!(y.iter().all(|v| (*v - 1.0).abs() < 1e-6));
    }
}
