//! Classification's loss: the mean softmax cross-entropy of logits against class indices,
//! the count of correct predictions, and the logits' gradient, in one pass over each row.
//!
//! burn computes the same with a dozen small operations (a log-softmax, a gather, a mean,
//! an argmax, a comparison, a sum), each allocating its result and each recorded by
//! burn-autodiff, on one core while the other waits: on the MLP's `[128, 10]` logits, about
//! 3% of a step. Here the forward pass writes the gradient too, `(softmax - one-hot) /
//! batch`, which the backward pass scales by the loss's gradient.

use std::sync::Arc;

use burn::backend::Autodiff;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops};
use burn::prelude::*;
use burn::tensor::activation::log_softmax;

use super::host::{self, Host, Mode, cast, on_cpu};

/// The mean cross-entropy of `logits` (`[batch, classes]`, before any softmax) against
/// `labels` (`[batch]`, class indices as floats), and how many rows' largest logit is at
/// their label, both of one value. The kernel on the CPU backends where every label is a
/// class index, burn's operations elsewhere.
pub(crate) fn cross_entropy<B: Backend>(
    logits: Tensor<B, 2>,
    labels: Tensor<B, 1>,
) -> (Tensor<B, 1>, Tensor<B, 1>) {
    on_cpu!(B, |I, mode| on_host::<B, I>(mode, logits, labels));
    reference(logits, labels)
}

/// [`cross_entropy`] on the CPU backend `I` that `B` is or wraps.
fn on_host<B: Backend, I: Host>(
    mode: Mode,
    logits: Tensor<B, 2>,
    labels: Tensor<B, 1>,
) -> (Tensor<B, 1>, Tensor<B, 1>) {
    let [batch, classes] = logits.dims();
    // Read in place (burn's `to_data` goes value by value through an iterator).
    let values = match mode {
        Mode::Plain => {
            let labels = host::primitive(cast::<_, Tensor<I, 1>>(labels.clone()));
            I::slice(&labels).into_owned()
        }
        Mode::Tracked => {
            let labels = host::tracked(cast::<_, Tensor<Autodiff<I>, 1>>(labels.clone()));
            I::slice(&labels.primitive).into_owned()
        }
    };
    let Some(indices) = class_indices(&values, batch, classes) else {
        return reference(logits, labels);
    };
    let device = logits.device();
    let (loss, correct) = match mode {
        Mode::Plain => {
            let x = host::primitive(cast::<_, Tensor<I, 2>>(logits));
            let pass = Pass::of(&I::slice(&x), &indices, classes);
            let loss = host::tensor::<I, 1>(vec![pass.loss], [1], &I::float_device(&x));
            (cast(loss), pass.correct)
        }
        Mode::Tracked => {
            let (loss, correct) = tracked::<I>(cast(logits), &indices, classes);
            (cast(loss), correct)
        }
    };
    let correct = Tensor::from_data(TensorData::new(vec![correct as f32], [1]), &device);
    (loss, correct)
}

/// The same with burn's operations.
pub(crate) fn reference<B: Backend>(
    logits: Tensor<B, 2>,
    labels: Tensor<B, 1>,
) -> (Tensor<B, 1>, Tensor<B, 1>) {
    let [batch, _] = logits.dims();
    let targets = labels.int().reshape([batch, 1]);
    let log_probs = log_softmax(logits.clone(), 1);
    let loss = log_probs.gather(1, targets.clone()).mean().neg();
    let correct = logits.argmax(1).equal(targets).int().sum().float();
    (loss, correct)
}

/// The labels as class indices, where each is a whole number below `classes` (otherwise
/// burn's operations decide what a label outside the classes means).
fn class_indices(labels: &[f32], batch: usize, classes: usize) -> Option<Vec<usize>> {
    if labels.len() != batch || batch == 0 {
        return None;
    }
    labels
        .iter()
        .map(|&label| {
            let whole = label >= 0.0 && label.fract() == 0.0 && (label as usize) < classes;
            whole.then_some(label as usize)
        })
        .collect()
}

/// What one pass over the logits computes.
struct Pass {
    /// The mean cross-entropy.
    loss: f32,
    /// Rows whose largest logit (the first of equal ones) is at their label.
    correct: usize,
    /// The loss's gradient with respect to the logits, `(softmax - one-hot) / batch`.
    grad: Vec<f32>,
}

impl Pass {
    /// Row by row: the largest logit, the log of the softmax's sum (as burn's log-softmax
    /// computes it, shifted by the largest), the row's loss and its gradient.
    fn of(logits: &[f32], labels: &[usize], classes: usize) -> Self {
        let batch = labels.len();
        let mut grad = vec![0.0; logits.len()];
        let (mut total, mut correct) = (0.0f32, 0);
        for ((row, grad), &label) in logits
            .chunks_exact(classes)
            .zip(grad.chunks_exact_mut(classes))
            .zip(labels)
        {
            let (mut largest, mut at) = (row[0], 0);
            for (i, &value) in row.iter().enumerate().skip(1) {
                if value > largest {
                    (largest, at) = (value, i);
                }
            }
            correct += usize::from(at == label);
            let mut sum = 0.0;
            for (g, &value) in grad.iter_mut().zip(row) {
                *g = (value - largest).exp();
                sum += *g;
            }
            total += sum.ln() - (row[label] - largest);
            for g in grad.iter_mut() {
                *g /= sum * batch as f32;
            }
            grad[label] -= 1.0 / batch as f32;
        }
        Pass {
            loss: total / batch as f32,
            correct,
            grad,
        }
    }
}

/// The logits' gradient for a loss gradient of one.
#[derive(Debug)]
struct Saved {
    grad: Vec<f32>,
    dims: [usize; 2],
}

#[derive(Debug)]
struct CrossEntropyBackward;

impl<I: Host> Backward<I, 1> for CrossEntropyBackward {
    type State = Arc<Saved>;

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        host::backward_one::<I, _>(
            ops,
            grads,
            |s| s.dims.to_vec(),
            |s, loss_grad| s.grad.iter().map(|g| g * loss_grad[0]).collect(),
        );
    }
}

fn tracked<I: Host>(
    logits: Tensor<Autodiff<I>, 2>,
    labels: &[usize],
    classes: usize,
) -> (Tensor<Autodiff<I>, 1>, usize) {
    let dims = logits.dims();
    let device = logits.device();
    let logits = host::tracked(logits);
    let pass = Pass::of(&I::slice(&logits.primitive), labels, classes);
    let loss = host::primitive(host::tensor::<I, 1>(vec![pass.loss], [1], &device));
    let saved = Arc::new(Saved {
        grad: pass.grad,
        dims,
    });
    let loss = host::record(CrossEntropyBackward, [&logits], saved, loss);
    (loss, pass.correct)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::testing::{assert_close, on_each_cpu_backend, random};

    /// The loss, the count and the logits' gradient of `f`.
    fn loss_count_and_grad<I: Backend>(
        logits: &Tensor<I, 2>,
        labels: &Tensor<I, 1>,
        f: impl Fn(Tensor<Autodiff<I>, 2>, Tensor<Autodiff<I>, 1>) -> [Tensor<Autodiff<I>, 1>; 2],
    ) -> (Tensor<I, 1>, Tensor<I, 1>, Tensor<I, 2>) {
        let x = Tensor::<Autodiff<I>, 2>::from_inner(logits.clone()).require_grad();
        let [loss, correct] = f(x.clone(), Tensor::from_inner(labels.clone()));
        let grads = (loss.clone() * 3.0).backward();
        let grad = x.grad(&grads).expect("the logits have a gradient");
        (loss.inner(), correct.inner(), grad)
    }

    /// On several shapes (one row, one class, a batch of the MNIST models' size), large
    /// logits included: the loss, the count and the gradient are burn's, tracked and not.
    fn matches_burn<I: Host>() {
        let device = Default::default();
        for (batch, classes, scale) in [(1, 3, 1.0), (7, 1, 1.0), (128, 10, 1.0), (33, 5, 40.0)] {
            let case = format!("{batch}x{classes}, logits up to {scale}");
            let logits = random::<I, 2>([batch, classes], 1, &device) * scale;
            let labels: Vec<f32> = (0..batch).map(|i| ((i * 7) % classes) as f32).collect();
            let labels = Tensor::<I, 1>::from_data(TensorData::new(labels, [batch]), &device);
            let ours = loss_count_and_grad(&logits, &labels, |x, l| {
                let (loss, correct) = cross_entropy(x, l);
                [loss, correct]
            });
            let burns = loss_count_and_grad(&logits, &labels, |x, l| {
                let (loss, correct) = reference(x, l);
                [loss, correct]
            });
            assert_close(&case, "loss", ours.0, burns.0, 1e-6);
            assert_close(&case, "correct", ours.1, burns.1, 0.0);
            assert_close(&case, "dlogits", ours.2, burns.2, 1e-6);
            let (plain_loss, plain_correct) = cross_entropy(logits.clone(), labels.clone());
            let (burns_loss, burns_correct) = reference(logits, labels);
            assert_close(&case, "loss (plain)", plain_loss, burns_loss, 1e-6);
            assert_close(&case, "correct (plain)", plain_correct, burns_correct, 0.0);
        }
    }

    on_each_cpu_backend!(matches_burn);

    #[test]
    fn labels_that_are_not_class_indices_are_left_to_burn() {
        assert_eq!(class_indices(&[0.0, 2.0], 2, 3), Some(vec![0, 2]));
        assert_eq!(class_indices(&[0.0, 3.0], 2, 3), None, "past the classes");
        assert_eq!(class_indices(&[0.5], 1, 3), None, "not whole");
        assert_eq!(class_indices(&[-1.0], 1, 3), None, "negative");
        assert_eq!(class_indices(&[f32::NAN], 1, 3), None, "NaN");
    }
}
