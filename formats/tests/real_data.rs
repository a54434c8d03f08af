//! The real datasets in `shared/data`, checked against the values in its README.

use std::path::{Path, PathBuf};

use percept_formats::{Columns, Header, Table, digits};

/// A file of the shared datasets; missing data is a failure, never a skipped test.
fn shared(relative: &str) -> PathBuf {
    let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/")).join(relative);
    assert!(
        path.is_file(),
        "test data `{}` is missing: these tests read the real datasets from shared/data next to \
         the project (see shared/data/README.md)",
        path.display()
    );
    path
}

fn read(relative: &str, columns: &Columns) -> Table {
    let path = shared(relative);
    percept_formats::read(&path, columns).unwrap_or_else(|e| panic!("{e}"))
}

fn read_shape(relative: &str, columns: &Columns) -> Header {
    let path = shared(relative);
    percept_formats::read_shape(&path, columns).unwrap_or_else(|e| panic!("{e}"))
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

#[test]
fn shared_digits_equal_the_embedded_copy() {
    let rows = read("digits/digits.csv.gz", &Columns::All);
    assert_eq!(
        (rows.count, rows.element_shape.as_slice()),
        (1797, &[65][..])
    );
    assert_eq!(
        read_shape("digits/digits.csv.gz", &Columns::All),
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
        integer_sum(&read("digits/digits.csv.gz", &Columns::Range(0..64)).values),
        561_718
    );
}

#[test]
fn iris_matches_the_readme() {
    let features = read("iris/iris.csv", &Columns::Range(0..4));
    assert_eq!(
        (features.count, features.element_shape.as_slice()),
        (150, &[4][..])
    );
    assert_eq!(
        read_shape("iris/iris.csv", &Columns::Range(0..4)),
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

    let labels = read("iris/iris.csv", &Columns::Single(4));
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
    prefix: &'static str,
    count: usize,
    class_counts: [usize; 10],
    first_labels: [f32; 10],
    first_sums: [u64; 3],
    total: u64,
}

/// Reads one split's images and labels (once: this is the expensive part of the suite).
fn check_mnist(split: &Mnist) {
    let images_file = format!("mnist/{}-images-idx3-ubyte.gz", split.prefix);
    let labels_file = format!("mnist/{}-labels-idx1-ubyte.gz", split.prefix);

    let labels = read(&labels_file, &Columns::All);
    assert_eq!((labels.count, labels.element_shape.len()), (split.count, 0));
    labels
        .check_classes(&labels_file, 10)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(labels.class_counts(10), split.class_counts);
    assert_eq!(labels.values[..10], split.first_labels);

    let images = read(&images_file, &Columns::All);
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
}

#[test]
fn mnist_train_matches_the_readme() {
    check_mnist(&Mnist {
        prefix: "train",
        count: 60_000,
        class_counts: [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
        first_labels: [5., 0., 4., 1., 9., 2., 1., 3., 1., 4.],
        first_sums: [27525, 31095, 19443],
        total: 1_567_298_545,
    });
}

#[test]
fn mnist_t10k_matches_the_readme() {
    check_mnist(&Mnist {
        prefix: "t10k",
        count: 10_000,
        class_counts: [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
        first_labels: [7., 2., 1., 0., 4., 1., 4., 9., 5., 9.],
        first_sums: [18454, 28850, 9871],
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
        let header = read_shape(&format!("mnist/{name}"), &Columns::All);
        assert_eq!(
            header,
            Header {
                count,
                element_shape
            },
            "{name}"
        );
        let direct = percept_formats::idx::read_shape(&shared(&format!("mnist/{name}")));
        assert_eq!(direct.unwrap_or_else(|e| panic!("{e}")), header);
    }
}
