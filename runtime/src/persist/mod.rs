//! Atomic, verified saves: a directory holds one *version* of a set of files, named by a
//! manifest, and a save switches from one version to the next in one rename.
//!
//! [`Model::save`](crate::Model::save) writes its parameters and structure through this module,
//! and training checkpoints can use it the same way.
//!
//! # Layout
//!
//! A directory written by [`write_version`] holds:
//!
//! - the manifest (its name is chosen by the caller; `model.json` for a model): the format
//!   version, the checksum of the manifest itself, each file's name, byte count and sha256,
//!   and the caller's own fields (a model's name, components and parameter shapes);
//! - each file under its own name (`model.mpk`, ...).
//!
//! # The switch
//!
//! [`write_version`] never overwrites a file that the current manifest relies on:
//!
//! 1. each new file is written to a temporary name, flushed to disk (`fsync`) and renamed to
//!    its *staged* name, `<stem>-<first 16 hex digits of its sha256>.<extension>`
//!    (`model-3f2a9c1d0b7e4a55.mpk`), beside the current file;
//! 2. the directory is flushed, so that the staged files survive a power cut;
//! 3. the new manifest, naming each file and its staged name, is written to a temporary name,
//!    flushed, and renamed over the manifest: **this rename is the switch**, and the directory
//!    is flushed again;
//! 4. each staged file is renamed over its final name (`model.mpk`);
//! 5. files of older versions and leftovers of interrupted saves are removed.
//!
//! A reader ([`read_version`]) takes each file the manifest names from its final name when its
//! size and checksum match the manifest, or else from its staged name. Whenever a save is
//! interrupted (a crash, `kill -9`, a power cut), the directory therefore holds either the
//! whole old version (before the switch) or the whole new one (after it), never a mixture:
//! before step 3 the old manifest and old files are untouched; between steps 3 and 4 the new
//! manifest finds its files under their staged names; after step 4 under their final names.
//! Temporary files of an interrupted save are ignored by readers and removed by the next
//! save.
//!
//! Every file is checked against its byte count and sha256 before its bytes are handed out,
//! and the manifest against its own checksum, so a file cut or changed after saving is an
//! [`Error::Corrupt`] naming the file, not a silent load of other values.
//!
//! One process should write a directory at a time. A reader that runs while a save switches
//! versions (and so finds files of the new version under an old manifest) reads the manifest
//! again and retries.
//!
//! # Use for checkpoints
//!
//! The API (all `pub(crate)`):
//!
//! - [`write_version`]`(dir: &Path, manifest: &str, files: &[(&str, &[u8])], extra:
//!   serde_json::Map<String, Value>) -> Result<()>`: each file is a final name (its role, such
//!   as `optimizer.mpk`) and its bytes; `extra` holds the caller's manifest fields;
//! - [`read_version`]`(dir: &Path, manifest: &str) -> Result<Version>`: the verified
//!   [`Version`], whose `extra` holds those fields, [`Version::file`] and [`Version::take`]
//!   the bytes by name;
//! - for a checkpoint that should also load as a model: [`model::record`]`(model, dir)` gives
//!   the bytes of `model.mpk`, [`model::write`]`(model, dir, files, extra)` writes them with
//!   more files under the manifest `model.json` with the model's structure (so
//!   `ModelBuilder::load(dir)` loads it), and [`model::load`]`(model, dir)` loads the
//!   parameters back into a model.
//!
//! ```ignore
//! use crate::persist;
//! let mut extra = serde_json::Map::new();
//! extra.insert("epoch".into(), 3.into());
//! let weights = persist::model::record(&model, dir)?;
//! persist::model::write(
//!     &model,
//!     dir,
//!     &[("model.mpk", &weights), ("optimizer.mpk", &optimizer_bytes)],
//!     extra,
//! )?;
//! // Later: the parameters, then the rest.
//! let model = persist::model::load(model, dir)?;
//! let version = persist::read_version(dir, "model.json")?;
//! let epoch = version.extra["epoch"].as_u64();
//! let optimizer: &[u8] = version.file("optimizer.mpk").expect("written above");
//! ```

pub(crate) mod model;
#[cfg(test)]
mod tests;

use std::fs::{self, File};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The `format` field of every manifest.
pub(crate) const FORMAT: &str = "percept";
/// The format version this percept writes, and the newest it reads.
pub(crate) const FORMAT_VERSION: u32 = 1;
/// How often [`read_version`] reads again when a save switched versions under it.
const READ_ATTEMPTS: usize = 5;
/// The manifest field holding the manifest's own checksum, as it appears in the file.
const SELF_CHECKSUM_KEY: &str = "\n  \"manifest_sha256\": \"";
/// What the manifest's checksum is computed with in place of itself.
const SELF_CHECKSUM_PLACEHOLDER: &str =
    "0000000000000000000000000000000000000000000000000000000000000000";

/// The manifest as written: percept's fields, then the caller's.
#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    /// Always [`FORMAT`].
    format: String,
    /// The [`FORMAT_VERSION`] it was written with.
    format_version: u32,
    /// The sha256 of the manifest file with this value replaced by 64 zeros.
    manifest_sha256: String,
    /// The crate that wrote it, with its version (for information).
    written_by: String,
    /// The files of this version.
    files: Vec<FileEntry>,
    /// The caller's fields.
    #[serde(flatten)]
    extra: Map<String, Value>,
}

/// One file of a version, as the manifest records it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct FileEntry {
    /// Its final name in the directory (also its role: `model.mpk`).
    name: String,
    /// The name it is written under before the switch.
    staged: String,
    /// Its length.
    bytes: u64,
    /// Its sha256, in lowercase hex.
    sha256: String,
}

/// A version read back by [`read_version`]: the caller's manifest fields and every file's
/// bytes, each checked against its size and checksum.
#[derive(Debug)]
pub(crate) struct Version {
    /// The manifest's path.
    #[cfg_attr(not(test), allow(dead_code, reason = "read by the tests"))]
    pub manifest: PathBuf,
    /// The fields given to [`write_version`] as `extra`.
    pub extra: Map<String, Value>,
    /// Each file's name and verified bytes, in the order they were given to
    /// [`write_version`].
    pub files: Vec<(String, Vec<u8>)>,
}

impl Version {
    /// The verified bytes of the file named `name`.
    #[cfg_attr(not(test), allow(dead_code, reason = "read by the tests"))]
    pub fn file(&self, name: &str) -> Option<&[u8]> {
        self.files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, bytes)| bytes.as_slice())
    }

    /// Takes the verified bytes of the file named `name` out of the version.
    pub fn take(&mut self, name: &str) -> Option<Vec<u8>> {
        let index = self.files.iter().position(|(n, _)| n == name)?;
        Some(self.files.swap_remove(index).1)
    }
}

/// Writes `files` (each a final file name, such as `model.mpk`, and its bytes) into `dir` as a
/// new version named by the manifest `manifest` (such as `model.json`), with the caller's
/// `extra` fields in the manifest, and switches `dir` to it atomically (see the module
/// documentation). `dir` is created if needed. Files of the previous version that the new one
/// does not name are removed after the switch.
///
/// `extra` may not use the manifest's own keys (`format`, `format_version`,
/// `manifest_sha256`, `written_by`, `files`). File names are plain names (no `/`), other than
/// the manifest's.
pub(crate) fn write_version(
    dir: &Path,
    manifest: &str,
    files: &[(&str, &[u8])],
    extra: Map<String, Value>,
) -> Result<()> {
    for reserved in [
        "format",
        "format_version",
        "manifest_sha256",
        "written_by",
        "files",
    ] {
        assert!(
            !extra.contains_key(reserved),
            "`{reserved}` is a manifest field of its own"
        );
    }
    for (i, (name, _)) in files.iter().enumerate() {
        assert!(
            plain_name(name) && *name != manifest && !files[..i].iter().any(|(n, _)| n == name),
            "`{name}` is not a file name of its own in a version"
        );
    }
    assert!(
        plain_name(manifest),
        "`{manifest}` is not a plain file name"
    );
    fs::create_dir_all(dir).map_err(io_error("create", dir))?;
    let manifest_path = dir.join(manifest);
    // The files of the version being replaced, removed once the new one is in place.
    let previous = fs::read(&manifest_path)
        .ok()
        .and_then(|bytes| parse_manifest(&manifest_path, &bytes).ok())
        .map(|m| m.files)
        .unwrap_or_default();

    // 1. Each file under its staged name, beside the current one.
    let mut entries = Vec::with_capacity(files.len());
    for (name, bytes) in files {
        let sha256 = hex(&Sha256::digest(bytes));
        let staged = staged_name(name, &sha256);
        write_durably(dir, &staged, bytes)?;
        crash_point(1)?;
        entries.push(FileEntry {
            name: name.to_string(),
            staged,
            bytes: bytes.len() as u64,
            sha256,
        });
    }
    // 2. The staged names on disk before the manifest names them.
    sync_dir(dir)?;
    crash_point(2)?;

    // 3. The switch.
    let manifest_bytes = manifest_bytes(Manifest {
        format: FORMAT.to_string(),
        format_version: FORMAT_VERSION,
        manifest_sha256: SELF_CHECKSUM_PLACEHOLDER.to_string(),
        written_by: concat!("percept-runtime ", env!("CARGO_PKG_VERSION")).to_string(),
        files: entries.clone(),
        extra,
    });
    write_durably(dir, manifest, &manifest_bytes)?;
    sync_dir(dir)?;
    crash_point(3)?;

    // 4. Each file under its final name.
    for entry in &entries {
        let (from, to) = (dir.join(&entry.staged), dir.join(&entry.name));
        fs::rename(&from, &to).map_err(io_error("rename", &from))?;
        crash_point(4)?;
    }
    sync_dir(dir)?;
    crash_point(5)?;

    // 5. Older versions and leftovers. A file that cannot be removed is only clutter.
    let current: Vec<&str> = files.iter().map(|(name, _)| *name).collect();
    let dropped: Vec<&str> = previous
        .iter()
        .map(|e| e.name.as_str())
        .filter(|name| !current.contains(name))
        .collect();
    let named = |base: &str| current.contains(&base) || dropped.contains(&base);
    let staged = |base: &str| {
        current
            .iter()
            .chain(&dropped)
            .any(|name| is_staged(base, name))
    };
    if let Ok(listing) = fs::read_dir(dir) {
        for found in listing.flatten() {
            let Ok(file_name) = found.file_name().into_string() else {
                continue;
            };
            let stale = match file_name.split_once(".tmp-") {
                // A temporary file of an interrupted save.
                Some((base, _)) => base == manifest || named(base) || staged(base),
                // A file of an older version, or staged by an interrupted save.
                None => dropped.contains(&file_name.as_str()) || staged(&file_name),
            };
            if stale {
                let _ = fs::remove_file(found.path());
            }
        }
    }
    Ok(())
}

/// Reads the version that the manifest `manifest` in `dir` names: the manifest checked against
/// its own checksum, then each file from its final or staged name, checked against its size
/// and sha256.
///
/// Errors: [`Error::Io`] when the manifest or a file is missing; [`Error::Corrupt`] when the
/// manifest or a file was cut or changed; [`Error::Record`] when the manifest is not a
/// percept manifest, or of a newer format version.
pub(crate) fn read_version(dir: &Path, manifest: &str) -> Result<Version> {
    let manifest_path = dir.join(manifest);
    let mut bytes = fs::read(&manifest_path).map_err(io_error("read", &manifest_path))?;
    for attempt in 1.. {
        let parsed = parse_manifest(&manifest_path, &bytes)?;
        match read_files(dir, &parsed.files) {
            Ok(files) => {
                return Ok(Version {
                    manifest: manifest_path,
                    extra: parsed.extra,
                    files,
                });
            }
            Err(error) => {
                // A save may have switched versions while the files were read.
                let again = fs::read(&manifest_path).map_err(io_error("read", &manifest_path))?;
                if again == bytes || attempt == READ_ATTEMPTS {
                    return Err(error);
                }
                bytes = again;
            }
        }
    }
    unreachable!("the loop returns")
}

/// Checks the manifest's own checksum, then parses it.
fn parse_manifest(path: &Path, bytes: &[u8]) -> Result<Manifest> {
    let corrupt = |problem: String| Error::Corrupt {
        path: path.to_path_buf(),
        problem,
    };
    let Some(start) =
        find(bytes, SELF_CHECKSUM_KEY.as_bytes()).map(|i| i + SELF_CHECKSUM_KEY.len())
    else {
        return Err(match serde_json::from_slice::<Value>(bytes) {
            Err(e) => corrupt(format!(
                "it is not complete JSON (the file was changed or cut after saving): {e}"
            )),
            Ok(Value::Array(_)) => Error::Record {
                path: path.to_path_buf(),
                message: "it was written by an older percept, without a manifest".to_string(),
            },
            Ok(_) => Error::Record {
                path: path.to_path_buf(),
                message: "it is not a percept manifest (it has no `manifest_sha256`)".to_string(),
            },
        });
    };
    let end = start + SELF_CHECKSUM_PLACEHOLDER.len();
    let claimed = bytes.get(start..end).unwrap_or_default().to_vec();
    let mut zeroed = bytes.to_vec();
    if end <= zeroed.len() {
        zeroed[start..end].copy_from_slice(SELF_CHECKSUM_PLACEHOLDER.as_bytes());
    }
    if hex(&Sha256::digest(&zeroed)).as_bytes() != claimed.as_slice() {
        return Err(corrupt(
            "its checksum does not match its contents (the file was changed or cut after saving)"
                .to_string(),
        ));
    }
    let manifest: Manifest = serde_json::from_slice(bytes).map_err(|e| Error::Record {
        path: path.to_path_buf(),
        message: format!("it is not a percept manifest: {e}"),
    })?;
    if manifest.format != FORMAT || manifest.format_version > FORMAT_VERSION {
        return Err(Error::Record {
            path: path.to_path_buf(),
            message: format!(
                "it is of format `{}` version {}, and this percept reads `{FORMAT}` up to version {FORMAT_VERSION}",
                manifest.format, manifest.format_version
            ),
        });
    }
    Ok(manifest)
}

/// Each file's verified bytes, from its final name or else its staged name.
fn read_files(dir: &Path, entries: &[FileEntry]) -> Result<Vec<(String, Vec<u8>)>> {
    let mut files = Vec::with_capacity(entries.len());
    for entry in entries {
        let path = dir.join(&entry.name);
        let bytes = match read_checked(&path, entry) {
            Ok(bytes) => bytes,
            // Saved, but interrupted before the file was renamed to its final name.
            Err(error) => match read_checked(&dir.join(&entry.staged), entry) {
                Ok(bytes) => bytes,
                Err(_) => return Err(error),
            },
        };
        files.push((entry.name.clone(), bytes));
    }
    Ok(files)
}

/// The bytes of `path` if they are the file `entry` describes.
fn read_checked(path: &Path, entry: &FileEntry) -> Result<Vec<u8>> {
    let bytes = fs::read(path).map_err(io_error("read", path))?;
    let problem = if bytes.len() as u64 != entry.bytes {
        format!(
            "it holds {} bytes but the manifest says {} (the file was cut or changed after saving)",
            bytes.len(),
            entry.bytes
        )
    } else if hex(&Sha256::digest(&bytes)) != entry.sha256 {
        "its checksum does not match the manifest (the file was changed or cut after saving)"
            .to_string()
    } else {
        return Ok(bytes);
    };
    Err(Error::Corrupt {
        path: path.to_path_buf(),
        problem,
    })
}

/// The manifest's bytes: pretty JSON with its own checksum filled in.
fn manifest_bytes(manifest: Manifest) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(&manifest).expect("manifests serialise to JSON");
    bytes.push(b'\n');
    let start = find(&bytes, SELF_CHECKSUM_KEY.as_bytes()).expect("the field is written")
        + SELF_CHECKSUM_KEY.len();
    let sum = hex(&Sha256::digest(&bytes));
    bytes[start..start + sum.len()].copy_from_slice(sum.as_bytes());
    bytes
}

#[cfg(test)]
thread_local! {
    /// The step of [`write_version`] after which a test stops it, as a crash would (0: none).
    pub(crate) static CRASH_AFTER: std::cell::Cell<u8> = const { std::cell::Cell::new(0) };
}

/// Where a test can stop [`write_version`] (see `CRASH_AFTER`).
fn crash_point(step: u8) -> Result<()> {
    #[cfg(test)]
    if CRASH_AFTER.with(std::cell::Cell::get) == step {
        return Err(Error::Record {
            path: PathBuf::new(),
            message: format!("stopped after step {step}"),
        });
    }
    let _ = step;
    Ok(())
}

/// Writes `bytes` to a temporary file in `dir`, flushes it to disk, and renames it to `name`.
fn write_durably(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let temporary = dir.join(format!(
        "{name}.tmp-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let written = File::create(&temporary)
        .and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        })
        .map_err(io_error("write", &temporary));
    if let Err(error) = written {
        let _ = fs::remove_file(&temporary);
        return Err(error);
    }
    let path = dir.join(name);
    fs::rename(&temporary, &path).map_err(io_error("rename", &temporary))
}

/// Flushes the entries of `dir` (new and renamed files) to disk.
fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        match File::open(dir).and_then(|d| d.sync_all()) {
            // Some file systems cannot flush a directory; their renames are durable anyway.
            Err(e) if e.kind() == io::ErrorKind::InvalidInput => Ok(()),
            other => other.map_err(io_error("flush", dir)),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// `model.mpk` with `sha256` `3f2a9c1d0b7e4a55...` is staged as `model-3f2a9c1d0b7e4a55.mpk`.
fn staged_name(name: &str, sha256: &str) -> String {
    let prefix = &sha256[..16];
    match name.rsplit_once('.') {
        Some((stem, extension)) if !stem.is_empty() => format!("{stem}-{prefix}.{extension}"),
        _ => format!("{name}-{prefix}"),
    }
}

/// True when `file_name` is a staged name of `name` (for any checksum).
fn is_staged(file_name: &str, name: &str) -> bool {
    let (stem, extension) = match name.rsplit_once('.') {
        Some((stem, extension)) if !stem.is_empty() => (stem, Some(extension)),
        _ => (name, None),
    };
    let Some(rest) = file_name
        .strip_prefix(stem)
        .and_then(|r| r.strip_prefix('-'))
    else {
        return false;
    };
    let digits = match extension {
        Some(extension) => rest
            .strip_suffix(extension)
            .and_then(|r| r.strip_suffix('.')),
        None => Some(rest),
    };
    digits.is_some_and(|d| d.len() == 16 && d.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A name of a file directly inside a directory.
fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\'])
        && !name.contains(".tmp-")
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Maps an I/O error on `path` to [`Error::Io`].
pub(crate) fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> Error {
    let path = path.to_path_buf();
    move |source| Error::Io {
        action,
        path,
        source,
    }
}
