//! The element-wise activations that the kernels fuse into their products.
//!
//! Each derivative is written in terms of the activation's *output*, so a kernel keeps only
//! its output for the backward pass, never its input.

use burn::prelude::*;
use percept_catalogue::Activation;

use multiversion::multiversion;

/// An activation applied value by value: the ones a kernel can fuse. (Softmax couples the
/// values of a row, so it runs after the kernel, as burn's operation.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Elementwise {
    /// The identity.
    None,
    /// `max(0, x)`.
    Relu,
    /// `1 / (1 + e^-x)`.
    Sigmoid,
    /// `tanh(x)`.
    Tanh,
}

impl Elementwise {
    /// The fusable part of `activation`, and whether a Softmax remains to apply after it.
    pub fn split(activation: Activation) -> (Self, bool) {
        match activation {
            Activation::None => (Elementwise::None, false),
            Activation::Relu => (Elementwise::Relu, false),
            Activation::Sigmoid => (Elementwise::Sigmoid, false),
            Activation::Tanh => (Elementwise::Tanh, false),
            Activation::Softmax => (Elementwise::None, true),
        }
    }

    /// Adds `bias` to each row of `values` (rows as long as `bias`) and applies the
    /// activation, in place and in one pass: what follows a product computed without its
    /// bias.
    pub fn apply_with_bias(self, values: &mut [f32], bias: &[f32]) {
        apply_with_bias(self, values, bias);
    }

    /// The activation of one value.
    #[inline(always)]
    pub fn apply(self, v: f32) -> f32 {
        match self {
            Elementwise::None => v,
            Elementwise::Relu => v.max(0.0),
            Elementwise::Sigmoid => 1.0 / (1.0 + (-v).exp()),
            Elementwise::Tanh => v.tanh(),
        }
    }

    /// Applies the activation to each of `values`, in place (one loop per activation, each
    /// with its function inlined).
    #[inline(always)]
    pub fn apply_each(self, values: &mut [f32]) {
        match self {
            Elementwise::None => {}
            Elementwise::Relu => values.iter_mut().for_each(|v| *v = Self::Relu.apply(*v)),
            Elementwise::Sigmoid => values.iter_mut().for_each(|v| *v = Self::Sigmoid.apply(*v)),
            Elementwise::Tanh => values.iter_mut().for_each(|v| *v = Self::Tanh.apply(*v)),
        }
    }

    /// Applies the activation to a tensor with burn's operations: the reference the kernels
    /// are tested against, and what runs on other backends.
    pub fn on_tensor<B: Backend, const D: usize>(self, z: Tensor<B, D>) -> Tensor<B, D> {
        match self {
            Elementwise::None => z,
            Elementwise::Relu => burn::tensor::activation::relu(z),
            Elementwise::Sigmoid => burn::tensor::activation::sigmoid(z),
            Elementwise::Tanh => burn::tensor::activation::tanh(z),
        }
    }

    /// The derivative at the point whose output was `y`.
    #[inline]
    pub fn derivative(self, y: f32) -> f32 {
        match self {
            Elementwise::None => 1.0,
            Elementwise::Relu => {
                if y > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Elementwise::Sigmoid => y * (1.0 - y),
            Elementwise::Tanh => 1.0 - y * y,
        }
    }

    /// Turns the gradient of the outputs `grad` into that of the inputs, in place: each
    /// value times the derivative at its output in `output`.
    #[inline(always)]
    pub fn backward(self, output: &[f32], grad: &mut [f32]) {
        match self {
            Elementwise::None => {}
            // A select, not a branch: which values are positive is data.
            Elementwise::Relu => grad
                .iter_mut()
                .zip(output)
                .for_each(|(g, &y)| *g = if y > 0.0 { *g } else { 0.0 }),
            _ => grad
                .iter_mut()
                .zip(output)
                .for_each(|(g, &y)| *g *= self.derivative(y)),
        }
    }
}

/// [`Elementwise::apply_with_bias`], compiled for AVX-512 or AVX2 where the processor has them.
#[cfg_attr(
    feature = "avx512",
    multiversion(targets("x86_64+avx512f", "x86_64+avx2+fma"))
)]
#[cfg_attr(not(feature = "avx512"), multiversion(targets("x86_64+avx2+fma")))]
fn apply_with_bias(activation: Elementwise, values: &mut [f32], bias: &[f32]) {
    #[inline(always)]
    fn each(values: &mut [f32], bias: &[f32], f: impl Fn(f32) -> f32) {
        for row in values.chunks_exact_mut(bias.len()) {
            row.iter_mut().zip(bias).for_each(|(v, b)| *v = f(*v + b));
        }
    }
    // One loop per activation, each with its function inlined.
    match activation {
        Elementwise::None => each(values, bias, |v| v),
        Elementwise::Relu => each(values, bias, |v| Elementwise::Relu.apply(v)),
        Elementwise::Sigmoid => each(values, bias, |v| Elementwise::Sigmoid.apply(v)),
        Elementwise::Tanh => each(values, bias, |v| Elementwise::Tanh.apply(v)),
    }
}
