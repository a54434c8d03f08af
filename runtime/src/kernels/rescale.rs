//! Rescale's `x * scale + offset` in one pass, on both cores, into a reused buffer.
//!
//! burn-ndarray's `mul_scalar` first copies an input that anything else holds (a batch that
//! the step's values keep), then multiplies, and `add_scalar` makes a third pass: three passes
//! over a batch of MNIST images a step, on one core while the other waited.

use std::sync::Arc;

use burn::backend::Autodiff;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops};
use burn::prelude::*;
use rayon::prelude::*;

use super::host::{self, Host, Mode, cast, on_cpu};
use super::workspace::buffer;

/// `x * scale + offset`: the kernel on the CPU backends, burn's operations elsewhere.
pub(crate) fn rescale<B: Backend, const D: usize>(
    x: Tensor<B, D>,
    scale: f32,
    offset: f32,
) -> Tensor<B, D> {
    on_cpu!(B, |I, mode| match mode {
        Mode::Plain => cast(plain::<I, D>(cast(x), scale, offset)),
        Mode::Tracked => cast(tracked::<I, D>(cast(x), scale, offset)),
    });
    reference(x, scale, offset)
}

/// The same with burn's operations.
pub(crate) fn reference<B: Backend, const D: usize>(
    x: Tensor<B, D>,
    scale: f32,
    offset: f32,
) -> Tensor<B, D> {
    x.mul_scalar(scale).add_scalar(offset)
}

/// Values per rayon task.
const CHUNK: usize = 1 << 14;

/// `values[i] * scale + offset`, a multiplication then an addition as burn rounds them.
fn affine(values: &[f32], scale: f32, offset: f32) -> Vec<f32> {
    let mut out = buffer(values.len()).into_vec();
    let run = |out: &mut [f32], values: &[f32]| {
        for (o, v) in out.iter_mut().zip(values) {
            *o = v * scale + offset;
        }
    };
    if values.len() <= CHUNK {
        // One chunk (one element to predict): handed to rayon from outside its pool, it
        // would wait for a worker to wake, 20 us and more.
        run(&mut out, values);
    } else {
        out.par_chunks_mut(CHUNK)
            .zip(values.par_chunks(CHUNK))
            .for_each(|(out, values)| run(out, values));
    }
    out
}

fn plain<I: Host, const D: usize>(x: Tensor<I, D>, scale: f32, offset: f32) -> Tensor<I, D> {
    let dims = x.dims();
    let device = x.device();
    let y = affine(&I::slice(&host::primitive(x)), scale, offset);
    host::tensor::<I, D>(y, dims, &device)
}

/// The scale and the input's dimensions.
#[derive(Debug)]
struct Saved {
    scale: f32,
    dims: Vec<usize>,
}

#[derive(Debug)]
struct RescaleBackward;

impl<I: Host> Backward<I, 1> for RescaleBackward {
    type State = Arc<Saved>;

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        host::backward_one::<I, _>(
            ops,
            grads,
            |s| s.dims.clone(),
            |s, grad| affine(grad, s.scale, 0.0),
        );
    }
}

fn tracked<I: Host, const D: usize>(
    x: Tensor<Autodiff<I>, D>,
    scale: f32,
    offset: f32,
) -> Tensor<Autodiff<I>, D> {
    let dims = x.dims();
    let device = x.device();
    let x = host::tracked(x);
    let y = affine(&I::slice(&x.primitive), scale, offset);
    let out = host::primitive(host::tensor::<I, D>(y, dims, &device));
    let saved = Arc::new(Saved {
        scale,
        dims: dims.to_vec(),
    });
    host::record(RescaleBackward, [&x], saved, out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::testing::{assert_close, on_each_cpu_backend, output_and_grad, random};

    /// One chunk, several and a short last one, a permuted input: the same bits as burn's.
    fn matches_burn<I: Host>() {
        let device = Default::default();
        for dims in [[2, 3, 5], [64, 28, 28], [3, 100, 70]] {
            for x in [
                random::<I, 3>(dims, 1, &device),
                random::<I, 3>([dims[2], dims[1], dims[0]], 2, &device).permute([2, 1, 0]),
            ] {
                let case = format!("{:?}", x.dims());
                let (scale, offset) = (1.0 / 255.0, -0.5);
                let (y, dx) = output_and_grad(&x, |x| rescale(x, scale, offset));
                let (burns_y, burns_dx) = output_and_grad(&x, |x| reference(x, scale, offset));
                assert_close(&case, "output", y, burns_y, 0.0);
                assert_close(&case, "dx", dx, burns_dx, 0.0);
                let plain = rescale(x.clone(), scale, offset);
                assert_close(&case, "plain", plain, reference(x, scale, offset), 0.0);
            }
        }
    }

    on_each_cpu_backend!(matches_burn);
}
