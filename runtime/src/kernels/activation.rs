//! The element-wise activations that the kernels fuse into their products.
//!
//! Each derivative is written in terms of the activation's *output*, so a kernel keeps only
//! its output for the backward pass, never its input.

use burn::prelude::*;
use percept_catalogue::Activation;

use super::host::{self, Host, Mode, cast, on_cpu};

use multiversion::multiversion;

/// An activation applied value by value: the ones a kernel can fuse. (Softmax couples the
/// values of a row, so it runs after the kernel: [`softmax`].)
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
/// Softmax of `x` over `axis`. For inference on the CPU backends over the last axis, one pass
/// per row on the host: burn's operation runs five operations, each allocating a tensor,
/// which took a fifth of a batch-1 prediction of the MLP. Elsewhere (training, CUDA, another
/// axis) burn's operation.
pub(crate) fn softmax<B: Backend, const D: usize>(x: Tensor<B, D>, axis: usize) -> Tensor<B, D> {
    if axis + 1 == D {
        on_cpu!(B, |I, mode| match mode {
            Mode::Plain => cast(softmax_rows::<I, D>(cast(x))),
            Mode::Tracked => burn::tensor::activation::softmax(x, axis),
        });
    }
    burn::tensor::activation::softmax(x, axis)
}

/// Softmax over each row (the last axis) of `x`, as burn computes it: `e^(x - max)` over
/// its sum.
fn softmax_rows<I: Host, const D: usize>(x: Tensor<I, D>) -> Tensor<I, D> {
    let (dims, device) = (x.dims(), x.device());
    let mut values = I::take(host::primitive(x));
    for row in values.chunks_exact_mut(dims[D - 1].max(1)) {
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut sum = 0.0;
        for v in row.iter_mut() {
            *v = (*v - max).exp();
            sum += *v;
        }
        row.iter_mut().for_each(|v| *v /= sum);
    }
    host::tensor(values, dims, &device)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::testing::{assert_close, on_each_cpu_backend, random};

    fn softmax_matches_burn<I: Host>() {
        let device = Default::default();
        for dims in [[1, 10], [3, 1], [5, 17], [128, 10]] {
            // Values up to 40 apart: large enough that a softmax without its maximum
            // subtracted would overflow.
            let x = random::<I, 2>(dims, 7, &device) * 20.0;
            let ours = softmax(x.clone(), 1);
            let burns = burn::tensor::activation::softmax(x, 1);
            assert_close(&format!("softmax of {dims:?}"), "output", ours, burns, 1e-6);
        }
        // Over another axis than the last, burn's operation.
        let x = random::<I, 3>([2, 3, 4], 8, &device);
        let ours = softmax(x.clone(), 1);
        assert_close(
            "softmax over the middle axis",
            "output",
            ours,
            burn::tensor::activation::softmax(x, 1),
            0.0,
        );
    }

    on_each_cpu_backend!(softmax_matches_burn);
}
