//! Data components: the sources of a model's values.
//!
//! One type, `Data`, reads from the embedded digits dataset, an IDX, NPY or CSV file, or a
//! random generator (see [`DataSettings`]). Files are read when the values are first needed
//! (a preview, training, evaluation), checked against the declared shape and class count,
//! and kept in memory.

percept_catalogue::__builtins!(declare_family, Data);

mod dataset;

pub use dataset::Dataset;
pub use percept_catalogue::{Columns, DataSource, Delimiter, Digits};
