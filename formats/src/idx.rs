//! IDX files, the format of MNIST and its relatives (optionally gzip-compressed).
//!
//! Layout, all integers big-endian: two zero bytes, a type byte (0x08 u8, 0x09 i8, 0x0B
//! i16, 0x0C i32, 0x0D f32, 0x0E f64), the number of dimensions, then one `u32` per
//! dimension, then the values in row-major order. The first dimension is the number of
//! elements; the others are the shape of one element. Values are returned as stored
//! (pixels stay in 0..=255): scaling is the caller's decision.
//!
//! A header declaring a dimension of 0 is [`FormatError::ZeroDimension`]. Float values that
//! are NaN, infinite, or (stored as `f64`) beyond the `f32` range are
//! [`FormatError::NotFiniteValue`] unless [`ReadOptions::allow_non_finite`] is set.

use std::io::Read;
use std::path::Path;

use crate::binary::{self, Endian, HeaderReader, Layout, Scalar};
use crate::{FormatError, Header, ReadOptions, Table, gzip};

const MAGIC_HELP: &str = "an IDX file starts with 0x0000 followed by a type byte (0x08 u8, \
                          0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64) and the number of \
                          dimensions (at least 1)";

const SUPPORTED: &str = "0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64";

struct IdxHeader {
    scalar: Scalar,
    dtype: &'static str,
    count: usize,
    element_shape: Vec<usize>,
    header_len: u64,
    payload_len: u64,
}

impl IdxHeader {
    fn layout<'a>(&'a self, path: &'a Path) -> Layout<'a> {
        Layout {
            path,
            count: self.count,
            element_shape: &self.element_shape,
            dtype: self.dtype,
            header_len: self.header_len,
            payload_len: self.payload_len,
        }
    }
}

fn read_header<R: Read>(
    reader: &mut HeaderReader<'_, R>,
    path: &Path,
) -> Result<IdxHeader, FormatError> {
    let magic: [u8; 4] = reader.array("the 4-byte magic number")?;
    let [zero0, zero1, type_byte, ndims] = magic;
    if zero0 != 0 || zero1 != 0 || ndims == 0 {
        return Err(FormatError::BadMagic {
            path: path.to_path_buf(),
            offset: 0,
            found: format!("0x{:08X}", u32::from_be_bytes(magic)),
            expected: MAGIC_HELP,
        });
    }
    let (scalar, dtype) = match type_byte {
        0x08 => (Scalar::U8, "u8"),
        0x09 => (Scalar::I8, "i8"),
        0x0B => (Scalar::I16, "i16"),
        0x0C => (Scalar::I32, "i32"),
        0x0D => (Scalar::F32, "f32"),
        0x0E => (Scalar::F64, "f64"),
        other => {
            return Err(FormatError::UnsupportedDtype {
                path: path.to_path_buf(),
                offset: 2,
                dtype: format!("0x{other:02X}"),
                supported: SUPPORTED,
            });
        }
    };
    let mut dims = Vec::with_capacity(usize::from(ndims));
    for d in 0..ndims {
        let raw: [u8; 4] = reader.array(&format!(
            "the size of dimension {d} of {ndims} (big-endian u32)"
        ))?;
        dims.push(u64::from(u32::from_be_bytes(raw)));
    }
    binary::check_dims(path, 4, &dims, false)?;
    let (_, payload_len) = binary::payload_len(path, 4, &dims, scalar)?;
    // Every dimension fits in usize now: their product did.
    let dims: Vec<usize> = dims.iter().map(|&d| d as usize).collect();
    // ndims >= 1 was checked with the magic number, so the split always succeeds.
    let (count, element_shape) = match dims.split_first() {
        Some((&count, rest)) => (count, rest.to_vec()),
        None => (1, Vec::new()),
    };
    Ok(IdxHeader {
        scalar,
        dtype,
        count,
        element_shape,
        header_len: reader.offset(),
        payload_len,
    })
}

/// Reads a whole IDX file (plain or gzip) into a table of unscaled values, strictly
/// ([`ReadOptions::default`]).
///
/// The payload size must match the header exactly: a short file is
/// [`FormatError::Truncated`], extra bytes are [`FormatError::TrailingBytes`].
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
    let values = binary::decode(&bytes, header.scalar, Endian::Big);
    binary::check_finite(
        &layout,
        &values,
        &bytes,
        header.scalar,
        Endian::Big,
        options,
    )?;
    Ok(Table {
        values,
        element_shape: header.element_shape,
        count: header.count,
        lines: None,
    })
}

/// Reads only the header of an IDX file.
///
/// For an uncompressed file the file size is checked against the header too (it costs
/// nothing); a gzip file is not decompressed beyond its header.
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
    use std::io::Write;
    use std::path::PathBuf;

    use super::*;

    /// An IDX file: header for `dims` with `type_byte`, then `payload` verbatim.
    pub(crate) fn idx_bytes(type_byte: u8, dims: &[u32], payload: &[u8]) -> Vec<u8> {
        let mut out = vec![0, 0, type_byte, dims.len() as u8];
        for d in dims {
            out.extend(d.to_be_bytes());
        }
        out.extend(payload);
        out
    }

    pub(crate) fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(bytes).expect("in-memory write");
        encoder.finish().expect("in-memory write")
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

    fn check_shape(path: &Path, table: &Table) {
        let header = read_shape(path).expect("read_shape");
        assert_eq!(header.count, table.count);
        assert_eq!(header.element_shape, table.element_shape);
    }

    #[test]
    fn u8_images_round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let pixels: Vec<u8> = (0..2 * 3 * 2).map(|i| (i * 20) as u8).collect();
        let path = write(&dir, "images.idx3", &idx_bytes(0x08, &[2, 3, 2], &pixels));
        let table = read(&path).expect("read");
        assert_eq!(table.count, 2);
        assert_eq!(table.element_shape, [3, 2]);
        assert_eq!(table.element_len(), 6);
        let expected: Vec<f32> = pixels.iter().map(|&p| f32::from(p)).collect();
        assert_eq!(table.values, expected);
        assert_eq!(table.element(1), &expected[6..]);
        check_shape(&path, &table);
    }

    #[test]
    fn f32_and_i16_round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let floats = [1.5f32, -2.25, 0.0, 1e-3];
        let payload: Vec<u8> = floats.iter().flat_map(|f| f.to_be_bytes()).collect();
        let path = write(&dir, "floats.idx", &idx_bytes(0x0D, &[2, 2], &payload));
        let table = read(&path).expect("read f32");
        assert_eq!((table.count, table.element_shape.as_slice()), (2, &[2][..]));
        assert_eq!(table.values, floats);
        check_shape(&path, &table);

        let shorts = [-32768i16, -1, 0, 300, 32767];
        let payload: Vec<u8> = shorts.iter().flat_map(|s| s.to_be_bytes()).collect();
        let path = write(&dir, "shorts.idx1", &idx_bytes(0x0B, &[5], &payload));
        let table = read(&path).expect("read i16");
        assert_eq!((table.count, table.element_shape.len()), (5, 0));
        let expected: Vec<f32> = shorts.iter().map(|&s| f32::from(s)).collect();
        assert_eq!(table.values, expected);
        check_shape(&path, &table);
    }

    #[test]
    fn other_types_decode() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cases: [(u8, Vec<u8>, f32); 3] = [
            (0x09, vec![0xfe], -2.0),
            (0x0C, (-70000i32).to_be_bytes().to_vec(), -70000.0),
            (0x0E, 0.125f64.to_be_bytes().to_vec(), 0.125),
        ];
        for (type_byte, payload, value) in cases {
            let path = write(&dir, "one.idx", &idx_bytes(type_byte, &[1], &payload));
            assert_eq!(read(&path).expect("read").values, [value]);
        }
    }

    #[test]
    fn gzip_and_plain_give_the_same_table() {
        let dir = tempfile::tempdir().expect("tempdir");
        let pixels: Vec<u8> = (0..4 * 5 * 5).map(|i| (i * 7 % 256) as u8).collect();
        let bytes = idx_bytes(0x08, &[4, 5, 5], &pixels);
        let plain = write(&dir, "t-images-idx3-ubyte", &bytes);
        let packed = write(&dir, "t-images-idx3-ubyte.gz", &gzip(&bytes));
        let table = read(&plain).expect("plain");
        assert_eq!(read(&packed).expect("gzip"), table);
        check_shape(&packed, &table);
        assert_eq!(
            read_shape(&plain).expect("plain"),
            read_shape(&packed).expect("gzip")
        );
    }

    #[test]
    fn a_zero_dimension_is_the_files_fault() {
        let dir = tempfile::tempdir().expect("tempdir");
        let bytes = idx_bytes(0x08, &[0, 28, 28], &[]);
        for (name, bytes) in [("none.idx3", bytes.clone()), ("none.idx3.gz", gzip(&bytes))] {
            let path = write(&dir, name, &bytes);
            for error in [
                read(&path).expect_err("zero count"),
                read_shape(&path).expect_err("zero count"),
            ] {
                assert!(
                    matches!(&error, FormatError::ZeroDimension { offset: 4, dims, .. } if *dims == [0, 28, 28]),
                    "{error:?}"
                );
                assert_message(
                    &error,
                    &[&format!(
                        "{name}` declares a dimension of 0 in its header (dimensions [0, 28, 28] \
                         at byte 4): the file holds no elements"
                    )],
                );
            }
        }
        let path = write(&dir, "flat.idx", &idx_bytes(0x0D, &[3, 0], &[]));
        let error = read(&path).expect_err("zero width");
        assert_message(
            &error,
            &["(dimensions [3, 0] at byte 4): its elements hold no values"],
        );
    }

    #[test]
    fn missing_file_is_io() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("missing.idx");
        let error = read(&path).expect_err("missing");
        assert!(
            matches!(&error, FormatError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
        );
        assert_message(&error, &["cannot read `", "missing.idx`: "]);
        assert!(read_shape(&path).is_err());
    }

    #[test]
    fn truncated_payload_says_expected_and_found() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(&dir, "short.idx3", &idx_bytes(0x08, &[3, 2, 2], &[1; 10]));
        for error in [
            read(&path).expect_err("truncated"),
            read_shape(&path).expect_err("truncated"),
        ] {
            assert!(
                matches!(
                    error,
                    FormatError::Truncated {
                        expected: 12,
                        found: 10,
                        header_len: 16,
                        ..
                    }
                ),
                "{error:?}"
            );
            assert_message(
                &error,
                &[
                    "short.idx3` is truncated",
                    "3 elements of [2, 2] u8",
                    "(12 bytes after the 16-byte header) but 10 bytes follow",
                ],
            );
        }
        let packed = write(
            &dir,
            "short.idx3.gz",
            &gzip(&idx_bytes(0x0D, &[2], &[0; 5])),
        );
        let error = read(&packed).expect_err("truncated gzip");
        assert!(matches!(
            error,
            FormatError::Truncated {
                expected: 8,
                found: 5,
                ..
            }
        ));
        assert_message(
            &error,
            &["short.idx3.gz`", "2 elements of [] f32", "8-byte header"],
        );
    }

    #[test]
    fn trailing_bytes_say_expected_and_found() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(&dir, "long.idx1", &idx_bytes(0x08, &[3], &[1; 5]));
        for error in [
            read(&path).expect_err("trailing"),
            read_shape(&path).expect_err("trailing"),
        ] {
            assert!(
                matches!(
                    error,
                    FormatError::TrailingBytes {
                        expected: 3,
                        found: 5,
                        ..
                    }
                ),
                "{error:?}"
            );
            assert_message(
                &error,
                &[
                    "long.idx1` has trailing bytes",
                    "(3 bytes after the 8-byte header) but 5 bytes follow",
                ],
            );
        }
    }

    #[test]
    fn truncated_header_names_the_offset() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(&dir, "cut.idx", &[0, 0, 8, 2, 0, 0, 0, 5, 0, 0]);
        let error = read_shape(&path).expect_err("cut header");
        assert!(
            matches!(error, FormatError::TruncatedHeader { offset: 10, .. }),
            "{error:?}"
        );
        assert_message(
            &error,
            &[
                "cut.idx` ends at byte 10",
                "dimension 1 of 2",
                "bytes 8..12",
            ],
        );
        let empty = write(&dir, "empty.idx", &[]);
        let error = read(&empty).expect_err("empty file");
        assert!(matches!(
            error,
            FormatError::TruncatedHeader { offset: 0, .. }
        ));
    }

    #[test]
    fn wrong_magic_is_reported_in_hex() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(&dir, "x.idx", &[0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0]);
        let error = read(&path).expect_err("bad magic");
        assert!(matches!(error, FormatError::BadMagic { offset: 0, .. }));
        assert_message(
            &error,
            &[
                "`",
                "x.idx`: wrong magic number 0x12345678 at byte 0; an IDX file starts with 0x0000",
            ],
        );
        let no_dims = write(&dir, "nodims.idx", &[0, 0, 8, 0]);
        assert!(matches!(read(&no_dims), Err(FormatError::BadMagic { .. })));
    }

    #[test]
    fn unknown_type_byte_is_unsupported() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(&dir, "complex.idx", &idx_bytes(0x0A, &[1], &[0]));
        let error = read(&path).expect_err("unsupported");
        assert!(
            matches!(&error, FormatError::UnsupportedDtype { offset: 2, dtype, .. } if dtype == "0x0A")
        );
        assert_message(
            &error,
            &[
                "complex.idx`: unsupported element type 0x0A at byte 2",
                "0x0E f64",
            ],
        );
    }

    #[test]
    fn absurd_shapes_are_refused_before_allocating() {
        let dir = tempfile::tempdir().expect("tempdir");
        let dims = [u32::MAX; 4];
        let path = write(&dir, "absurd.idx", &idx_bytes(0x0E, &dims, &[]));
        let error = read(&path).expect_err("too large");
        assert!(
            matches!(error, FormatError::TooLarge { offset: 4, .. }),
            "{error:?}"
        );
        // Large but addressable: must fail as truncated without allocating the declared size.
        let path = write(
            &dir,
            "big.idx",
            &idx_bytes(0x0E, &[1 << 30, 1 << 10], &[0; 3]),
        );
        let error = read(&path).expect_err("truncated");
        assert!(
            matches!(error, FormatError::Truncated { found: 3, .. }),
            "{error:?}"
        );
    }
}
