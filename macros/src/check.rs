//! Checks a parsed model: each entry's settings here (the catalogue's schema for a built-in,
//! what `#[component]` said for a custom type), then the model as a whole with the
//! catalogue's one model check (`percept_catalogue::check`, which `ModelBuilder` runs too).
//! Each rule is its own function; every problem goes to one [`Diagnostics`], pointed at the
//! tokens at fault. An entry whose check failed gets no shape, so nothing that depends on it
//! reports a follow-on error.

use std::path::Path;

use percept_catalogue::__macro_support::{as_integer, check_custom_written, closest};
use percept_catalogue::check::{Declared, FileProblem, Problem, check_model};
use percept_catalogue::{
    CustomSettings, SettingError, Settings, ShapeError, Signal, Wiring, WiringError, Written,
};
use proc_macro2::Span;

use crate::ast::{Entry, ModelInput};
use crate::callback::Resolved;
use crate::diagnostics::Diagnostics;

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

/// What the checks found out about one entry.
pub struct CheckedEntry<'a> {
    /// What `#[component]` said about its type, if it is a custom component.
    pub custom: Option<&'a Resolved>,
    /// Its settings, where they are valid.
    pub settings: Option<Settings>,
    /// Its output, where known.
    pub output: Option<Signal>,
}

/// What the checks found out about a model.
pub struct Checked<'a> {
    /// One per entry, in the order written.
    pub entries: Vec<CheckedEntry<'a>>,
    /// Every data file whose header was read, so that the expansion can make cargo rebuild
    /// the model when one changes.
    pub files_read: Vec<std::path::PathBuf>,
    /// Who feeds whom, when the wiring is valid.
    pub wiring: Option<Wiring>,
    /// Every error, in the order found.
    pub diagnostics: Diagnostics,
}

/// Runs every check; relative data files are found under `manifest_dir`.
pub fn check<'a>(model: &'a ModelInput, manifest_dir: &Path) -> Checked<'a> {
    let mut diagnostics = Diagnostics::default();
    let customs: Vec<Option<&Resolved>> =
        model.entries.iter().map(|e| resolved(model, e)).collect();
    let names: Vec<String> = model.entries.iter().map(|e| e.name.to_string()).collect();
    let inputs: Vec<Vec<String>> = model
        .entries
        .iter()
        .map(|e| e.inputs.iter().map(ToString::to_string).collect())
        .collect();
    let declared = model
        .entries
        .iter()
        .zip(&customs)
        .zip(names.iter().zip(&inputs))
        .map(|((entry, custom), (name, inputs))| {
            let settings = entry_settings(entry, *custom, &mut diagnostics);
            let ty = entry.ty.to_string();
            Declared {
                name,
                trains: settings.as_ref().is_some_and(|s| s.training().is_some())
                    || ty == "Classification"
                    || ty == "Regression",
                settings,
                inputs: inputs.iter().map(String::as_str).collect(),
            }
        })
        .collect();
    let checked = check_model(declared, manifest_dir);
    let unknown: Vec<bool> = (0..model.entries.len())
        .map(|i| is_unknown(model, i, customs[i], checked.settings[i].as_ref()))
        .collect();
    for problem in checked.problems {
        match problem {
            Problem::Wiring(error) => wiring_error(model, &unknown, &error, &mut diagnostics),
            Problem::File { entry, path, error } => file_error(
                &model.entries[entry],
                &path,
                &error,
                manifest_dir,
                &mut diagnostics,
            ),
            Problem::Shape { entry, error } => {
                shape_error(&model.entries[entry], &error, &mut diagnostics);
            }
        }
    }
    let entries = customs
        .into_iter()
        .zip(checked.settings)
        .zip(checked.outputs)
        .map(|((custom, settings), output)| CheckedEntry {
            custom,
            settings,
            output,
        })
        .collect();
    Checked {
        entries,
        files_read: checked.files_read,
        wiring: checked.wiring,
        diagnostics,
    }
}

/// Rule: an entry's settings are those of its type. Reports every problem and gives `None`
/// if there is one.
fn entry_settings(
    entry: &Entry,
    custom: Option<&Resolved>,
    diagnostics: &mut Diagnostics,
) -> Option<Settings> {
    let written: Vec<(String, Written)> = entry
        .settings
        .iter()
        .map(|s| (s.key.to_string(), s.value.clone()))
        .collect();
    let checked = match custom {
        Some(custom) => custom_settings(entry, custom, &written),
        None => Settings::from_written(&entry.ty.to_string(), &written),
    };
    let problems = match checked {
        Ok(settings) => return Some(settings),
        Err(problems) => problems,
    };
    // A custom type one letter from a built-in's is read as a misspelling: say how to use it
    // anyway.
    let unknown = Settings::default_for(&entry.ty.to_string()).is_none() && custom.is_none();
    for mut problem in problems {
        if unknown && problem.key.is_none() {
            problem.message += &format!(
                " (if `{0}` is a `#[component]`, write it as a path: `self::{0}`)",
                entry.ty
            );
        }
        setting_error(entry, problem, diagnostics);
    }
    None
}

/// A settings problem at the key, the value (or the part of a nested value) at fault, or
/// the type.
fn setting_error(entry: &Entry, problem: SettingError, diagnostics: &mut Diagnostics) {
    match problem.key {
        Some(i) if problem.on_value => {
            diagnostics.spanned(entry.settings[i].part(problem.part), problem.message);
        }
        Some(i) => diagnostics.at(entry.settings[i].key.span(), problem.message),
        None => diagnostics.at(entry.ty.span(), problem.message),
    }
}

/// Whether the entry's type is unknown: it might be meant as the Training component, so
/// wiring problems about the count or about it feeding nothing would only be follow-ons.
fn is_unknown(
    model: &ModelInput,
    i: usize,
    custom: Option<&Resolved>,
    settings: Option<&Settings>,
) -> bool {
    settings.is_none()
        && custom.is_none()
        && Settings::default_for(&model.entries[i].ty.to_string()).is_none()
}

/// Rule: names and inputs wire. Points at the input, the name or the type at fault.
fn wiring_error(
    model: &ModelInput,
    unknown: &[bool],
    error: &WiringError,
    diagnostics: &mut Diagnostics,
) {
    let span: Span = match error {
        WiringError::UnknownInput {
            entry, position, ..
        } => model.entries[*entry].inputs[*position].span(),
        WiringError::Unused { entry, .. } if unknown[*entry] => return,
        WiringError::DuplicateName { entry, .. }
        | WiringError::Cycle { entry, .. }
        | WiringError::Unused { entry, .. } => model.entries[*entry].name.span(),
        WiringError::TrainingCount {
            entry: Some(entry), ..
        } => model.entries[*entry].ty.span(),
        WiringError::TrainingCount { entry: None, .. } if unknown.contains(&true) => return,
        _ => model.name.span(),
    };
    diagnostics.at(span, error.to_string());
}

/// Rule: a data file without a declared shape can be read at build time. Points at the
/// `file` setting, and names the file as written, not where this build happens to run.
fn file_error(
    entry: &Entry,
    path: &str,
    error: &FileProblem,
    manifest_dir: &Path,
    diagnostics: &mut Diagnostics,
) {
    let message = match error {
        // Only a missing file is helped by declaring the shape; a malformed one would fail
        // at run time as well, and its message says what is wrong.
        FileProblem::Missing(_) => format!(
            "cannot read `{path}`: the file does not exist at build time; if it is made later, declare its elements' shape with `shape: [...]`"
        ),
        FileProblem::Invalid(e) => e
            .to_string()
            .replace(&format!("{}/", manifest_dir.display()), ""),
    };
    match entry.setting("file") {
        Some(tokens) => diagnostics.spanned(tokens, message),
        None => diagnostics.at(entry.ty.span(), message),
    }
}

/// The settings of a custom entry, checked against its type's `#[setting]` fields.
fn custom_settings(
    entry: &Entry,
    custom: &Resolved,
    written: &[(String, Written)],
) -> Result<Settings, Vec<SettingError>> {
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

/// Rule: the shapes fit. Points at the smallest tokens responsible: the setting at fault, or
/// else the inputs.
fn shape_error(entry: &Entry, error: &ShapeError, diagnostics: &mut Diagnostics) {
    let key = match error {
        ShapeError::InvalidSetting { setting, .. } => Some(*setting),
        ShapeError::CustomSetting { setting, .. } => Some(setting.as_str()),
        ShapeError::ReshapeCount { .. } => Some("shape"),
        ShapeError::WindowTooLarge { setting, .. } => Some(*setting),
        ShapeError::DataShape { .. } => Some("file"),
        _ => None,
    };
    let message = error.to_string();
    if let Some(tokens) = key.and_then(|key| entry.setting(key)) {
        return diagnostics.spanned(tokens, message);
    }
    match entry.inputs.as_slice() {
        [] => diagnostics.at(entry.ty.span(), message),
        [first, .., last] => diagnostics.spanned(quote::quote!(#first #last), message),
        [only] => diagnostics.at(only.span(), message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use percept_catalogue::ValuePart;

    fn errors(source: &str) -> Vec<String> {
        let model: ModelInput = syn::parse_str(source).unwrap();
        check(&model, Path::new(".")).diagnostics.messages()
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
        assert!(checked.diagnostics.is_empty());
        let shapes: Vec<String> = checked
            .entries
            .iter()
            .map(|e| e.output.as_ref().unwrap().shape.to_string())
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
    fn an_error_inside_a_nested_value_points_at_its_part() {
        let model: ModelInput = syn::parse_str(&GOOD.replace(
            "optimizer: Adam { learning_rate: 0.001 }",
            "optimizer: Adam { learning_rate: true, momentum: 0.9 }",
        ))
        .unwrap();
        let entry = &model.entries[7];
        let setting = &entry.settings[1];
        assert_eq!(setting.part(ValuePart::Name).to_string(), "Adam");
        assert_eq!(setting.part(ValuePart::Key(1)).to_string(), "momentum");
        assert_eq!(setting.part(ValuePart::Value(0)).to_string(), "true");
        assert_eq!(
            setting.part(ValuePart::Whole).to_string(),
            setting.tokens.to_string()
        );
        let found = check(&model, Path::new(".")).diagnostics.messages();
        assert_eq!(
            found,
            ["`learning_rate` takes a number, found a boolean"],
            "one error per setting: the first part at fault"
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
        let found = checked.diagnostics.messages();
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
        let found = check(&model, &dir).diagnostics.messages();
        assert!(
            found.len() == 1
                && found[0].contains("declares a dimension of 0")
                && !found[0].contains("`shape` must"),
            "{found:?}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
