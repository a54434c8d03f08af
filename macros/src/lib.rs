//! The procedural macros of percept (`model!`, `#[component]`).
//!
//! They are not implemented yet: until they are, models are wired by hand with
//! `percept::ModelBuilder` (see the book's "Building a model" chapter).
