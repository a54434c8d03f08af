//! The graph: components wired by name, checked, ordered and run.
//!
//! [`ModelBuilder`] takes the entries of a model (instance name, settings, inputs), checks
//! names, wiring and shapes with the catalogue's rules, and builds a [`Model`], whose forward
//! pass runs the components in topological order over a batch.

mod builder;
pub(crate) mod model;
mod plan;
mod shared;
mod summary;

pub use builder::ModelBuilder;
pub use model::Model;
pub use plan::{Plan, PlanEntry};
pub use shared::{Handle, Shared};
pub use summary::{Summary, SummaryRow};
