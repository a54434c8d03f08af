//! The model graph laid out for drawing: components in layers by depth, and every input as a
//! path that runs between the boxes, never through one.
//!
//! An input that skips layers (a Data component read by the last layer) gets a lane of its own
//! in each layer it crosses, as a box would (the "dummy nodes" of a Sugiyama layout), so its
//! path goes through gaps only; one sweep orders each layer by the mean position of what feeds
//! it, which keeps a chain of components straight.

use std::fmt::Write as _;

use burn::prelude::Backend;
use serde::Serialize;

use crate::graph::{Model, Summary};

/// A box's size and the gaps around it, in pixels.
const BOX_W: f64 = 260.0;
const BOX_H: f64 = 54.0;
const LANE_W: f64 = 16.0;
const GAP_X: f64 = 24.0;
const GAP_Y: f64 = 44.0;
const MARGIN: f64 = 12.0;

/// One component's box.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeBox {
    /// The instance name.
    pub instance: String,
    /// The PerceptiLabs-style class name.
    pub class_name: String,
    /// The per-element output shape, written out.
    pub output: String,
    /// The number of stored values.
    pub parameters: usize,
    /// The left edge.
    pub x: f64,
    /// The top edge.
    pub y: f64,
    /// The width.
    pub w: f64,
    /// The height.
    pub h: f64,
}

/// One input: a polyline from the bottom of `from` to the top of `to`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EdgePath {
    /// The component whose output is read.
    pub from: String,
    /// The component that reads it.
    pub to: String,
    /// The corners, first at `from`, last at `to`.
    pub points: Vec<[f64; 2]>,
}

/// The whole drawing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GraphLayout {
    /// The drawing's width.
    pub width: f64,
    /// The drawing's height.
    pub height: f64,
    /// One box per component, in the summary's (topological) order.
    pub nodes: Vec<NodeBox>,
    /// One path per input.
    pub edges: Vec<EdgePath>,
}

/// What occupies a place in a layer: a component's box, or a lane of an edge passing through.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Slot {
    Node(usize),
    Lane { edge: usize },
}

impl GraphLayout {
    /// Lays out the components of `model`, wired by `edges` (`(input, component)` by name).
    pub fn of(model: &Summary, edges: &[(String, String)]) -> Self {
        let names: Vec<&str> = model.rows.iter().map(|r| r.component.as_str()).collect();
        let index = |name: &str| names.iter().position(|n| *n == name);
        let wires: Vec<(usize, usize)> = edges
            .iter()
            .filter_map(|(from, to)| Some((index(from)?, index(to)?)))
            .collect();
        // Rows are in topological order, so one pass finds each component's depth.
        let mut depth = vec![0usize; names.len()];
        for &(a, b) in &wires {
            depth[b] = depth[b].max(depth[a] + 1);
        }
        let layers_count = depth.iter().max().map_or(0, |d| d + 1);
        let mut layers: Vec<Vec<Slot>> = vec![Vec::new(); layers_count];
        for (i, &d) in depth.iter().enumerate() {
            layers[d].push(Slot::Node(i));
        }
        for (edge, &(a, b)) in wires.iter().enumerate() {
            for layer in &mut layers[depth[a] + 1..depth[b]] {
                layer.push(Slot::Lane { edge });
            }
        }
        // What feeds each slot: its inputs' boxes, or the edge's previous place.
        let feeds = |slot: Slot, layer: usize| -> Vec<Slot> {
            match slot {
                Slot::Node(i) => wires
                    .iter()
                    .enumerate()
                    .filter(|(_, (_, b))| *b == i)
                    .map(|(e, &(a, _))| {
                        if depth[a] + 1 == layer {
                            Slot::Node(a)
                        } else {
                            Slot::Lane { edge: e }
                        }
                    })
                    .collect(),
                Slot::Lane { edge } => {
                    let a = wires[edge].0;
                    vec![if depth[a] + 1 == layer {
                        Slot::Node(a)
                    } else {
                        slot
                    }]
                }
            }
        };
        for layer in 1..layers.len() {
            let previous = layers[layer - 1].clone();
            let rank = |slot: Slot| {
                let at: Vec<f64> = feeds(slot, layer)
                    .iter()
                    .filter_map(|f| previous.iter().position(|p| p == f))
                    .map(|p| p as f64)
                    .collect();
                if at.is_empty() {
                    f64::MAX
                } else {
                    at.iter().sum::<f64>() / at.len() as f64
                }
            };
            let mut ranked: Vec<(f64, usize, Slot)> = layers[layer]
                .iter()
                .enumerate()
                .map(|(k, &s)| (rank(s), k, s))
                .collect();
            ranked.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
            layers[layer] = ranked.into_iter().map(|(_, _, s)| s).collect();
        }

        let slot_width = |s: &Slot| match s {
            Slot::Node(_) => BOX_W,
            Slot::Lane { .. } => LANE_W,
        };
        let layer_width = |layer: &[Slot]| {
            layer.iter().map(slot_width).sum::<f64>() + GAP_X * layer.len().saturating_sub(1) as f64
        };
        let width = layers.iter().map(|l| layer_width(l)).fold(BOX_W, f64::max) + 2.0 * MARGIN;
        let top = |layer: usize| MARGIN + layer as f64 * (BOX_H + GAP_Y);
        let mut boxes = vec![(0.0, 0.0); names.len()];
        // Each lane's x in each layer it crosses, by edge.
        let mut lanes: Vec<Vec<f64>> = vec![Vec::new(); wires.len()];
        for (d, layer) in layers.iter().enumerate() {
            // Centred, so that a chain of one box per layer is a straight column.
            let mut x = (width - layer_width(layer)) / 2.0;
            for slot in layer {
                match *slot {
                    Slot::Node(i) => boxes[i] = (x, top(d)),
                    Slot::Lane { edge } => lanes[edge].push(x + LANE_W / 2.0),
                }
                x += slot_width(slot) + GAP_X;
            }
        }
        let nodes = model
            .rows
            .iter()
            .zip(&boxes)
            .map(|(row, &(x, y))| NodeBox {
                instance: row.component.clone(),
                class_name: row.class_name.clone(),
                output: row.output.to_string(),
                parameters: row.parameters,
                x,
                y,
                w: BOX_W,
                h: BOX_H,
            })
            .collect();
        let edges = wires
            .iter()
            .zip(&lanes)
            .map(|(&(a, b), lane_xs)| {
                let (ax, ay) = boxes[a];
                let (bx, by) = boxes[b];
                let mut points = vec![[ax + BOX_W / 2.0, ay + BOX_H]];
                for (k, &x) in lane_xs.iter().enumerate() {
                    let layer = depth[a] + 1 + k;
                    points.push([x, top(layer)]);
                    points.push([x, top(layer) + BOX_H]);
                }
                points.push([bx + BOX_W / 2.0, by]);
                EdgePath {
                    from: names[a].to_string(),
                    to: names[b].to_string(),
                    points,
                }
            })
            .collect();
        GraphLayout {
            width,
            height: top(layers_count) - GAP_Y + MARGIN,
            nodes,
            edges,
        }
    }

    /// The drawing as a standalone SVG document: boxes with instance, class name and output
    /// shape, and each input as a line with an arrowhead.
    pub fn to_svg(&self) -> String {
        let mut svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" font-family=\"sans-serif\" style=\"background:#fafafa\" role=\"img\">\n\
             <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#888\"/></marker></defs>\n",
            self.width, self.height
        );
        for edge in &self.edges {
            let points: Vec<String> = edge
                .points
                .iter()
                .map(|[x, y]| format!("{x:.1},{y:.1}"))
                .collect();
            let _ = writeln!(
                svg,
                "<polyline points=\"{}\" fill=\"none\" stroke=\"#888\" stroke-width=\"1.5\" marker-end=\"url(#arrow)\"><title>{} → {}</title></polyline>",
                points.join(" "),
                super::escape(&edge.from),
                super::escape(&edge.to)
            );
        }
        for node in &self.nodes {
            let (x, y) = (node.x, node.y);
            let _ = writeln!(
                svg,
                "<g><rect x=\"{x}\" y=\"{y}\" width=\"{}\" height=\"{}\" rx=\"6\" fill=\"#eef4fb\" stroke=\"#4a78a8\"/><text x=\"{}\" y=\"{}\" font-size=\"13\" font-weight=\"bold\">{}</text><text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"#555\">{}</text><text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"#555\">{}</text></g>",
                node.w,
                node.h,
                x + 8.0,
                y + 17.0,
                super::escape(&node.instance),
                x + 8.0,
                y + 32.0,
                super::escape(&node.class_name),
                x + 8.0,
                y + 46.0,
                super::escape(&node.output),
            );
        }
        svg.push_str("</svg>\n");
        svg
    }
}

/// The graph as text and as a drawing (inspecting depends on the graph, not the reverse).
impl<B: Backend> Model<B> {
    /// The graph in Graphviz DOT: one node per component (instance, class name, output shape),
    /// one edge per input.
    pub fn to_dot(&self) -> String {
        let mut dot = format!(
            "digraph {} {{\n  rankdir=TB;\n  node [shape=box, style=rounded];\n",
            self.plan().name
        );
        for (entry, node) in self.plan().entries.iter().zip(self.components()) {
            let _ = writeln!(
                dot,
                "  \"{}\" [label=\"{}\\n{}\\n{}\"];",
                entry.instance,
                entry.instance,
                node.class_name(),
                entry.output.shape
            );
        }
        for (from, to) in self.edges() {
            let _ = writeln!(dot, "  \"{from}\" -> \"{to}\";");
        }
        dot.push_str("}\n");
        dot
    }

    /// The graph as a standalone SVG drawing: one box per component (instance, class name,
    /// output shape), laid out as [`GraphLayout`] lays it out, one arrow per input.
    pub fn to_svg(&self) -> String {
        GraphLayout::of(&self.summary(), &self.edges()).to_svg()
    }
}

#[cfg(test)]
mod tests {
    use percept_catalogue::Shape;

    use super::*;
    use crate::graph::SummaryRow;

    fn summary(names: &[&str]) -> Summary {
        Summary {
            model: "M".into(),
            rows: names
                .iter()
                .map(|n| SummaryRow {
                    component: n.to_string(),
                    class_name: format!("Class_{n}"),
                    output: Shape::from([2]),
                    parameters: 0,
                })
                .collect(),
        }
    }

    fn wires(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    /// True when the segment from `p` to `q` enters the inside of `b`.
    fn crosses(p: [f64; 2], q: [f64; 2], b: &NodeBox) -> bool {
        (0..=200).any(|k| {
            let t = f64::from(k) / 200.0;
            let (x, y) = (p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1]));
            x > b.x + 0.5 && x < b.x + b.w - 0.5 && y > b.y + 0.5 && y < b.y + b.h - 0.5
        })
    }

    /// The digits model: `labels` feeds the last layer, skipping every other.
    fn digits() -> GraphLayout {
        let names = [
            "images", "labels", "reshape", "conv", "pool", "flat", "fc", "train",
        ];
        let edges = wires(&[
            ("images", "reshape"),
            ("reshape", "conv"),
            ("conv", "pool"),
            ("pool", "flat"),
            ("flat", "fc"),
            ("fc", "train"),
            ("labels", "train"),
        ]);
        GraphLayout::of(&summary(&names), &edges)
    }

    #[test]
    fn no_edge_passes_through_a_box() {
        let layout = digits();
        for edge in &layout.edges {
            for pair in edge.points.windows(2) {
                for node in &layout.nodes {
                    assert!(
                        !crosses(pair[0], pair[1], node),
                        "{} -> {} crosses {}: {:?}",
                        edge.from,
                        edge.to,
                        node.instance,
                        edge.points
                    );
                }
            }
        }
        let skip = layout.edges.iter().find(|e| e.from == "labels").unwrap();
        assert_eq!(
            skip.points.len(),
            2 + 2 * 5,
            "a lane in each of 5 layers crossed"
        );
    }

    #[test]
    fn edges_join_the_bottom_of_the_input_to_the_top_of_the_reader() {
        let layout = digits();
        let by_name = |n: &str| layout.nodes.iter().find(|b| b.instance == n).unwrap();
        for edge in &layout.edges {
            let (a, b) = (by_name(&edge.from), by_name(&edge.to));
            let first = edge.points[0];
            let last = *edge.points.last().unwrap();
            assert_eq!(first, [a.x + a.w / 2.0, a.y + a.h]);
            assert_eq!(last, [b.x + b.w / 2.0, b.y]);
        }
        // Boxes stay inside the drawing and do not overlap.
        for (i, a) in layout.nodes.iter().enumerate() {
            assert!(a.x >= 0.0 && a.x + a.w <= layout.width && a.y + a.h <= layout.height);
            for b in &layout.nodes[i + 1..] {
                let apart =
                    a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
                assert!(apart, "{} overlaps {}", a.instance, b.instance);
            }
        }
    }

    #[test]
    fn a_chain_is_one_straight_column() {
        let layout = GraphLayout::of(
            &summary(&["a", "b", "c"]),
            &wires(&[("a", "b"), ("b", "c")]),
        );
        let xs: Vec<f64> = layout.nodes.iter().map(|n| n.x).collect();
        assert!(xs.windows(2).all(|w| w[0] == w[1]), "{xs:?}");
        let svg = layout.to_svg();
        assert_eq!(svg.matches("<rect").count(), 3);
        assert_eq!(svg.matches("marker-end=\"url(#arrow)\"").count(), 2);
    }
}
