//! Moving tensors between burn and the kernels, and finding out which backend a component
//! runs on.
//!
//! The kernels compute on `f32` slices in burn's row-major layout. A component is generic over
//! its backend `B`; [`on_cpu!`] checks, by type, whether `B` is one of the CPU backends that
//! percept's features enable, bare (inference) or inside `Autodiff` (training), and runs the
//! kernel for that backend. Any other backend (CUDA) keeps burn's operations.

use std::any::{Any, TypeId};

use burn::backend::Autodiff;
use burn::prelude::*;
use burn::tensor::TensorPrimitive;
use burn::tensor::ops::FloatTensor;

/// True when `A` and `B` are the same type.
pub(crate) fn same<A: 'static, B: 'static>() -> bool {
    TypeId::of::<A>() == TypeId::of::<B>()
}

/// `value` as the type `U` that [`same`] found it to be.
pub(crate) fn cast<T: 'static, U: 'static>(value: T) -> U {
    match (Box::new(value) as Box<dyn Any>).downcast::<U>() {
        Ok(value) => *value,
        Err(_) => unreachable!("cast only between types that `same` found equal"),
    }
}

/// Runs `$body` with `$I` naming the CPU backend that `$B` is (`Plain`) or that `$B` wraps in
/// `Autodiff` (`Tracked`), for each CPU backend the features enable; falls through when `$B`
/// is none of them.
macro_rules! on_cpu {
    ($B:ty, |$I:ident, $mode:ident| $body:expr) => {
        #[cfg(feature = "ndarray")]
        {
            type $I = burn::backend::NdArray;
            if $crate::kernels::host::same::<$B, $I>() {
                let $mode = $crate::kernels::host::Mode::Plain;
                return $body;
            }
            if $crate::kernels::host::same::<$B, burn::backend::Autodiff<$I>>() {
                let $mode = $crate::kernels::host::Mode::Tracked;
                return $body;
            }
        }
        #[cfg(feature = "flex")]
        {
            type $I = burn::backend::Flex;
            if $crate::kernels::host::same::<$B, $I>() {
                let $mode = $crate::kernels::host::Mode::Plain;
                return $body;
            }
            if $crate::kernels::host::same::<$B, burn::backend::Autodiff<$I>>() {
                let $mode = $crate::kernels::host::Mode::Tracked;
                return $body;
            }
        }
    };
}
pub(crate) use on_cpu;

/// Whether a kernel runs for inference or records its backward pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// On the bare backend: no autodiff graph.
    Plain,
    /// Inside `Autodiff`: the kernel registers its backward pass.
    Tracked,
}

/// The values of a tensor, row-major.
pub(crate) fn values<I: Backend, const D: usize>(tensor: Tensor<I, D>) -> Vec<f32> {
    tensor
        .into_data()
        .convert::<f32>()
        .into_vec::<f32>()
        .unwrap_or_else(|_| unreachable!("converted to f32"))
}

/// A tensor holding `values`, row-major, of the dimensions `dims`.
pub(crate) fn tensor<I: Backend, const D: usize>(
    values: Vec<f32>,
    dims: [usize; D],
    device: &I::Device,
) -> Tensor<I, D> {
    Tensor::from_data(TensorData::new(values, dims), device)
}

/// The float primitive of a bare backend's tensor.
pub(crate) fn primitive<I: Backend, const D: usize>(tensor: Tensor<I, D>) -> FloatTensor<I> {
    tensor.into_primitive().tensor()
}

/// A bare backend's tensor around a float primitive.
pub(crate) fn wrap<I: Backend, const D: usize>(primitive: FloatTensor<I>) -> Tensor<I, D> {
    Tensor::from_primitive(TensorPrimitive::Float(primitive))
}

/// The autodiff tensor (the inner tensor and its graph node) inside a tracked tensor.
pub(crate) fn tracked<I: Backend, const D: usize>(
    tensor: Tensor<Autodiff<I>, D>,
) -> FloatTensor<Autodiff<I>> {
    tensor.into_primitive().tensor()
}

/// The inner backend's tensor of an autodiff tensor (sharing its values).
pub(crate) fn inner<I: Backend, const D: usize>(tensor: &FloatTensor<Autodiff<I>>) -> Tensor<I, D> {
    wrap(tensor.primitive.clone())
}

/// A tracked tensor around an autodiff tensor.
pub(crate) fn wrap_tracked<I: Backend, const D: usize>(
    tensor: FloatTensor<Autodiff<I>>,
) -> Tensor<Autodiff<I>, D> {
    Tensor::from_primitive(TensorPrimitive::Float(tensor))
}
