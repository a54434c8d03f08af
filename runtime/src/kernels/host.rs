//! Moving tensors between burn and the kernels, and finding out which backend a component
//! runs on.
//!
//! The kernels compute on `f32` slices in burn's row-major layout. A component is generic over
//! its backend `B`; [`on_cpu!`] checks, by type, whether `B` is one of the CPU backends that
//! percept's features enable, bare (inference) or inside `Autodiff` (training), and runs the
//! kernel for that backend. Any other backend (CUDA) keeps burn's operations.

use std::any::{Any, TypeId};
use std::borrow::Cow;

use burn::backend::Autodiff;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
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

/// A CPU backend whose tensors the kernels read in place.
pub(crate) trait Host: Backend {
    /// The values of `tensor`, row-major: borrowed where the tensor is contiguous (parameters,
    /// activations and gradients are), copied otherwise.
    fn slice(tensor: &FloatTensor<Self>) -> Cow<'_, [f32]>;

    /// The buffer of `tensor`, row-major, where nothing else holds it and burn can hand it
    /// over without copying; otherwise the tensor back.
    fn try_take(tensor: FloatTensor<Self>) -> Result<Vec<f32>, FloatTensor<Self>>;

    /// The values of `tensor`, row-major, as a vector that the caller may change: its own
    /// buffer where [`try_take`](Host::try_take) can have it, a copy otherwise.
    fn take(tensor: FloatTensor<Self>) -> Vec<f32> {
        Self::try_take(tensor).unwrap_or_else(|tensor| Self::slice(&tensor).into_owned())
    }

    /// Keeps the buffer of `tensor`, whatever the order of its values, for a later kernel's
    /// [`buffer`](super::workspace::buffer), where nothing else holds it: a gradient that a
    /// backward pass has read. (Dropped, it went back to the allocator, and the next step's
    /// kernel that needed as large a buffer had one allocated and cleared.)
    fn recycle(tensor: FloatTensor<Self>) {
        if let Ok(values) = Self::try_take(tensor) {
            super::workspace::keep(values);
        }
    }

    /// `tensor` in the dimensions `dims` (as many values), row-major: burn's reshape, which
    /// on burn-ndarray copies every value; there, the same buffer where the values lie in
    /// row-major order.
    fn reshaped(tensor: FloatTensor<Self>, dims: &[usize]) -> FloatTensor<Self> {
        Self::float_reshape(tensor, Shape::from(dims.to_vec()))
    }

    /// Keeps the buffers of the tensors that a backward pass's `state` held (the output an
    /// activation's derivative read, say), where nothing else holds the state or them, once
    /// the pass has read them. An output that burn owns is otherwise freed at the end of the
    /// step, and the next step's kernel that needs as large a buffer has one allocated and
    /// cleared on one core while the other waits.
    fn recycle_saved<S>(
        state: std::sync::Arc<S>,
        tensors: impl FnOnce(S) -> Vec<Option<FloatTensor<Self>>>,
    ) {
        if let Ok(state) = std::sync::Arc::try_unwrap(state) {
            tensors(state).into_iter().flatten().for_each(Self::recycle);
        }
    }

    /// The values of a batch of images `tensor` (burn's `[batch, channels, height, width]`)
    /// channels-last, `[batch, height, width, channels]`, as the convolutions read them:
    /// borrowed where the tensor already lies so in memory (a kernel's output, or the user's
    /// images), transposed image by image otherwise.
    fn channels_last(tensor: &FloatTensor<Self>) -> Cow<'_, [f32]> {
        transposed_channels_last::<Self>(tensor)
    }

    /// A batch of images given channels-last (`[batch, height, width, channels]`), as a
    /// tensor of burn's dimensions `dims` (`[batch, channels, height, width]`): where burn
    /// can, the same values seen through permuted strides, so that the next convolution reads
    /// them without a transpose; transposed image by image otherwise.
    fn from_channels_last(
        values: Vec<f32>,
        [batch, channels, height, width]: [usize; 4],
        device: &Self::Device,
    ) -> FloatTensor<Self> {
        let values = match channels {
            1 => values,
            _ => transpose_each(&values, height * width, channels),
        };
        primitive(tensor::<Self, 4>(
            values,
            [batch, channels, height, width],
            device,
        ))
    }
}

/// [`Host::channels_last`] by transposing each image of burn's layout.
fn transposed_channels_last<I: Host>(tensor: &FloatTensor<I>) -> Cow<'_, [f32]> {
    let [_, channels, height, width] = dims4::<I>(tensor);
    let values = I::slice(tensor);
    if channels == 1 {
        return values;
    }
    Cow::Owned(transpose_each(&values, channels, height * width))
}

/// Each `rows x cols` matrix of `values`, transposed.
fn transpose_each(values: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut out = vec![0.0; values.len()];
    for (matrix, out) in values
        .chunks_exact(rows * cols)
        .zip(out.chunks_exact_mut(rows * cols))
    {
        transpose(matrix, rows, cols, out);
    }
    out
}

/// The dimensions of a tensor of rank 4.
fn dims4<I: Backend>(tensor: &FloatTensor<I>) -> [usize; 4] {
    let shape = burn::tensor::TensorMetadata::shape(tensor);
    match shape.as_slice() {
        &[a, b, c, d] => [a, b, c, d],
        other => unreachable!("a batch of images has four dimensions, not {other:?}"),
    }
}

/// `dst[c * rows + r] = src[r * cols + c]`: a `rows x cols` matrix transposed, in tiles
/// that keep both sides in cache.
pub(crate) fn transpose<T: Copy>(src: &[T], rows: usize, cols: usize, dst: &mut [T]) {
    const TILE: usize = 16;
    debug_assert!(src.len() >= rows * cols && dst.len() >= rows * cols);
    for r0 in (0..rows).step_by(TILE) {
        for c0 in (0..cols).step_by(TILE) {
            for r in r0..(r0 + TILE).min(rows) {
                for c in c0..(c0 + TILE).min(cols) {
                    dst[c * rows + r] = src[r * cols + c];
                }
            }
        }
    }
}

#[cfg(feature = "ndarray")]
impl Host for burn::backend::NdArray {
    fn slice(tensor: &FloatTensor<Self>) -> Cow<'_, [f32]> {
        match tensor {
            burn::backend::ndarray::NdArrayTensor::F32(storage) => {
                let view = storage.view();
                if let Some(values) = view.to_slice() {
                    return Cow::Borrowed(values);
                }
                // A permuted view (the gradient of a Flatten, say): gathered by its strides,
                // which is much faster than ndarray's iterator over dynamic dimensions.
                match view.as_slice_memory_order() {
                    Some(memory) => {
                        let strides: Vec<isize> = view.strides().to_vec();
                        let start = strides
                            .iter()
                            .zip(view.shape())
                            .filter(|(s, _)| **s < 0)
                            .map(|(s, d)| -s * (*d as isize - 1))
                            .sum::<isize>();
                        Cow::Owned(gather(memory, start, view.shape(), &strides))
                    }
                    None => Cow::Owned(view.iter().copied().collect()),
                }
            }
            other => Cow::Owned(copied::<Self>(other)),
        }
    }

    fn channels_last(tensor: &FloatTensor<Self>) -> Cow<'_, [f32]> {
        if let burn::backend::ndarray::NdArrayTensor::F32(storage) = tensor {
            let view = storage.view();
            if view.ndim() == 4
                && let Some(values) = view.permuted_axes(vec![0, 2, 3, 1]).to_slice()
            {
                return Cow::Borrowed(values);
            }
        }
        transposed_channels_last::<Self>(tensor)
    }

    fn from_channels_last(
        values: Vec<f32>,
        [batch, channels, height, width]: [usize; 4],
        device: &Self::Device,
    ) -> FloatTensor<Self> {
        // burn-ndarray permutes by strides, without moving a value.
        let images = tensor::<Self, 4>(values, [batch, height, width, channels], device);
        primitive(images.permute([0, 3, 1, 2]))
    }

    fn try_take(tensor: FloatTensor<Self>) -> Result<Vec<f32>, FloatTensor<Self>> {
        let unique = matches!(
            &tensor,
            burn::backend::ndarray::NdArrayTensor::F32(storage)
                if storage.is_unique() && storage.view().to_slice().is_some()
        );
        if unique {
            // burn-ndarray hands over a unique, contiguous buffer without copying it.
            Ok(into_values::<Self>(tensor))
        } else {
            Err(tensor)
        }
    }

    fn reshaped(tensor: FloatTensor<Self>, dims: &[usize]) -> FloatTensor<Self> {
        use burn::backend::ndarray::NdArrayTensor;
        match tensor {
            NdArrayTensor::F32(storage)
                if storage.is_owned()
                    && storage.view().is_standard_layout()
                    && storage.view().len() == dims.iter().product::<usize>() =>
            {
                // Owned: `into_owned` hands the array over, shared or not, without a copy;
                // in row-major order, new dimensions are new strides over the same values.
                let array = storage.into_owned();
                let array = array
                    .into_shape_with_order(dims.to_vec())
                    .expect("row-major values of the same count take any dimensions");
                NdArrayTensor::F32(array.into())
            }
            other => <Self as burn::tensor::ops::FloatTensorOps<Self>>::float_reshape(
                other,
                Shape::from(dims.to_vec()),
            ),
        }
    }

    fn recycle(tensor: FloatTensor<Self>) {
        if let burn::backend::ndarray::NdArrayTensor::F32(storage) = tensor
            && storage.is_owned()
            && storage.is_unique()
            && storage.view().as_slice_memory_order().is_some()
        {
            // Unique and owned: neither step copies. The values, in memory order, fill the
            // whole allocation (contiguous, so no value lies outside the view).
            let (values, _) = storage.into_owned().into_owned().into_raw_vec_and_offset();
            super::workspace::keep(values);
        }
    }
}

#[cfg(feature = "flex")]
impl Host for burn::backend::Flex {
    fn slice(tensor: &FloatTensor<Self>) -> Cow<'_, [f32]> {
        match tensor.as_slice::<f32>() {
            Some(values) => Cow::Borrowed(values),
            None => Cow::Owned(copied::<Self>(tensor)),
        }
    }

    fn try_take(tensor: FloatTensor<Self>) -> Result<Vec<f32>, FloatTensor<Self>> {
        Err(tensor)
    }
}

/// The values at `start + Σ index·stride` of `memory`, for every index of `shape` in
/// row-major order.
#[cfg(feature = "ndarray")]
fn gather(memory: &[f32], start: isize, shape: &[usize], strides: &[isize]) -> Vec<f32> {
    fn walk(out: &mut Vec<f32>, memory: &[f32], at: isize, shape: &[usize], strides: &[isize]) {
        match (shape, strides) {
            ([n], [s]) => out.extend((0..*n as isize).map(|i| memory[(at + i * s) as usize])),
            ([n, shape @ ..], [s, strides @ ..]) => {
                for i in 0..*n as isize {
                    walk(out, memory, at + i * s, shape, strides);
                }
            }
            _ => out.push(memory[at as usize]),
        }
    }
    let mut out = Vec::with_capacity(shape.iter().product());
    walk(&mut out, memory, start, shape, strides);
    out
}

/// The values of a tensor of another layout or type, copied and converted to `f32`.
#[allow(dead_code)]
fn copied<I: Backend>(tensor: &FloatTensor<I>) -> Vec<f32> {
    into_values::<I>(tensor.clone())
}

/// The values of a tensor, through burn's `into_data`: its own buffer where burn can hand it
/// over, a copy otherwise.
#[allow(dead_code)]
fn into_values<I: Backend>(tensor: FloatTensor<I>) -> Vec<f32> {
    wrap::<I, 1>(tensor)
        .into_data()
        .convert::<f32>()
        .into_vec::<f32>()
        .unwrap_or_else(|_| unreachable!("converted to f32"))
}

/// The values of `tensor` as `TensorData`, read in place on the CPU backends (burn-ndarray's
/// `into_data` copies a shared or sliced tensor value by value, through dynamic indices: a
/// capture of a weight matrix then costs milliseconds).
pub(crate) fn data<B: Backend, const D: usize>(tensor: Tensor<B, D>) -> TensorData {
    let dims = tensor.dims();
    on_cpu!(B, |I, mode| {
        let values = match mode {
            Mode::Plain => I::slice(&primitive::<I, D>(cast(tensor))).into_owned(),
            Mode::Tracked => I::slice(&tracked::<I, D>(cast(tensor)).primitive).into_owned(),
        };
        TensorData::new(values, dims)
    });
    tensor.into_data()
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

/// Keeps the buffer of a value that nothing else holds any more (a step's outputs, once its
/// loss is computed) for a later kernel's [`buffer`](super::workspace::buffer), on the CPU
/// backends; elsewhere it is dropped.
pub(crate) fn recycle<B: Backend>(value: TensorPrimitive<B>) {
    let TensorPrimitive::Float(tensor) = value else {
        return;
    };
    on_cpu!(B, |I, mode| match mode {
        Mode::Plain => I::recycle(cast::<_, FloatTensor<I>>(tensor)),
        Mode::Tracked => I::recycle(cast::<_, FloatTensor<Autodiff<I>>>(tensor).primitive),
    });
}

/// Keeps the buffers of a module's parameters that nothing else holds any more (the
/// parameters training kept as the last finite ones, once newer ones replace them): Adam
/// writes the next step's parameters into them.
pub(crate) fn recycle_params<B: Backend, M: burn::module::Module<B>>(module: M) {
    struct Recycler;
    impl<B: Backend> burn::module::ModuleMapper<B> for Recycler {
        fn map_float<const D: usize>(
            &mut self,
            param: burn::module::Param<Tensor<B, D>>,
        ) -> burn::module::Param<Tensor<B, D>> {
            let (id, tensor, mapper) = param.consume();
            let device = tensor.device();
            recycle(tensor.into_primitive());
            // The module is dropped next: an empty tensor stands in.
            let empty = Tensor::empty([0; D], &device);
            burn::module::Param::from_mapped_value(id, empty, mapper)
        }
    }
    drop(module.map(&mut Recycler));
}

/// The backward pass of an operation of one input: registers the input's gradient, which
/// `input_grad(state, output gradient)` gives as values of `input_dims(state)`, where the
/// input is tracked.
pub(crate) fn backward_one<I: Host, S>(
    ops: Ops<S, 1>,
    grads: &mut Gradients,
    input_dims: impl FnOnce(&S) -> Vec<usize>,
    input_grad: impl FnOnce(&S, &[f32]) -> Vec<f32>,
) {
    let [node_x] = ops.parents;
    let grad = grads.consume::<I>(&ops.node);
    let Some(node) = node_x else { return };
    let device = I::float_device(&grad);
    let values = input_grad(&ops.state, &I::slice(&grad));
    let data = TensorData::new(values, input_dims(&ops.state));
    grads.register::<I>(node.id, I::float_from_data(data, &device));
}

/// `out`, which a kernel computed from `inputs`, as the output of the custom operation `op`:
/// where any input is tracked, burn-autodiff records `op` and keeps `state` for its backward
/// pass; otherwise `state` is dropped.
pub(crate) fn record<I: Backend, Op: Backward<I, N>, const N: usize, const D: usize>(
    op: Op,
    inputs: [&FloatTensor<Autodiff<I>>; N],
    state: Op::State,
    out: FloatTensor<I>,
) -> Tensor<Autodiff<I>, D> {
    let prep = op
        .prepare::<NoCheckpointing>(inputs.map(|input| input.node.clone()))
        .compute_bound()
        .stateful();
    Tensor::from_primitive(TensorPrimitive::Float(match prep {
        OpsKind::Tracked(prep) => prep.finish(state, out),
        OpsKind::UnTracked(prep) => prep.finish(out),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::testing::random;

    fn reads_every_layout<I: Host>() {
        let device = Default::default();
        let x = random::<I, 4>([2, 3, 4, 5], 1, &device);
        for axes in [[0, 1, 2, 3], [0, 3, 1, 2], [0, 2, 3, 1], [3, 2, 1, 0]] {
            let permuted = x.clone().permute(axes);
            let expected = permuted.clone().into_data().to_vec::<f32>().unwrap();
            let primitive = primitive(permuted);
            assert_eq!(I::slice(&primitive).as_ref(), expected, "axes {axes:?}");
        }
        let tracked =
            Tensor::<burn::backend::Autodiff<I>, 4>::from_inner(x.clone().permute([0, 2, 3, 1]));
        assert_eq!(
            data(tracked.clone()).to_vec::<f32>().unwrap(),
            tracked.into_data().to_vec::<f32>().unwrap(),
            "a tracked tensor's data"
        );
        assert_eq!(
            data(x.clone().narrow(0, 1, 1)).shape,
            vec![1, 3, 4, 5].into()
        );
        let flipped = x.clone().flip([1, 3]);
        let expected = flipped.clone().into_data().to_vec::<f32>().unwrap();
        assert_eq!(I::slice(&primitive(flipped)).as_ref(), expected, "flipped");
    }

    fn moves_images_to_and_from_channels_last<I: Host>() {
        let device = Default::default();
        for dims in [[2, 3, 4, 5], [3, 1, 2, 2], [1, 16, 3, 1]] {
            let [batch, channels, height, width] = dims;
            let x = random::<I, 4>(dims, 2, &device);
            let expected = x.clone().permute([0, 2, 3, 1]);
            let expected = expected.into_data().to_vec::<f32>().unwrap();
            let x = primitive(x);
            let values = I::channels_last(&x);
            assert_eq!(values.as_ref(), expected, "{dims:?} channels-last");
            let back = wrap::<I, 4>(I::from_channels_last(values.to_vec(), dims, &device));
            assert_eq!(back.dims(), [batch, channels, height, width]);
            let back_values = back.clone().into_data().to_vec::<f32>().unwrap();
            assert_eq!(back_values, I::slice(&x).as_ref(), "{dims:?} back");
            let again = primitive(back);
            assert_eq!(
                I::channels_last(&again).as_ref(),
                expected,
                "{dims:?} again"
            );
        }
    }

    #[test]
    fn moves_images_to_and_from_channels_last_on_ndarray() {
        moves_images_to_and_from_channels_last::<burn::backend::NdArray>();
    }

    #[cfg(feature = "flex")]
    #[test]
    fn moves_images_to_and_from_channels_last_on_flex() {
        moves_images_to_and_from_channels_last::<burn::backend::Flex>();
    }

    #[test]
    fn ndarray_holds_channels_last_images_without_a_copy() {
        type I = burn::backend::NdArray;
        let values: Vec<f32> = (0..2 * 3 * 4 * 5).map(|v| v as f32).collect();
        let x = I::from_channels_last(values.clone(), [2, 5, 3, 4], &Default::default());
        let read = I::channels_last(&x);
        assert!(matches!(read, Cow::Borrowed(_)), "read in place");
        assert_eq!(read.as_ref(), values);
    }

    #[test]
    fn reads_every_layout_on_ndarray() {
        reads_every_layout::<burn::backend::NdArray>();
    }

    #[cfg(feature = "flex")]
    #[test]
    fn reads_every_layout_on_flex() {
        reads_every_layout::<burn::backend::Flex>();
    }
}
