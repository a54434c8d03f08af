//! Saving is atomic and verified: a save killed at any moment leaves either the old or the new
//! model, and a changed, cut or mismatched save is an error that says so in plain words.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{digits_mlp, training};
use percept::prelude::*;

/// Tells the child test the directory to save in; unset, the child test does nothing.
const CHILD_DIR: &str = "PERCEPT_TEST_SAVING_DIR";
/// Tells the child test the width of the model it saves.
const CHILD_WIDTH: &str = "PERCEPT_TEST_SAVING_WIDTH";
/// The test the kill test runs as its child.
const CHILD_TEST: &str = "child_saves_in_a_loop";
/// What the child prints once it saves (on the line where libtest names the test).
const READY: &str = "percept-saving-child-ready";
/// The good save, and the model saved over it: about 17 MB of parameters.
const NARROW: usize = 64;
const WIDE: usize = 2048;
const KILLS: usize = 20;

/// Two Dense of `width` units on random data, initialised from `seed`.
fn declaration(width: usize, seed: u64) -> ModelBuilder {
    ModelBuilder::new("Wide")
        .add("x", DataSettings::random([64], 8), &[])
        .add(
            "y",
            DataSettings::random(Shape::scalar(), 8).with_classes(10),
            &[],
        )
        .add(
            "hidden",
            DenseSettings::new(width, Activation::Relu),
            &["x"],
        )
        .add(
            "deep",
            DenseSettings::new(width, Activation::Relu),
            &["hidden"],
        )
        .add("fc", DenseSettings::new(10, Activation::Softmax), &["deep"])
        .add(
            "train",
            ClassificationSettings {
                training: TrainingSettings {
                    seed,
                    ..training(1)
                },
            },
            &["fc", "y"],
        )
}

/// The model of `width` that the tests save, initialised from a seed of its own.
fn build(width: usize) -> Model<DefaultBackend> {
    declaration(width, width as u64)
        .build::<DefaultBackend>(&Default::default())
        .expect("the model builds")
}

/// Every parameter and running statistic, by component.
fn parameters(model: &Model<DefaultBackend>) -> Vec<percept::Tensors> {
    model.components().iter().map(|c| c.variables()).collect()
}

/// Run by [`a_save_killed_at_any_moment_leaves_the_old_or_the_new_model`] as its child: saves
/// a model of the width it is told into the directory it is told, again and again from when the
/// parent says `go`, until it is killed (or for a minute at most). Run directly, it does
/// nothing.
#[test]
fn child_saves_in_a_loop() {
    let (Some(dir), Some(width)) = (std::env::var_os(CHILD_DIR), std::env::var_os(CHILD_WIDTH))
    else {
        return;
    };
    let width: usize = width.to_str().unwrap().parse().unwrap();
    let model = build(width);
    println!("{READY}");
    // The parent says when to start; end of input means that it is gone.
    let mut go = String::new();
    std::io::stdin().read_line(&mut go).unwrap();
    if go.trim() != "go" {
        return;
    }
    // Bounded, should the parent not kill it.
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        model.save(&dir).unwrap();
    }
}

/// A seeded xorshift generator: the kill times, reproducible.
struct Random(u64);

impl Random {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A model of each width, with its parameters as saved.
struct Expected {
    width: usize,
    parameters: Vec<percept::Tensors>,
    /// The same model initialised from another seed, to load into: a load that left any
    /// parameter as it was shows.
    blank: Model<DefaultBackend>,
}

/// The width of the model saved in `dir`, with its parameters checked against `expected`; an
/// error when the directory does not load, or loads with other parameters.
fn check(dir: &Path, expected: &[Expected]) -> Result<usize, String> {
    let mut errors = Vec::new();
    for e in expected {
        match e.blank.clone().load_parameters(dir) {
            Ok(model) if parameters(&model) == e.parameters => return Ok(e.width),
            Ok(_) => {
                return Err(format!(
                    "it loads as width {} with other parameters",
                    e.width
                ));
            }
            Err(err) => errors.push(format!("as width {}: {err}", e.width)),
        }
    }
    Err(format!("it does not load: {}", errors.join("; ")))
}

/// A child that builds the wide model, to save it into `dir` when told `go`.
fn spawn_child(dir: &Path) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", CHILD_TEST, "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR, dir)
        .env(CHILD_WIDTH, WIDE.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The files in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    files
}

#[test]
fn a_save_killed_at_any_moment_leaves_the_old_or_the_new_model() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("saved");
    // Each child builds its model while the one before it saves (and the first while this
    // test builds its own).
    let mut next = Some(spawn_child(&saved));
    let narrow = build(NARROW);
    let wide = build(WIDE);
    let expected = [(NARROW, &narrow), (WIDE, &wide)].map(|(width, model)| {
        let blank = declaration(width, 7)
            .build::<DefaultBackend>(&Default::default())
            .unwrap();
        assert_ne!(parameters(&blank), parameters(model));
        Expected {
            width,
            parameters: parameters(model),
            blank,
        }
    });
    // How long a wide save takes here: the kills fall within about three of them (the next
    // child builds meanwhile, which slows them).
    let timing = Instant::now();
    wide.save(dir.path().join("timing")).unwrap();
    let save_time = timing.elapsed();
    narrow.save(&saved).unwrap();

    let mut random = Random(0x5eed_2048_0064_0017);
    let (mut lost, mut wrong, mut old, mut new, mut leftovers) = (0, 0, 0, 0, 0);
    for kill in 1..=KILLS {
        let mut child = next.take().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let ready = lines
            .by_ref()
            .map_while(Result::ok)
            .any(|l| l.ends_with(READY));
        if kill < KILLS {
            next = Some(spawn_child(&saved));
        }
        let delay = save_time.mul_f64(3.0 * random.unit());
        let mut stdin = child.stdin.take().unwrap();
        let told = writeln!(stdin, "go").and_then(|()| stdin.flush());
        std::thread::sleep(delay);
        if told.is_err() || child.try_wait().unwrap().is_some() {
            let _ = child.kill();
            let status = child.wait().unwrap();
            let mut stderr = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut stderr)
                .unwrap();
            panic!("the child stopped by itself ({status}, ready: {ready}): {stderr}");
        }
        // SIGKILL on Unix.
        child.kill().unwrap();
        child.wait().unwrap();
        let files = listing(&saved);
        if files.len() > 2 {
            leftovers += 1;
        }
        match check(&saved, &expected) {
            Ok(NARROW) => old += 1,
            Ok(_) => {
                new += 1;
                // The good save for the next kill, over whatever this one left.
                narrow.save(&saved).unwrap();
                assert_eq!(check(&saved, &expected), Ok(NARROW));
            }
            Err(err) if err.contains("other parameters") => {
                wrong += 1;
                eprintln!("kill {kill} after {delay:?}: {err}; files {files:?}");
            }
            Err(err) => {
                lost += 1;
                eprintln!("kill {kill} after {delay:?}: {err}; files {files:?}");
                narrow.save(&saved).unwrap();
            }
        }
    }
    assert_eq!(
        listing(&saved),
        ["model.json", "model.mpk"],
        "a save cleans up"
    );
    println!(
        "kills: {KILLS}, saves lost: {lost}, wrong loads: {wrong} (old model: {old}, new model: {new}, \
         leftovers of the killed save: {leftovers}; a wide save takes {save_time:.2?}; {:.1?} in all)",
        started.elapsed()
    );
    assert_eq!((lost, wrong), (0, 0));
}

#[test]
fn a_changed_or_cut_save_is_an_error_in_plain_words() {
    let dir = tempfile::tempdir().unwrap();
    build(NARROW).save(dir.path()).unwrap();
    let weights = dir.path().join("model.mpk");
    let good = std::fs::read(&weights).unwrap();
    let load = || {
        declaration(NARROW, 1)
            .load::<DefaultBackend>(dir.path(), &Default::default())
            .unwrap_err()
            .to_string()
    };

    // Eight flipped bytes among the parameters.
    let mut flipped = good.clone();
    for i in 0..8 {
        flipped[good.len() / 2 + 97 * i] ^= 0x01;
    }
    std::fs::write(&weights, &flipped).unwrap();
    assert_eq!(
        load(),
        format!(
            "`{}` is corrupt: its checksum does not match the manifest (the file was changed or cut after saving)",
            weights.display()
        )
    );

    std::fs::write(&weights, &good[..good.len() - 1000]).unwrap();
    let err = load();
    assert_eq!(
        err,
        format!(
            "`{}` is corrupt: it holds {} bytes but the manifest says {} (the file was cut or changed after saving)",
            weights.display(),
            good.len() - 1000,
            good.len()
        )
    );
    assert!(!err.contains("record-backward-compat"));

    std::fs::remove_file(&weights).unwrap();
    let err = load();
    assert!(
        err.starts_with(&format!("cannot read `{}`: ", weights.display())),
        "{err}"
    );

    std::fs::write(&weights, &good).unwrap();
    let loaded = declaration(NARROW, 1)
        .load::<DefaultBackend>(dir.path(), &Default::default())
        .unwrap();
    assert_eq!(parameters(&loaded), parameters(&build(NARROW)));
}

#[test]
fn a_save_of_another_width_names_the_component_the_parameter_and_both_shapes() {
    let dir = tempfile::tempdir().unwrap();
    digits_mlp(training(1))
        .build::<DefaultBackend>(&Default::default())
        .unwrap()
        .save(dir.path())
        .unwrap();
    let wider = ModelBuilder::new("DigitsMlp")
        .add("images", DataSettings::digits(Digits::Images), &[])
        .add("labels", DataSettings::digits(Digits::Labels), &[])
        .add(
            "hidden",
            DenseSettings::new(48, Activation::Relu),
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
                training: training(1),
            },
            &["fc", "labels"],
        );
    let err = wider
        .load::<DefaultBackend>(dir.path(), &Default::default())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "cannot load `{}`: component `hidden` differs: parameter `linear.weight` of `hidden` (DeepLearningDense_Dense_1) has shape [64, 32] in the save but [64, 48] in this model",
            dir.path().display()
        )
    );
}

#[test]
fn a_directory_without_a_save_says_which_file_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let err = digits_mlp(training(1))
        .load::<DefaultBackend>(dir.path(), &Default::default())
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        format!(
            "cannot read `{}`: No such file or directory (os error 2)",
            dir.path().join("model.json").display()
        )
    );
}
