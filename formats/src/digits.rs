//! The UCI optical handwritten digits (sklearn's copy), embedded so that examples and tests
//! run offline: 1797 images of 8x8 pixels, 10 classes.
//!
//! Source: scikit-learn 1.9.1 `sklearn/datasets/data/digits.csv.gz` (BSD-3-Clause); the
//! description is `data/digits.rst` next to it. E. Alpaydin and C. Kaynak, 1998.

use std::path::Path;
use std::sync::OnceLock;

use crate::{Columns, ReadOptions, Table, csv, gzip};

/// The number of images.
pub const COUNT: usize = 1797;

/// The number of classes (the digits 0 to 9).
pub const CLASSES: usize = 10;

/// Pixels count set bits in 4x4 blocks, so they run from 0 to this.
const PIXEL_MAX: f32 = 16.0;

const PIXELS: usize = 64;

static CSV_GZ: &[u8] = include_bytes!("../data/digits.csv.gz");

/// Parsed once: decompressing and parsing costs a few milliseconds that callers asking for
/// images and then labels should not pay twice.
fn tables() -> &'static (Table, Table) {
    static TABLES: OnceLock<(Table, Table)> = OnceLock::new();
    TABLES.get_or_init(|| {
        let rows = csv::parse(
            gzip::from_bytes(CSV_GZ),
            Path::new("digits.csv.gz (embedded)"),
            &Columns::All,
            &ReadOptions::default(),
        )
        // The data is part of the crate and a test reads it: failing here is a build defect,
        // not bad input.
        .expect("the embedded digits.csv.gz is valid");
        let width = rows.element_len();
        let mut pixels = Vec::with_capacity(rows.count * PIXELS);
        let mut labels = Vec::with_capacity(rows.count);
        for row in rows.values.chunks_exact(width) {
            pixels.extend(row[..PIXELS].iter().map(|&p| p / PIXEL_MAX));
            labels.push(row[PIXELS]);
        }
        (
            Table {
                values: pixels,
                element_shape: vec![PIXELS],
                count: rows.count,
                lines: rows.lines.clone(),
            },
            Table {
                values: labels,
                element_shape: Vec::new(),
                count: rows.count,
                lines: rows.lines,
            },
        )
    })
}

/// The images: [`COUNT`] elements of shape `[64]` (8x8 row-major), pixels scaled from
/// 0..=16 to 0..=1.
pub fn images() -> Table {
    tables().0.clone()
}

/// The labels: [`COUNT`] scalar elements (shape `[]`), the digits 0 to 9.
pub fn labels() -> Table {
    tables().1.clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_shapes_and_ranges() {
        let (images, labels) = (images(), labels());
        assert_eq!(
            (images.count, images.element_shape.as_slice()),
            (COUNT, &[64][..])
        );
        assert_eq!(images.values.len(), COUNT * 64);
        assert!(images.values.iter().all(|&p| (0.0..=1.0).contains(&p)));
        assert_eq!((labels.count, labels.element_shape.len()), (COUNT, 0));
        labels
            .check_classes("digits", CLASSES)
            .expect("labels are digits");
    }
}
