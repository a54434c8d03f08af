//! Conv -> MaxPool fused: when a convolution's output feeds only a MaxPool, each image is
//! convolved, activated and pooled while its output is still in cache, and the full
//! convolution output never exists as a tensor. The backward pass sends each pooled gradient
//! to where its maximum was, then continues as the convolution's.
//!
//! For an activation that keeps order (all of percept's element-wise ones), the derivative
//! at a window's maximum is the derivative at the pooled value, so the pooled output is all
//! the backward pass keeps of the convolution's output.

use std::sync::Arc;

use burn::backend::Autodiff;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::prelude::*;
use rayon::prelude::*;

use super::activation::Elementwise;
use super::conv::{self, Geometry, backward_from, convolve};
use super::host::{self, Mode, cast, on_cpu};
use super::max_pool::{self, Window, pool_plane};

/// What the fused operation gives: the pooled batch, and the convolution's output for the
/// first image, `[1, filters, out_height, out_width]`, when a preview asked for it.
pub(crate) struct Pooled<B: Backend> {
    /// `max_pool(activation(conv2d(x, w) + b))`.
    pub output: Tensor<B, 4>,
    /// The first image's convolution output, for the Conv component's capture.
    pub first_conv: Option<Tensor<B, 4>>,
}

/// `max_pool(activation(conv2d(x, w) + b))`: the fused kernel on the CPU backends, burn's
/// operations elsewhere. With `capture`, also the first image's convolution output.
pub(crate) fn conv_pool<B: Backend>(
    x: Tensor<B, 4>,
    w: Tensor<B, 4>,
    b: Tensor<B, 1>,
    geometry: Geometry,
    activation: Elementwise,
    window: Window,
    capture: bool,
) -> Pooled<B> {
    on_cpu!(B, |I, mode| {
        let first_conv = capture.then(|| first_image::<B>(&x, &w, &b, geometry, activation));
        let output = match mode {
            Mode::Plain => cast(plain::<I>(
                cast(x),
                cast(w),
                cast(b),
                geometry,
                activation,
                window,
            )),
            Mode::Tracked => cast(tracked::<I>(
                cast(x),
                cast(w),
                cast(b),
                geometry,
                activation,
                window,
            )),
        };
        Pooled { output, first_conv }
    });
    let convolved = conv::reference(x, w, b, geometry, activation);
    Pooled {
        first_conv: capture.then(|| convolved.clone().narrow(0, 0, 1).detach()),
        output: max_pool::reference(convolved, window),
    }
}

/// The convolution of the first image alone (one image's work: the capture's bounded cost).
fn first_image<B: Backend>(
    x: &Tensor<B, 4>,
    w: &Tensor<B, 4>,
    b: &Tensor<B, 1>,
    g: Geometry,
    activation: Elementwise,
) -> Tensor<B, 4> {
    let device = x.device();
    let image = host::values(x.clone().narrow(0, 0, 1).detach());
    let mut cols = vec![0.0; g.patch() * g.positions()];
    let mut out = vec![0.0; g.filters * g.positions()];
    convolve(
        &g,
        &image,
        &host::values(w.clone().detach()),
        &host::values(b.clone().detach()),
        activation,
        &mut cols,
        &mut out,
    );
    host::tensor(out, [1, g.filters, g.out_height, g.out_width], &device)
}

/// The pooled output of a batch, where each maximum was in its convolution plane, and the
/// patches of every image (kept for the backward pass when `keep_cols`).
fn forward(
    x: &[f32],
    w: &[f32],
    b: &[f32],
    g: &Geometry,
    activation: Elementwise,
    window: &Window,
    keep_cols: bool,
) -> (Vec<f32>, Vec<u32>, Option<Vec<f32>>) {
    let batch = x.len() / g.image();
    let cols_len = g.patch() * g.positions();
    let pooled_len = g.filters * window.out_plane();
    let mut y = vec![0.0; batch * pooled_len];
    let mut at = vec![0u32; batch * pooled_len];
    let mut cols = vec![0.0; if keep_cols { batch * cols_len } else { 0 }];
    let mut cols_parts: Vec<&mut [f32]> = if keep_cols {
        cols.chunks_mut(cols_len).collect()
    } else {
        (0..batch).map(|_| Default::default()).collect()
    };
    y.par_chunks_mut(pooled_len)
        .zip(at.par_chunks_mut(pooled_len))
        .zip(x.par_chunks(g.image()))
        .zip(cols_parts.par_iter_mut())
        .for_each_init(
            || {
                let scratch = vec![0.0; if keep_cols { 0 } else { cols_len }];
                (scratch, vec![0.0; g.filters * g.positions()])
            },
            |(scratch, out), (((y, at), image), kept)| {
                let cols = if keep_cols {
                    &mut **kept
                } else {
                    &mut scratch[..]
                };
                convolve(g, image, w, b, activation, cols, out);
                for ((plane, y), at) in out
                    .chunks_exact(g.positions())
                    .zip(y.chunks_exact_mut(window.out_plane()))
                    .zip(at.chunks_exact_mut(window.out_plane()))
                {
                    pool_plane(window, plane, y, at);
                }
            },
        );
    (y, at, keep_cols.then_some(cols))
}

fn plain<I: Backend>(
    x: Tensor<I, 4>,
    w: Tensor<I, 4>,
    b: Tensor<I, 1>,
    g: Geometry,
    activation: Elementwise,
    window: Window,
) -> Tensor<I, 4> {
    let batch = x.dims()[0];
    let device = x.device();
    let (y, _, _) = forward(
        &host::values(x),
        &host::values(w),
        &host::values(b),
        &g,
        activation,
        &window,
        false,
    );
    let dims = [batch, g.filters, window.out_height, window.out_width];
    host::tensor(y, dims, &device)
}

/// What the backward pass needs from the forward pass.
#[derive(Debug)]
struct Saved {
    cols: Vec<f32>,
    w: Vec<f32>,
    /// The pooled output: the activation's value at each window's maximum.
    y: Vec<f32>,
    /// Where each maximum was in its convolution plane.
    at: Vec<u32>,
    batch: usize,
    geometry: Geometry,
    window: Window,
    activation: Elementwise,
}

#[derive(Debug)]
struct ConvPoolBackward;

impl<I: Backend> Backward<I, 3> for ConvPoolBackward {
    type State = Arc<Saved>;

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_w, node_b] = ops.parents;
        let grad = host::wrap::<I, 4>(grads.consume::<I>(&ops.node));
        let device = grad.device();
        let s = &ops.state;
        let g = s.geometry;
        let grad = host::values(grad);
        let pooled_len = g.filters * s.window.out_plane();
        let computed = backward_from(&g, s.batch, &s.cols, &s.w, node_x.is_some(), |n, into| {
            into.fill(0.0);
            let range = n * pooled_len..(n + 1) * pooled_len;
            for (f, ((grad, y), at)) in grad[range.clone()]
                .chunks_exact(s.window.out_plane())
                .zip(s.y[range.clone()].chunks_exact(s.window.out_plane()))
                .zip(s.at[range].chunks_exact(s.window.out_plane()))
                .enumerate()
            {
                let plane = &mut into[f * g.positions()..][..g.positions()];
                for ((&grad, &y), &at) in grad.iter().zip(y).zip(at) {
                    plane[at as usize] += grad * s.activation.derivative(y);
                }
            }
        });
        if let (Some(node), Some(x)) = (node_x, computed.x) {
            let dims = [s.batch, g.channels, g.height, g.width];
            grads.register::<I>(
                node.id,
                host::primitive(host::tensor::<I, 4>(x, dims, &device)),
            );
        }
        if let Some(node) = node_w {
            let dims = [g.filters, g.channels, g.kernel, g.kernel];
            let w = host::tensor::<I, 4>(computed.w, dims, &device);
            grads.register::<I>(node.id, host::primitive(w));
        }
        if let Some(node) = node_b {
            let b = host::tensor::<I, 1>(computed.b, [g.filters], &device);
            grads.register::<I>(node.id, host::primitive(b));
        }
    }
}

fn tracked<I: Backend>(
    x: Tensor<Autodiff<I>, 4>,
    w: Tensor<Autodiff<I>, 4>,
    b: Tensor<Autodiff<I>, 1>,
    g: Geometry,
    activation: Elementwise,
    window: Window,
) -> Tensor<Autodiff<I>, 4> {
    let batch = x.dims()[0];
    let (x, w, b) = (host::tracked(x), host::tracked(w), host::tracked(b));
    let device = host::inner::<I, 4>(&x).device();
    let wv = host::values(host::inner::<I, 4>(&w));
    let (y, at, cols) = forward(
        &host::values(host::inner::<I, 4>(&x)),
        &wv,
        &host::values(host::inner::<I, 1>(&b)),
        &g,
        activation,
        &window,
        true,
    );
    let dims = [batch, g.filters, window.out_height, window.out_width];
    let out = host::primitive(host::tensor::<I, 4>(y.clone(), dims, &device));
    let prep = ConvPoolBackward
        .prepare::<NoCheckpointing>([x.node.clone(), w.node.clone(), b.node.clone()])
        .compute_bound()
        .stateful();
    host::wrap_tracked(match prep {
        OpsKind::Tracked(prep) => prep.finish(
            Arc::new(Saved {
                cols: cols.unwrap_or_default(),
                w: wv,
                y,
                at,
                batch,
                geometry: g,
                window,
                activation,
            }),
            out,
        ),
        OpsKind::UnTracked(prep) => prep.finish(out),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::testing::{assert_close, random, tracked_grads};
    use percept_catalogue::Padding;

    /// `(batch, channels, size, filters, kernel, stride, padding, pool size, pool stride)`.
    const CASES: [(
        usize,
        usize,
        usize,
        usize,
        usize,
        usize,
        Padding,
        usize,
        usize,
    ); 6] = [
        (1, 1, 6, 2, 3, 1, Padding::Valid, 2, 2),
        (3, 2, 9, 4, 3, 1, Padding::Same, 2, 2),
        (2, 3, 11, 5, 3, 2, Padding::Same, 3, 2),
        (4, 1, 28, 8, 3, 1, Padding::Valid, 2, 2),
        (2, 2, 7, 3, 2, 1, Padding::Valid, 3, 1),
        (5, 3, 10, 6, 5, 1, Padding::Same, 3, 3),
    ];

    fn matches_burn<I: Backend>() {
        let device = Default::default();
        for (batch, channels, size, filters, kernel, stride, padding, pool, pool_stride) in CASES {
            let g = Geometry::new([channels, size, size], filters, kernel, stride, padding);
            let window = Window::new([g.out_height, g.out_width], pool, pool_stride);
            // Tanh and None: ReLU's zeros tie within a window, where any maximum is right.
            for activation in [Elementwise::None, Elementwise::Tanh, Elementwise::Sigmoid] {
                let case = format!(
                    "{batch}x{channels}x{size}x{size} {filters} filters {kernel}x{kernel} \
                     stride {stride} {padding:?} {activation:?}, pool {pool} stride {pool_stride}"
                );
                let x = random::<I, 4>([batch, channels, size, size], 1, &device);
                let w = random::<I, 4>([filters, channels, kernel, kernel], 2, &device);
                let b = random::<I, 1>([filters], 3, &device);
                let unfused =
                    |x, w, b| max_pool::reference(conv::reference(x, w, b, g, activation), window);
                let fused = conv_pool(x.clone(), w.clone(), b.clone(), g, activation, window, true);
                assert_close(
                    &case,
                    "output",
                    fused.output,
                    unfused(x.clone(), w.clone(), b.clone()),
                    1e-5,
                );
                assert_close(
                    &case,
                    "first convolution output",
                    fused.first_conv.expect("asked for"),
                    conv::reference(x.clone(), w.clone(), b.clone(), g, activation).narrow(0, 0, 1),
                    1e-5,
                );
                let out = [batch, filters, window.out_height, window.out_width];
                let ours = tracked_grads::<I, 4, 4, 1, 4>(&x, &w, &b, out, |x, w, b| {
                    conv_pool(x, w, b, g, activation, window, false).output
                });
                let burns = tracked_grads::<I, 4, 4, 1, 4>(&x, &w, &b, out, |x, w, b| {
                    max_pool::reference(conv::reference(x, w, b, g, activation), window)
                });
                assert_close(&case, "output (tracked)", ours.0, burns.0, 1e-5);
                assert_close(&case, "dx", ours.1, burns.1, 1e-4);
                assert_close(&case, "dW", ours.2, burns.2, 1e-4);
                assert_close(&case, "db", ours.3, burns.3, 1e-4);
            }
        }
    }

    #[test]
    fn matches_burn_on_ndarray() {
        matches_burn::<burn::backend::NdArray>();
    }

    #[cfg(feature = "flex")]
    #[test]
    fn matches_burn_on_flex() {
        matches_burn::<burn::backend::Flex>();
    }

    #[test]
    fn relu_sends_no_gradient_through_a_window_of_zeros() {
        type I = burn::backend::NdArray;
        let device = Default::default();
        let g = Geometry::new([1, 4, 4], 1, 1, 1, Padding::Valid);
        let window = Window::new([4, 4], 2, 2);
        // Every value negative: ReLU gives zeros, and no gradient reaches x or W.
        let x = random::<I, 4>([1, 1, 4, 4], 1, &device).abs().neg() - 0.1;
        let w = Tensor::<I, 4>::ones([1, 1, 1, 1], &device);
        let b = Tensor::<I, 1>::zeros([1], &device);
        let (y, dx, dw, db) =
            tracked_grads::<I, 4, 4, 1, 4>(&x, &w, &b, [1, 1, 2, 2], |x, w, b| {
                conv_pool(x, w, b, g, Elementwise::Relu, window, false).output
            });
        assert_eq!(y.into_data().to_vec::<f32>().unwrap(), [0.0; 4]);
        assert!(
            dx.into_data()
                .to_vec::<f32>()
                .unwrap()
                .iter()
                .all(|v| *v == 0.0)
        );
        assert_eq!(dw.into_data().to_vec::<f32>().unwrap(), [0.0]);
        assert_eq!(db.into_data().to_vec::<f32>().unwrap(), [0.0]);
    }
}
