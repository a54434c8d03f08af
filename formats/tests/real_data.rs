//! The real datasets, checked against the values in their READMEs: the small slices shipped
//! in the repository always, the full datasets in `PERCEPT_DATA_DIR` when it is set.
//!
//! Without `PERCEPT_DATA_DIR`, the tests that need a full dataset print
//! `skipped <test>: needs the full datasets; ...` to stderr and pass. With it set, a missing
//! file fails them. A relative `PERCEPT_DATA_DIR` is taken from the repository root, so CI
//! sets it to `../shared/data` (see `formats/data/slices/README.md`).

use std::io::Write;
use std::path::{Path, PathBuf};

use percept_formats::{Columns, Header, Table, digits};

/// The repository root.
const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// A file shipped in the repository (path from its root): missing is a failure.
fn shipped(relative: &str) -> PathBuf {
    let path = Path::new(ROOT).join(relative);
    assert!(
        path.is_file(),
        "shipped test data `{}` is missing from the repository",
        path.display()
    );
    path
}

/// A file of the full datasets under `PERCEPT_DATA_DIR`; `None`, after saying so on stderr
/// with the test's name, when the variable is unset. Set and missing is a failure.
fn full(test: &str, relative: &str) -> Option<PathBuf> {
    let Some(dir) = std::env::var_os("PERCEPT_DATA_DIR") else {
        // Straight to stderr: `eprintln!` is captured by the test harness, and a skip
        // should be seen.
        let _ = writeln!(
            std::io::stderr(),
            "skipped {test}: needs the full datasets; set PERCEPT_DATA_DIR (see \
             formats/data/slices/README.md)"
        );
        return None;
    };
    let path = Path::new(ROOT).join(dir).join(relative);
    assert!(
        path.is_file(),
        "`{}` is missing: PERCEPT_DATA_DIR is set, so the full datasets must be there (see \
         formats/data/slices/README.md)",
        path.display()
    );
    Some(path)
}

fn read(path: &Path, columns: &Columns) -> Table {
    percept_formats::read(path, columns).unwrap_or_else(|e| panic!("{e}"))
}

fn read_shape(path: &Path, columns: &Columns) -> Header {
    percept_formats::read_shape(path, columns).unwrap_or_else(|e| panic!("{e}"))
}

/// Sum of values that are whole numbers, exactly.
fn integer_sum(values: &[f32]) -> u64 {
    values
        .iter()
        .map(|&v| {
            assert!(v >= 0.0 && v.fract() == 0.0, "{v} is not a count");
            v as u64
        })
        .sum()
}

#[test]
fn embedded_digits_match_the_readme() {
    let images = digits::images();
    let labels = digits::labels();
    assert_eq!(images.count, digits::COUNT);
    assert_eq!(images.element_shape, [64]);
    assert_eq!(labels.count, digits::COUNT);
    assert!(labels.element_shape.is_empty());
    labels
        .check_classes("digits", digits::CLASSES)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        labels.class_counts(digits::CLASSES),
        [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    );
    assert_eq!(labels.values[0], 0.0);

    // Scaled pixels are k/16: sums in f64 are exact, so compare with the README exactly.
    let row0: f64 = images.element(0).iter().map(|&p| f64::from(p)).sum();
    assert_eq!(row0, 294.0 / 16.0);
    let total: f64 = images.values.iter().map(|&p| f64::from(p)).sum();
    assert_eq!(total, 561_718.0 / 16.0);
    // All 17 pixel levels occur.
    let mut levels = [false; 17];
    for &p in &images.values {
        levels[(p * 16.0) as usize] = true;
    }
    assert!(levels.iter().all(|&seen| seen));
}

/// The gzip CSV file next to the crate, read as a file, is what the crate embeds.
#[test]
fn shipped_digits_file_equals_the_embedded_copy() {
    let file = shipped("formats/data/digits.csv.gz");
    let rows = read(&file, &Columns::All);
    assert_eq!(
        (rows.count, rows.element_shape.as_slice()),
        (1797, &[65][..])
    );
    assert_eq!(
        read_shape(&file, &Columns::All),
        Header {
            count: 1797,
            element_shape: vec![65]
        }
    );
    let (images, labels) = (digits::images(), digits::labels());
    for i in 0..rows.count {
        let row = rows.element(i);
        let scaled: Vec<f32> = row[..64].iter().map(|&p| p / 16.0).collect();
        assert_eq!(scaled, images.element(i), "row {i}");
        assert_eq!(row[64], labels.values[i], "row {i}");
    }
    assert_eq!(
        integer_sum(&read(&file, &Columns::Range { start: 0, end: 64 }).values),
        561_718
    );
}

#[test]
fn iris_matches_the_readme() {
    let iris = shipped("examples/data/iris.csv");
    let features = read(&iris, &Columns::Range { start: 0, end: 4 });
    assert_eq!(
        (features.count, features.element_shape.as_slice()),
        (150, &[4][..])
    );
    assert_eq!(
        read_shape(&iris, &Columns::Range { start: 0, end: 4 }),
        Header {
            count: 150,
            element_shape: vec![4]
        }
    );
    let expected = [(4.3, 7.9), (2.0, 4.4), (1.0, 6.9), (0.1, 2.5)];
    for (column, (min, max)) in expected.into_iter().enumerate() {
        let values = (0..150).map(|i| features.element(i)[column]);
        let lo = values.clone().fold(f32::INFINITY, f32::min);
        let hi = values.fold(f32::NEG_INFINITY, f32::max);
        assert_eq!((lo, hi), (min, max), "column {column}");
    }
    assert_eq!(features.element(0), [5.1, 3.5, 1.4, 0.2]);

    let labels = read(&iris, &Columns::Single(4));
    assert_eq!((labels.count, labels.element_shape.len()), (150, 0));
    labels
        .check_classes("iris.csv", 3)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(labels.class_counts(3), [50, 50, 50]);
    // Sorted by class.
    assert!(labels.values.windows(2).all(|w| w[0] <= w[1]));
    assert!(labels.check_classes("iris.csv", 2).is_err());
}

struct Mnist {
    images: PathBuf,
    labels: PathBuf,
    count: usize,
    class_counts: [usize; 10],
    first_labels: [f32; 10],
    first_sums: [u64; 3],
    total: u64,
}

/// Reads one split's images and labels (once: this is the expensive part of the suite).
fn check_mnist(split: &Mnist) {
    let labels = read(&split.labels, &Columns::All);
    assert_eq!((labels.count, labels.element_shape.len()), (split.count, 0));
    labels
        .check_classes(&split.labels.display().to_string(), 10)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(labels.class_counts(10), split.class_counts);
    assert_eq!(labels.values[..10], split.first_labels);

    let images = read(&split.images, &Columns::All);
    assert_eq!(
        (images.count, images.element_shape.as_slice()),
        (split.count, &[28, 28][..])
    );
    assert_eq!(images.values.len(), split.count * 784);
    for (i, &sum) in split.first_sums.iter().enumerate() {
        assert_eq!(integer_sum(images.element(i)), sum, "image {i}");
    }
    assert!(images.values.iter().all(|&p| p <= 255.0));
    assert_eq!(integer_sum(&images.values), split.total);
    for path in [&split.images, &split.labels] {
        let header = read_shape(path, &Columns::All);
        assert_eq!(header.count, split.count, "{}", path.display());
    }
}

const T10K_FIRST_LABELS: [f32; 10] = [7., 2., 1., 0., 4., 1., 4., 9., 5., 9.];
const T10K_FIRST_SUMS: [u64; 3] = [18454, 28850, 9871];

/// The first 1,000 test images and labels, shipped: the values of their README.
#[test]
fn mnist_t10k_slice_matches_its_readme() {
    check_mnist(&Mnist {
        images: shipped("formats/data/slices/t10k-1000-images-idx3-ubyte.gz"),
        labels: shipped("formats/data/slices/t10k-1000-labels-idx1-ubyte.gz"),
        count: 1000,
        class_counts: [85, 126, 116, 107, 110, 87, 87, 99, 89, 94],
        first_labels: T10K_FIRST_LABELS,
        first_sums: T10K_FIRST_SUMS,
        total: 24_443_134,
    });
}

fn full_mnist(test: &str, prefix: &str) -> Option<(PathBuf, PathBuf)> {
    Some((
        full(test, &format!("mnist/{prefix}-images-idx3-ubyte.gz"))?,
        full(test, &format!("mnist/{prefix}-labels-idx1-ubyte.gz"))?,
    ))
}

#[test]
fn mnist_train_matches_the_readme() {
    let Some((images, labels)) = full_mnist("mnist_train_matches_the_readme", "train") else {
        return;
    };
    check_mnist(&Mnist {
        images,
        labels,
        count: 60_000,
        class_counts: [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
        first_labels: [5., 0., 4., 1., 9., 2., 1., 3., 1., 4.],
        first_sums: [27525, 31095, 19443],
        total: 1_567_298_545,
    });
}

#[test]
fn mnist_t10k_matches_the_readme() {
    let Some((images, labels)) = full_mnist("mnist_t10k_matches_the_readme", "t10k") else {
        return;
    };
    check_mnist(&Mnist {
        images,
        labels,
        count: 10_000,
        class_counts: [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
        first_labels: T10K_FIRST_LABELS,
        first_sums: T10K_FIRST_SUMS,
        total: 264_923_200,
    });
}

#[test]
fn mnist_headers_are_read_without_the_data() {
    let cases = [
        ("train-images-idx3-ubyte.gz", 60_000, vec![28, 28]),
        ("train-labels-idx1-ubyte.gz", 60_000, vec![]),
        ("t10k-images-idx3-ubyte.gz", 10_000, vec![28, 28]),
        ("t10k-labels-idx1-ubyte.gz", 10_000, vec![]),
    ];
    for (name, count, element_shape) in cases {
        let Some(path) = full(
            "mnist_headers_are_read_without_the_data",
            &format!("mnist/{name}"),
        ) else {
            return;
        };
        let header = read_shape(&path, &Columns::All);
        assert_eq!(
            header,
            Header {
                count,
                element_shape
            },
            "{name}"
        );
        let direct = percept_formats::idx::read_shape(&path);
        assert_eq!(direct.unwrap_or_else(|e| panic!("{e}")), header);
    }
}

/// What the repository ships is what the full datasets hold: the digits and iris files
/// byte for byte, the MNIST slice element for element.
#[test]
fn shipped_copies_equal_the_full_datasets() {
    const TEST: &str = "shipped_copies_equal_the_full_datasets";
    let copies = [
        ("formats/data/digits.csv.gz", "digits/digits.csv.gz"),
        ("examples/data/iris.csv", "iris/iris.csv"),
    ];
    for (copy, original) in copies {
        let Some(original) = full(TEST, original) else {
            return;
        };
        let bytes = |path: &Path| std::fs::read(path).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            bytes(&shipped(copy)) == bytes(&original),
            "`{copy}` differs from `{}`",
            original.display()
        );
    }
    let Some((images, labels)) = full_mnist(TEST, "t10k") else {
        return;
    };
    let slices = [
        (images, "formats/data/slices/t10k-1000-images-idx3-ubyte.gz"),
        (labels, "formats/data/slices/t10k-1000-labels-idx1-ubyte.gz"),
    ];
    for (original, slice) in slices {
        let original = read(&original, &Columns::All);
        let slice = read(&shipped(slice), &Columns::All);
        assert_eq!(slice.element_shape, original.element_shape);
        assert_eq!(slice.count, 1000);
        assert!(slice.values == original.values[..slice.values.len()]);
    }
}
