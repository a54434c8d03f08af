//! The settings schema of every built-in: which keys it takes, of what kind, with what default.
//!
//! The `model!` macro validates keys and values against it; the book's catalogue reference is
//! written from it.

/// The kind of value a setting takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// A non-negative integer (`units: 10`).
    Integer,
    /// A number (`learning_rate: 0.001`).
    Float,
    /// `true` or `false`.
    Bool,
    /// A list of dimensions (`shape: [8, 8, 1]`).
    Shape,
    /// A file path in a string literal.
    Path,
    /// CSV columns: `a..b` or `k`.
    Columns,
    /// One of the listed names (`activation: Relu`).
    Choice(&'static [&'static str]),
    /// An optimizer with its own settings (`Adam { learning_rate: 0.001 }`).
    Optimizer,
}

/// One setting of a component type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    /// The key, as written in `model!`.
    pub name: &'static str,
    /// The kind of value.
    pub kind: ValueKind,
    /// The default, as it would be written; `None` when the setting is required.
    pub default: Option<&'static str>,
    /// One line saying what it does.
    pub doc: &'static str,
}

impl Setting {
    /// A required setting.
    pub const fn required(name: &'static str, kind: ValueKind, doc: &'static str) -> Self {
        Setting {
            name,
            kind,
            default: None,
            doc,
        }
    }

    /// An optional setting with its default as written.
    pub const fn optional(
        name: &'static str,
        kind: ValueKind,
        default: &'static str,
        doc: &'static str,
    ) -> Self {
        Setting {
            name,
            kind,
            default: Some(default),
            doc,
        }
    }
}
