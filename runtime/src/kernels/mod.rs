//! percept's own CPU kernels for the hot components: Dense, Conv (with its activation, and
//! with a MaxPool that alone reads it), MaxPool and Dropout, and for what runs between them
//! on one core while the other would wait: Rescale, Reshape and Flatten, Classification's loss.
//!
//! burn's CPU backends compute a convolution's input gradient with a scalar loop, so a small
//! CNN trained 30 times slower than with TensorFlow. These kernels do the work with the
//! `gemm` crate's matrix products (im2row and row2im, or Winograd's transforms, around them for
//! convolutions; a first layer on one-channel images directly), fuse the bias and the
//! activation into the product, and register their backward pass with burn-autodiff as custom
//! operations (burn-autodiff's `Backward`), so the optimizer, the recorder and the rest of burn
//! see ordinary tensors.
//!
//! - [`host`]: which backend a component runs on, and moving values to and from burn.
//! - [`gemm`]: the matrix product.
//! - [`activation`]: the activations a kernel fuses.
//! - [`workspace`]: buffers reused from step to step.
//! - [`adam`]: Adam's step in one pass per parameter.
//! - [`dropout`]: Dropout's mask, hashed from one seed a step instead of drawn value by value.
//! - [`rescale`]: Rescale's `x * scale + offset` in one pass.
//! - [`reshape`]: Reshape and Flatten without copying the values.
//! - [`cross_entropy`]: Classification's loss, its count of correct predictions and its
//!   gradient, in one pass over each row.
//! - [`dense`], [`conv`], [`max_pool`], [`conv_pool`] (Conv then MaxPool, fused): one operation each, forward and backward, with tests
//!   that compare outputs and every gradient with burn's own operations.
//! - [`winograd`]: the products of a 3x3 convolution of stride 1 through Winograd's
//!   F(4x4, 3x3), which [`conv`] uses where it applies.
//! - [`single_channel`]: Conv -> MaxPool of one-channel images, computed directly, which
//!   [`conv_pool`] uses where it applies.
//!
//! The kernels serve the CPU backends (`ndarray`, `flex`), bare for inference and inside
//! `Autodiff` for training; on any other backend (CUDA) the components keep burn's operations.
//! Every reduction (a weight gradient summed over a batch) runs over a fixed partition in a
//! fixed order, so a seed gives the same bits on every run, however rayon schedules the work.

pub(crate) mod activation;
pub(crate) mod adam;
pub(crate) mod conv;
pub(crate) mod conv_pool;
pub(crate) mod cross_entropy;
pub(crate) mod dense;
pub(crate) mod dropout;
pub(crate) mod gemm;
pub(crate) mod host;
pub(crate) mod max_pool;
pub(crate) mod rescale;
pub(crate) mod reshape;
pub(crate) mod single_channel;
pub(crate) mod winograd;
pub(crate) mod workspace;

#[cfg(test)]
pub(crate) mod testing {
    //! Helpers for the kernels' tests: seeded values and comparisons with burn.

    use burn::backend::Autodiff;
    use burn::prelude::*;

    /// A tensor of seeded values in `[-1, 1)`.
    pub fn random<I: Backend, const D: usize>(
        dims: [usize; D],
        seed: u64,
        device: &I::Device,
    ) -> Tensor<I, D> {
        let n: usize = dims.iter().product();
        let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let values: Vec<f32> = (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 40) as f32 / (1u64 << 23) as f32 - 1.0
            })
            .collect();
        Tensor::from_data(TensorData::new(values, dims), device)
    }

    /// Checks that `ours` and `burns` have the same dimensions and differ by at most
    /// `tolerance` (relative to the largest value), and prints the largest difference.
    pub fn assert_close<I: Backend, const D: usize>(
        case: &str,
        what: &str,
        ours: Tensor<I, D>,
        burns: Tensor<I, D>,
        tolerance: f32,
    ) {
        assert_eq!(ours.dims(), burns.dims(), "{case}: dimensions of {what}");
        let ours = ours.into_data().to_vec::<f32>().expect("f32");
        let burns = burns.into_data().to_vec::<f32>().expect("f32");
        let scale = burns.iter().fold(1f32, |m, v| m.max(v.abs()));
        // A NaN on one side only counts as an infinite difference (`f32::max` would skip it).
        let diff = ours
            .iter()
            .zip(&burns)
            .map(|(a, b)| match (a - b).abs() {
                d if d.is_nan() && !(a.is_nan() && b.is_nan()) => f32::INFINITY,
                d if d.is_nan() => 0.0,
                d => d,
            })
            .fold(0f32, f32::max);
        println!("{case}: {what}: max |difference| {diff:.2e} (largest value {scale:.2})");
        assert!(
            diff <= tolerance * scale,
            "{case}: {what} differs by {diff} (tolerance {tolerance} x {scale})"
        );
    }

    /// The output and the three gradients of [`tracked_grads`].
    pub type Grads<I, const DX: usize, const DW: usize, const DB: usize, const DY: usize> =
        (Tensor<I, DY>, Tensor<I, DX>, Tensor<I, DW>, Tensor<I, DB>);

    /// The tolerance for an activated output `after` (relative to its largest value, as
    /// [`assert_close`] takes it) that bounds the difference by 1e-5 of the largest value
    /// `before` the activation. Rounding happens in the sums, which a Tanh squashes to at most
    /// 1 but which reach 20 and more on the tests' shapes; Winograd's F(4x4, 3x3) rounds
    /// through coefficients from 1/24 to 8, and differed from burn's direct convolution by
    /// up to 4.3e-6 of the largest sum.
    pub fn activated_tolerance<I: Backend, const D: usize>(
        before: Tensor<I, D>,
        after: Tensor<I, D>,
    ) -> f32 {
        let largest = |t: Tensor<I, D>| t.abs().max().into_scalar().elem::<f32>().max(1.0);
        1e-5 * largest(before) / largest(after)
    }

    /// Checks that two results of [`tracked_grads`] agree: outputs to `output` (relative to
    /// the largest value; see [`activated_tolerance`]), gradients to 1e-4.
    pub fn assert_grads_close<
        I: Backend,
        const DX: usize,
        const DW: usize,
        const DB: usize,
        const DY: usize,
    >(
        case: &str,
        ours: Grads<I, DX, DW, DB, DY>,
        burns: Grads<I, DX, DW, DB, DY>,
        output: f32,
    ) {
        assert_close(case, "output (tracked)", ours.0, burns.0, output);
        assert_close(case, "dx", ours.1, burns.1, 1e-4);
        assert_close(case, "dW", ours.2, burns.2, 1e-4);
        assert_close(case, "db", ours.3, burns.3, 1e-4);
    }

    /// One test per CPU backend that the features enable, each running `$check::<Backend>()`.
    macro_rules! on_each_cpu_backend {
        ($check:ident) => {
            #[test]
            fn matches_burn_on_ndarray() {
                $check::<burn::backend::NdArray>();
            }

            #[cfg(feature = "flex")]
            #[test]
            fn matches_burn_on_flex() {
                $check::<burn::backend::Flex>();
            }
        };
    }
    pub(crate) use on_each_cpu_backend;

    /// The output of `f(x)` and the input's gradient of `sum(f(x) * r)` for a seeded `r`.
    pub fn output_and_grad<I: Backend, const D1: usize, const D2: usize>(
        x: &Tensor<I, D1>,
        f: impl Fn(Tensor<Autodiff<I>, D1>) -> Tensor<Autodiff<I>, D2>,
    ) -> (Tensor<I, D2>, Tensor<I, D1>) {
        let x = Tensor::<Autodiff<I>, D1>::from_inner(x.clone()).require_grad();
        let y = f(x.clone());
        let r = Tensor::from_inner(random::<I, D2>(y.dims(), 99, &y.device()));
        let grads = (y.clone() * r).sum().backward();
        (y.inner(), x.grad(&grads).expect("x has a gradient"))
    }

    /// The output of `f(x, w, b)` and the gradients of `sum(f(x, w, b) * r)` for a seeded `r`
    /// of dimensions `out`, with respect to `x`, `w` and `b`.
    pub fn tracked_grads<
        I: Backend,
        const DX: usize,
        const DW: usize,
        const DB: usize,
        const DY: usize,
    >(
        x: &Tensor<I, DX>,
        w: &Tensor<I, DW>,
        b: &Tensor<I, DB>,
        out: [usize; DY],
        f: impl Fn(
            Tensor<Autodiff<I>, DX>,
            Tensor<Autodiff<I>, DW>,
            Tensor<Autodiff<I>, DB>,
        ) -> Tensor<Autodiff<I>, DY>,
    ) -> Grads<I, DX, DW, DB, DY> {
        let x = Tensor::<Autodiff<I>, DX>::from_inner(x.clone()).require_grad();
        let w = Tensor::<Autodiff<I>, DW>::from_inner(w.clone()).require_grad();
        let b = Tensor::<Autodiff<I>, DB>::from_inner(b.clone()).require_grad();
        let y = f(x.clone(), w.clone(), b.clone());
        let r = Tensor::from_inner(random::<I, DY>(out, 99, &y.device()));
        let grads = (y.clone() * r).sum().backward();
        (
            y.inner(),
            x.grad(&grads).expect("x has a gradient"),
            w.grad(&grads).expect("w has a gradient"),
            b.grad(&grads).expect("b has a gradient"),
        )
    }
}
