//! Bad data files: each gives a `percept::Error` naming the file, the position and what was
//! expected, through the public API, never a panic.

mod common;

use std::path::Path;

use common::training;
use percept::prelude::*;

/// A model reading features `x` (declared `[2]`) and labels `y` (3 classes) from two files.
fn model(dir: &Path, x: &str, y: &str) -> Result<Model<TrainingBackend>, Error> {
    let builder = ModelBuilder::new("Files")
        .base_dir(dir)
        .add("x", DataSettings::file(x).with_shape([2]), &[])
        .add(
            "y",
            DataSettings::file(y)
                .with_columns(Columns::Single(0))
                .with_shape([])
                .with_classes(3),
            &[],
        )
        .add("fc", DenseSettings::new(3, Activation::None), &["x"])
        .add(
            "train",
            ClassificationSettings {
                training: training(1),
            },
            &["fc", "y"],
        );
    let mut model = builder.build::<TrainingBackend>(&Default::default())?;
    model.set_progress(Progress::Hidden);
    Ok(model)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes).unwrap();
}

/// The error `preview()` gives, as text.
fn preview_error(dir: &Path, x: &str, y: &str) -> String {
    model(dir, x, y).unwrap().preview().unwrap_err().to_string()
}

fn idx_u8(dims: &[u32], payload: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0, 0, 0x08, dims.len() as u8];
    for d in dims {
        bytes.extend(d.to_be_bytes());
    }
    bytes.extend(payload);
    bytes
}

#[test]
fn a_missing_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "y.csv", b"0\n1\n");
    let err = preview_error(dir.path(), "missing.idx", "y.csv");
    assert!(
        err.starts_with("cannot read `") && err.contains("missing.idx"),
        "{err}"
    );
    // Without a declared shape the header is needed to build the model at all.
    let err = ModelBuilder::new("M")
        .base_dir(dir.path())
        .add("x", DataSettings::file("missing.idx"), &[])
        .add("y", DataSettings::file("y.csv").with_classes(3), &[])
        .add("fc", DenseSettings::new(3, Activation::None), &["x"])
        .add("train", ClassificationSettings::default(), &["fc", "y"])
        .check()
        .unwrap_err();
    assert!(err.to_string().contains("missing.idx"), "{err}");
}

#[test]
fn a_truncated_idx_file_gives_the_expected_and_found_sizes() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "x.idx", &idx_u8(&[3, 2], &[1, 2, 3, 4, 5]));
    write(dir.path(), "y.csv", b"0\n1\n2\n");
    let err = preview_error(dir.path(), "x.idx", "y.csv");
    assert!(err.contains("x.idx` is truncated"), "{err}");
    assert!(
        err.contains("declares 3 elements")
            && err.contains("(6 bytes after the 12-byte header) but 5 bytes follow"),
        "{err}"
    );
}

#[test]
fn an_idx_file_with_a_wrong_magic_number_says_what_an_idx_file_starts_with() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = idx_u8(&[1, 2], &[1, 2]);
    bytes[0] = 0x12;
    write(dir.path(), "x.idx", &bytes);
    write(dir.path(), "y.csv", b"0\n");
    let err = preview_error(dir.path(), "x.idx", "y.csv");
    assert!(
        err.contains("x.idx`: wrong magic number") && err.contains("at byte 0"),
        "{err}"
    );
}

#[test]
fn a_ragged_csv_gives_the_line() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "x.csv", b"a,b\n1,2\n3\n5,6\n");
    write(dir.path(), "y.csv", b"0\n1\n2\n");
    let err = preview_error(dir.path(), "x.csv", "y.csv");
    assert!(
        err.ends_with("x.csv` line 3: expected 2 fields like the rows above, found 1"),
        "{err}"
    );
}

#[test]
fn a_non_numeric_csv_field_gives_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "x.csv", b"1,2\n3,four\n");
    write(dir.path(), "y.csv", b"0\n1\n");
    let err = preview_error(dir.path(), "x.csv", "y.csv");
    assert!(
        err.ends_with("x.csv` line 2, column 2: `four` is not a number"),
        "{err}"
    );
}

#[test]
fn a_label_outside_the_classes_gives_the_file_line_and_the_value() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "x.csv", b"1,2\n3,4\n5,6\n");
    write(dir.path(), "y.csv", b"0\n2\n3\n");
    let err = preview_error(dir.path(), "x.csv", "y.csv");
    assert!(
        err.ends_with("y.csv` line 3 (element 2): label 3 is outside 0..3 (`classes: 3`)"),
        "{err}"
    );
}

#[test]
fn a_file_whose_shape_contradicts_the_declaration_names_both_shapes() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "x.idx", &idx_u8(&[2, 3], &[1, 2, 3, 4, 5, 6]));
    write(dir.path(), "y.csv", b"0\n1\n");
    let err = preview_error(dir.path(), "x.idx", "y.csv");
    assert!(
        err.starts_with("`x`: `")
            && err.contains("x.idx` holds elements of shape `[3]`, but `shape: [2]` is declared"),
        "{err}"
    );
    // A declared shape is trusted at build time (the file may not exist yet): the check
    // happens when the data loads, as above.
    let built = ModelBuilder::new("M")
        .base_dir(dir.path())
        .add("x", DataSettings::file("x.idx").with_shape([2]), &[])
        .add("x2", DataSettings::file("x.idx").with_shape([3]), &[])
        .add("y", DataSettings::file("y.csv").with_classes(3), &[])
        .add("merged", MergeSettings::default(), &["x", "x2"])
        .add("fc", DenseSettings::new(3, Activation::None), &["merged"])
        .add("train", ClassificationSettings::default(), &["fc", "y"])
        .build::<TrainingBackend>(&Default::default());
    let err = built.unwrap().preview().unwrap_err().to_string();
    assert!(
        err.contains("holds elements of shape `[3]`, but `shape: [2]` is declared"),
        "{err}"
    );
}

#[test]
fn a_model_that_loaded_good_data_keeps_it_when_a_bad_file_replaces_it() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "x.csv", b"1,2\n3,4\n5,6\n");
    write(dir.path(), "y.csv", b"0\n1\n2\n");
    write(dir.path(), "bad.csv", b"1,2\n3\n");
    let mut model = model(dir.path(), "x.csv", "y.csv").unwrap();
    model.run().unwrap();
    let weights = model.component("fc").unwrap().weights();
    model.data_mut("x").unwrap().set_file("bad.csv").unwrap();
    let err = model.run().unwrap_err();
    assert!(err.to_string().contains("bad.csv` line 2"), "{err}");
    assert_eq!(
        model.component("fc").unwrap().weights(),
        weights,
        "a failed run changes nothing"
    );
}

#[test]
fn a_non_finite_value_is_an_error_at_its_line_and_column_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "x.csv", b"1,2\n3,inf\n5,6\n");
    write(dir.path(), "y.csv", b"0\n1\n2\n");
    let err = preview_error(dir.path(), "x.csv", "y.csv");
    assert!(err.contains("x.csv` line 2, column 2"), "{err}");
    assert!(err.contains("inf"), "{err}");

    // Opted in, the same file reads, and the infinity reaches the preview as it is.
    let mut model = ModelBuilder::new("Allowed")
        .base_dir(dir.path())
        .add(
            "x",
            DataSettings::file("x.csv")
                .with_shape([2])
                .allowing_non_finite(),
            &[],
        )
        .add(
            "y",
            DataSettings::file("y.csv").with_shape([]).with_classes(3),
            &[],
        )
        .add("fc", DenseSettings::new(3, Activation::None), &["x"])
        .add(
            "train",
            ClassificationSettings {
                training: training(1),
            },
            &["fc", "y"],
        )
        .build::<TrainingBackend>(&Default::default())
        .unwrap();
    model.set_progress(Progress::Hidden);
    let data = model.data_mut("x").unwrap().dataset().unwrap();
    assert_eq!(data.len(), 3);
}

#[test]
fn a_semicolon_separated_file_reads_with_its_delimiter() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "x.csv", b"a;b\r\n1;2\r\n\"3\";4\r\n5;6\r\n");
    write(dir.path(), "y.csv", b"0\n1\n2\n");
    let build = |delimiter| {
        ModelBuilder::new("Semicolons")
            .base_dir(dir.path())
            .add(
                "x",
                DataSettings::file("x.csv").with_delimiter(delimiter),
                &[],
            )
            .add(
                "y",
                DataSettings::file("y.csv").with_shape([]).with_classes(3),
                &[],
            )
            .add("fc", DenseSettings::new(3, Activation::None), &["x"])
            .add(
                "train",
                ClassificationSettings {
                    training: training(1),
                },
                &["fc", "y"],
            )
            .build::<TrainingBackend>(&Default::default())
    };
    // The header says two columns once `;` separates them.
    let model = build(Delimiter::Semicolon).unwrap();
    assert_eq!(
        model.component("x").unwrap().meta().output.shape,
        Shape::from([2])
    );
    // Read with commas, each line is one field, `1;2`, which is not a number.
    let err = build(Delimiter::Comma)
        .unwrap()
        .preview()
        .unwrap_err()
        .to_string();
    assert!(err.contains("x.csv` line 2, column 1"), "{err}");
}

#[test]
fn replacing_the_file_of_a_source_that_is_not_a_file_is_an_error() {
    let mut model = common::build(common::digits_mlp(training(1)));
    let images = model.data_mut("images").unwrap();
    let err = images
        .set_test_file("t10k-images-idx3-ubyte.gz")
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "`images` reads the embedded digits, not a file, so `set_test_file` cannot replace its file; declare it with `file: \"...\"` (and `test_file`) to read files"
    );
    assert!(images.set_file("x.csv").is_err());
    // Nothing changed: evaluating still says there is no test set, it never scores the
    // training data.
    let err = model.evaluate().unwrap_err().to_string();
    assert!(err.contains("has no `test_file`"), "{err}");
}

#[test]
fn an_error_debug_prints_as_its_message() {
    // `fn main() -> Result<(), percept::Error>` prints the error with `Debug`.
    let dir = tempfile::tempdir().unwrap();
    let err = model(dir.path(), "missing.idx", "y.csv")
        .unwrap()
        .preview()
        .unwrap_err();
    assert_eq!(format!("{err:?}"), err.to_string());
    assert!(format!("{err:?}").starts_with("cannot read"), "{err:?}");
}
