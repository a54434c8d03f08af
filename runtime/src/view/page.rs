//! The training view's HTML: the page around the state, for the report file and the
//! dashboard alike.

use std::path::Path;

use super::state::ViewState;
use crate::error::{Error, Result};
use crate::training::TrainingReport;

const UPLOT_JS: &str = include_str!("assets/uplot/uPlot.iife.min.js");
const UPLOT_CSS: &str = include_str!("assets/uplot/uPlot.min.css");
const VIEW_JS: &str = include_str!("assets/view.js");
const VIEW_CSS: &str = include_str!("assets/view.css");

/// The page, with `state` inside (a report) or without (the dashboard's, whose script asks
/// the server for it).
pub(crate) fn page(title: &str, state: Option<&ViewState<'_>>) -> String {
    let data = state.map_or(String::new(), |state| {
        // No `<` at all inside the script element (`</script>`, `<!--` would end or bend
        // it): JSON reads `\u003c` as `<`.
        format!(
            "<script type=\"application/json\" id=\"percept-state\">{}</script>\n",
            state.to_json().replace('<', "\\u003c")
        )
    });
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title>\n<style>{UPLOT_CSS}\n{VIEW_CSS}</style></head>\n<body><div id=\"app\"></div>\n\
         {data}<script>{UPLOT_JS}</script>\n<script>{VIEW_JS}</script>\n</body></html>\n",
        super::escape(title)
    )
}

impl TrainingReport {
    /// Writes [`to_html`](TrainingReport::to_html) to `path`.
    pub fn write_html(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        std::fs::write(path, self.to_html()).map_err(|source| Error::Io {
            action: "write",
            path: path.into(),
            source,
        })
    }

    /// The report as one self-contained HTML page that opens offline: the curves per step
    /// and per epoch, the settings, the model graph, each component's last preview and its
    /// histograms over the epochs, and the test view when
    /// [`evaluation`](TrainingReport::evaluation) is set.
    pub fn to_html(&self) -> String {
        let title = format!("{}: training report", self.model.model);
        page(&title, Some(&ViewState::finished(self)))
    }
}
