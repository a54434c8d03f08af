//! Custom components (`#[component]`) inside models: the interface they get, training, saving,
//! and use across crates (`Join` comes from this package's library, `Gain` is local).

mod common;

use percept::catalogue::Settings;
use percept::prelude::*;
use percept_tests::layers::{Join, JoinSettings, Linear, LinearSettings};

// The model comes before the component it uses: `model!` finds it wherever it is in scope.
model! {
    /// Digits through a local custom component and one from another crate.
    pub Joined {
        images: Data { source: Digits::Images },
        labels: Data { source: Digits::Labels },
        gain:   Gain                                        <- images,
        other:  Dense { units: 16, activation: Relu }       <- images,
        join:   Join { scale: 2 }                           <- (gain, other),
        fc:     Dense { units: 10, activation: Softmax }    <- join,
        train:  Classification { epochs: 3, batch_size: 64,
                                 optimizer: Adam { learning_rate: 0.01 } } <- (fc, labels),
    }
}

/// Multiplies every feature by a learned gain.
#[component(shape = [n] -> [n])]
pub struct Gain<B: Backend> {
    #[weight]
    gain: Param<Tensor<B, 1>>,
}

impl<B: Backend> Gain<B> {
    /// Gains start at 1.
    pub fn init(input: [usize; 1], device: &B::Device) -> Self {
        Self {
            gain: Param::from_tensor(Tensor::ones([input[0]], device)),
        }
    }

    /// `x * gain`, feature by feature.
    pub fn call(&self, x: Tensor<B, 2>, _is_training: bool) -> Tensor<B, 2> {
        x * self.gain.val().unsqueeze()
    }
}

fn quiet(model: &Joined<TrainingBackend>) {
    model.set_progress(Progress::Hidden);
}

#[test]
fn custom_components_get_the_whole_interface() {
    let model = Joined::<TrainingBackend>::new(&Default::default());
    assert_eq!(model.gain.class_name(), "CustomGain_Gain_1");
    assert_eq!(model.join.class_name(), "CustomJoin_Join_1");
    assert_eq!(
        <joined::CustomJoin_Join_1<TrainingBackend> as Component<TrainingBackend>>::CATEGORY,
        "Custom"
    );
    assert_eq!(
        <joined::CustomJoin_Join_1<TrainingBackend> as Component<TrainingBackend>>::TYPE,
        "Join"
    );
    assert_eq!(model.join.name(), "Join_1");

    assert_eq!(model.gain.weights().keys().collect::<Vec<_>>(), ["gain"]);
    assert!(model.gain.biases().is_empty());
    assert_eq!(model.join.weights()["weight"].shape.to_vec(), vec![80]);
    assert_eq!(
        model.join.biases()["bias"].to_vec::<f32>().unwrap(),
        vec![0.0; 80]
    );
    assert_eq!(
        model.join.trainable_variables().keys().collect::<Vec<_>>(),
        ["bias", "weight"]
    );
    assert!(model.join.get_sample().is_none());

    model.preview().unwrap();
    let sample = model.join.get_sample().unwrap();
    assert_eq!(sample.shape.to_vec(), vec![80]);
    // The first 64 values are the first image times 2 (`scale: 2`, gains of 1).
    let image = model.images.get_sample().unwrap().to_vec::<f32>().unwrap();
    let joined = sample.to_vec::<f32>().unwrap();
    for (x, y) in image.iter().zip(&joined) {
        assert!((2.0 * x - y).abs() < 1e-6, "{x} -> {y}");
    }
    assert!(model.join.variables().contains_key("output"));

    let code = model.join.code();
    assert!(
        code.starts_with("// `join`: Join { scale: 2.0 }, shape [a], [b] -> [a + b]"),
        "{code}"
    );
    assert!(
        code.contains("pub struct Join<B: Backend>") && code.contains("pub fn call("),
        "{code}"
    );
    assert!(
        code.contains("/// Weights start at 1 and biases at 0"),
        "{code}"
    );
}

#[test]
fn the_typed_forward_runs_the_users_call_with_the_models_settings() {
    let model = Joined::<DefaultBackend>::new(&Default::default());
    let device = Default::default();
    let left = Tensor::<DefaultBackend, 2>::ones([2, 64], &device);
    let right = Tensor::<DefaultBackend, 2>::full([2, 16], 3.0, &device);
    // Weights of 1 and biases of 0: a concatenation, times `scale: 2`.
    let out: Tensor<DefaultBackend, 2> = model.join.forward(left.clone(), right, false);
    assert_eq!(out.dims(), [2, 80]);
    let row = out.into_data().to_vec::<f32>().unwrap()[..80].to_vec();
    assert_eq!(row[..64], [2.0; 64]);
    assert_eq!(row[64..], [6.0; 16]);
    let gain: Tensor<DefaultBackend, 2> = model.gain.forward(left, false);
    assert_eq!(gain.into_data().to_vec::<f32>().unwrap(), vec![1.0; 128]);
}

#[test]
fn training_updates_custom_parameters_and_captures_their_gradients() {
    let mut model = Joined::<TrainingBackend>::new(&Default::default());
    quiet(&model);
    let before = model.join.weights()["weight"].to_vec::<f32>().unwrap();
    let report = model.run().unwrap();
    let after = model.join.weights()["weight"].to_vec::<f32>().unwrap();
    let moved = before.iter().zip(&after).filter(|(a, b)| a != b).count();
    assert!(moved > 40, "only {moved} of 80 weights moved");
    assert!(
        model.gain.weights()["gain"]
            .to_vec::<f32>()
            .unwrap()
            .iter()
            .any(|g| *g != 1.0)
    );
    assert_eq!(
        model.join.gradients().keys().collect::<Vec<_>>(),
        ["bias", "weight"]
    );
    assert_eq!(model.gain.gradients()["gain"].shape.to_vec(), vec![64]);
    let last = report.last().unwrap();
    assert!(last.accuracy_validation > 0.8, "{last:?}");
}

#[test]
fn saved_custom_parameters_load_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut model = Joined::<TrainingBackend>::new(&Default::default());
    quiet(&model);
    model.run_with(common::training(1)).unwrap();
    model.save(dir.path()).unwrap();
    let loaded = Joined::<DefaultBackend>::load(dir.path(), &Default::default()).unwrap();
    assert_eq!(loaded.join.weights(), model.join.weights());
    assert_eq!(loaded.gain.weights(), model.gain.weights());
    let json = std::fs::read_to_string(dir.path().join("model.json")).unwrap();
    assert!(json.contains("\"[a], [b] -> [a + b]\""), "{json}");
}

/// Digits, a Dense `hidden` of 8, then `join` as `add_join` adds it, a softmax `fc` on it and
/// a Classification.
fn around_join(add_join: impl FnOnce(ModelBuilder) -> ModelBuilder) -> ModelBuilder {
    let start = ModelBuilder::new("Built")
        .add("images", DataSettings::digits(Digits::Images), &[])
        .add("labels", DataSettings::digits(Digits::Labels), &[])
        .add(
            "hidden",
            DenseSettings::new(8, Activation::Relu),
            &["images"],
        );
    add_join(start)
        .add("fc", DenseSettings::new(10, Activation::Softmax), &["join"])
        .add(
            "train",
            ClassificationSettings::default(),
            &["fc", "labels"],
        )
}

#[test]
fn the_builder_takes_custom_components_for_one_backend() {
    type B = DefaultBackend;
    let builder = || {
        around_join(|b| {
            b.add_custom::<B, _>("join", JoinSettings { scale: 0.5 }, &["images", "hidden"])
        })
    };
    let model = builder().build::<B>(&Default::default()).unwrap();
    let join = model.component("join").unwrap();
    assert_eq!(join.class_name(), "CustomJoin_Join_1");
    assert_eq!(model.plan().entries[3].output.shape, Shape::from([72]));
    assert!(model.summary().to_string().contains("CustomJoin_Join_1"));

    let err = builder()
        .build::<TrainingBackend>(&Default::default())
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("the custom component `join` was added for the backend"),
        "{err}"
    );

    // The catalogue's record of a custom component is not enough to build one.
    let record = Settings::Custom(percept::catalogue::CustomSettings {
        type_name: "Join".into(),
        signature: "[a], [b] -> [a + b]".parse().unwrap(),
        values: vec![],
        sizes: vec![],
    });
    let err = around_join(|b| b.add("join", record, &["images", "hidden"]))
        .build::<B>(&Default::default())
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("`join` has the settings of a custom component, but no code"),
        "{err}"
    );

    let err = around_join(|b| b.add_custom::<B, _>("join", JoinSettings::default(), &["hidden"]))
        .check()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "`join` (Join) takes 2 inputs (`[a], [b] -> [a + b]`), but 1 is given; wire `join` as `<- (a, b)` with one input per list before `->`"
    );
}

model! {
    /// A custom component sized by a setting, as the prediction.
    pub Linear2 {
        images: Data { source: Digits::Images },
        labels: Data { source: Digits::Labels },
        hidden: Linear { units: 32 }                     <- images,
        out:    Linear                                   <- hidden,
        train:  Classification { epochs: 8, batch_size: 32,
                                 optimizer: Adam { learning_rate: 0.01 } } <- (out, labels),
    }
}

#[test]
fn a_setting_sizes_the_output_and_the_parameters() {
    let model = Linear2::<TrainingBackend>::new(&Default::default());
    model.set_progress(Progress::Hidden);
    let shapes: Vec<String> = model
        .model()
        .plan()
        .entries
        .iter()
        .map(|e| e.output.shape.to_string())
        .collect();
    assert_eq!(shapes, ["[64]", "[]", "[32]", "[10]", "[]"]);
    assert_eq!(
        model.hidden.weights()["weight"].shape.to_vec(),
        vec![64, 32]
    );
    assert_eq!(model.out.weights()["weight"].shape.to_vec(), vec![32, 10]);
    assert!(
        model
            .out
            .code()
            .starts_with("// `out`: Linear { units: 10 }, shape [n] -> [units]")
    );
    let mut model = model;
    let report = model.run().unwrap();
    let last = report.last().unwrap();
    assert!(last.accuracy_validation > 0.9, "{last:?}");

    // The builder gets the size from the settings struct, and checks it.
    let builder = |units| {
        ModelBuilder::new("B")
            .add("images", DataSettings::digits(Digits::Images), &[])
            .add("labels", DataSettings::digits(Digits::Labels), &[])
            .add_custom::<DefaultBackend, _>("out", LinearSettings { units }, &["images"])
            .add(
                "train",
                ClassificationSettings::default(),
                &["out", "labels"],
            )
    };
    assert!(
        builder(10)
            .build::<DefaultBackend>(&Default::default())
            .is_ok()
    );
    assert_eq!(
        builder(0).check().unwrap_err().to_string(),
        "`out` (Linear): `units` sizes the shape `[n] -> [units]`, so it must be a whole number of at least 1, not 0"
    );
    assert!(
        builder(8).check().unwrap_err().to_string().starts_with(
            "`train` (Classification) gets predictions `out` of width 8 but labels `labels` with 10 classes"
        )
    );
}

/// Which way `Knobs` leans.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Lean {
    /// To the left.
    #[default]
    Left,
    /// To the right.
    Right,
}

/// Passes its input on; its settings are of every kind `model!` can write.
#[component(shape = [n] -> [n])]
pub struct Knobs<B: Backend> {
    #[setting]
    flag: bool,
    #[setting(default = "mean")]
    mode: String,
    #[setting]
    picks: Vec<usize>,
    #[setting(default = -2)]
    offset: i32,
    #[setting]
    lean: Lean,
    backend: std::marker::PhantomData<B>,
}

impl<B: Backend> Knobs<B> {
    /// Settings arrive after `init`.
    pub fn init(_input: [usize; 1], _device: &B::Device) -> Self {
        Self {
            flag: false,
            mode: String::new(),
            picks: Vec::new(),
            offset: 0,
            lean: Lean::Left,
            backend: std::marker::PhantomData,
        }
    }

    /// The input, unchanged; fails if the settings did not arrive.
    pub fn call(&self, x: Tensor<B, 2>, _is_training: bool) -> Tensor<B, 2> {
        assert!(self.flag && self.mode == "max" && self.picks == [1, 2]);
        assert!(self.offset == -3 && self.lean == Lean::Right);
        x
    }
}

mod renamed {
    pub use percept_tests::layers::Join as Combine;
}

model! {
    /// Settings of every kind, and a component imported under another name.
    pub Knobbed {
        images: Data { source: Digits::Images },
        labels: Data { source: Digits::Labels },
        knobs:  Knobs { flag: true, mode: "max", picks: [1, 2], offset: -3, lean: Lean::Right } <- images,
        both:   renamed::Combine                           <- (knobs, images),
        fc:     Dense { units: 10, activation: Softmax }   <- both,
        train:  Classification                             <- (fc, labels),
    }
}

#[test]
fn settings_of_every_kind_reach_the_component() {
    let model = Knobbed::<DefaultBackend>::new(&Default::default());
    model.preview().unwrap();
    let code = model.knobs.code();
    assert!(
        code.starts_with(
            "// `knobs`: Knobs { flag: true, mode: \"max\", picks: [1, 2], offset: -3, lean: Right }"
        ),
        "{code}"
    );
    // A component imported under another name keeps its own.
    assert_eq!(model.both.class_name(), "CustomJoin_Join_1");
    let _: Option<knobbed::CustomJoin_Join_1<DefaultBackend>> = None;
    assert_eq!(
        <knobbed::CustomJoin_Join_1<DefaultBackend> as Component<DefaultBackend>>::TYPE,
        "Join"
    );
}

/// Records whether it last ran with autodiff.
#[component(shape = [n] -> [n])]
pub struct Spy<B: Backend> {
    #[weight]
    gain: Param<Tensor<B, 1>>,
}

/// Whether a `Spy` last ran on an autodiff backend.
static SPY_SAW_AUTODIFF: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);

impl<B: Backend> Spy<B> {
    /// Gains start at 1.
    pub fn init(input: [usize; 1], device: &B::Device) -> Self {
        Self {
            gain: Param::from_tensor(Tensor::ones([input[0]], device)),
        }
    }

    /// `x * gain`, noting the backend.
    pub fn call(&self, x: Tensor<B, 2>, _is_training: bool) -> Tensor<B, 2> {
        let autodiff = B::ad_enabled(&x.device());
        SPY_SAW_AUTODIFF.store(autodiff, std::sync::atomic::Ordering::SeqCst);
        x * self.gain.val().unsqueeze()
    }
}

model! {
    /// Digits through a component that notes its backend.
    pub Watched {
        images: Data { source: Digits::Images },
        labels: Data { source: Digits::Labels },
        spy:    Spy                                         <- images,
        fc:     Dense { units: 10, activation: Softmax }    <- spy,
        train:  Classification { epochs: 1 } <- (fc, labels),
    }
}

#[test]
fn previews_and_predictions_record_no_autodiff_graph() {
    use std::sync::atomic::Ordering;
    let model = Watched::<TrainingBackend>::new(&Default::default());
    let seen = || SPY_SAW_AUTODIFF.swap(true, Ordering::SeqCst);
    model.preview().unwrap();
    assert!(!seen(), "preview ran on the bare backend");
    let element = TensorData::new(vec![0.5f32; 64], [1, 64]);
    model.predict(element).unwrap();
    assert!(!seen(), "predict ran on the bare backend");
}
