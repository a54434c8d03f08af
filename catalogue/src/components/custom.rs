//! A custom component, as far as the catalogue knows it: its type, shape signature and the
//! values of its settings. Its code lives in the user's crate (see `#[component]`).

use serde::{Deserialize, Serialize};

use crate::signature::Signature;

/// The settings of a custom component: what the shape checks, the summary and a saved
/// model's structure need to know about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomSettings {
    /// The type name (`Gain`).
    pub type_name: String,
    /// The shape signature (`[n] -> [n]`).
    pub signature: Signature,
    /// Each `#[setting]` field and its value, as Rust prints it (`("scale", "2.0")`).
    pub values: Vec<(String, String)>,
    /// The integer settings that the signature names, with their values (`("units", 10)`).
    #[serde(default)]
    pub sizes: Vec<(String, i64)>,
}
