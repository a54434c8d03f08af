//! Capturing gradients and summarising tensors for the training view.

use std::collections::BTreeMap;

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::prelude::*;
use burn::tensor::backend::AutodiffBackend;

use crate::component::Tensors;
use crate::components::Node;

/// The number of bins of a [`TensorSummary`] histogram.
pub const HISTOGRAM_BINS: usize = 20;

/// Values a thread summarises at a time: the runs, and so the order of the sums, depend on
/// the tensor's size alone.
const SUMMARY_RUN: usize = 1 << 15;

/// Statistics of a tensor's values: what the training view plots per epoch, in constant
/// memory however long training runs.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TensorSummary {
    /// The dimensions.
    pub shape: Vec<usize>,
    /// The mean.
    pub mean: f32,
    /// The standard deviation.
    pub std: f32,
    /// The smallest value.
    pub min: f32,
    /// The largest value.
    pub max: f32,
    /// Counts of values in [`HISTOGRAM_BINS`] equal bins from `min` to `max`.
    pub histogram: Vec<u32>,
}

impl TensorSummary {
    /// Summarises `data` (converted to f32): read in place where it holds f32, in runs of
    /// values on every core (the epoch's summaries of a 784x800 layer's weights and gradients
    /// took 4% of an MLP benchmark's epoch on one core), each run's sums added in order.
    pub fn of(data: &TensorData) -> Self {
        use rayon::prelude::*;
        let converted: Vec<f32>;
        let values = match data.as_slice::<f32>() {
            Ok(values) => values,
            Err(_) => {
                converted = data.iter::<f32>().collect();
                &converted
            }
        };
        let n = values.len().max(1) as f64;
        let runs = || values.par_chunks(SUMMARY_RUN);
        let (sum, min, max) = runs()
            .map(|run| {
                let sum: f64 = run.iter().map(|v| f64::from(*v)).sum();
                let min = run.iter().copied().fold(f32::INFINITY, f32::min);
                let max = run.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                (sum, min, max)
            })
            .collect::<Vec<_>>()
            .into_iter()
            .fold(
                (0.0, f32::INFINITY, f32::NEG_INFINITY),
                |(s, lo, hi), (sum, min, max)| (s + sum, lo.min(min), hi.max(max)),
            );
        let mean = sum / n;
        let squares: Vec<f64> = runs()
            .map(|run| run.iter().map(|v| (f64::from(*v) - mean).powi(2)).sum())
            .collect();
        let var = squares.into_iter().sum::<f64>() / n;
        let width = (max - min) / HISTOGRAM_BINS as f32;
        let histogram = runs()
            .map(|run| {
                let mut histogram = [0u32; HISTOGRAM_BINS];
                for v in run {
                    let bin = if width > 0.0 {
                        ((v - min) / width) as usize
                    } else {
                        0
                    };
                    histogram[bin.min(HISTOGRAM_BINS - 1)] += 1;
                }
                histogram
            })
            .reduce(
                || [0; HISTOGRAM_BINS],
                |mut a, b| {
                    a.iter_mut().zip(b).for_each(|(a, b)| *a += b);
                    a
                },
            );
        TensorSummary {
            shape: data.shape.to_vec(),
            mean: mean as f32,
            std: var.sqrt() as f32,
            min,
            max,
            histogram: histogram.to_vec(),
        }
    }

    /// Summarises each tensor of a map.
    pub fn of_all(tensors: &Tensors) -> BTreeMap<String, TensorSummary> {
        tensors
            .iter()
            .map(|(name, data)| (name.clone(), TensorSummary::of(data)))
            .collect()
    }
}

/// Stores in each component's probe the gradients of its trainable variables, named as in
/// `weights()` and `biases()`.
pub(crate) fn capture_gradients<B: AutodiffBackend>(nodes: &[Node<B>], grads: &GradientsParams) {
    for node in nodes {
        if let Node::Custom(custom) = node {
            custom.capture_gradients(grads);
            continue;
        }
        let mut visitor = GradientVisitor {
            grads,
            path: Vec::new(),
            out: Tensors::new(),
        };
        node.visit(&mut visitor);
        if !visitor.out.is_empty() {
            node.meta().probe.with(|c| c.gradients = visitor.out);
        }
    }
}

struct GradientVisitor<'a> {
    grads: &'a GradientsParams,
    path: Vec<String>,
    out: Tensors,
}

impl<B: AutodiffBackend> ModuleVisitor<B> for GradientVisitor<'_> {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        if let Some(grad) = self.grads.get::<B::InnerBackend, D>(param.id) {
            let name = match self.path.last().map(String::as_str) {
                Some("weight") => "W".to_string(),
                Some("bias") => "b".to_string(),
                Some(other) => other.to_string(),
                None => "param".to_string(),
            };
            self.out.insert(name, crate::kernels::host::data(grad));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summarises_values() {
        let s = TensorSummary::of(&TensorData::new(vec![1.0f32, 2.0, 3.0, 4.0], [2, 2]));
        assert_eq!(s.shape, vec![2, 2]);
        assert_eq!(s.mean, 2.5);
        assert!((s.std - 1.118_034).abs() < 1e-6);
        assert_eq!((s.min, s.max), (1.0, 4.0));
        assert_eq!(s.histogram.iter().sum::<u32>(), 4);
        assert_eq!(s.histogram[0], 1);
        assert_eq!(s.histogram[HISTOGRAM_BINS - 1], 1);
    }

    #[test]
    fn many_runs_summarise_as_one() {
        // 5 runs and a short one, values 0..n: mean (n - 1) / 2, every bin as full as the next.
        let n = 5 * SUMMARY_RUN + 100;
        let s = TensorSummary::of(&TensorData::new((0..n).map(|v| v as f32).collect(), [n]));
        assert_eq!(s.mean, (n - 1) as f32 / 2.0);
        let expected_std = ((n * n - 1) as f64 / 12.0).sqrt() as f32;
        assert!(
            (s.std - expected_std).abs() / expected_std < 1e-6,
            "{}",
            s.std
        );
        assert_eq!((s.min, s.max), (0.0, (n - 1) as f32));
        assert_eq!(s.histogram.iter().sum::<u32>() as usize, n);
        let per_bin = n / HISTOGRAM_BINS;
        assert!(
            s.histogram.iter().all(|&c| c.abs_diff(per_bin as u32) <= 1),
            "{:?}",
            s.histogram
        );
    }

    #[test]
    fn a_constant_tensor_fills_one_bin() {
        let s = TensorSummary::of(&TensorData::new(vec![0.5f32; 3], [3]));
        assert_eq!(s.histogram[0], 3);
        assert_eq!(s.std, 0.0);
    }
}
