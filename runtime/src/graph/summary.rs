//! `summary()`: a Keras-style table of the components.

use std::fmt;

use burn::prelude::*;
use percept_catalogue::Shape;

use super::model::Model;

/// One row of a [`Summary`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryRow {
    /// The instance name.
    pub component: String,
    /// The PerceptiLabs-style class name.
    pub class_name: String,
    /// The per-element output shape.
    pub output: Shape,
    /// The number of stored values: trainable parameters and running statistics.
    pub parameters: usize,
}

/// The components of a model with their class names, output shapes and parameter counts,
/// in topological order. `Display` renders it as a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The model's name.
    pub model: String,
    /// One row per component.
    pub rows: Vec<SummaryRow>,
}

impl<B: Backend> Model<B> {
    /// A Keras-style table: component, class name, output shape, parameters, and the total.
    pub fn summary(&self) -> Summary {
        Summary::of(self)
    }
}

impl Summary {
    pub(crate) fn of<B: Backend>(model: &Model<B>) -> Self {
        let plan = model.plan();
        let rows = plan
            .order
            .iter()
            .map(|&i| {
                let node = &model.components()[i];
                SummaryRow {
                    component: plan.entries[i].instance.clone(),
                    class_name: node.class_name(),
                    output: plan.entries[i].output.shape.clone(),
                    parameters: node.num_params(),
                }
            })
            .collect();
        Summary {
            model: plan.name.clone(),
            rows,
        }
    }

    /// The total number of stored values: trainable parameters and running statistics.
    pub fn total_parameters(&self) -> usize {
        self.rows.iter().map(|r| r.parameters).sum()
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers = ["Component", "Class", "Output shape", "Params"];
        let cells: Vec<[String; 4]> = self
            .rows
            .iter()
            .map(|r| {
                [
                    r.component.clone(),
                    r.class_name.clone(),
                    r.output.to_string(),
                    r.parameters.to_string(),
                ]
            })
            .collect();
        let width = |col: usize| {
            cells
                .iter()
                .map(|c| c[col].len())
                .chain([headers[col].len()])
                .max()
                .unwrap_or(0)
        };
        let widths = [width(0), width(1), width(2), width(3)];
        let line_len = widths.iter().sum::<usize>() + 3 * 3;
        writeln!(f, "Model: {}", self.model)?;
        writeln!(f, "{}", "=".repeat(line_len))?;
        let row = |f: &mut fmt::Formatter<'_>, c: [&str; 4]| {
            writeln!(
                f,
                "{:<w0$}   {:<w1$}   {:<w2$}   {:>w3$}",
                c[0],
                c[1],
                c[2],
                c[3],
                w0 = widths[0],
                w1 = widths[1],
                w2 = widths[2],
                w3 = widths[3]
            )
        };
        row(f, headers)?;
        writeln!(f, "{}", "-".repeat(line_len))?;
        for c in &cells {
            row(f, [&c[0], &c[1], &c[2], &c[3]])?;
        }
        writeln!(f, "{}", "=".repeat(line_len))?;
        writeln!(f, "Total params: {}", self.total_parameters())
    }
}
