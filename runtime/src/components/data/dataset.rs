//! A Data component's elements, held in percept's layout and gathered into batches.

use burn::prelude::*;
use percept_catalogue::Shape;
use percept_formats::Table;

use crate::value::{Value, push_element};

/// Every element of a data source, in percept's layout (images channels first), ready to be
/// gathered into batches.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    values: Vec<f32>,
    element: Shape,
    len: usize,
}

impl Dataset {
    /// Takes a table read from a file (in the user's layout).
    pub fn from_table(table: Table) -> Self {
        let element = Shape::from(table.element_shape.clone());
        let values = match *element.dims() {
            [_, _, c] if c > 1 => {
                let mut values = Vec::with_capacity(table.values.len());
                for i in 0..table.count {
                    push_element(&mut values, table.element(i), &element);
                }
                values
            }
            _ => table.values,
        };
        Dataset {
            values,
            element,
            len: table.count,
        }
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The per-element shape, in the user's layout.
    pub fn element_shape(&self) -> &Shape {
        &self.element
    }

    /// The values of these elements, one after the other: into a buffer that a step before
    /// left (see [`Value::recycle`]), on both cores (a batch of MNIST images is 128 rows
    /// read from all over 60 MB).
    pub fn gather(&self, indices: &[usize]) -> Vec<f32> {
        use rayon::prelude::*;
        let n = self.element.element_count();
        let mut out = crate::kernels::workspace::buffer(indices.len() * n).into_vec();
        let copy = |(row, &i): (&mut [f32], &usize)| {
            row.copy_from_slice(&self.values[i * n..(i + 1) * n]);
        };
        if out.len() <= ROWS_PER_TASK {
            // One task's worth (or elements of no values): handed to rayon from outside its
            // pool (evaluating, say), it would wait for a worker to wake.
            out.chunks_mut(n.max(1)).zip(indices).for_each(copy);
        } else {
            out.par_chunks_mut(n)
                .zip(indices.par_iter())
                .with_min_len(ROWS_PER_TASK.div_ceil(n))
                .for_each(copy);
        }
        out
    }

    /// A batch of these elements on `device`.
    pub fn batch<B: Backend>(&self, indices: &[usize], device: &B::Device) -> Value<B> {
        Value::from_values(self.gather(indices), indices.len(), &self.element, device)
    }
}

/// Values copied per rayon task, at least.
const ROWS_PER_TASK: usize = 1 << 14;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gathers_elements_in_order() {
        let table = Table {
            values: vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0],
            element_shape: vec![2],
            count: 3,
            lines: None,
        };
        let data = Dataset::from_table(table);
        assert_eq!(data.len(), 3);
        assert_eq!(data.gather(&[2, 0]), [4.0, 5.0, 0.0, 1.0]);
    }

    #[test]
    fn gathers_a_large_batch_on_every_core_in_order() {
        let (count, n) = (1000, 100);
        let table = Table {
            values: (0..count * n).map(|v| v as f32).collect(),
            element_shape: vec![n],
            count,
            lines: None,
        };
        let data = Dataset::from_table(table);
        let indices: Vec<usize> = (0..count).rev().step_by(3).collect();
        assert!(indices.len() * n > ROWS_PER_TASK, "more than one task");
        let batch = data.gather(&indices);
        for (row, &i) in batch.chunks_exact(n).zip(&indices) {
            assert_eq!(row[0], (i * n) as f32);
            assert_eq!(row[n - 1], (i * n + n - 1) as f32);
        }
        assert_eq!(batch.len(), indices.len() * n);
    }

    #[test]
    fn stores_images_channels_first() {
        let table = Table {
            values: vec![1.0, 10.0, 2.0, 20.0],
            element_shape: vec![1, 2, 2],
            count: 1,
            lines: None,
        };
        let data = Dataset::from_table(table);
        assert_eq!(data.gather(&[0]), [1.0, 2.0, 10.0, 20.0]);
        assert_eq!(data.element_shape(), &Shape::from([1, 2, 2]));
    }
}
