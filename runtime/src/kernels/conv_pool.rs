//! Conv -> MaxPool fused: when a convolution's output feeds only a MaxPool, each image is
//! convolved, activated and pooled while its output is still in cache, and the full
//! convolution output never exists as a tensor. The backward pass sends each pooled gradient
//! to where its maximum was, then continues as the convolution's.
//!
//! For an activation that keeps order (all of percept's element-wise ones), the derivative
//! at a window's maximum is the derivative at the pooled value, so the pooled output is all
//! the backward pass keeps of the convolution's output.

use std::sync::{Arc, Mutex, PoisonError};

use burn::backend::Autodiff;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops};
use burn::prelude::*;
use burn::tensor::ops::FloatTensor;
use rayon::prelude::*;

use super::activation::Elementwise;
use super::conv::{self, Geometry, backward_from, convolve, groups, prepared, split};
use super::host::{self, Host, Mode, cast, on_cpu, transpose};
use super::max_pool::{self, Window};
use super::single_channel;
use super::workspace::{Buffer, buffer};
use multiversion::multiversion;

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
    let operation = Operation {
        geometry,
        activation,
        window,
        capture,
    };
    on_cpu!(B, |I, mode| {
        let (output, first): (Tensor<B, 4>, _) = match mode {
            Mode::Plain => {
                let (y, first) = plain::<I>(cast(x), cast(w), cast(b), operation);
                (cast(y), first)
            }
            Mode::Tracked => {
                let (y, first) = tracked::<I>(cast(x), cast(w), cast(b), operation);
                (cast(y), first)
            }
        };
        let device = output.device();
        let dims = [1, geometry.filters, geometry.out_height, geometry.out_width];
        Pooled {
            output,
            first_conv: first.map(|first| host::tensor(first, dims, &device)),
        }
    });
    let convolved = conv::reference(x, w, b, geometry, activation);
    Pooled {
        first_conv: capture.then(|| convolved.clone().narrow(0, 0, 1).detach()),
        output: max_pool::reference(convolved, window),
    }
}

/// The fused operation's settings.
#[derive(Clone, Copy, Debug)]
struct Operation {
    geometry: Geometry,
    activation: Elementwise,
    window: Window,
    capture: bool,
}

/// What the fused forward pass computes of a batch.
struct Forward {
    /// The pooled output, channels-last.
    y: Buffer<f32>,
    /// Where each maximum was in its convolution plane, channels-last.
    at: Buffer<u32>,
    /// The patches of every image, kept for the backward pass.
    cols: Option<Buffer<f32>>,
    /// The convolution output of the first image, for a capture.
    first: Option<Vec<f32>>,
    /// The weights as the pass read them: [`prepared`], or [`single_channel::tap_major`]
    /// for the direct convolution.
    weights: Buffer<f32>,
}

/// The fused pass over a batch of channels-last images, by groups of images; with
/// `keep_cols`, the patches are kept for the backward pass, and with `capture`, the first
/// image's convolution output.
#[allow(clippy::too_many_arguments)]
fn forward(
    x: &[f32],
    w: &[f32],
    b: &[f32],
    g: &Geometry,
    activation: Elementwise,
    window: &Window,
    keep_cols: bool,
    capture: bool,
) -> Forward {
    let batch = x.len() / g.image();
    let groups = groups(g, batch);
    let direct = single_channel::applies(g, window);
    let cols_len = match direct {
        true => single_channel::lowered(g),
        false => g.lowered(),
    };
    let positions = g.positions();
    let out_plane = window.out_plane();
    let pooled_len = g.filters * out_plane;
    let mut y = buffer(batch * pooled_len);
    let mut at = buffer(batch * pooled_len);
    let mut cols = buffer(if keep_cols { batch * cols_len } else { 0 });
    let kept = if keep_cols {
        split(&mut cols, &groups, cols_len)
    } else {
        groups.iter().map(|_| Default::default()).collect()
    };
    let wt = match direct {
        true => single_channel::tap_major(g, w),
        false => prepared(g, w),
    };
    let out_len = g.filters * positions;
    let first = Mutex::new(None);
    split(&mut y, &groups, pooled_len)
        .into_par_iter()
        .zip(split(&mut at, &groups, pooled_len))
        .zip(kept)
        .zip(groups.par_iter())
        .for_each(|(((y, at), kept), group)| {
            let count = group.len();
            let mut own = buffer(if keep_cols { 0 } else { count * cols_len });
            let cols = if keep_cols { kept } else { &mut own[..] };
            let images = &x[group.start * g.image()..group.end * g.image()];
            if direct {
                single_channel::forward(g, window, activation, images, &wt, b, cols, y, at);
                if capture && group.start == 0 {
                    let image = first_output(g, &images[..g.image()], w, b, activation);
                    *first.lock().unwrap_or_else(PoisonError::into_inner) = Some(image);
                }
                return;
            }
            let mut out = buffer(count * out_len);
            convolve(g, images, count, &wt, b, activation, cols, &mut out);
            for ((out, y), at) in out
                .chunks_exact(out_len)
                .zip(y.chunks_exact_mut(pooled_len))
                .zip(at.chunks_exact_mut(pooled_len))
            {
                pool_channels_last(window, g.filters, out, y, at);
            }
            if capture && group.start == 0 {
                let image = channels_first(g, &out[..out_len]);
                *first.lock().unwrap_or_else(PoisonError::into_inner) = Some(image);
            }
        });
    Forward {
        y,
        at,
        cols: keep_cols.then_some(cols),
        first: first.into_inner().unwrap_or_else(PoisonError::into_inner),
        weights: wt,
    }
}

/// The convolution output of one channels-last image, channels-first, for a capture where
/// the fused pass never computed it whole.
fn first_output(g: &Geometry, image: &[f32], w: &[f32], b: &[f32], act: Elementwise) -> Vec<f32> {
    let mut cols = buffer(g.lowered());
    let mut out = buffer(g.filters * g.positions());
    convolve(g, image, 1, &prepared(g, w), b, act, &mut cols, &mut out);
    channels_first(g, &out)
}

/// One image's channels-last convolution output, channels-first.
fn channels_first(g: &Geometry, out: &[f32]) -> Vec<f32> {
    let mut image = vec![0.0; out.len()];
    transpose(out, g.positions(), g.filters, &mut image);
    image
}

/// Pools one channels-last convolution output `out` (`[positions, filters]`): `y` gets the
/// maxima and `at` the position of each (the first of equal values, in row-major order),
/// channels-last too (`[pooled positions, filters]`). A window's values for all filters are
/// whole rows of `out`, compared 16 filters at a time without a branch.
#[cfg_attr(
    feature = "avx512",
    multiversion(targets("x86_64+avx512f", "x86_64+avx2+fma"))
)]
#[cfg_attr(not(feature = "avx512"), multiversion(targets("x86_64+avx2+fma")))]
fn pool_channels_last(window: &Window, filters: usize, out: &[f32], y: &mut [f32], at: &mut [u32]) {
    const LANES: usize = 16;
    let pooled = y
        .chunks_exact_mut(filters)
        .zip(at.chunks_exact_mut(filters));
    for (o, (max, arg)) in pooled.enumerate() {
        let (oy, ox) = (o / window.out_width, o % window.out_width);
        let start = oy * window.stride * window.width + ox * window.stride;
        max.copy_from_slice(&out[start * filters..][..filters]);
        arg.fill(start as u32);
        for wy in 0..window.size {
            for wx in 0..window.size {
                let p = start + wy * window.width + wx;
                if p == start {
                    continue;
                }
                let row = &out[p * filters..][..filters];
                let lanes = max.chunks_mut(LANES).zip(arg.chunks_mut(LANES));
                for ((max, arg), row) in lanes.zip(row.chunks(LANES)) {
                    match (max.try_into(), arg.try_into(), row.try_into()) {
                        (Ok(max), Ok(arg), Ok(row)) => keep_larger::<LANES>(max, arg, row, p),
                        _ => (0..row.len()).for_each(|i| {
                            let one = |i| i..=i;
                            keep_larger::<1>(
                                (&mut max[one(i)]).try_into().expect("one value"),
                                (&mut arg[one(i)]).try_into().expect("one value"),
                                (&row[one(i)]).try_into().expect("one value"),
                                p,
                            )
                        }),
                    }
                }
            }
        }
    }
}

/// Keeps in `max` the larger of it and `row`, lane by lane, and in `arg` the position `p`
/// where `row` is larger. `N` is a constant so that the lanes compile to vector
/// instructions, and the selects are written as masks, which do where `if` does not.
#[inline(always)]
fn keep_larger<const N: usize>(max: &mut [f32; N], arg: &mut [u32; N], row: &[f32; N], p: usize) {
    for i in 0..N {
        let mask = u32::from(row[i] > max[i]).wrapping_neg();
        let (old, new) = (max[i].to_bits(), row[i].to_bits());
        max[i] = f32::from_bits(old ^ ((old ^ new) & mask));
        arg[i] ^= (arg[i] ^ p as u32) & mask;
    }
}

fn plain<I: Host>(
    x: Tensor<I, 4>,
    w: Tensor<I, 4>,
    b: Tensor<I, 1>,
    op: Operation,
) -> (Tensor<I, 4>, Option<Vec<f32>>) {
    let (g, window) = (op.geometry, op.window);
    let batch = x.dims()[0];
    let device = x.device();
    let (x, w, b) = (host::primitive(x), host::primitive(w), host::primitive(b));
    let pass = forward(
        &I::channels_last(&x),
        &I::slice(&w),
        &I::slice(&b),
        &g,
        op.activation,
        &window,
        false,
        op.capture,
    );
    let dims = [batch, g.filters, window.out_height, window.out_width];
    let y = I::from_channels_last(pass.y.into_vec(), dims, &device);
    (host::wrap(y), pass.first)
}

/// What the backward pass needs from the forward pass.
#[derive(Debug)]
struct Saved<I: Backend> {
    cols: Buffer<f32>,
    /// The weights as the forward pass read them ([`Forward::weights`]).
    wt: Buffer<f32>,
    /// The pooled output, shared with burn: the activation's value at each window's maximum.
    y: FloatTensor<I>,
    /// Where each maximum was in its convolution plane, channels-last.
    at: Buffer<u32>,
    batch: usize,
    geometry: Geometry,
    window: Window,
    activation: Elementwise,
}

#[derive(Debug)]
struct ConvPoolBackward;

impl<I: Host> Backward<I, 3> for ConvPoolBackward {
    type State = Arc<Saved<I>>;

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_w, node_b] = ops.parents;
        let incoming = grads.consume::<I>(&ops.node);
        let device = I::float_device(&incoming);
        let grad = I::channels_last(&incoming);
        let s = &ops.state;
        let (g, out_plane) = (s.geometry, s.window.out_plane());
        let pooled_len = g.filters * out_plane;
        let y = I::channels_last(&s.y);
        let filters = g.filters;
        let want_x = node_x.is_some();
        let computed = if single_channel::applies(&g, &s.window) {
            let groups = groups(&g, s.batch);
            let (window, act) = (&s.window, s.activation);
            single_channel::backward(
                &g, window, act, &groups, &s.cols, &s.wt, &grad, &y, &s.at, want_x,
            )
        } else {
            backward_from(&g, s.batch, &s.cols, &s.wt, want_x, |n, into| {
                let range = n * pooled_len..(n + 1) * pooled_len;
                let (grad, y, at) = (&grad[range.clone()], &y[range.clone()], &s.at[range]);
                unpool(&s.window, filters, s.activation, grad, y, at, into);
            })
        };
        drop(grad);
        I::recycle(incoming);
        let nodes = [node_x, node_w, node_b].map(|node| node.map(|node| node.id));
        conv::register::<I>(grads, nodes, computed, s.batch, &g, &device);
        I::recycle_saved(ops.state, |s| vec![Some(s.y)]);
    }
}

/// Sends the pooled gradient `grad` of one image to where each maximum was in the
/// convolution's output gradient `into`, times the activation's derivative at the pooled
/// output `y`; all channels-last (the gradient of filter `f` at position `p` is
/// `into[p * filters + f]`).
#[cfg_attr(
    feature = "avx512",
    multiversion(targets("x86_64+avx512f", "x86_64+avx2+fma"))
)]
#[cfg_attr(not(feature = "avx512"), multiversion(targets("x86_64+avx2+fma")))]
fn unpool(
    window: &Window,
    filters: usize,
    activation: Elementwise,
    grad: &[f32],
    y: &[f32],
    at: &[u32],
    into: &mut [f32],
) {
    // Positions that no window covers get no gradient. Where the windows tile the plane
    // (the usual pool of 2 with stride 2), the windows write every position they cover, and
    // only the margin past the last window is cleared.
    if window.stride == window.size {
        let covered = [window.out_height, window.out_width].map(|n| n * window.stride);
        for (y, row) in into.chunks_exact_mut(window.width * filters).enumerate() {
            let from = if y < covered[0] { covered[1] } else { 0 };
            row[from * filters..].fill(0.0);
        }
    } else {
        into.fill(0.0);
    }
    let mut scaled = vec![0.0; filters];
    let pooled = grad.chunks_exact(filters).zip(y.chunks_exact(filters));
    for (o, ((grad, y), at)) in pooled.zip(at.chunks_exact(filters)).enumerate() {
        scaled.copy_from_slice(grad);
        activation.backward(y, &mut scaled);
        let (oy, ox) = (o / window.out_width, o % window.out_width);
        let start = oy * window.stride * window.width + ox * window.stride;
        for wy in 0..window.size {
            for wx in 0..window.size {
                let p = start + wy * window.width + wx;
                let row = &mut into[p * filters..][..filters];
                let lanes = row.iter_mut().zip(&scaled).zip(at);
                if window.stride >= window.size {
                    // Windows apart: each position is in one window, so its gradient is
                    // written, not added; a select over the filters, without a branch.
                    lanes.for_each(|((d, &g), &a)| *d = if a as usize == p { g } else { 0.0 });
                } else {
                    lanes.for_each(|((d, &g), &a)| *d += if a as usize == p { g } else { 0.0 });
                }
            }
        }
    }
}

fn tracked<I: Host>(
    x: Tensor<Autodiff<I>, 4>,
    w: Tensor<Autodiff<I>, 4>,
    b: Tensor<Autodiff<I>, 1>,
    op: Operation,
) -> (Tensor<Autodiff<I>, 4>, Option<Vec<f32>>) {
    let (g, window) = (op.geometry, op.window);
    let batch = x.dims()[0];
    let device = x.device();
    let (x, w, b) = (host::tracked(x), host::tracked(w), host::tracked(b));
    let pass = forward(
        &I::channels_last(&x.primitive),
        &I::slice(&w.primitive),
        &I::slice(&b.primitive),
        &g,
        op.activation,
        &window,
        true,
        op.capture,
    );
    let dims = [batch, g.filters, window.out_height, window.out_width];
    let out = I::from_channels_last(pass.y.into_vec(), dims, &device);
    let output = host::record(
        ConvPoolBackward,
        [&x, &w, &b],
        Arc::new(Saved {
            cols: pass.cols.unwrap_or_default(),
            wt: pass.weights,
            y: out.clone(),
            at: pass.at,
            batch,
            geometry: g,
            window,
            activation: op.activation,
        }),
        out,
    );
    (output, pass.first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::testing::{
        activated_tolerance, assert_close, assert_grads_close, on_each_cpu_backend, random,
        tracked_grads,
    };
    use percept_catalogue::Padding;

    /// `(batch, channels, size, filters, kernel, stride, padding, pool size, pool stride)`.
    type Case = (
        usize,
        usize,
        usize,
        usize,
        usize,
        usize,
        Padding,
        usize,
        usize,
    );

    /// Of the last four, the first two run through Winograd's transforms, and the last two
    /// are computed directly (one channel, whole vectors of filters, windows that tile the
    /// plane), the last with a margin that the windows do not reach.
    const CASES: [Case; 10] = [
        (1, 1, 6, 2, 3, 1, Padding::Valid, 2, 2),
        (3, 2, 9, 4, 3, 1, Padding::Same, 2, 2),
        (2, 3, 11, 5, 3, 2, Padding::Same, 3, 2),
        (4, 1, 28, 8, 3, 1, Padding::Valid, 2, 2),
        (2, 2, 7, 3, 2, 1, Padding::Valid, 3, 1),
        (5, 3, 10, 6, 5, 1, Padding::Same, 3, 3),
        (3, 12, 9, 18, 3, 1, Padding::Same, 2, 2),
        (2, 32, 13, 64, 3, 1, Padding::Valid, 2, 2),
        (3, 1, 28, 32, 3, 1, Padding::Valid, 2, 2),
        (2, 1, 10, 16, 5, 1, Padding::Same, 3, 3),
    ];

    fn matches_burn<I: Host>() {
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
                let before = conv::reference(x.clone(), w.clone(), b.clone(), g, Elementwise::None);
                let after = conv::reference(x.clone(), w.clone(), b.clone(), g, activation);
                let tolerance = activated_tolerance(before, after);
                assert_close(
                    &case,
                    "output",
                    fused.output,
                    unfused(x.clone(), w.clone(), b.clone()),
                    tolerance,
                );
                assert_close(
                    &case,
                    "first convolution output",
                    fused.first_conv.expect("asked for"),
                    conv::reference(x.clone(), w.clone(), b.clone(), g, activation).narrow(0, 0, 1),
                    tolerance,
                );
                let out = [batch, filters, window.out_height, window.out_width];
                let ours = tracked_grads::<I, 4, 4, 1, 4>(&x, &w, &b, out, |x, w, b| {
                    conv_pool(x, w, b, g, activation, window, false).output
                });
                let burns = tracked_grads::<I, 4, 4, 1, 4>(&x, &w, &b, out, |x, w, b| {
                    max_pool::reference(conv::reference(x, w, b, g, activation), window)
                });
                assert_grads_close(&case, ours, burns, tolerance);
            }
        }
    }

    on_each_cpu_backend!(matches_burn);

    #[test]
    fn stale_workspace_values_never_reach_the_margin_past_the_last_window() {
        type I = burn::backend::NdArray;
        let device = Default::default();
        // 11x11 outputs pooled by 2: the windows cover 10x10, and the gradient buffer of the
        // batch (2 images of 11x11x40 values) is large enough for the workspace to keep.
        let g = Geometry::new([2, 11, 11], 40, 3, 1, Padding::Same);
        let window = Window::new([11, 11], 2, 2);
        let (x, w, b) = (
            random::<I, 4>([2, 2, 11, 11], 1, &device),
            random::<I, 4>([40, 2, 3, 3], 2, &device),
            random::<I, 1>([40], 3, &device),
        );
        // Kept buffers full of NaN, as a gradient buffer of an earlier step could be full of
        // old values: any value the backward pass reads before writing shows up as NaN.
        let poisoned: Vec<_> = (0..8)
            .map(|_| {
                let mut stale = crate::kernels::workspace::buffer::<f32>(2 * 121 * 40);
                stale.fill(f32::NAN);
                stale
            })
            .collect();
        drop(poisoned);
        let out = [2, 40, 5, 5];
        let ours = tracked_grads::<I, 4, 4, 1, 4>(&x, &w, &b, out, |x, w, b| {
            conv_pool(x, w, b, g, Elementwise::Tanh, window, false).output
        });
        let burns = tracked_grads::<I, 4, 4, 1, 4>(&x, &w, &b, out, |x, w, b| {
            max_pool::reference(conv::reference(x, w, b, g, Elementwise::Tanh), window)
        });
        assert_grads_close("a margin past the last window", ours, burns, 1e-5);
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
