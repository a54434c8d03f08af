//! `Data`: where the values come from (the embedded digits, a file, or random numbers).

use serde::{Deserialize, Serialize};

use super::rules::{class_count, output, positive};
use super::{Category, ComponentSettings};
use crate::error::ShapeError;
use crate::schema::{Setting, ValueKind};
use crate::shape::{Input, Shape, Signal};
use crate::values::{boolean, choice, integer, not_a_key, shape, text};
use crate::written::{ValueError, Written};

// The keys, as written in `model!`: the schema lists them and `assign` reads them.
const SOURCE: &str = "source";
const FILE: &str = "file";
const COLUMNS: &str = "columns";
const DELIMITER: &str = "delimiter";
const ALLOW_NON_FINITE: &str = "allow_non_finite";
const RANDOM: &str = "random";
const SAMPLES: &str = "samples";
const SEED: &str = "seed";
const CLASSES: &str = "classes";
const SHAPE: &str = "shape";
const TEST_FILE: &str = "test_file";

/// The two halves of the embedded digits dataset (1,797 scanned 8x8 digits, UCI).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Digits {
    /// The images, `[64]` values in `0..=1` (8x8 pixels, row by row).
    #[default]
    Images,
    /// The labels: class indices `0..10`.
    Labels,
}

impl Digits {
    /// The number of elements.
    pub const COUNT: usize = 1797;
    /// The number of classes.
    pub const CLASSES: usize = 10;
    /// What an element of `Images` is: 8x8 grey pixels, stored as `[64]`.
    pub const IMAGE_SHAPE: [usize; 3] = [8, 8, 1];
}

/// Which columns of a CSV file a Data component reads (the readers' own selection).
pub use percept_formats::Columns;

/// The character between the fields of a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Delimiter {
    /// `,` (the default).
    #[default]
    Comma,
    /// `;`, as spreadsheets write where the comma is the decimal separator.
    Semicolon,
    /// A tab (`.tsv` files).
    Tab,
    /// One space.
    Space,
}

impl Delimiter {
    /// The names `model!` accepts, in the order of [`Delimiter::ALL`].
    pub const NAMES: [&'static str; 4] = ["Comma", "Semicolon", "Tab", "Space"];
    /// Every delimiter.
    pub const ALL: [Delimiter; 4] = [
        Delimiter::Comma,
        Delimiter::Semicolon,
        Delimiter::Tab,
        Delimiter::Space,
    ];

    /// The byte it stands for.
    pub fn byte(self) -> u8 {
        match self {
            Delimiter::Comma => b',',
            Delimiter::Semicolon => b';',
            Delimiter::Tab => b'\t',
            Delimiter::Space => b' ',
        }
    }
}

/// Where a Data component's values come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DataSource {
    /// The digits dataset embedded in percept.
    Digits(Digits),
    /// An IDX (optionally gzip-compressed), NPY or CSV file.
    File {
        /// The path; a relative path is resolved against the declaring crate's directory.
        path: String,
        /// For CSV files: which columns to read.
        columns: Columns,
        /// For CSV files: the character between fields.
        #[serde(default)]
        delimiter: Delimiter,
        /// Accept NaN and infinite values (and values beyond `f32`'s range) instead of
        /// reporting them as errors at their line and column or element.
        #[serde(default)]
        allow_non_finite: bool,
    },
    /// Uniform random values in `[0, 1)`, or random class indices when `classes` is set.
    Random {
        /// The per-element shape.
        shape: Shape,
        /// How many elements.
        samples: usize,
        /// The seed of the generator.
        seed: u64,
    },
}

/// The settings of a `Data` component.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataSettings {
    /// Where the values come from.
    pub source: DataSource,
    /// The declared per-element shape; for a file, checked against the file when it loads.
    pub shape: Option<Shape>,
    /// For class labels: how many classes (the values must be integers in `0..classes`).
    pub classes: Option<usize>,
    /// A test file with the same layout as `file`, for `evaluate()`.
    pub test_file: Option<String>,
}

impl Default for DataSettings {
    fn default() -> Self {
        DataSettings::digits(Digits::Images)
    }
}

/// Where a file named in a Data component is: `file` as it is when absolute, else under
/// `base_dir` (the crate's manifest directory for `model!`, the builder's base directory at
/// run time).
pub fn resolve_path(base_dir: &std::path::Path, file: &str) -> std::path::PathBuf {
    let path = std::path::Path::new(file);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        base_dir.join(path)
    }
}

impl DataSource {
    /// How the readers read this source's file: its delimiter, and whether non-finite values
    /// are accepted (the readers' defaults for other sources).
    pub fn read_options(&self) -> percept_formats::ReadOptions {
        let mut options = percept_formats::ReadOptions::default();
        if let DataSource::File {
            delimiter,
            allow_non_finite,
            ..
        } = self
        {
            options.delimiter = delimiter.byte();
            options.allow_non_finite = *allow_non_finite;
        }
        options
    }
}

impl DataSettings {
    /// The image an element is, when its values are an image stored flat (the digits'
    /// `[64]` are 8x8): previews draw it as that image.
    pub fn image_shape(&self) -> Option<[usize; 3]> {
        match self.source {
            DataSource::Digits(Digits::Images) => Some(Digits::IMAGE_SHAPE),
            _ => None,
        }
    }

    /// The embedded digits images or labels.
    pub fn digits(part: Digits) -> Self {
        DataSettings {
            source: DataSource::Digits(part),
            shape: None,
            classes: None,
            test_file: None,
        }
    }

    /// A file (IDX, NPY or CSV), every column.
    pub fn file(path: impl Into<String>) -> Self {
        DataSettings {
            source: DataSource::File {
                path: path.into(),
                columns: Columns::All,
                delimiter: Delimiter::Comma,
                allow_non_finite: false,
            },
            shape: None,
            classes: None,
            test_file: None,
        }
    }

    /// `samples` random elements of `shape`, from seed 0.
    pub fn random(shape: impl Into<Shape>, samples: usize) -> Self {
        DataSettings {
            source: DataSource::Random {
                shape: shape.into(),
                samples,
                seed: 0,
            },
            shape: None,
            classes: None,
            test_file: None,
        }
    }

    /// Reads only these CSV columns.
    pub fn with_columns(mut self, selection: Columns) -> Self {
        if let DataSource::File { columns, .. } = &mut self.source {
            *columns = selection;
        }
        self
    }

    /// Reads a CSV file whose fields are separated by `separator`.
    pub fn with_delimiter(mut self, separator: Delimiter) -> Self {
        if let DataSource::File { delimiter, .. } = &mut self.source {
            *delimiter = separator;
        }
        self
    }

    /// Accepts NaN and infinite values in the file instead of reporting them.
    pub fn allowing_non_finite(mut self) -> Self {
        if let DataSource::File {
            allow_non_finite, ..
        } = &mut self.source
        {
            *allow_non_finite = true;
        }
        self
    }

    /// Declares the values as class indices `0..classes`.
    pub fn with_classes(mut self, classes: usize) -> Self {
        self.classes = Some(classes);
        self
    }

    /// Declares the per-element shape.
    pub fn with_shape(mut self, shape: impl Into<Shape>) -> Self {
        self.shape = Some(shape.into());
        self
    }

    /// Names a test file of the same layout.
    pub fn with_test_file(mut self, path: impl Into<String>) -> Self {
        self.test_file = Some(path.into());
        self
    }

    /// Records the per-element shape read from the file (its header, or its CSV columns),
    /// after checking it against the declared `shape`.
    pub fn resolve_file_shape(&mut self, this: &str, found: Shape) -> Result<(), ShapeError> {
        if let (Some(declared), DataSource::File { path, .. }) = (&self.shape, &self.source)
            && !declared.same_values(&found)
            && *declared != found
        {
            return Err(ShapeError::DataShape {
                component: this.to_string(),
                file: path.clone(),
                declared: declared.clone(),
                found,
            });
        }
        if self.shape.is_none() {
            self.shape = Some(found);
        }
        Ok(())
    }

    fn element_shape(&self, this: &str) -> Result<Shape, ShapeError> {
        match &self.source {
            DataSource::Digits(Digits::Images) => Ok(Shape::from([64])),
            DataSource::Digits(Digits::Labels) => Ok(Shape::scalar()),
            DataSource::Random { shape, samples, .. } => {
                positive(this, "samples", *samples)?;
                // Random values are made in memory: refuse what could never fit.
                const MAX_VALUES: usize = 1 << 32;
                let values = shape.0.iter().try_fold(*samples, |n, &d| n.checked_mul(d));
                if values.is_none_or(|v| v > MAX_VALUES) {
                    return Err(ShapeError::InvalidSetting {
                        component: this.to_string(),
                        setting: "samples",
                        problem: format!(
                            "times the shape `{shape}` gives more than {MAX_VALUES} random values; use fewer"
                        ),
                    });
                }
                match &self.shape {
                    Some(declared) if !declared.same_values(shape) => {
                        Err(ShapeError::InvalidSetting {
                            component: this.to_string(),
                            setting: "shape",
                            problem: format!(
                                "`{declared}` differs from the random values' shape `{shape}`; drop `shape`"
                            ),
                        })
                    }
                    _ => Ok(shape.clone()),
                }
            }
            DataSource::File { path, .. } => {
                self.shape
                    .clone()
                    .ok_or_else(|| ShapeError::UnknownDataShape {
                        component: this.to_string(),
                        file: path.clone(),
                    })
            }
        }
    }
}

impl ComponentSettings for DataSettings {
    const CATEGORY: Category = Category::Data;
    const TYPE: &'static str = "Data";
    const ABOUT: &'static str = "the model's values: the embedded digits, an IDX, NPY or CSV file, or random values";
    const SHAPES: &'static str = "no input → the shape of one element (a file's is read from its header)";
    const SCHEMA: &'static [Setting] = &[
        Setting::optional(
            SOURCE,
            ValueKind::Choice(&["Digits::Images", "Digits::Labels"]),
            "Digits::Images",
            "the embedded digits: images (`[64]`, 0..=1) or labels (10 classes)",
        ),
        Setting::optional(
            FILE,
            ValueKind::Path,
            "none",
            "an IDX, NPY or CSV file to read instead",
        ),
        Setting::optional(
            COLUMNS,
            ValueKind::Columns,
            "every column",
            "CSV columns: `a..b` or `k`",
        ),
        Setting::optional(
            DELIMITER,
            ValueKind::Choice(&Delimiter::NAMES),
            "Comma",
            "the character between CSV fields",
        ),
        Setting::optional(
            ALLOW_NON_FINITE,
            ValueKind::Bool,
            "false",
            "accept NaN and infinite values instead of an error at their position",
        ),
        Setting::optional(
            RANDOM,
            ValueKind::Shape,
            "none",
            "random values of this shape instead",
        ),
        Setting::optional(
            SAMPLES,
            ValueKind::Integer,
            "1000",
            "how many random elements",
        ),
        Setting::optional(
            SEED,
            ValueKind::Integer,
            "0",
            "the seed of the random values",
        ),
        Setting::optional(
            CLASSES,
            ValueKind::Integer,
            "none",
            "the values are class indices `0..classes`",
        ),
        Setting::optional(
            SHAPE,
            ValueKind::Shape,
            "read from the file",
            "the per-element shape",
        ),
        Setting::optional(
            TEST_FILE,
            ValueKind::Path,
            "none",
            "a test file of the same layout",
        ),
    ];

    fn assign(&mut self, key: &str, value: &Written) -> Result<(), ValueError> {
        match key {
            SOURCE => {
                let parts = [Digits::Images, Digits::Labels];
                let names = ["Digits::Images", "Digits::Labels"];
                self.source = DataSource::Digits(parts[choice(key, value, &names)?]);
            }
            FILE => {
                self.source = DataSource::File {
                    path: text(key, value)?,
                    columns: Columns::All,
                    delimiter: Delimiter::Comma,
                    allow_non_finite: false,
                }
            }
            RANDOM => {
                let seed = match self.source {
                    DataSource::Random { seed, .. } => seed,
                    _ => 0,
                };
                self.source = DataSource::Random {
                    shape: shape(key, value)?,
                    samples: 1000,
                    seed,
                };
            }
            SAMPLES | SEED => {
                let DataSource::Random { samples, seed, .. } = &mut self.source else {
                    return Err(format!(
                        "`{key}` applies to random data; write `random: [dims]` before it"
                    )
                    .into());
                };
                let n = integer(key, value)?;
                if key == SAMPLES {
                    *samples = n
                } else {
                    *seed = n as u64
                }
            }
            DELIMITER | ALLOW_NON_FINITE => {
                let DataSource::File {
                    delimiter,
                    allow_non_finite,
                    ..
                } = &mut self.source
                else {
                    return Err(format!(
                        "`{key}` applies to files; write `file: \"...\"` before it"
                    )
                    .into());
                };
                if key == DELIMITER {
                    *delimiter = Delimiter::ALL[choice(key, value, &Delimiter::NAMES)?];
                } else {
                    *allow_non_finite = boolean(key, value)?;
                }
            }
            COLUMNS => {
                let DataSource::File { columns, .. } = &mut self.source else {
                    return Err(
                        "`columns` applies to CSV files; write `file: \"...\"` before it"
                            .to_string()
                            .into(),
                    );
                };
                *columns = match value {
                    Written::Range(a, b) => Columns::Range {
                        start: *a as usize,
                        end: *b as usize,
                    },
                    Written::Integer(k) => Columns::Single(*k as usize),
                    other => {
                        return Err(format!(
                            "`columns` takes a range `a..b` or a column `k`, found {other}"
                        )
                        .into());
                    }
                };
            }
            CLASSES => self.classes = Some(integer(key, value)?),
            SHAPE => self.shape = Some(shape(key, value)?),
            TEST_FILE => self.test_file = Some(text(key, value)?),
            other => return Err(not_a_key(Self::TYPE, other)),
        }
        Ok(())
    }

    fn infer(&self, this: &str, inputs: &[Input<'_>]) -> Result<Signal, ShapeError> {
        if !inputs.is_empty() {
            return Err(ShapeError::Arity {
                component: this.to_string(),
                type_name: Self::TYPE,
                expected: "no inputs",
                found: inputs.len(),
                fix: "remove the `<- ...` after it: a Data component is a source",
            });
        }
        let shape = self.element_shape(this)?;
        for &dim in shape.dims() {
            positive(this, "shape", dim)?;
        }
        if self.test_file.is_some() && !matches!(self.source, DataSource::File { .. }) {
            return Err(ShapeError::InvalidSetting {
                component: this.to_string(),
                setting: "test_file",
                problem:
                    "applies to file sources only; read the data from a `file` to name a test file"
                        .to_string(),
            });
        }
        let classes = match (&self.source, self.classes) {
            (DataSource::Digits(Digits::Labels), Some(c)) if c != Digits::CLASSES => {
                return Err(ShapeError::InvalidSetting {
                    component: this.to_string(),
                    setting: "classes",
                    problem: format!(
                        "must be {} for the digits labels, found {c}",
                        Digits::CLASSES
                    ),
                });
            }
            (DataSource::Digits(Digits::Labels), _) => Some(Digits::CLASSES),
            (_, classes) => classes,
        };
        match classes {
            Some(classes) => {
                class_count(this, "classes", classes)?;
                if shape.element_count() != 1 {
                    return Err(ShapeError::InvalidSetting {
                        component: this.to_string(),
                        setting: "classes",
                        problem: format!(
                            "applies to one class index per element, but the elements have shape `{shape}`; select one column, or drop `classes`"
                        ),
                    });
                }
                Ok(Signal::class_indices(classes))
            }
            None => output(this, shape),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_images_are_64_values() {
        let s = DataSettings::digits(Digits::Images)
            .infer("images", &[])
            .unwrap();
        assert_eq!(s, Signal::new([64]));
    }

    #[test]
    fn digits_labels_are_10_classes() {
        let s = DataSettings::digits(Digits::Labels)
            .infer("labels", &[])
            .unwrap();
        assert_eq!(s, Signal::class_indices(10));
    }

    #[test]
    fn digits_labels_reject_another_class_count() {
        let err = DataSettings::digits(Digits::Labels)
            .with_classes(3)
            .infer("labels", &[])
            .unwrap_err();
        assert!(
            matches!(
                err,
                ShapeError::InvalidSetting {
                    setting: "classes",
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn random_uses_its_shape() {
        let s = DataSettings::random([4, 4, 2], 10).infer("r", &[]).unwrap();
        assert_eq!(s, Signal::new([4, 4, 2]));
    }

    #[test]
    fn random_data_must_fit_in_memory() {
        let err = DataSettings::random([1 << 20, 1 << 20], 1 << 30)
            .infer("r", &[])
            .unwrap_err();
        assert!(
            err.to_string().contains("random values; use fewer"),
            "{err}"
        );
        let err = DataSettings::random([usize::MAX, 2], 2)
            .infer("r", &[])
            .unwrap_err();
        assert!(
            matches!(
                err,
                ShapeError::InvalidSetting {
                    setting: "samples",
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn random_needs_samples() {
        let err = DataSettings::random([4], 0).infer("r", &[]).unwrap_err();
        assert!(matches!(
            err,
            ShapeError::InvalidSetting {
                setting: "samples",
                ..
            }
        ));
    }

    #[test]
    fn file_without_known_shape_is_an_error() {
        let err = DataSettings::file("x.idx").infer("x", &[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`x`: the shape of `x.idx` is unknown (the file could not be read); declare it with `shape: [...]`"
        );
    }

    #[test]
    fn file_shape_is_checked_against_the_declared_one() {
        let mut d = DataSettings::file("train.idx3").with_shape([28, 28, 1]);
        let err = d
            .resolve_file_shape("images", Shape::from([28, 28]))
            .unwrap_err();
        assert!(matches!(err, ShapeError::DataShape { .. }));
        assert!(
            err.to_string()
                .contains("`train.idx3` holds elements of shape `[28, 28]`"),
            "{err}"
        );
        let mut d = DataSettings::file("train.idx3");
        d.resolve_file_shape("images", Shape::from([28, 28]))
            .unwrap();
        assert_eq!(d.infer("images", &[]).unwrap(), Signal::new([28, 28]));
    }

    #[test]
    fn labels_with_classes_are_class_indices() {
        let mut d = DataSettings::file("iris.csv")
            .with_columns(Columns::Single(4))
            .with_classes(3);
        d.resolve_file_shape("labels", Shape::scalar()).unwrap();
        assert_eq!(d.infer("labels", &[]).unwrap(), Signal::class_indices(3));
    }

    #[test]
    fn classes_on_wide_elements_is_an_error() {
        let mut d = DataSettings::file("iris.csv").with_classes(3);
        d.resolve_file_shape("labels", Shape::from([5])).unwrap();
        let err = d.infer("labels", &[]).unwrap_err();
        assert!(
            err.to_string().contains("elements have shape `[5]`"),
            "{err}"
        );
    }

    #[test]
    fn rejects_zero_dimensions_one_class_and_test_files_of_other_sources() {
        let mut d = DataSettings::file("x.npy");
        d.resolve_file_shape("x", Shape::from([0, 3])).unwrap();
        let err = d.infer("x", &[]).unwrap_err();
        assert_eq!(err.to_string(), "`x`: `shape` must be at least 1, found 0");
        let err = DataSettings::random(Shape::scalar(), 5)
            .with_classes(1)
            .infer("y", &[])
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`y`: `classes` must be at least 2, found 1"
        );
        let err = DataSettings::digits(Digits::Images)
            .with_test_file("t.csv")
            .infer("d", &[])
            .unwrap_err();
        assert!(
            matches!(
                err,
                ShapeError::InvalidSetting {
                    setting: "test_file",
                    ..
                }
            ),
            "{err}"
        );
        let err = DataSettings::random([2, 2], 5)
            .with_shape([4])
            .infer("r", &[])
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("`[4]` differs from the random values' shape `[2, 2]`"),
            "{err}"
        );
    }

    #[test]
    fn data_takes_no_inputs() {
        let signal = Signal::new([1]);
        let err = DataSettings::default()
            .infer(
                "d",
                &[Input {
                    name: "x",
                    signal: &signal,
                }],
            )
            .unwrap_err();
        assert!(matches!(
            err,
            ShapeError::Arity {
                expected: "no inputs",
                found: 1,
                ..
            }
        ));
    }

    #[test]
    fn rank_four_is_rejected() {
        let err = DataSettings::random([2, 2, 2, 2], 3)
            .infer("r", &[])
            .unwrap_err();
        assert!(matches!(err, ShapeError::RankTooHigh { rank: 4, .. }));
    }
}
