//! MaxPool: the largest value of each window, channel by channel, and its backward pass (the
//! gradient goes to the first largest value of each window).

use std::sync::Arc;

use burn::backend::Autodiff;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops};
use burn::prelude::*;
use rayon::prelude::*;

use super::host::{self, Host, Mode, cast, on_cpu};

/// Windows of `size x size` moved by `stride` over planes of `height x width`, without
/// padding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Window {
    pub(super) size: usize,
    pub(super) stride: usize,
    pub(super) height: usize,
    pub(super) width: usize,
    pub(super) out_height: usize,
    pub(super) out_width: usize,
}

impl Window {
    /// Windows of `size x size` moved by `stride` over planes of `[height, width]`.
    pub fn new([height, width]: [usize; 2], size: usize, stride: usize) -> Self {
        Window {
            size,
            stride,
            height,
            width,
            out_height: (height - size) / stride + 1,
            out_width: (width - size) / stride + 1,
        }
    }

    pub(super) fn plane(&self) -> usize {
        self.height * self.width
    }

    pub(super) fn out_plane(&self) -> usize {
        self.out_height * self.out_width
    }
}

/// The maximum of each window of `x: [batch, channels, height, width]`: the kernel on the CPU
/// backends, burn's operation elsewhere.
pub(crate) fn max_pool<B: Backend>(x: Tensor<B, 4>, window: Window) -> Tensor<B, 4> {
    on_cpu!(B, |I, mode| match mode {
        Mode::Plain => cast(plain::<I>(cast(x), window)),
        Mode::Tracked => cast(tracked::<I>(cast(x), window)),
    });
    reference(x, window)
}

/// The same with burn's operation.
pub(crate) fn reference<B: Backend>(x: Tensor<B, 4>, window: Window) -> Tensor<B, 4> {
    burn::tensor::module::max_pool2d(
        x,
        [window.size; 2],
        [window.stride; 2],
        [0, 0],
        [1, 1],
        false,
    )
}

/// The maxima of every plane of `x`, and where in its plane each was found.
fn forward(x: &[f32], window: &Window) -> (Vec<f32>, Vec<u32>) {
    let planes = x.len() / window.plane();
    let mut y = vec![0.0; planes * window.out_plane()];
    let mut at = vec![0u32; planes * window.out_plane()];
    y.par_chunks_mut(window.out_plane())
        .zip(at.par_chunks_mut(window.out_plane()))
        .zip(x.par_chunks(window.plane()))
        .for_each(|((y, at), plane)| pool_plane(window, plane, y, at));
    (y, at)
}

/// Pools one plane: `y` gets the maxima, `at` where in the plane each was (the first of
/// equal values, in row-major order).
pub(crate) fn pool_plane(window: &Window, plane: &[f32], y: &mut [f32], at: &mut [u32]) {
    let Window {
        size,
        stride,
        width,
        out_width,
        ..
    } = *window;
    if size == 2 && stride == 2 {
        // The common case, unrolled.
        for (oy, (y, at)) in y
            .chunks_exact_mut(out_width)
            .zip(at.chunks_exact_mut(out_width))
            .enumerate()
        {
            let top = 2 * oy * width;
            let (upper, lower) = (
                &plane[top..top + width],
                &plane[top + width..top + 2 * width],
            );
            for (ox, (y, at)) in y.iter_mut().zip(at.iter_mut()).enumerate() {
                let x = 2 * ox;
                // Branch-free: which value wins is data, so a branch would be mispredicted
                // half the time.
                let (a, b, c, d) = (upper[x], upper[x + 1], lower[x], lower[x + 1]);
                let (top_best, top_at) = if b > a { (b, x + 1) } else { (a, x) };
                let (low_best, low_at) = if d > c { (d, x + 1) } else { (c, x) };
                let (best, best_at) = if low_best > top_best {
                    (low_best, top + width + low_at)
                } else {
                    (top_best, top + top_at)
                };
                *y = best;
                *at = best_at as u32;
            }
        }
        return;
    }
    for (o, (y, at)) in y.iter_mut().zip(at.iter_mut()).enumerate() {
        let (oy, ox) = (o / out_width, o % out_width);
        let start = oy * stride * width + ox * stride;
        let (mut best, mut best_at) = (plane[start], start);
        for ky in 0..size {
            let row = start + ky * width;
            for (kx, &v) in plane[row..row + size].iter().enumerate() {
                if v > best {
                    best = v;
                    best_at = row + kx;
                }
            }
        }
        *y = best;
        *at = best_at as u32;
    }
}

/// Sends each output's gradient to where its maximum was.
pub(crate) fn backward(window: &Window, at: &[u32], grad: &[f32]) -> Vec<f32> {
    let planes = grad.len() / window.out_plane();
    let mut x = vec![0.0; planes * window.plane()];
    x.par_chunks_mut(window.plane())
        .zip(grad.par_chunks(window.out_plane()))
        .zip(at.par_chunks(window.out_plane()))
        .for_each(|((x, grad), at)| {
            for (g, &i) in grad.iter().zip(at) {
                x[i as usize] += g;
            }
        });
    x
}

fn plain<I: Host>(x: Tensor<I, 4>, window: Window) -> Tensor<I, 4> {
    let [batch, channels, ..] = x.dims();
    let device = x.device();
    let (y, _) = forward(&I::slice(&host::primitive(x)), &window);
    let dims = [batch, channels, window.out_height, window.out_width];
    host::tensor(y, dims, &device)
}

/// Where each maximum was, for the backward pass.
#[derive(Debug)]
struct Saved {
    at: Vec<u32>,
    batch: usize,
    channels: usize,
    window: Window,
}

#[derive(Debug)]
struct MaxPoolBackward;

impl<I: Host> Backward<I, 1> for MaxPoolBackward {
    type State = Arc<Saved>;

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        host::backward_one::<I, _>(
            ops,
            grads,
            |s| vec![s.batch, s.channels, s.window.height, s.window.width],
            |s, grad| backward(&s.window, &s.at, grad),
        );
    }
}

fn tracked<I: Host>(x: Tensor<Autodiff<I>, 4>, window: Window) -> Tensor<Autodiff<I>, 4> {
    let [batch, channels, ..] = x.dims();
    let device = x.device();
    let x = host::tracked(x);
    let (y, at) = forward(&I::slice(&x.primitive), &window);
    let dims = [batch, channels, window.out_height, window.out_width];
    let out = host::primitive(host::tensor::<I, 4>(y, dims, &device));
    host::record(
        MaxPoolBackward,
        [&x],
        Arc::new(Saved {
            at,
            batch,
            channels,
            window,
        }),
        out,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::testing::{assert_close, on_each_cpu_backend, random};

    /// `(batch, channels, height, width, size, stride)`, odd sizes and overlapping windows
    /// included.
    const CASES: [(usize, usize, usize, usize, usize, usize); 6] = [
        (1, 1, 4, 4, 2, 2),
        (2, 3, 5, 5, 2, 2),
        (3, 2, 7, 6, 3, 2),
        (2, 4, 9, 9, 3, 3),
        (4, 2, 6, 5, 2, 1),
        (1, 1, 3, 3, 3, 1),
    ];

    fn matches_burn<I: Host>() {
        let device = Default::default();
        for (batch, channels, height, width, size, stride) in CASES {
            let case = format!("{batch}x{channels}x{height}x{width} size {size} stride {stride}");
            let window = Window::new([height, width], size, stride);
            let x = random::<I, 4>([batch, channels, height, width], 1, &device);
            assert_close(
                &case,
                "output",
                max_pool(x.clone(), window),
                reference(x.clone(), window),
                0.0,
            );
            let out = [batch, channels, window.out_height, window.out_width];
            let grad = |f: &dyn Fn(Tensor<Autodiff<I>, 4>) -> Tensor<Autodiff<I>, 4>| {
                let x = Tensor::<Autodiff<I>, 4>::from_inner(x.clone()).require_grad();
                let r = Tensor::from_inner(random::<I, 4>(out, 99, &device));
                let grads = (f(x.clone()) * r).sum().backward();
                x.grad(&grads).expect("x has a gradient")
            };
            assert_close(
                &case,
                "dx",
                grad(&|x| max_pool(x, window)),
                grad(&|x| reference(x, window)),
                1e-6,
            );
        }
    }

    on_each_cpu_backend!(matches_burn);
}
