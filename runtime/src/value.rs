//! The batch of values flowing along one edge of the graph, whatever its rank.
//!
//! Components are typed by rank (`Tensor<B, 2>` in, `Tensor<B, 2>` out), but the graph wires
//! them at run time, so between components a tensor travels with its rank erased and is
//! checked back into a typed tensor by the receiver.
//!
//! Layout: values are batch first. An image element `[height, width, channels]` travels in
//! burn's channels-first layout `[batch, channels, height, width]`; every other element travels
//! as the user writes it. [`Value::first_element`] and [`Value::into_user_data`] convert back
//! to the user's layout for previews and predictions.

use burn::prelude::*;
use burn::tensor::TensorPrimitive;
use percept_catalogue::Shape;

use crate::error::{Error, Result};
use crate::kernels::host;

/// A batch of values of any rank from 1 (a batch of scalars) to 4 (a batch of images).
#[derive(Debug, Clone)]
pub struct Value<B: Backend> {
    primitive: TensorPrimitive<B>,
    rank: usize,
}

impl<B: Backend, const D: usize> From<Tensor<B, D>> for Value<B> {
    fn from(tensor: Tensor<B, D>) -> Self {
        Value {
            primitive: tensor.into_primitive(),
            rank: D,
        }
    }
}

impl<B: Backend> Value<B> {
    /// Builds a batch from values already in percept's layout (see the module docs).
    pub fn from_values(
        values: Vec<f32>,
        batch: usize,
        element: &Shape,
        device: &B::Device,
    ) -> Self {
        let data = |dims: Vec<usize>| TensorData::new(values, dims);
        match *element.dims() {
            [] => Tensor::<B, 1>::from_data(data(vec![batch]), device).into(),
            [n] => Tensor::<B, 2>::from_data(data(vec![batch, n]), device).into(),
            [h, w] => Tensor::<B, 3>::from_data(data(vec![batch, h, w]), device).into(),
            [h, w, c] => Tensor::<B, 4>::from_data(data(vec![batch, c, h, w]), device).into(),
            _ => unreachable!("the catalogue rejects element ranks above 3"),
        }
    }

    /// Hands this value's buffer to the kernels' workspace, where nothing else holds it, so
    /// that the next step's kernels (or its batch) reuse it rather than allocate and clear
    /// a new one.
    pub(crate) fn recycle(self) {
        crate::kernels::host::recycle(self.primitive);
    }

    /// The batch rank (the element rank plus one).
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// The typed tensor, if the rank is `D`; `component` names the receiver in the error.
    pub fn tensor<const D: usize>(&self, component: &str) -> Result<Tensor<B, D>> {
        if self.rank != D {
            return Err(Error::Internal {
                component: component.to_string(),
                expected: D,
                found: self.rank,
            });
        }
        Ok(Tensor::from_primitive(self.primitive.clone()))
    }

    /// The typed tensor in the user's layout (images as `[batch, height, width, channels]`), if
    /// the rank is `D`: what a custom component's `call` receives.
    pub fn user_tensor<const D: usize>(&self, component: &str) -> Result<Tensor<B, D>> {
        let tensor = self.tensor::<D>(component)?;
        Ok(if D == 4 {
            tensor.permute(to_user_axes::<D>())
        } else {
            tensor
        })
    }

    /// A batch given in the user's layout: what a custom component's `call` returns.
    pub fn from_user<const D: usize>(tensor: Tensor<B, D>) -> Self {
        if D == 4 {
            tensor.permute(from_user_axes::<D>()).into()
        } else {
            tensor.into()
        }
    }

    /// The dimensions, batch first, in percept's layout.
    pub fn dims(&self) -> Vec<usize> {
        match self.rank {
            1 => Tensor::<B, 1>::from_primitive(self.primitive.clone())
                .dims()
                .to_vec(),
            2 => Tensor::<B, 2>::from_primitive(self.primitive.clone())
                .dims()
                .to_vec(),
            3 => Tensor::<B, 3>::from_primitive(self.primitive.clone())
                .dims()
                .to_vec(),
            _ => Tensor::<B, 4>::from_primitive(self.primitive.clone())
                .dims()
                .to_vec(),
        }
    }

    /// The number of elements in the batch.
    pub fn batch_size(&self) -> usize {
        self.dims()[0]
    }

    /// The first element of the batch, without the batch dimension, in the user's layout.
    pub fn first_element(&self) -> TensorData {
        self.narrow_batch(0, 1).into_user_data().reshape_first()
    }

    /// `length` elements from `start`.
    pub fn narrow_batch(&self, start: usize, length: usize) -> Self {
        match self.rank {
            1 => self.typed::<1>().narrow(0, start, length).into(),
            2 => self.typed::<2>().narrow(0, start, length).into(),
            3 => self.typed::<3>().narrow(0, start, length).into(),
            _ => self.typed::<4>().narrow(0, start, length).into(),
        }
    }

    /// The whole batch in the user's layout (images as `[batch, height, width, channels]`).
    pub fn into_user_data(self) -> TensorData {
        match self.rank {
            4 => host::data(self.typed::<4>().permute([0, 2, 3, 1])),
            1 => host::data(self.typed::<1>()),
            2 => host::data(self.typed::<2>()),
            _ => host::data(self.typed::<3>()),
        }
    }

    fn typed<const D: usize>(&self) -> Tensor<B, D> {
        Tensor::from_primitive(self.primitive.clone())
    }
}

/// Drops the leading batch dimension of a one-element batch.
trait ReshapeFirst {
    fn reshape_first(self) -> TensorData;
}

impl ReshapeFirst for TensorData {
    fn reshape_first(self) -> TensorData {
        let dims = self.shape[1..].to_vec();
        TensorData {
            shape: dims.into(),
            ..self
        }
    }
}

/// Converts one element from the user's layout into percept's (images `[h, w, c]` become
/// `[c, h, w]`), appending it to `out`.
pub(crate) fn push_element(out: &mut Vec<f32>, element: &[f32], shape: &Shape) {
    match *shape.dims() {
        [h, w, c] if c > 1 => {
            for channel in 0..c {
                out.extend((0..h * w).map(|pixel| element[pixel * c + channel]));
            }
        }
        _ => out.extend_from_slice(element),
    }
}

/// The axes that turn a batch in percept's layout into the user's (images channels last).
pub(crate) fn to_user_axes<const D: usize>() -> [usize; D] {
    if D == 4 {
        std::array::from_fn(|i| [0, 2, 3, 1][i])
    } else {
        std::array::from_fn(|i| i)
    }
}

/// The axes that turn a batch in the user's layout into percept's (images channels first).
pub(crate) fn from_user_axes<const D: usize>() -> [usize; D] {
    if D == 4 {
        std::array::from_fn(|i| [0, 3, 1, 2][i])
    } else {
        std::array::from_fn(|i| i)
    }
}

/// The axis holding the user's last axis (features, or an image's channels) in percept's layout.
pub(crate) fn last_user_axis(rank: usize) -> usize {
    if rank == 4 { 1 } else { rank - 1 }
}

/// Runs `$body` on `$value` as a typed tensor `$t` of its rank, giving a [`Value`]; `$body` is
/// written once and compiled for each rank.
macro_rules! by_rank {
    ($value:expr, $component:expr, |$t:ident| $body:expr) => {
        match $value.rank() {
            1 => {
                let $t = $value.tensor::<1>($component)?;
                $crate::value::Value::from($body)
            }
            2 => {
                let $t = $value.tensor::<2>($component)?;
                $crate::value::Value::from($body)
            }
            3 => {
                let $t = $value.tensor::<3>($component)?;
                $crate::value::Value::from($body)
            }
            _ => {
                let $t = $value.tensor::<4>($component)?;
                $crate::value::Value::from($body)
            }
        }
    };
}

pub(crate) use by_rank;

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::NdArray;

    type B = NdArray;

    #[test]
    fn images_travel_channels_first_and_come_back() {
        // One element [2, 2, 2] in the user's layout: pixel-major, channel-minor.
        let user = [1.0, 10.0, 2.0, 20.0, 3.0, 30.0, 4.0, 40.0];
        let shape = Shape::from([2, 2, 2]);
        let mut internal = Vec::new();
        push_element(&mut internal, &user, &shape);
        assert_eq!(internal, [1.0, 2.0, 3.0, 4.0, 10.0, 20.0, 30.0, 40.0]);
        let value = Value::<B>::from_values(internal, 1, &shape, &Default::default());
        assert_eq!(value.dims(), [1, 2, 2, 2]);
        let first = value.first_element();
        assert_eq!(first.shape.to_vec(), vec![2, 2, 2]);
        assert_eq!(first.to_vec::<f32>().unwrap(), user);
    }

    #[test]
    fn ranks_are_checked() {
        let value =
            Value::<B>::from_values(vec![1.0, 2.0], 2, &Shape::scalar(), &Default::default());
        assert_eq!(value.rank(), 1);
        assert!(value.tensor::<1>("x").is_ok());
        let err = value.tensor::<2>("x").unwrap_err();
        assert!(err.to_string().contains("rank 1, expected 2"), "{err}");
    }

    #[test]
    fn narrows_the_batch() {
        let value = Value::<B>::from_values(
            vec![1.0, 2.0, 3.0, 4.0],
            2,
            &Shape::from([2]),
            &Default::default(),
        );
        let second = value.narrow_batch(1, 1).into_user_data();
        assert_eq!(second.to_vec::<f32>().unwrap(), [3.0, 4.0]);
        assert_eq!(value.first_element().shape.to_vec(), vec![2]);
    }
}
