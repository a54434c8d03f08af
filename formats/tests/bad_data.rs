//! Bad data is caught in the file where it is, and the error says where: one test per defect
//! that the readers once let through or reported at the wrong place.

use std::io::Write;
use std::path::{Path, PathBuf};

use percept_formats::{Columns, FormatError, NonFinite, ReadOptions, Table};

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write test file");
    path
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).expect("in-memory write");
    encoder.finish().expect("in-memory write")
}

fn idx(type_byte: u8, dims: &[u32], payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, type_byte, dims.len() as u8];
    for d in dims {
        out.extend(d.to_be_bytes());
    }
    out.extend(payload);
    out
}

/// A version 1.0 NPY file as numpy writes it (header padded to 64 bytes).
fn npy(descr: &str, shape: &str, payload: &[u8]) -> Vec<u8> {
    let mut dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    while (10 + dict.len() + 1) % 64 != 0 {
        dict.push(' ');
    }
    dict.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend((dict.len() as u16).to_le_bytes());
    out.extend(dict.as_bytes());
    out.extend(payload);
    out
}

fn message(result: Result<Table, FormatError>) -> String {
    result.expect_err("the read must fail").to_string()
}

fn assert_contains(message: &str, parts: &[&str]) {
    for part in parts {
        assert!(message.contains(part), "`{part}` missing from: {message}");
    }
}

fn allowing() -> ReadOptions {
    ReadOptions::default().allowing_non_finite()
}

#[test]
fn csv_nan_inf_and_out_of_range_cells_give_line_and_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        ("nan.csv", "NaN", NonFinite::NaN, "is NaN, not a number"),
        ("inf.csv", "-inf", NonFinite::Infinite, "is infinite"),
        (
            "big.csv",
            "1e39",
            NonFinite::OutOfRange,
            "is too large for f32",
        ),
    ];
    for (name, cell, problem, says) in cases {
        // Line 1 is a header, line 3 blank: the cell is on line 5 of the file, column 3.
        let text = format!("a,b,c\n1,2,3\n\n4,5,6\n7,8,{cell}\n");
        let path = write(&dir, name, text.as_bytes());
        let error = percept_formats::read(&path, &Columns::All).expect_err(name);
        assert!(
            matches!(
                &error,
                FormatError::NotFiniteField { line: 5, column: 3, text, problem: p, .. }
                    if text == cell && *p == problem
            ),
            "{error:?}"
        );
        assert_contains(
            &error.to_string(),
            &[
                &format!("{name}` line 5, column 3: `{cell}` {says}"),
                "ReadOptions::allow_non_finite",
            ],
        );
        // Unselected columns are checked too: the value is in the file either way.
        assert!(percept_formats::read(&path, &Columns::Single(0)).is_err());
        // Opting in reads it, `1e39` as the infinity that f32 makes of it.
        let table = percept_formats::read_with(&path, &Columns::All, &allowing()).expect(name);
        let last = table.values[table.values.len() - 1];
        assert!(!last.is_finite(), "{last}");
        if problem == NonFinite::OutOfRange {
            assert_eq!(last, f32::INFINITY);
        }
    }
}

#[test]
fn an_inf_pixel_in_an_f64_idx_file_names_the_element() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Two elements of 2x3 f64 values; element 1, row 1, column 2 is infinite.
    let mut values = [0.5f64; 12];
    values[6 + 3 + 2] = f64::INFINITY;
    let payload: Vec<u8> = values.iter().flat_map(|v| v.to_be_bytes()).collect();
    let bytes = idx(0x0E, &[2, 2, 3], &payload);
    for name in ["pixels.idx3", "pixels.idx3.gz"] {
        let file = if name.ends_with(".gz") {
            gzip(&bytes)
        } else {
            bytes.clone()
        };
        let path = write(&dir, name, &file);
        let error = percept_formats::read(&path, &Columns::All).expect_err(name);
        assert!(
            matches!(
                &error,
                FormatError::NotFiniteValue { element: 1, index, offset, problem: NonFinite::Infinite, .. }
                    if *index == [1, 2] && *offset == 16 + 11 * 8
            ),
            "{error:?}"
        );
        assert_contains(
            &error.to_string(),
            &[&format!(
                "{name}` element 1 value [1, 2], at byte 104 of the uncompressed file: inf is \
                 infinite"
            )],
        );
        // The header alone is fine: a shape is no value.
        assert!(percept_formats::read_shape(&path, &Columns::All).is_ok());
        let table = percept_formats::read_with(&path, &Columns::All, &allowing()).expect(name);
        assert_eq!(table.values[11], f32::INFINITY);
    }

    // Finite in the file, but beyond f32: 1e300 is out of range, not silently infinite.
    let payload: Vec<u8> = [1.0f64, -1e300]
        .iter()
        .flat_map(|v| v.to_be_bytes())
        .collect();
    let path = write(&dir, "huge.idx1", &idx(0x0E, &[2], &payload));
    let error = percept_formats::idx::read(&path).expect_err("out of range");
    assert!(
        matches!(
            error,
            FormatError::NotFiniteValue {
                element: 1,
                problem: NonFinite::OutOfRange,
                ..
            }
        ),
        "{error:?}"
    );
    assert_contains(
        &error.to_string(),
        &[
            "huge.idx1` element 1, at byte 16",
            "-1e300 is too large for f32",
        ],
    );
    // NaN in f32 data.
    let payload: Vec<u8> = [f32::NAN].iter().flat_map(|v| v.to_be_bytes()).collect();
    let path = write(&dir, "nan.idx", &idx(0x0D, &[1], &payload));
    assert_contains(
        &message(percept_formats::idx::read(&path)),
        &["nan.idx` element 0, at byte 8", "NaN is NaN, not a number"],
    );
}

#[test]
fn non_finite_npy_values_name_the_element() {
    let dir = tempfile::tempdir().expect("tempdir");
    let payload: Vec<u8> = [0.0f64, 1.0, 2.0, 1e300]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let path = write(&dir, "x.npy", &npy("<f8", "(2, 2)", &payload));
    let error = percept_formats::read(&path, &Columns::All).expect_err("out of range");
    assert!(
        matches!(
            &error,
            FormatError::NotFiniteValue { element: 1, index, offset: 152, problem: NonFinite::OutOfRange, .. }
                if *index == [1]
        ),
        "{error:?}"
    );
    assert_contains(
        &error.to_string(),
        &[
            "x.npy` element 1 value [1], at byte 152",
            "1e300 is too large",
        ],
    );
    let payload: Vec<u8> = [f32::NEG_INFINITY, 0.0]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let path = write(&dir, "y.npy", &npy("<f4", "(2,)", &payload));
    assert_contains(
        &message(percept_formats::npy::read(&path)),
        &["y.npy` element 0, at byte 128", "-inf is infinite"],
    );
    let table = percept_formats::npy::read_with(&path, &allowing()).expect("allowed");
    assert_eq!(table.values, [f32::NEG_INFINITY, 0.0]);
}

#[test]
fn a_typo_in_a_numeric_first_row_is_an_error_not_a_header() {
    let dir = tempfile::tempdir().expect("tempdir");
    // `O` typed for `0` in the first row of a headerless file of 65 columns.
    let mut first: Vec<String> = (0..65).map(|i| (i % 17).to_string()).collect();
    first[40] = "O".into();
    let second: Vec<String> = (0..65).map(|i| (i % 3).to_string()).collect();
    let text = format!("{}\n{}\n", first.join(","), second.join(","));
    let path = write(&dir, "digits.csv", text.as_bytes());
    for error in [
        percept_formats::read(&path, &Columns::All).expect_err("typo"),
        percept_formats::read(&path, &Columns::Single(64)).expect_err("typo"),
    ] {
        assert!(
            matches!(&error, FormatError::NotNumeric { line: 1, column: 41, text, .. } if text == "O"),
            "{error:?}"
        );
        assert_contains(
            &error.to_string(),
            &["digits.csv` line 1, column 41: `O` is not a number"],
        );
    }
    // A first row that is mostly text is still a header: column names, or sklearn's
    // `150,4,setosa,versicolor,virginica`.
    for header in [
        "x,y,label",
        "150,4,setosa,versicolor,virginica",
        "\"a\",2,\"c\"",
    ] {
        let fields = header.split(',').count();
        let row = vec!["1"; fields].join(",");
        let path = write(&dir, "h.csv", format!("{header}\n{row}\n").as_bytes());
        let table = percept_formats::read(&path, &Columns::All).expect(header);
        assert_eq!(table.count, 1, "{header}");
    }
}

#[test]
fn label_errors_of_a_csv_name_the_file_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A header, 55 good labels with a blank line among them, then a bad one: element 55
    // is on line 58 of the file.
    let mut text = String::from("label\n");
    for i in 0..55 {
        if i == 30 {
            text.push('\n');
        }
        text.push_str(&format!("{}\n", i % 3));
    }
    text.push_str("7\n");
    let path = write(&dir, "y.csv", text.as_bytes());
    let labels = percept_formats::read(&path, &Columns::Single(0)).expect("labels");
    assert_eq!(labels.count, 56);
    let lines = labels.lines.as_ref().expect("a CSV table knows its lines");
    assert_eq!(
        (
            lines.line(0),
            lines.line(29),
            lines.line(30),
            lines.line(55)
        ),
        (Some(2), Some(31), Some(33), Some(58))
    );
    let error = labels.check_classes("y.csv", 3).expect_err("out of range");
    assert!(
        matches!(
            error,
            FormatError::LabelOutOfRange {
                element: 55,
                line: Some(58),
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "`y.csv` line 58 (element 55): label 7 is outside 0..3 (`classes: 3`)"
    );
    // Fractions too, and through gzip.
    let path = write(&dir, "y.csv.gz", &gzip(b"0\n1\n\n2.5\n"));
    let labels = percept_formats::read(&path, &Columns::Single(0)).expect("labels");
    let error = labels.check_classes("y.csv.gz", 3).expect_err("fraction");
    assert_eq!(
        error.to_string(),
        "`y.csv.gz` line 4 (element 2): label 2.5 is not an integer class index (`classes: 3`)"
    );
    // Other sources have no lines and say the element.
    let error = Table {
        values: vec![0.0, 9.0],
        element_shape: vec![],
        count: 2,
        lines: None,
    }
    .check_classes("y.idx1", 3)
    .expect_err("out of range");
    assert_eq!(
        error.to_string(),
        "`y.idx1` element 1: label 9 is outside 0..3 (`classes: 3`)"
    );
}

#[test]
fn corrupt_gzip_gives_the_compressed_offset() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pixels: Vec<u8> = (0..4000u32).map(|i| (i * 7 % 251) as u8).collect();
    let packed = gzip(&idx(0x08, &[40, 10, 10], &pixels));
    let cut = packed.len() - 20;
    let path = write(&dir, "cut.idx3.gz", &packed[..cut]);
    let error = percept_formats::read(&path, &Columns::All).expect_err("cut");
    assert!(
        matches!(error, FormatError::Gzip { offset: Some(o), .. } if o == cut as u64),
        "{error:?}"
    );
    assert_contains(
        &error.to_string(),
        &[&format!(
            "cannot read `{}`: corrupt gzip data at compressed byte {cut}: ",
            path.display()
        )],
    );
    // The same in a CSV, through the csv parser.
    let packed = gzip("1,2\n".repeat(2000).as_bytes());
    let cut = packed.len() / 2;
    let path = write(&dir, "cut.csv.gz", &packed[..cut]);
    let error = percept_formats::read(&path, &Columns::All).expect_err("cut");
    assert!(
        matches!(error, FormatError::Gzip { offset: Some(o), .. } if o == cut as u64),
        "{error:?}"
    );
    // A damaged byte inside the stream: the offset is at or after it, within the file.
    let mut damaged = gzip(&idx(0x08, &[40, 10, 10], &pixels));
    let at = damaged.len() / 3;
    damaged[at] ^= 0x55;
    let path = write(&dir, "damaged.idx3.gz", &damaged);
    match percept_formats::read(&path, &Columns::All) {
        Err(FormatError::Gzip {
            offset: Some(offset),
            ..
        }) => assert!(
            (at as u64..=damaged.len() as u64).contains(&offset),
            "{offset} vs damage at {at}"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_zero_dimension_is_reported_in_plain_words() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(&dir, "file.idx", &idx(0x08, &[0, 28, 28], &[]));
    let expected = format!(
        "`{}` declares a dimension of 0 in its header (dimensions [0, 28, 28] at byte 4): the \
         file holds no elements",
        path.display()
    );
    assert_eq!(
        message(percept_formats::read(&path, &Columns::All)),
        expected
    );
    let error = percept_formats::read_shape(&path, &Columns::All).expect_err("zero");
    assert_eq!(error.to_string(), expected);

    let path = write(&dir, "empty.npy", &npy("<f4", "(0, 3)", &[]));
    let error = percept_formats::read_shape(&path, &Columns::All).expect_err("zero");
    assert!(
        matches!(&error, FormatError::ZeroDimension { dims, .. } if *dims == [0, 3]),
        "{error:?}"
    );
    assert_contains(
        &error.to_string(),
        &[
            "empty.npy` declares a dimension of 0 in its header (shape [0, 3] at byte 60): the \
           file holds no elements",
        ],
    );
    let path = write(&dir, "hollow.npy", &npy("<f4", "(3, 0)", &[]));
    assert_contains(
        &message(percept_formats::read(&path, &Columns::All)),
        &["(shape [3, 0] at byte 60): its elements hold no values"],
    );
}

#[test]
fn quoted_fields_and_other_delimiters() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A quoted header with the delimiter inside a name, quoted numbers.
    let path = write(
        &dir,
        "quoted.csv",
        b"\"sepal, length\",\"class\"\n\"5.1\",0\n4.9,\"1\"\n",
    );
    let table = percept_formats::read(&path, &Columns::All).expect("quoted");
    assert_eq!(
        (table.count, table.values.as_slice()),
        (2, &[5.1, 0.0, 4.9, 1.0][..])
    );

    let semicolons = ReadOptions::default().with_delimiter(b';');
    let text = b"x;y\n1.5;\"2\"\n3;4\n5;six\n";
    let path = write(&dir, "semi.csv", text);
    let error = percept_formats::read_with(&path, &Columns::All, &semicolons).expect_err("six");
    assert_contains(
        &error.to_string(),
        &["semi.csv` line 4, column 2: `six` is not a number"],
    );
    let path = write(&dir, "semi.csv", &text[..text.len() - 6]);
    let table =
        percept_formats::read_with(&path, &Columns::Range { start: 0, end: 2 }, &semicolons)
            .expect("semicolons");
    assert_eq!(table.values, [1.5, 2.0, 3.0, 4.0]);
    let header =
        percept_formats::read_shape_with(&path, &Columns::All, &semicolons).expect("semicolons");
    assert_eq!((header.count, header.element_shape), (2, vec![2]));
    // Read with the default comma, each row is one field that is no number.
    assert!(percept_formats::read(&path, &Columns::All).is_err());

    let tabs = ReadOptions::default().with_delimiter(b'\t');
    let path = write(&dir, "tabs.txt", b"1\t2\n3\t4\n");
    let table = percept_formats::read_with(&path, &Columns::Single(1), &tabs).expect("tabs");
    assert_eq!(table.values, [2.0, 4.0]);

    // A quoted field over two lines: the next row's line is still the file's line.
    let path = write(&dir, "multi.csv", b"1,\"2\n\"\n3,x\n");
    assert_contains(
        &message(percept_formats::read(&path, &Columns::All)),
        &["multi.csv` line 3, column 2: `x` is not a number"],
    );
    // `""` is a written, empty field: an error, not a blank line to skip.
    let path = write(&dir, "gap.csv", b"1\n\"\"\n3\n");
    assert_contains(
        &message(percept_formats::read(&path, &Columns::All)),
        &["gap.csv` line 2, column 1: `` is not a number"],
    );
}

#[test]
fn crlf_and_cr_line_ends_keep_line_numbers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(&dir, "crlf.csv", b"a,b\r\n1,2\r\n\r\n3,4\r\n5\r\n");
    let error = percept_formats::read(&path, &Columns::All).expect_err("ragged");
    assert!(
        matches!(
            error,
            FormatError::Ragged {
                line: 5,
                expected: 2,
                found: 1,
                ..
            }
        ),
        "{error:?}"
    );
    let path = write(&dir, "crlf.csv", b"a,b\r\n1,2\r\n\r\n3,4\r\n");
    let table = percept_formats::read(&path, &Columns::All).expect("crlf");
    assert_eq!(table.values, [1.0, 2.0, 3.0, 4.0]);
    let lines = table.lines.expect("lines");
    assert_eq!((lines.line(0), lines.line(1)), (Some(2), Some(4)));
    // Old Mac line ends: CR alone.
    let path = write(&dir, "cr.csv", b"1,2\r3,x\r");
    assert_contains(
        &message(percept_formats::read(&path, &Columns::All)),
        &["cr.csv` line 2, column 2: `x` is not a number"],
    );
    // A byte-order mark is no header, even when a decoder hands it over in pieces.
    let text = b"\xEF\xBB\xBF1,2\r\n3,4\r\n";
    for (name, bytes) in [("bom.csv", text.to_vec()), ("bom.csv.gz", gzip(text))] {
        let path = write(&dir, name, &bytes);
        let table = percept_formats::read(&path, &Columns::All).expect(name);
        assert_eq!(table.values, [1.0, 2.0, 3.0, 4.0], "{name}");
    }
}

/// Shapes whose value count overflows are refused by the crate, not by a panic of a
/// dependency (npyz 0.9.1 panics on this header).
#[test]
fn npy_shapes_beyond_u64_are_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(
        &dir,
        "huge.npy",
        &npy("<f4", "(4294967296, 4294967296, 16)", &[]),
    );
    let error = percept_formats::read_shape(Path::new(&path), &Columns::All).expect_err("huge");
    assert!(matches!(error, FormatError::TooLarge { .. }), "{error:?}");
    let path = write(
        &dir,
        "deep.npy",
        &npy(
            "<f4",
            &format!("{}1,{}", "(".repeat(40), ")".repeat(40)),
            &[],
        ),
    );
    let error = percept_formats::read(&path, &Columns::All).expect_err("deep");
    assert_contains(
        &error.to_string(),
        &["brackets nested deeper than 16 levels"],
    );
}
