//! Training components: what the model is trained to do.
//!
//! Each computes its loss and metric for a batch; the training loop (`crate::training`) drives
//! them.

percept_catalogue::__builtins!(declare_family, Train);

pub use percept_catalogue::{Optimizer, TrainingSettings};

use burn::prelude::*;

/// A batch's loss (to differentiate) and the sums its metric needs (see [`MetricSums`]).
#[derive(Debug, Clone)]
pub struct BatchLoss<B: Backend> {
    /// The mean loss over the batch, one value.
    pub loss: Tensor<B, 1>,
    /// Sums over the batch from which the metric is computed: `[correct]` for
    /// classification, `[squared error, sum of targets, sum of squared targets, targets]` for
    /// regression.
    pub sums: Tensor<B, 1>,
}

impl<B: Backend> BatchLoss<B> {
    /// Reads the loss and the sums back to the host in one transfer.
    pub fn read(&self) -> (f32, Vec<f64>) {
        let all = Tensor::cat(vec![self.loss.clone(), self.sums.clone()], 0)
            .into_data()
            .convert::<f32>()
            .to_vec::<f32>()
            .unwrap_or_default();
        let loss = all.first().copied().unwrap_or(f32::NAN);
        (loss, all.iter().skip(1).map(|v| f64::from(*v)).collect())
    }
}

/// The running sums of an epoch's metric: accuracy for classification, R² for regression.
#[derive(Debug, Clone, Default)]
pub struct MetricSums {
    loss: f64,
    elements: usize,
    sums: Vec<f64>,
}

impl MetricSums {
    /// Adds a batch of `elements` with mean loss `loss` and metric sums `sums`.
    pub fn add(&mut self, loss: f32, sums: &[f64], elements: usize) {
        self.loss += f64::from(loss) * elements as f64;
        self.elements += elements;
        if self.sums.len() < sums.len() {
            self.sums.resize(sums.len(), 0.0);
        }
        for (total, s) in self.sums.iter_mut().zip(sums) {
            *total += s;
        }
    }

    /// The mean loss per element.
    pub fn loss(&self) -> f32 {
        (self.loss / self.elements.max(1) as f64) as f32
    }

    /// Accuracy (one sum: correct) or R² (four sums), `NaN` when nothing was added.
    pub fn metric(&self) -> f32 {
        match *self.sums.as_slice() {
            [correct] => (correct / self.elements.max(1) as f64) as f32,
            [squared_error, sum, sum_squares, count] if count > 0.0 => {
                let total = sum_squares - sum * sum / count;
                if total <= 0.0 {
                    f32::NAN
                } else {
                    (1.0 - squared_error / total) as f32
                }
            }
            _ => f32::NAN,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accuracy_is_correct_over_elements() {
        let mut m = MetricSums::default();
        m.add(1.0, &[3.0], 4);
        m.add(2.0, &[1.0], 4);
        assert_eq!(m.metric(), 0.5);
        assert_eq!(m.loss(), 1.5);
    }

    #[test]
    fn r_squared_from_sums() {
        // targets 1, 2, 3 (mean 2, total sum of squares 2), squared error 0.5 -> R² 0.75
        let mut m = MetricSums::default();
        m.add(0.0, &[0.5, 6.0, 14.0, 3.0], 3);
        assert!((m.metric() - 0.75).abs() < 1e-6);
    }
}
