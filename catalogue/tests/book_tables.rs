//! The book's settings tables say what the schema says: for every built-in, its page in
//! `book/src/catalogue/` lists the schema's keys in order, with their kind and default, and a
//! meaning that starts with the schema's own line (a page may add to it).

use percept_catalogue::Settings;
use percept_catalogue::schema::{Setting, ValueKind};

/// How a page writes a kind.
fn kind(kind: ValueKind) -> String {
    match kind {
        ValueKind::Integer => "integer".into(),
        ValueKind::Float => "number".into(),
        ValueKind::Bool => "boolean".into(),
        ValueKind::Shape => "shape".into(),
        ValueKind::Path => "path".into(),
        ValueKind::Columns => "columns".into(),
        ValueKind::Optimizer => "optimizer".into(),
        ValueKind::Choice(names) => {
            let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
            match quoted.split_last() {
                Some((last, [])) => last.clone(),
                Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
                None => String::new(),
            }
        }
    }
}

/// How a page writes a default: `required`, a value (or another key, as MaxPool's `stride`
/// defaults to its `size`) in backticks, or the schema's prose.
fn default(setting: &Setting, schema: &[Setting]) -> String {
    let Some(text) = setting.default else {
        return "required".into();
    };
    let is_value = text.parse::<f64>().is_ok()
        || schema.iter().any(|s| s.name == text)
        || text.parse::<bool>().is_ok()
        || matches!(setting.kind, ValueKind::Optimizer)
        || matches!(setting.kind, ValueKind::Choice(names) if names.contains(&text));
    if is_value {
        format!("`{text}`")
    } else {
        text.to_string()
    }
}

/// `MaxPool` -> `max-pool`.
fn page_name(type_name: &str) -> String {
    let mut name = String::new();
    for (i, c) in type_name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            name.push('-');
        }
        name.push(c.to_ascii_lowercase());
    }
    name
}

/// The rows of the first table under `## Settings`: its cells, without the header.
fn settings_rows(page: &str) -> Vec<Vec<String>> {
    let Some((_, after)) = page.split_once("\n## Settings\n") else {
        return Vec::new();
    };
    after
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

#[test]
fn every_settings_table_agrees_with_the_schema() {
    let book = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../book/src/catalogue");
    let mut problems = Vec::new();
    for type_name in Settings::TYPE_NAMES {
        let schema = Settings::default_for(type_name).unwrap().schema();
        let path = book.join(format!("{}.md", page_name(type_name)));
        let page =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let rows = settings_rows(&page);
        let keys: Vec<String> = rows
            .iter()
            .map(|r| r[0].trim_matches('`').to_string())
            .collect();
        let expected: Vec<&str> = schema.iter().map(|s| s.name).collect();
        if keys != expected {
            problems.push(format!(
                "{type_name}: the page lists {keys:?}, the schema {expected:?}"
            ));
            continue;
        }
        for (row, setting) in rows.iter().zip(schema) {
            let key = setting.name;
            if row[1] != kind(setting.kind) {
                problems.push(format!(
                    "{type_name}.{key}: kind `{}`, the schema says `{}`",
                    row[1],
                    kind(setting.kind)
                ));
            }
            if row[2] != default(setting, schema) {
                problems.push(format!(
                    "{type_name}.{key}: default `{}`, the schema says `{}`",
                    row[2],
                    default(setting, schema)
                ));
            }
            if !row[3].starts_with(setting.doc) {
                problems.push(format!(
                    "{type_name}.{key}: meaning `{}` does not start with the schema's `{}`",
                    row[3], setting.doc
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
