//! Readers for the data files percept trains on, into plain `f32` tables.
//!
//! A [`Table`] is `count` elements of one `element_shape`, stored row-major. Supported
//! formats, chosen by file extension in [`read`] and [`read_shape`]:
//!
//! - IDX ([`idx`]): MNIST and relatives, `.idx`, `.idx1`, `.idx3`, `-ubyte`;
//! - NPY ([`npy`]): `numpy.save` output, `.npy`;
//! - CSV ([`csv`]): numeric comma-separated text, `.csv`, `.txt`.
//!
//! Any of them may be gzip-compressed: compression is detected from the file's first two
//! bytes, whatever the name. The 8x8 handwritten [`digits`] are embedded in the crate, and
//! [`random`] makes deterministic synthetic data.
//!
//! Values are stored values converted to `f32`, never rescaled, except the embedded digits.
//! Every error ([`FormatError`]) names the file and the position of the problem. Reads are
//! strict by default: NaN, infinities and numbers beyond the `f32` range are errors at the
//! line and column (CSV) or element (IDX, NPY) where they are, unless [`ReadOptions`] allow
//! them ([`read_with`]).
//!
//! # Example
//!
//! ```
//! use percept_formats::{digits, Columns, FormatError};
//!
//! let images = digits::images();
//! let labels = digits::labels();
//! assert_eq!((images.count, images.element_shape.as_slice()), (1797, &[64][..]));
//! labels.check_classes("digits", digits::CLASSES)?;
//! assert_eq!(labels.class_counts(digits::CLASSES)[0], 178);
//!
//! // A file that does not exist is an error naming it, never a panic.
//! let error = percept_formats::read("data/iris.csv".as_ref(), &Columns::Single(4));
//! assert!(matches!(error, Err(FormatError::Io { .. })));
//! # Ok::<(), FormatError>(())
//! ```

#![warn(missing_docs)]
// Errors carry the names and shapes their messages need; they are built on the cold path
// of a failed check, so their size costs nothing worth boxing for.
#![allow(clippy::result_large_err)]

mod binary;
pub mod csv;
pub mod digits;
mod error;
mod gzip;
pub mod idx;
pub mod npy;
pub mod random;

use std::fmt;
use std::ops::Range;
use std::path::Path;

pub use error::{FormatError, NonFinite};

/// How to read a file; [`Default`] is what [`read`] and [`read_shape`] use.
///
/// ```
/// use percept_formats::ReadOptions;
///
/// // A semicolon-separated file whose gaps are written as `NaN` on purpose.
/// let options = ReadOptions {
///     delimiter: b';',
///     allow_non_finite: true,
///     ..ReadOptions::default()
/// };
/// assert_eq!(options, ReadOptions::default().with_delimiter(b';').allowing_non_finite());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOptions {
    /// Accept NaN, infinities, and values finite in the file but beyond the `f32` range
    /// (CSV `1e39`, an `f64` `1e300`), which are read as infinities of their sign. Default
    /// `false`: such a value is [`FormatError::NotFiniteField`] (CSV) or
    /// [`FormatError::NotFiniteValue`] (IDX, NPY), naming where it is.
    pub allow_non_finite: bool,
    /// The CSV field separator, one byte: `b','` (the default), `b';'`, `b'\t'`, ...; not
    /// a quote or a line end. Ignored by the binary formats.
    pub delimiter: u8,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            allow_non_finite: false,
            delimiter: b',',
        }
    }
}

impl ReadOptions {
    /// These options with `delimiter` as the CSV field separator.
    pub fn with_delimiter(self, delimiter: u8) -> Self {
        ReadOptions { delimiter, ..self }
    }

    /// These options with non-finite values accepted ([`ReadOptions::allow_non_finite`]).
    pub fn allowing_non_finite(self) -> Self {
        ReadOptions {
            allow_non_finite: true,
            ..self
        }
    }
}

/// Where the elements of a table read from a CSV file are in that file: the 1-based line
/// of each element, as an editor numbers lines (blank lines and a header shift them).
///
/// Stored compactly as runs of consecutive lines, so it costs next to nothing for the usual
/// file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineMap {
    /// `(first element, its line)` for each run of elements on consecutive lines.
    runs: Vec<(usize, usize)>,
    count: usize,
}

impl LineMap {
    /// The 1-based file line where `element` starts, or `None` beyond the last element.
    pub fn line(&self, element: usize) -> Option<usize> {
        if element >= self.count {
            return None;
        }
        let run = self.runs.partition_point(|&(first, _)| first <= element);
        let (first, line) = self.runs[run.checked_sub(1)?];
        Some(line + (element - first))
    }

    /// The number of elements mapped.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether no element is mapped.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Records that the next element starts at `line`.
    pub(crate) fn push(&mut self, line: usize) {
        let continues = self
            .runs
            .last()
            .is_some_and(|&(first, start)| start + (self.count - first) == line);
        if !continues {
            self.runs.push((self.count, line));
        }
        self.count += 1;
    }
}

/// A dataset read from a file: `count` elements, each of `element_shape`, row-major f32 values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    /// All values, element after element; `count * element_len()` of them.
    pub values: Vec<f32>,
    /// The shape of one element (`[]` for scalars such as labels).
    pub element_shape: Vec<usize>,
    /// The number of elements.
    pub count: usize,
    /// For a table read from CSV, the file line of each element, so that errors about an
    /// element ([`Table::check_classes`]) name the line; `None` for other sources.
    pub lines: Option<LineMap>,
}

impl Table {
    /// The number of values in one element: the product of `element_shape` (1 for `[]`).
    pub fn element_len(&self) -> usize {
        self.element_shape.iter().product()
    }

    /// The values of the `i`-th element.
    ///
    /// # Panics
    ///
    /// If `i >= count`, like slice indexing.
    pub fn element(&self, i: usize) -> &[f32] {
        let len = self.element_len();
        &self.values[i * len..(i + 1) * len]
    }

    /// Checks that every value is an integer class index in `0..classes`.
    ///
    /// `source` names the data in the error (a file name, usually), which also gives the
    /// element index, its file line for a table read from CSV ([`Table::lines`]), and the
    /// value.
    pub fn check_classes(&self, source: &str, classes: usize) -> Result<(), FormatError> {
        let len = self.element_len().max(1);
        for (index, &value) in self.values.iter().enumerate() {
            let element = index / len;
            let line = || self.lines.as_ref().and_then(|lines| lines.line(element));
            if value.fract() != 0.0 || !value.is_finite() {
                return Err(FormatError::NotInteger {
                    path: source.into(),
                    element,
                    line: line(),
                    value,
                    classes,
                });
            }
            // Comparing in f64 is exact for every f32 and every realistic class count.
            if value < 0.0 || f64::from(value) >= classes as f64 {
                return Err(FormatError::LabelOutOfRange {
                    path: source.into(),
                    element,
                    line: line(),
                    value,
                    classes,
                });
            }
        }
        Ok(())
    }

    /// Counts the values equal to each class index `0..classes`.
    ///
    /// Values must already be valid class indices ([`Table::check_classes`]); any other
    /// value is not counted.
    pub fn class_counts(&self, classes: usize) -> Vec<usize> {
        let mut counts = vec![0; classes];
        for &value in &self.values {
            if value >= 0.0
                && value.fract() == 0.0
                && let Some(count) = counts.get_mut(value as usize)
            {
                *count += 1;
            }
        }
        counts
    }
}

/// Which CSV columns to read: the `columns` setting of a Data component.
///
/// Column indices are 0-based. For IDX and NPY files read through [`read`], a selection
/// other than `All` picks from elements of shape `[n]` (a rank-2 file) the same way.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Columns {
    /// Every column: elements of shape `[columns]`.
    #[default]
    All,
    /// The columns `start..end`: elements of shape `[end - start]`.
    Range {
        /// The first column, counting from 0.
        start: usize,
        /// One past the last column.
        end: usize,
    },
    /// One column: scalar elements, shape `[]`.
    Single(usize),
}

impl Columns {
    /// Refuses selections that are wrong whatever the file holds.
    fn check(&self, path: &Path) -> Result<(), FormatError> {
        match self {
            Columns::Range { start, end } if start > end => Err(FormatError::BadColumns {
                path: path.to_path_buf(),
                columns: self.clone(),
            }),
            _ => Ok(()),
        }
    }

    /// The selected indices among `columns`, or `None` if some are beyond them.
    fn bounds(&self, columns: usize) -> Option<Range<usize>> {
        let range = match self {
            Columns::All => 0..columns,
            Columns::Range { start, end } => *start..*end,
            Columns::Single(index) => *index..index.checked_add(1)?,
        };
        (range.start <= range.end && range.end <= columns).then_some(range)
    }

    fn element_shape(&self, columns: usize) -> Vec<usize> {
        match self {
            Columns::All => vec![columns],
            Columns::Range { start, end } => vec![end.saturating_sub(*start)],
            Columns::Single(_) => Vec::new(),
        }
    }
}

impl fmt::Display for Columns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Columns::All => f.write_str("all columns"),
            Columns::Range { start, end } => write!(f, "columns {start}..{end}"),
            Columns::Single(index) => write!(f, "column {index}"),
        }
    }
}

/// What a header says without reading the data: the number of elements and the per-element shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The number of elements.
    pub count: usize,
    /// The shape of one element.
    pub element_shape: Vec<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Idx,
    Npy,
    Csv,
}

/// Chooses the reader from the file name, ignoring case and a final `.gz`.
fn format_of(path: &Path) -> Result<Format, FormatError> {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    let is_idx = name.ends_with("-ubyte")
        || name.rsplit_once('.').is_some_and(|(_, ext)| {
            ext.strip_prefix("idx")
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
        });
    if is_idx {
        Ok(Format::Idx)
    } else if name.ends_with(".npy") {
        Ok(Format::Npy)
    } else if name.ends_with(".csv") || name.ends_with(".txt") {
        Ok(Format::Csv)
    } else {
        Err(FormatError::UnknownFormat {
            path: path.to_path_buf(),
        })
    }
}

/// Reads a data file, choosing the format from its extension.
///
/// `.idx`, `.idx1`, `.idx3` (any `.idxN`) and `-ubyte` are IDX, `.npy` is NPY, `.csv` and
/// `.txt` are CSV; each may be followed by `.gz`. Other names are
/// [`FormatError::UnknownFormat`]. `columns` selects CSV columns; for IDX and NPY it must be
/// [`Columns::All`] unless the elements have shape `[n]`, where it selects among the `n`.
///
/// Strict: NaN, infinite and out-of-range values are errors (see [`ReadOptions`]).
pub fn read(path: &Path, columns: &Columns) -> Result<Table, FormatError> {
    read_with(path, columns, &ReadOptions::default())
}

/// [`read`] with `options`: the CSV delimiter, and whether non-finite values are accepted.
pub fn read_with(
    path: &Path,
    columns: &Columns,
    options: &ReadOptions,
) -> Result<Table, FormatError> {
    columns.check(path)?;
    match format_of(path)? {
        Format::Csv => csv::read_with(path, columns, options),
        Format::Idx => select(idx::read_with(path, options)?, path, columns),
        Format::Npy => select(npy::read_with(path, options)?, path, columns),
    }
}

/// Reads only what [`read`] would return the shape of, choosing the format the same way.
///
/// Cheap: IDX and NPY headers are a few bytes, and CSV rows are counted, not converted.
pub fn read_shape(path: &Path, columns: &Columns) -> Result<Header, FormatError> {
    read_shape_with(path, columns, &ReadOptions::default())
}

/// [`read_shape`] with `options` (of which only the CSV delimiter matters).
pub fn read_shape_with(
    path: &Path,
    columns: &Columns,
    options: &ReadOptions,
) -> Result<Header, FormatError> {
    columns.check(path)?;
    let header = match format_of(path)? {
        Format::Csv => return csv::read_shape_with(path, columns, options),
        Format::Idx => idx::read_shape(path)?,
        Format::Npy => npy::read_shape(path)?,
    };
    let selected = binary_selection(&header.element_shape, path, columns)?;
    Ok(Header {
        count: header.count,
        element_shape: match selected {
            Some(selection) => selection.element_shape,
            None => header.element_shape,
        },
    })
}

/// Columns picked from the elements of a binary file.
struct Selection {
    range: Range<usize>,
    element_shape: Vec<usize>,
}

/// `None` for `All`, which keeps elements as they are whatever their shape.
fn binary_selection(
    element_shape: &[usize],
    path: &Path,
    columns: &Columns,
) -> Result<Option<Selection>, FormatError> {
    if *columns == Columns::All {
        return Ok(None);
    }
    let not_applicable = || FormatError::ColumnsNotApplicable {
        path: path.to_path_buf(),
        requested: columns.clone(),
        element_shape: element_shape.to_vec(),
    };
    let &[width] = element_shape else {
        return Err(not_applicable());
    };
    let range = columns.bounds(width).ok_or_else(not_applicable)?;
    Ok(Some(Selection {
        range,
        element_shape: columns.element_shape(width),
    }))
}

fn select(table: Table, path: &Path, columns: &Columns) -> Result<Table, FormatError> {
    let Some(Selection {
        range,
        element_shape,
    }) = binary_selection(&table.element_shape, path, columns)?
    else {
        return Ok(table);
    };
    let width = table.element_len();
    let values = if width == 0 {
        Vec::new()
    } else {
        table
            .values
            .chunks_exact(width)
            .flat_map(|row| &row[range.clone()])
            .copied()
            .collect()
    };
    Ok(Table {
        values,
        element_shape,
        count: table.count,
        lines: table.lines,
    })
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::idx::tests::{gzip, idx_bytes};
    use crate::npy::tests::npy_bytes;

    fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write test file");
        path
    }

    #[test]
    fn table_accessors() {
        let table = Table {
            values: vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0],
            element_shape: vec![1, 3],
            count: 2,
            ..Table::default()
        };
        assert_eq!(table.element_len(), 3);
        assert_eq!(table.element(1), [3.0, 4.0, 5.0]);
        let scalars = Table {
            values: vec![1.0, 0.0, 1.0],
            element_shape: vec![],
            count: 3,
            ..Table::default()
        };
        assert_eq!(scalars.element_len(), 1);
        assert_eq!(scalars.element(2), [1.0]);
        assert_eq!(scalars.class_counts(3), [1, 2, 0]);
    }

    #[test]
    fn line_map_keeps_runs_of_consecutive_lines() {
        let mut lines = LineMap::default();
        for line in [2, 3, 4, 6, 7, 10] {
            lines.push(line);
        }
        assert_eq!(lines.runs, [(0, 2), (3, 6), (5, 10)]);
        let found: Vec<_> = (0..7).map(|e| lines.line(e)).collect();
        assert_eq!(
            found,
            [Some(2), Some(3), Some(4), Some(6), Some(7), Some(10), None]
        );
        assert_eq!((lines.len(), lines.is_empty()), (6, false));
        assert_eq!(LineMap::default().line(0), None);
    }

    #[test]
    fn label_outside_classes_names_element_and_value() {
        let mut values = vec![1.0; 20];
        values[17] = 12.0;
        let labels = Table {
            values,
            element_shape: vec![],
            count: 20,
            ..Table::default()
        };
        let error = labels
            .check_classes("labels.idx1", 10)
            .expect_err("out of range");
        assert!(matches!(
            error,
            FormatError::LabelOutOfRange {
                element: 17,
                classes: 10,
                ..
            }
        ));
        assert_eq!(
            error.to_string(),
            "`labels.idx1` element 17: label 12 is outside 0..10 (`classes: 10`)"
        );
        assert!(labels.check_classes("labels.idx1", 13).is_ok());
        let negative = Table {
            values: vec![0.0, -1.0],
            element_shape: vec![],
            count: 2,
            ..Table::default()
        };
        assert!(matches!(
            negative.check_classes("n", 2),
            Err(FormatError::LabelOutOfRange { element: 1, .. })
        ));
        // Elements of several values report the element, not the flat index.
        let one_hot = Table {
            values: vec![0.0, 1.0, 0.0, 3.0],
            element_shape: vec![2],
            count: 2,
            ..Table::default()
        };
        assert!(matches!(
            one_hot.check_classes("h", 2),
            Err(FormatError::LabelOutOfRange { element: 1, .. })
        ));
    }

    #[test]
    fn fractional_label_is_not_an_integer() {
        let labels = Table {
            values: vec![0.0, 1.0, 2.5],
            element_shape: vec![],
            count: 3,
            ..Table::default()
        };
        let error = labels.check_classes("y.npy", 3).expect_err("fraction");
        assert!(matches!(error, FormatError::NotInteger { element: 2, .. }));
        assert_message(&error, &["`y.npy` element 2: label 2.5 is not an integer"]);
        let nan = Table {
            values: vec![f32::NAN],
            element_shape: vec![],
            count: 1,
            ..Table::default()
        };
        assert!(matches!(
            nan.check_classes("y", 3),
            Err(FormatError::NotInteger { .. })
        ));
        assert_eq!(labels.class_counts(3), [1, 1, 0]);
    }

    fn assert_message(error: &FormatError, parts: &[&str]) {
        let message = error.to_string();
        for part in parts {
            assert!(message.contains(part), "`{part}` missing from: {message}");
        }
    }

    #[test]
    fn dispatch_by_extension() {
        let dir = tempfile::tempdir().expect("tempdir");
        let idx = idx_bytes(0x08, &[2, 3], &[1, 2, 3, 4, 5, 6]);
        let npy = npy_bytes("|u1", false, "(2, 3)", &[1, 2, 3, 4, 5, 6]);
        let csv = b"1,2,3\n4,5,6\n";
        let expected = Table {
            values: vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            element_shape: vec![3],
            count: 2,
            ..Table::default()
        };
        let files = [
            ("a.idx", idx.clone()),
            ("a.IDX2", idx.clone()),
            ("train-labels-idx1-ubyte", idx.clone()),
            ("a.idx3.gz", gzip(&idx)),
            ("a-ubyte.GZ", gzip(&idx)),
            ("a.npy", npy.clone()),
            ("a.npy.gz", gzip(&npy)),
            ("a.csv", csv.to_vec()),
            ("a.txt", csv.to_vec()),
            ("a.csv.gz", gzip(csv)),
        ];
        for (name, bytes) in files {
            let path = write(&dir, name, &bytes);
            let mut table = read(&path, &Columns::All).expect(name);
            // Only CSV tables know the file lines of their elements.
            let is_csv = matches!(format_of(&path), Ok(Format::Csv));
            assert_eq!(table.lines.is_some(), is_csv, "{name}");
            if let Some(lines) = table.lines.take() {
                assert_eq!(
                    (lines.line(0), lines.line(1), lines.line(2)),
                    (Some(1), Some(2), None)
                );
            }
            assert_eq!(table, expected, "{name}");
            let header = read_shape(&path, &Columns::All).expect(name);
            assert_eq!((header.count, header.element_shape), (2, vec![3]), "{name}");
        }
    }

    #[test]
    fn unknown_extension_lists_the_known_ones() {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in ["data.bin", "data.gz", "idx", "data.idxa"] {
            let path = write(&dir, name, b"1,2\n");
            let error = read(&path, &Columns::All).expect_err(name);
            assert!(matches!(error, FormatError::UnknownFormat { .. }), "{name}");
            assert_message(
                &error,
                &[name, "unknown data format", ".npy", ".csv", "-ubyte", ".gz"],
            );
            assert!(read_shape(&path, &Columns::All).is_err());
        }
    }

    #[test]
    fn columns_select_within_rows_of_binary_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let npy = write(
            &dir,
            "m.npy",
            &npy_bytes("|u1", false, "(2, 3)", &[1, 2, 3, 4, 5, 6]),
        );
        let table = read(&npy, &Columns::Range { start: 1, end: 3 }).expect("range");
        assert_eq!(
            (table.values.as_slice(), table.element_shape.as_slice()),
            (&[2.0, 3.0, 5.0, 6.0][..], &[2][..])
        );
        let labels = read(&npy, &Columns::Single(2)).expect("single");
        assert_eq!(
            (labels.values.as_slice(), labels.element_shape.len()),
            (&[3.0, 6.0][..], 0)
        );
        let header = read_shape(&npy, &Columns::Single(2)).expect("shape");
        assert_eq!((header.count, header.element_shape.len()), (2, 0));
    }

    #[test]
    fn columns_from_images_are_not_applicable() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(&dir, "img.idx3", &idx_bytes(0x08, &[1, 2, 2], &[0; 4]));
        let error = read(&path, &Columns::Single(0)).expect_err("rank 3");
        assert!(matches!(error, FormatError::ColumnsNotApplicable { .. }));
        assert_message(
            &error,
            &["img.idx3`: column 0 cannot be selected from elements of shape [2, 2]"],
        );
        let path = write(&dir, "rows.idx", &idx_bytes(0x08, &[1, 2], &[0; 2]));
        let error = read_shape(&path, &Columns::Range { start: 1, end: 3 }).expect_err("beyond");
        assert_message(
            &error,
            &["rows.idx`: columns 1..3 cannot be selected from elements of shape [2]"],
        );
    }
}
