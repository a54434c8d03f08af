//! Conv: a 2-D convolution as im2row and one matrix product per group of images, with the
//! bias and the activation fused, and its backward pass (the patch gradients added back onto
//! the input gradient, only where the input needs one).
//!
//! Outside, burn's layout: `x: [batch, channels, height, width]`, `w: [filters, channels, k,
//! k]`. Inside, channels-last: each image is turned `[height, width, channels]`, and `cols`
//! holds one row per output position of `(ky, kx, channel)` values, so a patch row is copied
//! in runs of `kernel * channels` contiguous values, and the products are
//! `cols · Wt` (`[positions, filters]`), `colsᵀ · grad` and `grad · Wtᵀ`, the orientations in
//! which `gemm` reads the large operands where they lie and copies only the weights.
//!
//! A 3x3 convolution of stride 1 on at least 8 channels runs through [`winograd`]'s 16
//! products instead of im2row's one, by the same groups of images: the geometry alone
//! chooses ([`Geometry::winograd`]), so the forward and the backward pass agree on what the
//! forward pass kept.

use std::ops::Range;
use std::sync::Arc;

use burn::backend::Autodiff;
use burn::backend::autodiff::NodeId;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops};
use burn::prelude::*;
use burn::tensor::ops::{FloatTensor, PaddedConvOptions};
use percept_catalogue::Padding;
use rayon::prelude::*;

use super::activation::Elementwise;
use super::gemm::{MatRef, Threads, matmul};
use super::host::{self, Host, Mode, cast, on_cpu};
use super::winograd;
use super::workspace::{Buffer, buffer};

/// Where the kernel moves over the input: sizes, stride and padding (TensorFlow's Same: the
/// extra zero, if any, after).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Geometry {
    pub(super) channels: usize,
    pub(super) height: usize,
    pub(super) width: usize,
    pub(super) filters: usize,
    pub(super) kernel: usize,
    pub(super) stride: usize,
    pub(super) pad_top: usize,
    pub(super) pad_left: usize,
    pub(super) out_height: usize,
    pub(super) out_width: usize,
}

impl Geometry {
    /// The geometry of `filters` kernels of `kernel x kernel` moved by `stride` over images of
    /// `[channels, height, width]`.
    pub fn new(
        [channels, height, width]: [usize; 3],
        filters: usize,
        kernel: usize,
        stride: usize,
        padding: Padding,
    ) -> Self {
        let axis = |size: usize| match padding {
            Padding::Valid => (0, (size - kernel) / stride + 1, 0),
            Padding::Same => {
                let out = size.div_ceil(stride);
                let total = ((out - 1) * stride + kernel).saturating_sub(size);
                (total / 2, out, total - total / 2)
            }
        };
        let (pad_top, out_height, _) = axis(height);
        let (pad_left, out_width, _) = axis(width);
        Geometry {
            channels,
            height,
            width,
            filters,
            kernel,
            stride,
            pad_top,
            pad_left,
            out_height,
            out_width,
        }
    }

    /// The output's `[height, width]`.
    /// burn's dimensions of the output of a batch, `[batch, filters, height, width]`.
    pub(super) fn output_dims(&self, batch: usize) -> [usize; 4] {
        [batch, self.filters, self.out_height, self.out_width]
    }

    pub(crate) fn output(&self) -> [usize; 2] {
        [self.out_height, self.out_width]
    }

    pub(super) fn positions(&self) -> usize {
        self.out_height * self.out_width
    }

    /// Rows of `cols`: one per `(channel, ky, kx)`.
    pub(super) fn patch(&self) -> usize {
        self.channels * self.kernel * self.kernel
    }

    /// Whether the products go through Winograd's transforms rather than im2row.
    pub(super) fn winograd(&self) -> bool {
        winograd::applies(self)
    }

    /// Values per image of the input as the products read it, which the forward pass keeps
    /// for the weight gradient: the patches, or Winograd's transformed tiles.
    pub(super) fn lowered(&self) -> usize {
        match self.winograd() {
            true => winograd::lowered(self),
            false => self.patch() * self.positions(),
        }
    }

    pub(super) fn image(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// Padding after the image (TensorFlow's Same puts the odd zero there).
    fn pad_end(&self) -> [usize; 2] {
        let end = |size: usize, out: usize, start: usize| {
            ((out - 1) * self.stride + self.kernel).saturating_sub(size + start)
        };
        [
            end(self.height, self.out_height, self.pad_top),
            end(self.width, self.out_width, self.pad_left),
        ]
    }
}

/// `activation(conv2d(x, w) + b)`: the kernel on the CPU backends, burn's operations
/// elsewhere.
pub(crate) fn conv<B: Backend>(
    x: Tensor<B, 4>,
    w: Tensor<B, 4>,
    b: Tensor<B, 1>,
    geometry: Geometry,
    activation: Elementwise,
) -> Tensor<B, 4> {
    on_cpu!(B, |I, mode| match mode {
        Mode::Plain => cast(plain::<I>(cast(x), cast(w), cast(b), geometry, activation)),
        Mode::Tracked => cast(tracked::<I>(
            cast(x),
            cast(w),
            cast(b),
            geometry,
            activation
        )),
    });
    reference(x, w, b, geometry, activation)
}

/// The same with burn's operations.
pub(crate) fn reference<B: Backend>(
    x: Tensor<B, 4>,
    w: Tensor<B, 4>,
    b: Tensor<B, 1>,
    geometry: Geometry,
    activation: Elementwise,
) -> Tensor<B, 4> {
    let options = PaddedConvOptions::asymmetric(
        [geometry.stride; 2],
        [geometry.pad_top, geometry.pad_left],
        geometry.pad_end(),
        [1, 1],
        1,
    );
    let z = burn::tensor::module::conv2d(x, w, Some(b), options);
    activation.on_tensor(z)
}

/// The weights as the products read them, from burn's `[filter, channel, ky, kx]`:
/// [`patch_major`], or Winograd's transformed kernels.
pub(super) fn prepared(g: &Geometry, w: &[f32]) -> Buffer<f32> {
    match g.winograd() {
        true => winograd::weights(g, w),
        false => patch_major(g, w),
    }
}

/// burn's weight gradient from that of the [`prepared`] weights.
fn unprepared(g: &Geometry, grad: &[f32]) -> Vec<f32> {
    match g.winograd() {
        true => winograd::weight_grad(g, grad),
        false => filter_major(g, grad),
    }
}

/// The weights as im2row's product reads them, `[(ky, kx, channel), filter]`, from burn's
/// `[filter, channel, ky, kx]`.
fn patch_major(g: &Geometry, w: &[f32]) -> Buffer<f32> {
    let (k, c, f) = (g.kernel, g.channels, g.filters);
    let mut wt = buffer(g.patch() * f);
    for filter in 0..f {
        for channel in 0..c {
            for ky in 0..k {
                for kx in 0..k {
                    wt[((ky * k + kx) * c + channel) * f + filter] =
                        w[((filter * c + channel) * k + ky) * k + kx];
                }
            }
        }
    }
    wt
}

/// burn's `[filter, channel, ky, kx]` from `[(ky, kx, channel), filter]`.
fn filter_major(g: &Geometry, wt: &[f32]) -> Vec<f32> {
    let (k, c, f) = (g.kernel, g.channels, g.filters);
    let mut w = vec![0.0; wt.len()];
    for filter in 0..f {
        for channel in 0..c {
            for ky in 0..k {
                for kx in 0..k {
                    w[((filter * c + channel) * k + ky) * k + kx] =
                        wt[((ky * k + kx) * c + channel) * f + filter];
                }
            }
        }
    }
    w
}

/// For each output position and each `ky`, the part of the patch row that comes from image
/// row `iy`: calls `visit(position, offset in the patch row, image offset or None for
/// padding, length)` over runs of whole pixels (`channels` values each). With stride 1 and
/// no padding in the way, a run is `kernel * channels` contiguous values.
#[inline(always)]
fn patch_runs(g: &Geometry, mut visit: impl FnMut(usize, usize, Option<usize>, usize)) {
    let (k, s, c) = (g.kernel, g.stride, g.channels);
    for oy in 0..g.out_height {
        for ox in 0..g.out_width {
            let position = oy * g.out_width + ox;
            for ky in 0..k {
                let offset = ky * k * c;
                let iy = (oy * s + ky).wrapping_sub(g.pad_top);
                if iy >= g.height {
                    visit(position, offset, None, k * c);
                    continue;
                }
                let ix = (ox * s).wrapping_sub(g.pad_left);
                if ix < g.width && ix + k <= g.width {
                    visit(position, offset, Some((iy * g.width + ix) * c), k * c);
                    continue;
                }
                for kx in 0..k {
                    let ix = (ox * s + kx).wrapping_sub(g.pad_left);
                    let source = (ix < g.width).then(|| (iy * g.width + ix) * c);
                    visit(position, offset + kx * c, source, c);
                }
            }
        }
    }
}

/// Writes the patches of one channels-last image (`[height, width, channels]`) into `rows`:
/// one row of `patch` values `(ky, kx, channel)` per output position.
fn im2row(g: &Geometry, image: &[f32], rows: &mut [f32]) {
    let patch = g.patch();
    patch_runs(g, |position, offset, source, len| {
        let dst = &mut rows[position * patch + offset..][..len];
        match source {
            Some(at) => copy(dst, &image[at..at + len]),
            None => dst.fill(0.0),
        }
    });
}

/// Adds the patch gradients `rows` of one image back onto its channels-last input gradient.
fn row2im(g: &Geometry, rows: &[f32], image: &mut [f32]) {
    let patch = g.patch();
    patch_runs(g, |position, offset, source, len| {
        if let Some(at) = source {
            let from = &rows[position * patch + offset..][..len];
            image[at..at + len]
                .iter_mut()
                .zip(from)
                .for_each(|(d, v)| *d += v);
        }
    });
}

/// `dst = src` for a run of tens of values, in blocks of 8 that compile to vector moves,
/// where `copy_from_slice` would call `memcpy` for every run.
#[inline(always)]
fn copy(dst: &mut [f32], src: &[f32]) {
    let n = dst.len();
    let src = &src[..n];
    if n < 8 {
        // Each short length as a copy of known size, a few moves: a loop of unknown length
        // would be turned into a call to `memmove` (a one-channel 3x3 kernel copies runs of 3).
        macro_rules! fixed {
            ($($len:literal)*) => {
                match n {
                    $($len => dst[..$len].copy_from_slice(&src[..$len]),)*
                    _ => {}
                }
            };
        }
        fixed!(1 2 3 4 5 6 7);
        return;
    }
    let mut i = 0;
    while i + 8 <= n {
        dst[i..i + 8].copy_from_slice(&src[i..i + 8]);
        i += 8;
    }
    // The last block overlaps the one before: copied twice, which is harmless.
    dst[n - 8..].copy_from_slice(&src[n - 8..]);
}

/// The patches of a group of images fill at most this many values (512 KiB), so that they
/// stay in a core's cache between im2row and the product that reads them.
const GROUP_VALUES: usize = 1 << 17;

/// Values of the groups' weight-gradient sums added up at a time by one thread.
const SUM_RUN: usize = 1 << 13;

/// The images of a batch of `batch`, in groups of consecutive images: each group is one
/// matrix product, as large as the cache allows (products of one image are too small for the
/// GEMM to run at speed), and there are many groups to keep every core busy. The groups
/// depend on the batch and the geometry alone, which also fixes the order in which the
/// weight gradients are summed.
///
/// Their number is even and their sizes differ by at most one image, so that two cores (or
/// four) get equal shares: cut at the cache's limit, 128 images made 10 groups of 12 and one
/// of 8, and one core waited for the other at the end of every pass.
pub(super) fn groups(g: &Geometry, batch: usize) -> Vec<Range<usize>> {
    let per_group = (GROUP_VALUES / g.lowered()).max(1);
    let count = batch.div_ceil(per_group).next_multiple_of(2).min(batch);
    let (size, larger) = (batch / count.max(1), batch % count.max(1));
    let mut start = 0;
    (0..count)
        .map(|i| {
            let len = size + usize::from(i < larger);
            start += len;
            start - len..start
        })
        .collect()
}

/// `data` cut into one slice per group, `per_image` values for each image.
pub(super) fn split<'a, T>(
    mut data: &'a mut [T],
    groups: &[Range<usize>],
    per_image: usize,
) -> Vec<&'a mut [T]> {
    groups
        .iter()
        .map(|group| {
            let (head, tail) = std::mem::take(&mut data).split_at_mut(group.len() * per_image);
            data = tail;
            head
        })
        .collect()
}

/// Convolves a group of `count` channels-last images: `out = activation(cols · Wt + b)`,
/// channels-last `[count * positions, filters]`, where `cols` gets the patches of every
/// image, one row per output position, and `wt` is [`prepared`]. In this orientation `gemm`
/// copies only the small weight matrix into its own layout, never the patches. Where
/// Winograd applies, `cols` gets its transformed tiles instead.
#[allow(clippy::too_many_arguments)]
pub(super) fn convolve(
    g: &Geometry,
    images: &[f32],
    count: usize,
    wt: &[f32],
    b: &[f32],
    activation: Elementwise,
    cols: &mut [f32],
    out: &mut [f32],
) {
    if g.winograd() {
        return winograd::convolve(g, images, count, wt, b, activation, cols, out);
    }
    let (patch, positions) = (g.patch(), g.positions());
    for (k, image) in images.chunks_exact(g.image()).enumerate() {
        im2row(
            g,
            image,
            &mut cols[k * positions * patch..][..positions * patch],
        );
    }
    matmul(
        out,
        MatRef::rows(cols, count * positions, patch),
        MatRef::rows(wt, patch, g.filters),
        false,
        Threads::One,
    );
    activation.apply_with_bias(out, b);
}

/// The output of a batch of channels-last images `x`, channels-last
/// (`[batch, positions, filters]`), the patches of every image by group (kept for the
/// weight gradient when `keep_cols`), and the [`prepared`] weights (which the backward pass
/// reads again).
fn forward(
    x: &[f32],
    w: &[f32],
    b: &[f32],
    g: &Geometry,
    activation: Elementwise,
    keep_cols: bool,
) -> (Vec<f32>, Option<Buffer<f32>>, Buffer<f32>) {
    let batch = x.len() / g.image();
    let groups = groups(g, batch);
    let cols_len = g.lowered();
    let out_len = g.filters * g.positions();
    let wt = prepared(g, w);
    let mut y = buffer(batch * out_len).into_vec();
    let mut cols = buffer(if keep_cols { batch * cols_len } else { 0 });
    let kept = if keep_cols {
        split(&mut cols, &groups, cols_len)
    } else {
        groups.iter().map(|_| Default::default()).collect()
    };
    split(&mut y, &groups, out_len)
        .into_par_iter()
        .zip(kept)
        .zip(groups.par_iter())
        .for_each(|((y, kept), group)| {
            let count = group.len();
            let mut own = buffer(if keep_cols { 0 } else { count * cols_len });
            let cols = if keep_cols { kept } else { &mut own[..] };
            let images = &x[group.start * g.image()..group.end * g.image()];
            convolve(g, images, count, &wt, b, activation, cols, y);
        });
    (y, keep_cols.then_some(cols), wt)
}

/// What the backward pass needs from the forward pass: the patches, the weights as the
/// products read them and, where the activation's derivative needs it, the output.
#[derive(Debug)]
struct Saved<I: Backend> {
    cols: Buffer<f32>,
    /// The [`prepared`] weights.
    wt: Buffer<f32>,
    /// The output, shared with burn, where the activation's derivative needs it.
    y: Option<FloatTensor<I>>,
    batch: usize,
    geometry: Geometry,
    activation: Elementwise,
}

/// The gradients of a convolution's input (when asked for), weights and bias.
pub(super) struct Grads {
    pub x: Option<Vec<f32>>,
    pub w: Vec<f32>,
    pub b: Vec<f32>,
}

/// The gradients of a batch's convolution from the gradient of its output before the
/// activation, which `grad_of(n, grad)` writes for image `n` into `grad`, channels-last
/// (`[positions, filters]`). `cols` are the patches the forward pass kept, `wt` the
/// [`prepared`] weights. Each group of images is one product per gradient; the groups' sums are added in
/// order.
pub(super) fn backward_from(
    g: &Geometry,
    batch: usize,
    cols: &[f32],
    wt: &[f32],
    want_x: bool,
    grad_of: impl Fn(usize, &mut [f32]) + Sync,
) -> Grads {
    let (patch, positions, filters) = (g.patch(), g.positions(), g.filters);
    let (cols_len, out_len) = (g.lowered(), filters * positions);
    let groups = groups(g, batch);
    let sums_len = filters + wt.len();
    let mut sums = buffer(groups.len() * sums_len);
    let mut x = buffer(if want_x { batch * g.image() } else { 0 }).into_vec();
    let x_parts = if want_x {
        split(&mut x, &groups, g.image())
    } else {
        groups.iter().map(|_| Default::default()).collect()
    };
    sums.par_chunks_mut(sums_len)
        .zip(x_parts)
        .zip(groups.par_iter())
        .for_each(|((sum, x_part), group)| {
            let (b_sum, wt_sum) = sum.split_at_mut(filters);
            let rows = group.len() * positions;
            // The group's gradient, channels-last: [images * positions, filters].
            let mut grad = buffer(group.len() * out_len);
            for (n, grad) in group.clone().zip(grad.chunks_exact_mut(out_len)) {
                grad_of(n, grad);
            }
            b_sum.fill(0.0);
            for row in grad.chunks_exact(filters) {
                b_sum.iter_mut().zip(row).for_each(|(s, g)| *s += g);
            }
            let cols = &cols[group.start * cols_len..group.end * cols_len];
            if g.winograd() {
                let x_part = want_x.then_some(x_part);
                return winograd::backward(g, group.len(), cols, wt, &grad, wt_sum, x_part);
            }
            let grad_m = MatRef::rows(&grad, rows, filters);
            let cols = MatRef::rows(cols, rows, patch);
            matmul(wt_sum, cols.t(), grad_m, false, Threads::One);
            if want_x {
                let mut patch_grad = buffer(rows * patch);
                matmul(
                    &mut patch_grad,
                    grad_m,
                    MatRef::rows(wt, patch, filters).t(),
                    false,
                    Threads::One,
                );
                for (image, patch_grad) in x_part
                    .chunks_exact_mut(g.image())
                    .zip(patch_grad.chunks_exact(cols_len))
                {
                    image.fill(0.0);
                    row2im(g, patch_grad, image);
                }
            }
        });
    // Each value summed over the groups in order; runs of values on both cores.
    let mut total = buffer(sums_len);
    total
        .par_chunks_mut(SUM_RUN)
        .enumerate()
        .for_each(|(run, total)| {
            total.fill(0.0);
            for sum in sums.chunks_exact(sums_len) {
                let sum = &sum[run * SUM_RUN..][..total.len()];
                total.iter_mut().zip(sum).for_each(|(t, s)| *t += s);
            }
        });
    let (b, wt_total) = total.split_at(filters);
    Grads {
        x: want_x.then_some(x),
        w: unprepared(g, wt_total),
        b: b.to_vec(),
    }
}

/// The gradients from the output's gradient `grad`, channels-last.
fn backward<I: Host>(saved: &Saved<I>, grad: &[f32], want_x: bool) -> Grads {
    let g = &saved.geometry;
    let out_len = g.filters * g.positions();
    let y = saved.y.as_ref().map(|y| I::channels_last(y));
    backward_from(g, saved.batch, &saved.cols, &saved.wt, want_x, |n, into| {
        into.copy_from_slice(&grad[n * out_len..][..out_len]);
        if let Some(y) = &y {
            saved
                .activation
                .backward(&y[n * out_len..][..out_len], into);
        }
    })
}

fn plain<I: Host>(
    x: Tensor<I, 4>,
    w: Tensor<I, 4>,
    b: Tensor<I, 1>,
    g: Geometry,
    activation: Elementwise,
) -> Tensor<I, 4> {
    let batch = x.dims()[0];
    let device = x.device();
    let (x, w, b) = (host::primitive(x), host::primitive(w), host::primitive(b));
    let (y, _, _) = forward(
        &I::channels_last(&x),
        &I::slice(&w),
        &I::slice(&b),
        &g,
        activation,
        false,
    );
    host::wrap(I::from_channels_last(y, g.output_dims(batch), &device))
}

#[derive(Debug)]
struct ConvBackward;

impl<I: Host> Backward<I, 3> for ConvBackward {
    type State = Arc<Saved<I>>;

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_w, node_b] = ops.parents;
        let grad = grads.consume::<I>(&ops.node);
        let device = I::float_device(&grad);
        let saved = &ops.state;
        let g = saved.geometry;
        let computed = backward(saved, &I::channels_last(&grad), node_x.is_some());
        I::recycle(grad);
        let nodes = [node_x, node_w, node_b].map(|node| node.map(|node| node.id));
        register::<I>(grads, nodes, computed, saved.batch, &g, &device);
        I::recycle_saved(ops.state, |s| vec![s.y]);
    }
}

/// Hands the gradients to the nodes that asked for them.
pub(super) fn register<I: Host>(
    grads: &mut Gradients,
    [node_x, node_w, node_b]: [Option<NodeId>; 3],
    computed: Grads,
    batch: usize,
    g: &Geometry,
    device: &I::Device,
) {
    if let (Some(node), Some(x)) = (node_x, computed.x) {
        let dims = [batch, g.channels, g.height, g.width];
        grads.register::<I>(node, I::from_channels_last(x, dims, device));
    }
    if let Some(node) = node_w {
        let dims = [g.filters, g.channels, g.kernel, g.kernel];
        let w = host::tensor::<I, 4>(computed.w, dims, device);
        grads.register::<I>(node, host::primitive(w));
    }
    if let Some(node) = node_b {
        let b = host::tensor::<I, 1>(computed.b, [g.filters], device);
        grads.register::<I>(node, host::primitive(b));
    }
}

fn tracked<I: Host>(
    x: Tensor<Autodiff<I>, 4>,
    w: Tensor<Autodiff<I>, 4>,
    b: Tensor<Autodiff<I>, 1>,
    g: Geometry,
    activation: Elementwise,
) -> Tensor<Autodiff<I>, 4> {
    let batch = x.dims()[0];
    let device = x.device();
    let (x, w, b) = (host::tracked(x), host::tracked(w), host::tracked(b));
    let (y, cols, wt) = forward(
        &I::channels_last(&x.primitive),
        &I::slice(&w.primitive),
        &I::slice(&b.primitive),
        &g,
        activation,
        true,
    );
    let out = I::from_channels_last(y, g.output_dims(batch), &device);
    let saved_y = (activation != Elementwise::None).then(|| out.clone());
    host::record(
        ConvBackward,
        [&x, &w, &b],
        Arc::new(Saved {
            cols: cols.unwrap_or_default(),
            wt,
            y: saved_y,
            batch,
            geometry: g,
            activation,
        }),
        out,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::testing::{
        activated_tolerance, assert_close, assert_grads_close, on_each_cpu_backend, random,
        tracked_grads,
    };

    /// `(batch, channels, height, width, filters, kernel, stride, padding)`, odd sizes
    /// included.
    type Case = (usize, usize, usize, usize, usize, usize, usize, Padding);

    /// The last three run through Winograd's transforms: an odd output (tiles cut at the
    /// edge), channels and filters that are not a multiple of 16, Same padding, and the MNIST
    /// CNN's second convolution.
    const CASES: [Case; 12] = [
        (1, 1, 4, 4, 1, 3, 1, Padding::Valid),
        (2, 1, 5, 5, 3, 3, 1, Padding::Same),
        (3, 2, 7, 6, 4, 3, 2, Padding::Same),
        (2, 3, 8, 8, 5, 2, 2, Padding::Valid),
        (4, 2, 9, 7, 3, 5, 3, Padding::Same),
        (1, 4, 6, 6, 2, 1, 1, Padding::Valid),
        (5, 3, 11, 11, 8, 3, 2, Padding::Valid),
        (16, 1, 28, 28, 8, 3, 1, Padding::Valid),
        (2, 2, 3, 3, 2, 4, 1, Padding::Same),
        (3, 8, 7, 9, 5, 3, 1, Padding::Same),
        (2, 17, 6, 5, 20, 3, 1, Padding::Valid),
        (2, 32, 13, 13, 64, 3, 1, Padding::Valid),
    ];

    fn matches_burn<I: Host>() {
        let device = Default::default();
        for (batch, channels, height, width, filters, kernel, stride, padding) in CASES {
            let g = Geometry::new([channels, height, width], filters, kernel, stride, padding);
            for activation in [Elementwise::None, Elementwise::Relu, Elementwise::Tanh] {
                let case = format!(
                    "{batch}x{channels}x{height}x{width} {filters} filters {kernel}x{kernel} \
                     stride {stride} {padding:?} {activation:?}"
                );
                let x = random::<I, 4>([batch, channels, height, width], 1, &device);
                let w = random::<I, 4>([filters, channels, kernel, kernel], 2, &device);
                let b = random::<I, 1>([filters], 3, &device);
                let y = conv(x.clone(), w.clone(), b.clone(), g, activation);
                let expected = reference(x.clone(), w.clone(), b.clone(), g, activation);
                let before = reference(x.clone(), w.clone(), b.clone(), g, Elementwise::None);
                let tolerance = activated_tolerance(before, expected.clone());
                assert_close(&case, "output", y, expected, tolerance);

                let out = [batch, filters, g.out_height, g.out_width];
                let ours = tracked_grads::<I, 4, 4, 1, 4>(&x, &w, &b, out, |x, w, b| {
                    conv(x, w, b, g, activation)
                });
                let burns = tracked_grads::<I, 4, 4, 1, 4>(&x, &w, &b, out, |x, w, b| {
                    reference(x, w, b, g, activation)
                });
                assert_grads_close(&case, ours, burns, tolerance);
            }
        }
    }

    on_each_cpu_backend!(matches_burn);

    /// Two convolutions with burn's operations between and after them: burn reads the first
    /// one's output, which the kernels hand over channels-last where the backend allows, and
    /// the gradients cross both layouts on the way back.
    fn chains_with_burn<I: Host>() {
        let device = Default::default();
        let g1 = Geometry::new([3, 9, 8], 4, 3, 1, Padding::Same);
        let g2 = Geometry::new([4, 9, 8], 5, 3, 2, Padding::Valid);
        let x = random::<I, 4>([3, 3, 9, 8], 1, &device);
        let w = random::<I, 4>([4, 3, 3, 3], 2, &device);
        let b = random::<I, 1>([4], 3, &device);
        let w2 = random::<I, 4>([5, 4, 3, 3], 4, &device);
        let b2 = random::<I, 1>([5], 5, &device);
        let out = [3, g2.out_height * g2.out_width * 5];
        let chain = |kernel: bool| {
            let (w2, b2) = (w2.clone(), b2.clone());
            move |x, w, b| {
                let layer = |x, w, b, g, activation| match kernel {
                    true => conv(x, w, b, g, activation),
                    false => reference(x, w, b, g, activation),
                };
                let y: Tensor<Autodiff<I>, 4> = layer(x, w, b, g1, Elementwise::Relu);
                let y = y.clone() * y.mean_dim(1) + 0.5;
                let (w2, b2) = (
                    Tensor::from_inner(w2.clone()),
                    Tensor::from_inner(b2.clone()),
                );
                let y = layer(y, w2, b2, g2, Elementwise::Tanh);
                y.permute([0, 2, 3, 1]).reshape([out[0], out[1]])
            }
        };
        let ours = tracked_grads::<I, 4, 4, 1, 2>(&x, &w, &b, out, chain(true));
        let burns = tracked_grads::<I, 4, 4, 1, 2>(&x, &w, &b, out, chain(false));
        assert_grads_close("two convolutions with burn between", ours, burns, 1e-5);
    }

    #[test]
    fn chains_with_burn_on_ndarray() {
        chains_with_burn::<burn::backend::NdArray>();
    }

    #[cfg(feature = "flex")]
    #[test]
    fn chains_with_burn_on_flex() {
        chains_with_burn::<burn::backend::Flex>();
    }

    #[test]
    fn groups_are_even_in_number_and_size_and_cover_the_batch_in_order() {
        // The MNIST CNN's second layer (Winograd) and first (im2row's size sets the groups).
        let second = Geometry::new([32, 13, 13], 64, 3, 1, Padding::Valid);
        let first = Geometry::new([1, 28, 28], 32, 3, 1, Padding::Valid);
        for (g, batch) in [(&second, 128), (&second, 127), (&first, 128), (&second, 1)] {
            let groups = groups(g, batch);
            let sizes: Vec<usize> = groups.iter().map(|group| group.len()).collect();
            assert!(
                groups.len() == 1 || groups.len().is_multiple_of(2),
                "{sizes:?}"
            );
            let (smallest, largest) = (sizes.iter().min(), sizes.iter().max());
            assert!(largest.unwrap() - smallest.unwrap() <= 1, "{sizes:?}");
            assert!(*largest.unwrap() <= (GROUP_VALUES / g.lowered()).max(1));
            let ends: Vec<usize> = groups.iter().map(|group| group.end).collect();
            let starts: Vec<usize> = groups.iter().map(|group| group.start).collect();
            assert_eq!(starts[0], 0);
            assert_eq!(starts[1..], ends[..ends.len() - 1], "consecutive");
            assert_eq!(*ends.last().unwrap(), batch);
        }
        assert_eq!(
            groups(&second, 128).len(),
            12,
            "not 11, one of them smaller"
        );
    }

    #[test]
    fn same_padding_puts_the_odd_zero_after() {
        // TensorFlow: 7 wide, kernel 3, stride 2 -> 4 outputs, 2 zeros of padding, 1 before.
        let g = Geometry::new([1, 7, 7], 1, 3, 2, Padding::Same);
        assert_eq!((g.out_height, g.pad_top, g.pad_end()[0]), (4, 1, 1));
        let g = Geometry::new([1, 6, 6], 1, 3, 2, Padding::Same);
        assert_eq!((g.out_height, g.pad_top, g.pad_end()[0]), (3, 0, 1));
    }
}
