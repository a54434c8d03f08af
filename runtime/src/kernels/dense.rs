//! Dense: `activation(x W + b)` as one product with the bias and the activation fused, and its
//! backward pass (no input gradient where the input needs none, as for the first layer).

use std::sync::Arc;

use burn::backend::Autodiff;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops};
use burn::prelude::*;
use burn::tensor::ops::FloatTensor;

use super::activation::Elementwise;
use super::gemm::{MatRef, Threads, matmul};
use super::host::{self, Host, Mode, cast, on_cpu};
use super::workspace::{self, buffer};

/// `activation(x W + b)` for `x: [batch, inputs]`, `w: [inputs, units]`, `b: [units]`: the
/// kernel on the CPU backends, burn's operations elsewhere.
pub(crate) fn dense<B: Backend>(
    x: Tensor<B, 2>,
    w: Tensor<B, 2>,
    b: Tensor<B, 1>,
    activation: Elementwise,
) -> Tensor<B, 2> {
    on_cpu!(B, |I, mode| match mode {
        Mode::Plain => cast(plain::<I>(cast(x), cast(w), cast(b), activation)),
        Mode::Tracked => cast(tracked::<I>(cast(x), cast(w), cast(b), activation)),
    });
    reference(x, w, b, activation)
}

/// The same with burn's operations.
pub(crate) fn reference<B: Backend>(
    x: Tensor<B, 2>,
    w: Tensor<B, 2>,
    b: Tensor<B, 1>,
    activation: Elementwise,
) -> Tensor<B, 2> {
    let z = x.matmul(w) + b.unsqueeze();
    activation.on_tensor(z)
}

/// The sizes of one product.
#[derive(Clone, Copy, Debug)]
struct Dims {
    batch: usize,
    inputs: usize,
    units: usize,
}

/// `activation(x W + b)`, row-major `[batch, units]`.
fn forward(x: &[f32], w: &[f32], b: &[f32], dims: Dims, activation: Elementwise) -> Vec<f32> {
    let Dims {
        batch,
        inputs,
        units,
    } = dims;
    let mut y = buffer(batch * units).into_vec();
    let threads = if batch * inputs * units > 1 << 16 {
        Threads::Pool
    } else {
        Threads::One
    };
    matmul(
        &mut y,
        MatRef::rows(x, batch, inputs),
        MatRef::rows(w, inputs, units),
        false,
        threads,
    );
    // The bias and the activation in one pass over the product.
    activation.apply_with_bias(&mut y, b);
    y
}

/// What the backward pass needs from the forward pass: the input, the weights and, where the
/// activation's derivative needs it, the output (all three shared with burn, not copied).
#[derive(Debug)]
struct Saved<I: Backend> {
    x: FloatTensor<I>,
    w: FloatTensor<I>,
    y: Option<FloatTensor<I>>,
    dims: Dims,
    activation: Elementwise,
}

/// The gradients of the input (when asked for), the weights and the bias.
struct Grads {
    x: Option<Vec<f32>>,
    w: Vec<f32>,
    b: Vec<f32>,
}

fn backward<I: Host>(saved: &Saved<I>, mut grad: Vec<f32>, want_x: bool) -> Grads {
    let Dims {
        batch,
        inputs,
        units,
    } = saved.dims;
    if let Some(y) = &saved.y {
        saved.activation.backward(&I::slice(y), &mut grad);
    }
    // Summed over the batch in row order: the same bits on every run.
    let mut b = vec![0.0; units];
    for row in grad.chunks_exact(units) {
        b.iter_mut().zip(row).for_each(|(s, g)| *s += g);
    }
    let grad_m = MatRef::rows(&grad, batch, units);
    // Usually last step's gradient buffer, which Adam handed back.
    let mut w = buffer(inputs * units).into_vec();
    matmul(
        &mut w,
        MatRef::rows(&I::slice(&saved.x), batch, inputs).t(),
        grad_m,
        false,
        Threads::Pool,
    );
    let x = want_x.then(|| {
        let mut x = buffer(batch * inputs).into_vec();
        matmul(
            &mut x,
            grad_m,
            MatRef::rows(&I::slice(&saved.w), inputs, units).t(),
            false,
            Threads::Pool,
        );
        x
    });
    // The incoming gradient's buffer serves a later kernel's output.
    workspace::keep(grad);
    Grads { x, w, b }
}

fn plain<I: Host>(
    x: Tensor<I, 2>,
    w: Tensor<I, 2>,
    b: Tensor<I, 1>,
    activation: Elementwise,
) -> Tensor<I, 2> {
    let [batch, inputs] = x.dims();
    let units = w.dims()[1];
    let device = x.device();
    let dims = Dims {
        batch,
        inputs,
        units,
    };
    let (x, w, b) = (host::primitive(x), host::primitive(w), host::primitive(b));
    let y = forward(
        &I::slice(&x),
        &I::slice(&w),
        &I::slice(&b),
        dims,
        activation,
    );
    host::tensor(y, [batch, units], &device)
}

#[derive(Debug)]
struct DenseBackward;

impl<I: Host> Backward<I, 3> for DenseBackward {
    type State = Arc<Saved<I>>;

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_w, node_b] = ops.parents;
        let grad = grads.consume::<I>(&ops.node);
        let device = I::float_device(&grad);
        let saved = &ops.state;
        let Dims {
            batch,
            inputs,
            units,
        } = saved.dims;
        // The incoming gradient's own buffer where nothing else holds it: the activation's
        // derivative is applied to it in place.
        let computed = backward(saved, I::take(grad), node_x.is_some());
        if let (Some(node), Some(x)) = (node_x, computed.x) {
            let x = host::tensor::<I, 2>(x, [batch, inputs], &device);
            grads.register::<I>(node.id, host::primitive(x));
        }
        if let Some(node) = node_w {
            let w = host::tensor::<I, 2>(computed.w, [inputs, units], &device);
            grads.register::<I>(node.id, host::primitive(w));
        }
        if let Some(node) = node_b {
            let b = host::tensor::<I, 1>(computed.b, [units], &device);
            grads.register::<I>(node.id, host::primitive(b));
        }
        I::recycle_saved(ops.state, |s| vec![Some(s.x), s.y]);
    }
}

fn tracked<I: Host>(
    x: Tensor<Autodiff<I>, 2>,
    w: Tensor<Autodiff<I>, 2>,
    b: Tensor<Autodiff<I>, 1>,
    activation: Elementwise,
) -> Tensor<Autodiff<I>, 2> {
    let [batch, inputs] = x.dims();
    let units = w.dims()[1];
    let dims = Dims {
        batch,
        inputs,
        units,
    };
    let device = x.device();
    let (x, w, b) = (host::tracked(x), host::tracked(w), host::tracked(b));
    let y = forward(
        &I::slice(&x.primitive),
        &I::slice(&w.primitive),
        &I::slice(&b.primitive),
        dims,
        activation,
    );
    let out = host::primitive(host::tensor::<I, 2>(y, [batch, units], &device));
    let saved_y = (activation != Elementwise::None).then(|| out.clone());
    host::record(
        DenseBackward,
        [&x, &w, &b],
        Arc::new(Saved {
            x: x.primitive.clone(),
            w: w.primitive.clone(),
            y: saved_y,
            dims,
            activation,
        }),
        out,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::testing::{
        assert_close, assert_grads_close, on_each_cpu_backend, random, tracked_grads,
    };

    const ACTIVATIONS: [Elementwise; 4] = [
        Elementwise::None,
        Elementwise::Relu,
        Elementwise::Sigmoid,
        Elementwise::Tanh,
    ];

    fn matches_burn<I: Host>() {
        let device = Default::default();
        for (batch, inputs, units) in [
            (1, 1, 1),
            (3, 7, 5),
            (128, 33, 10),
            (17, 100, 65),
            (1, 785, 401),
        ] {
            for activation in ACTIVATIONS {
                let case = format!("{batch}x{inputs}->{units} {activation:?}");
                let x = random::<I, 2>([batch, inputs], 1, &device);
                let w = random::<I, 2>([inputs, units], 2, &device);
                let b = random::<I, 1>([units], 3, &device);
                let y = dense(x.clone(), w.clone(), b.clone(), activation);
                let expected = reference(x.clone(), w.clone(), b.clone(), activation);
                assert_close(&case, "output", y, expected, 1e-5);

                let ours = tracked_grads::<I, 2, 2, 1, 2>(&x, &w, &b, [batch, units], |x, w, b| {
                    dense(x, w, b, activation)
                });
                let burns =
                    tracked_grads::<I, 2, 2, 1, 2>(&x, &w, &b, [batch, units], |x, w, b| {
                        reference(x, w, b, activation)
                    });
                assert_grads_close(&case, ours, burns, 1e-5);
            }
        }
    }

    on_each_cpu_backend!(matches_burn);

    #[test]
    fn an_input_without_gradient_gets_none() {
        type I = burn::backend::NdArray;
        let device = Default::default();
        let x = Tensor::<Autodiff<I>, 2>::from_inner(random::<I, 2>([4, 3], 1, &device));
        let w =
            Tensor::<Autodiff<I>, 2>::from_inner(random::<I, 2>([3, 2], 2, &device)).require_grad();
        let b =
            Tensor::<Autodiff<I>, 1>::from_inner(random::<I, 1>([2], 3, &device)).require_grad();
        let grads = dense(x.clone(), w.clone(), b, Elementwise::Relu)
            .sum()
            .backward();
        assert!(x.grad(&grads).is_none());
        assert!(w.grad(&grads).is_some());
    }
}
