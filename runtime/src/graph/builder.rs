//! Builds a [`Model`] from entries: checks names, wiring and shapes, then initialises the
//! components.

use std::any::Any;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use burn::prelude::*;
use percept_catalogue::check::{Declared, Problem, check_model};
use percept_catalogue::{Settings, Shape, Signal, Wiring};

use super::model::Model;
use super::plan::{Plan, PlanEntry};
use crate::components::Node;
use crate::components::custom::{Custom, CustomType, CustomTypeInfo, ErasedCustom};
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
    /// The code of each custom entry, by entry index.
    customs: Vec<Option<CustomEntry>>,
    /// The wiring and outputs `model!` found, when it checked these entries at compile time.
    checked: Option<(Wiring, Vec<Signal>)>,
}

/// A custom component's code, for the backend it was added for.
#[derive(Clone)]
struct CustomEntry {
    info: Arc<CustomTypeInfo>,
    /// An `Arc<dyn ErasedCustom<B>>`.
    code: Arc<dyn Any + Send + Sync>,
    backend: &'static str,
}

impl fmt::Debug for CustomEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CustomEntry")
            .field("info", &self.info)
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl ModelBuilder {
    /// A model named `name` (its struct name, e.g. `DigitClassifier`), with relative data
    /// files resolved against the current directory.
    pub fn new(name: impl Into<String>) -> Self {
        ModelBuilder {
            name: name.into(),
            base_dir: PathBuf::from("."),
            entries: Vec::new(),
            customs: Vec::new(),
            checked: None,
        }
    }

    /// Resolves relative data files against `dir` (`model!` passes the declaring crate's
    /// `CARGO_MANIFEST_DIR`).
    pub fn base_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.base_dir = dir.into();
        self
    }

    /// Adds the built-in component `instance` with its settings, fed by `inputs` in order.
    pub fn add(mut self, instance: &str, settings: impl Into<Settings>, inputs: &[&str]) -> Self {
        self.entries.push((
            instance.to_string(),
            settings.into(),
            inputs.iter().map(|s| s.to_string()).collect(),
        ));
        self.customs.push(None);
        self
    }

    /// Adds the custom component `instance` (a struct made a component by `#[component]`, whose
    /// settings struct `settings` is), fed by `inputs` in order, for a model on backend `B`.
    ///
    /// `settings` is the `{Type}Settings` struct `#[component]` generates: see the example on
    /// [`percept::component`](https://docs.rs/percept/latest/percept/attr.component.html) and
    /// the book's "Custom components" chapter.
    ///
    /// ```text
    /// let model = builder
    ///     .add_custom::<B, _>("gain", GainSettings::default(), &["images"])
    ///     .build::<B>(&device)?;
    /// ```
    pub fn add_custom<B: Backend, K: CustomType>(
        mut self,
        instance: &str,
        settings: K,
        inputs: &[&str],
    ) -> Self {
        let info = Arc::new(CustomTypeInfo::of(&settings));
        self.entries.push((
            instance.to_string(),
            Settings::Custom(info.settings.clone()),
            inputs.iter().map(|s| s.to_string()).collect(),
        ));
        let code: Arc<dyn ErasedCustom<B>> = Arc::new(settings);
        self.customs.push(Some(CustomEntry {
            info,
            code: Arc::new(code),
            backend: std::any::type_name::<B>(),
        }));
        self
    }

    /// The wiring and every component's output, as `model!` found them when it checked
    /// these same entries at compile time: [`check`](Self::check) and
    /// [`build`](Self::build) then take them instead of checking the model again. For the
    /// code `model!` generates; entries added after this are not covered.
    #[doc(hidden)]
    pub fn checked_at_compile_time(mut self, wiring: Wiring, outputs: Vec<Signal>) -> Self {
        self.checked = Some((wiring, outputs));
        self
    }

    /// Checks the model and initialises every component on `device` (from the Training
    /// component's seed). Reads data file headers where a shape is not declared, but no data.
    pub fn build<B: Backend>(self, device: &B::Device) -> Result<Model<B>> {
        let customs = self.customs.clone();
        let plan = self.check()?;
        let seed = plan.entries[plan.training]
            .settings
            .training()
            .map_or(42, |t| t.seed);
        let _random = crate::seed::exclusive();
        B::seed(device, seed);
        let mut counts = std::collections::HashMap::<&str, usize>::new();
        let mut nodes = Vec::with_capacity(plan.entries.len());
        let mut codes = Vec::with_capacity(plan.entries.len());
        for (entry, custom) in plan.entries.iter().zip(&customs) {
            let n = counts.entry(entry.settings.type_name()).or_default();
            *n += 1;
            let inputs: Vec<Signal> = entry
                .inputs
                .iter()
                .map(|&i| plan.entries[i].output.clone())
                .collect();
            let Some(custom) = custom else {
                if let Settings::Custom(_) = entry.settings {
                    return Err(Error::CustomWithoutCode {
                        component: entry.instance.clone(),
                    });
                }
                nodes.push(Node::new(
                    &entry.instance,
                    *n,
                    &entry.settings,
                    &inputs,
                    entry.output.clone(),
                    &plan.base_dir,
                    device,
                ));
                codes.push(None);
                continue;
            };
            let code = custom
                .code
                .downcast_ref::<Arc<dyn ErasedCustom<B>>>()
                .ok_or_else(|| Error::CustomBackend {
                    component: entry.instance.clone(),
                    added_for: custom.backend,
                    built_for: std::any::type_name::<B>(),
                })?
                .clone();
            let shapes: Vec<Shape> = inputs.into_iter().map(|s| s.shape).collect();
            let meta = crate::component::Meta::new(
                &entry.instance,
                custom.info.type_name,
                *n,
                entry.output.clone(),
            );
            let params = code.init(&shapes, device);
            nodes.push(Node::Custom(Custom::new(meta, custom.info.clone(), params)));
            codes.push(Some(code));
        }
        for node in &nodes {
            crate::seed::initialise(node);
        }
        Ok(Model::from_parts(plan, nodes, codes, device.clone()))
    }

    /// Checks names, wiring and shapes, giving the plan of the model.
    pub fn check(mut self) -> Result<Plan> {
        if let Some((wiring, outputs)) = self.checked.take() {
            let settings = self.entries.iter().map(|(_, s, _)| s.clone()).collect();
            return Ok(self.plan(settings, wiring, outputs));
        }
        let declared = self
            .entries
            .iter()
            .map(|(name, settings, inputs)| Declared {
                name,
                trains: settings.training().is_some(),
                settings: Some(settings.clone()),
                inputs: inputs.iter().map(String::as_str).collect(),
            })
            .collect();
        let checked = check_model(declared, &self.base_dir);
        let mut problems = checked.problems.into_iter().peekable();
        if let Some(Problem::Wiring(_)) = problems.peek() {
            let errors = problems
                .filter_map(|problem| match problem {
                    Problem::Wiring(error) => Some(error),
                    _ => None,
                })
                .collect();
            return Err(Error::Wiring { errors });
        }
        match problems.next() {
            Some(Problem::File { error, .. }) => return Err(error.into_format_error().into()),
            Some(Problem::Shape { error, .. }) => return Err(error.into()),
            Some(Problem::Wiring(_)) => unreachable!("wiring problems come first"),
            None => {}
        }
        let wiring = checked.wiring.expect("no wiring problem");
        let settings = checked
            .settings
            .into_iter()
            .map(|s| s.expect("every entry has settings"))
            .collect();
        let outputs = checked
            .outputs
            .into_iter()
            .map(|o| o.expect("every component was inferred"))
            .collect();
        Ok(self.plan(settings, wiring, outputs))
    }

    /// The plan of these entries, with their settings, wiring and outputs.
    fn plan(self, settings: Vec<Settings>, wiring: Wiring, outputs: Vec<Signal>) -> Plan {
        let Wiring {
            inputs,
            consumers,
            order,
            training,
        } = wiring;
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
                    output,
                },
            )
            .collect();
        Plan {
            name: self.name,
            entries,
            order,
            training,
            data,
            base_dir: self.base_dir,
        }
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
            .add("m", MergeSettings::default(), &["images", "b"])
            .add("a", DenseSettings::new(64, Activation::None), &["m"])
            .add("b", DenseSettings::new(64, Activation::None), &["a"])
            .add("train", ClassificationSettings::default(), &["b", "labels"])
            .check()
            .unwrap_err();
        assert!(
            matches!(&err, Error::Wiring { errors } if matches!(&errors[..], [WiringError::Cycle { cycle, .. }] if cycle.len() == 4)),
            "{err}"
        );
        let cycles = [
            "`m` -> `a` -> `b` -> `m`",
            "`a` -> `b` -> `m` -> `a`",
            "`b` -> `m` -> `a` -> `b`",
        ];
        assert!(cycles.iter().any(|c| err.to_string().contains(c)), "{err}");
    }

    #[test]
    fn needs_exactly_one_training_component() {
        let err = digits()
            .add("fc", DenseSettings::new(10, Activation::None), &["images"])
            .check()
            .unwrap_err();
        let Error::Wiring { errors } = &err else {
            panic!("{err}")
        };
        assert!(
            errors.contains(&WiringError::TrainingCount {
                found: vec![],
                entry: None
            }),
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
        assert!(
            err.to_string()
                .starts_with("two components are named `images`"),
            "{err}"
        );
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
