//! Winograd's F(2x2, 3x3) (Lavin and Gray, 2015): a 3x3 convolution of stride 1 with 2.25
//! times fewer multiplications than im2row's product, for [`conv`](super::conv) to use where
//! it applies.
//!
//! The output is cut into tiles of 2x2 positions, each of which reads a 4x4 patch of the
//! input. For one channel and one filter, a tile is `Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A`: the patch
//! `d` and the kernel `g` are each turned into 16 values, multiplied value by value, and
//! turned back into four outputs. Summed over the channels, the value-by-value products are
//! 16 matrix products, one for each transformed position `ξ`: `M_ξ = V_ξ · U_ξ`, `[tiles,
//! channels] · [channels, filters]`. Four outputs then cost 16 multiplications where im2row
//! spends 36.
//!
//! The backward pass runs the same linear maps transposed, so it needs nothing else: with
//! `Z = A dY Aᵀ` a tile's output gradient taken into the transformed space, the weight
//! gradient is `Gᵀ (Σ_tiles Vᵀ_ξ Z_ξ) G` and a patch's gradient `B (Z_ξ Uᵀ_ξ) Bᵀ`, added
//! where the patches overlap. The forward pass keeps `V` for the weight gradient: 16 values
//! per tile and channel, about half of im2row's patches.
//!
//! Layouts, for a group of images: `V` is `[16][tiles][channels]`, `M` and `Z`
//! `[16][tiles][filters]`, and `U` `[16][channels][filters]`, so that each `ξ` is one
//! row-major matrix for `gemm`, and a tile's channels (or filters) lie together, which the
//! transforms move 16 at a time as vectors, channels-last as the images are.

use super::activation::Elementwise;
use super::conv::Geometry;
use super::gemm::{MatRef, Threads, matmul};
use super::workspace::{Buffer, buffer};
use multiversion::multiversion;

/// Transformed values of a tile: 4x4.
const XI: usize = 16;

/// Channels (or filters) that the transforms move at a time.
const LANES: usize = 16;

/// The values of one tile position for `LANES` channels or filters.
type Lanes = [f32; LANES];

/// Below this many channels, the 16 products' shared dimension is too short for them to be
/// faster than im2row's single product (a first layer reading one channel stays on im2row).
const MIN_CHANNELS: usize = 8;

/// Whether a convolution of this geometry runs through Winograd's transforms.
pub(super) fn applies(g: &Geometry) -> bool {
    g.kernel == 3 && g.stride == 1 && g.channels >= MIN_CHANNELS
}

/// Tiles per image: `[rows, columns]`, the last ones cut by the output's edge where its size
/// is odd.
fn grid(g: &Geometry) -> [usize; 2] {
    [g.out_height.div_ceil(2), g.out_width.div_ceil(2)]
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

/// `U`, `[16][channels][filters]`, from burn's weights `[filters, channels, 3, 3]`.
pub(super) fn weights(g: &Geometry, w: &[f32]) -> Buffer<f32> {
    let (c, f) = (g.channels, g.filters);
    let mut u = buffer(XI * c * f);
    for (k, kernel) in w.chunks_exact(9).enumerate() {
        let (filter, channel) = (k / c, k % c);
        let kernel: [f32; 9] = kernel.try_into().expect("3x3 values");
        let t = separable::<3, 4, 9, 16>(kernel, |v| {
            [
                v[0],
                0.5 * (v[0] + v[1] + v[2]),
                0.5 * (v[0] - v[1] + v[2]),
                v[2],
            ]
        });
        for (xi, value) in t.iter().enumerate() {
            u[(xi * c + channel) * f + filter] = *value;
        }
    }
    u
}

/// burn's weight gradient `[filters, channels, 3, 3]` from the gradient of `U`.
pub(super) fn weight_grad(g: &Geometry, du: &[f32]) -> Vec<f32> {
    let (c, f) = (g.channels, g.filters);
    let mut w = vec![0.0; f * c * 9];
    for (k, kernel) in w.chunks_exact_mut(9).enumerate() {
        let (filter, channel) = (k / c, k % c);
        let mut grad = [0.0; 16];
        for (xi, grad) in grad.iter_mut().enumerate() {
            *grad = du[(xi * c + channel) * f + filter];
        }
        let t = separable::<4, 3, 16, 9>(grad, |v| {
            [
                v[0] + 0.5 * (v[1] + v[2]),
                0.5 * (v[1] - v[2]),
                0.5 * (v[1] + v[2]) + v[3],
            ]
        });
        kernel.copy_from_slice(&t);
    }
    w
}

/// Convolves a group of `count` channels-last images: `v` gets their transformed patches
/// (`[16][tiles][channels]`, kept for the weight gradient), and `out` the activated output,
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
/// of `U` (`[16][channels][filters]`), and `x`, where given, the images' channels-last input
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
        (image, tile, 2 * ty, 2 * tx)
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
    assert!(v.len() >= XI * plane, "16 planes of transformed tiles");
    let (mut d, mut t) = ([[0.0; LANES]; 16], [[0.0; LANES]; 16]);
    for (image, tile, top, left) in each_tile(g, count) {
        let image = &images[image * g.image()..][..g.image()];
        for (start, lanes) in each_run(c) {
            for (i, d) in d.iter_mut().enumerate() {
                *d = match source(g, top, left, i / 4, i % 4) {
                    Some(p) => load(&image[p * c + start..], lanes),
                    None => [0.0; LANES],
                };
            }
            per_lane(&d, &mut t, |x| {
                separable::<4, 4, 16, 16>(x, |x| {
                    [x[0] - x[2], x[1] + x[2], x[2] - x[1], x[1] - x[3]]
                })
            });
            let at = tile * c + start;
            for (xi, value) in t.iter().enumerate() {
                // SAFETY: `at + lanes <= plane` (a tile's run of channels), and `v` holds 16
                // planes, asserted above.
                unsafe { store_unchecked(v.as_mut_ptr().add(xi * plane + at), value, lanes) };
            }
        }
    }
}

/// `Y = Aᵀ M A` for every tile and filter of a group: the channels-last output, where a tile
/// past an odd edge drops its outside half.
#[cfg_attr(
    feature = "avx512",
    multiversion(targets("x86_64+avx512f", "x86_64+avx2+fma"))
)]
#[cfg_attr(not(feature = "avx512"), multiversion(targets("x86_64+avx2+fma")))]
fn transform_output(g: &Geometry, count: usize, m: &[f32], out: &mut [f32]) {
    let f = g.filters;
    let plane = count * tiles(g) * f;
    assert!(m.len() >= XI * plane, "16 planes of products");
    let (mut t, mut y) = ([[0.0; LANES]; 16], [[0.0; LANES]; 4]);
    for (image, tile, top, left) in each_tile(g, count) {
        let out = &mut out[image * g.positions() * f..][..g.positions() * f];
        for (start, lanes) in each_run(f) {
            let at = tile * f + start;
            for (xi, t) in t.iter_mut().enumerate() {
                // SAFETY: `at + lanes <= plane` (a tile's run of filters), and `m` holds 16
                // planes, asserted above.
                *t = unsafe { load_unchecked(m.as_ptr().add(xi * plane + at), lanes) };
            }
            per_lane(&t, &mut y, |x| {
                separable::<4, 2, 16, 4>(x, |x| [x[0] + x[1] + x[2], x[1] - x[2] - x[3]])
            });
            for (i, value) in y.iter().enumerate() {
                let (oy, ox) = (top + i / 2, left + i % 2);
                if oy < g.out_height && ox < g.out_width {
                    store(
                        &mut out[(oy * g.out_width + ox) * f + start..],
                        value,
                        lanes,
                    );
                }
            }
        }
    }
}

/// `Z = A dY Aᵀ` for every tile and filter of a group, from its channels-last output
/// gradient; positions past an odd edge count as zero.
#[cfg_attr(
    feature = "avx512",
    multiversion(targets("x86_64+avx512f", "x86_64+avx2+fma"))
)]
#[cfg_attr(not(feature = "avx512"), multiversion(targets("x86_64+avx2+fma")))]
fn transform_grad(g: &Geometry, count: usize, grad: &[f32], z: &mut [f32]) {
    let f = g.filters;
    let plane = count * tiles(g) * f;
    assert!(z.len() >= XI * plane, "16 planes of transformed gradients");
    let (mut dy, mut t) = ([[0.0; LANES]; 4], [[0.0; LANES]; 16]);
    for (image, tile, top, left) in each_tile(g, count) {
        let grad = &grad[image * g.positions() * f..][..g.positions() * f];
        for (start, lanes) in each_run(f) {
            for (i, dy) in dy.iter_mut().enumerate() {
                let (oy, ox) = (top + i / 2, left + i % 2);
                *dy = match oy < g.out_height && ox < g.out_width {
                    true => load(&grad[(oy * g.out_width + ox) * f + start..], lanes),
                    false => [0.0; LANES],
                };
            }
            per_lane(&dy, &mut t, |x| {
                separable::<2, 4, 4, 16>(x, |x| [x[0], x[0] + x[1], x[0] - x[1], -x[1]])
            });
            let at = tile * f + start;
            for (xi, value) in t.iter().enumerate() {
                // SAFETY: `at + lanes <= plane` (a tile's run of filters), and `z` holds 16
                // planes, asserted above.
                unsafe { store_unchecked(z.as_mut_ptr().add(xi * plane + at), value, lanes) };
            }
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
    assert!(dv.len() >= XI * plane, "16 planes of products");
    let (mut t, mut d) = ([[0.0; LANES]; 16], [[0.0; LANES]; 16]);
    for (image, tile, top, left) in each_tile(g, count) {
        let x = &mut x[image * g.image()..][..g.image()];
        for (start, lanes) in each_run(c) {
            let at = tile * c + start;
            for (xi, t) in t.iter_mut().enumerate() {
                // SAFETY: `at + lanes <= plane` (a tile's run of channels), and `dv` holds 16
                // planes, asserted above.
                *t = unsafe { load_unchecked(dv.as_ptr().add(xi * plane + at), lanes) };
            }
            per_lane(&t, &mut d, |x| {
                separable::<4, 4, 16, 16>(x, |x| {
                    [x[0], x[1] - x[2] + x[3], x[1] - x[0] + x[2], -x[3]]
                })
            });
            for (i, value) in d.iter().enumerate() {
                if let Some(p) = source(g, top, left, i / 4, i % 4) {
                    let into = &mut x[p * c + start..][..lanes];
                    into.iter_mut().zip(value).for_each(|(x, v)| *x += v);
                }
            }
        }
    }
}

/// Runs `transform` on each lane: lane `l` of `from[i]` in, lane `l` of `into[j]` out. The
/// loop over the lanes compiles to vector instructions, each value of the transform one
/// vector.
#[inline(always)]
fn per_lane<const I: usize, const O: usize>(
    from: &[Lanes; I],
    into: &mut [Lanes; O],
    transform: impl Fn([f32; I]) -> [f32; O],
) {
    for lane in 0..LANES {
        let mut x = [0.0; I];
        for (x, from) in x.iter_mut().zip(from) {
            *x = from[lane];
        }
        for (into, y) in into.iter_mut().zip(transform(x)) {
            into[lane] = y;
        }
    }
}

/// `T x Tᵀ` for a square `N x N` matrix `x` (row-major, `NN` values), where `transform`
/// applies the `M x N` matrix `T` to one vector: to each column, then to each row of the
/// result (`MM` values).
#[inline(always)]
fn separable<const N: usize, const M: usize, const NN: usize, const MM: usize>(
    x: [f32; NN],
    transform: impl Fn([f32; N]) -> [f32; M],
) -> [f32; MM] {
    let mut columns = [[0.0; M]; N];
    for (s, column) in columns.iter_mut().enumerate() {
        let mut v = [0.0; N];
        for (r, v) in v.iter_mut().enumerate() {
            *v = x[r * N + s];
        }
        *column = transform(v);
    }
    let mut out = [0.0; MM];
    for r in 0..M {
        let mut v = [0.0; N];
        for (s, v) in v.iter_mut().enumerate() {
            *v = columns[s][r];
        }
        for (s, y) in transform(v).into_iter().enumerate() {
            out[r * M + s] = y;
        }
    }
    out
}

/// `lanes` values from `src`, zeros after them. A full run is a fixed-size copy, one vector
/// move; the partial runs at the end of an odd channel count go through a separate
/// function, so that the compiler does not merge both into one call to `memmove` of
/// variable length.
#[inline(always)]
fn load(src: &[f32], lanes: usize) -> Lanes {
    match lanes {
        LANES => src[..LANES].try_into().expect("LANES values"),
        _ => load_partial(src, lanes),
    }
}

#[inline(never)]
fn load_partial(src: &[f32], lanes: usize) -> Lanes {
    let mut v = [0.0; LANES];
    v[..lanes].copy_from_slice(&src[..lanes]);
    v
}

/// Writes the first `lanes` values of `v` to `dst`, as [`load`] reads them.
#[inline(always)]
fn store(dst: &mut [f32], v: &Lanes, lanes: usize) {
    match lanes {
        LANES => dst[..LANES].copy_from_slice(v),
        _ => store_partial(dst, v, lanes),
    }
}

#[inline(never)]
fn store_partial(dst: &mut [f32], v: &Lanes, lanes: usize) {
    dst[..lanes].copy_from_slice(&v[..lanes]);
}

/// [`load`] without bounds checks, for the transforms' sixteen loads of a tile, whose bounds
/// hold by construction.
///
/// # Safety
/// `src` must be valid for `lanes` reads.
#[inline(always)]
unsafe fn load_unchecked(src: *const f32, lanes: usize) -> Lanes {
    match lanes {
        // SAFETY: the caller's promise.
        LANES => unsafe { src.cast::<Lanes>().read_unaligned() },
        // SAFETY: the caller's promise.
        _ => load_partial(unsafe { std::slice::from_raw_parts(src, lanes) }, lanes),
    }
}

/// [`store`] without bounds checks, for the transforms' sixteen stores of a tile, whose bounds
/// hold by construction.
///
/// # Safety
/// `dst` must be valid for `lanes` writes.
#[inline(always)]
unsafe fn store_unchecked(dst: *mut f32, v: &Lanes, lanes: usize) {
    match lanes {
        // SAFETY: the caller's promise.
        LANES => unsafe { dst.cast::<Lanes>().write_unaligned(*v) },
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
        // An 11x11 output is 6x6 tiles, the last ones cut by the edge.
        assert_eq!(grid(&g(32, 3, 1)), [6, 6]);
    }
}
