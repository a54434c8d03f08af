//! Previews a person reads: what one component computed on one element, in the form the
//! page draws it (an image, a grid of channels, labelled bars, a number).
//!
//! They live in the training layer, not in the view that draws them, because training is what
//! makes them: a report keeps each component's last preview and each badly classified test
//! element's, and a run hands the latest ones to whoever observes it. Deciding the form needs
//! only the model (its shapes, the prediction's classes), never the page, so the view reads
//! them from here rather than training importing them from the view. `view::Preview` and
//! `view::preview::*` re-export them under the paths they had.

use burn::prelude::{Backend, TensorData};
use serde::{Deserialize, Serialize};

use crate::components::Node;
use crate::graph::Model;

/// The most values a preview carries; larger outputs are thinned evenly, so that a page of
/// previews stays small.
pub const MAX_PREVIEW_VALUES: usize = 4096;

/// One component's output on one element, as the training view draws it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "view", rename_all = "snake_case")]
pub enum Preview {
    /// An image `[h, w, c]`, channels last, `c` 1 (grey) or 3 (RGB).
    Image {
        /// `[h, w, c]`.
        shape: [usize; 3],
        /// Row-major values.
        values: Vec<f32>,
    },
    /// `c` channels of `h x w` (a convolution's filters), drawn as a grid of grey images.
    Channels {
        /// `[h, w, c]`.
        shape: [usize; 3],
        /// Row-major values, channels last.
        values: Vec<f32>,
    },
    /// A vector as bars, each labelled; for a classifier's prediction, the predicted and the
    /// true class are marked.
    Bars {
        /// The values.
        values: Vec<f32>,
        /// What each value is: a class or an index.
        labels: Vec<String>,
        /// The predicted class (the largest value) of a classifier's prediction.
        predicted: Option<usize>,
        /// The true class of a classifier's prediction.
        truth: Option<usize>,
    },
    /// One number, named.
    Scalar {
        /// The number.
        value: f32,
        /// What it is (`loss`, `value`).
        label: String,
    },
    /// Anything else: the values with their shape.
    Values {
        /// The dimensions.
        shape: Vec<usize>,
        /// The values, thinned to at most [`MAX_PREVIEW_VALUES`].
        values: Vec<f32>,
    },
}

/// How a component's output is best drawn, beyond what its shape says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Hint {
    /// By its shape: `[h, w]` and `[h, w, 1]` are images, `[h, w, c]` channels, `[n]` bars.
    #[default]
    Shape,
    /// The elements are images of this shape (a Data component whose documented elements
    /// are images stored flat, as the digits' `[64]` are 8x8).
    Image([usize; 3]),
    /// The output is a classifier's prediction over `classes` classes, with the true class.
    Prediction {
        /// The number of classes.
        classes: usize,
        /// The element's label, when known.
        truth: Option<usize>,
    },
    /// A loss.
    Loss,
}

impl Preview {
    /// The preview of `data` (one element, in the user's layout) drawn as `hint` says.
    pub fn of(data: &TensorData, hint: Hint) -> Self {
        let values: Vec<f32> = data.iter::<f32>().collect();
        let shape = data.shape.to_vec();
        match (hint, shape.as_slice()) {
            (Hint::Loss, _) if values.len() == 1 => Preview::Scalar {
                value: values[0],
                label: "loss".into(),
            },
            (Hint::Image(image), _) if image.iter().product::<usize>() == values.len() => {
                Preview::Image {
                    shape: image,
                    values,
                }
            }
            (Hint::Prediction { classes, truth }, _) if values.len() == classes => {
                let predicted = argmax(&values);
                Preview::Bars {
                    labels: (0..classes).map(|c| c.to_string()).collect(),
                    values,
                    predicted,
                    truth,
                }
            }
            (_, []) | (_, [1]) => Preview::Scalar {
                value: values.first().copied().unwrap_or(f32::NAN),
                label: "value".into(),
            },
            (_, &[h, w]) => Preview::Image {
                shape: [h, w, 1],
                values,
            },
            (_, &[h, w, 1]) => Preview::Image {
                shape: [h, w, 1],
                values,
            },
            (_, &[h, w, c]) if h * w * c <= MAX_PREVIEW_VALUES => Preview::Channels {
                shape: [h, w, c],
                values,
            },
            (_, &[n]) if n <= MAX_PREVIEW_VALUES => Preview::Bars {
                labels: (0..n).map(|i| i.to_string()).collect(),
                values,
                predicted: None,
                truth: None,
            },
            _ => Preview::Values {
                values: thin(&values),
                shape,
            },
        }
    }

    /// The preview of a flat element (`values`), drawn as `hint` says, for an element that
    /// is not a tensor yet (a test element's input).
    pub fn of_values(values: Vec<f32>, shape: &[usize], hint: Hint) -> Self {
        Preview::of(&TensorData::new(values, shape.to_vec()), hint)
    }
}

impl<B: Backend> Model<B> {
    /// How each component's output is drawn, by component index (declaration order).
    pub(crate) fn preview_hint(&self, i: usize) -> Hint {
        let plan = &self.plan;
        let (prediction, labels) = plan.prediction_and_labels();
        match &self.graph.nodes[i] {
            Node::Data(data) => data
                .settings()
                .image_shape()
                .or_else(|| self.reshaped_to_image(i))
                .map_or(Hint::Shape, Hint::Image),
            Node::Classification(_) => Hint::Loss,
            Node::Regression(_) => Hint::Loss,
            _ if i == prediction => match (
                &self.graph.nodes[plan.training],
                plan.entries[labels].output.classes,
            ) {
                (Node::Classification(_), Some(classes)) => Hint::Prediction {
                    classes,
                    truth: self.graph.nodes[labels]
                        .get_sample()
                        .and_then(|l| l.iter::<f32>().next())
                        .map(|l| l as usize),
                },
                _ => Hint::Shape,
            },
            _ => Hint::Shape,
        }
    }

    /// The image that the flat elements of Data component `i` become downstream: the first
    /// `[h, w, 1]` or `[h, w, 3]` output of as many values that its first consumers reach
    /// while the count stays the same (a Rescale, then a Reshape).
    fn reshaped_to_image(&self, i: usize) -> Option<[usize; 3]> {
        let entries = &self.plan.entries;
        let values: usize = entries[i].output.shape.dims().iter().product();
        let mut at = i;
        while let Some(&next) = entries[at].consumers.first() {
            let dims = entries[next].output.shape.dims();
            if dims.iter().product::<usize>() != values {
                return None;
            }
            if let &[h, w, c @ (1 | 3)] = dims {
                return Some([h, w, c]);
            }
            at = next;
        }
        None
    }

    /// The latest captured output of each component, drawn, in the summary's (topological)
    /// order; `None` where nothing was captured.
    pub(crate) fn previews(&self) -> Vec<Option<Preview>> {
        self.plan
            .order
            .iter()
            .map(|&i| {
                let sample = self.graph.nodes[i].get_sample()?;
                Some(Preview::of(&sample, self.preview_hint(i)))
            })
            .collect()
    }
}

/// The index of the largest value (the first of equals), `None` for no values or NaN only.
fn argmax(values: &[f32]) -> Option<usize> {
    values
        .iter()
        .enumerate()
        .filter(|(_, v)| !v.is_nan())
        .fold(None, |best: Option<(usize, f32)>, (i, &v)| match best {
            Some((_, b)) if b >= v => best,
            _ => Some((i, v)),
        })
        .map(|(i, _)| i)
}

/// At most [`MAX_PREVIEW_VALUES`] of `values`, evenly spaced.
fn thin(values: &[f32]) -> Vec<f32> {
    if values.len() <= MAX_PREVIEW_VALUES {
        return values.to_vec();
    }
    (0..MAX_PREVIEW_VALUES)
        .map(|i| values[i * values.len() / MAX_PREVIEW_VALUES])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(values: Vec<f32>, shape: &[usize]) -> TensorData {
        TensorData::new(values, shape.to_vec())
    }

    #[test]
    fn images_channels_bars_and_numbers_by_shape() {
        let image = Preview::of(&data(vec![0.0; 4], &[2, 2]), Hint::Shape);
        assert!(
            matches!(
                image,
                Preview::Image {
                    shape: [2, 2, 1],
                    ..
                }
            ),
            "{image:?}"
        );
        let grey = Preview::of(&data(vec![0.0; 4], &[2, 2, 1]), Hint::Shape);
        assert!(matches!(
            grey,
            Preview::Image {
                shape: [2, 2, 1],
                ..
            }
        ));
        let conv = Preview::of(&data(vec![0.0; 32], &[2, 2, 8]), Hint::Shape);
        assert!(matches!(
            conv,
            Preview::Channels {
                shape: [2, 2, 8],
                ..
            }
        ));
        let Preview::Bars {
            labels, predicted, ..
        } = Preview::of(&data(vec![1.0, 3.0, 2.0], &[3]), Hint::Shape)
        else {
            panic!("a vector is bars")
        };
        assert_eq!(labels, ["0", "1", "2"]);
        assert_eq!(predicted, None, "only a prediction is marked");
        let scalar = Preview::of(&data(vec![0.25], &[]), Hint::Loss);
        assert_eq!(
            scalar,
            Preview::Scalar {
                value: 0.25,
                label: "loss".into()
            }
        );
        let big = Preview::of(&data(vec![0.0; 2 * 3 * 4 * 5], &[2, 3, 4, 5]), Hint::Shape);
        assert!(matches!(big, Preview::Values { ref shape, .. } if shape == &[2, 3, 4, 5]));
    }

    #[test]
    fn a_flat_image_is_drawn_by_its_documented_shape() {
        let p = Preview::of(&data(vec![0.5; 64], &[64]), Hint::Image([8, 8, 1]));
        assert!(matches!(p, Preview::Image { shape: [8, 8, 1], ref values } if values.len() == 64));
        // A hint that does not fit the values is ignored rather than trusted.
        let p = Preview::of(&data(vec![0.5; 10], &[10]), Hint::Image([8, 8, 1]));
        assert!(matches!(p, Preview::Bars { .. }));
    }

    #[test]
    fn a_prediction_marks_the_predicted_and_the_true_class() {
        let p = Preview::of(
            &data(vec![0.1, 0.2, 0.6, 0.1], &[4]),
            Hint::Prediction {
                classes: 4,
                truth: Some(1),
            },
        );
        assert_eq!(
            p,
            Preview::Bars {
                values: vec![0.1, 0.2, 0.6, 0.1],
                labels: vec!["0".into(), "1".into(), "2".into(), "3".into()],
                predicted: Some(2),
                truth: Some(1),
            }
        );
    }

    #[test]
    fn large_outputs_are_thinned() {
        let values: Vec<f32> = (0..30_000).map(|i| i as f32).collect();
        let Preview::Values { values, .. } =
            Preview::of(&data(values, &[10, 1000, 3]), Hint::Shape)
        else {
            panic!("too large for channels")
        };
        assert_eq!(values.len(), MAX_PREVIEW_VALUES);
        assert_eq!(values[0], 0.0);
        assert!(values.windows(2).all(|w| w[0] < w[1]), "in order");
    }

    #[test]
    fn argmax_takes_the_first_of_equals_and_skips_nan() {
        assert_eq!(argmax(&[1.0, 3.0, 3.0]), Some(1));
        assert_eq!(argmax(&[f32::NAN, 2.0]), Some(1));
        assert_eq!(argmax(&[]), None);
    }
}
