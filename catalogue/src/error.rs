//! The errors of shape inference and settings validation.
//!
//! Each message names the components by their instance names, gives the shapes involved and
//! ends with the fix after a semicolon, so the macro can show it as is at compile time and the
//! runtime when data loads.

use thiserror::Error;

use crate::shape::Shape;

/// Why a component cannot take its inputs, or why its settings are invalid.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ShapeError {
    /// The component got the wrong number of inputs.
    #[error("`{component}` ({type_name}) takes {expected}, but {found} {verb} given; {fix}", verb = if *found == 1 { "is" } else { "are" })]
    Arity {
        /// The instance name.
        component: String,
        /// The component type (`Dense`).
        type_name: &'static str,
        /// What it takes, in words (`one input`).
        expected: &'static str,
        /// How many inputs it got.
        found: usize,
        /// How to fix it.
        fix: &'static str,
    },

    /// An input has a rank the component does not accept.
    #[error("`{component}` ({type_name}) expects {expected}, but `{input}` gives `{found}`; {fix}")]
    Rank {
        /// The instance name.
        component: String,
        /// The component type.
        type_name: &'static str,
        /// The feeding component.
        input: String,
        /// What it expects, in words (`a flat input [features]`).
        expected: &'static str,
        /// The shape it got.
        found: Shape,
        /// How to fix it.
        fix: String,
    },

    /// A reshape that changes the number of values.
    #[error(
        "`{component}` (Reshape) cannot reshape `{input}`'s `{from}` ({from_count} values) into `{to}` ({to_count} values); choose a shape with {from_count} values in all"
    )]
    ReshapeCount {
        /// The instance name.
        component: String,
        /// The feeding component.
        input: String,
        /// The input shape.
        from: Shape,
        /// The requested shape.
        to: Shape,
        /// Values in the input.
        from_count: usize,
        /// Values in the requested shape.
        to_count: usize,
    },

    /// A convolution kernel or pooling window larger than the input.
    #[error(
        "`{component}` ({type_name}) has a {window} of {size}x{size}, larger than `{input}`'s `{found}`; use a {window} of at most {limit}"
    )]
    WindowTooLarge {
        /// The instance name.
        component: String,
        /// The component type.
        type_name: &'static str,
        /// `kernel` or `pool window`.
        window: &'static str,
        /// The key of the setting that gives the window (`kernel`, `size`).
        setting: &'static str,
        /// The window size.
        size: usize,
        /// The feeding component.
        input: String,
        /// The input shape.
        found: Shape,
        /// The largest window that fits.
        limit: usize,
    },

    /// A Merge of inputs whose shapes do not combine.
    #[error(
        "`{component}` (Merge {op}) cannot combine `{first}`'s `{first_shape}` with `{other}`'s `{other_shape}`; {fix}"
    )]
    Merge {
        /// The instance name.
        component: String,
        /// The merge operation.
        op: &'static str,
        /// The first input.
        first: String,
        /// Its shape.
        first_shape: Shape,
        /// The input that does not fit.
        other: String,
        /// Its shape.
        other_shape: Shape,
        /// How to fix it.
        fix: &'static str,
    },

    /// A Classification whose prediction width differs from the label's class count.
    #[error(
        "`{component}` (Classification) gets predictions `{prediction}` of width {width} but labels `{labels}` with {classes} classes; make `{prediction}` output {classes} values (e.g. `units: {classes}`)"
    )]
    ClassCount {
        /// The instance name.
        component: String,
        /// The prediction input.
        prediction: String,
        /// Its width.
        width: usize,
        /// The label input.
        labels: String,
        /// The class count of the labels.
        classes: usize,
    },

    /// Class indices whose number of classes is unknown.
    #[error(
        "`{component}` ({type_name}) needs to know how many classes `{input}` has; add `classes: n` to `{input}`"
    )]
    UnknownClasses {
        /// The instance name.
        component: String,
        /// The component type.
        type_name: &'static str,
        /// The input holding class indices.
        input: String,
    },

    /// A Regression whose prediction and targets differ in shape.
    #[error(
        "`{component}` (Regression) compares predictions `{prediction}` of shape `{prediction_shape}` with targets `{labels}` of shape `{labels_shape}`; make both the same shape"
    )]
    TargetShape {
        /// The instance name.
        component: String,
        /// The prediction input.
        prediction: String,
        /// Its shape.
        prediction_shape: Shape,
        /// The target input.
        labels: String,
        /// Its shape.
        labels_shape: Shape,
    },

    /// A shape of a rank percept does not support.
    #[error(
        "`{component}` would output `{shape}`, of rank {rank}; percept supports per-element shapes of rank 0 to 3 (`[h, w, c]` at most)"
    )]
    RankTooHigh {
        /// The instance name.
        component: String,
        /// The shape.
        shape: Shape,
        /// Its rank.
        rank: usize,
    },

    /// A setting outside its valid range.
    #[error("`{component}`: `{setting}` {problem}")]
    InvalidSetting {
        /// The instance name.
        component: String,
        /// The setting key.
        setting: &'static str,
        /// What is wrong, and what is allowed.
        problem: String,
    },

    /// A data file whose per-element shape contradicts the declared one.
    #[error(
        "`{component}`: `{file}` holds elements of shape `{found}`, but `shape: {declared}` is declared; declare `shape: {found}` or use a file of the declared shape"
    )]
    DataShape {
        /// The instance name.
        component: String,
        /// The file.
        file: String,
        /// The declared shape.
        declared: Shape,
        /// The shape in the file.
        found: Shape,
    },

    /// A file source whose shape is unknown: the file could not be read and no shape is declared.
    #[error(
        "`{component}`: the shape of `{file}` is unknown (the file could not be read); declare it with `shape: [...]`"
    )]
    UnknownDataShape {
        /// The instance name.
        component: String,
        /// The file.
        file: String,
    },
    /// A custom component given another number of inputs than its signature lists.
    #[error(
        "`{component}` ({type_name}) takes {expected} input{plural} (`{signature}`), but {found} {verb} given; {fix}",
        plural = if *expected == 1 { "" } else { "s" },
        verb = if *found == 1 { "is" } else { "are" },
        fix = if *expected == 1 {
            "wire one input, as in `<- a`".to_string()
        } else {
            format!("wire `{component}` as `<- (a, b)` with one input per list before `->`")
        }
    )]
    CustomArity {
        /// The instance name.
        component: String,
        /// The custom component's type.
        type_name: String,
        /// Its shape signature.
        signature: String,
        /// The number of inputs the signature lists.
        expected: usize,
        /// The number given.
        found: usize,
    },

    /// A custom component fed an input of another rank than its signature's.
    #[error(
        "`{component}` ({type_name}) takes `{pattern}` (rank {rank}) as its input, but `{input}` gives `{found}` (rank {found_rank}); give `{component}` an input of rank {rank} (a `Flatten` or `Reshape` before it), or change `{type_name}`'s shape signature",
        found_rank = found.rank()
    )]
    CustomRank {
        /// The instance name.
        component: String,
        /// The custom component's type.
        type_name: String,
        /// The signature's list for this input (`[n]`).
        pattern: String,
        /// Its rank.
        rank: usize,
        /// The feeding component.
        input: String,
        /// The shape it gives.
        found: Shape,
    },

    /// A named dimension that takes two different sizes.
    #[error(
        "`{component}` ({type_name}) needs `{name}` to be the same size wherever it appears (`{signature}`), but `{first_input}` gives `{first_shape}` ({name} = {first}) and `{input}` gives `{found}` ({name} = {size}); make both the same size"
    )]
    CustomName {
        /// The instance name.
        component: String,
        /// The custom component's type.
        type_name: String,
        /// Its shape signature.
        signature: String,
        /// The dimension's name.
        name: String,
        /// The input where the name first appears.
        first_input: String,
        /// That input's shape.
        first_shape: Shape,
        /// The size there.
        first: usize,
        /// The input that disagrees.
        input: String,
        /// Its shape.
        found: Shape,
        /// The size there.
        size: usize,
    },

    /// An input dimension written as a number or arithmetic, which the input does not have.
    #[error(
        "`{component}` ({type_name}) takes `{pattern}` as its input, but `{input}` gives `{found}`, whose dimension {position} is {size}, not {expected}; give `{component}` an input that fits `{pattern}`"
    )]
    CustomSize {
        /// The instance name.
        component: String,
        /// The custom component's type.
        type_name: String,
        /// The signature's list for this input.
        pattern: String,
        /// The feeding component.
        input: String,
        /// The shape it gives.
        found: Shape,
        /// Which dimension, from 1.
        position: usize,
        /// The size the input has there.
        size: usize,
        /// The size the signature asks for.
        expected: usize,
    },

    /// Arithmetic in an input's list that does not give a size.
    #[error(
        "`{component}` ({type_name}) cannot check `{input}`'s `{found}` against `{pattern}`: `{expression}`{values} gives {step}, which {reason}; give `{component}` inputs for which `{expression}` is a whole size of at least 1"
    )]
    CustomArithmetic {
        /// The instance name.
        component: String,
        /// The custom component's type.
        type_name: String,
        /// The signature's list for this input.
        pattern: String,
        /// The feeding component.
        input: String,
        /// The shape it gives.
        found: Shape,
        /// The dimension's arithmetic (`n / 2`).
        expression: String,
        /// The sizes of its names (` with n = 7`), or nothing.
        values: String,
        /// The step that fails (`7 / 2`).
        step: String,
        /// Why (`does not divide evenly`).
        reason: &'static str,
    },

    /// Arithmetic in the output that does not give a size for these inputs.
    #[error(
        "`{component}` ({type_name}) cannot compute its output `{output}` from {from}: `{expression}`{values} gives {step}, which {reason}; give `{component}` an input for which `{expression}` is a whole size of at least 1"
    )]
    CustomOutput {
        /// The instance name.
        component: String,
        /// The custom component's type.
        type_name: String,
        /// The signature's output list.
        output: String,
        /// The inputs and their shapes, in words.
        from: String,
        /// The dimension's arithmetic (`h / 2`).
        expression: String,
        /// The sizes of its names (` with h = 7`), or nothing.
        values: String,
        /// The step that fails (`7 / 2`).
        step: String,
        /// Why (`does not divide evenly`).
        reason: &'static str,
    },

    /// An integer setting that sizes a custom component's shape, of a value that is no size.
    #[error(
        "`{component}` ({type_name}): `{setting}` sizes the shape `{signature}`, so it must be a whole number of at least 1, not {value}"
    )]
    CustomSetting {
        /// The instance name.
        component: String,
        /// The custom component's type.
        type_name: String,
        /// Its shape signature.
        signature: String,
        /// The setting.
        setting: String,
        /// Its value.
        value: i64,
    },

    /// A custom component's signature names a setting whose value is not given.
    #[error(
        "`{component}` ({type_name}): the shape `{signature}` names `{setting}`, but no value is given for it; add the component with `ModelBuilder::add_custom` and its settings struct"
    )]
    CustomMissingSetting {
        /// The instance name.
        component: String,
        /// The custom component's type.
        type_name: String,
        /// Its shape signature.
        signature: String,
        /// The setting without a value.
        setting: String,
    },
}
