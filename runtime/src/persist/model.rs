//! A model's save: its parameters in `model.mpk` and a manifest `model.json` holding its
//! structure, written and read as one version by [`super::write_version`] and
//! [`super::read_version`].
//!
//! The manifest's own fields are `model` (the model's name) and `components`: for each
//! component its instance name, class name, type, inputs, output shape, parameter count, every
//! parameter tensor (name, shape, stored dtype) and its settings (for information).

use std::path::Path;

use burn::module::{Module, ModuleVisitor, Param};
use burn::prelude::*;
use burn::record::{FullPrecisionSettings, NamedMpkBytesRecorder, PrecisionSettings, Recorder};
use burn::tensor::Element;
use percept_catalogue::{Settings, Shape};
use serde_json::{Map, Value};

use crate::components::Node;
use crate::error::{Error, Result};
use crate::graph::model::{Graph, STRUCTURE_FILE, WEIGHTS_FILE};
use crate::graph::{Model, ModelBuilder};

/// The manifest field of the model's name.
const MODEL_FIELD: &str = "model";
/// The manifest field of the model's components.
const COMPONENTS_FIELD: &str = "components";

/// One component as the manifest records it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct SavedEntry {
    instance: String,
    /// The PerceptiLabs class name (`DeepLearningDense_Dense_1`); absent in saves of older
    /// percepts.
    #[serde(default)]
    class_name: String,
    #[serde(rename = "type")]
    type_name: String,
    inputs: Vec<String>,
    output: Shape,
    /// The number of stored values.
    parameters: usize,
    /// Every parameter tensor; absent in saves of older percepts.
    #[serde(default)]
    tensors: Vec<SavedTensor>,
    /// For information: training settings may change between saving and loading.
    settings: Settings,
}

/// One parameter tensor of a component.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct SavedTensor {
    /// Its path inside the component's burn module (`linear.weight`).
    name: String,
    shape: Vec<usize>,
    /// The element type it is stored as (`F32`: saves are full precision).
    dtype: String,
}

impl SavedEntry {
    /// True when the parameters of one fit the other (settings aside).
    fn same_structure(&self, other: &SavedEntry) -> bool {
        (
            &self.instance,
            &self.type_name,
            &self.inputs,
            &self.output,
            self.parameters,
        ) == (
            &other.instance,
            &other.type_name,
            &other.inputs,
            &other.output,
            other.parameters,
        )
    }
}

impl<B: Backend> Model<B> {
    /// Saves the model into `dir` (created if needed): its parameters in `model.mpk`
    /// (burn's named MessagePack format, full precision) and a manifest `model.json` that
    /// records the checksum of `model.mpk` and the model's structure (each component's
    /// instance name, class name, type, inputs, output shape, parameter names and shapes, and
    /// its settings for information).
    ///
    /// The save is atomic: the new files are written beside the old ones, flushed to disk,
    /// and switched to by one rename, so that a save interrupted at any point (a crash,
    /// `kill -9`) leaves either the whole previous save or the whole new one.
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<()> {
        self::save(self, dir.as_ref())
    }

    /// Loads the parameters saved by [`save`](Model::save) in `dir` into this model, after
    /// checking the files against their checksums and the saved structure and parameter
    /// shapes against this model's (settings aside, so a model saved after training loads
    /// into a declaration with other training settings). Saves of older percepts (a
    /// `model.json` without checksums) load with the structure and shape checks alone.
    pub fn load_parameters(self, dir: impl AsRef<Path>) -> Result<Self> {
        self::load(self, dir.as_ref())
    }
}

impl ModelBuilder {
    /// Builds the model and loads the parameters saved in `dir` by [`Model::save`].
    pub fn load<B: Backend>(self, dir: impl AsRef<Path>, device: &B::Device) -> Result<Model<B>> {
        self.build::<B>(device)?.load_parameters(dir)
    }
}

/// Saves `model` into `dir` (see [`Model::save`]).
pub(crate) fn save<B: Backend>(model: &Model<B>, dir: &Path) -> Result<()> {
    let weights = record(model, dir)?;
    write(model, dir, &[(WEIGHTS_FILE, &weights)], Map::new())
}

/// The parameters of `model` in burn's named MessagePack format, full precision.
pub(crate) fn record<B: Backend>(model: &Model<B>, dir: &Path) -> Result<Vec<u8>> {
    Recorder::<B>::record(
        &NamedMpkBytesRecorder::<FullPrecisionSettings>::default(),
        model.graph.clone().into_record(),
        (),
    )
    .map_err(|e| Error::Record {
        path: dir.join(WEIGHTS_FILE),
        message: e.to_string(),
    })
}

/// Writes `files` into `dir` as one version whose manifest `model.json` holds `model`'s
/// structure and the fields of `extra`: what [`save`] does with the weights alone, and what a
/// checkpoint can do with more files (whatever holds `model.mpk` and `model.json` loads as the
/// model). `files` must include `model.mpk` (from [`record`]); the `model` and `components`
/// fields of `extra` are replaced by the model's.
pub(crate) fn write<B: Backend>(
    model: &Model<B>,
    dir: &Path,
    files: &[(&str, &[u8])],
    mut extra: Map<String, Value>,
) -> Result<()> {
    extra.insert(MODEL_FIELD.into(), Value::String(model.plan.name.clone()));
    extra.insert(
        COMPONENTS_FIELD.into(),
        serde_json::to_value(structure(model)).expect("settings serialise to JSON"),
    );
    super::write_version(dir, STRUCTURE_FILE, files, extra)
}

/// Loads the parameters saved in `dir` into `model` (see [`Model::load_parameters`]).
pub(crate) fn load<B: Backend>(mut model: Model<B>, dir: &Path) -> Result<Model<B>> {
    let manifest = dir.join(STRUCTURE_FILE);
    let text = std::fs::read(&manifest).map_err(super::io_error("read", &manifest))?;
    let ours = structure(&model);
    let weights_path = dir.join(WEIGHTS_FILE);
    let weights = if text.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        // A save of an older percept: `model.json` is the structure alone, and nothing
        // checks `model.mpk`.
        let saved: Vec<SavedEntry> = serde_json::from_slice(&text).map_err(|e| Error::Corrupt {
            path: manifest.clone(),
            problem: format!("it is not the structure of a model: {e}"),
        })?;
        check_structure(dir, &manifest, &saved, &ours)?;
        std::fs::read(&weights_path).map_err(super::io_error("read", &weights_path))?
    } else {
        let mut version = super::read_version(dir, STRUCTURE_FILE)?;
        let saved: Vec<SavedEntry> = version
            .extra
            .remove(COMPONENTS_FIELD)
            .and_then(|components| serde_json::from_value(components).ok())
            .ok_or_else(|| Error::Record {
                path: manifest.clone(),
                message: "its manifest holds no model structure".to_string(),
            })?;
        check_structure(dir, &manifest, &saved, &ours)?;
        version.take(WEIGHTS_FILE).ok_or_else(|| Error::Record {
            path: manifest.clone(),
            message: format!("its manifest names no `{WEIGHTS_FILE}`"),
        })?
    };
    let graph_record = Recorder::<B>::load(
        &NamedMpkBytesRecorder::<FullPrecisionSettings>::default(),
        weights,
        &model.device,
    )
    .map_err(|e| Error::Corrupt {
        path: weights_path,
        problem: format!(
            "its parameters cannot be decoded (the file was changed or cut after saving, or written by another program): {}",
            decoding_error(&e.to_string())
        ),
    })?;
    let graph: Graph<B> = model.graph.load_record(graph_record);
    // burn loads tensors of any shape: check them against the model's before using them.
    for (entry, loaded) in ours.iter().zip(&graph.nodes) {
        check_tensors(dir, &manifest, entry, &tensors(loaded))?;
    }
    model.graph = graph;
    Ok(model)
}

/// The first line of burn's decoding error, without the advice about burn's older formats
/// that it adds to any error.
fn decoding_error(message: &str) -> &str {
    let message = message.trim_start_matches("Unknown(\"");
    let end = [message.find("\\n"), message.find('\n')]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(message.len());
    message[..end].trim_end_matches("\")")
}

/// Checks that the saved structure is `ours`, and names the first component that differs.
fn check_structure(
    dir: &Path,
    manifest: &Path,
    saved: &[SavedEntry],
    ours: &[SavedEntry],
) -> Result<()> {
    for (saved, ours) in saved.iter().zip(ours) {
        if (&saved.instance, &saved.type_name) == (&ours.instance, &ours.type_name)
            && !saved.tensors.is_empty()
        {
            check_tensors(dir, manifest, ours, &saved.tensors)?;
        }
        if !saved.same_structure(ours) {
            return Err(Error::Record {
                path: manifest.to_path_buf(),
                message: format!(
                    "it was saved from another model: component `{}` differs",
                    saved.instance
                ),
            });
        }
    }
    if saved.len() != ours.len() {
        return Err(Error::Record {
            path: manifest.to_path_buf(),
            message: format!(
                "it was saved from another model: it has {} components, and this model {}",
                saved.len(),
                ours.len()
            ),
        });
    }
    Ok(())
}

/// Checks that the `saved` tensors of a component are the tensors of `ours`, by name and shape.
fn check_tensors(
    dir: &Path,
    manifest: &Path,
    ours: &SavedEntry,
    saved: &[SavedTensor],
) -> Result<()> {
    let differs = |problem: String| Error::Record {
        path: manifest.to_path_buf(),
        message: format!(
            "it was saved from another model: component `{}` differs: {problem}",
            ours.instance
        ),
    };
    for our in &ours.tensors {
        match saved.iter().find(|t| t.name == our.name) {
            Some(s) if s.shape == our.shape => {}
            Some(s) => {
                return Err(Error::ParameterShape {
                    path: dir.to_path_buf(),
                    component: ours.instance.clone(),
                    class_name: ours.class_name.as_str().into(),
                    parameter: our.name.as_str().into(),
                    saved: s.shape.clone().into(),
                    ours: our.shape.clone().into(),
                });
            }
            None => {
                return Err(differs(format!("the save has no parameter `{}`", our.name)));
            }
        }
    }
    match saved
        .iter()
        .find(|s| !ours.tensors.iter().any(|t| t.name == s.name))
    {
        Some(extra) => Err(differs(format!(
            "the save has a parameter `{}` that this model lacks",
            extra.name
        ))),
        None => Ok(()),
    }
}

/// Each component of `model` as the manifest records it.
pub(crate) fn structure<B: Backend>(model: &Model<B>) -> Vec<SavedEntry> {
    let plan = &model.plan;
    plan.entries
        .iter()
        .zip(&model.graph.nodes)
        .map(|(e, node)| SavedEntry {
            instance: e.instance.clone(),
            class_name: node.class_name(),
            type_name: e.settings.type_name().to_string(),
            inputs: e
                .inputs
                .iter()
                .map(|&i| plan.entries[i].instance.clone())
                .collect(),
            output: e.output.shape.clone(),
            parameters: node.num_params(),
            tensors: tensors(node),
            // A Data component's file may have been replaced since the model was built.
            settings: match node {
                Node::Data(data) => Settings::Data(data.settings().clone()),
                _ => e.settings.clone(),
            },
        })
        .collect()
}

/// The parameter tensors of a component, by their path in its burn module (without the name
/// of the `Node` variant), with their shapes (read without initialising lazy parameters).
fn tensors<B: Backend>(node: &Node<B>) -> Vec<SavedTensor> {
    #[derive(Default)]
    struct Tensors {
        /// The path so far; `None` for the levels of enums, which hold one value.
        path: Vec<Option<String>>,
        found: Vec<SavedTensor>,
    }
    impl Tensors {
        fn push(&mut self, shape: Vec<usize>, dtype: burn::tensor::DType) {
            let name = self.path.iter().flatten().cloned().collect::<Vec<_>>();
            self.found.push(SavedTensor {
                name: name.join("."),
                shape,
                dtype: format!("{dtype:?}"),
            });
        }
    }
    type FloatElem = <FullPrecisionSettings as PrecisionSettings>::FloatElem;
    type IntElem = <FullPrecisionSettings as PrecisionSettings>::IntElem;
    impl<B: Backend> ModuleVisitor<B> for Tensors {
        fn enter_module(&mut self, name: &str, container_type: &str) {
            self.path
                .push((!container_type.starts_with("Enum:")).then(|| name.to_string()));
        }
        fn exit_module(&mut self, _name: &str, _container_type: &str) {
            self.path.pop();
        }
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            self.push(param.lazy_shape().to_vec(), FloatElem::dtype());
        }
        fn visit_int<const D: usize>(&mut self, param: &Param<Tensor<B, D, Int>>) {
            self.push(param.lazy_shape().to_vec(), IntElem::dtype());
        }
        fn visit_bool<const D: usize>(&mut self, param: &Param<Tensor<B, D, Bool>>) {
            self.push(param.lazy_shape().to_vec(), <bool as Element>::dtype());
        }
    }
    let mut visitor = Tensors::default();
    node.visit(&mut visitor);
    visitor.found
}
