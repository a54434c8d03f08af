//! How a written value reads as a typed one: the readers every component's `assign` uses,
//! each with the message that says what was expected.

use crate::activation::Activation;
use crate::optimizer::Optimizer;
use crate::shape::Shape;
use crate::written::{ValueError, ValuePart, Written, closest};

pub(crate) fn integer(key: &str, value: &Written) -> Result<usize, String> {
    match value {
        Written::Integer(n) => {
            usize::try_from(*n).map_err(|_| format!("`{key}` is too large: {n}"))
        }
        other => Err(format!("`{key}` takes an integer, found {other}")),
    }
}

pub(crate) fn float(key: &str, value: &Written) -> Result<f64, String> {
    match value {
        Written::Float(x) => Ok(*x),
        Written::Integer(n) => Ok(*n as f64),
        other => Err(format!("`{key}` takes a number, found {other}")),
    }
}

pub(crate) fn boolean(key: &str, value: &Written) -> Result<bool, String> {
    match value {
        Written::Bool(b) => Ok(*b),
        other => Err(format!("`{key}` takes `true` or `false`, found {other}")),
    }
}

pub(crate) fn text(key: &str, value: &Written) -> Result<String, String> {
    match value {
        Written::Text(t) => Ok(t.clone()),
        other => Err(format!("`{key}` takes a string, found {other}")),
    }
}

pub(crate) fn shape(key: &str, value: &Written) -> Result<Shape, String> {
    match value {
        Written::List(dims) => Ok(Shape(dims.iter().map(|&d| d as usize).collect())),
        other => Err(format!(
            "`{key}` takes a list of dimensions like `[8, 8, 1]`, found {other}"
        )),
    }
}

/// The index of the written name among `names`.
pub(crate) fn choice(key: &str, value: &Written, names: &[&str]) -> Result<usize, String> {
    let found = match value {
        Written::Name(name) => name,
        other => {
            return Err(format!(
                "`{key}` takes one of {}, found {other}",
                list(names)
            ));
        }
    };
    names.iter().position(|n| n == found).ok_or_else(|| {
        let hint = closest(found, names)
            .map_or_else(|| format!("one of {}", list(names)), |c| format!("`{c}`"));
        format!("`{key}` has no option `{found}`; did you mean {hint}?")
    })
}

pub(crate) fn activation(key: &str, value: &Written) -> Result<Activation, String> {
    let index = choice(key, value, Activation::NAMES)?;
    Ok(Activation::from_name(Activation::NAMES[index]).expect("a listed name"))
}

pub(crate) fn optimizer(value: &Written) -> Result<Optimizer, ValueError> {
    let (name, fields) = match value {
        Written::Struct(name, fields) => (name.as_str(), fields.as_slice()),
        Written::Name(name) => (name.as_str(), &[][..]),
        other => {
            return Err(format!(
                "`optimizer` takes one of {}, found {other}",
                list(Optimizer::NAMES)
            )
            .into());
        }
    };
    let mut optimizer = match name {
        "Sgd" => Optimizer::sgd(),
        "Adam" => Optimizer::adam(),
        "RmsProp" => Optimizer::rms_prop(),
        _ => {
            let hint = closest(name, Optimizer::NAMES).map_or_else(
                || format!("one of {}", list(Optimizer::NAMES)),
                |c| format!("`{c}`"),
            );
            return Err(ValueError::at(
                ValuePart::Name,
                format!("unknown optimizer `{name}`; did you mean {hint}?"),
            ));
        }
    };
    for (position, (key, value)) in fields.iter().enumerate() {
        let on_value = |message: String| ValueError::at(ValuePart::Value(position), message);
        match (&mut optimizer, key.as_str()) {
            (
                Optimizer::Sgd { learning_rate, .. }
                | Optimizer::Adam { learning_rate }
                | Optimizer::RmsProp { learning_rate },
                "learning_rate",
            ) => *learning_rate = float(key, value).map_err(on_value)?,
            (Optimizer::Sgd { momentum, .. }, "momentum") => {
                *momentum = float(key, value).map_err(on_value)?;
            }
            _ => {
                let known: &[&str] = if name == "Sgd" {
                    &["learning_rate", "momentum"]
                } else {
                    &["learning_rate"]
                };
                return Err(ValueError::at(
                    ValuePart::Key(position),
                    format!("`{name}` has no setting `{key}`; it takes {}", list(known)),
                ));
            }
        }
    }
    Ok(optimizer)
}

pub(crate) fn list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The message for a key that is not in a type's schema (the checks before `assign` report
/// unknown keys with a suggestion, so this is reached only by a caller that skipped them).
pub(crate) fn not_a_key(type_name: &str, key: &str) -> ValueError {
    format!("`{type_name}` has no setting `{key}`").into()
}
