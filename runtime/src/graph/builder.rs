//! Builds a [`Model`] from entries: checks names, wiring and shapes, then initialises the
//! components.

use std::path::PathBuf;

use burn::prelude::*;
use percept_catalogue::{DataSource, Input, Settings, Shape, Signal, closest};
use percept_formats as formats;

use super::model::Model;
use super::plan::{Plan, PlanEntry};
use crate::components::Node;
use crate::components::data::columns_of;
use crate::error::{Error, Result};

/// Declares a model entry by entry, the way `model!` does, and builds it.
///
/// ```
/// use percept_runtime::{ModelBuilder, DefaultBackend};
/// use percept_catalogue::*;
///
/// let model = ModelBuilder::new("Tiny")
///     .add("images", DataSettings::digits(Digits::Images), &[])
///     .add("labels", DataSettings::digits(Digits::Labels), &[])
///     .add("fc", DenseSettings::new(10, Activation::Softmax), &["images"])
///     .add("train", ClassificationSettings::default(), &["fc", "labels"])
///     .build::<DefaultBackend>(&Default::default())
///     .unwrap();
/// assert_eq!(model.component("fc").unwrap().class_name(), "DeepLearningDense_Dense_1");
/// ```
#[derive(Debug, Clone)]
pub struct ModelBuilder {
    name: String,
    base_dir: PathBuf,
    entries: Vec<(String, Settings, Vec<String>)>,
}

impl ModelBuilder {
    /// A model named `name` (its struct name, e.g. `DigitClassifier`), with relative data
    /// files resolved against the current directory.
    pub fn new(name: impl Into<String>) -> Self {
        ModelBuilder {
            name: name.into(),
            base_dir: PathBuf::from("."),
            entries: Vec::new(),
        }
    }

    /// Resolves relative data files against `dir` (`model!` passes the declaring crate's
    /// `CARGO_MANIFEST_DIR`).
    pub fn base_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.base_dir = dir.into();
        self
    }

    /// Adds the component `instance` with its settings, fed by `inputs` in order.
    pub fn add(mut self, instance: &str, settings: impl Into<Settings>, inputs: &[&str]) -> Self {
        self.entries.push((
            instance.to_string(),
            settings.into(),
            inputs.iter().map(|s| s.to_string()).collect(),
        ));
        self
    }

    /// Checks the model and initialises every component on `device` (from the Training
    /// component's seed). Reads data file headers where a shape is not declared, but no data.
    pub fn build<B: Backend>(self, device: &B::Device) -> Result<Model<B>> {
        let plan = self.check()?;
        let seed = plan.entries[plan.training]
            .settings
            .training()
            .map_or(42, |t| t.seed);
        let _random = crate::seed::exclusive();
        B::seed(device, seed);
        let mut counts = std::collections::HashMap::<&str, usize>::new();
        let nodes = plan
            .entries
            .iter()
            .map(|entry| {
                let n = counts.entry(entry.settings.type_name()).or_default();
                *n += 1;
                let inputs: Vec<Signal> = entry
                    .inputs
                    .iter()
                    .map(|&i| plan.entries[i].output.clone())
                    .collect();
                Node::new(
                    &entry.instance,
                    *n,
                    &entry.settings,
                    &inputs,
                    entry.output.clone(),
                    &plan.base_dir,
                    device,
                )
            })
            .collect::<Vec<Node<B>>>();
        for node in &nodes {
            crate::seed::initialise(node);
        }
        Ok(Model::from_parts(plan, nodes, device.clone()))
    }

    /// Checks names, wiring and shapes, giving the plan of the model.
    pub fn check(self) -> Result<Plan> {
        let names: Vec<&str> = self.entries.iter().map(|(n, _, _)| n.as_str()).collect();
        for (i, name) in names.iter().enumerate() {
            if names[..i].contains(name) {
                return Err(Error::DuplicateName {
                    name: name.to_string(),
                });
            }
        }
        let mut inputs = Vec::with_capacity(self.entries.len());
        for (instance, _, wanted) in &self.entries {
            let mut resolved = Vec::with_capacity(wanted.len());
            for input in wanted {
                let index =
                    names
                        .iter()
                        .position(|n| n == input)
                        .ok_or_else(|| Error::UnknownInput {
                            component: instance.clone(),
                            input: input.clone(),
                            hint: closest(input, &names)
                                .map_or(String::new(), |c| format!("; did you mean `{c}`?")),
                        })?;
                resolved.push(index);
            }
            inputs.push(resolved);
        }
        let order = topological_order(&names, &inputs)?;
        let trainers: Vec<usize> = (0..self.entries.len())
            .filter(|&i| self.entries[i].1.training().is_some())
            .collect();
        let &[training] = trainers.as_slice() else {
            return Err(Error::TrainingCount {
                found: trainers.iter().map(|&i| names[i].to_string()).collect(),
            });
        };
        let mut consumers = vec![Vec::new(); self.entries.len()];
        for (i, ins) in inputs.iter().enumerate() {
            for &input in ins {
                consumers[input].push(i);
            }
        }
        if let Some(unused) =
            (0..self.entries.len()).find(|&i| i != training && consumers[i].is_empty())
        {
            return Err(Error::Unused {
                component: names[unused].to_string(),
            });
        }

        let mut outputs: Vec<Option<Signal>> = vec![None; self.entries.len()];
        let mut settings: Vec<Settings> = self.entries.iter().map(|(_, s, _)| s.clone()).collect();
        for &i in &order {
            let instance = names[i];
            if let Settings::Data(data) = &mut settings[i]
                && let DataSource::File { path, columns } = &data.source
                && data.shape.is_none()
            {
                let path = if std::path::Path::new(path).is_absolute() {
                    PathBuf::from(path)
                } else {
                    self.base_dir.join(path)
                };
                let header = formats::read_shape(&path, &columns_of(columns))?;
                data.resolve_file_shape(instance, Shape::from(header.element_shape))?;
            }
            let signals: Vec<&Signal> = inputs[i]
                .iter()
                .map(|&j| outputs[j].as_ref().expect("inputs come first"))
                .collect();
            let named: Vec<Input<'_>> = inputs[i]
                .iter()
                .zip(&signals)
                .map(|(&j, s)| Input {
                    name: names[j],
                    signal: s,
                })
                .collect();
            outputs[i] = Some(settings[i].infer(instance, &named)?);
        }

        let data = (0..self.entries.len())
            .filter(|&i| matches!(settings[i], Settings::Data(_)))
            .collect();
        let entries = self
            .entries
            .iter()
            .zip(settings)
            .zip(inputs)
            .zip(consumers)
            .zip(outputs)
            .map(
                |((((entry, settings), inputs), consumers), output)| PlanEntry {
                    instance: entry.0.clone(),
                    settings,
                    inputs,
                    consumers,
                    output: output.expect("every component was inferred"),
                },
            )
            .collect();
        Ok(Plan {
            name: self.name,
            entries,
            order,
            training,
            data,
            base_dir: self.base_dir,
        })
    }
}

/// Kahn's algorithm; on a cycle, reports the components on it in order.
fn topological_order(names: &[&str], inputs: &[Vec<usize>]) -> Result<Vec<usize>> {
    let n = names.len();
    let mut missing: Vec<usize> = inputs.iter().map(Vec::len).collect();
    let mut order: Vec<usize> = (0..n).filter(|&i| missing[i] == 0).collect();
    let mut next = 0;
    while next < order.len() {
        let done = order[next];
        next += 1;
        for consumer in 0..n {
            for _ in inputs[consumer].iter().filter(|&&i| i == done) {
                missing[consumer] -= 1;
                if missing[consumer] == 0 {
                    order.push(consumer);
                }
            }
        }
    }
    if order.len() == n {
        return Ok(order);
    }
    // Walk back along unfinished inputs from an unfinished component until one repeats.
    let mut path = vec![
        (0..n)
            .find(|&i| missing[i] > 0)
            .expect("a component is left"),
    ];
    loop {
        let last = *path.last().expect("path is not empty");
        let back = inputs[last]
            .iter()
            .copied()
            .find(|&i| missing[i] > 0)
            .expect("it waits on one");
        if let Some(start) = path.iter().position(|&p| p == back) {
            let mut cycle: Vec<String> = path[start..]
                .iter()
                .rev()
                .map(|&i| names[i].to_string())
                .collect();
            cycle.push(cycle[0].clone());
            return Err(Error::Cycle { cycle });
        }
        path.push(back);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use percept_catalogue::*;

    fn digits() -> ModelBuilder {
        ModelBuilder::new("M")
            .add("images", DataSettings::digits(Digits::Images), &[])
            .add("labels", DataSettings::digits(Digits::Labels), &[])
    }

    #[test]
    fn orders_inputs_first() {
        let plan = ModelBuilder::new("M")
            .add(
                "train",
                ClassificationSettings::default(),
                &["fc", "labels"],
            )
            .add("fc", DenseSettings::new(10, Activation::None), &["images"])
            .add("labels", DataSettings::digits(Digits::Labels), &[])
            .add("images", DataSettings::digits(Digits::Images), &[])
            .check()
            .unwrap();
        let position = |name| {
            plan.order
                .iter()
                .position(|&i| plan.entries[i].instance == name)
                .unwrap()
        };
        assert!(position("images") < position("fc"));
        assert!(position("fc") < position("train"));
        assert_eq!(
            plan.entries[plan.index_of("fc").unwrap()].output,
            Signal::new([10])
        );
    }

    #[test]
    fn an_unknown_input_suggests_the_closest_name() {
        let err = digits()
            .add("fc", DenseSettings::new(10, Activation::None), &["imagse"])
            .add(
                "train",
                ClassificationSettings::default(),
                &["fc", "labels"],
            )
            .check()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`fc` takes input `imagse`, but no component is named `imagse`; did you mean `images`?"
        );
    }

    #[test]
    fn a_cycle_names_its_components() {
        let err = digits()
            .add("a", DenseSettings::new(64, Activation::None), &["b"])
            .add("b", DenseSettings::new(64, Activation::None), &["a"])
            .add("train", ClassificationSettings::default(), &["b", "labels"])
            .check()
            .unwrap_err();
        assert!(
            matches!(&err, Error::Cycle { cycle } if cycle.len() == 3),
            "{err}"
        );
        assert!(
            err.to_string().contains("`a` -> `b` -> `a`")
                || err.to_string().contains("`b` -> `a` -> `b`"),
            "{err}"
        );
    }

    #[test]
    fn needs_exactly_one_training_component() {
        let err = digits()
            .add("fc", DenseSettings::new(10, Activation::None), &["images"])
            .check()
            .unwrap_err();
        assert!(
            matches!(err, Error::TrainingCount { ref found } if found.is_empty()),
            "{err}"
        );
        let err = digits()
            .add("fc", DenseSettings::new(10, Activation::None), &["images"])
            .add("t1", ClassificationSettings::default(), &["fc", "labels"])
            .add("t2", ClassificationSettings::default(), &["fc", "labels"])
            .check()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "a model needs exactly one Training component (Classification or Regression), found 2: `t1`, `t2`"
        );
    }

    #[test]
    fn a_component_that_feeds_nothing_is_an_error() {
        let err = digits()
            .add("fc", DenseSettings::new(10, Activation::None), &["images"])
            .add(
                "spare",
                DenseSettings::new(3, Activation::None),
                &["images"],
            )
            .add(
                "train",
                ClassificationSettings::default(),
                &["fc", "labels"],
            )
            .check()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`spare` feeds nothing; connect it to a component, or remove it"
        );
    }

    #[test]
    fn duplicate_names_are_an_error() {
        let err = digits()
            .add("images", FlattenSettings {}, &["labels"])
            .check()
            .unwrap_err();
        assert!(matches!(err, Error::DuplicateName { .. }));
    }

    #[test]
    fn shape_errors_come_from_the_catalogue() {
        let err = digits()
            .add("fc", DenseSettings::new(8, Activation::None), &["images"])
            .add(
                "train",
                ClassificationSettings::default(),
                &["fc", "labels"],
            )
            .check()
            .unwrap_err();
        let Error::Shape(shape) = &err else {
            panic!("{err}")
        };
        assert!(
            matches!(
                **shape,
                ShapeError::ClassCount {
                    width: 8,
                    classes: 10,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn a_missing_file_without_a_shape_names_the_file() {
        let err = ModelBuilder::new("M")
            .add("x", DataSettings::file("nowhere/x.npy"), &[])
            .add("y", DataSettings::random([2], 10), &[])
            .add("train", RegressionSettings::default(), &["x", "y"])
            .check()
            .unwrap_err();
        assert!(err.to_string().contains("nowhere/x.npy"), "{err}");
    }
}
