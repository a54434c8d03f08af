//! `Data`: a source of values (the embedded digits, a file, or random numbers).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use std::marker::PhantomData;

use burn::prelude::*;
use percept_catalogue::{DataSettings, Signal, DataSource, Digits, Shape, ShapeError};
use percept_formats::{self as formats, Table};

use super::dataset::Dataset;
use crate::component::{Builtin, Meta, Parts, Pass, Place, impl_component};
use crate::error::{Error, Result};
use crate::value::Value;

/// A Data component. It has no parameters; it hands the graph batches of its elements.
#[derive(Module, Debug)]
pub struct Data<B: Backend> {
    backend: PhantomData<B>,
    #[module(skip)]
    meta: Meta,
    #[module(skip)]
    settings: DataSettings,
    #[module(skip)]
    base_dir: PathBuf,
    #[module(skip)]
    loaded: Arc<Mutex<Loaded>>,
}

#[derive(Debug, Default)]
struct Loaded {
    train: Option<Arc<Dataset>>,
    test: Option<Arc<Dataset>>,
}

impl<B: Backend> Data<B> {
    /// The settings.
    pub fn settings(&self) -> &DataSettings {
        &self.settings
    }

    /// The per-element shape, in the user's layout.
    pub fn element_shape(&self) -> &Shape {
        &self.meta.output.shape
    }

    /// Reads the training values from another file of the same layout (dropping any values
    /// already loaded). An error if this component's source is not a file: the embedded
    /// digits or random values have no file to replace.
    pub fn set_file(&mut self, path: impl Into<String>) -> Result<()> {
        self.require_file("set_file")?;
        if let DataSource::File { path: current, .. } = &mut self.settings.source {
            *current = path.into();
        }
        self.loaded = Arc::default();
        Ok(())
    }

    /// Reads the test values from another file of the same layout. An error if this
    /// component's source is not a file.
    pub fn set_test_file(&mut self, path: impl Into<String>) -> Result<()> {
        self.require_file("set_test_file")?;
        self.settings.test_file = Some(path.into());
        self.loaded = Arc::default();
        Ok(())
    }

    fn require_file(&self, method: &'static str) -> Result<()> {
        let source_kind = match &self.settings.source {
            DataSource::File { .. } => return Ok(()),
            DataSource::Digits(_) => "the embedded digits",
            DataSource::Random { .. } => "random values",
        };
        Err(Error::NotAFile {
            component: self.meta.instance.clone(),
            method,
            source_kind,
        })
    }

    /// The training values, read on first use.
    pub fn dataset(&self) -> Result<Arc<Dataset>> {
        if let Some(data) = self.lock().train.clone() {
            return Ok(data);
        }
        let data = Arc::new(self.read(None)?);
        self.lock().train = Some(data.clone());
        Ok(data)
    }

    /// The test values (`test_file`), read on first use; `None` without a test file.
    pub fn test_dataset(&self) -> Result<Option<Arc<Dataset>>> {
        let Some(test_file) = self.settings.test_file.clone() else {
            return Ok(None);
        };
        if let Some(data) = self.lock().test.clone() {
            return Ok(Some(data));
        }
        let data = Arc::new(self.read(Some(&test_file))?);
        self.lock().test = Some(data.clone());
        Ok(Some(data))
    }

    /// A batch of the training elements at `indices`.
    pub fn forward(&self, indices: &[usize], device: &B::Device) -> Result<Value<B>> {
        Ok(self.dataset()?.batch(indices, device))
    }

    /// The path a file name resolves to.
    pub fn resolve(&self, file: &str) -> PathBuf {
        percept_catalogue::resolve_path(&self.base_dir, file)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Loaded> {
        self.loaded.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Reads the training file, or `file` in its place, and checks it against the declaration.
    fn read(&self, file: Option<&str>) -> Result<Dataset> {
        let classes = self.meta.output.classes;
        let mut table = match &self.settings.source {
            DataSource::Digits(Digits::Images) => formats::digits::images(),
            DataSource::Digits(Digits::Labels) => formats::digits::labels(),
            DataSource::Random {
                shape,
                samples,
                seed,
            } => match classes {
                Some(classes) => formats::random::classes(classes, *samples, *seed),
                None => formats::random::uniform(shape.dims(), *samples, *seed),
            },
            DataSource::File { path, columns, .. } => {
                let path = self.resolve(file.unwrap_or(path));
                let table =
                    formats::read_with(&path, columns, &self.settings.source.read_options())?;
                self.check(&path, &table)?;
                if let Some(classes) = classes {
                    table.check_classes(&path.display().to_string(), classes)?;
                }
                table
            }
        };
        // From here on the elements have the declared shape (`[]` where a file says `[1]`).
        table.element_shape = self.meta.output.shape.dims().to_vec();
        Ok(Dataset::from_table(table))
    }

    fn check(&self, path: &Path, table: &Table) -> Result<()> {
        let found = Shape::from(table.element_shape.clone());
        if !found.same_values(&self.meta.output.shape) {
            return Err(ShapeError::DataShape {
                component: self.meta.instance.clone(),
                file: path.display().to_string(),
                declared: self.meta.output.shape.clone(),
                found,
            }
            .into());
        }
        Ok(())
    }
}

impl<B: Backend> Builtin<B> for Data<B> {
    type Settings = DataSettings;

    /// A Data component; a relative file path is resolved against the place's directory.
    fn new(meta: Meta, settings: DataSettings, _inputs: &[Signal], place: &Place<'_, B>) -> Self {
        Data {
            backend: PhantomData,
            meta,
            settings,
            base_dir: place.base_dir.to_path_buf(),
            loaded: Arc::default(),
        }
    }

    /// A Data component's value is the batch the graph reads for it with
    /// [`Data::forward`]; given that batch, it hands it on.
    fn forward_value(&self, inputs: &[&Value<B>], _pass: Pass) -> Result<Value<B>> {
        Ok(inputs[0].clone())
    }
}

impl<B: Backend> Parts for Data<B> {
    fn meta(&self) -> &Meta {
        &self.meta
    }

    fn describe(&self) -> String {
        format!("{:#?}", self.settings)
    }

    fn formula(&self) -> &'static str {
        "hands the graph batches of its elements"
    }
}

impl_component!(Data);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::place;
    use burn::backend::NdArray;
    use percept_catalogue::{ComponentSettings, Signal};

    fn data(settings: DataSettings, output: Signal) -> Data<NdArray> {
        Data::new(Meta::new("d", "Data", 1, output), settings, &[], &place())
    }

    #[test]
    fn digits_batches_are_scaled() {
        let d = data(DataSettings::digits(Digits::Images), Signal::new([64]));
        let batch = d.forward(&[0, 1], &Default::default()).unwrap();
        assert_eq!(batch.dims(), [2, 64]);
        let values = batch.into_user_data().to_vec::<f32>().unwrap();
        assert!(values.iter().all(|v| (0.0..=1.0).contains(v)));
        // Row 0 of the digits has a pixel sum of 294 before scaling by 1/16.
        let first: f32 = values[..64].iter().sum();
        assert!((first - 294.0 / 16.0).abs() < 1e-4, "{first}");
    }

    #[test]
    fn random_labels_are_class_indices() {
        let settings = DataSettings::random(Shape::scalar(), 50).with_classes(3);
        let signal = settings.infer("d", &[]).unwrap();
        let d = data(settings, signal);
        let set = d.dataset().unwrap();
        assert_eq!(set.len(), 50);
        assert!(
            set.gather(&(0..50).collect::<Vec<_>>())
                .iter()
                .all(|v| [0.0, 1.0, 2.0].contains(v))
        );
    }

    #[test]
    fn a_missing_file_names_the_file() {
        let d = data(
            DataSettings::file("no/such.idx").with_shape([2]),
            Signal::new([2]),
        );
        let err = d.dataset().unwrap_err().to_string();
        assert!(err.contains("no/such.idx"), "{err}");
    }

    #[test]
    fn a_file_of_another_shape_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x.csv"), "1,2,3\n4,5,6\n").unwrap();
        let d = Data::<NdArray>::new(
            Meta::new("x", "Data", 1, Signal::new([2])),
            DataSettings::file("x.csv").with_shape([2]),
            &[],
            &Place {
                device: &Default::default(),
                base_dir: dir.path(),
            },
        );
        let err = d.dataset().unwrap_err().to_string();
        assert!(
            err.contains("x.csv` holds elements of shape `[3]`, but `shape: [2]` is declared"),
            "{err}"
        );
    }

    #[test]
    fn a_label_outside_the_classes_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("y.csv"), "0\n1\n7\n").unwrap();
        let d = Data::<NdArray>::new(
            Meta::new("y", "Data", 1, Signal::class_indices(3)),
            DataSettings::file("y.csv").with_classes(3),
            &[],
            &Place {
                device: &Default::default(),
                base_dir: dir.path(),
            },
        );
        let err = d.dataset().unwrap_err().to_string();
        assert!(err.contains("y.csv") && err.contains('7'), "{err}");
    }
}
