//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

pub mod browser;

use percept::prelude::*;

/// A file of the shared datasets (laid out like `../shared/data`), by its path there.
///
/// The files the tests use ship with the repository, so a fresh clone passes:
/// `digits/digits.csv.gz` is `formats/data/digits.csv.gz` and `iris/iris.csv` is
/// `examples/data/iris.csv`, byte for byte (`formats/tests/real_data.rs` checks that). Any
/// other file is read from the directory named by `PERCEPT_DATA_DIR` (a relative path is
/// taken from the repository root), and a test asking for one fails if the variable is
/// unset or the file missing (see `formats/data/slices/README.md`).
pub fn shared(path: &str) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let shipped = match path {
        "digits/digits.csv.gz" => Some("formats/data/digits.csv.gz"),
        "iris/iris.csv" => Some("examples/data/iris.csv"),
        _ => None,
    };
    let file = match (shipped, std::env::var_os("PERCEPT_DATA_DIR")) {
        (Some(copy), _) => root.join(copy),
        (None, Some(dir)) => root.join(dir).join(path),
        (None, None) => panic!(
            "`{path}` is not shipped with the repository: this test needs the full datasets; \
             set PERCEPT_DATA_DIR (see formats/data/slices/README.md)"
        ),
    };
    assert!(
        file.is_file(),
        "{} is missing (see formats/data/slices/README.md)",
        file.display()
    );
    file.display().to_string()
}

/// Training settings with these epochs and the defaults otherwise.
pub fn training(epochs: usize) -> TrainingSettings {
    TrainingSettings {
        epochs,
        ..TrainingSettings::default()
    }
}

/// A small dense classifier of the embedded digits.
pub fn digits_mlp(settings: TrainingSettings) -> ModelBuilder {
    ModelBuilder::new("DigitsMlp")
        .add("images", DataSettings::digits(Digits::Images), &[])
        .add("labels", DataSettings::digits(Digits::Labels), &[])
        .add(
            "hidden",
            DenseSettings::new(32, Activation::Relu),
            &["images"],
        )
        .add(
            "fc",
            DenseSettings::new(10, Activation::Softmax),
            &["hidden"],
        )
        .add(
            "train",
            ClassificationSettings { training: settings },
            &["fc", "labels"],
        )
}

/// A model named `name` that starts with the digits read from their CSV file: `images`
/// (columns 0..64), `labels` (column 64, 10 classes) and `scaled` (the images in `0..=1`),
/// with `test_file` as both Data components' test set when given.
pub fn digits_from_csv(name: &str, test_file: Option<&str>) -> ModelBuilder {
    let digits = shared("digits/digits.csv.gz");
    let images = DataSettings::file(&digits).with_columns(Columns::Range { start: 0, end: 64 });
    let labels = DataSettings::file(&digits)
        .with_columns(Columns::Single(64))
        .with_classes(10);
    let (images, labels) = match test_file {
        Some(test) => (images.with_test_file(test), labels.with_test_file(test)),
        None => (images, labels),
    };
    ModelBuilder::new(name)
        .add("images", images, &[])
        .add("labels", labels, &[])
        .add(
            "scaled",
            RescaleSettings {
                scale: 1.0 / 16.0,
                offset: 0.0,
            },
            &["images"],
        )
}

/// Builds on the training backend with progress hidden.
pub fn build(builder: ModelBuilder) -> Model<TrainingBackend> {
    let mut model = builder
        .build::<TrainingBackend>(&Default::default())
        .expect("the model builds");
    model.set_progress(Progress::Hidden);
    model
}

/// The view state embedded in a training report page.
pub fn report_state(page: &str) -> serde_json::Value {
    let json = page
        .split("<script type=\"application/json\" id=\"percept-state\">")
        .nth(1)
        .expect("the report embeds its state")
        .split("</script>")
        .next()
        .unwrap();
    serde_json::from_str(json).expect("the embedded state is JSON")
}

/// A plain HTTP/1.1 GET of `path` from `address`: the status code, the headers (lower-case
/// names) and the body, read until the server closes or `limit` bytes came.
pub fn http_get(address: std::net::SocketAddr, path: &str, limit: usize) -> (u16, String, String) {
    http_request(address, "GET", path, None, limit)
}

/// A plain HTTP/1.1 request, with a JSON body if given; answered as by [`http_get`].
pub fn http_request(
    address: std::net::SocketAddr,
    method: &str,
    path: &str,
    json: Option<&str>,
    limit: usize,
) -> (u16, String, String) {
    try_http_request(address, method, path, json, limit)
        .unwrap_or_else(|e| panic!("{method} {path} on {address}: {e}"))
}

/// [`http_request`], with the connection's errors returned.
pub fn try_http_request(
    address: std::net::SocketAddr,
    method: &str,
    path: &str,
    json: Option<&str>,
    limit: usize,
) -> std::io::Result<(u16, String, String)> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address)?;
    stream.set_read_timeout(Some(std::time::Duration::from_secs(60)))?;
    let body = json.unwrap_or("");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    // Read until the server closes, `limit` bytes came, or the body its head announced did
    // (servers may keep the connection open despite `Connection: close`).
    let complete = |raw: &[u8]| {
        let text = String::from_utf8_lossy(raw);
        let Some((head, body)) = text.split_once("\r\n\r\n") else {
            return false;
        };
        head.lines()
            .find_map(|l| {
                l.to_lowercase()
                    .strip_prefix("content-length:")
                    .map(|n| n.trim().parse::<usize>())
            })
            .and_then(Result::ok)
            .is_some_and(|n| body.len() >= n)
    };
    while raw.len() < limit && !complete(&raw) {
        match stream.read(&mut buf)? {
            0 => break,
            n => raw.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&raw).into_owned();
    let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string());
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| bad("no response head"))?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("no status code"))?;
    Ok((status, head.to_lowercase(), body.to_string()))
}
