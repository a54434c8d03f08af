//! Reshape without copying: the same values in new dimensions, forward and backward.
//!
//! burn-ndarray's reshape copies every value, even of a tensor whose values already lie in
//! row-major order, and so does its backward pass: a Flatten before a Dense, or the Reshape
//! that turns a batch of MNIST's rows into images, copied the batch twice a step on one core
//! while the other waited. Here the output shares the input's buffer where its values lie in
//! row-major order ([`Host::reshaped`]), and the gradient goes back the same way.

use std::sync::Arc;

use burn::backend::Autodiff;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops};
use burn::prelude::*;

use super::host::{self, Host, Mode, cast, on_cpu};

/// `x` in the dimensions `dims` (as many values, row-major): without a copy on the CPU
/// backends where the values lie in row-major order, burn's reshape elsewhere.
pub(crate) fn reshape<B: Backend, const D1: usize, const D2: usize>(
    x: Tensor<B, D1>,
    dims: [usize; D2],
) -> Tensor<B, D2> {
    on_cpu!(B, |I, mode| match mode {
        Mode::Plain => {
            let x = host::primitive(cast::<_, Tensor<I, D1>>(x));
            cast(host::wrap::<I, D2>(I::reshaped(x, &dims)))
        }
        Mode::Tracked => cast(tracked::<I, D1, D2>(cast(x), dims)),
    });
    x.reshape(dims)
}

/// The input's dimensions, which the gradient takes back.
#[derive(Debug)]
struct ReshapeBackward;

impl<I: Host> Backward<I, 1> for ReshapeBackward {
    type State = Arc<Vec<usize>>;

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x] = ops.parents;
        let grad = grads.consume::<I>(&ops.node);
        if let Some(node) = node_x {
            grads.register::<I>(node.id, I::reshaped(grad, &ops.state));
        }
    }
}

fn tracked<I: Host, const D1: usize, const D2: usize>(
    x: Tensor<Autodiff<I>, D1>,
    dims: [usize; D2],
) -> Tensor<Autodiff<I>, D2> {
    let input_dims = x.dims().to_vec();
    let x = host::tracked(x);
    let out = I::reshaped(x.primitive.clone(), &dims);
    host::record(ReshapeBackward, [&x], Arc::new(input_dims), out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::testing::{assert_close, on_each_cpu_backend, output_and_grad, random};

    /// Row-major inputs (shared with the output), a permuted one (which burn's reshape
    /// copies) and a sliced one: the values and the gradients are burn's, exactly.
    fn matches_burn<I: Host>() {
        let device = Default::default();
        let x = random::<I, 4>([3, 4, 5, 2], 1, &device);
        let inputs = [
            ("row-major", x.clone()),
            ("permuted", x.clone().permute([0, 2, 3, 1])),
            ("sliced", x.clone().slice([0..3, 1..3, 0..5, 0..2])),
        ];
        for (case, x) in inputs {
            let [n, a, b, c] = x.dims();
            let (y, dx) = output_and_grad(&x, |x| reshape(x, [n, a * b * c]));
            let (burns_y, burns_dx) = output_and_grad(&x, |x| x.reshape([n, a * b * c]));
            assert_close(case, "output", y, burns_y, 0.0);
            assert_close(case, "dx", dx, burns_dx, 0.0);
            let plain = reshape(x.clone(), [n * a, b * c]);
            assert_close(
                case,
                "output (plain)",
                plain,
                x.reshape([n * a, b * c]),
                0.0,
            );
        }
    }

    on_each_cpu_backend!(matches_burn);

    #[test]
    fn ndarray_reshapes_row_major_values_in_place() {
        type I = burn::backend::NdArray;
        let x = random::<I, 3>([4, 5, 6], 1, &Default::default());
        let before = I::slice(&host::primitive(x.clone())).as_ptr();
        let y = reshape(x, [4, 30]);
        let after = I::slice(&host::primitive(y)).as_ptr();
        assert_eq!(before, after, "the same buffer");
    }
}
