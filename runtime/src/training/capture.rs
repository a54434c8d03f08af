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
    /// Summarises `data` (converted to f32).
    pub fn of(data: &TensorData) -> Self {
        let values: Vec<f32> = data.iter::<f32>().collect();
        let n = values.len().max(1) as f64;
        let mean = values.iter().map(|v| f64::from(*v)).sum::<f64>() / n;
        let var = values
            .iter()
            .map(|v| (f64::from(*v) - mean).powi(2))
            .sum::<f64>()
            / n;
        let min = values.iter().copied().fold(f32::INFINITY, f32::min);
        let max = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut histogram = vec![0u32; HISTOGRAM_BINS];
        let width = (max - min) / HISTOGRAM_BINS as f32;
        for v in &values {
            let bin = if width > 0.0 {
                ((v - min) / width) as usize
            } else {
                0
            };
            histogram[bin.min(HISTOGRAM_BINS - 1)] += 1;
        }
        TensorSummary {
            shape: data.shape.to_vec(),
            mean: mean as f32,
            std: var.sqrt() as f32,
            min,
            max,
            histogram,
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
    fn a_constant_tensor_fills_one_bin() {
        let s = TensorSummary::of(&TensorData::new(vec![0.5f32; 3], [3]));
        assert_eq!(s.histogram[0], 3);
        assert_eq!(s.std, 0.0);
    }
}
