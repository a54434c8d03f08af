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
fn a_label_outside_the_classes_gives_the_element_and_the_value() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "x.csv", b"1,2\n3,4\n5,6\n");
    write(dir.path(), "y.csv", b"0\n2\n3\n");
    let err = preview_error(dir.path(), "x.csv", "y.csv");
    assert!(
        err.ends_with("y.csv` element 2: label 3 is outside 0..3 (`classes: 3`)"),
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
    model.data_mut("x").unwrap().set_file("bad.csv");
    let err = model.run().unwrap_err();
    assert!(err.to_string().contains("bad.csv` line 2"), "{err}");
    assert_eq!(
        model.component("fc").unwrap().weights(),
        weights,
        "a failed run changes nothing"
    );
}
