//! Tests of atomic, verified saves: the switch at every step, checksums, cut and changed
//! files, leftovers, and the checks of a model's load.

use std::fs;
use std::path::Path;

use percept_catalogue::{
    Activation, ClassificationSettings, DataSettings, DenseSettings, Digits, TrainingSettings,
};
use serde_json::{Map, Value};

use super::*;
use crate::backend::DefaultBackend;
use crate::graph::{Model, ModelBuilder};

const MANIFEST: &str = "version.json";

fn extra(tag: &str) -> Map<String, Value> {
    let mut extra = Map::new();
    extra.insert("tag".into(), tag.into());
    extra
}

/// Writes a version of two files whose contents are `tag` repeated.
fn write(dir: &Path, tag: &str) -> Result<()> {
    let a = tag.repeat(1000).into_bytes();
    let b = format!("{tag}-b").into_bytes();
    write_version(dir, MANIFEST, &[("a.bin", &a), ("b", &b)], extra(tag))
}

/// The tag of the version in `dir`, checked against its files.
fn read(dir: &Path) -> Result<String> {
    let version = read_version(dir, MANIFEST)?;
    let tag = version.extra["tag"].as_str().unwrap().to_string();
    assert_eq!(version.file("a.bin").unwrap(), tag.repeat(1000).as_bytes());
    assert_eq!(version.file("b").unwrap(), format!("{tag}-b").as_bytes());
    assert_eq!(version.manifest, dir.join(MANIFEST));
    Ok(tag)
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn a_save_replaces_the_version_and_leaves_only_its_files() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "old").unwrap();
    assert_eq!(read(dir.path()).unwrap(), "old");
    write(dir.path(), "new").unwrap();
    assert_eq!(read(dir.path()).unwrap(), "new");
    assert_eq!(listing(dir.path()), ["a.bin", "b", MANIFEST]);
    let manifest = fs::read_to_string(dir.path().join(MANIFEST)).unwrap();
    assert!(
        manifest.starts_with("{\n  \"format\": \"percept\",\n  \"format_version\": 1,\n"),
        "{manifest}"
    );
}

#[test]
fn a_save_stopped_at_any_step_leaves_the_old_or_the_new_version() {
    for step in 1..=5 {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "old").unwrap();
        CRASH_AFTER.with(|c| c.set(step));
        let stopped = write(dir.path(), "new");
        CRASH_AFTER.with(|c| c.set(0));
        assert!(stopped.is_err(), "step {step}");
        let expected = if step < 3 { "old" } else { "new" };
        assert_eq!(
            read(dir.path()).unwrap(),
            expected,
            "stopped after step {step}: {:?}",
            listing(dir.path())
        );
        // The next save cleans up whatever the stopped one left.
        write(dir.path(), "next").unwrap();
        assert_eq!(read(dir.path()).unwrap(), "next");
        assert_eq!(listing(dir.path()), ["a.bin", "b", MANIFEST], "step {step}");
    }
}

#[test]
fn leftovers_of_interrupted_saves_are_ignored_then_removed() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "old").unwrap();
    // A temporary file cut by a crash, a staged file of a save that never switched, a
    // temporary manifest, and a file of the user's.
    for (name, contents) in [
        ("a-0123456789abcdef.bin.tmp-99-0", "cut"),
        ("a-0123456789abcdef.bin", "never switched"),
        ("version.json.tmp-99-1", "{"),
        ("notes.txt", "mine"),
    ] {
        fs::write(dir.path().join(name), contents).unwrap();
    }
    assert_eq!(read(dir.path()).unwrap(), "old");
    write(dir.path(), "new").unwrap();
    assert_eq!(read(dir.path()).unwrap(), "new");
    assert_eq!(listing(dir.path()), ["a.bin", "b", "notes.txt", MANIFEST]);
}

#[test]
fn files_the_new_version_does_not_name_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "two").unwrap();
    write_version(dir.path(), MANIFEST, &[("a.bin", b"one")], extra("one")).unwrap();
    assert_eq!(listing(dir.path()), ["a.bin", MANIFEST]);
    let version = read_version(dir.path(), MANIFEST).unwrap();
    assert_eq!(version.files, [("a.bin".to_string(), b"one".to_vec())]);
}

#[test]
fn a_changed_file_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "old").unwrap();
    let path = dir.path().join("a.bin");
    let mut bytes = fs::read(&path).unwrap();
    for i in [3, 100, 1000, 2000, 2001, 2002, 2500, 2999] {
        bytes[i] ^= 0x10;
    }
    fs::write(&path, bytes).unwrap();
    let err = read(dir.path()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "`{}` is corrupt: its checksum does not match the manifest (the file was changed or cut after saving)",
            path.display()
        )
    );
}

#[test]
fn a_cut_file_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "old").unwrap();
    let path = dir.path().join("a.bin");
    let bytes = fs::read(&path).unwrap();
    fs::write(&path, &bytes[..1234]).unwrap();
    let err = read(dir.path()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "`{}` is corrupt: it holds 1234 bytes but the manifest says 3000 (the file was cut or changed after saving)",
            path.display()
        )
    );
    fs::remove_file(&path).unwrap();
    let err = read(dir.path()).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("cannot read `{}`: ", path.display())),
        "{err}"
    );
}

#[test]
fn a_changed_or_cut_manifest_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "old").unwrap();
    let path = dir.path().join(MANIFEST);
    let good = fs::read_to_string(&path).unwrap();
    fs::write(&path, good.replace("\"old\"", "\"odd\"")).unwrap();
    assert_eq!(
        read(dir.path()).unwrap_err().to_string(),
        format!(
            "`{}` is corrupt: its checksum does not match its contents (the file was changed or cut after saving)",
            path.display()
        )
    );
    fs::write(&path, &good[..40]).unwrap();
    let err = read(dir.path()).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!(
            "`{}` is corrupt: it is not complete JSON (the file was changed or cut after saving)",
            path.display()
        )),
        "{err}"
    );
    fs::write(&path, "[]").unwrap();
    let err = read(dir.path()).unwrap_err().to_string();
    assert!(err.contains("written by an older percept"), "{err}");
}

#[test]
fn a_newer_format_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "old").unwrap();
    let path = dir.path().join(MANIFEST);
    let mut manifest: Manifest = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    manifest.format_version = FORMAT_VERSION + 1;
    manifest.manifest_sha256 = SELF_CHECKSUM_PLACEHOLDER.to_string();
    fs::write(&path, manifest_bytes(manifest)).unwrap();
    let err = read(dir.path()).unwrap_err().to_string();
    assert!(
        err.ends_with(
            "it is of format `percept` version 2, and this percept reads `percept` up to version 1"
        ),
        "{err}"
    );
}

#[test]
fn staged_names_carry_the_checksum() {
    let sum = "3f2a9c1d0b7e4a55".to_string() + &"0".repeat(48);
    assert_eq!(staged_name("model.mpk", &sum), "model-3f2a9c1d0b7e4a55.mpk");
    assert_eq!(staged_name("weights", &sum), "weights-3f2a9c1d0b7e4a55");
    assert!(is_staged("model-3f2a9c1d0b7e4a55.mpk", "model.mpk"));
    assert!(is_staged("weights-3f2a9c1d0b7e4a55", "weights"));
    assert!(!is_staged("model.mpk", "model.mpk"));
    assert!(!is_staged("model-mine.mpk", "model.mpk"));
}

/// A digits classifier with a `hidden` Dense of `hidden` units, initialised from `seed`.
fn digits(hidden: usize, seed: u64) -> ModelBuilder {
    ModelBuilder::new("Digits")
        .add("images", DataSettings::digits(Digits::Images), &[])
        .add("labels", DataSettings::digits(Digits::Labels), &[])
        .add(
            "hidden",
            DenseSettings::new(hidden, Activation::Relu),
            &["images"],
        )
        .add(
            "fc",
            DenseSettings::new(10, Activation::Softmax),
            &["hidden"],
        )
        .add(
            "train",
            ClassificationSettings {
                training: TrainingSettings {
                    seed,
                    ..TrainingSettings::default()
                },
            },
            &["fc", "labels"],
        )
}

fn build(hidden: usize) -> Model<DefaultBackend> {
    digits(hidden, 1)
        .build::<DefaultBackend>(&Default::default())
        .unwrap()
}

fn weights(model: &Model<DefaultBackend>) -> Vec<crate::Tensors> {
    model.components().iter().map(|c| c.variables()).collect()
}

#[test]
fn a_model_loads_back_and_its_manifest_lists_every_parameter() {
    let dir = tempfile::tempdir().unwrap();
    let model = build(32);
    model.save(dir.path()).unwrap();
    assert_eq!(listing(dir.path()), ["model.json", "model.mpk"]);
    let loaded = digits(32, 2)
        .load::<DefaultBackend>(dir.path(), &Default::default())
        .unwrap();
    assert_eq!(weights(&loaded), weights(&model));
    // Another seed initialises other weights: the load replaced them.
    let other = digits(32, 2)
        .build::<DefaultBackend>(&Default::default())
        .unwrap();
    assert_ne!(weights(&other), weights(&model));

    let version = read_version(dir.path(), "model.json").unwrap();
    assert_eq!(version.extra["model"], "Digits");
    let hidden = &version.extra["components"][2];
    assert_eq!(hidden["instance"], "hidden");
    assert_eq!(hidden["class_name"], "DeepLearningDense_Dense_1");
    assert_eq!(hidden["parameters"], 64 * 32 + 32);
    assert_eq!(
        hidden["tensors"],
        serde_json::json!([
            { "name": "linear.weight", "shape": [64, 32], "dtype": "F32" },
            { "name": "linear.bias", "shape": [32], "dtype": "F32" },
        ])
    );
    // burn's own file recorder reads `model.mpk` too.
    use burn::module::Module as _;
    use burn::record::{FullPrecisionSettings, NamedMpkFileRecorder};
    let graph = build(32)
        .graph
        .load_file(
            dir.path().join("model.mpk"),
            &NamedMpkFileRecorder::<FullPrecisionSettings>::new(),
            &Default::default(),
        )
        .unwrap();
    assert_eq!(
        graph.nodes[2].variables(),
        model.components()[2].variables()
    );
}

#[test]
fn a_parameter_of_another_shape_is_named_with_both_shapes() {
    let dir = tempfile::tempdir().unwrap();
    build(64).save(dir.path()).unwrap();
    let err = digits(32, 2)
        .load::<DefaultBackend>(dir.path(), &Default::default())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "cannot load `{}`: component `hidden` differs: parameter `linear.weight` of `hidden` (DeepLearningDense_Dense_1) has shape [64, 64] in the save but [64, 32] in this model",
            dir.path().display()
        )
    );
}

/// Writes `model` as an older percept did: `model.json` the structure alone, `model.mpk`
/// written by burn's file recorder.
fn save_legacy(model: &Model<DefaultBackend>, dir: &Path) {
    use burn::module::Module as _;
    use burn::record::{FullPrecisionSettings, NamedMpkFileRecorder};
    fs::create_dir_all(dir).unwrap();
    let mut structure = serde_json::to_value(model::structure(model)).unwrap();
    for entry in structure.as_array_mut().unwrap() {
        let entry = entry.as_object_mut().unwrap();
        entry.remove("class_name");
        entry.remove("tensors");
    }
    fs::write(
        dir.join("model.json"),
        serde_json::to_string_pretty(&structure).unwrap(),
    )
    .unwrap();
    model
        .graph
        .clone()
        .save_file(
            dir.join("model"),
            &NamedMpkFileRecorder::<FullPrecisionSettings>::new(),
        )
        .unwrap();
}

#[test]
fn saves_of_older_percepts_load_with_their_shapes_checked() {
    let dir = tempfile::tempdir().unwrap();
    let model = build(32);
    save_legacy(&model, dir.path());
    let loaded = digits(32, 2)
        .load::<DefaultBackend>(dir.path(), &Default::default())
        .unwrap();
    assert_eq!(weights(&loaded), weights(&model));

    // The mixture an interrupted save of an older percept could leave: the structure of a
    // wider model beside the parameters of the narrower one.
    let wide = tempfile::tempdir().unwrap();
    save_legacy(&build(48), wide.path());
    fs::copy(
        wide.path().join("model.json"),
        dir.path().join("model.json"),
    )
    .unwrap();
    let err = digits(48, 2)
        .load::<DefaultBackend>(dir.path(), &Default::default())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "cannot load `{}`: component `hidden` differs: parameter `linear.weight` of `hidden` (DeepLearningDense_Dense_1) has shape [64, 32] in the save but [64, 48] in this model",
            dir.path().display()
        )
    );

    // A cut `model.mpk` of an older save, which has no checksum, cannot be decoded.
    save_legacy(&model, dir.path());
    let path = dir.path().join("model.mpk");
    let bytes = fs::read(&path).unwrap();
    fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let err = digits(32, 2)
        .load::<DefaultBackend>(dir.path(), &Default::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(&format!(
            "`{}` is corrupt: its parameters cannot be decoded (the file was changed or cut after saving, or written by another program)",
            path.display()
        )) && !err.contains("record-backward-compat"),
        "{err}"
    );
}
