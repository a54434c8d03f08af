//! Checks a parsed model with the catalogue: settings, wiring, data files and shapes. Every
//! independent error is collected; a component whose check failed gets no shape, so nothing
//! that depends on it reports a follow-on error.

use std::path::Path;

use percept_catalogue::__macro_support::{as_integer, check_custom_written, closest};
use percept_catalogue::{
    CustomSettings, DataSource, Input, Settings, Shape, ShapeError, Signal, Wiring, WiringError,
    Written, resolve_path, wire,
};
use syn::Error;

use crate::ast::{Entry, ModelInput, Resolved};

/// The first entry whose type is neither a built-in, nor a custom type already resolved, nor
/// (being one name close to a built-in's) a misspelled built-in: a custom component to ask
/// about.
pub fn first_unresolved(model: &ModelInput) -> Option<&Entry> {
    model.entries.iter().find(|entry| {
        let single = entry.path.segments.len() == 1;
        let name = entry.ty.to_string();
        let builtin = single && Settings::default_for(&name).is_some();
        let typo = single && closest(&name, Settings::TYPE_NAMES).is_some();
        !builtin && !typo && resolved(model, entry).is_none()
    })
}

/// What `#[component]` said about this entry's type, if it is a custom component.
fn resolved<'a>(model: &'a ModelInput, entry: &Entry) -> Option<&'a Resolved> {
    let path = entry.path_text();
    model.resolved.iter().find(|r| r.path == path)
}

/// What the checks found out about a model.
pub struct Checked<'a> {
    /// For each entry of a custom type, what `#[component]` said about it.
    pub customs: Vec<Option<&'a Resolved>>,
    /// Each entry's settings, where they are valid.
    pub settings: Vec<Option<Settings>>,
    /// Every data file whose header was read, so that the expansion can make cargo rebuild
    /// the model when one changes.
    pub files_read: Vec<std::path::PathBuf>,
    /// Each entry's output, where known.
    pub outputs: Vec<Option<Signal>>,
    /// Who feeds whom, when the wiring is valid.
    pub wiring: Option<Wiring>,
    /// Every error, in the order found.
    pub errors: Vec<Error>,
}

/// Runs every check; relative data files are found under `manifest_dir`.
pub fn check<'a>(model: &'a ModelInput, manifest_dir: &Path) -> Checked<'a> {
    let n = model.entries.len();
    let customs: Vec<Option<&Resolved>> =
        model.entries.iter().map(|e| resolved(model, e)).collect();
    let mut errors = Vec::new();
    let mut settings = Vec::with_capacity(n);
    for (entry, custom) in model.entries.iter().zip(&customs) {
        let written: Vec<(String, Written)> = entry
            .settings
            .iter()
            .map(|s| (s.key.to_string(), s.value.clone()))
            .collect();
        let checked = match custom {
            Some(custom) => custom_settings(entry, custom, &written),
            None => Settings::from_written(&entry.ty.to_string(), &written),
        };
        match checked {
            Ok(s) => settings.push(Some(s)),
            Err(problems) => {
                // A custom type one letter from a built-in's is read as a misspelling: say how
                // to use it anyway.
                let unknown =
                    Settings::default_for(&entry.ty.to_string()).is_none() && custom.is_none();
                for mut problem in problems {
                    if unknown && problem.key.is_none() {
                        problem.message += &format!(
                            " (if `{0}` is a `#[component]`, write it as a path: `self::{0}`)",
                            entry.ty
                        );
                    }
                    errors.push(match problem.key {
                        Some(i) if problem.on_value => {
                            Error::new_spanned(&entry.settings[i].tokens, problem.message)
                        }
                        Some(i) => Error::new(entry.settings[i].key.span(), problem.message),
                        None => Error::new(entry.ty.span(), problem.message),
                    });
                }
                settings.push(None);
            }
        }
    }

    let names: Vec<String> = model.entries.iter().map(|e| e.name.to_string()).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let inputs: Vec<Vec<String>> = model
        .entries
        .iter()
        .map(|e| e.inputs.iter().map(ToString::to_string).collect())
        .collect();
    let inputs: Vec<Vec<&str>> = inputs
        .iter()
        .map(|i| i.iter().map(String::as_str).collect())
        .collect();
    // An entry whose type is unknown might be a Training component: it is left out of the
    // count, so as not to add a follow-on error about the count.
    let unknown_type = |i: usize| {
        settings[i].is_none()
            && Settings::default_for(&model.entries[i].ty.to_string()).is_none()
            && customs[i].is_none()
    };
    let trains: Vec<bool> = (0..n)
        .map(|i| {
            settings[i].as_ref().is_some_and(|s| s.training().is_some()) || {
                let ty = model.entries[i].ty.to_string();
                ty == "Classification" || ty == "Regression"
            }
        })
        .collect();
    let wiring = match wire(&names, &inputs, &trains) {
        Ok(wiring) => Some(wiring),
        Err(problems) => {
            for problem in problems {
                let span = match &problem {
                    WiringError::UnknownInput {
                        entry, position, ..
                    } => model.entries[*entry].inputs[*position].span(),
                    // An entry of unknown type may be meant as the Training component.
                    WiringError::Unused { entry, .. } if unknown_type(*entry) => continue,
                    WiringError::DuplicateName { entry, .. }
                    | WiringError::Cycle { entry, .. }
                    | WiringError::Unused { entry, .. } => model.entries[*entry].name.span(),
                    WiringError::TrainingCount {
                        entry: Some(entry), ..
                    } => model.entries[*entry].ty.span(),
                    WiringError::TrainingCount { entry: None, .. } if (0..n).any(unknown_type) => {
                        continue;
                    }
                    _ => model.name.span(),
                };
                errors.push(Error::new(span, problem.to_string()));
            }
            None
        }
    };

    let mut outputs: Vec<Option<Signal>> = vec![None; n];
    let mut files_read = Vec::new();
    if let Some(Wiring { inputs, order, .. }) = &wiring {
        for &i in order {
            let entry = &model.entries[i];
            let Some(settings) = settings[i].as_mut() else {
                continue;
            };
            if let Settings::Data(data) = settings
                && let DataSource::File { path, columns, .. } = &data.source
                && data.shape.is_none()
            {
                let file = resolve_path(manifest_dir, path);
                let at = |message: String| match setting(entry, "file") {
                    Some(tokens) => Error::new_spanned(tokens, message),
                    None => Error::new(entry.ty.span(), message),
                };
                // Messages name the file as written, not where this build happens to run.
                let relative =
                    |message: String| message.replace(&format!("{}/", manifest_dir.display()), "");
                let options = data.source.read_options();
                match percept_formats::read_shape_with(&file, columns, &options) {
                    Ok(header) => {
                        files_read.push(file.clone());
                        let found = Shape::from(header.element_shape);
                        if let Err(e) = data.resolve_file_shape(&entry.name.to_string(), found) {
                            errors.push(at(relative(e.to_string())));
                            continue;
                        }
                    }
                    // Only a missing file is helped by declaring the shape; a malformed one
                    // would fail at run time as well, and its message says what is wrong.
                    Err(percept_formats::FormatError::Io { source, .. })
                        if source.kind() == std::io::ErrorKind::NotFound =>
                    {
                        errors.push(at(format!(
                            "cannot read `{path}`: the file does not exist at build time; if it is made later, declare its elements' shape with `shape: [...]`"
                        )));
                        continue;
                    }
                    Err(e) => {
                        files_read.push(file.clone());
                        errors.push(at(relative(e.to_string())));
                        continue;
                    }
                }
            }
            let Some(signals) = inputs[i]
                .iter()
                .map(|&j| outputs[j].as_ref())
                .collect::<Option<Vec<_>>>()
            else {
                continue;
            };
            let named: Vec<Input<'_>> = inputs[i]
                .iter()
                .zip(&signals)
                .map(|(&j, &signal)| Input {
                    name: names[j],
                    signal,
                })
                .collect();
            match settings.infer(names[i], &named) {
                Ok(signal) => outputs[i] = Some(signal),
                Err(e) => errors.push(shape_error(entry, &e)),
            }
        }
    }
    Checked {
        customs,
        settings,
        files_read,
        outputs,
        wiring,
        errors,
    }
}

/// The settings of a custom entry, checked against its type's `#[setting]` fields.
fn custom_settings(
    entry: &Entry,
    custom: &Resolved,
    written: &[(String, Written)],
) -> Result<Settings, Vec<percept_catalogue::SettingError>> {
    let kinds: Vec<(&str, percept_catalogue::FieldKind)> = custom
        .settings
        .iter()
        .map(|(name, kind)| (name.as_str(), *kind))
        .collect();
    let type_name = custom.type_name.clone();
    check_custom_written(&type_name, &kinds, written)?;
    // The settings that size the signature: as written, or their defaults.
    let sizes: Vec<(String, i64)> = custom
        .sizes
        .iter()
        .map(|(name, default)| {
            let written = written
                .iter()
                .find(|(key, _)| key == name)
                .and_then(|(_, value)| as_integer(value))
                .map(|n| i64::try_from(n).unwrap_or(i64::MAX));
            (name.clone(), written.unwrap_or(*default))
        })
        .collect();
    let names: Vec<&str> = sizes.iter().map(|(n, _)| n.as_str()).collect();
    Ok(Settings::Custom(CustomSettings {
        type_name,
        signature: percept_catalogue::Signature::parse_with(&custom.signature, &names)
            .expect("`#[component]` checked the signature"),
        sizes,
        values: entry
            .settings
            .iter()
            .map(|s| (s.key.to_string(), s.tokens.to_string()))
            .collect(),
    }))
}

/// The tokens of a setting's value, if the entry writes it.
fn setting<'a>(entry: &'a crate::ast::Entry, key: &str) -> Option<&'a proc_macro2::TokenStream> {
    entry
        .settings
        .iter()
        .find(|s| s.key == key)
        .map(|s| &s.tokens)
}

/// An error at the smallest tokens responsible: the setting at fault, or else the inputs.
fn shape_error(entry: &crate::ast::Entry, error: &ShapeError) -> Error {
    let key = match error {
        ShapeError::InvalidSetting { setting, .. } => Some(*setting),
        ShapeError::CustomSetting { setting, .. } => Some(setting.as_str()),
        ShapeError::ReshapeCount { .. } => Some("shape"),
        ShapeError::WindowTooLarge { setting, .. } => Some(*setting),
        _ => None,
    };
    let message = error.to_string();
    if let Some(tokens) = key.and_then(|key| setting(entry, key)) {
        return Error::new_spanned(tokens, message);
    }
    match entry.inputs.as_slice() {
        [] => Error::new(entry.ty.span(), message),
        [first, .., last] => Error::new_spanned(quote::quote!(#first #last), message),
        [only] => Error::new(only.span(), message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(source: &str) -> Vec<String> {
        let model: ModelInput = syn::parse_str(source).unwrap();
        check(&model, Path::new("."))
            .errors
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    const GOOD: &str = r#"pub M {
        images: Data { source: Digits::Images },
        labels: Data { source: Digits::Labels },
        reshape: Reshape { shape: [8, 8, 1] } <- images,
        conv: Conv { filters: 16, kernel: 3, activation: Relu } <- reshape,
        pool: MaxPool { size: 2 } <- conv,
        flat: Flatten <- pool,
        fc: Dense { units: 10, activation: Softmax } <- flat,
        train: Classification { epochs: 30, optimizer: Adam { learning_rate: 0.001 } } <- (fc, labels),
    }"#;

    #[test]
    fn the_design_model_checks_and_infers_every_shape() {
        let model: ModelInput = syn::parse_str(GOOD).unwrap();
        let checked = check(&model, Path::new("."));
        assert!(checked.errors.is_empty());
        let shapes: Vec<String> = checked
            .outputs
            .iter()
            .map(|o| o.as_ref().unwrap().shape.to_string())
            .collect();
        assert_eq!(
            shapes,
            [
                "[64]",
                "[]",
                "[8, 8, 1]",
                "[8, 8, 16]",
                "[4, 4, 16]",
                "[256]",
                "[10]",
                "[]"
            ]
        );
    }

    #[test]
    fn independent_errors_are_all_reported_without_follow_ons() {
        // `conv`'s settings are wrong, so nothing after it is shape-checked; `reshape` before
        // it is, and fails on its own.
        let found = errors(
            r#"pub M {
            images: Data { source: Digits::Images },
            labels: Data { source: Digits::Labels },
            reshape: Reshape { shape: [8, 8, 2] } <- images,
            conv: Conv { filters: 16, kernal: 3 } <- reshape,
            flat: Flatten <- conv,
            fc: Dense { units: 8 } <- flat,
            train: Classification <- (fc, labels),
        }"#,
        );
        assert_eq!(
            found,
            [
                "`Conv` has no setting `kernal`; did you mean `kernel`?",
                "`reshape` (Reshape) cannot reshape `images`'s `[64]` (64 values) into `[8, 8, 2]` (128 values); choose a shape with 64 values in all",
            ]
        );
        let found = errors(&GOOD.replace("units: 10", "units: 8"));
        assert_eq!(
            found,
            [
                "`train` (Classification) gets predictions `fc` of width 8 but labels `labels` with 10 classes; make `fc` output 10 values (e.g. `units: 10`)"
            ]
        );
    }

    #[test]
    fn wiring_errors_point_at_names() {
        let found = errors(
            r#"pub M {
            images: Data { source: Digits::Images },
            labels: Data { source: Digits::Labels },
            fc: Dense { units: 10 } <- imagse,
            train: Classification <- (fc, labels),
        }"#,
        );
        assert_eq!(
            found,
            [
                "`fc` takes input `imagse`, but no component is named `imagse`; did you mean `images`?"
            ]
        );
    }

    #[test]
    fn a_missing_file_asks_for_a_declared_shape() {
        let found = errors(
            r#"pub M {
            x: Data { file: "nowhere.idx" },
            y: Data { random: [1], samples: 4 },
            train: Regression <- (x, y),
        }"#,
        );
        assert_eq!(found.len(), 1);
        assert!(
            found[0].contains("nowhere.idx")
                && found[0].ends_with("declare its elements' shape with `shape: [...]`"),
            "{found:?}"
        );
    }

    #[test]
    fn a_malformed_file_is_described_without_the_shape_hint_and_read_files_are_listed() {
        let dir = std::env::temp_dir().join(format!("percept-check-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // An IDX header declaring 3 elements of [2] u8, with 2 bytes of data.
        std::fs::write(
            dir.join("cut.idx"),
            [0, 0, 8, 2, 0, 0, 0, 3, 0, 0, 0, 2, 1, 2],
        )
        .unwrap();
        std::fs::write(dir.join("good.csv"), "1,2\n3,4\n5,6\n").unwrap();
        let model: ModelInput = syn::parse_str(
            r#"pub M {
            x: Data { file: "cut.idx" },
            y: Data { file: "good.csv" },
            train: Regression <- (x, y),
        }"#,
        )
        .unwrap();
        let checked = check(&model, &dir);
        let found: Vec<String> = checked.errors.iter().map(ToString::to_string).collect();
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("`cut.idx` is truncated") && !found[0].contains("shape: [...]"),
            "{found:?}"
        );
        // Both files were read, the malformed one too: fixing it must rebuild the model.
        assert_eq!(
            checked.files_read,
            [dir.join("cut.idx"), dir.join("good.csv")]
        );
        let expanded = crate::expand::expand(&model, &checked).to_string();
        assert_eq!(expanded.matches("include_bytes").count(), 2, "{expanded}");

        // A zero dimension is the file's fault, not a `shape` the user never wrote.
        std::fs::write(dir.join("zero.idx"), [0, 0, 8, 2, 0, 0, 0, 0, 0, 0, 0, 2]).unwrap();
        let model: ModelInput = syn::parse_str(
            r#"pub M {
            x: Data { file: "zero.idx" },
            y: Data { random: [1], samples: 4 },
            train: Regression <- (x, y),
        }"#,
        )
        .unwrap();
        let found: Vec<String> = check(&model, &dir)
            .errors
            .iter()
            .map(ToString::to_string)
            .collect();
        assert!(
            found.len() == 1
                && found[0].contains("declares a dimension of 0")
                && !found[0].contains("`shape` must"),
            "{found:?}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
