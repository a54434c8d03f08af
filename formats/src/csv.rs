//! Numeric CSV files (optionally gzip): one element per row.
//!
//! Parsed with the [`csv`](https://docs.rs/csv) crate: fields may be quoted (`"1.5"`, a
//! quoted header), the separator is [`ReadOptions::delimiter`] (`,` by default; `;` and tab
//! work too), lines end in LF, CRLF or CR, a UTF-8 byte-order mark is ignored, fields are
//! trimmed, and blank lines are skipped.
//!
//! The first row is a header, and skipped, when at most half of its fields are numbers;
//! that covers column names and sklearn's metadata lines such as
//! `150,4,setosa,versicolor,virginica`. A first row that is mostly numbers is data, so a typo
//! in it (`O` for `0`) is reported at its line and column instead of the row being dropped
//! as a header. Every data field must be a number, including the columns not selected, so
//! that a stray text field is reported instead of silently shifting what a row means.
//!
//! Positions in errors are what an editor shows: 1-based lines of the file (blank lines and
//! the header counted), and 1-based columns, column `k` being the `k`-th field of the row.
//! The table remembers the line of each element ([`Table::lines`]), so that
//! [`Table::check_classes`] names lines too.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, Read};
use std::ops::Range;
use std::path::Path;
use std::rc::Rc;

use crate::error::NonFinite;
use crate::{Columns, FormatError, Header, LineMap, ReadOptions, Table, gzip};

/// Reads the selected columns of every data row, strictly ([`ReadOptions::default`]).
///
/// `Columns::Single` gives scalar elements (shape `[]`), `Columns::Range { start: a, end: b }` elements of
/// shape `[b - a]`, `Columns::All` elements of shape `[fields per row]`.
pub fn read(path: &Path, columns: &Columns) -> Result<Table, FormatError> {
    read_with(path, columns, &ReadOptions::default())
}

/// [`read`] with `options`: the delimiter, and whether NaN, infinities and numbers beyond
/// the `f32` range are accepted.
pub fn read_with(
    path: &Path,
    columns: &Columns,
    options: &ReadOptions,
) -> Result<Table, FormatError> {
    columns.check(path)?;
    parse(gzip::open(path)?.reader, path, columns, options)
}

/// Reads the header and the first data row, and counts the remaining records without
/// converting them: `count` is exact for a file that [`read`] accepts.
pub fn read_shape(path: &Path, columns: &Columns) -> Result<Header, FormatError> {
    read_shape_with(path, columns, &ReadOptions::default())
}

/// [`read_shape`] with `options` (of which only the delimiter matters).
pub fn read_shape_with(
    path: &Path,
    columns: &Columns,
    options: &ReadOptions,
) -> Result<Header, FormatError> {
    columns.check(path)?;
    let input = without_bom(gzip::open(path)?.reader, path)?;
    let mut records = Records::new(input, path, options);
    let Some(first) = first_row(&mut records, columns)? else {
        return Err(records.empty());
    };
    let mut count = 1;
    while records.next()?.is_some() {
        count += 1;
    }
    Ok(Header {
        count,
        element_shape: columns.element_shape(first.fields),
    })
}

/// Parses CSV text from any reader; `path` only labels errors.
pub(crate) fn parse(
    reader: impl Read,
    path: &Path,
    columns: &Columns,
    options: &ReadOptions,
) -> Result<Table, FormatError> {
    columns.check(path)?;
    let mut records = Records::new(without_bom(reader, path)?, path, options);
    let Some(first) = first_row(&mut records, columns)? else {
        return Err(records.empty());
    };
    let mut values = Vec::new();
    let mut lines = LineMap::default();
    let mut line = first.line;
    loop {
        let found = records.record.len();
        if found != first.fields {
            return Err(FormatError::Ragged {
                path: path.to_path_buf(),
                line,
                expected: first.fields,
                found,
            });
        }
        for (index, field) in records.record.iter().enumerate() {
            let at = Cell {
                path,
                line,
                column: index + 1,
                field,
            };
            let value = at.value(options)?;
            if first.selected.contains(&index) {
                values.push(value);
            }
        }
        lines.push(line);
        match records.next()? {
            Some(next) => line = next,
            None => break,
        }
    }
    Ok(Table {
        values,
        element_shape: columns.element_shape(first.fields),
        count: lines.len(),
        lines: Some(lines),
    })
}

/// One field and where it is, for its errors.
struct Cell<'a> {
    path: &'a Path,
    line: usize,
    column: usize,
    field: &'a [u8],
}

impl Cell<'_> {
    /// The field's value, refusing text that is not a number and, unless allowed,
    /// non-finite values.
    fn value(&self, options: &ReadOptions) -> Result<f32, FormatError> {
        let text = || String::from_utf8_lossy(self.field).into_owned();
        let value = number(self.field).ok_or_else(|| FormatError::NotNumeric {
            path: self.path.to_path_buf(),
            line: self.line,
            column: self.column,
            text: text(),
        })?;
        if value.is_finite() || options.allow_non_finite {
            return Ok(value);
        }
        // Only `inf` and `infinity` spell an infinity with an `i`; `1e39` has none.
        let problem = if value.is_nan() {
            NonFinite::NaN
        } else if self.field.iter().any(|b| b.eq_ignore_ascii_case(&b'i')) {
            NonFinite::Infinite
        } else {
            NonFinite::OutOfRange
        };
        Err(FormatError::NotFiniteField {
            path: self.path.to_path_buf(),
            line: self.line,
            column: self.column,
            text: text(),
            problem,
        })
    }
}

/// The first data row: where it is, how many fields rows have, which ones are selected.
struct FirstRow {
    line: usize,
    fields: usize,
    selected: Range<usize>,
}

/// Skips the header if there is one and checks the selection against the first data row;
/// `None` when there is no data row.
fn first_row<R: Read>(
    records: &mut Records<'_, R>,
    columns: &Columns,
) -> Result<Option<FirstRow>, FormatError> {
    let Some(mut line) = records.next()? else {
        return Ok(None);
    };
    let numbers = records
        .record
        .iter()
        .filter(|field| number(field).is_some())
        .count();
    // A header is mostly text; a row of numbers with a typo in it is data, and the typo an
    // error at its cell.
    if numbers * 2 <= records.record.len() {
        match records.next()? {
            Some(next) => line = next,
            None => return Ok(None),
        }
    }
    let count = records.record.len();
    let selected = columns
        .bounds(count)
        .ok_or_else(|| FormatError::ColumnOutOfRange {
            path: records.path.to_path_buf(),
            line,
            requested: columns.clone(),
            columns: count,
        })?;
    Ok(Some(FirstRow {
        line,
        fields: count,
        selected,
    }))
}

/// Any number `f32::from_str` reads: `1`, `-2.5e1`, `+4`, `.5`, and also `NaN`, `inf`, and
/// `1e39` (which becomes infinite), which the caller checks.
fn number(field: &[u8]) -> Option<f32> {
    std::str::from_utf8(field).ok()?.parse().ok()
}

/// The non-blank records of a CSV text, each with the 1-based line it starts on.
struct Records<'a, R> {
    reader: csv::Reader<Tracked<R>>,
    lines: Rc<RefCell<LineStarts>>,
    record: csv::ByteRecord,
    path: &'a Path,
}

/// The UTF-8 byte-order mark Excel writes. Left in place, it would make the first field
/// of a data row no number, and the row a header.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// `reader` without a leading byte-order mark. The csv crate strips one only when its first
/// read returns all three bytes, which a decoder or a short read need not do.
fn without_bom<R: Read>(mut reader: R, path: &Path) -> Result<impl Read, FormatError> {
    let mut head = [0u8; 3];
    let mut got = 0;
    while got < head.len() {
        match reader.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(FormatError::io(path)(e)),
        }
    }
    let skip = if head[..got] == *BOM { got } else { 0 };
    Ok(io::Cursor::new(head[skip..got].to_vec()).chain(reader))
}

impl<'a, R: Read> Records<'a, R> {
    fn new(reader: R, path: &'a Path, options: &ReadOptions) -> Self {
        let lines = Rc::new(RefCell::new(LineStarts::default()));
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            // Rows of another length are reported by this module, with both lengths.
            .flexible(true)
            .trim(csv::Trim::All)
            .delimiter(options.delimiter)
            .from_reader(Tracked {
                inner: reader,
                lines: Rc::clone(&lines),
            });
        Records {
            reader,
            lines,
            record: csv::ByteRecord::new(),
            path,
        }
    }

    /// Advances to the next record that is not a blank line and returns its line.
    fn next(&mut self) -> Result<Option<usize>, FormatError> {
        loop {
            let more = self
                .reader
                .read_byte_record(&mut self.record)
                .map_err(|error| csv_error(self.path, error))?;
            if !more {
                return Ok(None);
            }
            let start = self.record.position().map_or(0, csv::Position::byte);
            // A line of spaces is one empty field, and blank; `""` is one empty field too,
            // but written, and `,` is two: those are rows (whose fields are no numbers).
            if self.record.len() == 1 && self.record[0].is_empty() {
                let end = self.reader.position().byte();
                if !self.lines.borrow_mut().has_content(start, end) {
                    continue;
                }
            }
            return Ok(Some(self.lines.borrow_mut().line_at(start)));
        }
    }

    fn empty(&self) -> FormatError {
        FormatError::Empty {
            path: self.path.to_path_buf(),
            lines: self.lines.borrow().lines(),
        }
    }
}

fn csv_error(path: &Path, error: csv::Error) -> FormatError {
    // Rows are read as bytes and of any length, so reading is the only thing that can fail.
    let source = match error.into_kind() {
        csv::ErrorKind::Io(source) => source,
        other => io::Error::new(io::ErrorKind::InvalidData, format!("{other:?}")),
    };
    FormatError::io(path)(source)
}

/// Line numbers for the csv crate's records, whose own positions count a record after
/// blank lines or a CRLF on the wrong line. Filled as the text streams through [`Tracked`];
/// only the lines between the parser and the read-ahead are kept.
#[derive(Default)]
struct LineStarts {
    /// `(offset of the first non-blank byte, line)` of the lines read ahead.
    starts: VecDeque<(u64, usize)>,
    /// Bytes seen so far.
    offset: u64,
    /// Line terminators seen so far (CRLF counts once).
    terminators: usize,
    /// Whether the current line has a non-blank byte yet.
    has_content: bool,
    /// Whether the current line has any byte yet.
    has_bytes: bool,
    /// Whether the last byte was a CR, so that a following LF ends no line.
    after_cr: bool,
}

impl LineStarts {
    fn scan(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            match byte {
                b'\n' if self.after_cr => self.after_cr = false,
                b'\n' | b'\r' => {
                    self.terminators += 1;
                    self.has_content = false;
                    self.has_bytes = false;
                    self.after_cr = byte == b'\r';
                }
                _ => {
                    self.after_cr = false;
                    self.has_bytes = true;
                    if !self.has_content && !byte.is_ascii_whitespace() {
                        self.has_content = true;
                        self.starts.push_back((self.offset, self.terminators + 1));
                    }
                }
            }
            self.offset += 1;
        }
    }

    /// The line of a record that the parser starts at byte `start`: the first non-blank
    /// line at or after it (the parser skips blank lines, and a CRLF's LF, by itself).
    fn line_at(&mut self, start: u64) -> usize {
        while self
            .starts
            .front()
            .is_some_and(|&(offset, _)| offset < start)
        {
            self.starts.pop_front();
        }
        match self.starts.front() {
            Some(&(_, line)) => line,
            None => self.terminators + 1,
        }
    }

    /// Whether a non-blank byte lies in `start..end`.
    fn has_content(&mut self, start: u64, end: u64) -> bool {
        self.line_at(start);
        self.starts.front().is_some_and(|&(offset, _)| offset < end)
    }

    /// The number of lines seen, a last line without a terminator included.
    fn lines(&self) -> usize {
        self.terminators + usize::from(self.has_bytes)
    }
}

/// Passes the text to the csv reader, noting where lines start.
struct Tracked<R> {
    inner: R,
    lines: Rc<RefCell<LineStarts>>,
}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.lines.borrow_mut().scan(&buf[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    const IRIS_LIKE: &str = "150,4,setosa,versicolor,virginica\n\
                             5.1,3.5,1.4,0.2,0\n\
                             7.0,3.2,4.7,1.4,1\n\
                             6.3,3.3,6.0,2.5,2\n";

    fn write(dir: &tempfile::TempDir, name: &str, text: &[u8]) -> PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write test file");
        path
    }

    fn assert_message(error: &FormatError, parts: &[&str]) {
        let message = error.to_string();
        for part in parts {
            assert!(message.contains(part), "`{part}` missing from: {message}");
        }
    }

    fn read_both(path: &Path, columns: &Columns) -> Table {
        let table = read(path, columns).expect("read");
        let header = read_shape(path, columns).expect("read_shape");
        assert_eq!(
            (header.count, &header.element_shape),
            (table.count, &table.element_shape)
        );
        table
    }

    #[test]
    fn metadata_header_is_skipped_and_columns_select() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(&dir, "iris.csv", IRIS_LIKE.as_bytes());

        let all = read_both(&path, &Columns::All);
        assert_eq!((all.count, all.element_shape.as_slice()), (3, &[5][..]));
        assert_eq!(all.element(1), [7.0, 3.2, 4.7, 1.4, 1.0]);

        let features = read_both(&path, &Columns::Range { start: 0, end: 4 });
        assert_eq!(
            (features.count, features.element_shape.as_slice()),
            (3, &[4][..])
        );
        assert_eq!(features.element(2), [6.3, 3.3, 6.0, 2.5]);

        let labels = read_both(&path, &Columns::Single(4));
        assert_eq!((labels.count, labels.element_shape.len()), (3, 0));
        assert_eq!(labels.values, [0.0, 1.0, 2.0]);

        let middle = read_both(&path, &Columns::Range { start: 1, end: 3 });
        assert_eq!(middle.values, [3.5, 1.4, 3.2, 4.7, 3.3, 6.0]);
    }

    #[test]
    fn numeric_first_row_is_data_and_names_are_a_header() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(&dir, "plain.csv", b"1,2\n3,4\n");
        assert_eq!(read_both(&path, &Columns::All).values, [1.0, 2.0, 3.0, 4.0]);
        let path = write(&dir, "named.csv", b"x, y\n1,2\n3,4\n");
        assert_eq!(read_both(&path, &Columns::All).values, [1.0, 2.0, 3.0, 4.0]);
        // Only the first line may be a header.
        let path = write(&dir, "twice.csv", b"x,y\nx,y\n1,2\n");
        let error = read(&path, &Columns::All).expect_err("second header");
        assert!(matches!(
            error,
            FormatError::NotNumeric {
                line: 2,
                column: 1,
                ..
            }
        ));
    }

    #[test]
    fn whitespace_blank_lines_crlf_bom_and_gzip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let text = b"\xEF\xBB\xBF 1 , -2.5e1 \r\n\r\n   \n3,+4\r\n\n";
        let path = write(&dir, "messy.txt", text);
        let table = read_both(&path, &Columns::All);
        assert_eq!(table.values, [1.0, -25.0, 3.0, 4.0]);
        let packed = write(&dir, "messy.csv.gz", &crate::idx::tests::gzip(text));
        assert_eq!(read_both(&packed, &Columns::All), table);
    }

    #[test]
    fn ragged_row_names_line_and_counts() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut text = IRIS_LIKE.to_string();
        text.push_str("\n\n5.0,3.6,1.4,0\n");
        let path = write(&dir, "iris.csv", text.as_bytes());
        let error = read(&path, &Columns::All).expect_err("ragged");
        assert!(
            matches!(
                error,
                FormatError::Ragged {
                    line: 7,
                    expected: 5,
                    found: 4,
                    ..
                }
            ),
            "{error:?}"
        );
        assert_message(
            &error,
            &["iris.csv` line 7: expected 5 fields like the rows above, found 4"],
        );
    }

    #[test]
    fn non_numeric_field_names_line_column_and_text() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(&dir, "iris.csv", b"h,e,a,d,r\n1,2,3,4,5\n1,abc,3,4,5\n");
        // Unselected columns are checked too.
        let error = read(&path, &Columns::Single(0)).expect_err("not numeric");
        assert!(
            matches!(&error, FormatError::NotNumeric { line: 3, column: 2, text, .. } if text == "abc")
        );
        assert_message(
            &error,
            &["iris.csv` line 3, column 2: `abc` is not a number"],
        );
        let path = write(&dir, "gap.csv", b"1,2,3\n1,,3\n");
        let error = read(&path, &Columns::All).expect_err("empty field");
        assert_message(&error, &["gap.csv` line 2, column 2: `` is not a number"]);
    }

    #[test]
    fn column_beyond_the_row_names_the_column_count() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(&dir, "iris.csv", IRIS_LIKE.as_bytes());
        for columns in [Columns::Single(5), Columns::Range { start: 2, end: 6 }] {
            for error in [
                read(&path, &columns).expect_err("out of range"),
                read_shape(&path, &columns).expect_err("out of range"),
            ] {
                assert!(
                    matches!(
                        error,
                        FormatError::ColumnOutOfRange {
                            line: 2,
                            columns: 5,
                            ..
                        }
                    ),
                    "{error:?}"
                );
                assert_message(
                    &error,
                    &["iris.csv` line 2: column", "the rows have 5 fields"],
                );
            }
        }
        let error = read(&path, &Columns::Single(9)).expect_err("out of range");
        assert_message(&error, &["column 9 requested"]);
    }

    #[test]
    fn reversed_range_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(&dir, "iris.csv", IRIS_LIKE.as_bytes());
        #[allow(clippy::reversed_empty_ranges)]
        let columns = Columns::Range { start: 3, end: 1 };
        let error = read(&path, &columns).expect_err("reversed");
        assert!(matches!(error, FormatError::BadColumns { .. }));
        assert_message(&error, &["iris.csv`: columns 3..1 is a reversed range"]);
        // An empty range is a valid, if useless, selection.
        let table = read_both(&path, &Columns::Range { start: 2, end: 2 });
        assert_eq!((table.count, table.element_shape.as_slice()), (3, &[0][..]));
    }

    #[test]
    fn no_data_rows_is_empty() {
        let dir = tempfile::tempdir().expect("tempdir");
        for (name, text, lines) in [("blank.csv", &b""[..], 0), ("header.csv", b"a,b\n\n", 2)] {
            let path = write(&dir, name, text);
            for error in [
                read(&path, &Columns::All).expect_err("empty"),
                read_shape(&path, &Columns::All).expect_err("empty"),
            ] {
                assert!(
                    matches!(error, FormatError::Empty { lines: l, .. } if l == lines),
                    "{error:?}"
                );
                assert_message(&error, &[name, &format!("no data rows: its {lines} lines")]);
            }
        }
    }
}
