//! Matrix products through the `gemm` crate.
//!
//! `gemm` picks its kernels when first called: AVX-512 where the processor has it (with the
//! `avx512` feature, on by default, which compiles them in), AVX2 and FMA otherwise, plain
//! Rust elsewhere. Building without `avx512` runs the second path on any machine, which is how
//! the tests check the kernels as a machine without AVX-512 runs them.
//!
//! Determinism: `gemm` splits the output into tiles among threads and walks the shared
//! dimension in the same order whatever the thread count, so each output value is summed in
//! one fixed order and a product gives the same bits on every run.
//!
//! A single row times a large matrix (a batch of one, as `predict` of one element runs) reads
//! the whole matrix for two operations per value, so memory, not arithmetic, sets its speed:
//! the shared dimension is cut in two halves, one per core, and the second half's sum is
//! added to the first. Each core then reads half the weights, and finds them in its own
//! cache when the next element comes (the MLP's 2.5 MB of weights do not fit one core's
//! 2 MB L2 cache, their halves do). The cut is always at the middle, whatever the number of
//! threads, so the bits do not depend on the machine's core count.

use gemm::Parallelism;

use super::workspace::buffer;

/// A read-only matrix: its values and the distance, in elements, between rows and between
/// columns (so a transposed view costs nothing).
#[derive(Clone, Copy)]
pub(crate) struct MatRef<'a> {
    data: &'a [f32],
    rows: usize,
    cols: usize,
    row_stride: usize,
    col_stride: usize,
}

impl<'a> MatRef<'a> {
    /// `data` as a row-major `rows x cols` matrix.
    pub fn rows(data: &'a [f32], rows: usize, cols: usize) -> Self {
        assert_eq!(data.len(), rows * cols, "a {rows}x{cols} matrix");
        MatRef {
            data,
            rows,
            cols,
            row_stride: cols,
            col_stride: 1,
        }
    }

    /// Columns `cols` of this matrix, without moving any value.
    fn columns(self, cols: std::ops::Range<usize>) -> Self {
        MatRef {
            data: &self.data[cols.start * self.col_stride..],
            cols: cols.len(),
            ..self
        }
    }

    /// Rows `rows` of this matrix, without moving any value.
    fn rows_in(self, rows: std::ops::Range<usize>) -> Self {
        MatRef {
            data: &self.data[rows.start * self.row_stride..],
            rows: rows.len(),
            ..self
        }
    }

    /// The transpose of this matrix, without moving any value.
    pub fn t(self) -> Self {
        MatRef {
            data: self.data,
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
        }
    }
}

/// Whether a product runs on one thread or on rayon's pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Threads {
    /// On the calling thread: for products inside work that is already spread over threads.
    One,
    /// On the calling thread's rayon pool (the one burn's CPU backends use too, so nothing
    /// is oversubscribed): a training run's own, rayon's global one elsewhere.
    Pool,
}

/// A row times a matrix of at least this many values is cut in two halves of the shared
/// dimension, one per thread (256 Ki values, 1 MiB: below it, waking a second thread costs
/// more than reading the matrix).
const SPLIT_ROW_PRODUCT: usize = 1 << 18;

/// A product with fewer columns than this (a classifier's ten outputs) is cut in two halves
/// of its rows, one per thread, where it has at least `SPLIT_NARROW` multiply-adds: `gemm`
/// spreads a product over threads by blocks of columns and left such a product on one core
/// while the other waited (a CNN's last Dense, 128 x 1600 times 1600 x 10, 3% of a step).
const NARROW: usize = 32;
const SPLIT_NARROW: usize = 1 << 16;

/// `out = a · b`, or `out += a · b` with `accumulate`; `out` is row-major, `a.rows x b.cols`.
pub(crate) fn matmul(out: &mut [f32], a: MatRef, b: MatRef, accumulate: bool, threads: Threads) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert_eq!(b.rows, k, "the shared dimension of a product");
    assert_eq!(out.len(), m * n, "the product's size");
    if m == 0 || n == 0 {
        return;
    }
    if m == 1 && threads == Threads::Pool && k * n >= SPLIT_ROW_PRODUCT {
        let half = k / 2;
        let mut second = buffer(n);
        rayon::join(
            || {
                let (a, b) = (a.columns(0..half), b.rows_in(0..half));
                matmul(out, a, b, accumulate, Threads::One);
            },
            || {
                let (a, b) = (a.columns(half..k), b.rows_in(half..k));
                matmul(&mut second, a, b, false, Threads::One);
            },
        );
        out.iter_mut().zip(second.iter()).for_each(|(o, s)| *o += s);
        return;
    }
    if threads == Threads::Pool && n < NARROW && m >= 2 * NARROW && m * n * k >= SPLIT_NARROW {
        // Two halves of the rows, each on one thread: the cut depends on `m` alone, and each
        // value's sum is the same either way.
        let half = m / 2;
        let (top, bottom) = out.split_at_mut(half * n);
        rayon::join(
            || matmul(top, a.rows_in(0..half), b, accumulate, Threads::One),
            || matmul(bottom, a.rows_in(half..m), b, accumulate, Threads::One),
        );
        return;
    }
    if k == 0 {
        if !accumulate {
            out.fill(0.0);
        }
        return;
    }
    let parallelism = match threads {
        Threads::One => Parallelism::None,
        Threads::Pool => Parallelism::Rayon(0),
    };
    // SAFETY: the asserts above make every index that the strides reach lie inside `out`,
    // `a.data` and `b.data` (row-major sizes, or their transposes), and `out` is borrowed
    // mutably, so it aliases neither input.
    // A single row (a batch of one) is described with a row stride of 1: `gemm` then keeps
    // the orientation, and does not copy all of `b` into its packed layout for one row.
    let out_row_stride = if m == 1 { 1 } else { n as isize };
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            out.as_mut_ptr(),
            1,
            out_row_stride,
            accumulate,
            a.data.as_ptr(),
            a.col_stride as isize,
            a.row_stride as isize,
            b.data.as_ptr(),
            b.col_stride as isize,
            b.row_stride as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: MatRef, b: MatRef) -> Vec<f32> {
        let mut out = vec![0.0; a.rows * b.cols];
        for i in 0..a.rows {
            for j in 0..b.cols {
                out[i * b.cols + j] = (0..a.cols)
                    .map(|p| {
                        a.data[i * a.row_stride + p * a.col_stride]
                            * b.data[p * b.row_stride + j * b.col_stride]
                    })
                    .sum();
            }
        }
        out
    }

    fn values(n: usize, seed: u32) -> Vec<f32> {
        (0..n)
            .map(|i| {
                ((i as u32).wrapping_mul(2_654_435_761).wrapping_add(seed) % 1000) as f32 / 500.0
                    - 1.0
            })
            .collect()
    }

    /// `a · b` for row-major `a: m x k` and `b: k x n`.
    fn product(
        a: &[f32],
        b: &[f32],
        (m, k, n): (usize, usize, usize),
        threads: Threads,
    ) -> Vec<f32> {
        let mut out = vec![0.0; m * n];
        let (a, b) = (MatRef::rows(a, m, k), MatRef::rows(b, k, n));
        matmul(&mut out, a, b, false, threads);
        out
    }

    #[test]
    fn multiplies_plain_and_transposed_views() {
        // (1, 785, 401): one row against a matrix large enough to be cut in two halves;
        // (129, 600, 10): few columns, the rows cut in two halves (of 64 and 65).
        for (m, k, n) in [
            (1, 1, 1),
            (3, 5, 7),
            (17, 33, 9),
            (64, 128, 70),
            (1, 785, 401),
            (129, 600, 10),
        ] {
            let a = values(m * k, 1);
            let b = values(k * n, 2);
            let at = values(k * m, 3);
            for threads in [Threads::One, Threads::Pool] {
                let out = product(&a, &b, (m, k, n), threads);
                let expected = naive(MatRef::rows(&a, m, k), MatRef::rows(&b, k, n));
                let diff = max_diff(&out, &expected);
                assert!(diff < 1e-4, "{m}x{k}x{n}: {diff}");

                let mut out = vec![1.0; m * n];
                let view = MatRef::rows(&at, k, m).t();
                matmul(&mut out, view, MatRef::rows(&b, k, n), true, threads);
                let expected: Vec<f32> = naive(view, MatRef::rows(&b, k, n))
                    .iter()
                    .map(|v| v + 1.0)
                    .collect();
                let diff = max_diff(&out, &expected);
                assert!(diff < 1e-4, "transposed {m}x{k}x{n}: {diff}");
            }
        }
    }

    #[test]
    fn an_empty_shared_dimension_gives_zeros() {
        let mut out = vec![5.0; 6];
        matmul(
            &mut out,
            MatRef::rows(&[], 2, 0),
            MatRef::rows(&[], 0, 3),
            false,
            Threads::One,
        );
        assert_eq!(out, [0.0; 6]);
    }

    #[test]
    fn the_same_product_gives_the_same_bits() {
        // A product spread over the pool, a row cut in two halves, and rows cut in two.
        for (m, k, n) in [(300, 500, 200), (1, 785, 401), (129, 600, 10)] {
            let a = values(m * k, 4);
            let b = values(k * n, 5);
            let run = || product(&a, &b, (m, k, n), Threads::Pool);
            let first = run();
            for _ in 0..5 {
                assert!(
                    run()
                        .iter()
                        .zip(&first)
                        .all(|(x, y)| x.to_bits() == y.to_bits()),
                    "{m}x{k}x{n}"
                );
            }
        }
    }

    pub(crate) fn max_diff(a: &[f32], b: &[f32]) -> f32 {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max)
    }
}
