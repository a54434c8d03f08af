//! The live dashboard over real HTTP, and the training view in a real browser (headless
//! Chromium; skipped without one unless `PERCEPT_REQUIRE_BROWSER` is set, as in `.ci/run`).

mod common;

use std::io::{BufRead, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::browser::Browser;
use common::{build, http_get, shared, training};
use percept::prelude::*;

/// A small CNN of the digits read from their CSV file, with that file as its test set too
/// (the test view needs one): image previews (the reshape), channel grids (the conv),
/// labelled bars (the prediction) and a test view.
fn digits_cnn(epochs: usize) -> ModelBuilder {
    let digits = shared("digits/digits.csv.gz");
    common::digits_from_csv("DigitsCnn", Some(&digits))
        .add("reshape", ReshapeSettings::new([8, 8, 1]), &["scaled"])
        .add(
            "conv",
            ConvSettings::new(4, 3).with_activation(Activation::Relu),
            &["reshape"],
        )
        .add("flat", FlattenSettings {}, &["conv"])
        .add("fc", DenseSettings::new(10, Activation::Softmax), &["flat"])
        .add(
            "train",
            ClassificationSettings {
                training: training(epochs),
            },
            &["fc", "labels"],
        )
}

fn state(dashboard: &Dashboard) -> serde_json::Value {
    let (status, head, body) = http_get(dashboard.address(), "/state", usize::MAX);
    assert_eq!(status, 200);
    assert!(head.contains("content-type: application/json"), "{head}");
    serde_json::from_str(&body).expect("the state is JSON")
}

#[test]
fn the_dashboard_serves_its_page_its_state_and_nothing_else() {
    let dashboard = Dashboard::start().unwrap();
    assert!(
        dashboard.address().ip().is_loopback(),
        "loopback by default"
    );
    assert!(dashboard.url().starts_with("http://127.0.0.1:"));
    assert!(state(&dashboard).is_null(), "no run yet");
    let (status, head, page) = http_get(dashboard.address(), "/", usize::MAX);
    assert_eq!(status, 200);
    assert!(head.contains("content-type: text/html"), "{head}");
    assert!(page.contains("<div id=\"app\">"));
    assert!(
        !page.contains("type=\"application/json\""),
        "the state comes from /state"
    );
    for path in [
        "/favicon.ico",
        "/../Cargo.toml",
        "/state/../../etc/passwd",
        "/index.html",
    ] {
        let (status, _, _) = http_get(dashboard.address(), path, usize::MAX);
        assert_eq!(status, 404, "{path}");
    }
    // Another address is taken as asked; one in use is a clear error naming it.
    let taken = dashboard.address().to_string();
    let err = Dashboard::bind(taken.as_str()).unwrap_err().to_string();
    assert!(err.contains(&taken) && err.contains("dashboard"), "{err}");
}

#[test]
fn training_publishes_live_and_survives_clients_that_never_read_or_leave() {
    let dashboard = Dashboard::start().unwrap();
    let mut model = build(digits_cnn(4));
    model.set_dashboard(&dashboard);
    // A client that asks for events and never reads them, and one that leaves mid-stream.
    let mut silent = TcpStream::connect(dashboard.address()).unwrap();
    write!(silent, "GET /events HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut leaving = TcpStream::connect(dashboard.address()).unwrap();
    write!(leaving, "GET /events HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut first = [0u8; 64];
    leaving
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let _ = leaving.read(&mut first);
    drop(leaving);

    let report = model.run().unwrap();
    let evaluation = model.evaluate().unwrap();
    let s = state(&dashboard);
    assert_eq!(s["status"], "finished");
    assert_eq!(s["progress"]["epoch"], 4);
    assert_eq!(s["progress"]["epochs"], 4);
    assert_eq!(
        s["steps"]["loss"].as_array().unwrap().len(),
        report.steps.len(),
        "every step's loss"
    );
    let component = |name: &str| {
        s["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["instance"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(component("reshape")["preview"]["view"], "image");
    // The Data component's flat elements are drawn as the images they are reshaped into.
    assert_eq!(component("images")["preview"]["view"], "image");
    assert_eq!(
        component("images")["preview"]["shape"],
        serde_json::json!([8, 8, 1])
    );
    assert_eq!(component("conv")["preview"]["view"], "channels");
    assert_eq!(
        component("conv")["preview"]["shape"],
        serde_json::json!([8, 8, 4])
    );
    assert_eq!(component("fc")["preview"]["view"], "bars");
    // The test view arrives with `evaluate()`.
    let test = &s["evaluation"];
    assert_eq!(test["samples"], evaluation.samples);
    assert_eq!(
        test["classification"]["confusion"]
            .as_array()
            .unwrap()
            .len(),
        10
    );
    assert_eq!(
        test["classification"]["worst"].as_array().unwrap().len(),
        percept::training::WORST_KEPT
    );

    // A client that connects now gets the whole finished state as its first event.
    let event = first_event(dashboard.address());
    let parsed: serde_json::Value = serde_json::from_str(&event).expect("an event's data is JSON");
    assert_eq!(parsed["status"], "finished");
    assert!(parsed["evaluation"]["classification"].is_object());
    drop(silent);
}

/// The data of the first server-sent event of `/events`, read through the chunked framing.
fn first_event(address: std::net::SocketAddr) -> String {
    let stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut reader = std::io::BufReader::new(stream);
    let mut line = String::new();
    write!(reader.get_mut(), "GET /events HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut head = String::new();
    while line != "\r\n" {
        line.clear();
        reader.read_line(&mut line).unwrap();
        head.push_str(&line.to_lowercase());
    }
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("content-type: text/event-stream"), "{head}");
    assert!(head.contains("transfer-encoding: chunked"), "{head}");
    let mut body = Vec::new();
    while !String::from_utf8_lossy(&body).contains("\n\n") {
        line.clear();
        reader.read_line(&mut line).unwrap();
        let size = usize::from_str_radix(line.trim(), 16).expect("a chunk size");
        let mut chunk = vec![0u8; size + 2];
        reader.read_exact(&mut chunk).unwrap();
        body.extend_from_slice(&chunk[..size]);
    }
    let text = String::from_utf8(body).unwrap();
    let event = text.split("\n\n").next().unwrap();
    event
        .lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .map(str::trim_start)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The number of points of the chart titled `title`, 0 when there is none yet.
const POINTS: &str = "return Array.from(document.querySelectorAll('.chart')).map(c => [c.dataset.title, +c.dataset.points]);";

fn points(browser: &Browser) -> Vec<(String, u64)> {
    browser
        .eval(POINTS)
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_str().unwrap().to_string(), p[1].as_u64().unwrap()))
        .collect()
}

/// The page's preview images: PNGs made by its script from the captured values.
const PREVIEWS: &str = "return Array.from(document.querySelectorAll('img.preview')).filter(i => i.src.startsWith('data:image/png;base64,') && i.naturalWidth > 0).length;";

/// The epoch the page shows, from `#epoch` (`E / N`).
fn epoch_shown(browser: &Browser) -> (usize, usize) {
    let text = browser.text("epoch").unwrap_or_default();
    let (done, total) = text
        .split_once(" / ")
        .unwrap_or_else(|| panic!("#epoch: {text:?}"));
    (done.parse().unwrap(), total.parse().unwrap())
}

#[test]
fn a_real_browser_shows_training_live_then_the_test_view() {
    let Some(browser) = Browser::start() else {
        return;
    };
    let dashboard = Dashboard::start().unwrap();
    let mut model = build(digits_cnn(60));
    model.set_dashboard(&dashboard);
    browser.open(&dashboard.url());
    browser.wait_for(
        "return document.body.innerText.includes('waiting for training')",
        Duration::from_secs(30),
    );
    let training = std::thread::spawn(move || {
        model.run().unwrap();
        model.evaluate().unwrap();
    });
    // The open page follows the run by itself: its event stream brings each new state.
    browser.wait_for(
        "const e = document.getElementById('epoch'); return e && /^[1-9][0-9]* \\/ 60$/.test(e.textContent.trim());",
        Duration::from_secs(120),
    );
    let (seen, total) = epoch_shown(&browser);
    assert_eq!(total, 60);
    assert_eq!(
        browser.text("status").as_deref(),
        Some("training"),
        "live, mid-run"
    );
    let loss = points(&browser);
    assert!(
        loss.iter()
            .any(|(title, n)| title == "loss per step" && *n > 0),
        "a chart with points: {loss:?}"
    );
    browser.wait_for(PREVIEWS, Duration::from_secs(30));
    assert!(
        browser
            .eval("return !!document.querySelector('section.component[data-instance=\"conv\"]')")
            == true,
        "a card per component"
    );
    // Without reloading, the page moves on to later epochs, the end, and the test view.
    browser.wait_for(
        &format!("return +document.getElementById('epoch').textContent.split(' / ')[0] > {seen}"),
        Duration::from_secs(120),
    );
    training.join().unwrap();
    browser.wait_for(
        "return document.getElementById('test-view') && document.getElementById('confusion')",
        Duration::from_secs(30),
    );
    assert_eq!(epoch_shown(&browser), (60, 60));
    assert_eq!(browser.text("status").as_deref(), Some("finished"));
    assert_eq!(browser.errors(), serde_json::json!([]), "no script errors");
}

#[test]
fn a_real_browser_draws_the_report_file() {
    let Some(browser) = Browser::start() else {
        return;
    };
    let mut model = build(digits_cnn(3));
    let mut report = model.run().unwrap();
    report.evaluation = Some(model.evaluate().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.html");
    report.write_html(&path).unwrap();
    browser.open(&format!("file://{}", path.display()));
    assert_eq!(epoch_shown(&browser), (3, 3));
    assert_eq!(browser.text("status").as_deref(), Some("finished"));
    let charts = points(&browser);
    for title in [
        "loss per step",
        "loss per epoch",
        "accuracy per epoch",
        "weight W",
    ] {
        assert!(
            charts.iter().any(|(t, n)| t == title && *n > 0),
            "{title}: {charts:?}"
        );
    }
    assert!(
        browser
            .wait_for(PREVIEWS, Duration::from_secs(10))
            .as_u64()
            .unwrap()
            >= 2
    );
    assert!(browser.eval("return !!document.getElementById('confusion')") == true);
    assert_eq!(browser.errors(), serde_json::json!([]), "no script errors");
}

/// Takes the book's screenshots of the dashboard (mid-run) and of a report with its test
/// view: `cargo test -p percept-tests --test test_dashboard -- --ignored screenshots`.
#[test]
#[ignore = "writes book/src/images; run by hand when the view changes"]
fn screenshots_for_the_book() {
    let browser = Browser::start().expect("the screenshots need Chromium and chromedriver");
    let images = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../book/src/images");
    std::fs::create_dir_all(&images).unwrap();
    let dashboard = Dashboard::start().unwrap();
    let mut model = build(digits_cnn(200));
    model.set_dashboard(&dashboard);
    let training = std::thread::spawn(move || {
        let mut report = model.run().unwrap();
        report.evaluation = Some(model.evaluate().unwrap());
        report
    });
    browser.open(&dashboard.url());
    browser.wait_for(
        "const e = document.getElementById('epoch'); return e && +e.textContent.split(' / ')[0] >= 60;",
        Duration::from_secs(600),
    );
    browser.wait_for(PREVIEWS, Duration::from_secs(30));
    browser.screenshot(1280, &images.join("dashboard.png"));
    let report = training.join().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.html");
    report.write_html(&path).unwrap();
    browser.open(&format!("file://{}", path.display()));
    browser.wait_for(PREVIEWS, Duration::from_secs(30));
    browser.screenshot(1280, &images.join("report.png"));
}
