//! Adam, fused: one pass over each parameter updates both moments and the parameter, where
//! burn's Adam runs a dozen tensor operations, each allocating a tensor of the parameter's
//! size (for the MLP's 784x800 weights, more time than the products of a step).
//!
//! The state is burn's own (`AdamState`), so records, and a run's checkpoints, are those of
//! burn's Adam; the arithmetic is burn's too (its bias corrections, its epsilon), in one
//! order per value. On other backends than the CPU ones, burn's Adam does the step.

use burn::optim::adaptor::OptimizerAdaptor;
use burn::optim::{
    Adam, AdamConfig, AdamState, AdaptiveMomentumState, LearningRate, SimpleOptimizer,
};
use burn::prelude::*;
use burn::tensor::backend::AutodiffBackend;
use rayon::prelude::*;

use super::host::{self, Host, cast, same};
use super::workspace;
use multiversion::multiversion;

/// Adam with burn's defaults (`beta_1` 0.9, `beta_2` 0.999, `epsilon` 1e-5; the tests
/// compare every step with burn's default Adam).
#[derive(Clone)]
pub(crate) struct FusedAdam {
    burns: Adam,
}

const BETA_1: f32 = 0.9;
const BETA_2: f32 = 0.999;
const EPSILON: f32 = 1e-5;

impl FusedAdam {
    /// Adam with burn's defaults.
    pub fn new() -> Self {
        FusedAdam {
            burns: AdamConfig::new().build(),
        }
    }

    /// The optimizer for a module `M` trained on `B`.
    pub fn init<B: AutodiffBackend, M: burn::module::AutodiffModule<B>>(
        self,
    ) -> OptimizerAdaptor<Self, M, B> {
        OptimizerAdaptor::from(self)
    }
}

/// Values per rayon task: large enough to be worth a task, small enough to share the work.
const CHUNK: usize = 1 << 14;

impl<B: Backend> SimpleOptimizer<B> for FusedAdam {
    type State<const D: usize> = AdamState<B, D>;

    fn step<const D: usize>(
        &self,
        lr: LearningRate,
        tensor: Tensor<B, D>,
        grad: Tensor<B, D>,
        state: Option<Self::State<D>>,
    ) -> (Tensor<B, D>, Option<Self::State<D>>) {
        macro_rules! on {
            ($I:ty) => {
                if same::<B, $I>() {
                    let (tensor, state) =
                        self.fused::<$I, D>(lr, cast(tensor), cast(grad), state.map(cast));
                    return (cast(tensor), Some(cast(state)));
                }
            };
        }
        #[cfg(feature = "ndarray")]
        on!(burn::backend::NdArray);
        #[cfg(feature = "flex")]
        on!(burn::backend::Flex);
        self.burns.step(lr, tensor, grad, state)
    }

    fn to_device<const D: usize>(state: Self::State<D>, device: &B::Device) -> Self::State<D> {
        <Adam as SimpleOptimizer<B>>::to_device(state, device)
    }
}

impl FusedAdam {
    /// One step on a CPU backend: `m`, `v` and the parameter in one pass.
    fn fused<I: Host, const D: usize>(
        &self,
        lr: LearningRate,
        tensor: Tensor<I, D>,
        grad: Tensor<I, D>,
        state: Option<AdamState<I, D>>,
    ) -> (Tensor<I, D>, AdamState<I, D>) {
        let dims = tensor.dims();
        let device = tensor.device();
        let (beta_1, beta_2, epsilon) = (BETA_1, BETA_2, EPSILON);
        let (time, moments) = match state {
            Some(state) => (
                state.momentum.time + 1,
                Some((state.momentum.moment_1, state.momentum.moment_2)),
            ),
            None => (1, None),
        };
        let bias_correction2_sqrt = (1.0 - beta_2.powi(time as i32)).sqrt();
        let combined = bias_correction2_sqrt / (1.0 - beta_1.powi(time as i32));
        let eps = epsilon * bias_correction2_sqrt;
        let lr = lr as f32;

        let grad = host::primitive(grad);
        let g = I::slice(&grad);
        let len = g.len();
        // In place where burn hands the buffers over (the moments are held by nothing else
        // between steps): no allocation.
        let (mut m, mut v) = match moments {
            Some((m, v)) => (I::take(host::primitive(m)), I::take(host::primitive(v))),
            None => (vec![0.0; len], vec![0.0; len]),
        };
        let step = Step { lr, combined, eps };
        let p = match I::try_take(host::primitive(tensor)) {
            Ok(mut p) => {
                in_chunks(&mut p, &g, &mut m, &mut v, |_, p, g, m, v| {
                    update_in_place(step, p, g, m, v);
                });
                p
            }
            // The parameter is shared (training keeps the last parameters whose loss was
            // finite): the update writes another buffer as it reads the old one, rather than
            // copying it first. The buffer is usually the parameter of two steps before,
            // which training recycles when it lets it go (`host::recycle_params`): a new
            // one would be faulted in page by page every step.
            Err(old) => {
                let before = I::slice(&old);
                let mut p = workspace::buffer(len).into_vec();
                in_chunks(&mut p, &g, &mut m, &mut v, {
                    let before = &before;
                    move |at, p, g, m, v| {
                        let before = &before[at..][..p.len()];
                        update_into(step, p, before, g, m, v);
                    }
                });
                p
            }
        };
        drop(g);
        // The gradient's buffer serves the next step's gradient.
        if let Ok(values) = I::try_take(grad) {
            workspace::keep(values);
        }
        let state = AdamState::new(AdaptiveMomentumState::new(
            time,
            host::tensor(m, dims, &device),
            host::tensor(v, dims, &device),
        ));
        (host::tensor(p, dims, &device), state)
    }
}

/// Adam's step over a chunk of a parameter, in place, compiled for AVX-512 (with the `avx512`
/// feature) or AVX2 where the processor has them (the `multiversion` crate chooses at run
/// time; percept itself builds for baseline x86-64). Each value's step is the same IEEE
/// operations on every path, so the results are burn's Adam's, bit for bit, on any processor.
#[cfg_attr(
    feature = "avx512",
    multiversion(targets("x86_64+avx512f", "x86_64+avx2+fma"))
)]
#[cfg_attr(not(feature = "avx512"), multiversion(targets("x86_64+avx2+fma")))]
fn update_in_place(step: Step, p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]) {
    for (((p, g), m), v) in p.iter_mut().zip(g).zip(m).zip(v) {
        *p -= step.change(*g, m, v);
    }
}

/// [`update_in_place`] writing into another buffer `p` as it reads the old values `before`.
#[cfg_attr(
    feature = "avx512",
    multiversion(targets("x86_64+avx512f", "x86_64+avx2+fma"))
)]
#[cfg_attr(not(feature = "avx512"), multiversion(targets("x86_64+avx2+fma")))]
fn update_into(step: Step, p: &mut [f32], before: &[f32], g: &[f32], m: &mut [f32], v: &mut [f32]) {
    let values = p.iter_mut().zip(before).zip(g).zip(m).zip(v);
    for ((((p, b), g), m), v) in values {
        *p = b - step.change(*g, m, v);
    }
}

/// What one step changes, the same for every value of a parameter.
#[derive(Clone, Copy)]
struct Step {
    lr: f32,
    /// `sqrt(1 - beta_2^t) / (1 - beta_1^t)`: both bias corrections.
    combined: f32,
    /// Epsilon, scaled by the second bias correction.
    eps: f32,
}

impl Step {
    /// Updates the moments of one value and gives the change of the value. Always inlined,
    /// so that the loops calling it compile for the vectors of their own target.
    #[inline(always)]
    fn change(self, g: f32, m: &mut f32, v: &mut f32) -> f32 {
        *m = BETA_1 * *m + (1.0 - BETA_1) * g;
        *v = BETA_2 * *v + (1.0 - BETA_2) * (g * g);
        self.lr * ((*m * self.combined) / (v.sqrt() + self.eps))
    }
}

/// Runs `update(at, values, g, m, v)` over chunks of the same `CHUNK` positions of each
/// slice (`at` is where the chunk starts), spread over rayon's pool where there is more than
/// one chunk. Each position is updated by itself, so the split changes no bit.
fn in_chunks<T: Send>(
    values: &mut [T],
    g: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    update: impl Fn(usize, &mut [T], &[f32], &mut [f32], &mut [f32]) + Sync,
) {
    if values.len() <= CHUNK {
        // One chunk: handing it to rayon's pool would cost more than the work.
        update(0, values, g, m, v);
    } else {
        values
            .par_chunks_mut(CHUNK)
            .zip(g.par_chunks(CHUNK))
            .zip(m.par_chunks_mut(CHUNK).zip(v.par_chunks_mut(CHUNK)))
            .enumerate()
            .for_each(|(i, ((values, g), (m, v)))| update(i * CHUNK, values, g, m, v));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::testing::{assert_close, on_each_cpu_backend, random};

    /// Every step against burn's Adam, on one chunk and on several (the last one short), with
    /// the parameter updated in place and, where another handle shares it, into a new buffer
    /// that leaves the shared values as they were.
    fn matches_burn<I: Host>() {
        let device = Default::default();
        let ours = FusedAdam::new();
        let burns = AdamConfig::new().build();
        for dims in [[33, 70], [130, 300]] {
            let mut ours_p = random::<I, 2>(dims, 1, &device);
            let mut burns_p = ours_p.clone();
            let (mut ours_s, mut burns_s) = (None, None);
            for step in 1..=6u64 {
                let grad = random::<I, 2>(dims, step + 10, &device) * (step as f32);
                let shared = (step % 2 == 0).then(|| ours_p.clone());
                let before = shared.as_ref().map(|p| p.to_data());
                let (p, s) = SimpleOptimizer::<I>::step(&ours, 1e-2, ours_p, grad.clone(), ours_s);
                (ours_p, ours_s) = (p, s);
                if let (Some(shared), Some(before)) = (shared, before) {
                    assert_eq!(
                        shared.to_data(),
                        before,
                        "{dims:?} step {step}: shared values"
                    );
                }
                let (p, s) = SimpleOptimizer::<I>::step(&burns, 1e-2, burns_p, grad, burns_s);
                (burns_p, burns_s) = (p, s);
                let case = format!("{dims:?} step {step}");
                assert_close(&case, "parameter", ours_p.clone(), burns_p.clone(), 1e-6);
                let (o, b) = (
                    ours_s.clone().unwrap().momentum,
                    burns_s.clone().unwrap().momentum,
                );
                assert_eq!(o.time, b.time);
                assert_close(&case, "moment 1", o.moment_1, b.moment_1, 1e-6);
                assert_close(&case, "moment 2", o.moment_2, b.moment_2, 1e-6);
            }
        }
    }

    on_each_cpu_backend!(matches_burn);
}
