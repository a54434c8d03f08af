//! A built model: its components, their wiring, and what can be done with it.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::Arc;

use burn::module::AutodiffModule;
use burn::prelude::*;
use burn::tensor::backend::AutodiffBackend;
use percept_catalogue::Shape;

use super::plan::Plan;
use crate::backend::{DefaultBackend, TrainingBackend};
use crate::component::Pass;
use crate::components::Node;
use crate::components::custom::ErasedCustom;
use crate::components::data::{Data, Dataset};
use crate::error::{Error, Result};
use crate::value::{Value, push_element};

/// The components of a model, as one burn module (what the optimizer updates and the recorder
/// saves).
#[derive(Module, Debug)]
pub struct Graph<B: Backend> {
    /// The components, in declaration order.
    pub nodes: Vec<Node<B>>,
}

/// A model: a checked graph of components on a burn backend.
///
/// Build one with [`ModelBuilder`](super::ModelBuilder) (or `model!`). On `TrainingBackend` it can be trained with
/// `run()`; on any backend it can be previewed, evaluated, asked for predictions, summarised,
/// saved and loaded.
#[derive(Debug, Clone)]
pub struct Model<B: Backend> {
    pub(crate) graph: Graph<B>,
    pub(crate) plan: Arc<Plan>,
    /// The code of each custom component, by component index.
    pub(crate) codes: Vec<Option<Arc<dyn ErasedCustom<B>>>>,
    pub(crate) device: B::Device,
    /// What the training and view layers attach to the model for its runs (how training
    /// shows progress, a dashboard watching it).
    pub(crate) extensions: Extensions,
}

/// Values other layers attach to a model, one per type, as `http::Extensions` holds a
/// request's: the graph keeps them for those layers (training's `Progress`, the view's
/// dashboard) without depending on them. Clones share the values.
#[derive(Clone, Default)]
pub(crate) struct Extensions(HashMap<TypeId, Arc<dyn Any + Send + Sync>>);

impl Extensions {
    /// Attaches `value`, replacing any earlier value of its type.
    pub(crate) fn insert<T: Any + Send + Sync>(&mut self, value: T) {
        self.0.insert(TypeId::of::<T>(), Arc::new(value));
    }

    /// The value of type `T`, if one is attached.
    pub(crate) fn get<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.0.get(&TypeId::of::<T>())?.downcast_ref()
    }
}

impl std::fmt::Debug for Extensions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Extensions")
            .field("attached", &self.0.len())
            .finish()
    }
}

/// The file the parameters are saved in, inside the directory given to `save`.
pub const WEIGHTS_FILE: &str = "model.mpk";
/// The manifest of a save, inside the directory given to `save`: the model's structure and
/// the checksum of [`WEIGHTS_FILE`].
pub const STRUCTURE_FILE: &str = "model.json";

impl<B: Backend> Model<B> {
    pub(crate) fn from_parts(
        plan: Plan,
        nodes: Vec<Node<B>>,
        codes: Vec<Option<Arc<dyn ErasedCustom<B>>>>,
        device: B::Device,
    ) -> Self {
        Model {
            graph: Graph { nodes },
            plan: Arc::new(plan),
            codes,
            device,
            extensions: Extensions::default(),
        }
    }

    /// This model on the bare backend when it runs on [`TrainingBackend`], so that previews,
    /// predictions and evaluations record no autodiff graph. (The parameters are shared, not
    /// copied; other backends are left as they are.)
    pub(crate) fn without_autodiff(&self) -> Option<Model<DefaultBackend>> {
        (self as &dyn Any)
            .downcast_ref::<Model<TrainingBackend>>()
            .map(Model::valid)
    }

    /// The model's name.
    pub fn name(&self) -> &str {
        &self.plan.name
    }

    /// The checked structure: wiring, order and shapes.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The device the model lives on.
    pub fn device(&self) -> &B::Device {
        &self.device
    }

    /// The components, in declaration order.
    pub fn components(&self) -> &[Node<B>] {
        &self.graph.nodes
    }

    /// The component named `instance`.
    pub fn component(&self, instance: &str) -> Option<&Node<B>> {
        self.plan.index_of(instance).map(|i| &self.graph.nodes[i])
    }

    /// The Data component named `instance`, to replace its file at run time.
    pub fn data_mut(&mut self, instance: &str) -> Option<&mut Data<B>> {
        let i = self.plan.index_of(instance)?;
        match &mut self.graph.nodes[i] {
            Node::Data(data) => Some(data),
            _ => None,
        }
    }

    /// The total number of stored values: trainable parameters and running statistics.
    pub fn num_params(&self) -> usize {
        self.graph.num_params()
    }

    /// The training (or, with `test`, the test) values of every Data component, checked to
    /// hold as many elements each.
    pub(crate) fn datasets(&self, test: bool) -> Result<Vec<(usize, Arc<Dataset>)>> {
        let mut sets: Vec<(usize, Arc<Dataset>)> = Vec::new();
        for &i in &self.plan.data {
            let Node::Data(data) = &self.graph.nodes[i] else {
                unreachable!("plan.data holds Data")
            };
            let set = if test {
                data.test_dataset()?.ok_or_else(|| Error::NoTestFile {
                    component: self.plan.entries[i].instance.clone(),
                })?
            } else {
                data.dataset()?
            };
            if let Some((first, first_set)) = sets.first()
                && first_set.len() != set.len()
            {
                return Err(Error::DataCount {
                    first: self.plan.entries[*first].instance.clone(),
                    first_count: first_set.len(),
                    component: self.plan.entries[i].instance.clone(),
                    count: set.len(),
                });
            }
            sets.push((i, set));
        }
        Ok(sets)
    }

    /// A batch of the elements at `indices` from each dataset, placed by component index.
    pub(crate) fn batch(
        &self,
        sets: &[(usize, Arc<Dataset>)],
        indices: &[usize],
    ) -> Vec<Option<Value<B>>> {
        let mut values = vec![None; self.graph.nodes.len()];
        for (i, set) in sets {
            values[*i] = Some(set.batch(indices, &self.device));
        }
        values
    }

    /// Runs the components `target` depends on (and `target`) over a batch whose Data values
    /// are given, in topological order. Returns every computed value by component index.
    pub(crate) fn forward(
        &self,
        mut values: Vec<Option<Value<B>>>,
        target: usize,
        pass: Pass,
    ) -> Result<Vec<Option<Value<B>>>> {
        let plan = &self.plan;
        let needed = self.ancestors(target);
        let logits_at = plan.logits_at().filter(|_| pass.logits);
        for &i in plan.order.iter().filter(|&&i| needed[i]) {
            let node = &self.graph.nodes[i];
            if node.is_training() {
                continue;
            }
            if let Node::Data(_) = node {
                if pass.capture
                    && let Some(value) = &values[i]
                {
                    let sample = value.first_element();
                    node.meta().probe.with(|c| c.sample = Some(sample));
                }
                continue;
            }
            if values[i].is_some() {
                // A MaxPool that its Conv computed, fused.
                continue;
            }
            let inputs: Vec<&Value<B>> = plan.entries[i]
                .inputs
                .iter()
                .map(|&j| values[j].as_ref().expect("inputs are computed first"))
                .collect();
            if let Some(j) = plan.pool_after(i).filter(|&j| needed[j])
                && let (Node::Conv(conv), Node::MaxPool(pool)) = (node, &self.graph.nodes[j])
            {
                let this = &plan.entries[i].instance;
                let (pooled, first) =
                    conv.forward_pooled(inputs[0].tensor::<4>(this)?, pool, pass.capture);
                let pooled = Value::from(pooled);
                if let Some(first) = first {
                    let sample = Value::from(first).first_element();
                    node.meta().probe.with(|c| c.sample = Some(sample));
                    let sample = pooled.narrow_batch(0, 1).first_element();
                    self.graph.nodes[j]
                        .meta()
                        .probe
                        .with(|c| c.sample = Some(sample));
                }
                values[j] = Some(pooled);
                continue;
            }
            let logits = logits_at == Some(i);
            let out = self.compute(i, &inputs, Pass { logits, ..pass })?;
            if pass.capture {
                let first = out.narrow_batch(0, 1);
                // The sample shows what the component computes: the Softmax left out, applied.
                let sample = if logits { node.softmax(&first)? } else { first }.first_element();
                node.meta().probe.with(|c| c.sample = Some(sample));
            }
            values[i] = Some(out);
        }
        Ok(values)
    }

    /// The computation of component `i` (not Data or Training) on `inputs`.
    pub(crate) fn compute(&self, i: usize, inputs: &[&Value<B>], pass: Pass) -> Result<Value<B>> {
        match (&self.graph.nodes[i], &self.codes[i]) {
            (Node::Custom(custom), Some(code)) => code.forward(
                custom.params(),
                &self.plan.entries[i].instance,
                inputs,
                pass.is_training,
            ),
            (node, _) => node.forward(inputs, pass),
        }
    }

    /// Stores the loss as the Training component's sample.
    pub(crate) fn capture_loss(&self, loss: f32) {
        let loss = TensorData::new(vec![loss], Vec::<usize>::new());
        self.graph.nodes[self.plan.training]
            .meta()
            .probe
            .with(|c| c.sample = Some(loss));
    }

    /// Which components `target` depends on, itself included.
    fn ancestors(&self, target: usize) -> Vec<bool> {
        let mut needed = vec![false; self.graph.nodes.len()];
        let mut stack = vec![target];
        while let Some(i) = stack.pop() {
            if !needed[i] {
                needed[i] = true;
                stack.extend(&self.plan.entries[i].inputs);
            }
        }
        needed
    }

    /// Runs the first data element through every component eagerly, so that each component's
    /// `get_sample()` and `variables()` show what it computes, as PerceptiLabs previews each
    /// component on its canvas. Reads the data if it is not loaded yet.
    pub fn preview(&self) -> Result<()> {
        if let Some(inference) = self.without_autodiff() {
            return inference.preview();
        }
        let sets = self.datasets(false)?;
        if sets.iter().any(|(_, s)| s.is_empty()) {
            return Err(Error::NotEnoughData {
                what: "preview",
                problem: "the data has no elements".to_string(),
            });
        }
        let values = self.batch(&sets, &[0]);
        let pass = Pass {
            is_training: false,
            capture: true,
            logits: true,
        };
        let outputs = self.forward(values, self.plan.training, pass)?;
        self.capture_loss(self.batch_loss(&outputs)?.read().0);
        Ok(())
    }

    /// The prediction (the Training component's first input) for `elements`, given for each
    /// Data component it depends on as `(instance, values)`, batch first in the user's layout
    /// (`[n, 8, 8, 1]` for images `[8, 8, 1]`). Returns `[n, ...]` in the user's layout.
    pub fn predict_with(&self, inputs: &[(&str, TensorData)]) -> Result<TensorData> {
        if let Some(inference) = self.without_autodiff() {
            return inference.predict_with(inputs);
        }
        let (prediction, _) = self.plan.prediction_and_labels();
        let needed = self.ancestors(prediction);
        let mut values = vec![None; self.graph.nodes.len()];
        for &i in self.plan.data.iter().filter(|&&i| needed[i]) {
            let entry = &self.plan.entries[i];
            let given = inputs
                .iter()
                .find(|(name, _)| *name == entry.instance)
                .ok_or_else(|| Error::NotEnoughData {
                    what: "predict",
                    problem: format!(
                        "no values given for the Data component `{}`",
                        entry.instance
                    ),
                })?;
            values[i] = Some(self.user_batch(&entry.instance, &entry.output.shape, &given.1)?);
        }
        let mut values = self.forward(
            values,
            prediction,
            Pass {
                is_training: false,
                capture: false,
                logits: false,
            },
        )?;
        Ok(values[prediction]
            .take()
            .expect("the prediction was computed")
            .into_user_data())
    }

    /// The prediction for `elements` of the one Data component the prediction depends on.
    pub fn predict(&self, elements: TensorData) -> Result<TensorData> {
        let (prediction, _) = self.plan.prediction_and_labels();
        let needed = self.ancestors(prediction);
        let sources: Vec<&str> = self
            .plan
            .data
            .iter()
            .filter(|&&i| needed[i])
            .map(|&i| self.plan.entries[i].instance.as_str())
            .collect();
        match sources.as_slice() {
            [one] => self.predict_with(&[(one, elements)]),
            _ => Err(Error::NotEnoughData {
                what: "predict",
                problem: format!(
                    "the prediction depends on {} Data components ({}); use `predict_with`",
                    sources.len(),
                    sources.join(", ")
                ),
            }),
        }
    }

    fn user_batch(&self, instance: &str, element: &Shape, data: &TensorData) -> Result<Value<B>> {
        let dims = data.shape.to_vec();
        let found = Shape::from(dims.get(1..).unwrap_or_default().to_vec());
        if dims.is_empty() || !found.same_values(element) {
            return Err(Error::PredictShape {
                component: instance.to_string(),
                expected: element.clone(),
                found: Shape::from(dims),
            });
        }
        // f32 values read as a slice: `iter` converts each value through a boxed iterator.
        let values: Vec<f32> = match data.as_slice::<f32>() {
            Ok(values) => values.to_vec(),
            Err(_) => data.iter::<f32>().collect(),
        };
        let mut internal = Vec::with_capacity(values.len());
        for chunk in values.chunks(element.element_count().max(1)) {
            push_element(&mut internal, chunk, element);
        }
        Ok(Value::from_values(internal, dims[0], element, &self.device))
    }

    /// Who feeds whom: `(input, component)` by instance name, in declaration order.
    pub fn edges(&self) -> Vec<(String, String)> {
        let entries = &self.plan.entries;
        entries
            .iter()
            .flat_map(|e| {
                e.inputs
                    .iter()
                    .map(|&i| (entries[i].instance.clone(), e.instance.clone()))
            })
            .collect()
    }
}

impl<B: AutodiffBackend> Model<B> {
    /// The same model without autodiff, for inference (training measures its validation split
    /// on it). Previews, `evaluate` and `predict` of a model on `TrainingBackend` run on it by
    /// themselves, so that they record no autodiff graph.
    pub fn valid(&self) -> Model<B::InnerBackend> {
        Model {
            graph: self.graph.valid(),
            plan: self.plan.clone(),
            codes: self
                .codes
                .iter()
                .map(|code| code.as_ref().map(|c| c.valid()))
                .collect(),
            device: self.device.clone(),
            extensions: self.extensions.clone(),
        }
    }
}
