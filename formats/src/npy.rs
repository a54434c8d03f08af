//! NPY files as written by `numpy.save` (versions 1.0, 2.0 and 3.0, optionally gzip).
//!
//! The first axis of the array is the element axis: shape `(n, a, b)` gives `n` elements of
//! shape `[a, b]`, `(n,)` gives `n` scalar elements, and a 0-d array `()` is one scalar.
//!
//! The header dictionary is a Python literal, parsed with the
//! [`py_literal`](https://docs.rs/py_literal) crate (the parser `npyz` and `ndarray-npy` use).
//! `npyz` itself is not used to read the header: its `NpyHeader::from_reader` panics with
//! "attempt to multiply with overflow" on a shape whose product exceeds `u64`, such as
//! `(4294967296, 4294967296, 16)` (npyz 0.9.1, measured), which a corrupt file must not do;
//! it reports no byte offsets; and its typed readers convert nothing to `f32`. The fixed
//! preamble, the exact payload size checks and the conversion are the crate's own, shared
//! with IDX.
//!
//! A shape with a 0 in it is [`FormatError::ZeroDimension`]. Float values that are NaN,
//! infinite, or (stored as `f64`) beyond the `f32` range are [`FormatError::NotFiniteValue`]
//! unless [`ReadOptions::allow_non_finite`] is set.

use std::io::Read;
use std::path::Path;

use py_literal::Value;

use crate::binary::{self, Endian, HeaderReader, Layout, Scalar};
use crate::{FormatError, Header, ReadOptions, Table, gzip};

const MAGIC: &[u8; 6] = b"\x93NUMPY";

const MAGIC_HELP: &str = "an NPY file starts with \\x93NUMPY, two version bytes and the header \
                          length (save it with `numpy.save`)";

const SUPPORTED: &str = "'<f4', '<f8', '|u1', '|i1', '<i2', '<i4', '<i8', '<u2', '<u4', '<u8', \
                         '|b1' (and '>' big-endian variants)";

/// Deeper nesting than this is no NPY header. Checked before parsing, so that a corrupt
/// header of nested brackets costs no deep recursion in the parser.
const MAX_DEPTH: usize = 16;

struct NpyHeader {
    scalar: Scalar,
    endian: Endian,
    descr: String,
    count: usize,
    element_shape: Vec<usize>,
    header_len: u64,
    payload_len: u64,
}

impl NpyHeader {
    fn layout<'a>(&'a self, path: &'a Path) -> Layout<'a> {
        Layout {
            path,
            count: self.count,
            element_shape: &self.element_shape,
            dtype: &self.descr,
            header_len: self.header_len,
            payload_len: self.payload_len,
        }
    }
}

fn dtype_of(descr: &str) -> Option<(Scalar, Endian)> {
    let (order, code) = match descr.as_bytes().first() {
        Some(&c @ (b'<' | b'>' | b'|' | b'=')) => (Some(c), &descr[1..]),
        _ => (None, descr),
    };
    let scalar = match code {
        "f4" => Scalar::F32,
        "f8" => Scalar::F64,
        "u1" => Scalar::U8,
        "i1" => Scalar::I8,
        "b1" => Scalar::Bool,
        "i2" => Scalar::I16,
        "u2" => Scalar::U16,
        "i4" => Scalar::I32,
        "u4" => Scalar::U32,
        "i8" => Scalar::I64,
        "u8" => Scalar::U64,
        _ => return None,
    };
    let endian = match order {
        Some(b'<') => Endian::Little,
        Some(b'>') => Endian::Big,
        // '|' means "byte order not applicable", which only holds for single bytes.
        Some(b'|') if scalar.size() > 1 => return None,
        _ => Endian::NATIVE,
    };
    Some((scalar, endian))
}

/// The header dictionary as text the parser reads, at the same byte positions: Python 2's
/// long suffix (`(3L, 4L)`) blanked out, and the nesting depth checked.
fn prepare(text: &[u8]) -> Result<String, (usize, String)> {
    let mut out = text.to_vec();
    let (mut depth, mut quote, mut escaped) = (0usize, None, false);
    for i in 0..out.len() {
        let byte = out[i];
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == q {
                quote = None;
            }
            continue;
        }
        match byte {
            b'\'' | b'"' => quote = Some(byte),
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err((i, format!("brackets nested deeper than {MAX_DEPTH} levels")));
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b'L' | b'l' if i > 0 && out[i - 1].is_ascii_digit() => out[i] = b' ',
            _ => {}
        }
    }
    // Headers are ASCII in practice; versions 1.0 and 2.0 allow latin-1, which never
    // appears in a valid dtype, so a lossy conversion loses nothing (and keeps ASCII
    // positions).
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Where in `text` a syntax error is, from the parser's ` --> line:column`, and what it
/// expected there.
fn syntax_error(text: &str, message: &str) -> (usize, String) {
    let location = message.split_once("--> ").and_then(|(_, rest)| {
        let (line, rest) = rest.split_once(':')?;
        let column: String = rest.chars().take_while(char::is_ascii_digit).collect();
        Some((line.parse::<usize>().ok()?, column.parse::<usize>().ok()?))
    });
    let position = location.map_or(0, |(line, column)| {
        let start: usize = text
            .split_inclusive('\n')
            .take(line.saturating_sub(1))
            .map(str::len)
            .sum();
        let column = text[start.min(text.len())..]
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(0, |(at, _)| at);
        start + column
    });
    let reason = message
        .lines()
        .rev()
        .find_map(|line| line.trim().strip_prefix("= "))
        .map_or_else(|| "not a Python literal".to_string(), str::to_string);
    (position.min(text.len()), reason)
}

/// Where the value of `key` starts in the dictionary text, for error offsets.
fn value_position(text: &str, key: &str) -> Option<usize> {
    let found = [format!("'{key}'"), format!("\"{key}\"")]
        .iter()
        .filter_map(|quoted| text.find(quoted.as_str()).map(|at| at + quoted.len()))
        .min()?;
    let rest = &text[found..];
    let colon = rest.find(':')?;
    let after = &rest[colon + 1..];
    Some(found + colon + 1 + (after.len() - after.trim_start().len()))
}

fn read_header<R: Read>(
    reader: &mut HeaderReader<'_, R>,
    path: &Path,
) -> Result<NpyHeader, FormatError> {
    let bad = |offset: u64, reason: String| FormatError::BadNpyHeader {
        path: path.to_path_buf(),
        offset,
        reason,
    };
    let magic: [u8; 6] = reader.array("the magic string \\x93NUMPY")?;
    if &magic != MAGIC {
        return Err(FormatError::BadMagic {
            path: path.to_path_buf(),
            offset: 0,
            found: format!("`{}`", magic.escape_ascii()),
            expected: MAGIC_HELP,
        });
    }
    let [major, minor]: [u8; 2] = reader.array("the format version (2 bytes)")?;
    let dict_len = match (major, minor) {
        (1, 0) => u64::from(u16::from_le_bytes(
            reader.array("the header length (little-endian u16)")?,
        )),
        (2 | 3, 0) => u64::from(u32::from_le_bytes(
            reader.array("the header length (little-endian u32)")?,
        )),
        _ => {
            return Err(bad(
                6,
                format!("unsupported version {major}.{minor}; supported: 1.0, 2.0, 3.0"),
            ));
        }
    };
    let dict_start = reader.offset();
    let bytes = reader.bytes(
        usize::try_from(dict_len).unwrap_or(usize::MAX),
        &format!("the {dict_len}-byte header dictionary"),
    )?;
    let at = |pos: usize| dict_start + pos as u64;
    let text = prepare(&bytes).map_err(|(pos, reason)| bad(at(pos), reason))?;
    let top: Value = text.trim_end().parse().map_err(|error| {
        let (pos, reason) = match error {
            py_literal::ParseError::Syntax(message) => syntax_error(&text, &message),
            other => (0, other.to_string()),
        };
        bad(at(pos), reason)
    })?;
    let Value::Dict(entries) = top else {
        return Err(bad(dict_start, "the header is not a dictionary".into()));
    };
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    for (key, value) in entries {
        match key {
            Value::String(k) if k == "descr" => descr = Some(value),
            Value::String(k) if k == "fortran_order" => fortran = Some(value),
            Value::String(k) if k == "shape" => shape = Some(value),
            // numpy itself rejects other keys; ignoring them costs nothing and reads more.
            _ => {}
        }
    }
    let missing = |key: &str| bad(dict_start, format!("the dictionary has no '{key}' key"));
    let position = |key: &str| at(value_position(&text, key).unwrap_or(0));

    let descr = descr.ok_or_else(|| missing("descr"))?;
    let unsupported = |dtype: String| FormatError::UnsupportedDtype {
        path: path.to_path_buf(),
        offset: position("descr"),
        dtype,
        supported: SUPPORTED,
    };
    let descr = match descr {
        Value::String(s) => s,
        Value::List(_) => return Err(unsupported("(a structured dtype)".into())),
        other => {
            return Err(bad(
                position("descr"),
                format!("'descr' is {other}, not a string"),
            ));
        }
    };
    let (scalar, endian) = dtype_of(&descr).ok_or_else(|| unsupported(format!("'{descr}'")))?;

    match fortran.ok_or_else(|| missing("fortran_order"))? {
        Value::Boolean(false) => {}
        Value::Boolean(true) => {
            return Err(FormatError::FortranOrder {
                path: path.to_path_buf(),
                offset: position("fortran_order"),
            });
        }
        other => {
            return Err(bad(
                position("fortran_order"),
                format!("'fortran_order' is {other}, not True or False"),
            ));
        }
    }

    let shape_at = position("shape");
    let (Value::Tuple(items) | Value::List(items)) = shape.ok_or_else(|| missing("shape"))? else {
        return Err(bad(shape_at, "'shape' is not a tuple".into()));
    };
    let dims = items
        .iter()
        .map(|item| {
            let text = match item {
                Value::Integer(d) => d.to_string(),
                other => other.to_string(),
            };
            match (item, text.parse::<u64>()) {
                (Value::Integer(_), Ok(d)) => Ok(d),
                (Value::Integer(_), Err(_)) if !text.starts_with('-') => Err(bad(
                    shape_at,
                    format!("'shape' holds {text}, more than any file can hold"),
                )),
                _ => Err(bad(
                    shape_at,
                    format!("'shape' holds {text}, not a non-negative integer"),
                )),
            }
        })
        .collect::<Result<Vec<u64>, _>>()?;
    binary::check_dims(path, shape_at, &dims, true)?;
    let (_, payload_len) = binary::payload_len(path, shape_at, &dims, scalar)?;
    // Every dimension fits in usize now: their product did.
    let dims: Vec<usize> = dims.iter().map(|&d| d as usize).collect();
    let (count, element_shape) = match dims.split_first() {
        Some((&count, rest)) => (count, rest.to_vec()),
        None => (1, Vec::new()),
    };
    Ok(NpyHeader {
        scalar,
        endian,
        descr,
        count,
        element_shape,
        header_len: reader.offset(),
        payload_len,
    })
}

/// Reads a whole NPY file (plain or gzip) into a table, strictly ([`ReadOptions::default`]).
///
/// Fortran-ordered arrays are refused with [`FormatError::FortranOrder`] rather than
/// transposed silently; the payload size must match the header exactly.
pub fn read(path: &Path) -> Result<Table, FormatError> {
    read_with(path, &ReadOptions::default())
}

/// [`read`] with `options` (of which only [`ReadOptions::allow_non_finite`] matters).
pub fn read_with(path: &Path, options: &ReadOptions) -> Result<Table, FormatError> {
    let source = gzip::open(path)?;
    let mut reader = HeaderReader::new(source.reader, path);
    let header = read_header(&mut reader, path)?;
    let layout = header.layout(path);
    let bytes = layout.read_payload(&mut reader.into_inner())?;
    let values = binary::decode(&bytes, header.scalar, header.endian);
    binary::check_finite(
        &layout,
        &values,
        &bytes,
        header.scalar,
        header.endian,
        options,
    )?;
    Ok(Table {
        values,
        element_shape: header.element_shape,
        count: header.count,
        lines: None,
    })
}

/// Reads only the header of an NPY file (and, when uncompressed, checks the file size).
pub fn read_shape(path: &Path) -> Result<Header, FormatError> {
    let source = gzip::open(path)?;
    let (compressed, file_len) = (source.compressed, source.file_len);
    let mut reader = HeaderReader::new(source.reader, path);
    let header = read_header(&mut reader, path)?;
    if !compressed {
        header.layout(path).check_file_len(file_len)?;
    }
    Ok(Header {
        count: header.count,
        element_shape: header.element_shape,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use std::path::PathBuf;

    use super::*;

    /// A version 1.0 NPY file the way numpy writes it: the dictionary padded with spaces and
    /// a newline so the data starts at a multiple of 64.
    pub(crate) fn npy_bytes(descr: &str, fortran: bool, shape: &str, payload: &[u8]) -> Vec<u8> {
        let fortran = if fortran { "True" } else { "False" };
        let mut dict =
            format!("{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape}, }}");
        while (10 + dict.len() + 1) % 64 != 0 {
            dict.push(' ');
        }
        dict.push('\n');
        let mut out = MAGIC.to_vec();
        out.extend([1, 0]);
        out.extend((dict.len() as u16).to_le_bytes());
        out.extend(dict.as_bytes());
        out.extend(payload);
        out
    }

    fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write test file");
        path
    }

    fn assert_message(error: &FormatError, parts: &[&str]) {
        let message = error.to_string();
        for part in parts {
            assert!(message.contains(part), "`{part}` missing from: {message}");
        }
    }

    fn read_both(path: &Path) -> Table {
        let table = read(path).expect("read");
        let header = read_shape(path).expect("read_shape");
        assert_eq!(
            (header.count, &header.element_shape),
            (table.count, &table.element_shape)
        );
        table
    }

    #[test]
    fn f4_matrix() {
        let dir = tempfile::tempdir().expect("tempdir");
        let values = [1.0f32, -2.5, 3.25, 4.0, 5.5, -6.0];
        let payload: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let path = write(&dir, "x.npy", &npy_bytes("<f4", false, "(3, 2)", &payload));
        let table = read_both(&path);
        assert_eq!((table.count, table.element_shape.as_slice()), (3, &[2][..]));
        assert_eq!(table.values, values);
        assert_eq!(table.element(2), [5.5, -6.0]);
    }

    #[test]
    fn f8_three_dimensional() {
        let dir = tempfile::tempdir().expect("tempdir");
        let values: Vec<f64> = (0..12).map(|i| f64::from(i) * 0.5 - 1.0).collect();
        let payload: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let path = write(
            &dir,
            "x.npy",
            &npy_bytes("<f8", false, "(2, 3, 2)", &payload),
        );
        let table = read_both(&path);
        assert_eq!(
            (table.count, table.element_shape.as_slice()),
            (2, &[3, 2][..])
        );
        let expected: Vec<f32> = values.iter().map(|&v| v as f32).collect();
        assert_eq!(table.values, expected);
    }

    #[test]
    fn u1_labels_and_scalar_elements() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(
            &dir,
            "y.npy",
            &npy_bytes("|u1", false, "(4,)", &[0, 2, 1, 255]),
        );
        let table = read_both(&path);
        assert_eq!((table.count, table.element_shape.len()), (4, 0));
        assert_eq!(table.values, [0.0, 2.0, 1.0, 255.0]);

        let path = write(
            &dir,
            "s.npy",
            &npy_bytes("<f4", false, "()", &7.5f32.to_le_bytes()),
        );
        let table = read_both(&path);
        assert_eq!((table.count, table.element_shape.len()), (1, 0));
        assert_eq!(table.values, [7.5]);
    }

    #[test]
    fn integer_bool_and_big_endian_types() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cases: [(&str, Vec<u8>, f32); 8] = [
            ("|i1", vec![0xff], -1.0),
            ("|b1", vec![1], 1.0),
            ("<i2", (-300i16).to_le_bytes().to_vec(), -300.0),
            ("<u2", 60000u16.to_le_bytes().to_vec(), 60000.0),
            ("<i4", (-70000i32).to_le_bytes().to_vec(), -70000.0),
            ("<u4", 70000u32.to_le_bytes().to_vec(), 70000.0),
            ("<i8", (-9i64).to_le_bytes().to_vec(), -9.0),
            (">f4", 0.75f32.to_be_bytes().to_vec(), 0.75),
        ];
        for (descr, payload, value) in cases {
            let path = write(&dir, "one.npy", &npy_bytes(descr, false, "(1,)", &payload));
            assert_eq!(read(&path).expect(descr).values, [value], "{descr}");
        }
    }

    #[test]
    fn versions_2_and_3_and_python2_longs() {
        let dir = tempfile::tempdir().expect("tempdir");
        for major in [2u8, 3] {
            let dict = b"{\"descr\":\"<i2\",\"fortran_order\":False,\"shape\":(2L,)}\n";
            let mut bytes = MAGIC.to_vec();
            bytes.extend([major, 0]);
            bytes.extend((dict.len() as u32).to_le_bytes());
            bytes.extend(dict);
            bytes.extend([1, 0, 2, 0]);
            let path = write(&dir, "v.npy", &bytes);
            let table = read_both(&path);
            assert_eq!(table.values, [1.0, 2.0]);
        }
    }

    #[test]
    fn gzip_npy_reads() {
        let dir = tempfile::tempdir().expect("tempdir");
        let bytes = npy_bytes("|u1", false, "(2, 2)", &[1, 2, 3, 4]);
        let plain = write(&dir, "a.npy", &bytes);
        let packed = write(&dir, "a.npy.gz", &crate::idx::tests::gzip(&bytes));
        assert_eq!(read(&plain).expect("plain"), read_both(&packed));
    }

    #[test]
    fn fortran_order_is_refused_with_a_fix() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(&dir, "f.npy", &npy_bytes("<f4", true, "(2, 2)", &[0; 16]));
        let error = read(&path).expect_err("fortran");
        // 10 bytes of preamble, then `{'descr': '<f4', 'fortran_order': ` is 34 bytes.
        assert!(
            matches!(error, FormatError::FortranOrder { offset: 44, .. }),
            "{error:?}"
        );
        assert_message(
            &error,
            &["f.npy`", "at byte 44", "save the array with C order"],
        );
    }

    #[test]
    fn unsupported_dtypes_name_the_type() {
        let dir = tempfile::tempdir().expect("tempdir");
        for descr in ["<c8", "<f2", "|i4", "<U3"] {
            let path = write(&dir, "c.npy", &npy_bytes(descr, false, "(1,)", &[0; 8]));
            let error = read_shape(&path).expect_err(descr);
            assert!(
                matches!(error, FormatError::UnsupportedDtype { offset: 20, .. }),
                "{error:?}"
            );
            assert_message(
                &error,
                &[
                    "c.npy`: unsupported element type",
                    descr,
                    "at byte 20",
                    "'<f4'",
                ],
            );
        }
    }

    #[test]
    fn bad_headers_name_the_byte() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut version = npy_bytes("<f4", false, "(1,)", &[0; 4]);
        version[6] = 4;
        let cases: [(&str, Vec<u8>, u64); 4] = [
            ("unsupported version 4.0", version, 6),
            (
                "not a non-negative integer",
                npy_bytes("<f4", false, "(-1,)", &[]),
                60,
            ),
            (
                "no 'shape' key",
                {
                    let mut b = npy_bytes("<f4", false, "(1,)", &[0; 4]);
                    let i = b.windows(7).position(|w| w == b"'shape'").expect("key");
                    b[i + 1] = b'x';
                    b
                },
                10,
            ),
            // The parser points at the end of the tuple that `'oops'` follows.
            (
                "expected value",
                npy_bytes("<f4", false, "(1,) 'oops'", &[0; 4]),
                63,
            ),
        ];
        for (reason, bytes, offset) in cases {
            let path = write(&dir, "h.npy", &bytes);
            let error = read(&path).expect_err(reason);
            assert!(
                matches!(&error, FormatError::BadNpyHeader { offset: o, .. } if *o == offset),
                "{error:?}"
            );
            assert_message(&error, &["h.npy`: bad NPY header at byte", reason]);
        }
    }

    #[test]
    fn wrong_magic_and_size_mismatches() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(&dir, "png.npy", b"\x89PNG\r\n\x1a\n....");
        let error = read(&path).expect_err("magic");
        assert!(matches!(error, FormatError::BadMagic { offset: 0, .. }));
        assert_message(
            &error,
            &[
                "png.npy`: wrong magic number `\\x89PNG\\r\\n` at byte 0",
                "\\x93NUMPY",
            ],
        );

        let path = write(&dir, "short.npy", &npy_bytes("<f4", false, "(3,)", &[0; 8]));
        let error = read_shape(&path).expect_err("short");
        assert!(matches!(
            error,
            FormatError::Truncated {
                expected: 12,
                found: 8,
                header_len: 128,
                ..
            }
        ));
        assert_message(
            &error,
            &["3 elements of [] <f4 (12 bytes after the 128-byte header)"],
        );

        let path = write(&dir, "long.npy", &npy_bytes("|u1", false, "(3,)", &[0; 4]));
        assert!(matches!(
            read(&path),
            Err(FormatError::TrailingBytes {
                expected: 3,
                found: 4,
                ..
            })
        ));
    }
}
