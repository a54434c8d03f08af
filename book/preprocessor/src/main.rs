//! The book's mdBook preprocessor: the catalogue reference follows from the catalogue's list
//! of built-ins, so that a new built-in needs only its own page.
//!
//! - `{{#catalogue}}` becomes the table of every category and its types;
//! - `{{#category DeepLearning}}` becomes the table of that category's types, with what each
//!   computes and its shape rule (`ComponentSettings::ABOUT` and `SHAPES`);
//! - each category's chapter (`catalogue/deep-learning.md`) gets one sub-chapter per type of
//!   that category, read from `catalogue/{type in kebab case}.md` (`max-pool.md`), in the
//!   catalogue's order; a type without a page is an error that names the missing file.
//!
//! mdBook runs it as `book.toml` says (`cargo run -p percept-book`), with `[context, book]`
//! as JSON on stdin, and reads the book back from stdout.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use percept_catalogue::{Category, Settings};
use serde_json::{Value, json};

/// The categories of built-ins, in the catalogue's order.
const CATEGORIES: [Category; 5] = [
    Category::Data,
    Category::Process,
    Category::DeepLearning,
    Category::Math,
    Category::Train,
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("supports") {
        // Every renderer: the output is plain Markdown.
        return ExitCode::SUCCESS;
    }
    let mut input = String::new();
    if let Err(err) = std::io::stdin().read_to_string(&mut input) {
        eprintln!("percept-book: cannot read the book from stdin: {err}");
        return ExitCode::FAILURE;
    }
    match run(&input) {
        Ok(book) => {
            println!("{book}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("percept-book: {err}");
            ExitCode::FAILURE
        }
    }
}

/// The book mdBook sent (`[context, book]`), preprocessed, as JSON.
fn run(input: &str) -> Result<String, String> {
    let [context, mut book]: [Value; 2] = serde_json::from_str::<Vec<Value>>(input)
        .map_err(|e| format!("the input is not mdBook's `[context, book]`: {e}"))?
        .try_into()
        .map_err(|_| "the input is not mdBook's `[context, book]`".to_string())?;
    let root = context["root"].as_str().unwrap_or(".");
    let src = context["config"]["book"]["src"].as_str().unwrap_or("src");
    let src = Path::new(root).join(src);
    // mdBook 0.5 names the top-level list `items`, 0.4 `sections`.
    let key = if book.get("items").is_some() {
        "items"
    } else {
        "sections"
    };
    let items = book[key].as_array_mut().ok_or("the book has no `items`")?;
    preprocess(items, &src)?;
    Ok(book.to_string())
}

/// Expands the directives and adds the types' pages, in place.
fn preprocess(items: &mut [Value], src: &Path) -> Result<(), String> {
    for item in items {
        let Some(chapter) = item.get_mut("Chapter") else {
            continue;
        };
        let path = chapter["path"].as_str().map(PathBuf::from);
        if let Some(content) = chapter["content"].as_str() {
            let expanded = expand(content, path.as_deref())?;
            chapter["content"] = Value::String(expanded);
        }
        if let Some(category) = path.as_deref().and_then(category_of_page) {
            add_pages(chapter, category, src)?;
        }
        if let Some(subs) = chapter["sub_items"].as_array_mut() {
            preprocess(subs, src)?;
        }
    }
    Ok(())
}

/// The category whose chapter is at `path` (`catalogue/deep-learning.md`), for categories
/// with a page of their own besides their types' (Data is its one type's page).
fn category_of_page(path: &Path) -> Option<Category> {
    CATEGORIES
        .into_iter()
        .filter(|&c| c != Category::Data)
        .find(|&c| path == Path::new("catalogue").join(category_page(c)))
}

/// Sets the sub-chapters of a category's chapter to its types' pages, keeping a page that
/// SUMMARY.md already lists and any other sub-chapter after them.
fn add_pages(chapter: &mut Value, category: Category, src: &Path) -> Result<(), String> {
    let number: Vec<u64> = chapter["number"]
        .as_array()
        .map(|n| n.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default();
    let mut parents: Vec<Value> = chapter["parent_names"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    parents.push(chapter["name"].clone());
    let mut others: Vec<Value> = chapter["sub_items"].as_array().cloned().unwrap_or_default();
    let mut pages = Vec::new();
    for (k, type_name) in types_of(category).into_iter().enumerate() {
        let path = format!("catalogue/{}", type_page(type_name));
        let listed = others
            .iter()
            .position(|item| item["Chapter"]["path"].as_str() == Some(path.as_str()));
        let page = match listed {
            Some(i) => others.remove(i),
            None => {
                let file = src.join(&path);
                let content = std::fs::read_to_string(&file).map_err(|e| {
                    format!(
                        "the built-in `{type_name}` needs its page `{}`: {e}",
                        file.display()
                    )
                })?;
                let mut page_number = number.clone();
                page_number.push(k as u64 + 1);
                json!({ "Chapter": {
                    "name": type_name,
                    "content": expand(&content, Some(Path::new(&path)))?,
                    "number": page_number,
                    "sub_items": [],
                    "path": path,
                    "source_path": path,
                    "parent_names": parents,
                }})
            }
        };
        pages.push(page);
    }
    pages.extend(others);
    chapter["sub_items"] = Value::Array(pages);
    Ok(())
}

/// The content of the chapter at `path` with each directive replaced by its table.
fn expand(content: &str, path: Option<&Path>) -> Result<String, String> {
    // Links to the catalogue's pages, relative to the chapter.
    let dir = path.and_then(Path::parent).unwrap_or(Path::new(""));
    let to_pages = if dir == Path::new("catalogue") {
        String::new()
    } else {
        "../".repeat(dir.components().count()) + "catalogue/"
    };
    let mut out = String::with_capacity(content.len());
    let mut rest = content;
    while let Some(start) = rest.find("{{#") {
        let Some(len) = rest[start..].find("}}") else {
            break;
        };
        let directive = &rest[start + 3..start + len];
        let mut words = directive.split_whitespace();
        let table = match (words.next(), words.next()) {
            (Some("catalogue"), None) => Some(catalogue_table(&to_pages)),
            (Some("category"), Some(name)) => {
                let category = CATEGORIES
                    .into_iter()
                    .find(|c| format!("{c:?}") == name)
                    .ok_or_else(|| format!("`{{{{#category {name}}}}}` names no category"))?;
                Some(category_table(category, &to_pages))
            }
            // Another preprocessor's directive (`{{#include ..}}`).
            _ => None,
        };
        out.push_str(&rest[..start]);
        match table {
            Some(table) => out.push_str(&table),
            None => out.push_str(&rest[start..start + len + 2]),
        }
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Every category with its types, each linked to its page (under `to_pages`).
fn catalogue_table(to_pages: &str) -> String {
    let mut out = String::from("| category (class prefix) | components |\n| --- | --- |\n");
    for category in CATEGORIES {
        let title = if category == Category::Data {
            category.title().to_string()
        } else {
            format!(
                "[{}]({to_pages}{})",
                category.title(),
                category_page(category)
            )
        };
        let types: Vec<String> = types_of(category)
            .into_iter()
            .map(|t| format!("[{t}]({to_pages}{})", type_page(t)))
            .collect();
        out.push_str(&format!(
            "| {title} (`{}`) | {} |\n",
            category.prefix(),
            types.join(", ")
        ));
    }
    out
}

/// A category's types with what each computes and its shape rule, linked under `to_pages`.
fn category_table(category: Category, to_pages: &str) -> String {
    let mut out = String::from("| component | computes | shape rule |\n| --- | --- | --- |\n");
    for type_name in types_of(category) {
        let settings = Settings::default_for(type_name).expect("a built-in has defaults");
        out.push_str(&format!(
            "| [{type_name}]({to_pages}{}) | {} | {} |\n",
            type_page(type_name),
            settings.about(),
            settings.shapes()
        ));
    }
    out
}

/// The built-ins of a category, in the catalogue's order.
fn types_of(category: Category) -> Vec<&'static str> {
    Settings::TYPE_NAMES
        .iter()
        .copied()
        .filter(|t| Settings::default_for(t).is_some_and(|s| s.category() == category))
        .collect()
}

/// A category's page (`deep-learning.md`).
fn category_page(category: Category) -> String {
    format!("{}.md", category.title().to_lowercase().replace(' ', "-"))
}

/// A type's page (`MaxPool` -> `max-pool.md`).
fn type_page(type_name: &str) -> String {
    let mut out = String::new();
    for (i, c) in type_name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('-');
        }
        out.extend(c.to_lowercase());
    }
    out + ".md"
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The book's own sources.
    fn src() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../src")
    }

    fn chapter(name: &str, path: &str, number: &[u64], content: &str) -> Value {
        json!({ "Chapter": {
            "name": name, "content": content, "number": number, "sub_items": [],
            "path": path, "source_path": path, "parent_names": [],
        }})
    }

    #[test]
    fn every_built_in_has_a_page_under_its_category() {
        let mut sections = vec![
            chapter(
                "The catalogue",
                "catalogue/index.md",
                &[3],
                "{{#catalogue}}",
            ),
            chapter(
                "Deep Learning",
                "catalogue/deep-learning.md",
                &[3, 2],
                "{{#category DeepLearning}}",
            ),
            chapter("Mathematics", "catalogue/mathematics.md", &[3, 3], ""),
        ];
        preprocess(&mut sections, &src()).unwrap();
        let names = |i: usize| -> Vec<String> {
            sections[i]["Chapter"]["sub_items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["Chapter"]["name"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(names(1), types_of(Category::DeepLearning));
        assert_eq!(names(2), ["Argmax", "Merge", "Softmax"]);
        let conv = sections[1]["Chapter"]["sub_items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["Chapter"]["name"] == "Conv")
            .unwrap();
        assert_eq!(conv["Chapter"]["path"], "catalogue/conv.md");
        assert_eq!(conv["Chapter"]["parent_names"], json!(["Deep Learning"]));
        assert!(
            conv["Chapter"]["content"]
                .as_str()
                .unwrap()
                .starts_with("# Conv")
        );
        let numbers: Vec<Value> = sections[2]["Chapter"]["sub_items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["Chapter"]["number"].clone())
            .collect();
        assert_eq!(
            numbers,
            [json!([3, 3, 1]), json!([3, 3, 2]), json!([3, 3, 3])]
        );
    }

    #[test]
    fn the_tables_list_every_built_in_with_its_description() {
        let index = expand(
            "before\n\n{{#catalogue}}\nafter",
            Some(Path::new("catalogue/index.md")),
        )
        .unwrap();
        assert!(index.starts_with("before\n\n| category (class prefix) | components |"));
        assert!(index.ends_with("\nafter"));
        for type_name in Settings::TYPE_NAMES {
            assert!(
                index.contains(&format!("[{type_name}]({})", type_page(type_name))),
                "{type_name}: {index}"
            );
        }
        assert!(index.contains("| [Deep Learning](deep-learning.md) (`DeepLearning`) |"));
        let table = expand(
            "{{#category Math}}",
            Some(Path::new("catalogue/mathematics.md")),
        )
        .unwrap();
        assert!(
            table.contains(
                "| [Argmax](argmax.md) | the index of the largest value | `[n]` → `[]`, n classes |"
            ),
            "{table}"
        );
        assert_eq!(table.lines().count(), 2 + types_of(Category::Math).len());
        // From a chapter elsewhere, the links lead to the catalogue's folder.
        let intro = expand("{{#catalogue}}", Some(Path::new("introduction.md"))).unwrap();
        assert!(intro.contains("[Conv](catalogue/conv.md)"), "{intro}");
        let guide = expand("{{#category Math}}", Some(Path::new("guide/x.md"))).unwrap();
        assert!(guide.contains("[Merge](../catalogue/merge.md)"), "{guide}");
    }

    #[test]
    fn other_directives_stay_and_a_wrong_category_is_named() {
        let text = "{{#include ../x.md}} and {{#category Math}}";
        let page = Some(Path::new("catalogue/mathematics.md"));
        assert!(
            expand(text, page)
                .unwrap()
                .starts_with("{{#include ../x.md}} and | component")
        );
        let err = expand("{{#category Maths}}", page).unwrap_err();
        assert_eq!(err, "`{{#category Maths}}` names no category");
    }

    #[test]
    fn a_built_in_without_a_page_is_an_error_naming_the_file() {
        let dir = std::env::temp_dir().join(format!("percept-book-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("catalogue")).unwrap();
        let mut sections = vec![chapter("Mathematics", "catalogue/mathematics.md", &[1], "")];
        let err = preprocess(&mut sections, &dir).unwrap_err();
        assert!(
            err.starts_with("the built-in `Argmax` needs its page `")
                && err.contains("catalogue/argmax.md"),
            "{err}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn runs_on_mdbooks_json() {
        let book = json!({ "items": [
            chapter("Mathematics", "catalogue/mathematics.md", &[1], "{{#category Math}}"),
            "Separator",
            { "PartTitle": "For contributors" },
        ]});
        let context = json!({ "root": src().join(".."), "config": { "book": { "src": "src" } } });
        let out = run(&json!([context, book]).to_string()).unwrap();
        let out: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(out["items"][1], "Separator");
        let math = &out["items"][0]["Chapter"];
        assert_eq!(math["sub_items"].as_array().unwrap().len(), 3);
        assert!(
            math["content"]
                .as_str()
                .unwrap()
                .contains("[Merge](merge.md)")
        );
    }
}
