//! The live dashboard: a local HTTP server (axum on a one-thread tokio runtime of its own)
//! that serves the training view's page, the current state at `/state`, and each new state
//! as a server-sent event at `/events`.
//!
//! The server never waits on training and training never waits on it: training publishes
//! into [`Live`] (a lock held for a copy), and each client's event stream looks at it on its
//! own clock, so a browser that connects late gets the whole state at once, one that
//! disconnects ends only its stream, and one that never reads holds back only its own
//! connection (the stream is polled only as the socket drains; nothing queues up).

use std::convert::Infallible;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use burn::prelude::Backend;
use tokio::sync::oneshot;

use super::live::{Live, PUBLISH_EVERY};
use crate::error::{Error, Result};
use crate::graph::Model;

/// A live view of training in the browser, as PerceptiLabs shows it: curves per step and
/// per epoch, every component's preview, weight, bias and gradient histograms over the
/// epochs, the graph, the settings, progress with the time left, and the test view.
///
/// ```no_run
/// # use percept_runtime::{Model, TrainingBackend, view::{Dashboard, Watch}};
/// # fn f(model: &mut Model<TrainingBackend>) -> percept_runtime::Result<()> {
/// let dashboard = Dashboard::start()?; // http://127.0.0.1:<a free port>/
/// println!("dashboard: {}", dashboard.url());
/// model.set_dashboard(&dashboard);
/// model.run()?;
/// # Ok(()) }
/// ```
///
/// The server runs until the `Dashboard` is dropped, so the page keeps showing the finished
/// run. It binds to loopback unless given another address, and serves only its page and its
/// data.
#[derive(Debug)]
pub struct Dashboard {
    live: Arc<Live>,
    address: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Dashboard {
    /// Serves on loopback (`127.0.0.1`), at a port the system picks.
    pub fn start() -> Result<Self> {
        Self::bind("127.0.0.1:0")
    }

    /// Serves at `address` (`"127.0.0.1:6006"`; `"0.0.0.0:6006"` to let other machines in).
    pub fn bind(address: impl ToSocketAddrs + std::fmt::Display) -> Result<Self> {
        let asked = address.to_string();
        let fail = |source| Error::Dashboard {
            address: asked.clone(),
            source,
        };
        let listener = std::net::TcpListener::bind(address).map_err(fail)?;
        listener.set_nonblocking(true).map_err(fail)?;
        let bound = listener.local_addr().map_err(fail)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(fail)?;
        let live = Arc::new(Live::default());
        let app = Router::new()
            .route("/", get(index))
            .route("/state", get(state))
            .route("/events", get(events))
            .fallback(not_found)
            .with_state(live.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("percept-dashboard".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    tokio::select! {
                        _ = axum::serve(listener, app) => {}
                        _ = stopped => {}
                    }
                });
                // Open event streams never end by themselves: give them a moment, then go.
                runtime.shutdown_timeout(Duration::from_millis(100));
            })
            .map_err(fail)?;
        Ok(Dashboard {
            live,
            address: bound,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The address served.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The page's address, to open in a browser.
    pub fn url(&self) -> String {
        format!("http://{}/", self.address)
    }
}

impl Drop for Dashboard {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl super::Watch for Dashboard {
    fn attach<B: Backend>(&self, model: &mut Model<B>) {
        model.observe(self.live.clone());
    }
}

async fn index(State(live): State<Arc<Live>>) -> Html<String> {
    let title = live.title().unwrap_or_else(|| "percept".into());
    Html(super::page::page(&format!("{title}: training"), None))
}

async fn state(State(live): State<Arc<Live>>) -> Response {
    let json = live.json().unwrap_or_else(|| "null".into());
    ([(header::CONTENT_TYPE, "application/json")], json).into_response()
}

async fn events(
    State(live): State<Arc<Live>>,
) -> Sse<impl futures_util::Stream<Item = std::result::Result<Event, Infallible>>> {
    // Each client looks at the version on its own clock and sends the whole state when it
    // changed: a slow client gets fewer, newer states instead of a backlog.
    let stream = futures_util::stream::unfold((live, u64::MAX), |(live, seen)| async move {
        loop {
            let version = live.version();
            if version != seen {
                let json = live.json().unwrap_or_else(|| "null".into());
                return Some((Ok(Event::default().data(json)), (live, version)));
            }
            tokio::time::sleep(PUBLISH_EVERY).await;
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

async fn not_found() -> (StatusCode, &'static str) {
    (
        StatusCode::NOT_FOUND,
        "not found: the dashboard serves /, /state and /events\n",
    )
}
