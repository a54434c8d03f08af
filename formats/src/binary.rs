//! What the binary formats (IDX and NPY) share: header reads that know their byte offset,
//! exact payload size checks, and decoding stored values to `f32`.

use std::io::{self, Read};
use std::path::Path;

use crate::error::NonFinite;
use crate::{FormatError, ReadOptions};

/// A stored element type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scalar {
    U8,
    I8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    F32,
    F64,
    Bool,
}

impl Scalar {
    pub(crate) fn size(self) -> usize {
        match self {
            Scalar::U8 | Scalar::I8 | Scalar::Bool => 1,
            Scalar::I16 | Scalar::U16 => 2,
            Scalar::I32 | Scalar::U32 | Scalar::F32 => 4,
            Scalar::I64 | Scalar::U64 | Scalar::F64 => 8,
        }
    }
}

/// Byte order of multi-byte values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endian {
    Big,
    Little,
}

impl Endian {
    pub(crate) const NATIVE: Endian = if cfg!(target_endian = "big") {
        Endian::Big
    } else {
        Endian::Little
    };
}

/// Converts stored values to `f32` (integers beyond 2^24 and `f64` lose precision, which
/// is what training on `f32` means anyway). `bytes.len()` must be a multiple of the size.
pub(crate) fn decode(bytes: &[u8], scalar: Scalar, endian: Endian) -> Vec<f32> {
    macro_rules! convert {
        ($t:ty) => {{
            const N: usize = std::mem::size_of::<$t>();
            bytes
                .chunks_exact(N)
                .map(|chunk| {
                    let mut raw = [0u8; N];
                    raw.copy_from_slice(chunk);
                    match endian {
                        Endian::Big => <$t>::from_be_bytes(raw) as f32,
                        Endian::Little => <$t>::from_le_bytes(raw) as f32,
                    }
                })
                .collect()
        }};
    }
    match scalar {
        Scalar::U8 => bytes.iter().map(|&b| f32::from(b)).collect(),
        Scalar::I8 => bytes.iter().map(|&b| f32::from(b as i8)).collect(),
        Scalar::Bool => bytes.iter().map(|&b| f32::from(u8::from(b != 0))).collect(),
        Scalar::I16 => convert!(i16),
        Scalar::U16 => convert!(u16),
        Scalar::I32 => convert!(i32),
        Scalar::U32 => convert!(u32),
        Scalar::I64 => convert!(i64),
        Scalar::U64 => convert!(u64),
        Scalar::F32 => convert!(f32),
        Scalar::F64 => convert!(f64),
    }
}

/// Refuses NaN, infinities and (for `f64`) finite values beyond the `f32` range, unless
/// `options` allow them. `values` were decoded from `bytes`; integer types are always finite.
pub(crate) fn check_finite(
    layout: &Layout<'_>,
    values: &[f32],
    bytes: &[u8],
    scalar: Scalar,
    endian: Endian,
    options: &ReadOptions,
) -> Result<(), FormatError> {
    if options.allow_non_finite || !matches!(scalar, Scalar::F32 | Scalar::F64) {
        return Ok(());
    }
    let Some(flat) = values.iter().position(|value| !value.is_finite()) else {
        return Ok(());
    };
    // The stored value, exactly: an `f64` that became infinite may have been finite.
    let size = scalar.size();
    let raw = &bytes[flat * size..(flat + 1) * size];
    let value = match scalar {
        Scalar::F64 => {
            let raw: [u8; 8] = raw.try_into().unwrap_or_default();
            match endian {
                Endian::Big => f64::from_be_bytes(raw),
                Endian::Little => f64::from_le_bytes(raw),
            }
        }
        _ => f64::from(values[flat]),
    };
    let problem = if value.is_nan() {
        NonFinite::NaN
    } else if value.is_infinite() {
        NonFinite::Infinite
    } else {
        NonFinite::OutOfRange
    };
    let element_len = layout.element_shape.iter().product::<usize>().max(1);
    let mut within = flat % element_len;
    let mut index = vec![0; layout.element_shape.len()];
    for (slot, &dim) in index.iter_mut().zip(layout.element_shape).rev() {
        *slot = within % dim.max(1);
        within /= dim.max(1);
    }
    Err(FormatError::NotFiniteValue {
        path: layout.path.to_path_buf(),
        element: flat / element_len,
        index,
        offset: layout.header_len + (flat * size) as u64,
        value,
        problem,
    })
}

/// Refuses a header declaring a dimension of 0: such a file holds no values, which is
/// always a mistake in a training file.
pub(crate) fn check_dims(
    path: &Path,
    offset: u64,
    dims: &[u64],
    dims_are_shape: bool,
) -> Result<(), FormatError> {
    if dims.contains(&0) {
        return Err(FormatError::ZeroDimension {
            path: path.to_path_buf(),
            offset,
            dims: dims.to_vec(),
            dims_are_shape,
        });
    }
    Ok(())
}

/// Reads a header field by field, keeping the byte offset for error messages.
pub(crate) struct HeaderReader<'a, R> {
    reader: R,
    path: &'a Path,
    offset: u64,
}

impl<'a, R: Read> HeaderReader<'a, R> {
    pub(crate) fn new(reader: R, path: &'a Path) -> Self {
        HeaderReader {
            reader,
            path,
            offset: 0,
        }
    }

    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }

    /// Reads exactly `N` bytes; `what` describes them for the error if the file ends first.
    pub(crate) fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], FormatError> {
        let bytes = self.bytes(N, what)?;
        let mut out = [0u8; N];
        out.copy_from_slice(&bytes);
        Ok(out)
    }

    /// Reads exactly `len` bytes without trusting `len` for the allocation up front, since a
    /// corrupt header can declare gigabytes.
    pub(crate) fn bytes(&mut self, len: usize, what: &str) -> Result<Vec<u8>, FormatError> {
        let start = self.offset;
        let mut out = Vec::with_capacity(len.min(1 << 16));
        (&mut self.reader)
            .take(len as u64)
            .read_to_end(&mut out)
            .map_err(FormatError::io(self.path))?;
        self.offset += out.len() as u64;
        if out.len() < len {
            return Err(FormatError::TruncatedHeader {
                path: self.path.to_path_buf(),
                offset: self.offset,
                expected: format!("{what} at bytes {start}..{}", start + len as u64),
            });
        }
        Ok(out)
    }

    pub(crate) fn into_inner(self) -> R {
        self.reader
    }
}

/// What a header declares about the data that follows it.
pub(crate) struct Layout<'a> {
    pub path: &'a Path,
    pub count: usize,
    pub element_shape: &'a [usize],
    pub dtype: &'a str,
    pub header_len: u64,
    pub payload_len: u64,
}

impl Layout<'_> {
    /// The error for `found` payload bytes where `payload_len` were declared.
    fn mismatch(&self, found: u64) -> FormatError {
        let path = self.path.to_path_buf();
        let count = self.count;
        let element_shape = self.element_shape.to_vec();
        let dtype = self.dtype.to_string();
        let header_len = self.header_len;
        let expected = self.payload_len;
        if found < expected {
            FormatError::Truncated {
                path,
                count,
                element_shape,
                dtype,
                header_len,
                expected,
                found,
            }
        } else {
            FormatError::TrailingBytes {
                path,
                count,
                element_shape,
                dtype,
                header_len,
                expected,
                found,
            }
        }
    }

    /// Checks the size of an uncompressed file without reading its payload.
    pub(crate) fn check_file_len(&self, file_len: u64) -> Result<(), FormatError> {
        let found = file_len.saturating_sub(self.header_len);
        if found == self.payload_len {
            Ok(())
        } else {
            Err(self.mismatch(found))
        }
    }

    /// Reads exactly the payload and checks that nothing follows it.
    pub(crate) fn read_payload(&self, reader: &mut impl Read) -> Result<Vec<u8>, FormatError> {
        // Reserve what the header declares, bounded because the header may lie; beyond the
        // bound the vector grows as data actually arrives.
        let hint = usize::try_from(self.payload_len.min(1 << 26)).unwrap_or(1 << 20);
        let mut bytes = Vec::with_capacity(hint);
        (&mut *reader)
            .take(self.payload_len)
            .read_to_end(&mut bytes)
            .map_err(FormatError::io(self.path))?;
        let read = bytes.len() as u64;
        if read < self.payload_len {
            return Err(self.mismatch(read));
        }
        let rest = io::copy(reader, &mut io::sink()).map_err(FormatError::io(self.path))?;
        if rest > 0 {
            return Err(self.mismatch(read + rest));
        }
        Ok(bytes)
    }
}

/// Number of stored values and payload bytes of `shape`, if they fit in memory.
pub(crate) fn payload_len(
    path: &Path,
    offset: u64,
    shape: &[u64],
    scalar: Scalar,
) -> Result<(usize, u64), FormatError> {
    let too_large = || FormatError::TooLarge {
        path: path.to_path_buf(),
        offset,
        shape: shape.to_vec(),
    };
    let mut values: usize = 1;
    for &dim in shape {
        let dim = usize::try_from(dim).map_err(|_| too_large())?;
        values = values.checked_mul(dim).ok_or_else(too_large)?;
    }
    let bytes = values.checked_mul(scalar.size()).ok_or_else(too_large)?;
    Ok((values, bytes as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_every_scalar_in_both_byte_orders() {
        assert_eq!(decode(&[0, 255], Scalar::U8, Endian::Big), [0.0, 255.0]);
        assert_eq!(
            decode(&[0xff, 0x80], Scalar::I8, Endian::Big),
            [-1.0, -128.0]
        );
        assert_eq!(
            decode(&[0, 1, 2], Scalar::Bool, Endian::Big),
            [0.0, 1.0, 1.0]
        );
        assert_eq!(decode(&[0xff, 0xfe], Scalar::I16, Endian::Big), [-2.0]);
        assert_eq!(decode(&[0xfe, 0xff], Scalar::I16, Endian::Little), [-2.0]);
        assert_eq!(decode(&[1, 0], Scalar::U16, Endian::Little), [1.0]);
        assert_eq!(decode(&[0, 0, 1, 0], Scalar::I32, Endian::Big), [256.0]);
        assert_eq!(
            decode(&[0, 0, 1, 0], Scalar::U32, Endian::Little),
            [65536.0]
        );
        assert_eq!(
            decode(&(-5i64).to_le_bytes(), Scalar::I64, Endian::Little),
            [-5.0]
        );
        assert_eq!(decode(&7u64.to_be_bytes(), Scalar::U64, Endian::Big), [7.0]);
        assert_eq!(
            decode(&1.5f32.to_be_bytes(), Scalar::F32, Endian::Big),
            [1.5]
        );
        assert_eq!(
            decode(&(-0.25f64).to_le_bytes(), Scalar::F64, Endian::Little),
            [-0.25]
        );
    }

    #[test]
    fn payload_len_refuses_shapes_beyond_memory() {
        let path = Path::new("huge.npy");
        assert_eq!(
            payload_len(path, 8, &[2, 3], Scalar::F64).expect("fits"),
            (6, 48)
        );
        let error = payload_len(path, 8, &[u64::MAX, 2], Scalar::U8).expect_err("too large");
        assert!(matches!(error, FormatError::TooLarge { offset: 8, .. }));
        let message = error.to_string();
        assert!(
            message.contains("`huge.npy`") && message.contains("at byte 8"),
            "{message}"
        );
    }
}
