//! The training report as one self-contained HTML page: the curves, the model graph, each
//! component's last preview and its weight histograms, drawn as inline SVG (no scripts, no
//! external files), as PerceptiLabs' training view shows them.

use std::fmt::Write as _;
use std::path::Path;

use burn::prelude::TensorData;

use super::capture::TensorSummary;
use super::report::TrainingReport;
use crate::error::{Error, Result};
use crate::graph::Summary;

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

    /// The report as a self-contained HTML page.
    pub fn to_html(&self) -> String {
        let mut page = String::new();
        let title = format!("{}: training report", escape(&self.model.model));
        let _ = write!(
            page,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\n<style>{STYLE}</style></head><body>\n<h1>{title}</h1>\n"
        );
        let last = self.last();
        let _ = writeln!(
            page,
            "<p>{} epochs on {} training and {} validation elements ({}), {:.0} training elements per second.{}</p>",
            self.epochs.len(),
            self.training_samples,
            self.validation_samples,
            escape(&self.backend),
            self.samples_per_second(),
            last.map_or(String::new(), |l| format!(
                " Last epoch: loss {:.4}, accuracy {:.4}; validation loss {:.4}, validation accuracy {:.4}.",
                l.loss_training, l.accuracy_training, l.loss_validation, l.accuracy_validation
            ))
        );
        page.push_str("<h2>Curves</h2>\n<div class=\"row\">\n");
        let series =
            |f: fn(&super::EpochStats) -> f32| self.epochs.iter().map(f).collect::<Vec<f32>>();
        page.push_str(&line_chart(
            "Loss",
            &[
                ("training", "#1f77b4", series(|e| e.loss_training)),
                ("validation", "#ff7f0e", series(|e| e.loss_validation)),
            ],
        ));
        page.push_str(&line_chart(
            "Accuracy (R² for regression)",
            &[
                ("training", "#1f77b4", series(|e| e.accuracy_training)),
                ("validation", "#ff7f0e", series(|e| e.accuracy_validation)),
            ],
        ));
        page.push_str("</div>\n<h2>Model</h2>\n");
        page.push_str(&graph_svg(&self.model, &self.edges));
        page.push_str("<h2>Components</h2>\n");
        if self.components.is_empty() {
            page.push_str("<p>Training ran headless: no component was captured.</p>\n");
        }
        for history in &self.components {
            let row = self
                .model
                .rows
                .iter()
                .find(|r| r.component == history.instance);
            let _ = writeln!(
                page,
                "<section><h3>{} <small>{}</small></h3><p>output {}, {} parameters</p><div class=\"row\">",
                escape(&history.instance),
                escape(&history.class_name),
                row.map_or(String::new(), |r| escape(&r.output.to_string())),
                row.map_or(0, |r| r.parameters),
            );
            if let Some(sample) = &history.sample {
                page.push_str(&figure(
                    "preview (first element, last step)",
                    &sample_svg(sample),
                ));
            }
            if let Some(last) = history.epochs.last() {
                for (kind, tensors) in [
                    ("weight", &last.weights),
                    ("bias", &last.biases),
                    ("gradient", &last.gradients),
                ] {
                    for (name, summary) in tensors {
                        page.push_str(&figure(
                            &format!("{kind} {name}: last epoch"),
                            &histogram_svg(summary),
                        ));
                    }
                }
            }
            page.push_str("</div></section>\n");
        }
        page.push_str("</body></html>\n");
        page
    }
}

/// The graph as an SVG drawing, in layers by depth from the Data components: one box per
/// component (instance, class name, output shape), one line per input.
pub(crate) fn graph_svg(model: &Summary, edges: &[(String, String)]) -> String {
    let names: Vec<&str> = model.rows.iter().map(|r| r.component.as_str()).collect();
    // Rows are in topological order, so one pass finds each component's depth.
    let mut depth = vec![0usize; names.len()];
    for (i, name) in names.iter().enumerate() {
        for (from, _) in edges.iter().filter(|(_, to)| to == name) {
            if let Some(j) = names.iter().position(|n| n == from) {
                depth[i] = depth[i].max(depth[j] + 1);
            }
        }
    }
    let (w, h, gap_x, gap_y) = (230.0, 54.0, 20.0, 36.0);
    let mut column = vec![0usize; names.len()];
    let mut used = vec![0usize; depth.iter().max().map_or(1, |d| d + 1)];
    for (i, &d) in depth.iter().enumerate() {
        column[i] = used[d];
        used[d] += 1;
    }
    let at = |i: usize| {
        (
            10.0 + column[i] as f64 * (w + gap_x),
            10.0 + depth[i] as f64 * (h + gap_y),
        )
    };
    let width = 20.0 + used.iter().max().copied().unwrap_or(1) as f64 * (w + gap_x);
    let height = 20.0 + used.len() as f64 * (h + gap_y);
    let mut svg =
        format!("<svg class=\"graph\" width=\"{width}\" height=\"{height}\" role=\"img\">\n");
    for (from, to) in edges {
        let (Some(a), Some(b)) = (
            names.iter().position(|n| n == from),
            names.iter().position(|n| n == to),
        ) else {
            continue;
        };
        let ((ax, ay), (bx, by)) = (at(a), at(b));
        let _ = writeln!(
            svg,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{by}\" class=\"edge\"/>",
            ax + w / 2.0,
            ay + h,
            bx + w / 2.0
        );
    }
    for (i, row) in model.rows.iter().enumerate() {
        let (x, y) = at(i);
        let _ = writeln!(
            svg,
            "<g class=\"node\"><rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" rx=\"6\"/><text x=\"{}\" y=\"{}\">{}</text><text x=\"{}\" y=\"{}\" class=\"small\">{}</text><text x=\"{}\" y=\"{}\" class=\"small\">{}</text></g>",
            x + 8.0,
            y + 17.0,
            escape(&row.component),
            x + 8.0,
            y + 32.0,
            escape(&row.class_name),
            x + 8.0,
            y + 46.0,
            escape(&row.output.to_string()),
        );
    }
    svg.push_str("</svg>\n");
    svg
}

const STYLE: &str = "body{font-family:sans-serif;margin:2em;color:#222}.row{display:flex;flex-wrap:wrap;gap:1em}figure{margin:0}figcaption{font-size:12px;color:#555}svg{background:#fafafa;border:1px solid #ddd}.edge{stroke:#888;stroke-width:1.5}.node rect{fill:#eef4fb;stroke:#4a78a8}.node text{font-size:13px}.small{font-size:11px;fill:#555}small{color:#777;font-weight:normal}section{border-top:1px solid #eee;padding-top:.5em}";

fn figure(caption: &str, svg: &str) -> String {
    format!(
        "<figure>{svg}<figcaption>{}</figcaption></figure>\n",
        escape(caption)
    )
}

/// Lines over epochs; NaN points (no validation split) are left out.
fn line_chart(title: &str, series: &[(&str, &str, Vec<f32>)]) -> String {
    let (width, height, pad) = (360.0, 200.0, 30.0);
    let values = series
        .iter()
        .flat_map(|(_, _, v)| v.iter().copied())
        .filter(|v| v.is_finite());
    let (low, high) = values.fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), v| {
        (l.min(v), h.max(v))
    });
    let (low, high) = if low.is_finite() {
        (f64::from(low), f64::from(high).max(f64::from(low) + 1e-6))
    } else {
        (0.0, 1.0)
    };
    let epochs = series
        .iter()
        .map(|(_, _, v)| v.len())
        .max()
        .unwrap_or(0)
        .max(2);
    let x = |i: usize| pad + (width - 2.0 * pad) * i as f64 / (epochs - 1) as f64;
    let y = |v: f64| height - pad - (height - 2.0 * pad) * (v - low) / (high - low);
    let mut svg = format!(
        "<figure><svg width=\"{width}\" height=\"{height}\" role=\"img\"><text x=\"{pad}\" y=\"18\">{}</text>",
        escape(title)
    );
    let _ = write!(
        svg,
        "<text x=\"2\" y=\"{}\" class=\"small\">{low:.3}</text><text x=\"2\" y=\"{}\" class=\"small\">{high:.3}</text>",
        y(low),
        y(high) + 10.0
    );
    for (label, color, points) in series {
        let path: Vec<String> = points
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_finite())
            .map(|(i, v)| format!("{:.1},{:.1}", x(i), y(f64::from(*v))))
            .collect();
        let _ = write!(
            svg,
            "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{}\"><title>{}</title></polyline>",
            path.join(" "),
            escape(label)
        );
    }
    let legend: Vec<String> = series
        .iter()
        .map(|(label, color, _)| {
            format!(
                "<span style=\"color:{color}\">&#9632; {}</span>",
                escape(label)
            )
        })
        .collect();
    let _ = writeln!(
        svg,
        "</svg><figcaption>{} &middot; epochs 1 to {}</figcaption></figure>",
        legend.join(" "),
        series.first().map_or(0, |s| s.2.len())
    );
    svg
}

/// An image-like sample as a grey-scale grid (its first channel), a vector as bars, a scalar as
/// text.
fn sample_svg(data: &TensorData) -> String {
    let values: Vec<f32> = data.iter::<f32>().collect();
    let dims = data.shape.to_vec();
    let (low, high) = values
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), v| {
            (l.min(*v), h.max(*v))
        });
    let unit = |v: f32| {
        if high > low {
            (v - low) / (high - low)
        } else {
            0.5
        }
    };
    match dims.as_slice() {
        [h, w] | [h, w, _] => {
            let channels = dims.get(2).copied().unwrap_or(1);
            let cell = (160 / (*h).max(*w)).max(2);
            let mut svg = format!(
                "<svg width=\"{}\" height=\"{}\" role=\"img\">",
                w * cell,
                h * cell
            );
            for r in 0..*h {
                for c in 0..*w {
                    let grey = 255 - (unit(values[(r * w + c) * channels]) * 255.0) as u8;
                    let _ = write!(
                        svg,
                        "<rect x=\"{}\" y=\"{}\" width=\"{cell}\" height=\"{cell}\" fill=\"rgb({grey},{grey},{grey})\"/>",
                        c * cell,
                        r * cell
                    );
                }
            }
            svg + "</svg>"
        }
        [n] => {
            let (width, height) = (240.0, 100.0);
            let bar = width / (*n).max(1) as f64;
            let mut svg = format!("<svg width=\"{width}\" height=\"{height}\" role=\"img\">");
            for (i, v) in values.iter().enumerate() {
                let tall = 4.0 + (height - 8.0) * f64::from(unit(*v));
                let _ = write!(
                    svg,
                    "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{tall:.1}\" fill=\"#4a78a8\"><title>{i}: {v}</title></rect>",
                    i as f64 * bar,
                    height - tall,
                    bar.max(1.0) * 0.9
                );
            }
            svg + "</svg>"
        }
        _ => format!(
            "<svg width=\"120\" height=\"40\" role=\"img\"><text x=\"8\" y=\"26\">{}</text></svg>",
            values
                .first()
                .map_or("-".to_string(), |v| format!("{v:.4}"))
        ),
    }
}

fn histogram_svg(summary: &TensorSummary) -> String {
    let (width, height) = (240.0, 100.0);
    let most = summary.histogram.iter().copied().max().unwrap_or(1).max(1);
    let bar = width / summary.histogram.len().max(1) as f64;
    let mut svg = format!(
        "<svg width=\"{width}\" height=\"{}\" role=\"img\">",
        height + 14.0
    );
    for (i, &count) in summary.histogram.iter().enumerate() {
        let tall = (height - 4.0) * f64::from(count) / f64::from(most);
        let _ = write!(
            svg,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{tall:.1}\" fill=\"#ff7f0e\"><title>{count}</title></rect>",
            i as f64 * bar,
            height - tall,
            bar * 0.9
        );
    }
    let _ = write!(
        svg,
        "<text x=\"2\" y=\"{}\" class=\"small\">{:.3} .. {:.3}, mean {:.3}, std {:.3}</text></svg>",
        height + 12.0,
        summary.min,
        summary.max,
        summary.mean,
        summary.std
    );
    svg
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
    }

    #[test]
    fn draws_an_image_sample_as_a_grid() {
        let svg = sample_svg(&TensorData::new(vec![0.0f32, 1.0, 0.5, 0.25], [2, 2, 1]));
        assert_eq!(svg.matches("<rect").count(), 4);
        assert!(
            svg.contains("rgb(255,255,255)") && svg.contains("rgb(0,0,0)"),
            "{svg}"
        );
    }

    #[test]
    fn a_chart_skips_missing_points() {
        let svg = line_chart("Loss", &[("validation", "#000", vec![f32::NAN, 1.0, 0.5])]);
        let points = svg
            .split("points=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert_eq!(points.split(' ').count(), 2, "{svg}");
    }
}
