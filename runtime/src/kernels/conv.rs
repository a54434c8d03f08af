//! Conv: a 2-D convolution as im2col and one matrix product per image, with the bias and the
//! activation fused, and its backward pass (col2im for the input gradient, only where the
//! input needs one).
//!
//! Layout: burn's, `x: [batch, channels, height, width]`, `w: [filters, channels, k, k]`.
//! For each image, `cols` holds one row per `(channel, ky, kx)` and one column per output
//! position; the output is `W · cols`, `[filters, positions]`, already channels-first.

use std::sync::Arc;

use burn::backend::Autodiff;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::prelude::*;
use burn::tensor::ops::PaddedConvOptions;
use percept_catalogue::Padding;
use rayon::prelude::*;

use super::activation::Elementwise;
use super::gemm::{MatRef, Threads, matmul};
use super::host::{self, Mode, cast, on_cpu};

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

    /// The output positions `ox` whose input column `ox * stride + kx - pad` lies in the
    /// image, as a range.
    fn valid(&self, k: usize, pad: usize, size: usize, out: usize) -> (usize, usize) {
        let lo = if k >= pad {
            0
        } else {
            (pad - k).div_ceil(self.stride)
        };
        let hi = if size + pad > k {
            (size + pad - k).div_ceil(self.stride).min(out)
        } else {
            0
        };
        (lo.min(hi), hi)
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
    match activation {
        Elementwise::None => z,
        Elementwise::Relu => burn::tensor::activation::relu(z),
        Elementwise::Sigmoid => burn::tensor::activation::sigmoid(z),
        Elementwise::Tanh => burn::tensor::activation::tanh(z),
    }
}

/// Writes the patches of one image into `cols` (`patch` rows of `positions`).
fn im2col(g: &Geometry, image: &[f32], cols: &mut [f32]) {
    let (k, s, ow, oh) = (g.kernel, g.stride, g.out_width, g.out_height);
    let plane = g.height * g.width;
    for c in 0..g.channels {
        for ky in 0..k {
            for kx in 0..k {
                let row = &mut cols[((c * k + ky) * k + kx) * g.positions()..][..g.positions()];
                let (lo, hi) = g.valid(kx, g.pad_left, g.width, ow);
                for oy in 0..oh {
                    let out = &mut row[oy * ow..(oy + 1) * ow];
                    let iy = oy * s + ky;
                    if iy < g.pad_top || iy - g.pad_top >= g.height {
                        out.fill(0.0);
                        continue;
                    }
                    let src = &image[c * plane + (iy - g.pad_top) * g.width..][..g.width];
                    out[..lo].fill(0.0);
                    out[hi..].fill(0.0);
                    if s == 1 {
                        let start = lo + kx - g.pad_left;
                        out[lo..hi].copy_from_slice(&src[start..start + hi - lo]);
                    } else {
                        for (ox, v) in out[lo..hi].iter_mut().enumerate() {
                            *v = src[(lo + ox) * s + kx - g.pad_left];
                        }
                    }
                }
            }
        }
    }
}

/// Adds the patch gradients `cols` of one image back onto its input gradient `image`.
fn col2im(g: &Geometry, cols: &[f32], image: &mut [f32]) {
    let (k, s, ow, oh) = (g.kernel, g.stride, g.out_width, g.out_height);
    let plane = g.height * g.width;
    for c in 0..g.channels {
        for ky in 0..k {
            for kx in 0..k {
                let row = &cols[((c * k + ky) * k + kx) * g.positions()..][..g.positions()];
                let (lo, hi) = g.valid(kx, g.pad_left, g.width, ow);
                for oy in 0..oh {
                    let iy = oy * s + ky;
                    if iy < g.pad_top || iy - g.pad_top >= g.height {
                        continue;
                    }
                    let from = &row[oy * ow..(oy + 1) * ow];
                    let dst = &mut image[c * plane + (iy - g.pad_top) * g.width..][..g.width];
                    if s == 1 {
                        let start = lo + kx - g.pad_left;
                        dst[start..start + hi - lo]
                            .iter_mut()
                            .zip(&from[lo..hi])
                            .for_each(|(d, v)| *d += v);
                    } else {
                        for ox in lo..hi {
                            dst[ox * s + kx - g.pad_left] += from[ox];
                        }
                    }
                }
            }
        }
    }
}

/// Convolves one image: `out = activation(W · im2col(image) + b)`, `[filters, positions]`,
/// leaving the patches in `cols`.
pub(super) fn convolve(
    g: &Geometry,
    image: &[f32],
    w: &[f32],
    b: &[f32],
    activation: Elementwise,
    cols: &mut [f32],
    out: &mut [f32],
) {
    im2col(g, image, cols);
    for (row, bias) in out.chunks_exact_mut(g.positions()).zip(b) {
        row.fill(*bias);
    }
    matmul(
        out,
        MatRef::rows(w, g.filters, g.patch()),
        MatRef::rows(cols, g.patch(), g.positions()),
        true,
        Threads::One,
    );
    activation.apply(out);
}

/// The output of a batch, `[batch, filters, positions]`, and the patches of every image
/// (kept for the weight gradient when `keep_cols`).
fn forward(
    x: &[f32],
    w: &[f32],
    b: &[f32],
    g: &Geometry,
    activation: Elementwise,
    keep_cols: bool,
) -> (Vec<f32>, Option<Vec<f32>>) {
    let batch = x.len() / g.image();
    let cols_len = g.patch() * g.positions();
    let out_len = g.filters * g.positions();
    let mut y = vec![0.0; batch * out_len];
    if keep_cols {
        let mut cols = vec![0.0; batch * cols_len];
        y.par_chunks_mut(out_len)
            .zip(cols.par_chunks_mut(cols_len))
            .zip(x.par_chunks(g.image()))
            .for_each(|((out, cols), image)| convolve(g, image, w, b, activation, cols, out));
        (y, Some(cols))
    } else {
        y.par_chunks_mut(out_len)
            .zip(x.par_chunks(g.image()))
            .for_each_init(
                || vec![0.0; cols_len],
                |cols, (out, image)| convolve(g, image, w, b, activation, cols, out),
            );
        (y, None)
    }
}

/// What the backward pass needs from the forward pass.
#[derive(Debug)]
struct Saved {
    cols: Vec<f32>,
    w: Vec<f32>,
    /// The output, where the activation's derivative needs it.
    y: Option<Vec<f32>>,
    batch: usize,
    geometry: Geometry,
    activation: Elementwise,
}

/// How many parts a batch's weight and bias gradients are summed in: a fixed partition, so
/// the order of the sums never depends on the number of threads.
const PARTS: usize = 8;

/// The gradients of a convolution's input (when asked for), weights and bias.
pub(super) struct Grads {
    pub x: Option<Vec<f32>>,
    pub w: Vec<f32>,
    pub b: Vec<f32>,
}

/// The gradients of a batch's convolution from the gradient of its output before the
/// activation, which `grad_of(n, grad)` writes for image `n` into `grad`
/// (`[filters, positions]`). `cols` are the patches the forward pass kept, `w` the weights.
pub(super) fn backward_from(
    g: &Geometry,
    batch: usize,
    cols: &[f32],
    w: &[f32],
    want_x: bool,
    grad_of: impl Fn(usize, &mut [f32]) + Sync,
) -> Grads {
    let (patch, positions, filters) = (g.patch(), g.positions(), g.filters);
    let cols_len = patch * positions;
    let per_part = batch.div_ceil(PARTS).max(1);
    let parts = batch.div_ceil(per_part);
    let sums_len = filters + filters * patch;
    let mut sums = vec![0.0; parts * sums_len];
    let mut x = if want_x {
        vec![0.0; batch * g.image()]
    } else {
        Vec::new()
    };
    let mut x_parts: Vec<&mut [f32]> = if want_x {
        x.chunks_mut(per_part * g.image()).collect()
    } else {
        (0..parts).map(|_| Default::default()).collect()
    };
    let weights_t = MatRef::rows(w, filters, patch).t();
    sums.par_chunks_mut(sums_len)
        .zip(x_parts.par_iter_mut())
        .enumerate()
        .for_each(|(part, (sum, x_part))| {
            let (b_sum, w_sum) = sum.split_at_mut(filters);
            let mut grad = vec![0.0; filters * positions];
            let mut patch_grad = vec![0.0; if want_x { cols_len } else { 0 }];
            let images = part * per_part..((part + 1) * per_part).min(batch);
            for (k, n) in images.enumerate() {
                grad_of(n, &mut grad);
                for (s, row) in b_sum.iter_mut().zip(grad.chunks_exact(positions)) {
                    *s += row.iter().sum::<f32>();
                }
                let grad_m = MatRef::rows(&grad, filters, positions);
                let cols_n = MatRef::rows(&cols[n * cols_len..][..cols_len], patch, positions);
                matmul(w_sum, grad_m, cols_n.t(), true, Threads::One);
                if want_x {
                    matmul(&mut patch_grad, weights_t, grad_m, false, Threads::One);
                    col2im(g, &patch_grad, &mut x_part[k * g.image()..][..g.image()]);
                }
            }
        });
    // The parts in order.
    let mut b = vec![0.0; filters];
    let mut w = vec![0.0; filters * patch];
    for sum in sums.chunks_exact(sums_len) {
        let (b_sum, w_sum) = sum.split_at(filters);
        b.iter_mut().zip(b_sum).for_each(|(t, s)| *t += s);
        w.iter_mut().zip(w_sum).for_each(|(t, s)| *t += s);
    }
    Grads {
        x: want_x.then_some(x),
        w,
        b,
    }
}

fn backward(saved: &Saved, grad: Vec<f32>, want_x: bool) -> Grads {
    let g = &saved.geometry;
    let out_len = g.filters * g.positions();
    backward_from(g, saved.batch, &saved.cols, &saved.w, want_x, |n, into| {
        into.copy_from_slice(&grad[n * out_len..][..out_len]);
        if let Some(y) = &saved.y {
            saved
                .activation
                .backward(&y[n * out_len..][..out_len], into);
        }
    })
}

fn plain<I: Backend>(
    x: Tensor<I, 4>,
    w: Tensor<I, 4>,
    b: Tensor<I, 1>,
    g: Geometry,
    activation: Elementwise,
) -> Tensor<I, 4> {
    let batch = x.dims()[0];
    let device = x.device();
    let (y, _) = forward(
        &host::values(x),
        &host::values(w),
        &host::values(b),
        &g,
        activation,
        false,
    );
    host::tensor(y, [batch, g.filters, g.out_height, g.out_width], &device)
}

#[derive(Debug)]
struct ConvBackward;

impl<I: Backend> Backward<I, 3> for ConvBackward {
    type State = Arc<Saved>;

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_w, node_b] = ops.parents;
        let grad = host::wrap::<I, 4>(grads.consume::<I>(&ops.node));
        let device = grad.device();
        let saved = &ops.state;
        let g = saved.geometry;
        let computed = backward(saved, host::values(grad), node_x.is_some());
        if let (Some(node), Some(x)) = (node_x, computed.x) {
            let dims = [saved.batch, g.channels, g.height, g.width];
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
) -> Tensor<Autodiff<I>, 4> {
    let batch = x.dims()[0];
    let (x, w, b) = (host::tracked(x), host::tracked(w), host::tracked(b));
    let device = host::inner::<I, 4>(&x).device();
    let wv = host::values(host::inner::<I, 4>(&w));
    let (y, cols) = forward(
        &host::values(host::inner::<I, 4>(&x)),
        &wv,
        &host::values(host::inner::<I, 1>(&b)),
        &g,
        activation,
        true,
    );
    let saved_y = (activation != Elementwise::None).then(|| y.clone());
    let dims = [batch, g.filters, g.out_height, g.out_width];
    let out = host::primitive(host::tensor::<I, 4>(y, dims, &device));
    let prep = ConvBackward
        .prepare::<NoCheckpointing>([x.node.clone(), w.node.clone(), b.node.clone()])
        .compute_bound()
        .stateful();
    host::wrap_tracked(match prep {
        OpsKind::Tracked(prep) => prep.finish(
            Arc::new(Saved {
                cols: cols.unwrap_or_default(),
                w: wv,
                y: saved_y,
                batch,
                geometry: g,
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

    /// `(batch, channels, height, width, filters, kernel, stride, padding)`, odd sizes
    /// included.
    const CASES: [(usize, usize, usize, usize, usize, usize, usize, Padding); 9] = [
        (1, 1, 4, 4, 1, 3, 1, Padding::Valid),
        (2, 1, 5, 5, 3, 3, 1, Padding::Same),
        (3, 2, 7, 6, 4, 3, 2, Padding::Same),
        (2, 3, 8, 8, 5, 2, 2, Padding::Valid),
        (4, 2, 9, 7, 3, 5, 3, Padding::Same),
        (1, 4, 6, 6, 2, 1, 1, Padding::Valid),
        (5, 3, 11, 11, 8, 3, 2, Padding::Valid),
        (16, 1, 28, 28, 8, 3, 1, Padding::Valid),
        (2, 2, 3, 3, 2, 4, 1, Padding::Same),
    ];

    fn matches_burn<I: Backend>() {
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
                assert_close(&case, "output", y, expected, 1e-5);

                let out = [batch, filters, g.out_height, g.out_width];
                let ours = tracked_grads::<I, 4, 4, 1, 4>(&x, &w, &b, out, |x, w, b| {
                    conv(x, w, b, g, activation)
                });
                let burns = tracked_grads::<I, 4, 4, 1, 4>(&x, &w, &b, out, |x, w, b| {
                    reference(x, w, b, g, activation)
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
    fn same_padding_puts_the_odd_zero_after() {
        // TensorFlow: 7 wide, kernel 3, stride 2 -> 4 outputs, 2 zeros of padding, 1 before.
        let g = Geometry::new([1, 7, 7], 1, 3, 2, Padding::Same);
        assert_eq!((g.out_height, g.pad_top, g.pad_end()[0]), (4, 1, 1));
        let g = Geometry::new([1, 6, 6], 1, 3, 2, Padding::Same);
        assert_eq!((g.out_height, g.pad_top, g.pad_end()[0]), (3, 0, 1));
    }
}
