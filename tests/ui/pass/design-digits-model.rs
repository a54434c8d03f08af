use percept::prelude::*;

model! {
    /// Classifies the 8x8 handwritten digits that ship with percept.
    pub DigitClassifier {
        images:  Data { source: Digits::Images },
        labels:  Data { source: Digits::Labels },
        reshape: Reshape { shape: [8, 8, 1] }                      <- images,
        conv:    Conv { filters: 16, kernel: 3, activation: Relu } <- reshape,
        pool:    MaxPool { size: 2 }                               <- conv,
        flat:    Flatten                                           <- pool,
        fc:      Dense { units: 10, activation: Softmax }          <- flat,
        train:   Classification { epochs: 30, batch_size: 32,
                                  optimizer: Adam { learning_rate: 0.001 } } <- (fc, labels),
    }
}

fn main() {
    // The generated names can be used without noise.
    let _: Option<digit_classifier::ProcessReshape_Reshape_1<DefaultBackend>> = None;
    let _ = DigitClassifier::<DefaultBackend>::new;
}
