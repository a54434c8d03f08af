//! The examples, run the way users run them (with fewer epochs or less data where they are
//! long), so that they cannot rot.

mod common;

#[path = "../../examples/custom_component.rs"]
mod custom_component;
#[path = "../../examples/iris.rs"]
mod iris;
#[path = "../../examples/mnist.rs"]
mod mnist;

#[test]
fn iris_learns_the_three_species() {
    let file = format!("{}/../examples/data/iris.csv", env!("CARGO_MANIFEST_DIR"));
    let accuracy = iris::train(&file).unwrap();
    assert!(accuracy >= 0.9, "validation accuracy {accuracy}");
}

#[test]
fn custom_component_trains_its_gain() {
    let outcome = custom_component::train(3).unwrap();
    assert!(
        outcome.gain_moved > 0.05,
        "gains moved by {}",
        outcome.gain_moved
    );
    assert!(
        outcome.accuracy >= 0.8,
        "validation accuracy {}",
        outcome.accuracy
    );
    assert_eq!(
        outcome.classes,
        ["CustomGain_Gain_1", "CustomBlendPool_BlendPool_1"]
    );
    assert!(
        outcome.code.contains("x * self.gain.val().unsqueeze()"),
        "{}",
        outcome.code
    );
}

/// An IDX file of `count` elements of `dims`, u8 values from `value`.
fn idx(path: &std::path::Path, dims: &[u32], value: impl Fn(usize) -> u8) {
    let count = dims[0] as usize;
    let size: usize = dims[1..].iter().map(|&d| d as usize).product();
    let mut bytes = vec![0, 0, 0x08, dims.len() as u8];
    for d in dims {
        bytes.extend(d.to_be_bytes());
    }
    bytes.extend((0..count * size).map(value));
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn mnist_reads_a_directory_of_idx_files_trains_and_evaluates() {
    // A small stand-in for MNIST with the same layout: a bright square whose row says the label.
    let dir = tempfile::tempdir().unwrap();
    for (name, count) in [("train", 300u32), ("t10k", 60)] {
        let label = |i: usize| (i % 10) as u8;
        idx(
            &dir.path().join(format!("{name}-labels-idx1-ubyte.gz")),
            &[count],
            label,
        );
        idx(
            &dir.path().join(format!("{name}-images-idx3-ubyte.gz")),
            &[count, 28, 28],
            |p| {
                let (i, pixel) = (p / 784, p % 784);
                let (row, column) = (pixel / 28, pixel % 28);
                if row / 2 == label(i) as usize && column < 8 {
                    255
                } else {
                    0
                }
            },
        );
    }
    let (validation, test) = mnist::train(dir.path(), 3).unwrap();
    assert!(
        validation > 0.8 && test > 0.8,
        "validation {validation}, test {test}"
    );
}
