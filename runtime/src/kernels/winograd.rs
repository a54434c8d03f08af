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
//! so an output differs from a direct convolution's by a few 1e-6 of the largest value
//! (F(2x2, 3x3): about 1e-6), far below what training notices; the tests bound it.
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
    let (mut scratch, planes) = (Scratch::new(), v.as_mut_ptr());
    for (image, tile, top, left) in each_tile(g, count) {
        let image = &images[image * g.image()..][..g.image()];
        for (start, lanes) in each_run(c) {
            let at = tile * c + start;
            // SAFETY: a run of `lanes` channels lies inside the image at every position
            // `source` gives (outside it, `ZEROS` is read), and inside `v`'s 36 planes,
            // asserted above.
            unsafe {
                run_transform::<InputRows, PATCH, PATCH>(
                    &mut scratch,
                    lanes,
                    |r, s| match source(g, top, left, r, s) {
                        Some(p) => image.as_ptr().add(p * c + start),
                        None => ZEROS.as_ptr(),
                    },
                    |r, s| planes.add((r * PATCH + s) * plane + at),
                    |into, value| *into = value,
                )
            };
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
    let mut scratch = Scratch::new();
    let mut sink = [0.0; LANES];
    let sink = sink.as_mut_ptr();
    for (image, tile, top, left) in each_tile(g, count) {
        let image = out[image * g.positions() * f..][..g.positions() * f].as_mut_ptr();
        for (start, lanes) in each_run(f) {
            let at = tile * f + start;
            // SAFETY: a run of `lanes` filters lies inside `m`'s 36 planes (asserted above),
            // and inside the image's output at every position inside it; the outputs past
            // the edge go to `sink`.
            unsafe {
                run_transform::<OutputRows, PATCH, TILE>(
                    &mut scratch,
                    lanes,
                    |r, s| m.as_ptr().add((r * PATCH + s) * plane + at),
                    |r, s| {
                        let (oy, ox) = (top + r, left + s);
                        match oy < g.out_height && ox < g.out_width {
                            true => image.add((oy * g.out_width + ox) * f + start),
                            false => sink,
                        }
                    },
                    |into, value| *into = value,
                )
            };
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
    let (mut scratch, planes) = (Scratch::new(), z.as_mut_ptr());
    for (image, tile, top, left) in each_tile(g, count) {
        let grad = &grad[image * g.positions() * f..][..g.positions() * f];
        for (start, lanes) in each_run(f) {
            let at = tile * f + start;
            // SAFETY: a run of `lanes` filters lies inside the image's gradient at every
            // position inside it (past the edge, `ZEROS` is read), and inside `z`'s 36
            // planes, asserted above.
            unsafe {
                run_transform::<GradRows, TILE, PATCH>(
                    &mut scratch,
                    lanes,
                    |r, s| {
                        let (oy, ox) = (top + r, left + s);
                        match oy < g.out_height && ox < g.out_width {
                            true => grad.as_ptr().add((oy * g.out_width + ox) * f + start),
                            false => ZEROS.as_ptr(),
                        }
                    },
                    |r, s| planes.add((r * PATCH + s) * plane + at),
                    |into, value| *into = value,
                )
            };
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
    let mut scratch = Scratch::new();
    let mut sink = [0.0; LANES];
    let sink = sink.as_mut_ptr();
    for (image, tile, top, left) in each_tile(g, count) {
        let image = x[image * g.image()..][..g.image()].as_mut_ptr();
        for (start, lanes) in each_run(c) {
            let at = tile * c + start;
            // SAFETY: a run of `lanes` channels lies inside `dv`'s 36 planes (asserted
            // above), and inside the image at every position `source` gives; the patch's
            // values outside it are added to `sink`, never read.
            unsafe {
                run_transform::<PatchGradRows, PATCH, PATCH>(
                    &mut scratch,
                    lanes,
                    |r, s| dv.as_ptr().add((r * PATCH + s) * plane + at),
                    |r, s| match source(g, top, left, r, s) {
                        Some(p) => image.add(p * c + start),
                        None => sink,
                    },
                    |into, value| *into += value,
                )
            };
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

/// `LANES` zeros: what a position outside the image reads.
static ZEROS: [f32; LANES] = [0.0; LANES];

/// Room for one tile's transform, made once per call of a transform and reused from tile to
/// tile: the columns' results, and a run shorter than `LANES` staged as full vectors.
struct Scratch {
    columns: [f32; XI * LANES],
    inputs: [f32; XI * LANES],
    outputs: [f32; XI * LANES],
}

impl Scratch {
    fn new() -> Self {
        Scratch {
            columns: [0.0; XI * LANES],
            inputs: [0.0; XI * LANES],
            outputs: [0.0; XI * LANES],
        }
    }
}

/// `R x Rᵀ` for one tile and run of `lanes` lanes (at most `LANES`): `input(r, s)` points at
/// the lanes of the `N x N` input's `(r, s)`, `output(r, s)` at where those of the `M x M`
/// result's go, and `put(into, value)` stores (or adds) one value there. A run shorter than
/// `LANES` (the last one of a channel count that is not a multiple of 16) goes through
/// full vectors in `scratch`, zeros after its lanes.
///
/// # Safety
/// Every pointer `input` and `output` give must be valid for `lanes` values.
#[inline(always)]
unsafe fn run_transform<R: Rows<N, M>, const N: usize, const M: usize>(
    scratch: &mut Scratch,
    lanes: usize,
    input: impl Fn(usize, usize) -> *const f32,
    output: impl Fn(usize, usize) -> *mut f32,
    put: impl Fn(&mut f32, f32),
) {
    if lanes == LANES {
        // SAFETY: the caller's promise, for `LANES` values.
        unsafe { full_run::<R, N, M>(&mut scratch.columns, input, output, put) };
    } else {
        // SAFETY: the caller's promise.
        unsafe { partial_run::<R, N, M>(scratch, lanes, input, output, put) };
    }
}

/// [`run_transform`] for a run shorter than `LANES`, staged through full vectors; a function
/// of its own, kept out of the full runs' loop, where its code cost them 7% of their time.
///
/// # Safety
/// Every pointer `input` and `output` give must be valid for `lanes` values.
#[inline(never)]
unsafe fn partial_run<R: Rows<N, M>, const N: usize, const M: usize>(
    scratch: &mut Scratch,
    lanes: usize,
    input: impl Fn(usize, usize) -> *const f32,
    output: impl Fn(usize, usize) -> *mut f32,
    put: impl Fn(&mut f32, f32),
) {
    let (inputs, outputs) = (scratch.inputs.as_mut_ptr(), scratch.outputs.as_mut_ptr());
    for r in 0..N {
        for s in 0..N {
            // SAFETY: the caller's promise for `input`; `inputs` holds `N * N` runs.
            unsafe {
                let staged = std::slice::from_raw_parts_mut(inputs.add((r * N + s) * LANES), LANES);
                staged[..lanes].copy_from_slice(std::slice::from_raw_parts(input(r, s), lanes));
                staged[lanes..].fill(0.0);
            }
        }
    }
    // SAFETY: the staged runs are full vectors inside `scratch`.
    unsafe {
        full_run::<R, N, M>(
            &mut scratch.columns,
            |r, s| inputs.add((r * N + s) * LANES),
            |r, s| outputs.add((r * M + s) * LANES),
            |into, value| *into = value,
        )
    };
    for r in 0..M {
        for s in 0..M {
            let to = output(r, s);
            for lane in 0..lanes {
                // SAFETY: the caller's promise for `output`; `outputs` holds `M * M` runs.
                unsafe { put(&mut *to.add(lane), *outputs.add((r * M + s) * LANES + lane)) };
            }
        }
    }
}

/// [`run_transform`] for a full run of `LANES` lanes: a column of the tile at a time, then a
/// row, so that few values are live at once (holding a whole tile, 36 vectors, spilled
/// registers throughout), each step a loop over the lanes that reads and writes memory
/// directly, which the compiler turns into one vector instruction per operation of `R`.
/// (Written instead on vectors passed by value, through closures or as arithmetic on whole
/// 16-lane values, the compiler's code moved them through the stack, with gathers, partial
/// copies and `memcpy` calls: the transforms took half as long again.)
///
/// # Safety
/// Every pointer `input` and `output` give must be valid for `LANES` values.
#[inline(always)]
unsafe fn full_run<R: Rows<N, M>, const N: usize, const M: usize>(
    columns: &mut [f32; XI * LANES],
    input: impl Fn(usize, usize) -> *const f32,
    output: impl Fn(usize, usize) -> *mut f32,
    put: impl Fn(&mut f32, f32),
) {
    for s in 0..N {
        let from: [*const f32; N] = build(|r| input(r, s));
        let column = &mut columns[s * M * LANES..][..M * LANES];
        for lane in 0..LANES {
            // SAFETY: the caller's promise.
            let values = R::apply(build(|r| unsafe { *from[r].add(lane) }));
            for (j, value) in values.into_iter().enumerate() {
                column[j * LANES + lane] = value;
            }
        }
    }
    let mut row = [[0.0; LANES]; M];
    for r in 0..M {
        for lane in 0..LANES {
            let values = R::apply(build(|s| columns[(s * M + r) * LANES + lane]));
            for (j, value) in values.into_iter().enumerate() {
                row[j][lane] = value;
            }
        }
        // One destination at a time: two of them may be the same place (a sink for values
        // outside the image), which would keep the compiler from using vectors if they were
        // written in one loop.
        for (s, values) in row.iter().enumerate() {
            // SAFETY: the caller's promise. (As a slice, the compiler knows it overlaps
            // nothing else while it is written, and uses vectors.)
            let to = unsafe { std::slice::from_raw_parts_mut(output(r, s), LANES) };
            to.iter_mut()
                .zip(values)
                .for_each(|(to, value)| put(to, *value));
        }
    }
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
