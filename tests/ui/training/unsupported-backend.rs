// `model!`'s methods run on the backends percept compiled its operations for: an autodiff
// backend other than `TrainingBackend`'s (here, NdArray on f64) is named in the error, with
// what to use instead.
use percept::burn::backend::{Autodiff, NdArray};
use percept::prelude::*;

model! {
    pub Digits64 {
        images: Data { source: Digits::Images },
        labels: Data { source: Digits::Labels },
        fc:     Dense { units: 10, activation: Softmax } <- images,
        train:  Classification                           <- (fc, labels),
    }
}

fn main() {
    let mut model = Digits64::<Autodiff<NdArray<f64>>>::new(&Default::default());
    let _ = model.run();
}
