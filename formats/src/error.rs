//! The one error type of the crate.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::Columns;

/// Why a data file could not be read.
///
/// Every message names the file, the position of the problem (a byte offset, a line and
/// column, or an element index) and what was expected there.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// The file could not be opened or read.
    #[error("cannot read `{}`: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },

    /// The data after the header is shorter than the header declares.
    #[error(
        "`{}` is truncated: its header declares {count} elements of {element_shape:?} {dtype} \
         ({expected} bytes after the {header_len}-byte header) but {found} bytes follow",
        .path.display()
    )]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Number of elements the header declares.
        count: usize,
        /// Shape of one element.
        element_shape: Vec<usize>,
        /// Element type, as the format names it.
        dtype: String,
        /// Size of the header in bytes: the data starts at this offset.
        header_len: u64,
        /// Bytes the data should take.
        expected: u64,
        /// Bytes actually present after the header.
        found: u64,
    },

    /// There are more bytes after the data than the header declares.
    #[error(
        "`{}` has trailing bytes: its header declares {count} elements of {element_shape:?} \
         {dtype} ({expected} bytes after the {header_len}-byte header) but {found} bytes follow",
        .path.display()
    )]
    TrailingBytes {
        /// The file.
        path: PathBuf,
        /// Number of elements the header declares.
        count: usize,
        /// Shape of one element.
        element_shape: Vec<usize>,
        /// Element type, as the format names it.
        dtype: String,
        /// Size of the header in bytes: the data starts at this offset.
        header_len: u64,
        /// Bytes the data should take.
        expected: u64,
        /// Bytes actually present after the header.
        found: u64,
    },

    /// The file ends inside its header.
    #[error("`{}` ends at byte {offset}, inside its header: expected {expected}", .path.display())]
    TruncatedHeader {
        /// The file.
        path: PathBuf,
        /// Where the file ends.
        offset: u64,
        /// What the header should contain there.
        expected: String,
    },

    /// The file does not start with the magic number of its format.
    #[error("`{}`: wrong magic number {found} at byte {offset}; {expected}", .path.display())]
    BadMagic {
        /// The file.
        path: PathBuf,
        /// Where the magic number starts.
        offset: u64,
        /// The bytes found, as text.
        found: String,
        /// How a file of this format starts.
        expected: &'static str,
    },

    /// The header names an element type this crate does not read.
    #[error(
        "`{}`: unsupported element type {dtype} at byte {offset}; supported: {supported}",
        .path.display()
    )]
    UnsupportedDtype {
        /// The file.
        path: PathBuf,
        /// Where the type is declared.
        offset: u64,
        /// The declared type, as text.
        dtype: String,
        /// The types this crate reads.
        supported: &'static str,
    },

    /// The NPY header (version, length or dictionary) cannot be parsed.
    #[error("`{}`: bad NPY header at byte {offset}: {reason}", .path.display())]
    BadNpyHeader {
        /// The file.
        path: PathBuf,
        /// Where the problem is.
        offset: u64,
        /// What is wrong.
        reason: String,
    },

    /// The NPY array is stored column-major.
    #[error(
        "`{}`: `fortran_order` is True at byte {offset}; only C (row-major) order is read, \
         so save the array with C order, e.g. `np.save(path, np.ascontiguousarray(a))`",
        .path.display()
    )]
    FortranOrder {
        /// The file.
        path: PathBuf,
        /// Where `fortran_order` is set.
        offset: u64,
    },

    /// A CSV row has a different number of fields from the first data row.
    #[error(
        "`{}` line {line}: expected {expected} fields like the rows above, found {found}",
        .path.display()
    )]
    Ragged {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// Number of fields of the first data row.
        expected: usize,
        /// Number of fields of this row.
        found: usize,
    },

    /// A CSV data field is not a number.
    #[error("`{}` line {line}, column {column}: `{text}` is not a number", .path.display())]
    NotNumeric {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// 1-based column number.
        column: usize,
        /// The field's text (invalid UTF-8 replaced).
        text: String,
    },

    /// The requested CSV columns go beyond the fields of the rows.
    #[error(
        "`{}` line {line}: {requested} requested (0-based) but the rows have {columns} fields \
         (columns 0..{columns})",
        .path.display()
    )]
    ColumnOutOfRange {
        /// The file.
        path: PathBuf,
        /// 1-based line number of the first data row.
        line: usize,
        /// The requested columns.
        requested: Columns,
        /// Number of fields per row.
        columns: usize,
    },

    /// A column range whose start is after its end.
    #[error("`{}`: {columns} is a reversed range; write `start..end` with start <= end", .path.display())]
    BadColumns {
        /// The file.
        path: PathBuf,
        /// The requested columns.
        columns: Columns,
    },

    /// Columns were requested from a binary file whose elements are not rows.
    #[error(
        "`{}`: {requested} cannot be selected from elements of shape {element_shape:?}; columns \
         select within elements of shape [n] (a file of rank 2), at indices 0..n",
        .path.display()
    )]
    ColumnsNotApplicable {
        /// The file.
        path: PathBuf,
        /// The requested columns.
        requested: Columns,
        /// The shape of the file's elements.
        element_shape: Vec<usize>,
    },

    /// A CSV file has no data rows.
    #[error(
        "`{}` has no data rows: its {lines} lines are empty or a header",
        .path.display()
    )]
    Empty {
        /// The file.
        path: PathBuf,
        /// Number of lines read.
        lines: usize,
    },

    /// A label is not in `0..classes`.
    #[error(
        "`{}` {}: label {value} is outside 0..{classes} (`classes: {classes}`)",
        .path.display(), at_element(*.element, *.line)
    )]
    LabelOutOfRange {
        /// The file (or other source) of the labels.
        path: PathBuf,
        /// Index of the element.
        element: usize,
        /// The 1-based file line of the element, for a table read from CSV.
        line: Option<usize>,
        /// The label found.
        value: f32,
        /// The number of classes.
        classes: usize,
    },

    /// A label is not a whole number.
    #[error(
        "`{}` {}: label {value} is not an integer class index (`classes: {classes}`)",
        .path.display(), at_element(*.element, *.line)
    )]
    NotInteger {
        /// The file (or other source) of the labels.
        path: PathBuf,
        /// Index of the element.
        element: usize,
        /// The 1-based file line of the element, for a table read from CSV.
        line: Option<usize>,
        /// The label found.
        value: f32,
        /// The number of classes.
        classes: usize,
    },

    /// A CSV field holds NaN, an infinity, or a number too large for `f32`, and the read
    /// did not allow non-finite values ([`ReadOptions::allow_non_finite`](crate::ReadOptions)).
    #[error(
        "`{}` line {line}, column {column}: `{text}` is {problem}; {}",
        .path.display(), NON_FINITE_HELP
    )]
    NotFiniteField {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// 1-based column (field) number.
        column: usize,
        /// The field's text.
        text: String,
        /// What is wrong with the value.
        problem: NonFinite,
    },

    /// A stored IDX or NPY value is NaN, infinite, or (stored as `f64`) too large for `f32`,
    /// and the read did not allow non-finite values
    /// ([`ReadOptions::allow_non_finite`](crate::ReadOptions)).
    #[error(
        "`{}` element {element}{}, at byte {offset} of the uncompressed file: {} is {problem}; {}",
        .path.display(), within_element(.index), Scientific(*.value), NON_FINITE_HELP
    )]
    NotFiniteValue {
        /// The file.
        path: PathBuf,
        /// Index of the element (along the first dimension).
        element: usize,
        /// Index of the value within the element (empty for scalar elements).
        index: Vec<usize>,
        /// Where the value is stored, counted in the uncompressed content.
        offset: u64,
        /// The stored value.
        value: f64,
        /// What is wrong with the value.
        problem: NonFinite,
    },

    /// A header declares a dimension of size 0, so the file holds no values.
    #[error(
        "`{}` declares a dimension of 0 in its header ({} {dims:?} at byte {offset}): {}",
        .path.display(),
        if *.dims_are_shape { "shape" } else { "dimensions" },
        if .dims.first() == Some(&0) { "the file holds no elements" } else { "its elements hold no values" }
    )]
    ZeroDimension {
        /// The file.
        path: PathBuf,
        /// Where the dimensions are declared.
        offset: u64,
        /// The declared dimensions, the number of elements first.
        dims: Vec<u64>,
        /// Whether the format calls them a shape (NPY) rather than dimensions (IDX).
        dims_are_shape: bool,
    },

    /// A gzip-compressed file is corrupt or cut short.
    #[error("cannot read `{}`: corrupt gzip data{}: {source}", .path.display(), at_compressed(*.offset))]
    Gzip {
        /// The file.
        path: PathBuf,
        /// How many compressed bytes the decoder had consumed when it failed, when known.
        offset: Option<u64>,
        /// The decoder's error.
        source: std::io::Error,
    },

    /// The shape in a header has more values than this machine can address.
    #[error(
        "`{}`: the shape {shape:?} declared at byte {offset} has more values than this machine \
         can address",
        .path.display()
    )]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Where the shape is declared.
        offset: u64,
        /// The declared shape.
        shape: Vec<u64>,
    },

    /// The file name has no extension this crate knows.
    #[error(
        "`{}`: unknown data format; known extensions are .idx, .idx1, .idx3 (any .idxN), \
         -ubyte, .npy, .csv and .txt, each optionally followed by .gz",
        .path.display()
    )]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
}

/// What makes a value unreadable as a finite `f32`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NonFinite {
    /// Not a number.
    NaN,
    /// Positive or negative infinity, as written or stored.
    Infinite,
    /// Finite as written or stored, but beyond the largest finite `f32` (about 3.4e38).
    OutOfRange,
}

impl fmt::Display for NonFinite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NonFinite::NaN => "NaN, not a number",
            NonFinite::Infinite => "infinite",
            NonFinite::OutOfRange => {
                "too large for f32, whose largest finite magnitude is 3.4028235e38"
            }
        })
    }
}

const NON_FINITE_HELP: &str = "data values must be finite; to accept such values, give the \
                               Data component `allow_non_finite: true` \
                               (`ReadOptions::allow_non_finite` in percept_formats)";

fn at_element(element: usize, line: Option<usize>) -> String {
    match line {
        Some(line) => format!("line {line} (element {element})"),
        None => format!("element {element}"),
    }
}

fn within_element(index: &[usize]) -> String {
    if index.is_empty() {
        String::new()
    } else {
        format!(" value {index:?}")
    }
}

fn at_compressed(offset: Option<u64>) -> String {
    offset
        .map(|offset| format!(" at compressed byte {offset}"))
        .unwrap_or_default()
}

/// `1e300`, `-3.5e38`, `NaN`, `inf`: exact and short for the values these errors report.
struct Scientific(f64);

impl fmt::Display for Scientific {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:e}", self.0)
    }
}

impl FormatError {
    /// Maps an I/O error of reading `path`; a failure inside the gzip decoder (see
    /// [`crate::gzip`]) becomes [`FormatError::Gzip`] with the compressed offset.
    pub(crate) fn io(path: &Path) -> impl Fn(std::io::Error) -> Self + '_ {
        move |source| {
            if source
                .get_ref()
                .is_some_and(|inner| inner.is::<crate::gzip::CorruptGzip>())
            {
                let kind = source.kind();
                let inner = source.into_inner().map(|inner| inner.downcast());
                let source = match inner {
                    Some(Ok(gzip)) => {
                        let crate::gzip::CorruptGzip { offset, source } = *gzip;
                        return FormatError::Gzip {
                            path: path.to_path_buf(),
                            offset: Some(offset),
                            source,
                        };
                    }
                    // Not reached: the payload was checked above.
                    Some(Err(other)) => std::io::Error::new(kind, other),
                    None => std::io::Error::from(kind),
                };
                return FormatError::Io {
                    path: path.to_path_buf(),
                    source,
                };
            }
            FormatError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    }
}
