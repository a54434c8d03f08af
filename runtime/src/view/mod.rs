//! The training view, as PerceptiLabs shows it: one web page with the curves, the model
//! graph, every component's preview and its weight, bias and gradient histograms over the
//! epochs, the settings, the progress and the test view.
//!
//! One page serves two uses. [`TrainingReport::write_html`](crate::TrainingReport::write_html)
//! writes it as a self-contained file with the data inside; the live
//! [`Dashboard`] (feature `dashboard`) serves it from a local HTTP server and pushes the data
//! as training goes. The page's script draws the data with uPlot, vendored into
//! `assets/uplot` so that the page opens offline.
//!
//! - [`preview`]: what a component's output looks like (image, channels, bars, number),
//!   drawn by the training layer that captures it and re-exported here.
//! - [`layout`]: the model graph laid out so that no edge crosses a box.
//! - [`state`]: the JSON the page renders.
//! - `page`: the HTML around it, and the report file.
//! - `live` (feature `dashboard`): the state a running training publishes, as an observer of
//!   the model's runs.
//! - `dashboard` (feature `dashboard`): the HTTP server.

#[cfg(feature = "dashboard")]
mod dashboard;
pub mod layout;
#[cfg(feature = "dashboard")]
pub(crate) mod live;
mod page;
pub mod state;

/// What a component's output looks like, as the page draws it: made by the training layer,
/// which keeps previews in its report, and re-exported under the path it had here.
pub mod preview {
    pub use crate::training::{Hint, MAX_PREVIEW_VALUES, Preview};
}

#[cfg(feature = "dashboard")]
pub use dashboard::Dashboard;
pub use layout::GraphLayout;
pub use preview::{Hint, Preview};
pub use state::{Position, Status, ViewState};

/// Escapes text for HTML and XML.
pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Something that watches a model train; [`Dashboard`] is one (feature `dashboard`).
pub trait Watch {
    /// Shows `model`'s next runs and evaluations.
    fn attach<B: burn::prelude::Backend>(&self, model: &mut crate::Model<B>);
}

impl<B: burn::prelude::Backend> crate::Model<B> {
    /// Shows the next runs and evaluations on `dashboard` (a [`Dashboard`](crate::view::Watch)
    /// with the feature `dashboard`).
    pub fn set_dashboard(&mut self, dashboard: &impl Watch) {
        dashboard.attach(self);
    }
}
