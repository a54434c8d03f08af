//! Settings as written: the key/value pairs of a `model!` entry (`Dense { units: 10 }`), turned
//! into checked [`Settings`].
//!
//! The `model!` macro checks an entry's settings with [`Settings::from_written`] at compile
//! time, and the code it generates replays the same pairs at run time, so both sides agree on
//! every key, kind and default by construction.

use std::fmt;

use crate::components::*;
use crate::values::{boolean, float, list, text};

/// A setting's value as written.
#[derive(Debug, Clone, PartialEq)]
pub enum Written {
    /// `10`
    Integer(u64),
    /// `0.001`
    Float(f64),
    /// `true`
    Bool(bool),
    /// `"data/train.idx"`
    Text(String),
    /// `[8, 8, 1]`
    List(Vec<u64>),
    /// `Relu`, `Digits::Images`
    Name(String),
    /// `0..4`
    Range(u64, u64),
    /// `Adam { learning_rate: 0.001 }`
    Struct(String, Vec<(String, Written)>),
}

impl fmt::Display for Written {
    /// What kind of value it is, for messages (`an integer`, `the name `Relu``).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Written::Integer(_) => f.write_str("an integer"),
            Written::Float(_) => f.write_str("a number"),
            Written::Bool(_) => f.write_str("a boolean"),
            Written::Text(_) => f.write_str("a string"),
            Written::List(_) => f.write_str("a list"),
            Written::Name(name) => write!(f, "`{name}`"),
            Written::Range(..) => f.write_str("a range"),
            Written::Struct(name, _) => write!(f, "`{name} {{ .. }}`"),
        }
    }
}

/// A setting that cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingError {
    /// The index of the offending pair in what was written; `None` for the entry as a whole
    /// (an unknown type, a missing key).
    pub key: Option<usize>,
    /// True when the value is at fault (a wrong kind, an unknown option), false when the key
    /// is (unknown, given twice).
    pub on_value: bool,
    /// Where the value is at fault, which part of it.
    pub part: ValuePart,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// The part of a written value that is wrong: all of it, or a piece of a
/// `Name { key: value, .. }` (the name, or one of its keys or values, by position).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ValuePart {
    /// The whole value.
    #[default]
    Whole,
    /// The name of a `Name { .. }` value (`Adma` in `Adma { .. }`).
    Name,
    /// The key of the field at this position in a `Name { .. }` value.
    Key(usize),
    /// The value of the field at this position in a `Name { .. }` value.
    Value(usize),
}

/// Why a written value cannot be assigned to a setting, and which part of it is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueError {
    /// What is wrong and how to fix it.
    pub message: String,
    /// The part at fault.
    pub part: ValuePart,
}

impl ValueError {
    /// An error about `part` of the value.
    pub fn at(part: ValuePart, message: impl Into<String>) -> Self {
        ValueError {
            message: message.into(),
            part,
        }
    }
}

impl From<String> for ValueError {
    /// An error about the whole value.
    fn from(message: String) -> Self {
        ValueError::at(ValuePart::Whole, message)
    }
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for SettingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Settings {
    /// Checks written settings of the built-in `type_name` and applies them over its
    /// defaults. Every problem is reported, not only the first.
    pub fn from_written(
        type_name: &str,
        written: &[(String, Written)],
    ) -> Result<Settings, Vec<SettingError>> {
        let Some(mut settings) = Settings::default_for(type_name) else {
            let hint = closest(type_name, Settings::TYPE_NAMES)
                .map_or(String::new(), |c| format!("; did you mean `{c}`?"));
            return Err(vec![SettingError {
                key: None,
                on_value: false,
                part: ValuePart::Whole,
                message: format!("unknown component type `{type_name}`{hint}"),
            }]);
        };
        let schema = settings.schema();
        let names: Vec<&str> = schema.iter().map(|s| s.name).collect();
        let (found, mut errors, suggested) = check_keys(type_name, &names, written);
        for (index, (_, value)) in written.iter().enumerate() {
            let Some(setting) = found[index].map(|i| &schema[i]) else {
                continue;
            };
            if let Err(ValueError { message, part }) = settings.assign(setting.name, value) {
                errors.push(SettingError {
                    key: Some(index),
                    on_value: true,
                    part,
                    message,
                });
            }
        }
        errors.sort_by_key(|e| e.key);
        // A required key that a misspelled one was taken for is reported there already.
        for setting in schema
            .iter()
            .filter(|s| s.default.is_none() && !suggested.contains(&s.name))
        {
            if !written.iter().any(|(k, _)| k == setting.name) {
                errors.push(SettingError {
                    key: None,
                    on_value: false,
                    part: ValuePart::Whole,
                    message: format!("`{type_name}` needs `{}`: {}", setting.name, setting.doc),
                });
            }
        }
        if errors.is_empty() {
            Ok(settings)
        } else {
            Err(errors)
        }
    }
}

/// Finds each written key among `names`: its index there, or an error for a key given twice or
/// unknown (with the closest name, which is also returned so that a required key it stands
/// for is not reported missing).
fn check_keys<'a>(
    type_name: &str,
    names: &[&'a str],
    written: &[(String, Written)],
) -> (Vec<Option<usize>>, Vec<SettingError>, Vec<&'a str>) {
    let mut found = Vec::with_capacity(written.len());
    let mut errors = Vec::new();
    let mut suggested = Vec::new();
    for (index, (key, _)) in written.iter().enumerate() {
        let error = |message| SettingError {
            key: Some(index),
            on_value: false,
            part: ValuePart::Whole,
            message,
        };
        if written[..index].iter().any(|(k, _)| k == key) {
            errors.push(error(format!("`{key}` is given twice; keep one")));
            found.push(None);
            continue;
        }
        let position = names.iter().position(|n| n == key);
        if position.is_none() {
            let suggestion = closest(key, names);
            suggested.extend(suggestion);
            let hint = suggestion.map_or_else(
                || match names {
                    [] => format!("; `{type_name}` takes no settings: write `{type_name}` alone"),
                    _ => format!("; `{type_name}` takes {}", list(names)),
                },
                |c| format!("; did you mean `{c}`?"),
            );
            errors.push(error(format!("`{type_name}` has no setting `{key}`{hint}")));
        }
        found.push(position);
    }
    (found, errors, suggested)
}

/// The kind of value a custom component's setting takes, from its field's Rust type (the
/// built-ins' kinds are [`schema::ValueKind`](crate::schema::ValueKind)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// An integer type, by name (`"usize"`, `"i32"`): an integer in its range.
    Integer(&'static str),
    /// A float type (`f32`, `f64`): any number.
    Number,
    /// `bool`.
    Bool,
    /// `String` or `&str`.
    Text,
    /// Any other type: the value is passed on as written, and rustc checks it.
    Any,
}

/// The integer types a setting may have, with their ranges (`usize` and `isize` as on 64-bit
/// targets).
const INTEGERS: &[(&str, i128, i128)] = &[
    ("u8", 0, u8::MAX as i128),
    ("u16", 0, u16::MAX as i128),
    ("u32", 0, u32::MAX as i128),
    ("u64", 0, u64::MAX as i128),
    ("usize", 0, u64::MAX as i128),
    ("i8", i8::MIN as i128, i8::MAX as i128),
    ("i16", i16::MIN as i128, i16::MAX as i128),
    ("i32", i32::MIN as i128, i32::MAX as i128),
    ("i64", i64::MIN as i128, i64::MAX as i128),
    ("isize", i64::MIN as i128, i64::MAX as i128),
];

impl FieldKind {
    /// The kind for a field of the Rust type written as `rust_type` (`"f32"`,
    /// `"std::string::String"`).
    pub fn of_type(rust_type: &str) -> Self {
        let text = rust_type.replace(' ', "");
        // A path without generics is known by its last segment (`core::primitive::usize`).
        let name = match text.rsplit_once("::") {
            Some((_, last)) if !text.contains('<') => last,
            _ => text.as_str(),
        };
        match name {
            "f32" | "f64" => FieldKind::Number,
            "bool" => FieldKind::Bool,
            "String" | "&str" | "&'staticstr" => FieldKind::Text,
            _ => INTEGERS
                .iter()
                .find(|(n, _, _)| *n == name)
                .map_or(FieldKind::Any, |(n, _, _)| FieldKind::Integer(n)),
        }
    }

    /// The name used in `model!`'s protocol with `#[component]` (`"number"`, `"u8"`).
    pub fn name(self) -> &'static str {
        match self {
            FieldKind::Integer(name) => name,
            FieldKind::Number => "number",
            FieldKind::Bool => "bool",
            FieldKind::Text => "text",
            FieldKind::Any => "any",
        }
    }

    /// The kind named `name` by [`name`](Self::name).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "number" => Some(FieldKind::Number),
            "bool" => Some(FieldKind::Bool),
            "text" => Some(FieldKind::Text),
            "any" => Some(FieldKind::Any),
            _ => INTEGERS
                .iter()
                .find(|(n, _, _)| *n == name)
                .map(|(n, _, _)| FieldKind::Integer(n)),
        }
    }

    fn check(self, key: &str, value: &Written) -> Result<(), String> {
        match self {
            FieldKind::Integer(name) => {
                let (_, min, max) = INTEGERS
                    .iter()
                    .find(|(n, _, _)| *n == name)
                    .expect("integer kinds come from the table");
                match as_integer(value) {
                    Some(n) if (*min..=*max).contains(&n) => Ok(()),
                    Some(n) => Err(format!(
                        "`{key}` is a `{name}`, from {min} to {max}; {n} is out of its range"
                    )),
                    None => Err(format!(
                        "`{key}` takes an integer (`{name}`), found {value}"
                    )),
                }
            }
            FieldKind::Number => float(key, value).map(drop),
            FieldKind::Bool => boolean(key, value).map(drop),
            FieldKind::Text => text(key, value).map(drop),
            FieldKind::Any => Ok(()),
        }
    }
}

/// The integer a value is, if it is one: `3`, or `-3` (which `model!` reads as a number).
pub fn as_integer(value: &Written) -> Option<i128> {
    match value {
        Written::Integer(n) => Some(i128::from(*n)),
        Written::Float(x) if x.fract() == 0.0 && x.abs() < 1e18 => Some(*x as i128),
        _ => None,
    }
}

/// Checks the settings written for the custom component `type_name`, whose `#[setting]`
/// fields are `settings` (every one has a default): unknown keys, keys given twice, and values
/// of the wrong kind. Every problem is reported, not only the first.
pub fn check_custom_written(
    type_name: &str,
    settings: &[(&str, FieldKind)],
    written: &[(String, Written)],
) -> Result<(), Vec<SettingError>> {
    let names: Vec<&str> = settings.iter().map(|(n, _)| *n).collect();
    let (found, mut errors, _) = check_keys(type_name, &names, written);
    for (index, (key, value)) in written.iter().enumerate() {
        if let Some(i) = found[index]
            && let Err(message) = settings[i].1.check(key, value)
        {
            errors.push(SettingError {
                key: Some(index),
                on_value: true,
                part: ValuePart::Whole,
                message,
            });
        }
    }
    errors.sort_by_key(|e| e.key);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// The known name closest to `name`, if it is close enough to be a typo.
pub fn closest<'a>(name: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (edit_distance(name, k), *k))
        .filter(|(d, k)| *d <= (k.len().max(name.len()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Edits (insertions, deletions, substitutions, swaps of neighbours) from `a` to `b`: a swap
/// counts once, since `Rleu` for `Relu` is the typo people make.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    #[test]
    fn custom_settings_are_checked_by_name_and_kind() {
        let settings = [
            ("scale", FieldKind::Number),
            ("repeat", FieldKind::Integer("u32")),
        ];
        assert_eq!(
            check_custom_written(
                "Gain",
                &settings,
                &[
                    ("scale".into(), Written::Integer(2)),
                    ("repeat".into(), Written::Integer(3))
                ]
            ),
            Ok(())
        );
        let errors = check_custom_written(
            "Gain",
            &settings,
            &[
                ("scael".into(), Written::Float(2.0)),
                ("repeat".into(), Written::Bool(true)),
                ("repeat".into(), Written::Integer(1)),
            ],
        )
        .unwrap_err();
        let messages: Vec<String> = errors.iter().map(|e| e.message.clone()).collect();
        assert_eq!(
            messages,
            [
                "`Gain` has no setting `scael`; did you mean `scale`?",
                "`repeat` takes an integer (`u32`), found a boolean",
                "`repeat` is given twice; keep one",
            ]
        );
        assert_eq!(
            check_custom_written("Gain", &[], &[("x".into(), Written::Integer(1))]).unwrap_err()[0]
                .message,
            "`Gain` has no setting `x`; `Gain` takes no settings: write `Gain` alone"
        );
        assert_eq!(FieldKind::of_type("f32"), FieldKind::Number);
        assert_eq!(FieldKind::of_type("Vec<usize>"), FieldKind::Any);
        assert_eq!(FieldKind::of_type("::std::string::String"), FieldKind::Text);
        assert_eq!(
            FieldKind::of_type("core::primitive::usize"),
            FieldKind::Integer("usize")
        );
        assert_eq!(FieldKind::from_name("u8"), Some(FieldKind::Integer("u8")));
        let small = [
            ("small", FieldKind::Integer("u8")),
            ("offset", FieldKind::Integer("i32")),
        ];
        let messages: Vec<String> = check_custom_written(
            "T",
            &small,
            &[
                ("small".into(), Written::Integer(300)),
                ("offset".into(), Written::Float(-3.0)),
            ],
        )
        .unwrap_err()
        .into_iter()
        .map(|e| e.message)
        .collect();
        assert_eq!(
            messages,
            ["`small` is a `u8`, from 0 to 255; 300 is out of its range"]
        );
    }

    use super::*;
    use crate::{Activation, Optimizer, Shape};

    fn pairs(written: &[(&str, Written)]) -> Vec<(String, Written)> {
        written
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    fn messages(type_name: &str, written: &[(&str, Written)]) -> Vec<String> {
        Settings::from_written(type_name, &pairs(written))
            .unwrap_err()
            .into_iter()
            .map(|e| e.message)
            .collect()
    }

    #[test]
    fn applies_settings_over_the_defaults() {
        let s = Settings::from_written(
            "Conv",
            &pairs(&[
                ("filters", Written::Integer(16)),
                ("activation", Written::Name("Relu".into())),
            ]),
        )
        .unwrap();
        assert_eq!(
            s,
            ConvSettings::new(16, 3)
                .with_activation(Activation::Relu)
                .into()
        );
        let s = Settings::from_written(
            "Classification",
            &pairs(&[
                ("epochs", Written::Integer(30)),
                (
                    "optimizer",
                    Written::Struct(
                        "Adam".into(),
                        vec![("learning_rate".into(), Written::Float(0.01))],
                    ),
                ),
                ("headless", Written::Bool(true)),
            ]),
        )
        .unwrap();
        let t = s.training().unwrap();
        assert_eq!(
            (t.epochs, t.optimizer, t.headless, t.batch_size),
            (
                30,
                Optimizer::Adam {
                    learning_rate: 0.01
                },
                true,
                32
            )
        );
    }

    #[test]
    fn data_sources_and_their_options() {
        let s = Settings::from_written(
            "Data",
            &pairs(&[
                ("file", Written::Text("iris.csv".into())),
                ("columns", Written::Range(0, 4)),
                ("test_file", Written::Text("test.csv".into())),
            ]),
        )
        .unwrap();
        let expected = DataSettings::file("iris.csv")
            .with_columns(Columns::Range { start: 0, end: 4 })
            .with_test_file("test.csv");
        assert_eq!(s, expected.into());
        let s = Settings::from_written(
            "Data",
            &pairs(&[
                ("random", Written::List(vec![4])),
                ("samples", Written::Integer(10)),
                ("seed", Written::Integer(3)),
            ]),
        )
        .unwrap();
        let Settings::Data(d) = s else { panic!() };
        assert_eq!(
            d.source,
            DataSource::Random {
                shape: Shape::from([4]),
                samples: 10,
                seed: 3
            }
        );
        assert_eq!(
            messages("Data", &[("samples", Written::Integer(10))]),
            ["`samples` applies to random data; write `random: [dims]` before it"]
        );
    }

    #[test]
    fn every_problem_is_reported_with_suggestions() {
        let errors = Settings::from_written(
            "Dense",
            &pairs(&[
                ("unit", Written::Integer(10)),
                ("activation", Written::Name("Rleu".into())),
                ("activation", Written::Name("Relu".into())),
            ]),
        )
        .unwrap_err();
        let found: Vec<(Option<usize>, &str)> =
            errors.iter().map(|e| (e.key, e.message.as_str())).collect();
        assert_eq!(
            found,
            [
                (
                    Some(0),
                    "`Dense` has no setting `unit`; did you mean `units`?"
                ),
                (
                    Some(1),
                    "`activation` has no option `Rleu`; did you mean `Relu`?"
                ),
                (Some(2), "`activation` is given twice; keep one"),
            ]
        );
    }

    #[test]
    fn a_missing_required_key_is_reported_unless_misspelled() {
        assert_eq!(
            messages("Dense", &[("activation", Written::Name("Relu".into()))]),
            ["`Dense` needs `units`: the number of outputs"]
        );
    }

    #[test]
    fn wrong_kinds_say_what_is_expected() {
        assert_eq!(
            messages("Dense", &[("units", Written::Float(1.5))]),
            ["`units` takes an integer, found a number"]
        );
        assert_eq!(
            messages("Reshape", &[("shape", Written::Integer(64))]),
            ["`shape` takes a list of dimensions like `[8, 8, 1]`, found an integer"]
        );
        assert_eq!(
            messages(
                "Classification",
                &[("optimizer", Written::Struct("Adma".into(), vec![]))]
            ),
            ["unknown optimizer `Adma`; did you mean `Adam`?"]
        );
        assert_eq!(
            messages(
                "Classification",
                &[(
                    "optimizer",
                    Written::Struct(
                        "Adam".into(),
                        vec![("momentum".into(), Written::Float(0.9))]
                    )
                )]
            ),
            ["`Adam` has no setting `momentum`; it takes `learning_rate`"]
        );
    }

    #[test]
    fn types_without_settings_say_so() {
        assert_eq!(
            messages("Flatten", &[("size", Written::Integer(3))]),
            ["`Flatten` has no setting `size`; `Flatten` takes no settings: write `Flatten` alone"]
        );
    }

    #[test]
    fn unknown_types_suggest_the_closest() {
        assert_eq!(
            messages("Desne", &[]),
            ["unknown component type `Desne`; did you mean `Dense`?"]
        );
        assert_eq!(
            messages("Transformer", &[]),
            ["unknown component type `Transformer`"]
        );
    }

    #[test]
    fn every_key_of_every_schema_applies() {
        use crate::schema::ValueKind;
        for type_name in Settings::TYPE_NAMES {
            let schema = Settings::default_for(type_name).unwrap().schema();
            for setting in schema {
                let value = match setting.kind {
                    ValueKind::Integer => Written::Integer(7),
                    ValueKind::Float => Written::Float(0.25),
                    ValueKind::Bool => Written::Bool(true),
                    ValueKind::Shape => Written::List(vec![2]),
                    ValueKind::Path => Written::Text("x.csv".into()),
                    ValueKind::Columns => Written::Range(0, 1),
                    ValueKind::Choice(names) => Written::Name(names[names.len() - 1].into()),
                    ValueKind::Optimizer => Written::Struct("Sgd".into(), vec![]),
                };
                let mut written = match (*type_name, setting.name) {
                    ("Data", "samples" | "seed") => {
                        vec![("random".to_string(), Written::List(vec![2]))]
                    }
                    ("Data", "columns" | "delimiter" | "allow_non_finite") => {
                        vec![("file".to_string(), Written::Text("x.csv".into()))]
                    }
                    _ => Vec::new(),
                };
                written.push((setting.name.to_string(), value));
                // Required keys of the type, when they are not the one under test.
                for required in schema
                    .iter()
                    .filter(|s| s.default.is_none() && s.name != setting.name)
                {
                    let value = if required.name == "shape" {
                        Written::List(vec![2])
                    } else {
                        Written::Integer(2)
                    };
                    written.push((required.name.to_string(), value));
                }
                let applied = Settings::from_written(type_name, &written);
                assert!(
                    applied.is_ok(),
                    "{type_name}.{}: {:?}",
                    setting.name,
                    applied.unwrap_err()
                );
                assert_ne!(
                    applied.unwrap(),
                    Settings::default_for(type_name).unwrap(),
                    "{type_name}.{} changed nothing",
                    setting.name
                );
            }
        }
    }

    #[test]
    fn closest_names() {
        assert_eq!(closest("lables", &["labels", "images"]), Some("labels"));
        assert_eq!(closest("zzz", &["labels", "images"]), None);
        assert_eq!(closest("Rleu", &["None", "Relu", "Tanh"]), Some("Relu"));
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
