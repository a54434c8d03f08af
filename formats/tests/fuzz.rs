//! Seeded mutations of small real files, fed to every reader: none may panic, a read and a
//! `read_shape` that both succeed must agree, a strict read must accept no NaN or infinity,
//! and every error must name the file.
//!
//! The seeds are cut from the shipped data (MNIST test images and labels, iris, digits) and
//! written the way their tools write them. Each case copies one seed and applies one to three
//! mutations: byte flips, truncations, insertions, deletions, duplicated ranges, and tweaks of
//! what headers and fields say (dimensions, type bytes, NPY dictionaries, NaN, `1e39`, quotes,
//! line ends). Cases are deterministic: case `i` uses `StdRng::seed_from_u64(i)`.
//!
//! `PERCEPT_FUZZ_CASES=100000 cargo test -p percept-formats --test fuzz -- --nocapture` runs
//! a longer campaign; the default is a few thousand cases, a few seconds in a debug build.

use std::io::{Read, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::time::Instant;

use percept_formats::{Columns, FormatError, Header, ReadOptions, Table};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const DEFAULT_CASES: usize = 4000;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Idx,
    Npy,
    Csv,
}

/// A valid file to mutate; gzip seeds are mutated either before or after compression.
struct Seed {
    name: &'static str,
    kind: Kind,
    raw: Vec<u8>,
    gzip: bool,
    /// The CSV delimiter the seed is written with.
    delimiter: u8,
}

fn gunzip(path: &str) -> Vec<u8> {
    let file = std::fs::read(Path::new(ROOT).join(path)).expect("shipped data");
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(&file[..])
        .read_to_end(&mut out)
        .expect("valid gzip");
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
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

/// An NPY file as `numpy.save` writes it: version 1.0, header padded to 64 bytes.
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

fn seeds() -> Vec<Seed> {
    let images = gunzip("formats/data/slices/t10k-1000-images-idx3-ubyte.gz");
    let labels = gunzip("formats/data/slices/t10k-1000-labels-idx1-ubyte.gz");
    let pixels = &images[16..16 + 2 * 784];
    let iris = std::fs::read(Path::new(ROOT).join("examples/data/iris.csv")).expect("iris");
    let iris: Vec<u8> = iris
        .split_inclusive(|&b| b == b'\n')
        .take(12)
        .flatten()
        .copied()
        .collect();
    let digits = gunzip("formats/data/digits.csv.gz");
    let digits: Vec<u8> = digits
        .split_inclusive(|&b| b == b'\n')
        .take(3)
        .flatten()
        .copied()
        .collect();
    // Iris, the way a spreadsheet exports it: quoted header, semicolons, CRLF.
    let exported: Vec<u8> = String::from_utf8_lossy(&iris)
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let line = line.replace(',', ";");
            if i == 0 {
                format!("\"{}\"\r\n", line.replace(';', "\";\""))
            } else {
                format!("{line}\r\n")
            }
        })
        .collect::<String>()
        .into_bytes();

    // Two images as u8, and a 8x8 crop of them as f32 and f64 (values / 255).
    let crop: Vec<f64> = (0..2 * 64)
        .map(|i| {
            let (image, row, col) = (i / 64, i / 8 % 8, i % 8);
            f64::from(pixels[image * 784 + (row + 10) * 28 + col + 10]) / 255.0
        })
        .collect();
    let f32_be: Vec<u8> = crop
        .iter()
        .flat_map(|&v| (v as f32).to_be_bytes())
        .collect();
    let f64_be: Vec<u8> = crop.iter().flat_map(|v| v.to_be_bytes()).collect();
    let f32_le: Vec<u8> = crop
        .iter()
        .flat_map(|&v| (v as f32).to_le_bytes())
        .collect();
    let f64_le: Vec<u8> = crop.iter().flat_map(|v| v.to_le_bytes()).collect();
    let label_bytes = &labels[8..8 + 20];
    let i16_labels: Vec<u8> = label_bytes
        .iter()
        .flat_map(|&l| i16::from(l).to_be_bytes())
        .collect();

    let seed = |name, kind, raw: Vec<u8>, gzip| Seed {
        name,
        kind,
        raw,
        gzip,
        delimiter: b',',
    };
    let images_idx = idx(0x08, &[2, 28, 28], pixels);
    let labels_idx = idx(0x08, &[20], label_bytes);
    vec![
        seed("images-idx3-ubyte", Kind::Idx, images_idx.clone(), false),
        seed("images-idx3-ubyte.gz", Kind::Idx, images_idx, true),
        seed("labels.idx1", Kind::Idx, labels_idx.clone(), false),
        seed("labels.idx1.gz", Kind::Idx, labels_idx, true),
        seed(
            "crop.idx3",
            Kind::Idx,
            idx(0x0D, &[2, 8, 8], &f32_be),
            false,
        ),
        seed(
            "crop64.idx3",
            Kind::Idx,
            idx(0x0E, &[2, 8, 8], &f64_be),
            false,
        ),
        seed(
            "crop64.idx3.gz",
            Kind::Idx,
            idx(0x0E, &[2, 8, 8], &f64_be),
            true,
        ),
        seed(
            "short.idx1",
            Kind::Idx,
            idx(0x0B, &[20], &i16_labels),
            false,
        ),
        seed(
            "crop.npy",
            Kind::Npy,
            npy("<f4", "(2, 8, 8)", &f32_le),
            false,
        ),
        seed(
            "crop64.npy",
            Kind::Npy,
            npy("<f8", "(2, 64)", &f64_le),
            false,
        ),
        seed(
            "crop64.npy.gz",
            Kind::Npy,
            npy("<f8", "(2, 64)", &f64_le),
            true,
        ),
        seed(
            "labels.npy",
            Kind::Npy,
            npy("|u1", "(20,)", label_bytes),
            false,
        ),
        seed("big.npy", Kind::Npy, npy(">f4", "(2, 64)", &f32_be), false),
        seed("iris.csv", Kind::Csv, iris.clone(), false),
        seed("iris.csv.gz", Kind::Csv, iris, true),
        seed("digits.csv", Kind::Csv, digits, false),
        Seed {
            delimiter: b';',
            ..seed("exported.csv", Kind::Csv, exported, false)
        },
    ]
}

/// Tokens worth inserting into text: numbers that are not finite, or not f32, or not
/// numbers, and the characters CSV structure is made of.
const CSV_TOKENS: &[&str] = &[
    "NaN", "nan", "inf", "-inf", "Infinity", "1e39", "-3.5e38", "1e400", "1e-50", "\"", "\"\"",
    ",", ";", ",,", "\n", "\r", "\r\n", "\n\n", " ", "\t", "-", ".", "e", "O", "x", "\u{feff}",
    "\u{e9}", "\u{0}",
];

/// Values worth writing into an IDX dimension or other header word.
const WORDS: &[u32] = &[
    0,
    1,
    2,
    3,
    8,
    20,
    27,
    28,
    29,
    64,
    784,
    1 << 16,
    1 << 31,
    u32::MAX,
];

/// NPY dictionary fragments worth substituting.
const NPY_DESCRS: &[&str] = &[
    "<f4", "<f8", ">f8", "|u1", "|i1", "<i2", "<u8", "|b1", "<c8", "<U3", "|O", "|i4", "f4", "",
];
const NPY_SHAPES: &[&str] = &[
    "()",
    "(0,)",
    "(2, 0)",
    "(128,)",
    "(2, 64)",
    "(64, 2)",
    "(4294967296, 4294967296, 16)",
    "(-1, 64)",
    "(2, 64L)",
    "[2, 64]",
    "(2, 8, 8)",
    "(1, 2, 8, 8)",
    "((2,),)",
    "(2.0, 64)",
    "(99999999999999999999999, 1)",
    "((((((((((((((((((((2))))))))))))))))))), 64)",
];

/// Special floats to plant in payloads: NaN, infinities, values beyond f32, subnormals.
const F64S: &[f64] = &[
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    1e300,
    -1e39,
    5e-324,
];
const F32S: &[f32] = &[f32::NAN, f32::INFINITY, f32::NEG_INFINITY, f32::MAX, 1e-45];

fn mutate(seed: &Seed, rng: &mut StdRng) -> (Vec<u8>, String) {
    let mut notes = Vec::new();
    // Structure-aware tweaks act on the uncompressed bytes; byte-level damage on either.
    let mut bytes = seed.raw.clone();
    let damage_compressed = seed.gzip && rng.random_bool(0.4);
    if damage_compressed {
        bytes = gzip(&bytes);
    }
    // One mutation mostly, so that most cases stay close to valid and reach deep.
    let count = [1, 1, 1, 1, 2, 2, 3][rng.random_range(0..7)];
    for _ in 0..count {
        let structured = !damage_compressed && rng.random_bool(0.5);
        let note = if structured {
            tweak(seed, &mut bytes, rng)
        } else {
            damage(&mut bytes, rng)
        };
        notes.push(note);
    }
    if seed.gzip && !damage_compressed {
        bytes = gzip(&bytes);
    }
    (bytes, notes.join(", "))
}

/// Format-blind damage.
fn damage(bytes: &mut Vec<u8>, rng: &mut StdRng) -> String {
    let len = bytes.len();
    let at = rng.random_range(0..=len);
    match rng.random_range(0..6) {
        0 if len > 0 => {
            let at = at.min(len - 1);
            let mask = rng.random_range(1..=255u8);
            bytes[at] ^= mask;
            format!("flip {at} ^{mask:#04x}")
        }
        1 => {
            bytes.truncate(at);
            format!("truncate {at}")
        }
        2 => {
            let n = rng.random_range(1..=8);
            let insert: Vec<u8> = (0..n).map(|_| rng.random()).collect();
            bytes.splice(at..at, insert);
            format!("insert {n} random at {at}")
        }
        3 if len > 0 => {
            let end = (at + rng.random_range(1..=16)).min(len);
            let at = at.min(end);
            bytes.drain(at..end);
            format!("delete {at}..{end}")
        }
        4 if len > 0 => {
            let start = rng.random_range(0..len);
            let end = (start + rng.random_range(1..=32)).min(len);
            let copy = bytes[start..end].to_vec();
            bytes.splice(at..at, copy);
            format!("duplicate {start}..{end} at {at}")
        }
        _ => {
            let token = CSV_TOKENS[rng.random_range(0..CSV_TOKENS.len())];
            bytes.splice(at..at, token.bytes());
            format!("insert {token:?} at {at}")
        }
    }
}

/// Tweaks of what the format's structure says.
fn tweak(seed: &Seed, bytes: &mut Vec<u8>, rng: &mut StdRng) -> String {
    match seed.kind {
        Kind::Idx => tweak_idx(bytes, rng),
        Kind::Npy => tweak_npy(bytes, rng),
        Kind::Csv => tweak_csv(bytes, seed.delimiter, rng),
    }
}

fn tweak_idx(bytes: &mut Vec<u8>, rng: &mut StdRng) -> String {
    if bytes.len() < 4 {
        return damage(bytes, rng);
    }
    let ndims = usize::from(bytes[3]);
    match rng.random_range(0..4) {
        0 if ndims > 0 && bytes.len() >= 4 + 4 * ndims => {
            let d = rng.random_range(0..ndims);
            let word = WORDS[rng.random_range(0..WORDS.len())];
            bytes[4 + 4 * d..8 + 4 * d].copy_from_slice(&word.to_be_bytes());
            format!("dimension {d} = {word}")
        }
        1 => {
            let types = [0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, rng.random()];
            let t = types[rng.random_range(0..types.len())];
            bytes[2] = t;
            format!("type byte {t:#04x}")
        }
        2 => {
            let n = rng.random_range(0..=5u8);
            bytes[3] = n;
            format!("ndims {n}")
        }
        _ => plant_float(bytes, 4 + 4 * ndims, rng, true),
    }
}

/// Writes a special float at an aligned payload position (`big_endian` as IDX stores them).
fn plant_float(bytes: &mut [u8], header: usize, rng: &mut StdRng, big_endian: bool) -> String {
    if bytes.len() < header + 8 {
        return "no payload".into();
    }
    let wide = rng.random_bool(0.5);
    let size = if wide { 8 } else { 4 };
    let slots = (bytes.len() - header) / size;
    let at = header + size * rng.random_range(0..slots);
    if wide {
        let v = F64S[rng.random_range(0..F64S.len())];
        let raw = if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        bytes[at..at + 8].copy_from_slice(&raw);
        format!("f64 {v:e} at {at}")
    } else {
        let v = F32S[rng.random_range(0..F32S.len())];
        let raw = if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        bytes[at..at + 4].copy_from_slice(&raw);
        format!("f32 {v:e} at {at}")
    }
}

fn tweak_npy(bytes: &mut Vec<u8>, rng: &mut StdRng) -> String {
    let Some(end) = bytes.iter().position(|&b| b == b'\n') else {
        return damage(bytes, rng);
    };
    if end < 10 {
        return damage(bytes, rng);
    }
    let text = String::from_utf8_lossy(&bytes[10..end]).into_owned();
    let payload = bytes[end + 1..].to_vec();
    let replace = |text: &str, key: &str, value: &str| -> Option<String> {
        let start = text.find(key)? + key.len();
        let stop = start
            + text[start..]
                .find(", '")
                .or_else(|| text[start..].find(", }"))?;
        Some(format!("{}{value}{}", &text[..start], &text[stop..]))
    };
    let (text, note) = match rng.random_range(0..5) {
        0 => {
            let descr = NPY_DESCRS[rng.random_range(0..NPY_DESCRS.len())];
            (
                replace(&text, "'descr': ", &format!("'{descr}'")),
                format!("descr {descr}"),
            )
        }
        1 => {
            let shape = NPY_SHAPES[rng.random_range(0..NPY_SHAPES.len())];
            (replace(&text, "'shape': ", shape), format!("shape {shape}"))
        }
        2 => (
            replace(&text, "'fortran_order': ", "True"),
            "fortran".into(),
        ),
        3 => {
            // A wrong header length: the dictionary ends elsewhere than declared.
            let delta: i32 = rng.random_range(-12..=12);
            let len = u16::from_le_bytes([bytes[8], bytes[9]]);
            let len = len.wrapping_add_signed(delta as i16);
            bytes[8..10].copy_from_slice(&len.to_le_bytes());
            return format!("header length {len}");
        }
        _ => {
            let header = end + 1;
            let little = !text.contains("'>");
            return plant_float(bytes, header, rng, !little);
        }
    };
    let Some(text) = text else {
        return format!("{note} (no such key)");
    };
    // Re-pad as numpy would, so that the tweak is the only defect.
    let mut dict = text.trim_end().to_string();
    while (10 + dict.len() + 1) % 64 != 0 {
        dict.push(' ');
    }
    dict.push('\n');
    let mut out = bytes[..8].to_vec();
    out.extend((dict.len() as u16).to_le_bytes());
    out.extend(dict.as_bytes());
    out.extend(payload);
    *bytes = out;
    note
}

fn tweak_csv(bytes: &mut Vec<u8>, delimiter: u8, rng: &mut StdRng) -> String {
    // Replace one field with a token, at a field boundary.
    let starts: Vec<usize> = std::iter::once(0)
        .chain(
            bytes
                .iter()
                .enumerate()
                .filter(|&(_, &b)| b == delimiter || b == b'\n')
                .map(|(i, _)| i + 1),
        )
        .filter(|&i| i < bytes.len())
        .collect();
    if starts.is_empty() {
        return damage(bytes, rng);
    }
    let start = starts[rng.random_range(0..starts.len())];
    let end = bytes[start..]
        .iter()
        .position(|&b| b == delimiter || b == b'\n' || b == b'\r')
        .map_or(bytes.len(), |n| start + n);
    let token = CSV_TOKENS[rng.random_range(0..CSV_TOKENS.len())];
    bytes.splice(start..end, token.bytes());
    format!("field {start}..{end} = {token:?}")
}

/// What one reader call did.
enum Outcome<T> {
    Ok(T),
    Err(FormatError),
    Panic(String),
}

fn call<T>(f: impl FnOnce() -> Result<T, FormatError>) -> Outcome<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(value)) => Outcome::Ok(value),
        Ok(Err(error)) => Outcome::Err(error),
        Err(panic) => Outcome::Panic(
            panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default(),
        ),
    }
}

#[derive(Default)]
struct Tally {
    inputs: usize,
    reads: usize,
    accepted: usize,
    rejected: usize,
    failures: Vec<String>,
    panics: usize,
    disagreements: usize,
}

/// Reads `path` strictly, permissively and by header, and checks they fit together.
fn check(path: &Path, name: &str, columns: &Columns, options: &ReadOptions, tally: &mut Tally) {
    let strict = call(|| percept_formats::read_with(path, columns, options));
    let shape = call(|| percept_formats::read_shape_with(path, columns, options));
    let lenient = ReadOptions {
        allow_non_finite: true,
        ..options.clone()
    };
    let permissive = call(|| percept_formats::read_with(path, columns, &lenient));
    tally.reads += 3;
    let fail = |tally: &mut Tally, what: String| tally.failures.push(what);

    for (what, outcome) in [("read", &strict), ("permissive read", &permissive)] {
        match outcome {
            Outcome::Panic(message) => {
                tally.panics += 1;
                fail(tally, format!("{what} panicked: {message}"));
            }
            Outcome::Err(error) if !error.to_string().contains(name) => {
                fail(
                    tally,
                    format!("{what} error does not name the file: {error}"),
                );
            }
            Outcome::Ok(table) => check_table(table, what, tally),
            Outcome::Err(_) => {}
        }
    }
    match &shape {
        Outcome::Panic(message) => {
            tally.panics += 1;
            fail(tally, format!("read_shape panicked: {message}"));
        }
        Outcome::Err(error) if !error.to_string().contains(name) => {
            fail(
                tally,
                format!("read_shape error does not name the file: {error}"),
            );
        }
        _ => {}
    }
    match &strict {
        Outcome::Ok(table) => {
            tally.accepted += 1;
            if let Some(bad) = table.values.iter().find(|v| !v.is_finite()) {
                fail(tally, format!("a strict read accepted {bad}"));
            }
            match &shape {
                Outcome::Ok(header) => agree(table, header, tally),
                Outcome::Err(error) => {
                    tally.disagreements += 1;
                    fail(tally, format!("read accepted, read_shape refused: {error}"));
                }
                Outcome::Panic(_) => {}
            }
            match &permissive {
                Outcome::Ok(same) if same == table => {}
                _ => fail(
                    tally,
                    "the permissive read differs from the strict one".into(),
                ),
            }
        }
        _ => tally.rejected += 1,
    }
    if let (Outcome::Ok(table), Outcome::Ok(header)) = (&permissive, &shape) {
        agree(table, header, tally);
    }
}

fn agree(table: &Table, header: &Header, tally: &mut Tally) {
    if (table.count, &table.element_shape) != (header.count, &header.element_shape) {
        tally.disagreements += 1;
        tally.failures.push(format!(
            "read gives {} x {:?}, read_shape {} x {:?}",
            table.count, table.element_shape, header.count, header.element_shape
        ));
    }
}

fn check_table(table: &Table, what: &str, tally: &mut Tally) {
    if table.values.len() != table.count * table.element_len() {
        tally.failures.push(format!(
            "{what}: {} values for {} x {:?}",
            table.values.len(),
            table.count,
            table.element_shape
        ));
    }
    if let Some(lines) = &table.lines
        && (lines.len() != table.count || (table.count > 0 && lines.line(0).is_none()))
    {
        tally.failures.push(format!(
            "{what}: lines for {} of {} elements",
            lines.len(),
            table.count
        ));
    }
}

#[test]
fn mutated_real_files_never_panic_and_reads_agree_with_headers() {
    let cases = std::env::var("PERCEPT_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CASES);
    let seeds = seeds();
    let dir = tempfile::tempdir().expect("tempdir");
    let started = Instant::now();

    // The seeds themselves are valid files.
    for seed in &seeds {
        let path = dir.path().join(seed.name);
        let bytes = if seed.gzip {
            gzip(&seed.raw)
        } else {
            seed.raw.clone()
        };
        std::fs::write(&path, bytes).expect("write seed");
        let options = ReadOptions::default().with_delimiter(seed.delimiter);
        let table = percept_formats::read_with(&path, &Columns::All, &options)
            .unwrap_or_else(|e| panic!("seed {}: {e}", seed.name));
        assert!(table.count > 0, "{}", seed.name);
        std::fs::remove_file(&path).expect("remove seed");
    }

    let mut tally = Tally::default();
    let mut reported = 0;
    for case in 0..cases {
        let mut rng = StdRng::seed_from_u64(case as u64);
        let seed = &seeds[rng.random_range(0..seeds.len())];
        let (bytes, notes) = mutate(seed, &mut rng);
        let path = dir.path().join(seed.name);
        std::fs::write(&path, &bytes).expect("write case");
        let options = ReadOptions::default().with_delimiter(seed.delimiter);
        // Mostly every column; a selection now and then (on images it is refused).
        let columns = match rng.random_range(0..8) {
            0 => Columns::Single(rng.random_range(0..6)),
            1 => Columns::Range {
                start: 1,
                end: rng.random_range(1..6),
            },
            _ => Columns::All,
        };
        let before = tally.failures.len();
        tally.inputs += 1;
        check(&path, seed.name, &columns, &options, &mut tally);
        // A new file each case: overwriting one in place is slow on some file systems
        // (truncation with `discard`), and dominated the run.
        std::fs::remove_file(&path).expect("remove case");
        for failure in &tally.failures[before..] {
            if reported < 20 {
                eprintln!("case {case} ({}, {columns}, {notes}): {failure}", seed.name);
                reported += 1;
            }
        }
    }
    let elapsed = started.elapsed();
    println!(
        "fuzz: {} inputs from {} seeds ({} reader calls); strict reads: {} accepted, {} \
         rejected with an error; {} panics, {} disagreements, {} failures; {:.2} s",
        tally.inputs,
        seeds.len(),
        tally.reads,
        tally.accepted,
        tally.rejected,
        tally.panics,
        tally.disagreements,
        tally.failures.len(),
        elapsed.as_secs_f64()
    );
    assert!(
        tally.failures.is_empty(),
        "{} failures (the first are above; rerun a case with its seed)",
        tally.failures.len()
    );
}
