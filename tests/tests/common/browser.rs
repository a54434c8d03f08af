//! A real browser for the tests: Debian's Chromium, headless, driven through chromedriver's
//! W3C WebDriver protocol (plain HTTP and JSON), so that a test loads a page, lets its scripts
//! run (a live page's event stream included), and reads the DOM or takes a screenshot.
//!
//! Without Chromium and chromedriver the browser tests are skipped with a message, unless
//! `PERCEPT_REQUIRE_BROWSER` is set (as `.ci/run` sets it): then a missing browser fails.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

use super::{http_request, try_http_request};

/// A headless Chromium session; closed (with its chromedriver) when dropped.
pub struct Browser {
    driver: Child,
    address: SocketAddr,
    session: String,
}

fn find(names: &[&str], variable: &str) -> Option<PathBuf> {
    if let Some(named) = std::env::var_os(variable) {
        return Some(PathBuf::from(named));
    }
    let paths = std::env::var_os("PATH")?;
    names.iter().find_map(|name| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

impl Browser {
    /// Starts a session, or `None` (after saying why) when no browser is installed.
    pub fn start() -> Option<Self> {
        let chromium = find(&["chromium", "chromium-browser"], "PERCEPT_CHROMIUM");
        let driver = find(&["chromedriver"], "PERCEPT_CHROMEDRIVER");
        let (Some(chromium), Some(driver)) = (chromium, driver) else {
            assert!(
                std::env::var_os("PERCEPT_REQUIRE_BROWSER").is_none(),
                "PERCEPT_REQUIRE_BROWSER is set, but Chromium or chromedriver is missing \
                 (Debian: `apt-get install chromium chromium-driver`)"
            );
            eprintln!(
                "skipped: no Chromium and chromedriver on PATH \
                 (Debian: `apt-get install chromium chromium-driver`)"
            );
            return None;
        };
        Some(Self::launch(&chromium, &driver))
    }

    fn launch(chromium: &Path, driver: &Path) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let driver = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        // Listening is not ready: wait for its status to say so.
        let start = Instant::now();
        while !try_http_request(address, "GET", "/status", None, usize::MAX).is_ok_and(
            |(status, _, body)| {
                status == 200
                    && serde_json::from_str::<Value>(&body)
                        .is_ok_and(|v| v["value"]["ready"] == true)
            },
        ) {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "chromedriver did not become ready"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let capabilities = json!({"capabilities": {"alwaysMatch": {"goog:chromeOptions": {
            "binary": chromium,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,900", "--hide-scrollbars"],
        }}}});
        let mut browser = Browser {
            driver,
            address,
            session: String::new(),
        };
        let answer = browser.call("POST", "/session", Some(capabilities));
        browser.session = answer["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {answer}"))
            .to_string();
        browser
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let body = body.map(|b| b.to_string());
        let (status, _, text) =
            http_request(self.address, method, path, body.as_deref(), usize::MAX);
        let answer: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("chromedriver answered {status} {text}: {e}"));
        assert_eq!(status, 200, "{method} {path}: {answer}");
        answer["value"].clone()
    }

    fn session(&self, path: &str) -> String {
        format!("/session/{}{path}", self.session)
    }

    /// Opens `url` and waits for its load event.
    pub fn open(&self, url: &str) {
        self.call("POST", &self.session("/url"), Some(json!({ "url": url })));
    }

    /// The value of `script` (a function body: `return ...`) run in the page.
    pub fn eval(&self, script: &str) -> Value {
        self.call(
            "POST",
            &self.session("/execute/sync"),
            Some(json!({ "script": script, "args": [] })),
        )
    }

    /// Waits up to `timeout` for `script` to return something truthy, and returns it.
    pub fn wait_for(&self, script: &str, timeout: Duration) -> Value {
        let start = Instant::now();
        loop {
            let value = self.eval(script);
            let truthy = match &value {
                Value::Null | Value::Bool(false) => false,
                Value::String(s) => !s.is_empty(),
                Value::Number(n) => n.as_f64() != Some(0.0),
                _ => true,
            };
            if truthy {
                return value;
            }
            assert!(
                start.elapsed() < timeout,
                "`{script}` stayed false; the page:\n{}",
                self.eval("return document.body.innerText")
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The text of the element `#id`, or `None`.
    pub fn text(&self, id: &str) -> Option<String> {
        self.eval(&format!(
            "const e = document.getElementById({id:?}); return e ? e.textContent.trim() : null;"
        ))
        .as_str()
        .map(str::to_string)
    }

    /// Scripts' errors the page caught (the view shows none when all is well).
    pub fn errors(&self) -> Value {
        self.eval("return window.__perceptErrors || []")
    }

    /// A PNG of the whole page, `width` pixels wide.
    pub fn screenshot(&self, width: u32, path: &Path) {
        let height = self
            .eval("return document.documentElement.scrollHeight")
            .as_u64()
            .unwrap_or(900);
        self.call(
            "POST",
            &self.session("/window/rect"),
            Some(json!({ "width": width, "height": height + 20 })),
        );
        let png = self.call("GET", &self.session("/screenshot"), None);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().expect("base64 PNG"))
            .expect("the screenshot is base64");
        std::fs::write(path, bytes).expect("the screenshot is written");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = http_request(
                self.address,
                "DELETE",
                &format!("/session/{}", self.session),
                None,
                usize::MAX,
            );
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
