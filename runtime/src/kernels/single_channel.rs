//! Conv -> MaxPool of one-channel images (a first layer reading grey pictures), computed
//! directly, for [`conv_pool`](super::conv_pool) to use where it applies.
//!
//! With one channel, a patch has only `kernel²` values (9 for 3x3), far too short a shared
//! dimension for a matrix product to run at speed; im2row would copy each pixel nine times,
//! and the convolution's output, four times the pooled one, would be written, activated,
//! read by the pool, and written again as a gradient on the way back. Here each window of
//! the pool is convolved, activated and pooled in registers, 16 filters at a time (each
//! pixel times a vector of 16 weights), and only the pooled maximum and where it was leave
//! them. The backward pass walks the same windows: the pooled gradient, at the maximum's
//! position only, times the pixels under the kernel there, adds up into the weight
//! gradient, which stays in registers for a whole image.
//!
//! The forward pass keeps the padded images (smaller than im2row's patches) for the backward
//! pass. Sums go over images, windows, positions and kernel values in one fixed order, so the
//! bits do not depend on the threads.

use super::activation::Elementwise;
use super::conv::{Geometry, Grads};
use super::max_pool::Window;
use super::workspace::{Buffer, buffer};
use multiversion::multiversion;

/// Filters computed at a time: one vector of AVX-512.
const LANES: usize = 16;

/// The values of one position for `LANES` filters.
type Lanes = [f32; LANES];

/// Kernels of at most this many values (5x5): each kernel value is a vector of weights,
/// loaded from the cache for every position.
const MAX_TAPS: usize = 25;

/// Whether a Conv -> MaxPool of this geometry and window runs here: one channel, stride 1,
/// filters in whole vectors, and pooling windows that tile the plane (each convolution
/// output in at most one window).
pub(super) fn applies(g: &Geometry, window: &Window) -> bool {
    g.channels == 1
        && g.stride == 1
        && g.kernel * g.kernel <= MAX_TAPS
        && g.filters.is_multiple_of(LANES)
        && window.size == window.stride
}

/// `[height, width]` of an image with its padding.
fn padded_size(g: &Geometry) -> [usize; 2] {
    [g.out_height + g.kernel - 1, g.out_width + g.kernel - 1]
}

/// Values kept per image for the backward pass: the padded image.
pub(super) fn lowered(g: &Geometry) -> usize {
    let [height, width] = padded_size(g);
    height * width
}

/// The weights as the loops read them, `[kernel value, filter]`, from burn's `[filter, 1,
/// ky, kx]`.
pub(super) fn tap_major(g: &Geometry, w: &[f32]) -> Buffer<f32> {
    let (taps, f) = (g.kernel * g.kernel, g.filters);
    let mut wt = buffer(taps * f);
    for (filter, kernel) in w.chunks_exact(taps).enumerate() {
        for (tap, value) in kernel.iter().enumerate() {
            wt[tap * f + filter] = *value;
        }
    }
    wt
}

/// Convolves, activates and pools a group of images: `padded` gets each image with its
/// padding (`lowered` values each), `y` the pooled maxima and `at` where each was in the
/// convolution's plane (the first of equal values), both channels-last. `wt` is
/// [`tap_major`].
#[allow(clippy::too_many_arguments)]
pub(super) fn forward(
    g: &Geometry,
    window: &Window,
    activation: Elementwise,
    images: &[f32],
    wt: &[f32],
    b: &[f32],
    padded: &mut [f32],
    y: &mut [f32],
    at: &mut [u32],
) {
    let pooled = window.out_plane() * g.filters;
    let positions = Positions::new(g, window);
    let images = images
        .chunks_exact(g.image())
        .zip(padded.chunks_exact_mut(lowered(g)));
    for (n, (image, padded)) in images.enumerate() {
        pad(g, image, padded);
        let (y, at) = (
            &mut y[n * pooled..][..pooled],
            &mut at[n * pooled..][..pooled],
        );
        forward_image(((g, window, &positions, padded, wt), b), activation, y, at);
    }
}

/// Copies `image` into the middle of `padded`, zeros around it.
fn pad(g: &Geometry, image: &[f32], padded: &mut [f32]) {
    let width = padded_size(g)[1];
    padded.fill(0.0);
    for (row, pixels) in image.chunks_exact(g.width).enumerate() {
        let start = (row + g.pad_top) * width + g.pad_left;
        padded[start..start + g.width].copy_from_slice(pixels);
    }
}

/// [`forward`] of one padded image.
#[cfg_attr(
    feature = "avx512",
    multiversion(targets("x86_64+avx512f", "x86_64+avx2+fma"))
)]
#[cfg_attr(not(feature = "avx512"), multiversion(targets("x86_64+avx2+fma")))]
fn forward_image(args: ForwardReads, activation: Elementwise, y: &mut [f32], at: &mut [u32]) {
    // ReLU and no activation as closures of their own: their loops then have neither a
    // branch nor a call, around which the four sums would be stored and loaded again.
    match activation {
        Elementwise::None => pool_windows(args, |_| {}, y, at),
        Elementwise::Relu => pool_windows(args, |s| Elementwise::Relu.apply_each(s), y, at),
        other => pool_windows(args, move |s| other.apply_each(s), y, at),
    }
}

/// Asserts that every pixel a window's `K x K` kernels read lies in `image`, a padded image
/// `width` wide: both passes then read pixels without a check each.
#[inline(always)]
fn assert_windows_inside<const K: usize>(window: &Window, width: usize, image: &[f32]) {
    let last = |out: usize| (out - 1) * window.stride + window.size - 1 + K - 1;
    assert!(
        last(window.out_height) * width + last(window.out_width) < image.len()
            && last(window.out_width) < width,
        "a window's kernel reaches past its padded image"
    );
}

/// What both passes read of one image: the geometry, the pooling windows and their
/// positions, the padded image, and the weights tap by tap ([`tap_major`]).
type Image<'a> = (
    &'a Geometry,
    &'a Window,
    &'a Positions,
    &'a [f32],
    &'a [f32],
);

/// What [`pool_windows_of`] reads: the [`Image`] and the bias.
type ForwardReads<'a> = (Image<'a>, &'a [f32]);

/// [`pool_windows_of`] for the geometry's kernel size.
#[inline(always)]
fn pool_windows(
    args: ForwardReads,
    activate: impl Fn(&mut Lanes) + Copy,
    y: &mut [f32],
    at: &mut [u32],
) {
    match args.0.0.kernel {
        1 => pool_windows_of::<1>(args, activate, y, at),
        2 => pool_windows_of::<2>(args, activate, y, at),
        3 => pool_windows_of::<3>(args, activate, y, at),
        4 => pool_windows_of::<4>(args, activate, y, at),
        _ => pool_windows_of::<5>(args, activate, y, at),
    }
}

/// [`forward_image`] for kernels of `K x K`: with `K` known, the loops over the kernel unroll
/// and a run's `K²` weight vectors stay in registers for the whole image.
#[inline(always)]
fn pool_windows_of<const K: usize>(
    ((g, window, positions, image, wt), b): ForwardReads,
    activate: impl Fn(&mut Lanes),
    y: &mut [f32],
    at: &mut [u32],
) {
    let (f, width) = (g.filters, padded_size(g)[1]);
    let per_window = window.size * window.size;
    assert_windows_inside::<K>(window, width, image);
    for run in (0..f).step_by(LANES) {
        let bias: Lanes = b[run..run + LANES].try_into().expect("LANES values");
        let mut w = [[[0.0; LANES]; K]; K];
        for (ky, row) in w.iter_mut().enumerate() {
            for (kx, w) in row.iter_mut().enumerate() {
                *w = wt[(ky * K + kx) * f + run..][..LANES]
                    .try_into()
                    .expect("LANES");
            }
        }
        for o in 0..window.out_plane() {
            let window_positions = o * per_window..(o + 1) * per_window;
            let plane = &positions.plane[window_positions.clone()];
            let corners = &positions.corners[window_positions];
            let (mut max, mut arg) = ([0.0; LANES], [0; LANES]);
            for first in (0..per_window).step_by(AT_ONCE) {
                // The window's positions `AT_ONCE` at a time, each sum its own chain of
                // additions; past the window's last, the last again (equal values change
                // neither the maximum nor where it is).
                let q = |i: usize| (first + i).min(per_window - 1);
                let corner: [usize; AT_ONCE] = std::array::from_fn(|i| corners[q(i)] as usize);
                let p: [u32; AT_ONCE] = std::array::from_fn(|i| plane[q(i)]);
                // Four named sums, not an array that a loop walks: they stay in registers.
                let [mut s0, mut s1, mut s2, mut s3] = [bias; AT_ONCE];
                for (ky, row) in w.iter().enumerate() {
                    for (kx, w) in row.iter().enumerate() {
                        // SAFETY: `corner` is a position of a window, which
                        // `assert_windows_inside` checked with its kernel.
                        let pixel =
                            |i: usize| unsafe { *image.get_unchecked(corner[i] + ky * width + kx) };
                        add_product(&mut s0, pixel(0), w);
                        add_product(&mut s1, pixel(1), w);
                        add_product(&mut s2, pixel(2), w);
                        add_product(&mut s3, pixel(3), w);
                    }
                }
                let mut sums = [s0, s1, s2, s3];
                for (i, (sum, p)) in sums.iter_mut().zip(p).enumerate() {
                    activate(sum);
                    if first + i == 0 {
                        (max, arg) = (*sum, [p; LANES]);
                    } else {
                        keep_larger(&mut max, &mut arg, sum, p);
                    }
                }
            }
            y[o * f + run..][..LANES].copy_from_slice(&max);
            at[o * f + run..][..LANES].copy_from_slice(&arg);
        }
    }
}

/// `sum += pixel * w`, lane by lane, each a fused multiply-add.
#[inline(always)]
fn add_product(sum: &mut Lanes, pixel: f32, w: &Lanes) {
    for (s, w) in sum.iter_mut().zip(w) {
        *s = pixel.mul_add(*w, *s);
    }
}

/// Kernel taps whose weight gradients the backward pass sums together.
const TAPS_AT_ONCE: usize = 9;

/// Positions of a window computed together: independent sums, so that each addition need
/// not wait for the one before.
const AT_ONCE: usize = 4;

/// Keeps in `max` the larger of it and `values`, lane by lane, and in `arg` the position `p`
/// where `values` is larger: selects written as masks, which compile to vector blends.
#[inline(always)]
fn keep_larger(max: &mut Lanes, arg: &mut [u32; LANES], values: &Lanes, p: u32) {
    for i in 0..LANES {
        let mask = u32::from(values[i] > max[i]).wrapping_neg();
        let (old, new) = (max[i].to_bits(), values[i].to_bits());
        max[i] = f32::from_bits(old ^ ((old ^ new) & mask));
        arg[i] ^= (arg[i] ^ p) & mask;
    }
}

/// The gradients of a batch from the pooled output's gradient `grad`, the pooled output `y`
/// and `at` (channels-last, as [`forward`] wrote them), by the groups of images the forward
/// pass used; `padded` is what it kept and `wt` the weights it read ([`tap_major`]). The
/// groups' sums are added in order.
#[allow(clippy::too_many_arguments)]
pub(super) fn backward(
    g: &Geometry,
    window: &Window,
    activation: Elementwise,
    groups: &[std::ops::Range<usize>],
    padded: &[f32],
    wt: &[f32],
    grad: &[f32],
    y: &[f32],
    at: &[u32],
    want_x: bool,
) -> Grads {
    use rayon::prelude::*;
    let (taps, f) = (g.kernel * g.kernel, g.filters);
    let pooled = window.out_plane() * f;
    let positions = Positions::new(g, window);
    let batch = groups.last().map_or(0, |group| group.end);
    let mut x = vec![0.0; if want_x { batch * g.image() } else { 0 }];
    let mut x_parts = Vec::with_capacity(groups.len());
    let mut rest = &mut x[..];
    for group in groups {
        let len = if want_x { group.len() * g.image() } else { 0 };
        let (head, tail) = std::mem::take(&mut rest).split_at_mut(len);
        x_parts.push(head);
        rest = tail;
    }
    let sums: Vec<Vec<f32>> = groups
        .par_iter()
        .zip(x_parts)
        .map(|(group, x)| {
            let mut sum = vec![0.0; (taps + 1) * f];
            let (dw, db) = sum.split_at_mut(taps * f);
            let mut dx = vec![0.0; if want_x { lowered(g) } else { 0 }];
            for n in group.clone() {
                let image = &padded[n * lowered(g)..][..lowered(g)];
                let range = n * pooled..(n + 1) * pooled;
                let (grad, y, at) = (&grad[range.clone()], &y[range.clone()], &at[range]);
                dx.fill(0.0);
                let dx_image = want_x.then_some(&mut dx[..]);
                let reads = ((g, window, &positions, image, wt), grad, y, at);
                backward_image(reads, activation, dw, db, dx_image);
                if want_x {
                    let x = &mut x[(n - group.start) * g.image()..][..g.image()];
                    unpad(g, &dx, x);
                }
            }
            sum
        })
        .collect();
    let mut total = vec![0.0; (taps + 1) * f];
    for sum in &sums {
        total.iter_mut().zip(sum).for_each(|(t, s)| *t += s);
    }
    let (dw, db) = total.split_at(taps * f);
    let mut w = vec![0.0; taps * f];
    for (filter, kernel) in w.chunks_exact_mut(taps).enumerate() {
        for (tap, value) in kernel.iter_mut().enumerate() {
            *value = dw[tap * f + filter];
        }
    }
    Grads {
        x: want_x.then_some(x),
        w,
        b: db.to_vec(),
    }
}

/// The middle of a padded image's gradient: the image's own.
fn unpad(g: &Geometry, padded: &[f32], image: &mut [f32]) {
    let width = padded_size(g)[1];
    for (row, pixels) in image.chunks_exact_mut(g.width).enumerate() {
        let start = (row + g.pad_top) * width + g.pad_left;
        pixels.copy_from_slice(&padded[start..start + g.width]);
    }
}

/// Adds one image's weight and bias gradients onto `dw` (`[kernel value, filter]`) and
/// `db`, and, where given, its padded input gradient onto `dx`.
#[cfg_attr(
    feature = "avx512",
    multiversion(targets("x86_64+avx512f", "x86_64+avx2+fma"))
)]
#[cfg_attr(not(feature = "avx512"), multiversion(targets("x86_64+avx2+fma")))]
fn backward_image(
    args: Reads,
    activation: Elementwise,
    dw: &mut [f32],
    db: &mut [f32],
    dx: Option<&mut [f32]>,
) {
    let outs = (dw, db, dx);
    // As in the forward pass: without a call per window, the weight-gradient sums stay in
    // registers.
    match activation {
        Elementwise::None => unpool_windows(args, |_, _| {}, outs),
        Elementwise::Relu => {
            let scale = |y: &Lanes, grad: &mut Lanes| Elementwise::Relu.backward(y, grad);
            unpool_windows(args, scale, outs)
        }
        other => unpool_windows(args, move |y, grad| other.backward(y, grad), outs),
    }
}

/// Each window's positions in order: where each is in the convolution's plane, and the
/// top-left pixel of its kernel in the padded image.
struct Positions {
    plane: Vec<u32>,
    corners: Vec<u32>,
}

impl Positions {
    fn new(g: &Geometry, window: &Window) -> Self {
        let width = padded_size(g)[1];
        let (mut plane, mut corners) = (Vec::new(), Vec::new());
        for o in 0..window.out_plane() {
            let top = o / window.out_width * window.stride;
            let left = o % window.out_width * window.stride;
            for q in 0..window.size * window.size {
                let (oy, ox) = (top + q / window.size, left + q % window.size);
                plane.push((oy * g.out_width + ox) as u32);
                corners.push((oy * width + ox) as u32);
            }
        }
        Positions { plane, corners }
    }
}

/// What [`backward_image`] writes: the weight, bias and input gradients.
type Writes<'a> = (&'a mut [f32], &'a mut [f32], Option<&'a mut [f32]>);

/// What [`unpool_windows_of`] reads: the [`Image`], and the pooled gradient, the pooled
/// output and where each maximum was.
type Reads<'a> = (Image<'a>, &'a [f32], &'a [f32], &'a [u32]);

/// [`unpool_windows_of`] for the geometry's kernel size.
#[inline(always)]
fn unpool_windows(args: Reads, scale: impl Fn(&Lanes, &mut Lanes) + Copy, outs: Writes) {
    match args.0.0.kernel {
        1 => unpool_windows_of::<1>(args, scale, outs),
        2 => unpool_windows_of::<2>(args, scale, outs),
        3 => unpool_windows_of::<3>(args, scale, outs),
        4 => unpool_windows_of::<4>(args, scale, outs),
        _ => unpool_windows_of::<5>(args, scale, outs),
    }
}

/// [`backward_image`] for kernels of `K x K`: a run's weight-gradient vectors, nine taps at a
/// time, stay in registers for the whole image.
#[inline(always)]
fn unpool_windows_of<const K: usize>(
    reads: Reads,
    scale: impl Fn(&Lanes, &mut Lanes),
    (dw, db, mut dx): Writes,
) {
    let ((g, window, _, image, wt), grad, y, _) = reads;
    let (f, width) = (g.filters, padded_size(g)[1]);
    assert_windows_inside::<K>(window, width, image);
    for run in (0..f).step_by(LANES) {
        let mut bias = [0.0; LANES];
        for o in 0..window.out_plane() {
            let mut scaled: Lanes = grad[o * f + run..][..LANES].try_into().expect("LANES");
            scale(
                y[o * f + run..][..LANES].try_into().expect("LANES"),
                &mut scaled,
            );
            bias.iter_mut().zip(&scaled).for_each(|(b, s)| *b += s);
        }
        db[run..run + LANES]
            .iter_mut()
            .zip(&bias)
            .for_each(|(d, b)| *d += b);
        // Each tap's sum runs over the positions in order, as the windows come: nine taps
        // (a 3x3 kernel) at a time, nine named sums that stay in registers (an array of
        // `K x K` sums was split into single values and kept in memory). Past the last
        // tap, the last again.
        let taps = K * K;
        for first in (0..taps).step_by(TAPS_AT_ONCE) {
            let offset = |i: usize| {
                let tap = (first + i).min(taps - 1);
                tap / K * width + tap % K
            };
            let [o0, o1, o2, o3, o4, o5, o6, o7, o8] = std::array::from_fn(offset);
            let mut sums = [[0.0; LANES]; TAPS_AT_ONCE];
            let [s0, s1, s2, s3, s4, s5, s6, s7, s8] = &mut sums;
            each_position(reads, &scale, run, |d, corner| {
                // SAFETY: `corner` is a position of a window, which `assert_windows_inside`
                // checked with its kernel.
                let pixel = |offset: usize| unsafe { *image.get_unchecked(corner + offset) };
                add_product(s0, pixel(o0), d);
                add_product(s1, pixel(o1), d);
                add_product(s2, pixel(o2), d);
                add_product(s3, pixel(o3), d);
                add_product(s4, pixel(o4), d);
                add_product(s5, pixel(o5), d);
                add_product(s6, pixel(o6), d);
                add_product(s7, pixel(o7), d);
                add_product(s8, pixel(o8), d);
            });
            for (tap, sum) in (first..taps).zip(&sums) {
                let dw = &mut dw[tap * f + run..][..LANES];
                dw.iter_mut().zip(sum).for_each(|(w, s)| *w += s);
            }
        }
        if let Some(dx) = dx.as_deref_mut() {
            each_position(reads, &scale, run, |d, corner| {
                for ky in 0..K {
                    for kx in 0..K {
                        let w = &wt[(ky * K + kx) * f + run..][..LANES];
                        dx[corner + ky * width + kx] +=
                            w.iter().zip(d).map(|(w, d)| w * d).sum::<f32>();
                    }
                }
            });
        }
    }
}

/// Calls `body` with each position's gradient and the top-left pixel of its kernel, for the
/// run of filters from `run`, window by window, in order: the pooled gradient where the
/// maximum was, zero elsewhere. (Loops, not an iterator: `FlatMap::next` was not inlined into
/// the function compiled for wide vectors.)
#[inline(always)]
fn each_position(
    ((g, window, positions, _, _), grad, y, at): Reads,
    scale: &impl Fn(&Lanes, &mut Lanes),
    run: usize,
    mut body: impl FnMut(&Lanes, usize),
) {
    let (f, per_window) = (g.filters, window.size * window.size);
    for o in 0..window.out_plane() {
        let at: &[u32; LANES] = at[o * f + run..][..LANES].try_into().expect("LANES");
        let mut scaled: Lanes = grad[o * f + run..][..LANES].try_into().expect("LANES");
        scale(
            y[o * f + run..][..LANES].try_into().expect("LANES"),
            &mut scaled,
        );
        let window = o * per_window..(o + 1) * per_window;
        for (&p, &corner) in positions.plane[window.clone()]
            .iter()
            .zip(&positions.corners[window])
        {
            let mut d = [0.0; LANES];
            for l in 0..LANES {
                d[l] = if at[l] == p { scaled[l] } else { 0.0 };
            }
            body(&d, corner as usize);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use percept_catalogue::Padding;

    #[test]
    fn applies_to_one_channel_in_whole_vectors_of_filters_with_tiling_windows() {
        let g = |channels, filters, kernel| {
            Geometry::new([channels, 28, 28], filters, kernel, 1, Padding::Valid)
        };
        let pool = |size, stride| Window::new([26, 26], size, stride);
        // The MNIST CNN's first layer.
        assert!(applies(&g(1, 32, 3), &pool(2, 2)));
        assert!(applies(&g(1, 16, 5), &pool(3, 3)));
        assert!(!applies(&g(2, 32, 3), &pool(2, 2)), "two channels");
        assert!(
            !applies(&g(1, 8, 3), &pool(2, 2)),
            "half a vector of filters"
        );
        assert!(!applies(&g(1, 32, 7), &pool(2, 2)), "a 7x7 kernel");
        assert!(!applies(&g(1, 32, 3), &pool(3, 2)), "overlapping windows");
        // The padded image of a 28x28 Valid convolution is the image.
        assert_eq!(lowered(&g(1, 32, 3)), 28 * 28);
    }
}
