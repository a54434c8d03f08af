//! Progress while training: a bar on a terminal, a table with one row per epoch elsewhere,
//! every line within 80 columns, and a last line with the total time.

use std::io::IsTerminal;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

use super::report::{EpochStats, TrainingReport};
use crate::graph::Model;

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
    steps: usize,
    metric: &'static str,
    /// Elements trained on since the last bar update, and when it was.
    started: Instant,
    samples: usize,
    header_shown: bool,
}

impl<B: burn::prelude::Backend> Model<B> {
    /// How `run()` shows its progress (by default a bar on a terminal, lines elsewhere).
    pub fn set_progress(&mut self, progress: Progress) {
        self.extensions.insert(progress);
    }

    /// How `run()` shows its progress.
    pub(crate) fn progress(&self) -> Progress {
        self.extensions.get().copied().unwrap_or_default()
    }
}

impl Reporter {
    pub(crate) fn new(progress: Progress, epochs: usize, steps: usize, regression: bool) -> Self {
        let terminal = std::io::stderr().is_terminal();
        let (bar, lines) = match progress {
            Progress::Auto if terminal => (Some(bar(epochs * steps)), false),
            Progress::Auto | Progress::Lines => (None, true),
            Progress::Hidden => (None, false),
        };
        Reporter {
            bar,
            lines,
            epochs,
            steps,
            metric: if regression { "R²" } else { "acc" },
            started: Instant::now(),
            samples: 0,
            header_shown: false,
        }
    }

    pub(crate) fn step(
        &mut self,
        epoch: usize,
        step: usize,
        samples: usize,
        loss: f32,
        metric: f32,
    ) {
        self.samples += samples;
        if let Some(bar) = &self.bar {
            let rate = self.samples as f64 / self.started.elapsed().as_secs_f64().max(1e-9);
            bar.set_message(step_message(
                (epoch, self.epochs),
                (step, self.steps),
                self.metric,
                loss,
                metric,
                rate,
            ));
            bar.inc(1);
        }
    }

    pub(crate) fn epoch(&mut self, epoch: usize, stats: &EpochStats, samples: usize) {
        let mut text = String::new();
        if !self.header_shown {
            self.header_shown = true;
            text = header(self.metric);
            text.push('\n');
        }
        text.push_str(&epoch_line((epoch, self.epochs), stats, samples));
        self.print(&text);
    }

    /// The last line: how long the run took.
    pub(crate) fn finish(&mut self, report: &TrainingReport) {
        self.clear();
        if self.lines || self.bar.is_some() {
            self.print(&summary_line(report));
        }
    }

    fn print(&self, text: &str) {
        if let Some(bar) = &self.bar {
            bar.println(text);
        } else if self.lines {
            eprintln!("{text}");
        }
    }

    fn clear(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Reporter {
    /// Clears the bar, at the end of a run or when it stops early on an error.
    fn drop(&mut self) {
        self.clear();
    }
}

fn bar(total: usize) -> ProgressBar {
    let bar = ProgressBar::new(total as u64);
    let style = ProgressStyle::with_template("{bar:8} {msg} eta {eta}")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}

/// A figure in at most 7 characters: 4 decimals while small, fewer as it grows.
fn figure(v: f32) -> String {
    if !v.is_finite() {
        "-".into()
    } else if v.abs() < 10.0 {
        format!("{v:.4}")
    } else if v.abs() < 1000.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.1e}")
    }
}

/// Elements per second, in at most 6 characters.
fn rate(per_second: f64) -> String {
    if per_second < 100_000.0 {
        format!("{per_second:.0}")
    } else if per_second < 100_000_000.0 {
        format!("{:.0}k", per_second / 1000.0)
    } else {
        format!("{per_second:.0e}")
    }
}

/// The bar's message: where the run is, and the epoch's running figures.
fn step_message(
    (epoch, epochs): (usize, usize),
    (step, steps): (usize, usize),
    metric: &str,
    loss: f32,
    value: f32,
    per_second: f64,
) -> String {
    format!(
        "epoch {epoch}/{epochs} step {step}/{steps} loss {} {metric} {} {}/s",
        figure(loss),
        figure(value),
        rate(per_second)
    )
}

/// The header of the epochs' table.
fn header(metric: &str) -> String {
    let (name, short) = if metric == "acc" {
        ("accuracy", "acc")
    } else {
        (metric, metric)
    };
    format!(
        "{:>9} {:>8} {:>8} {:>8} {:>8} {:>8} {:>10}",
        "epoch",
        "loss",
        name,
        "val loss",
        format!("val {short}"),
        "time",
        "elements/s"
    )
}

/// One row of the epochs' table.
fn epoch_line((epoch, epochs): (usize, usize), stats: &EpochStats, samples: usize) -> String {
    let seconds = stats.duration.as_secs_f64();
    format!(
        "{:>9} {:>8} {:>8} {:>8} {:>8} {:>7.2}s {:>10}",
        format!("{epoch}/{epochs}"),
        figure(stats.loss_training),
        figure(stats.accuracy_training),
        figure(stats.loss_validation),
        figure(stats.accuracy_validation),
        seconds,
        rate(samples as f64 / seconds.max(1e-9))
    )
}

/// The run's last line.
fn summary_line(report: &TrainingReport) -> String {
    let epochs = report.epochs.len();
    format!(
        "trained {epochs} epoch{} in {:.2} s, {} training elements/s",
        if epochs == 1 { "" } else { "s" },
        report.duration().as_secs_f64(),
        rate(report.samples_per_second())
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// The widest line progress may print.
    const COLUMNS: usize = 80;

    fn stats(loss: f32, metric: f32, seconds: f64) -> EpochStats {
        EpochStats {
            loss_training: loss,
            accuracy_training: metric,
            loss_validation: f32::NAN,
            accuracy_validation: metric,
            duration: Duration::from_secs_f64(seconds),
        }
    }

    #[test]
    fn every_line_fits_80_columns_even_at_its_widest() {
        let widest = [
            step_message(
                (1000, 1000),
                (60_000, 60_000),
                "acc",
                -123_456.0,
                -0.1234,
                1e12,
            ),
            header("acc"),
            header("R²"),
            epoch_line(
                (1000, 1000),
                &stats(-99_999.0, -1e9, 99_999.0),
                usize::MAX / 2,
            ),
        ];
        for line in &widest {
            let width = line.chars().count();
            // The bar adds 8 columns, a space, and " eta 59m" (8 at most below a day).
            let allowed = if line.starts_with("epoch ") {
                COLUMNS - 17
            } else {
                COLUMNS
            };
            assert!(width <= allowed, "{width} > {allowed}: {line}");
        }
    }

    #[test]
    fn the_table_is_aligned_under_its_header() {
        let head = header("acc");
        let row = epoch_line((3, 30), &stats(0.12345, 0.9612, 0.0213), 1437);
        assert_eq!(head.chars().count(), row.chars().count(), "{head}\n{row}");
        assert!(row.contains("0.1235") && row.contains("0.9612"), "{row}");
        assert!(row.contains("      -"), "no validation loss: {row}");
        assert!(row.contains("0.02s") && row.contains("67465"), "{row}");
    }

    #[test]
    fn figures_stay_short_however_large() {
        assert_eq!(figure(0.123_456), "0.1235");
        assert_eq!(figure(12.345), "12.35");
        assert_eq!(figure(12_345.0), "1.2e4");
        assert_eq!(figure(f32::NAN), "-");
        assert_eq!(rate(4321.4), "4321");
        assert_eq!(rate(432_100.0), "432k");
    }
}
