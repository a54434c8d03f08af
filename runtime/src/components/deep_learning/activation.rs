//! Applying an [`Activation`] to a batch.

use burn::prelude::*;
use burn::tensor::activation;
use percept_catalogue::Activation;

use crate::kernels;
use crate::value::last_user_axis;

/// `activation(x)`, with Softmax over the user's last axis (features, or an image's channels).
pub(crate) fn activate<B: Backend, const D: usize>(
    x: Tensor<B, D>,
    activation: Activation,
) -> Tensor<B, D> {
    match activation {
        Activation::None => x,
        Activation::Relu => activation::relu(x),
        Activation::Sigmoid => activation::sigmoid(x),
        Activation::Tanh => activation::tanh(x),
        Activation::Softmax => kernels::activation::softmax(x, last_user_axis(D)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::NdArray;

    #[test]
    fn computes_each_activation() {
        let x = Tensor::<NdArray, 2>::from_floats([[-1.0, 0.0, 2.0]], &Default::default());
        let values = |a| activate(x.clone(), a).into_data().to_vec::<f32>().unwrap();
        assert_eq!(values(Activation::None), [-1.0, 0.0, 2.0]);
        assert_eq!(values(Activation::Relu), [0.0, 0.0, 2.0]);
        let s = values(Activation::Sigmoid);
        assert!((s[1] - 0.5).abs() < 1e-6 && (s[2] - 0.880_797).abs() < 1e-5);
        let t = values(Activation::Tanh);
        assert!((t[0] + 0.761_594).abs() < 1e-5);
        let p = values(Activation::Softmax);
        // e^-1, e^0, e^2 normalised.
        let total = (-1f32).exp() + 1.0 + 2f32.exp();
        assert!((p[2] - 2f32.exp() / total).abs() < 1e-6);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
    }

    #[test]
    fn softmax_of_images_runs_over_channels() {
        // [batch 1, channels 2, h 1, w 1]
        let x = Tensor::<NdArray, 4>::from_floats([[[[0.0]], [[0.0]]]], &Default::default());
        let p = activate(x, Activation::Softmax)
            .into_data()
            .to_vec::<f32>()
            .unwrap();
        assert_eq!(p, [0.5, 0.5]);
    }
}
