//! Mathematics components: combining and summarising values.

percept_catalogue::__builtins!(declare_family, Math);

pub use percept_catalogue::MergeOp;
