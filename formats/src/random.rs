//! Deterministic synthetic data, for benchmarks and tests that need no real dataset.
//!
//! The generator is rand's `StdRng` seeded with `seed_from_u64`, so a seed gives the same
//! table on every platform for a given rand version.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::Table;

/// `samples` elements of `element_shape`, every value uniform in `[0, 1)`.
pub fn uniform(element_shape: &[usize], samples: usize, seed: u64) -> Table {
    let mut rng = StdRng::seed_from_u64(seed);
    let len = samples * element_shape.iter().product::<usize>();
    Table {
        values: (0..len).map(|_| rng.random::<f32>()).collect(),
        element_shape: element_shape.to_vec(),
        count: samples,
        lines: None,
    }
}

/// `samples` scalar labels (shape `[]`), integers uniform in `0..classes`.
///
/// With `classes == 0` no label exists, so the table is empty (`count` 0).
pub fn classes(classes: usize, samples: usize, seed: u64) -> Table {
    let mut rng = StdRng::seed_from_u64(seed);
    let samples = if classes == 0 { 0 } else { samples };
    Table {
        values: (0..samples)
            .map(|_| rng.random_range(0..classes) as f32)
            .collect(),
        element_shape: Vec::new(),
        count: samples,
        lines: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_is_deterministic_and_in_range() {
        let a = uniform(&[2, 3], 50, 7);
        assert_eq!(
            (a.count, a.element_shape.as_slice(), a.values.len()),
            (50, &[2, 3][..], 300)
        );
        assert!(a.values.iter().all(|v| (0.0..1.0).contains(v)));
        assert_eq!(a, uniform(&[2, 3], 50, 7));
        assert_ne!(a, uniform(&[2, 3], 50, 8));
        let mean = a.values.iter().sum::<f32>() / 300.0;
        assert!((0.4..0.6).contains(&mean), "{mean}");
        let scalars = uniform(&[], 4, 1);
        assert_eq!((scalars.values.len(), scalars.element_len()), (4, 1));
    }

    #[test]
    fn classes_are_deterministic_valid_and_all_used() {
        let labels = classes(4, 400, 3);
        assert_eq!((labels.count, labels.element_shape.len()), (400, 0));
        labels.check_classes("random", 4).expect("valid labels");
        assert!(labels.class_counts(4).iter().all(|&n| n > 50));
        assert_eq!(labels, classes(4, 400, 3));
        assert_ne!(labels, classes(4, 400, 4));
        assert_eq!(classes(0, 10, 1).count, 0);
    }
}
