//! Numeric CSV files (optionally gzip): one element per row.
//!
//! Fields are separated by commas and trimmed; blank lines are skipped. The first line is a
//! header, and skipped, when any of its fields is not a number; that covers both column
//! names and sklearn's metadata lines such as `150,4,setosa,versicolor,virginica`. Every
//! data field must be a number, including the columns not selected, so that a stray text
//! field is reported instead of silently shifting what a row means.

use std::io::BufRead;
use std::ops::Range;
use std::path::Path;

use crate::{Columns, FormatError, Header, Table, gzip};

/// Reads the selected columns of every data row.
///
/// `Columns::Single` gives scalar elements (shape `[]`), `Columns::Range(a..b)` elements of
/// shape `[b - a]`, `Columns::All` elements of shape `[fields per row]`.
pub fn read(path: &Path, columns: &Columns) -> Result<Table, FormatError> {
    columns.check(path)?;
    parse(gzip::open(path)?.reader, path, columns)
}

/// Reads the header and the first data row, and counts the remaining non-blank lines
/// without parsing them: `count` is exact for a file that [`read`] accepts.
pub fn read_shape(path: &Path, columns: &Columns) -> Result<Header, FormatError> {
    columns.check(path)?;
    let mut lines = Lines::new(gzip::open(path)?.reader, path);
    let Some(first) = first_row(&mut lines, columns)? else {
        return Err(lines.empty());
    };
    let mut count = 1;
    while lines.next()?.is_some() {
        count += 1;
    }
    Ok(Header {
        count,
        element_shape: columns.element_shape(first.fields),
    })
}

/// Parses CSV text from any reader; `path` only labels errors.
pub(crate) fn parse(
    reader: impl BufRead,
    path: &Path,
    columns: &Columns,
) -> Result<Table, FormatError> {
    columns.check(path)?;
    let mut lines = Lines::new(reader, path);
    let Some(first) = first_row(&mut lines, columns)? else {
        return Err(lines.empty());
    };
    let mut values = Vec::new();
    let mut count = 0;
    let mut line = first.line;
    loop {
        let text = lines.text();
        let found = field_count(text);
        if found != first.fields {
            return Err(FormatError::Ragged {
                path: path.to_path_buf(),
                line,
                expected: first.fields,
                found,
            });
        }
        for (index, field) in fields(text).enumerate() {
            let value = number(field).ok_or_else(|| FormatError::NotNumeric {
                path: path.to_path_buf(),
                line,
                column: index + 1,
                text: String::from_utf8_lossy(field).into_owned(),
            })?;
            if first.selected.contains(&index) {
                values.push(value);
            }
        }
        count += 1;
        match lines.next()? {
            Some(next) => line = next,
            None => break,
        }
    }
    Ok(Table {
        values,
        element_shape: columns.element_shape(first.fields),
        count,
    })
}

/// The first data row: where it is, how many fields rows have, which ones are selected.
struct FirstRow {
    line: usize,
    fields: usize,
    selected: Range<usize>,
}

/// Skips the header if there is one and checks the selection against the first data row;
/// `None` when there is no data row.
fn first_row<R: BufRead>(
    lines: &mut Lines<'_, R>,
    columns: &Columns,
) -> Result<Option<FirstRow>, FormatError> {
    let Some(mut line) = lines.next()? else {
        return Ok(None);
    };
    if fields(lines.text()).any(|field| number(field).is_none()) {
        match lines.next()? {
            Some(next) => line = next,
            None => return Ok(None),
        }
    }
    let count = field_count(lines.text());
    let selected = columns
        .bounds(count)
        .ok_or_else(|| FormatError::ColumnOutOfRange {
            path: lines.path.to_path_buf(),
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

fn fields(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    line.split(|&b| b == b',').map(<[u8]>::trim_ascii)
}

fn field_count(line: &[u8]) -> usize {
    line.iter().filter(|&&b| b == b',').count() + 1
}

fn number(field: &[u8]) -> Option<f32> {
    std::str::from_utf8(field).ok()?.parse().ok()
}

/// Non-blank lines with their 1-based line numbers.
struct Lines<'a, R> {
    reader: R,
    path: &'a Path,
    buf: Vec<u8>,
    line: usize,
}

impl<'a, R: BufRead> Lines<'a, R> {
    fn new(reader: R, path: &'a Path) -> Self {
        Lines {
            reader,
            path,
            buf: Vec::new(),
            line: 0,
        }
    }

    /// Advances to the next non-blank line and returns its number.
    fn next(&mut self) -> Result<Option<usize>, FormatError> {
        loop {
            self.buf.clear();
            let read = self
                .reader
                .read_until(b'\n', &mut self.buf)
                .map_err(FormatError::io(self.path))?;
            if read == 0 {
                return Ok(None);
            }
            self.line += 1;
            // Excel writes a byte-order mark; left in place it would make the first data
            // row look like a header and be dropped.
            if self.line == 1 && self.buf.starts_with(b"\xEF\xBB\xBF") {
                self.buf.drain(..3);
            }
            if !self.buf.trim_ascii().is_empty() {
                return Ok(Some(self.line));
            }
        }
    }

    /// The current line, trimmed.
    fn text(&self) -> &[u8] {
        self.buf.trim_ascii()
    }

    fn empty(&self) -> FormatError {
        FormatError::Empty {
            path: self.path.to_path_buf(),
            lines: self.line,
        }
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

        let features = read_both(&path, &Columns::Range(0..4));
        assert_eq!(
            (features.count, features.element_shape.as_slice()),
            (3, &[4][..])
        );
        assert_eq!(features.element(2), [6.3, 3.3, 6.0, 2.5]);

        let labels = read_both(&path, &Columns::Single(4));
        assert_eq!((labels.count, labels.element_shape.len()), (3, 0));
        assert_eq!(labels.values, [0.0, 1.0, 2.0]);

        let middle = read_both(&path, &Columns::Range(1..3));
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
        for columns in [Columns::Single(5), Columns::Range(2..6)] {
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
        let columns = Columns::Range(3..1);
        let error = read(&path, &columns).expect_err("reversed");
        assert!(matches!(error, FormatError::BadColumns { .. }));
        assert_message(&error, &["iris.csv`: columns 3..1 is a reversed range"]);
        // An empty range is a valid, if useless, selection.
        let table = read_both(&path, &Columns::Range(2..2));
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
