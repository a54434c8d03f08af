//! Opening files with transparent gzip decompression.
//!
//! Compression is recognised by content, not by name: renamed or re-exported files often
//! lose or gain a `.gz` suffix, while the two-byte gzip signature never lies.

use std::cell::Cell;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::path::Path;
use std::rc::Rc;

use flate2::bufread::MultiGzDecoder;

use crate::FormatError;

/// The first two bytes of every gzip member.
const SIGNATURE: [u8; 2] = [0x1f, 0x8b];

/// Large enough that decoding tens of megabytes is not dominated by read calls.
const BUFFER: usize = 1 << 16;

/// An opened file, decompressed if it was gzip.
pub(crate) struct Source {
    /// The (decompressed) content.
    pub reader: Box<dyn BufRead>,
    /// Whether the file was gzip; then `file_len` says nothing about the content length.
    pub compressed: bool,
    /// Size of the file on disk.
    pub file_len: u64,
}

pub(crate) fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&SIGNATURE)
}

/// Opens `path`, sniffing the first two bytes for the gzip signature.
pub(crate) fn open(path: &Path) -> Result<Source, FormatError> {
    let mut file = File::open(path).map_err(FormatError::io(path))?;
    let file_len = file.metadata().map_err(FormatError::io(path))?.len();
    let mut head = [0u8; 2];
    let mut got = 0;
    // A single read may return fewer bytes than asked even mid-file (pipes, FUSE).
    while got < head.len() {
        match file.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(FormatError::io(path)(e)),
        }
    }
    let compressed = is_gzip(&head[..got]);
    // The sniffed bytes are put back in front so the decoders see the whole file.
    let stream = Cursor::new(head).take(got as u64).chain(file);
    Ok(Source {
        reader: wrap(stream, compressed),
        compressed,
        file_len,
    })
}

/// Reads bytes already in memory (the embedded datasets), decompressing gzip.
pub(crate) fn from_bytes(bytes: &'static [u8]) -> Box<dyn BufRead> {
    wrap(bytes, is_gzip(bytes))
}

fn wrap<R: Read + 'static>(stream: R, compressed: bool) -> Box<dyn BufRead> {
    if !compressed {
        return Box::new(BufReader::with_capacity(BUFFER, stream));
    }
    let consumed = Rc::new(Cell::new(0));
    let input = Counted {
        inner: BufReader::with_capacity(BUFFER, stream),
        consumed: Rc::clone(&consumed),
    };
    // Multi-member, because `cat a.gz b.gz` is a valid gzip file that single-member
    // decoders silently cut short.
    let decoder = Located {
        inner: MultiGzDecoder::new(input),
        consumed,
    };
    Box::new(BufReader::with_capacity(BUFFER, decoder))
}

/// The payload of an I/O error raised by the gzip decoder: where in the compressed file it
/// failed. [`FormatError::io`] turns it into [`FormatError::Gzip`].
#[derive(Debug, thiserror::Error)]
#[error("{source}")]
pub(crate) struct CorruptGzip {
    /// Compressed bytes the decoder had consumed when it failed.
    pub offset: u64,
    /// The decoder's error.
    pub source: io::Error,
}

/// Counts the compressed bytes the decoder consumes. The decoder reads through `BufRead`
/// and consumes exactly what it has decoded, so the count is where decoding stands, not how
/// far the file has been read ahead.
struct Counted<R> {
    inner: R,
    consumed: Rc<Cell<u64>>,
}

impl<R: BufRead> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.consumed.set(self.consumed.get() + n as u64);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counted<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        self.inner.consume(amount);
        self.consumed.set(self.consumed.get() + amount as u64);
    }
}

/// Attaches the compressed offset to the decoder's errors.
struct Located<R> {
    inner: R,
    consumed: Rc<Cell<u64>>,
}

impl<R: Read> Read for Located<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|source| {
            if source.kind() == io::ErrorKind::Interrupted {
                return source;
            }
            io::Error::new(
                source.kind(),
                CorruptGzip {
                    offset: self.consumed.get(),
                    source,
                },
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(bytes).expect("in-memory write");
        encoder.finish().expect("in-memory write")
    }

    fn content(path: &Path) -> (Vec<u8>, bool) {
        let mut source = open(path).expect("open");
        let mut out = Vec::new();
        source.reader.read_to_end(&mut out).expect("read");
        (out, source.compressed)
    }

    #[test]
    fn plain_and_gzip_read_the_same_whatever_the_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        let text = b"hello, gzip\n".repeat(100);
        let plain = dir.path().join("a.gz");
        let packed = dir.path().join("a.csv");
        std::fs::write(&plain, &text).expect("write");
        std::fs::write(&packed, gzip(&text)).expect("write");
        assert_eq!(content(&plain), (text.clone(), false));
        assert_eq!(content(&packed), (text, true));
    }

    #[test]
    fn concatenated_members_are_all_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("two.gz");
        let mut bytes = gzip(b"first,");
        bytes.extend(gzip(b"second"));
        std::fs::write(&path, bytes).expect("write");
        assert_eq!(content(&path).0, b"first,second");
    }

    #[test]
    fn tiny_files_are_not_misread() {
        let dir = tempfile::tempdir().expect("tempdir");
        for bytes in [&b""[..], b"x", b"\x1f"] {
            let path = dir.path().join("tiny");
            std::fs::write(&path, bytes).expect("write");
            assert_eq!(content(&path), (bytes.to_vec(), false));
        }
    }

    #[test]
    fn corrupt_gzip_names_the_file_and_the_compressed_offset() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("broken.idx.gz");
        let mut bytes = gzip(&[7u8; 1000]);
        let cut = bytes.len() / 2;
        bytes.truncate(cut);
        std::fs::write(&path, bytes).expect("write");
        let mut source = open(&path).expect("open");
        let error = source
            .reader
            .read_to_end(&mut Vec::new())
            .map_err(FormatError::io(&path))
            .expect_err("truncated gzip");
        assert!(
            matches!(error, FormatError::Gzip { offset: Some(o), .. } if o == cut as u64),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(
            message.contains("broken.idx.gz`: corrupt gzip data at compressed byte")
                && message.contains(&cut.to_string()),
            "{message}"
        );

        // A flipped byte inside the deflate data fails where the decoder meets it.
        let mut bytes = gzip(&(0..=255u8).cycle().take(5000).collect::<Vec<_>>());
        let flip = bytes.len() / 2;
        bytes[flip] ^= 0xff;
        std::fs::write(&path, &bytes).expect("write");
        let mut source = open(&path).expect("open");
        let error = source
            .reader
            .read_to_end(&mut Vec::new())
            .map_err(FormatError::io(&path))
            .expect_err("corrupt gzip");
        let FormatError::Gzip {
            offset: Some(offset),
            ..
        } = error
        else {
            panic!("{error:?}");
        };
        // Somewhere at or after the damage, and within the file.
        assert!(offset as usize <= bytes.len(), "{offset}");
    }
}
