//! Progress while training: a bar on a terminal, one plain line per epoch elsewhere.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

use super::report::EpochStats;

/// How training shows its progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Progress {
    /// A progress bar when standard error is a terminal, one line per epoch otherwise.
    #[default]
    Auto,
    /// One line per epoch on standard error.
    Lines,
    /// Nothing.
    Hidden,
}

/// Shows the progress of one run.
pub(crate) struct Reporter {
    bar: Option<ProgressBar>,
    lines: bool,
    epochs: usize,
}

impl Reporter {
    pub(crate) fn new(progress: Progress, epochs: usize, steps: usize) -> Self {
        let terminal = std::io::stderr().is_terminal();
        let (bar, lines) = match progress {
            Progress::Auto if terminal => (Some(bar(epochs * steps)), false),
            Progress::Auto | Progress::Lines => (None, true),
            Progress::Hidden => (None, false),
        };
        Reporter { bar, lines, epochs }
    }

    pub(crate) fn step(&self, epoch: usize, step: usize, loss: f32, accuracy: f32) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!(
                "epoch {epoch}/{}  step {step}  loss {loss:.4}  acc {accuracy:.4}",
                self.epochs
            ));
            bar.inc(1);
        }
    }

    pub(crate) fn epoch(&self, epoch: usize, stats: &EpochStats) {
        let line = format!(
            "epoch {epoch}/{}: loss {:.4}, accuracy {:.4}, validation loss {:.4}, validation accuracy {:.4} ({:.2?})",
            self.epochs,
            stats.loss_training,
            stats.accuracy_training,
            stats.loss_validation,
            stats.accuracy_validation,
            stats.duration
        );
        if let Some(bar) = &self.bar {
            bar.println(line);
        } else if self.lines {
            eprintln!("{line}");
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Reporter {
    /// Clears the bar, at the end of a run or when it stops early on an error.
    fn drop(&mut self) {
        self.finish();
    }
}

fn bar(total: usize) -> ProgressBar {
    let bar = ProgressBar::new(total as u64);
    let style = ProgressStyle::with_template("{bar:30} {pos}/{len} {msg} [{elapsed} < {eta}]")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}
