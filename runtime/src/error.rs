//! `percept::Error`: everything that can go wrong on user input, with what was expected.

use std::fmt;
use std::path::PathBuf;

use percept_catalogue::{ShapeError, WiringError};
use percept_formats::FormatError;
use thiserror::Error;

/// The result type of percept.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong on user input. Each message names the file, position or
/// component and what was expected.
///
/// `Debug` prints the same message as `Display` (as `anyhow` does), so that
/// `fn main() -> Result<(), percept::Error>` shows the message, not the variant's fields.
#[derive(Error)]
#[non_exhaustive]
pub enum Error {
    /// A shape or setting error found while building the graph or loading data.
    #[error(transparent)]
    Shape(Box<ShapeError>),

    /// A data file that cannot be read, or whose contents are not what was declared.
    #[error(transparent)]
    Format(Box<FormatError>),

    /// Components named or wired wrongly: every problem found, one per line.
    #[error("{}", errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Wiring {
        /// The problems.
        errors: Vec<WiringError>,
    },

    /// Data components of different lengths.
    #[error(
        "`{component}` has {count} elements but `{first}` has {first_count}; every Data component of a model must hold as many elements"
    )]
    DataCount {
        /// The first Data component.
        first: String,
        /// Its element count.
        first_count: usize,
        /// The component that differs.
        component: String,
        /// Its element count.
        count: usize,
    },

    /// Too few elements to train, validate or evaluate.
    #[error("{what}: {problem}")]
    NotEnoughData {
        /// What was attempted.
        what: &'static str,
        /// Why there is not enough data.
        problem: String,
    },

    /// `evaluate()` on a model whose Data components have no `test_file`.
    #[error("`{component}` has no `test_file`; name one to evaluate the model on a test set")]
    NoTestFile {
        /// The Data component without a test file.
        component: String,
    },

    /// A predict input of the wrong shape.
    #[error(
        "`predict` got elements of shape `{found}` for `{component}`, which expects `{expected}`"
    )]
    PredictShape {
        /// The Data component fed.
        component: String,
        /// Its shape.
        expected: percept_catalogue::Shape,
        /// The shape given.
        found: percept_catalogue::Shape,
    },

    /// A training or validation loss that became NaN or infinite.
    #[error(
        "the {} loss became {loss} at epoch {epoch}{}; training stopped and the model keeps the last parameters whose training loss was finite; try a smaller `learning_rate`, or rescale the data",
        if step.is_some() { "training" } else { "validation" },
        step.map_or(String::new(), |step| format!(", step {step}"))
    )]
    NonFiniteLoss {
        /// The epoch, from 1.
        epoch: usize,
        /// The step in that epoch, from 1, for the training loss; `None` for the validation
        /// loss, measured at the epoch's end.
        step: Option<usize>,
        /// The loss value.
        loss: f32,
    },

    /// `set_file` or `set_test_file` on a Data component whose source is not a file.
    #[error(
        "`{component}` reads {source_kind}, not a file, so `{method}` cannot replace its file; declare it with `file: \"...\"` (and `test_file`) to read files"
    )]
    NotAFile {
        /// The Data component.
        component: String,
        /// `set_file` or `set_test_file`.
        method: &'static str,
        /// What it reads instead (`the embedded digits`, `random values`).
        source_kind: &'static str,
    },

    /// A file that cannot be written or read while saving or loading a model.
    #[error("cannot {action} `{}`: {source}", path.display())]
    Io {
        /// `write` or `read`.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },

    /// The dashboard cannot serve at the address asked for (taken, or not this machine's).
    #[error("cannot serve the dashboard at `{address}`: {source}")]
    Dashboard {
        /// The address asked for.
        address: String,
        /// The cause.
        source: std::io::Error,
    },

    /// A saved model that does not match this model.
    #[error("cannot load the model from `{}`: {message}", path.display())]
    Record {
        /// The directory or file.
        path: PathBuf,
        /// What burn's recorder reported.
        message: String,
    },

    /// A training checkpoint that cannot be written, found or resumed from.
    #[error("cannot resume from `{}`: {problem}", path.display())]
    Checkpoint {
        /// The checkpoint directory.
        path: PathBuf,
        /// What is wrong, and what to do.
        problem: String,
    },

    /// A custom component's settings given to `ModelBuilder::add`, without its code.
    #[error(
        "`{component}` has the settings of a custom component, but no code: add it with `ModelBuilder::add_custom` and the settings struct `#[component]` generates"
    )]
    CustomWithoutCode {
        /// The instance name.
        component: String,
    },

    /// A custom component added for one backend, built for another.
    #[error(
        "the custom component `{component}` was added for the backend `{added_for}`, but the model is built for `{built_for}`; add it with `add_custom::<B, _>` for the backend you build with"
    )]
    CustomBackend {
        /// The instance name.
        component: String,
        /// The backend given to `add_custom`.
        added_for: &'static str,
        /// The backend given to `build`.
        built_for: &'static str,
    },

    /// A value flowing between components has an unexpected rank. This is a bug in percept.
    #[error(
        "internal error: `{component}` got a tensor of rank {found}, expected {expected} (please report this)"
    )]
    Internal {
        /// The component.
        component: String,
        /// The expected batch rank.
        expected: usize,
        /// The rank found.
        found: usize,
    },

    /// A file of a save that was changed or cut after saving: its size or checksum is not
    /// the one its manifest records, or it cannot be decoded.
    #[error("`{}` is corrupt: {problem}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What does not match.
        problem: String,
    },

    /// A saved parameter whose shape is not the shape of the same parameter in the model it
    /// is loaded into. (Some fields are boxed to keep `Error` small.)
    #[error(
        "cannot load `{}`: component `{component}` differs: parameter `{parameter}` of `{component}` ({class_name}) has shape {saved:?} in the save but {ours:?} in this model",
        path.display()
    )]
    ParameterShape {
        /// The directory of the save.
        path: PathBuf,
        /// The component's instance name.
        component: String,
        /// Its class name.
        class_name: Box<str>,
        /// The parameter's path in the component's burn module (`linear.weight`).
        parameter: Box<str>,
        /// Its shape in the save.
        saved: Box<[usize]>,
        /// Its shape in the model.
        ours: Box<[usize]>,
    },
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

// Boxed so that `Result<T, percept::Error>` stays small on the happy path.
impl From<ShapeError> for Error {
    fn from(error: ShapeError) -> Self {
        Error::Shape(Box::new(error))
    }
}

impl From<FormatError> for Error {
    fn from(error: FormatError) -> Self {
        Error::Format(Box::new(error))
    }
}
