//! The model check: entries in, their wiring, their data files' shapes, every output shape
//! and every problem out. `model!` runs it at compile time and maps each problem to the
//! tokens at fault; the runtime's `ModelBuilder` runs it for models built or loaded at run
//! time and turns the problems into `percept::Error`. One implementation, so both give the
//! same answers and the same messages.
//!
//! Every independent problem is reported. An entry whose settings are invalid (the caller
//! found no [`Settings`] for it) or whose data file could not be read gets no output, so
//! nothing that depends on it reports a follow-on error.

use std::path::{Path, PathBuf};

use percept_formats::FormatError;

use crate::components::{DataSource, resolve_path};
use crate::{Input, Settings, Shape, ShapeError, Signal, Wiring, WiringError, wire};

/// One component as declared: its instance name, its settings (`None` where they did not
/// check), and the names of its inputs.
#[derive(Debug, Clone)]
pub struct Declared<'a> {
    /// The instance name (`conv1`).
    pub name: &'a str,
    /// The checked settings, or `None` where they are invalid (already reported).
    pub settings: Option<Settings>,
    /// The inputs, by instance name, in order.
    pub inputs: Vec<&'a str>,
    /// Whether the entry is a Training component. For an entry without settings, whether its
    /// type is one (`Classification { .. }` with a bad value still trains).
    pub trains: bool,
}

/// What the check found.
#[derive(Debug)]
pub struct Checked {
    /// Each entry's settings, with a data file's element shape filled in from its header;
    /// `None` where the caller had none.
    pub settings: Vec<Option<Settings>>,
    /// Each entry's output, where it could be inferred.
    pub outputs: Vec<Option<Signal>>,
    /// Who feeds whom, when the wiring is valid.
    pub wiring: Option<Wiring>,
    /// Every data file whose header was opened, found or not valid (a build that read one
    /// depends on it).
    pub files_read: Vec<PathBuf>,
    /// Every problem, wiring first, then in the order the entries are inferred.
    pub problems: Vec<Problem>,
}

impl Checked {
    /// Whether the model checked: no problem, every entry with settings and an output.
    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
            && self.wiring.is_some()
            && self.outputs.iter().all(Option::is_some)
    }
}

/// A problem the check found, naming the entry at fault.
#[derive(Debug)]
pub enum Problem {
    /// Names or inputs that do not wire (each names its entry).
    Wiring(WiringError),
    /// A data file's header could not be read. `path` is the file as the entry wrote it.
    File {
        /// The Data entry.
        entry: usize,
        /// The file, as written in its settings.
        path: String,
        /// What went wrong.
        error: FileProblem,
    },
    /// A shape rule refused the entry's inputs or settings (or a data file's shape differs
    /// from the one declared).
    Shape {
        /// The entry.
        entry: usize,
        /// The catalogue's error, with its message.
        error: ShapeError,
    },
}

/// Why a data file's header gave no shape.
#[derive(Debug)]
pub enum FileProblem {
    /// There is no file at that path (declaring the shape would let the check go on).
    Missing(FormatError),
    /// The file is there but is not valid.
    Invalid(FormatError),
}

impl FileProblem {
    /// The reader's error.
    pub fn format_error(&self) -> &FormatError {
        match self {
            FileProblem::Missing(e) | FileProblem::Invalid(e) => e,
        }
    }

    /// Takes the reader's error.
    pub fn into_format_error(self) -> FormatError {
        match self {
            FileProblem::Missing(e) | FileProblem::Invalid(e) => e,
        }
    }
}

/// Checks `entries`: wires them, reads the header of each data file whose element shape is
/// not declared (relative paths under `base_dir`), and infers every output in order.
pub fn check_model(entries: Vec<Declared<'_>>, base_dir: &Path) -> Checked {
    let names: Vec<&str> = entries.iter().map(|e| e.name).collect();
    let inputs: Vec<Vec<&str>> = entries.iter().map(|e| e.inputs.clone()).collect();
    let trains: Vec<bool> = entries.iter().map(|e| e.trains).collect();
    let mut settings: Vec<Option<Settings>> = entries.into_iter().map(|e| e.settings).collect();
    let mut outputs: Vec<Option<Signal>> = vec![None; names.len()];
    let mut files_read = Vec::new();
    let mut problems = Vec::new();
    let wiring = match wire(&names, &inputs, &trains) {
        Ok(wiring) => Some(wiring),
        Err(errors) => {
            problems.extend(errors.into_iter().map(Problem::Wiring));
            None
        }
    };
    if let Some(wiring) = &wiring {
        for &i in &wiring.order {
            let Some(entry_settings) = settings[i].as_mut() else {
                continue;
            };
            if let Err(problem) =
                resolve_data_file(i, names[i], entry_settings, base_dir, &mut files_read)
            {
                problems.push(problem);
                continue;
            }
            let Some(signals) = wiring.inputs[i]
                .iter()
                .map(|&j| outputs[j].as_ref())
                .collect::<Option<Vec<_>>>()
            else {
                continue;
            };
            let named: Vec<Input<'_>> = wiring.inputs[i]
                .iter()
                .zip(signals)
                .map(|(&j, signal)| Input {
                    name: names[j],
                    signal,
                })
                .collect();
            match entry_settings.infer(names[i], &named) {
                Ok(signal) => outputs[i] = Some(signal),
                Err(error) => problems.push(Problem::Shape { entry: i, error }),
            }
        }
    }
    Checked {
        settings,
        outputs,
        wiring,
        files_read,
        problems,
    }
}

/// Fills in a data file's element shape from its header, where the settings declare none,
/// adding every file that exists to `files_read`.
fn resolve_data_file(
    entry: usize,
    name: &str,
    settings: &mut Settings,
    base_dir: &Path,
    files_read: &mut Vec<PathBuf>,
) -> Result<(), Problem> {
    let Settings::Data(data) = settings else {
        return Ok(());
    };
    let DataSource::File { path, columns, .. } = &data.source else {
        return Ok(());
    };
    if data.shape.is_some() {
        return Ok(());
    }
    let file = resolve_path(base_dir, path);
    let header = match percept_formats::read_shape_with(&file, columns, &data.source.read_options())
    {
        Ok(header) => header,
        Err(error) => {
            let missing = matches!(&error, FormatError::Io { source, .. }
                if source.kind() == std::io::ErrorKind::NotFound);
            if !missing {
                files_read.push(file);
            }
            return Err(Problem::File {
                entry,
                path: path.clone(),
                error: if missing {
                    FileProblem::Missing(error)
                } else {
                    FileProblem::Invalid(error)
                },
            });
        }
    };
    files_read.push(file);
    data.resolve_file_shape(name, Shape::from(header.element_shape))
        .map_err(|error| Problem::Shape { entry, error })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::*;

    fn declared<'a>(
        name: &'a str,
        settings: impl Into<Settings>,
        inputs: &[&'a str],
    ) -> Declared<'a> {
        let settings = settings.into();
        Declared {
            name,
            trains: settings.training().is_some(),
            settings: Some(settings),
            inputs: inputs.to_vec(),
        }
    }

    #[test]
    fn infers_every_output_in_order() {
        let checked = check_model(
            vec![
                declared(
                    "train",
                    ClassificationSettings::default(),
                    &["fc", "labels"],
                ),
                declared("fc", DenseSettings::new(10, Activation::None), &["images"]),
                declared("images", DataSettings::digits(Digits::Images), &[]),
                declared("labels", DataSettings::digits(Digits::Labels), &[]),
            ],
            Path::new("."),
        );
        assert!(checked.is_valid(), "{:?}", checked.problems);
        assert_eq!(checked.outputs[1], Some(Signal::new([10])));
        assert_eq!(checked.outputs[2], Some(Signal::new([64])));
    }

    #[test]
    fn reports_wiring_and_shape_problems_by_entry() {
        let checked = check_model(
            vec![
                declared("images", DataSettings::digits(Digits::Images), &[]),
                declared("labels", DataSettings::digits(Digits::Labels), &[]),
                declared("fc", DenseSettings::new(8, Activation::None), &["images"]),
                declared(
                    "train",
                    ClassificationSettings::default(),
                    &["fc", "labels"],
                ),
            ],
            Path::new("."),
        );
        assert!(
            matches!(
                &checked.problems[..],
                [Problem::Shape {
                    entry: 3,
                    error: ShapeError::ClassCount {
                        width: 8,
                        classes: 10,
                        ..
                    }
                }]
            ),
            "{:?}",
            checked.problems
        );
        let checked = check_model(
            vec![
                declared("images", DataSettings::digits(Digits::Images), &[]),
                declared("fc", DenseSettings::new(8, Activation::None), &["imagse"]),
            ],
            Path::new("."),
        );
        assert!(checked.wiring.is_none());
        assert!(checked.problems.iter().any(|p| matches!(
            p,
            Problem::Wiring(WiringError::UnknownInput {
                entry: 1,
                position: 0,
                ..
            })
        )));
    }

    #[test]
    fn an_entry_without_settings_gives_no_follow_on_errors() {
        let mut fc = declared("fc", DenseSettings::new(10, Activation::None), &["images"]);
        fc.settings = None;
        let checked = check_model(
            vec![
                declared("images", DataSettings::digits(Digits::Images), &[]),
                declared("labels", DataSettings::digits(Digits::Labels), &[]),
                fc,
                declared(
                    "train",
                    ClassificationSettings::default(),
                    &["fc", "labels"],
                ),
            ],
            Path::new("."),
        );
        assert!(checked.problems.is_empty(), "{:?}", checked.problems);
        assert!(!checked.is_valid());
        assert_eq!(checked.outputs[2], None);
        assert_eq!(checked.outputs[3], None);
    }

    #[test]
    fn a_missing_data_file_names_its_entry_and_path() {
        let checked = check_model(
            vec![
                declared("x", DataSettings::file("nowhere/x.npy"), &[]),
                declared("y", DataSettings::random([2], 10), &[]),
                declared("train", RegressionSettings::default(), &["x", "y"]),
            ],
            Path::new("base"),
        );
        let [
            Problem::File {
                entry: 0,
                path,
                error: FileProblem::Missing(_),
            },
        ] = &checked.problems[..]
        else {
            panic!("{:?}", checked.problems)
        };
        assert_eq!(path, "nowhere/x.npy");
        // A file that does not exist is not one the build depends on.
        assert!(checked.files_read.is_empty());
    }
}
