//! Winograd's F(4x4, 3x3) (Lavin and Gray, 2015): a 3x3 convolution of stride 1 with four
//! times fewer multiplications than im2row's product, for [`conv`](super::conv) to use where
//! it applies.
//!
//! The output is cut into tiles of 4x4 positions, each of which reads a 6x6 patch of the
//! input. For one channel and one filter, a tile is `Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A`: the patch
//! `d` and the kernel `g` are each turned into 36 values, multiplied value by value, and
//! turned back into 16 outputs. Summed over the channels, the value-by-value products are
//! 36 matrix products, one for each transformed position `ξ`: `M_ξ = V_ξ · U_ξ`, `[tiles,
//! channels] · [channels, filters]`. Sixteen outputs then cost 36 multiplications where
//! im2row spends 144 (F(2x2, 3x3), the smaller variant, spends 64).
//!
//! The backward pass runs the same linear maps transposed, so it needs nothing else: with
//! `Z = A dY Aᵀ` a tile's output gradient taken into the transformed space, the weight
//! gradient is `Gᵀ (Σ_tiles Vᵀ_ξ Z_ξ) G` and a patch's gradient `B (Z_ξ Uᵀ_ξ) Bᵀ`, added
//! where the patches overlap. The forward pass keeps `V` for the weight gradient: 36 values
//! per tile and channel, a quarter of im2row's patches.
//!
//! The larger tiles round more: the transforms' coefficients reach 8 (`Aᵀ`) and 1/24 (`G`),
//! so an output differs from a direct convolution's by about 1e-5 of the values' size
//! (F(2x2, 3x3): a few 1e-6), far below what training notices; the tests bound it.
//!
//! Layouts, for a group of images: `V` is `[36][tiles][channels]`, `M` and `Z`
//! `[36][tiles][filters]`, and `U` `[36][channels][filters]`, so that each `ξ` is one
//! row-major matrix for `gemm`, and a tile's channels (or filters) lie together, which the
//! transforms move 16 at a time as vectors, channels-last as the images are.

use super::activation::Elementwise;
use super::conv::Geometry;
use super::gemm::{MatRef, Threads, matmul};
use super::workspace::{Buffer, buffer};
use multiversion::multiversion;
use std::mem::MaybeUninit;

/// Outputs of a tile, along each axis.
const TILE: usize = 4;

/// Inputs of a tile's patch, along each axis.
const PATCH: usize = TILE + 2;

/// Transformed values of a tile: 6x6.
const XI: usize = PATCH * PATCH;

/// Channels (or filters) that the transforms move at a time.
const LANES: usize = 16;

/// The values of one tile position for `LANES` channels or filters.
#[derive(Clone, Copy)]
struct Lanes([f32; LANES]);

impl Lanes {
    const ZERO: Lanes = Lanes([0.0; LANES]);

    /// These values, or zeros: a select, not a branch.
    #[inline(always)]
    fn keep_if(self, keep: bool) -> Lanes {
        let mut out = self;
        for v in out.0.iter_mut() {
            *v = if keep { *v } else { 0.0 };
        }
        out
    }
}

/// Below this many channels, the 36 products' shared dimension is too short for them to be
/// faster than im2row's single product (a first layer reading one channel stays on im2row).
const MIN_CHANNELS: usize = 8;

/// Whether a convolution of this geometry runs through Winograd's transforms.
pub(super) fn applies(g: &Geometry) -> bool {
    g.kernel == 3 && g.stride == 1 && g.channels >= MIN_CHANNELS
}

/// Tiles per image: `[rows, columns]`, the last ones cut by the output's edge where its size
/// is not a multiple of 4.
fn grid(g: &Geometry) -> [usize; 2] {
    [g.out_height.div_ceil(TILE), g.out_width.div_ceil(TILE)]
}

/// Tiles per image.
fn tiles(g: &Geometry) -> usize {
    let [rows, cols] = grid(g);
    rows * cols
}

/// Values of `V` for one image.
pub(super) fn lowered(g: &Geometry) -> usize {
    XI * tiles(g) * g.channels
}

/// `G`'s fractions, as factors: a multiplication costs a few cycles where a division costs
/// tens.
const SIXTH: f32 = 1.0 / 6.0;
const TWELFTH: f32 = 1.0 / 12.0;
const TWENTY_FOURTH: f32 = 1.0 / 24.0;

/// `U`, `[36][channels][filters]`, from burn's weights `[filters, channels, 3, 3]`.
pub(super) fn weights(g: &Geometry, w: &[f32]) -> Buffer<f32> {
    let (c, f) = (g.channels, g.filters);
    let mut u = buffer(XI * c * f);
    // A channel's kernels at a time, through `rows` (`[36][filters]`), so that `u` is written
    // a row of filters at a time: written value by value, its 36 values of a kernel lie
    // `channels * filters` apart, which for 32 x 64 is 8 KiB, so all fall in one set of the
    // L1 cache and evict each other.
    let mut rows = buffer(XI * f);
    for channel in 0..c {
        for filter in 0..f {
            let kernel: [f32; 9] = w[(filter * c + channel) * 9..][..9]
                .try_into()
                .expect("3x3 values");
            let t = separable::<KernelRows, 3, PATCH, 9, XI>(kernel);
            for (xi, value) in t.into_iter().enumerate() {
                rows[xi * f + filter] = value;
            }
        }
        for (xi, row) in rows.chunks_exact(f).enumerate() {
            u[(xi * c + channel) * f..][..f].copy_from_slice(row);
        }
    }
    u
}

/// burn's weight gradient `[filters, channels, 3, 3]` from the gradient of `U`.
pub(super) fn weight_grad(g: &Geometry, du: &[f32]) -> Vec<f32> {
    let (c, f) = (g.channels, g.filters);
    let mut w = vec![0.0; f * c * 9];
    // A channel at a time, through `rows`, as in `weights`.
    let mut rows = buffer(XI * f);
    for channel in 0..c {
        for (xi, row) in rows.chunks_exact_mut(f).enumerate() {
            row.copy_from_slice(&du[(xi * c + channel) * f..][..f]);
        }
        for filter in 0..f {
            let grad: [f32; XI] = build(|xi| rows[xi * f + filter]);
            let t = separable::<KernelGradRows, PATCH, 3, XI, 9>(grad);
            w[(filter * c + channel) * 9..][..9].copy_from_slice(&t);
        }
    }
    w
}

/// Convolves a group of `count` channels-last images: `v` gets their transformed patches
/// (`[36][tiles][channels]`, kept for the weight gradient), and `out` the activated output,
/// channels-last (`[count * positions, filters]`). `u` is [`weights`].
#[allow(clippy::too_many_arguments)]
pub(super) fn convolve(
    g: &Geometry,
    images: &[f32],
    count: usize,
    u: &[f32],
    b: &[f32],
    activation: Elementwise,
    v: &mut [f32],
    out: &mut [f32],
) {
    let (c, f, t) = (g.channels, g.filters, count * tiles(g));
    transform_input(g, images, v);
    let mut m = buffer(XI * t * f);
    for xi in 0..XI {
        matmul(
            &mut m[xi * t * f..][..t * f],
            MatRef::rows(&v[xi * t * c..][..t * c], t, c),
            MatRef::rows(&u[xi * c * f..][..c * f], c, f),
            false,
            Threads::One,
        );
    }
    transform_output(g, count, &m, out);
    activation.apply_with_bias(out, b);
}

/// The gradients of a group of `count` images from the gradient of their output before the
/// activation, `grad` (channels-last, `[count * positions, filters]`): `du` gets the gradient
/// of `U` (`[36][channels][filters]`), and `x`, where given, the images' channels-last input
/// gradient. `v` is what [`convolve`] kept, `u` is [`weights`].
pub(super) fn backward(
    g: &Geometry,
    count: usize,
    v: &[f32],
    u: &[f32],
    grad: &[f32],
    du: &mut [f32],
    x: Option<&mut [f32]>,
) {
    let (c, f, t) = (g.channels, g.filters, count * tiles(g));
    let mut z = buffer(XI * t * f);
    transform_grad(g, count, grad, &mut z);
    for xi in 0..XI {
        let z = MatRef::rows(&z[xi * t * f..][..t * f], t, f);
        let v = MatRef::rows(&v[xi * t * c..][..t * c], t, c);
        matmul(
            &mut du[xi * c * f..][..c * f],
            v.t(),
            z,
            false,
            Threads::One,
        );
    }
    let Some(x) = x else { return };
    let mut dv = buffer(XI * t * c);
    for xi in 0..XI {
        let z = MatRef::rows(&z[xi * t * f..][..t * f], t, f);
        let u = MatRef::rows(&u[xi * c * f..][..c * f], c, f);
        matmul(
            &mut dv[xi * t * c..][..t * c],
            z,
            u.t(),
            false,
            Threads::One,
        );
    }
    x.fill(0.0);
    transform_patch_grad(g, &dv, x);
}

/// `(image, tile, top, left)` for each tile of `count` images, in order: `tile` counts from
/// the group's first image, and `top`, `left` are where the tile's first output is. (An
/// iterator rather than a function taking a closure, so that the loops stay in the
/// transform's own body, which `multiversion` compiles for wide vectors.)
#[inline(always)]
fn each_tile(g: &Geometry, count: usize) -> impl Iterator<Item = (usize, usize, usize, usize)> {
    let [rows, cols] = grid(g);
    (0..count * rows * cols).map(move |tile| {
        let (image, ty, tx) = (tile / (rows * cols), tile / cols % rows, tile % cols);
        (image, tile, TILE * ty, TILE * tx)
    })
}

/// `(start, lanes)` for each run of at most [`LANES`] of `n` channels or filters.
#[inline(always)]
fn each_run(n: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..n)
        .step_by(LANES)
        .map(move |start| (start, LANES.min(n - start)))
}

/// The input position that a tile starting at output `(top, left)` reads at `(r, s)` of its
/// patch, if it lies inside the image (outside is padding).
#[inline(always)]
fn source(g: &Geometry, top: usize, left: usize, r: usize, s: usize) -> Option<usize> {
    let iy = (top + r).wrapping_sub(g.pad_top);
    let ix = (left + s).wrapping_sub(g.pad_left);
    (iy < g.height && ix < g.width).then(|| iy * g.width + ix)
}

/// `V = Bᵀ d B` for every tile and channel of a group's channels-last images.
#[cfg_attr(
    feature = "avx512",
    multiversion(targets("x86_64+avx512f", "x86_64+avx2+fma"))
)]
#[cfg_attr(not(feature = "avx512"), multiversion(targets("x86_64+avx2+fma")))]
fn transform_input(g: &Geometry, images: &[f32], v: &mut [f32]) {
    let c = g.channels;
    let count = images.len() / g.image();
    let plane = count * tiles(g) * c;
    assert!(v.len() >= XI * plane, "36 planes of transformed tiles");
    for (image, tile, top, left) in each_tile(g, count) {
        let image = &images[image * g.image()..][..g.image()];
        for (start, lanes) in each_run(c) {
            let at = tile * c + start;
            tile_transform::<InputRows, PATCH, PATCH>(
                // Branch-free: a position outside reads the image's first run, then counts
                // as zero.
                |r, s| {
                    let p = source(g, top, left, r, s);
                    let value = load(&image[p.unwrap_or(0) * c + start..], lanes);
                    value.keep_if(p.is_some())
                },
                // SAFETY: `at + lanes <= plane` (a tile's run of channels), and `v` holds 36
                // planes, asserted above.
                |r, s, value| unsafe {
                    store_unchecked(
                        v.as_mut_ptr().add((r * PATCH + s) * plane + at),
                        &value,
                        lanes,
                    )
                },
            );
        }
    }
}

/// `Y = Aᵀ M A` for every tile and filter of a group: the channels-last output, where a tile
/// past the edge drops the outputs outside it.
#[cfg_attr(
    feature = "avx512",
    multiversion(targets("x86_64+avx512f", "x86_64+avx2+fma"))
)]
#[cfg_attr(not(feature = "avx512"), multiversion(targets("x86_64+avx2+fma")))]
fn transform_output(g: &Geometry, count: usize, m: &[f32], out: &mut [f32]) {
    let f = g.filters;
    let plane = count * tiles(g) * f;
    assert!(m.len() >= XI * plane, "36 planes of products");
    for (image, tile, top, left) in each_tile(g, count) {
        let out = &mut out[image * g.positions() * f..][..g.positions() * f];
        for (start, lanes) in each_run(f) {
            let at = tile * f + start;
            tile_transform::<OutputRows, PATCH, TILE>(
                // SAFETY: `at + lanes <= plane` (a tile's run of filters), and `m` holds 36
                // planes, asserted above.
                |r, s| unsafe {
                    load_unchecked(m.as_ptr().add((r * PATCH + s) * plane + at), lanes)
                },
                |r, s, value| {
                    let (oy, ox) = (top + r, left + s);
                    if oy < g.out_height && ox < g.out_width {
                        store(
                            &mut out[(oy * g.out_width + ox) * f + start..],
                            &value,
                            lanes,
                        );
                    }
                },
            );
        }
    }
}

/// `Z = A dY Aᵀ` for every tile and filter of a group, from its channels-last output
/// gradient; positions past the edge count as zero.
#[cfg_attr(
    feature = "avx512",
    multiversion(targets("x86_64+avx512f", "x86_64+avx2+fma"))
)]
#[cfg_attr(not(feature = "avx512"), multiversion(targets("x86_64+avx2+fma")))]
fn transform_grad(g: &Geometry, count: usize, grad: &[f32], z: &mut [f32]) {
    let f = g.filters;
    let plane = count * tiles(g) * f;
    assert!(z.len() >= XI * plane, "36 planes of transformed gradients");
    for (image, tile, top, left) in each_tile(g, count) {
        let grad = &grad[image * g.positions() * f..][..g.positions() * f];
        for (start, lanes) in each_run(f) {
            let at = tile * f + start;
            tile_transform::<GradRows, TILE, PATCH>(
                // Branch-free, as in `transform_input`.
                |r, s| {
                    let (oy, ox) = (top + r, left + s);
                    let inside = oy < g.out_height && ox < g.out_width;
                    let p = if inside { oy * g.out_width + ox } else { 0 };
                    load(&grad[p * f + start..], lanes).keep_if(inside)
                },
                // SAFETY: `at + lanes <= plane` (a tile's run of filters), and `z` holds 36
                // planes, asserted above.
                |r, s, value| unsafe {
                    store_unchecked(
                        z.as_mut_ptr().add((r * PATCH + s) * plane + at),
                        &value,
                        lanes,
                    )
                },
            );
        }
    }
}

/// Adds `B dV Bᵀ` of every tile and channel of a group onto the channels-last input
/// gradient `x` (zeroed by the caller), where the patch lies inside the image; the tiles go
/// in order, so overlapping patches add up in the same order on every run.
#[cfg_attr(
    feature = "avx512",
    multiversion(targets("x86_64+avx512f", "x86_64+avx2+fma"))
)]
#[cfg_attr(not(feature = "avx512"), multiversion(targets("x86_64+avx2+fma")))]
fn transform_patch_grad(g: &Geometry, dv: &[f32], x: &mut [f32]) {
    let c = g.channels;
    let count = x.len() / g.image();
    let plane = count * tiles(g) * c;
    assert!(dv.len() >= XI * plane, "36 planes of products");
    for (image, tile, top, left) in each_tile(g, count) {
        let x = &mut x[image * g.image()..][..g.image()];
        for (start, lanes) in each_run(c) {
            let at = tile * c + start;
            tile_transform::<PatchGradRows, PATCH, PATCH>(
                // SAFETY: `at + lanes <= plane` (a tile's run of channels), and `dv` holds 36
                // planes, asserted above.
                |r, s| unsafe {
                    load_unchecked(dv.as_ptr().add((r * PATCH + s) * plane + at), lanes)
                },
                |r, s, value| {
                    if let Some(p) = source(g, top, left, r, s) {
                        let into = &mut x[p * c + start..][..lanes];
                        into.iter_mut().zip(value.0).for_each(|(x, v)| *x += v);
                    }
                },
            );
        }
    }
}

/// A matrix of Winograd's transforms, applied to one vector of `N` values (a column or a row
/// of a tile). A type rather than a closure, so that [`separable`] calls it directly and the
/// compiler inlines it: a closure called twelve times in an unrolled body stayed a call,
/// with its arrays passed through memory.
trait Rows<const N: usize, const M: usize> {
    fn apply(x: [f32; N]) -> [f32; M];
}

/// `G`: a kernel's column into the transformed space.
struct KernelRows;

impl Rows<3, PATCH> for KernelRows {
    #[inline(always)]
    fn apply(v: [f32; 3]) -> [f32; PATCH] {
        let (even, odd) = (v[0] + v[2], v[1]);
        let (a, b) = (v[0] * TWENTY_FOURTH + v[2] * SIXTH, v[1] * TWELFTH);
        [
            v[0] * 0.25,
            -(even + odd) * SIXTH,
            -(even - odd) * SIXTH,
            a + b,
            a - b,
            v[2],
        ]
    }
}

/// `Gᵀ`: a column of the transformed kernel's gradient back to the kernel's.
struct KernelGradRows;

impl Rows<PATCH, 3> for KernelGradRows {
    #[inline(always)]
    fn apply(u: [f32; PATCH]) -> [f32; 3] {
        let (p, q) = (u[1] + u[2], u[1] - u[2]);
        let (r, s) = (u[3] + u[4], u[3] - u[4]);
        [
            u[0] * 0.25 - p * SIXTH + r * TWENTY_FOURTH,
            -q * SIXTH + s * TWELFTH,
            (r - p) * SIXTH + u[5],
        ]
    }
}

/// `Bᵀ`: a column of a patch into the transformed space.
struct InputRows;

impl Rows<PATCH, PATCH> for InputRows {
    #[inline(always)]
    fn apply(x: [f32; PATCH]) -> [f32; PATCH] {
        let (a, b) = (x[4] - x[2] * 4.0, x[3] - x[1] * 4.0);
        let (c, d) = (x[4] - x[2], (x[3] - x[1]) * 2.0);
        [
            x[0] * 4.0 - x[2] * 5.0 + x[4],
            a + b,
            a - b,
            c + d,
            c - d,
            x[1] * 4.0 - x[3] * 5.0 + x[5],
        ]
    }
}

/// `Aᵀ`: a column of products back to a column of outputs.
struct OutputRows;

impl Rows<PATCH, TILE> for OutputRows {
    #[inline(always)]
    fn apply(m: [f32; PATCH]) -> [f32; TILE] {
        let (a, b) = (m[1] + m[2], m[1] - m[2]);
        let (c, d) = (m[3] + m[4], m[3] - m[4]);
        [m[0] + a + c, b + d * 2.0, a + c * 4.0, b + d * 8.0 + m[5]]
    }
}

/// `A`: a column of output gradients into the transformed space.
struct GradRows;

impl Rows<TILE, PATCH> for GradRows {
    #[inline(always)]
    fn apply(y: [f32; TILE]) -> [f32; PATCH] {
        let (a, b) = (y[0] + y[2], y[1] + y[3]);
        let (c, d) = (y[0] + y[2] * 4.0, (y[1] + y[3] * 4.0) * 2.0);
        [y[0], a + b, a - b, c + d, c - d, y[3]]
    }
}

/// `B`: a column of transformed gradients back to a column of the patch's.
struct PatchGradRows;

impl Rows<PATCH, PATCH> for PatchGradRows {
    #[inline(always)]
    fn apply(v: [f32; PATCH]) -> [f32; PATCH] {
        let (p, q) = (v[1] + v[2], v[2] - v[1]);
        let (s, t) = (v[3] + v[4], v[4] - v[3]);
        [
            v[0] * 4.0,
            q * 4.0 + t * 2.0 + v[5] * 4.0,
            -(v[0] * 5.0) - p * 4.0 - s,
            -q - t * 2.0 - v[5] * 5.0,
            v[0] + p + s,
            v[5],
        ]
    }
}

/// `R x Rᵀ` for one tile and run of lanes: `read(r, s)` gives the `N x N` input, and
/// `write(r, s, value)` takes the `M x M` result. A column at a time, then a row at a time,
/// so that only a column's or a row's values are live at once: holding the whole tile (36
/// vectors) spilled registers throughout.
#[inline(always)]
fn tile_transform<R: Rows<N, M>, const N: usize, const M: usize>(
    read: impl Fn(usize, usize) -> Lanes,
    mut write: impl FnMut(usize, usize, Lanes),
) {
    // Written in place: built as one array and moved, the columns took a call to `memcpy`
    // per tile.
    let mut columns = [[MaybeUninit::<Lanes>::uninit(); M]; N];
    for (s, column) in columns.iter_mut().enumerate() {
        let values = per_lane::<R, N, M>(build(|r| read(r, s)));
        for (slot, value) in column.iter_mut().zip(values) {
            slot.write(value);
        }
    }
    #[allow(clippy::needless_range_loop)] // `r` picks a value of each column, not a column.
    for r in 0..M {
        // SAFETY: the loop above wrote every value of every column.
        let row = per_lane::<R, N, M>(build(|s| unsafe { columns[s][r].assume_init() }));
        for (s, y) in row.into_iter().enumerate() {
            write(r, s, y);
        }
    }
}

/// `R` on each lane: lane `l` of `x[i]` in, lane `l` of the result's `[j]` out. A loop over
/// the lanes, which the compiler turns into one vector instruction per operation of `R`;
/// written with arithmetic on whole `Lanes` values instead, the compiler's own vectorizing
/// of the unrolled lanes used gathers and partial copies that stalled on the stack.
#[inline(always)]
fn per_lane<R: Rows<N, M>, const N: usize, const M: usize>(x: [Lanes; N]) -> [Lanes; M] {
    let mut y = [Lanes::ZERO; M];
    for lane in 0..LANES {
        let out = R::apply(build(|i| x[i].0[lane]));
        for (y, out) in y.iter_mut().zip(out) {
            y.0[lane] = out;
        }
    }
    y
}

/// `[f(0), .., f(K - 1)]`, without first filling the array with zeros, which compiled to a
/// call to `memset` per tile (5% of a CNN's time), nor `array::from_fn`'s guard for a
/// panicking `f`, which passed the values through memory.
#[inline(always)]
fn build<T: Copy, const K: usize>(f: impl Fn(usize) -> T) -> [T; K] {
    let mut values = [MaybeUninit::<T>::uninit(); K];
    for (i, value) in values.iter_mut().enumerate() {
        value.write(f(i));
    }
    // SAFETY: every value was written above, and `[MaybeUninit<T>; K]` has `[T; K]`'s layout.
    unsafe { std::mem::transmute_copy(&values) }
}

/// `R x Rᵀ` for a square `N x N` matrix `x` (row-major, `NN` values), where the `M x N`
/// matrix `R` applies to one vector: to each column, then to each row of the result (`MM`
/// values).
#[inline(always)]
fn separable<R: Rows<N, M>, const N: usize, const M: usize, const NN: usize, const MM: usize>(
    x: [f32; NN],
) -> [f32; MM] {
    let columns: [[f32; M]; N] = build(|s| R::apply(build(|r| x[r * N + s])));
    let rows: [[f32; M]; M] = build(|r| R::apply(build(|s| columns[s][r])));
    build(|i| rows[i / M][i % M])
}

/// `lanes` values from `src`, zeros after them. A full run is a fixed-size copy, one vector
/// move; the partial runs at the end of an odd channel count go through a separate
/// function, so that the compiler does not merge both into one call to `memmove` of
/// variable length.
#[inline(always)]
fn load(src: &[f32], lanes: usize) -> Lanes {
    match lanes {
        LANES => Lanes(src[..LANES].try_into().expect("LANES values")),
        _ => load_partial(src, lanes),
    }
}

#[inline(never)]
fn load_partial(src: &[f32], lanes: usize) -> Lanes {
    let mut v = Lanes::ZERO;
    v.0[..lanes].copy_from_slice(&src[..lanes]);
    v
}

/// Writes the first `lanes` values of `v` to `dst`, as [`load`] reads them.
#[inline(always)]
fn store(dst: &mut [f32], v: &Lanes, lanes: usize) {
    match lanes {
        LANES => dst[..LANES].copy_from_slice(&v.0),
        _ => store_partial(dst, v, lanes),
    }
}

#[inline(never)]
fn store_partial(dst: &mut [f32], v: &Lanes, lanes: usize) {
    dst[..lanes].copy_from_slice(&v.0[..lanes]);
}

/// [`load`] without bounds checks, for the transforms' loads of a tile, whose bounds
/// hold by construction.
///
/// # Safety
/// `src` must be valid for `lanes` reads.
#[inline(always)]
unsafe fn load_unchecked(src: *const f32, lanes: usize) -> Lanes {
    match lanes {
        // SAFETY: the caller's promise.
        LANES => Lanes(unsafe { src.cast::<[f32; LANES]>().read_unaligned() }),
        // SAFETY: the caller's promise.
        _ => load_partial(unsafe { std::slice::from_raw_parts(src, lanes) }, lanes),
    }
}

/// [`store`] without bounds checks, for the transforms' stores of a tile, whose bounds
/// hold by construction.
///
/// # Safety
/// `dst` must be valid for `lanes` writes.
#[inline(always)]
unsafe fn store_unchecked(dst: *mut f32, v: &Lanes, lanes: usize) {
    match lanes {
        // SAFETY: the caller's promise.
        LANES => unsafe { dst.cast::<[f32; LANES]>().write_unaligned(v.0) },
        // SAFETY: the caller's promise.
        _ => store_partial(
            unsafe { std::slice::from_raw_parts_mut(dst, lanes) },
            v,
            lanes,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use percept_catalogue::Padding;

    #[test]
    fn applies_to_3x3_stride_1_convolutions_of_at_least_8_channels() {
        let g = |channels, kernel, stride| {
            Geometry::new([channels, 13, 13], 64, kernel, stride, Padding::Valid)
        };
        // The MNIST CNN's second convolution, and the fewest channels.
        assert!(applies(&g(32, 3, 1)) && applies(&g(8, 3, 1)));
        assert!(!applies(&g(7, 3, 1)), "too few channels");
        assert!(!applies(&g(32, 3, 2)), "stride 2");
        assert!(!applies(&g(32, 5, 1)), "5x5");
        // An 11x11 output is 3x3 tiles, the last ones cut by the edge.
        assert_eq!(grid(&g(32, 3, 1)), [3, 3]);
    }
}
