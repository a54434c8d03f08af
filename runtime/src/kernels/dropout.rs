//! Dropout while training: each value kept with probability `1 - rate` and scaled by
//! `1 / (1 - rate)`, or zeroed, and its backward pass (the gradient through the same mask).
//!
//! burn's Dropout draws its mask on burn-ndarray one value at a time from one locked
//! generator, on one thread: for the mnist example's 64 x 1,600 values a step, a fifth of the
//! step. Here the backend's generator draws one 64-bit seed per step (so `Backend::seed`
//! still fixes every mask, and a resumed run draws what the uninterrupted one drew), and each
//! value's keep-or-drop comes from a hash of the seed and the value's index. The mask then
//! depends on nothing but the seed, is made on every core at once, and is not stored: the
//! backward pass hashes the same indices again.

use std::sync::Arc;

use burn::backend::Autodiff;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops};
use burn::prelude::*;
use burn::tensor::Distribution;
use rayon::prelude::*;

use super::host::{self, Host, Mode, cast, on_cpu};
use super::workspace::buffer;

/// `x` with each value zeroed with probability `rate` and the others scaled by
/// `1 / (1 - rate)`, on a backend with autodiff (training); `x` itself without autodiff, as
/// burn's Dropout does. The kernel on the CPU backends, burn's Dropout elsewhere.
pub(crate) fn dropout<B: Backend, const D: usize>(x: Tensor<B, D>, rate: f64) -> Tensor<B, D> {
    if rate == 0.0 {
        return x;
    }
    on_cpu!(B, |I, mode| match mode {
        Mode::Plain => x,
        Mode::Tracked => cast(tracked::<I, D>(cast(x), rate)),
    });
    reference(x, rate)
}

/// The same with burn's Dropout.
pub(crate) fn reference<B: Backend, const D: usize>(x: Tensor<B, D>, rate: f64) -> Tensor<B, D> {
    burn::nn::DropoutConfig::new(rate).init().forward(x)
}

/// Which values a step keeps: the seed it drew and the probability of keeping a value.
#[derive(Clone, Copy, Debug)]
struct Mask {
    seed: u64,
    /// A value is kept where its hash, as 24 bits, is below this.
    threshold: u32,
    /// `1 / (1 - rate)`.
    scale: f32,
}

/// Values per rayon task.
const CHUNK: usize = 1 << 14;

impl Mask {
    /// A fresh mask for dropping values with probability `rate`, seeded by `I`'s generator.
    fn draw<I: Backend>(rate: f64, device: &I::Device) -> Self {
        let drawn = Tensor::<I, 1>::random([2], Distribution::Default, device)
            .into_data()
            .to_vec::<f32>()
            .expect("f32 values");
        Mask {
            seed: (u64::from(drawn[0].to_bits()) << 32) | u64::from(drawn[1].to_bits()),
            threshold: ((1.0 - rate) * f64::from(1u32 << 24)).round() as u32,
            scale: (1.0 / (1.0 - rate)) as f32,
        }
    }

    /// Whether the value at `index` is kept: SplitMix64's finaliser on the seed and the
    /// index, whose top 24 bits are uniform enough for a coin of any bias to 2⁻²⁴.
    #[inline(always)]
    fn keeps(&self, index: usize) -> bool {
        let mut z = self
            .seed
            .wrapping_add((index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        ((z >> 40) as u32) < self.threshold
    }

    /// `out[i] = values[i] * scale` where the mask keeps value `i`, `0` elsewhere: the
    /// forward pass on the input, the backward pass on the gradient.
    fn apply(&self, values: &[f32]) -> Vec<f32> {
        let mut out = buffer(values.len()).into_vec();
        out.par_chunks_mut(CHUNK)
            .zip(values.par_chunks(CHUNK))
            .enumerate()
            .for_each(|(chunk, (out, values))| {
                let start = chunk * CHUNK;
                for (i, (o, v)) in out.iter_mut().zip(values).enumerate() {
                    *o = if self.keeps(start + i) {
                        v * self.scale
                    } else {
                        0.0
                    };
                }
            });
        out
    }
}

/// The mask, for the backward pass (it holds no values: it is hashed again).
#[derive(Debug)]
struct Saved {
    mask: Mask,
    dims: Vec<usize>,
}

#[derive(Debug)]
struct DropoutBackward;

impl<I: Host> Backward<I, 1> for DropoutBackward {
    type State = Arc<Saved>;

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        host::backward_one::<I, _>(ops, grads, |s| s.dims.clone(), |s, grad| s.mask.apply(grad));
    }
}

fn tracked<I: Host, const D: usize>(
    x: Tensor<Autodiff<I>, D>,
    rate: f64,
) -> Tensor<Autodiff<I>, D> {
    let dims = x.dims();
    let device = x.device();
    let x = host::tracked(x);
    let mask = Mask::draw::<I>(rate, &device);
    let y = mask.apply(&I::slice(&x.primitive));
    let out = host::primitive(host::tensor::<I, D>(y, dims, &device));
    host::record(
        DropoutBackward,
        [&x],
        Arc::new(Saved {
            mask,
            dims: dims.to_vec(),
        }),
        out,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::testing::{assert_close, on_each_cpu_backend, output_and_grad, random};

    type Tracked<I> = Autodiff<I>;

    /// On several sizes (one chunk, several, a short last one) and rates: every value is
    /// zeroed or scaled, about `rate` of them are zeroed, and the output and the gradient
    /// are those of burn's `x * mask * (1 / (1 - rate))` with the mask the kernel drew.
    fn matches_burn<I: Host>() {
        let device = Default::default();
        for (dims, rate) in [([2, 3, 5], 0.5), ([64, 40, 40], 0.5), ([3, 100, 70], 0.1)] {
            let case = format!("{dims:?} rate {rate}");
            let x = random::<I, 3>(dims, 1, &device).add_scalar(2.0);
            let (y, dx) = output_and_grad(&x, |x| dropout(x, rate));
            let scale = (1.0 / (1.0 - rate)) as f32;
            let mask = y.clone().not_equal_elem(0.0).float();
            let values = y.to_data().to_vec::<f32>().unwrap();
            let zeros = values.iter().filter(|v| **v == 0.0).count() as f64;
            let expected = rate * values.len() as f64;
            let spread = 5.0 * (values.len() as f64 * rate * (1.0 - rate)).sqrt() + 1.0;
            println!("{case}: {zeros} zeros, {expected} expected");
            assert!((zeros - expected).abs() <= spread, "{case}: {zeros} zeros");
            let (burns_y, burns_dx) =
                output_and_grad(&x, |x| x * Tensor::from_inner(mask.clone()) * scale);
            assert_close(&case, "output", y, burns_y, 0.0);
            assert_close(&case, "dx", dx, burns_dx, 0.0);
        }
    }

    on_each_cpu_backend!(matches_burn);

    /// A mask depends on its seed alone: the same seed keeps the same values whatever the
    /// chunks and threads, another seed others. (That `Backend::seed` fixes the seeds, so a
    /// training run with a Dropout repeats bit for bit, is checked end to end by
    /// `the_same_seed_gives_the_same_losses_and_weights_bit_for_bit`.)
    #[test]
    fn a_seed_gives_one_mask() {
        let mask = |seed| Mask {
            seed,
            threshold: 1 << 23,
            scale: 2.0,
        };
        let ones = vec![1.0; 3 * CHUNK + 5];
        let first = mask(7).apply(&ones);
        assert_eq!(first, mask(7).apply(&ones), "the same seed, the same mask");
        assert_ne!(first, mask(8).apply(&ones), "another seed, another mask");
        let kept = first.iter().filter(|v| **v == 2.0).count();
        assert_eq!(
            kept + first.iter().filter(|v| **v == 0.0).count(),
            ones.len()
        );
        let half = ones.len() as f64 / 2.0;
        assert!(
            (kept as f64 - half).abs() < 5.0 * half.sqrt(),
            "{kept} kept"
        );
    }

    #[test]
    fn without_autodiff_or_at_rate_zero_nothing_is_dropped() {
        type I = burn::backend::NdArray;
        let device = Default::default();
        let x = random::<I, 3>([2, 3, 4], 1, &device);
        assert_eq!(dropout(x.clone(), 0.5).into_data(), x.to_data());
        let tracked = Tensor::<Tracked<I>, 3>::from_inner(x.clone());
        assert_eq!(dropout(tracked, 0.0).inner().into_data(), x.into_data());
    }
}
