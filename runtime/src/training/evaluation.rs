//! The test view: what `evaluate()` measures on the test set, beyond the loss.
//!
//! For classification, the figures of scikit-learn's `classification_report` (per-class
//! precision, recall, F1 and support, their macro and weighted averages, the accuracy), the
//! confusion matrix, the most frequent confusions and the worst-classified elements; for
//! regression, MAE, RMSE, R² and the residuals. The figures follow scikit-learn's conventions:
//! a ratio whose denominator is 0 counts as 0, and the averages run over the classes that occur
//! in the labels or the predictions.

use std::fmt;

/// How many worst-classified elements and most frequent confusions a report keeps.
pub const WORST_KEPT: usize = 10;

/// Precision, recall, F1 and support of one class, or their average over the classes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClassScores {
    /// Of the elements predicted as the class, the fraction that are.
    pub precision: f64,
    /// Of the elements of the class, the fraction predicted as it.
    pub recall: f64,
    /// The harmonic mean of precision and recall.
    pub f1: f64,
    /// The number of elements of the class (for an average: of all the classes averaged).
    pub support: usize,
}

/// One kind of mistake: elements of class `label` predicted as `predicted`, `count` times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Confusion {
    /// The true class.
    pub label: usize,
    /// The class predicted.
    pub predicted: usize,
    /// How many test elements.
    pub count: usize,
}

/// A test element the model classifies worst: among those of the highest loss.
#[derive(Debug, Clone, PartialEq)]
pub struct Misclassified {
    /// Its index in the test set.
    pub element: usize,
    /// Its true class.
    pub label: usize,
    /// The class predicted (the most probable).
    pub predicted: usize,
    /// Its loss: minus the log of the probability given to its true class.
    pub loss: f32,
    /// The probability of each class.
    pub probabilities: Vec<f32>,
    /// The values of its input (the model's first Data component that is not the labels).
    pub input: Vec<f32>,
    /// That input as the training view draws it.
    pub preview: Option<super::preview::Preview>,
}

/// The test view of a classifier.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassificationReport {
    /// `confusion[label][predicted]`: how many test elements of class `label` were predicted
    /// as `predicted`.
    pub confusion: Vec<Vec<usize>>,
    /// The scores of each class, by class index.
    pub classes: Vec<ClassScores>,
    /// The unweighted mean of the classes' scores.
    pub macro_average: ClassScores,
    /// The mean of the classes' scores weighted by their support.
    pub weighted_average: ClassScores,
    /// The fraction of elements predicted right.
    pub accuracy: f64,
    /// The most frequent mistakes, most frequent first (at most [`WORST_KEPT`]).
    pub confusions: Vec<Confusion>,
    /// The elements of highest loss, highest first (at most [`WORST_KEPT`]).
    pub worst: Vec<Misclassified>,
}

/// The test view of a regression.
#[derive(Debug, Clone, PartialEq)]
pub struct RegressionReport {
    /// The mean absolute error.
    pub mae: f64,
    /// The root of the mean squared error.
    pub rmse: f64,
    /// The coefficient of determination: 1 minus the squared error over the targets' variance.
    pub r2: f64,
    /// Each predicted value minus its target, element after element.
    pub residuals: Vec<f32>,
    /// The predicted values, element after element.
    pub predicted: Vec<f32>,
}

impl ClassificationReport {
    /// The report of `predicted` against `labels` (class indices below `classes`), without
    /// worst elements.
    pub fn from_predictions(labels: &[usize], predicted: &[usize], classes: usize) -> Self {
        assert_eq!(labels.len(), predicted.len(), "one prediction per label");
        let mut confusion = vec![vec![0; classes]; classes];
        for (&label, &p) in labels.iter().zip(predicted) {
            confusion[label][p] += 1;
        }
        let scores: Vec<ClassScores> = (0..classes)
            .map(|c| {
                let tp = confusion[c][c] as f64;
                let support: usize = confusion[c].iter().sum();
                let predicted_as: usize = confusion.iter().map(|row| row[c]).sum();
                let precision = ratio(tp, predicted_as as f64);
                let recall = ratio(tp, support as f64);
                ClassScores {
                    precision,
                    recall,
                    f1: ratio(2.0 * precision * recall, precision + recall),
                    support,
                }
            })
            .collect();
        // scikit-learn averages over the classes that occur in the labels or the predictions.
        let occurring: Vec<&ClassScores> = (0..classes)
            .filter(|&c| scores[c].support > 0 || confusion.iter().any(|row| row[c] > 0))
            .map(|c| &scores[c])
            .collect();
        let total: usize = labels.len();
        let average = |weight: &dyn Fn(&ClassScores) -> f64| {
            let weights: f64 = occurring.iter().map(|s| weight(s)).sum();
            let mean = |score: fn(&ClassScores) -> f64| {
                ratio(
                    occurring.iter().map(|s| weight(s) * score(s)).sum(),
                    weights,
                )
            };
            ClassScores {
                precision: mean(|s| s.precision),
                recall: mean(|s| s.recall),
                f1: mean(|s| s.f1),
                support: total,
            }
        };
        let macro_average = average(&|_| 1.0);
        let weighted_average = average(&|s| s.support as f64);
        let right: usize = (0..classes).map(|c| confusion[c][c]).sum();
        let mut confusions: Vec<Confusion> = (0..classes)
            .flat_map(|label| (0..classes).map(move |p| (label, p)))
            .filter(|&(label, p)| label != p && confusion[label][p] > 0)
            .map(|(label, predicted)| Confusion {
                label,
                predicted,
                count: confusion[label][predicted],
            })
            .collect();
        confusions.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then((a.label, a.predicted).cmp(&(b.label, b.predicted)))
        });
        confusions.truncate(WORST_KEPT);
        ClassificationReport {
            confusion,
            classes: scores,
            macro_average,
            weighted_average,
            accuracy: ratio(right as f64, total as f64),
            confusions,
            worst: Vec::new(),
        }
    }

    /// The report of the class probabilities `probabilities` (`labels.len()` rows of
    /// `classes`), keeping the [`WORST_KEPT`] elements of highest loss with their input,
    /// which `input` gives by element index.
    pub fn from_probabilities(
        labels: &[usize],
        probabilities: &[f32],
        classes: usize,
        input: impl Fn(usize) -> Vec<f32>,
    ) -> Self {
        let rows: Vec<&[f32]> = probabilities.chunks(classes).collect();
        let predicted: Vec<usize> = rows.iter().map(|row| argmax(row)).collect();
        let mut report = Self::from_predictions(labels, &predicted, classes);
        let loss = |i: usize| -rows[i][labels[i]].max(1e-7).ln();
        let mut order: Vec<usize> = (0..labels.len()).collect();
        order.sort_by(|&a, &b| loss(b).total_cmp(&loss(a)).then(a.cmp(&b)));
        report.worst = order
            .into_iter()
            .take(WORST_KEPT)
            .map(|element| Misclassified {
                element,
                label: labels[element],
                predicted: predicted[element],
                loss: loss(element),
                probabilities: rows[element].to_vec(),
                input: input(element),
                preview: None,
            })
            .collect();
        report
    }
}

impl RegressionReport {
    /// The report of `predicted` against `targets`, value by value.
    pub fn new(predicted: &[f32], targets: &[f32]) -> Self {
        assert_eq!(predicted.len(), targets.len(), "one prediction per target");
        let n = targets.len() as f64;
        let residuals: Vec<f32> = predicted.iter().zip(targets).map(|(p, t)| p - t).collect();
        let mae = residuals.iter().map(|r| f64::from(r.abs())).sum::<f64>() / n;
        let squared: f64 = residuals.iter().map(|&r| f64::from(r).powi(2)).sum();
        let mean = targets.iter().map(|&t| f64::from(t)).sum::<f64>() / n;
        let variance: f64 = targets.iter().map(|&t| (f64::from(t) - mean).powi(2)).sum();
        RegressionReport {
            mae,
            rmse: (squared / n).sqrt(),
            // scikit-learn's `r2_score`: 1 when the targets are constant and predicted exactly,
            // 0 when they are constant and not.
            r2: if variance > 0.0 {
                1.0 - squared / variance
            } else if squared == 0.0 {
                1.0
            } else {
                0.0
            },
            residuals,
            predicted: predicted.to_vec(),
        }
    }
}

/// `a / b`, 0 when `b` is 0 (scikit-learn's `zero_division=0`).
fn ratio(a: f64, b: f64) -> f64 {
    if b == 0.0 { 0.0 } else { a / b }
}

/// The index of the largest value (the first of equals).
fn argmax(values: &[f32]) -> usize {
    values
        .iter()
        .enumerate()
        .fold((0, f32::NEG_INFINITY), |best, (i, &v)| {
            if v > best.1 { (i, v) } else { best }
        })
        .0
}

impl fmt::Display for ClassificationReport {
    /// A table as scikit-learn's `classification_report` prints it, then the confusion matrix,
    /// the most frequent confusions and the worst-classified elements; 80 columns for up to
    /// 10 classes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:>14} {:>9} {:>9} {:>9} {:>9}",
            "", "precision", "recall", "f1-score", "support"
        )?;
        for (c, s) in self.classes.iter().enumerate() {
            writeln!(
                f,
                "{c:>14} {:>9.4} {:>9.4} {:>9.4} {:>9}",
                s.precision, s.recall, s.f1, s.support
            )?;
        }
        writeln!(f)?;
        let total = self.macro_average.support;
        writeln!(
            f,
            "{:>14} {:>9} {:>9} {:>9.4} {:>9}",
            "accuracy", "", "", self.accuracy, total
        )?;
        for (name, s) in [
            ("macro avg", &self.macro_average),
            ("weighted avg", &self.weighted_average),
        ] {
            writeln!(
                f,
                "{name:>14} {:>9.4} {:>9.4} {:>9.4} {:>9}",
                s.precision, s.recall, s.f1, s.support
            )?;
        }
        writeln!(f)?;
        writeln!(
            f,
            "confusion matrix (rows: true class, columns: predicted class)"
        )?;
        write!(f, "{:>6}", "")?;
        for c in 0..self.confusion.len() {
            write!(f, "{c:>6}")?;
        }
        writeln!(f)?;
        for (label, row) in self.confusion.iter().enumerate() {
            write!(f, "{label:>6}")?;
            for count in row {
                write!(f, "{count:>6}")?;
            }
            writeln!(f)?;
        }
        if !self.confusions.is_empty() {
            writeln!(f)?;
            writeln!(f, "most frequent confusions:")?;
            for c in &self.confusions {
                writeln!(
                    f,
                    "  {} predicted as {}: {} times",
                    c.label, c.predicted, c.count
                )?;
            }
        }
        if !self.worst.is_empty() {
            writeln!(f)?;
            writeln!(f, "worst-classified test elements:")?;
            for w in &self.worst {
                writeln!(
                    f,
                    "  element {:>6}: label {}, predicted {} (p = {:.3}), loss {:.3}",
                    w.element, w.label, w.predicted, w.probabilities[w.predicted], w.loss
                )?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for RegressionReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "MAE {:.4}, RMSE {:.4}, R² {:.4}",
            self.mae, self.rmse, self.r2
        )?;
        let mut sorted = self.residuals.clone();
        sorted.sort_by(f32::total_cmp);
        if let (Some(low), Some(high)) = (sorted.first(), sorted.last()) {
            let median = sorted[sorted.len() / 2];
            writeln!(
                f,
                "residuals (prediction - target): min {low:.4}, median {median:.4}, max {high:.4}"
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 25 labels of classes 0..4 and predictions that also use class 4 (never a label); class
    /// 5 occurs in neither, so the averages leave it out.
    const LABELS: [usize; 25] = [
        0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 0, 1, 2, 3, 1, 1, 2, 0, 3, 3, 2,
    ];
    const PREDICTED: [usize; 25] = [
        0, 1, 0, 0, 1, 2, 1, 2, 2, 0, 2, 2, 1, 3, 0, 1, 1, 1, 1, 2, 2, 0, 1, 3, 4,
    ];

    fn assert_scores(found: &ClassScores, expected: [f64; 3], support: usize) {
        let found_values = [found.precision, found.recall, found.f1];
        for (f, e) in found_values.iter().zip(expected) {
            assert!((f - e).abs() < 1e-12, "{found:?} vs {expected:?}");
        }
        assert_eq!(found.support, support);
    }

    #[test]
    fn the_figures_are_scikit_learns() {
        // From scikit-learn 1.9.1:
        // classification_report(LABELS, PREDICTED, output_dict=True, zero_division=0) and
        // confusion_matrix(LABELS, PREDICTED, labels=range(6)).
        let report = ClassificationReport::from_predictions(&LABELS, &PREDICTED, 6);
        let expected = [
            (
                [0.8333333333333334, 0.8333333333333334, 0.8333333333333334],
                6,
            ),
            (
                [0.4444444444444444, 0.6666666666666666, 0.5333333333333333],
                6,
            ),
            ([0.7142857142857143, 0.625, 0.6666666666666666], 8),
            ([1.0, 0.4, 0.5714285714285714], 5),
            ([0.0, 0.0, 0.0], 0),
            ([0.0, 0.0, 0.0], 0),
        ];
        for (found, (scores, support)) in report.classes.iter().zip(expected) {
            assert_scores(found, scores, support);
        }
        assert!((report.accuracy - 0.64).abs() < 1e-12);
        assert_scores(
            &report.macro_average,
            [0.5984126984126984, 0.505, 0.5209523809523808],
            25,
        );
        assert_scores(
            &report.weighted_average,
            [0.7352380952380951, 0.64, 0.6556190476190475],
            25,
        );
        assert_eq!(
            report.confusion[..5]
                .iter()
                .map(|row| row[..5].to_vec())
                .collect::<Vec<_>>(),
            [
                [5, 1, 0, 0, 0],
                [0, 4, 2, 0, 0],
                [1, 1, 5, 0, 1],
                [0, 3, 0, 2, 0],
                [0, 0, 0, 0, 0]
            ]
        );
        assert_eq!(
            report.confusions[0],
            Confusion {
                label: 3,
                predicted: 1,
                count: 3
            }
        );
        assert_eq!(report.confusions[1].count, 2);
        let table = report.to_string();
        assert!(
            table.lines().all(|line| line.chars().count() <= 80),
            "{table}"
        );
        assert!(
            table.contains("    macro avg    0.5984    0.5050    0.5210        25"),
            "{table}"
        );
    }

    #[test]
    fn the_worst_elements_are_those_of_highest_loss() {
        let labels = [0, 1, 1];
        let probabilities = [0.9, 0.1, 0.8, 0.2, 0.4, 0.6];
        let report = ClassificationReport::from_probabilities(&labels, &probabilities, 2, |i| {
            vec![i as f32]
        });
        let order: Vec<usize> = report.worst.iter().map(|w| w.element).collect();
        assert_eq!(order, [1, 2, 0]);
        let worst = &report.worst[0];
        assert_eq!(
            (worst.label, worst.predicted, worst.input.clone()),
            (1, 0, vec![1.0])
        );
        assert!((worst.loss - -(0.2f32.ln())).abs() < 1e-6);
    }

    #[test]
    fn regression_figures_are_scikit_learns() {
        // mean_absolute_error, sqrt(mean_squared_error) and r2_score of scikit-learn 1.9.1.
        let targets = [1.5, -0.25, 3.0, 2.0, 0.5, 4.25];
        let predicted = [1.25, 0.0, 2.5, 2.5, 0.75, 3.5];
        let report = RegressionReport::new(&predicted, &targets);
        assert!((report.mae - 0.4166666666666667).abs() < 1e-12);
        assert!((report.rmse - 0.45643546458763845).abs() < 1e-12);
        assert!((report.r2 - 0.9071207430340558).abs() < 1e-12);
        assert_eq!(report.residuals[2], -0.5);
    }
}
