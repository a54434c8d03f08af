//! The rules of a model's graph, apart from shapes: names, inputs, cycles, unused components,
//! the Training component.
//!
//! The runtime's `ModelBuilder` and the `model!` macro both wire entries with [`wire`], which
//! reports every independent problem at once (the macro shows them all in one build).

use thiserror::Error;

use crate::written::closest;

/// A problem with how the components are named or wired. `entry` is the index of the entry
/// to point at.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum WiringError {
    /// Two components with the same instance name.
    #[error("two components are named `{name}`; give each component its own name")]
    DuplicateName {
        /// The name.
        name: String,
        /// The second entry with that name.
        entry: usize,
    },

    /// An input that names no component.
    #[error("`{component}` takes input `{input}`, but no component is named `{input}`{hint}")]
    UnknownInput {
        /// The component.
        component: String,
        /// The missing input.
        input: String,
        /// A suggestion (`; did you mean `images`?`), or nothing.
        hint: String,
        /// The entry of the component.
        entry: usize,
        /// The position of the input in its list.
        position: usize,
    },

    /// Components that feed each other in a loop.
    #[error("the components {} feed each other in a cycle; a model's graph must not loop", cycle.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(" -> "))]
    Cycle {
        /// The components on the cycle, in order, the first repeated at the end.
        cycle: Vec<String>,
        /// The entry of the first component on the cycle.
        entry: usize,
    },

    /// A component whose output nobody uses.
    #[error("`{component}` feeds nothing; connect it to a component, or remove it")]
    Unused {
        /// The component.
        component: String,
        /// Its entry.
        entry: usize,
    },

    /// A model without exactly one Training component.
    #[error("a model needs exactly one Training component (Classification or Regression), found {}{}", found.len(), if found.is_empty() { String::new() } else { format!(": {}", found.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")) })]
    TrainingCount {
        /// The Training components found.
        found: Vec<String>,
        /// The second one's entry, if there are several.
        entry: Option<usize>,
    },
}

/// How checked entries are wired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wiring {
    /// For each entry, the indices of its inputs, in order.
    pub inputs: Vec<Vec<usize>>,
    /// For each entry, the indices of the entries it feeds.
    pub consumers: Vec<Vec<usize>>,
    /// The entries in an order where every input comes before its consumers.
    pub order: Vec<usize>,
    /// The index of the Training component.
    pub training: usize,
}

/// Wires entries given by name (`names[i]`), their inputs by name, and which of them are
/// Training components. Returns every problem found; a cycle is looked for only once every
/// input resolves.
pub fn wire(
    names: &[&str],
    inputs: &[Vec<&str>],
    trains: &[bool],
) -> Result<Wiring, Vec<WiringError>> {
    let mut errors = Vec::new();
    for (entry, name) in names.iter().enumerate() {
        if names[..entry].contains(name) {
            errors.push(WiringError::DuplicateName {
                name: name.to_string(),
                entry,
            });
        }
    }
    let mut resolved = Vec::with_capacity(names.len());
    for (entry, wanted) in inputs.iter().enumerate() {
        let mut indices = Vec::with_capacity(wanted.len());
        for (position, input) in wanted.iter().enumerate() {
            match names.iter().position(|n| n == input) {
                Some(index) => indices.push(index),
                None => errors.push(WiringError::UnknownInput {
                    component: names[entry].to_string(),
                    input: input.to_string(),
                    hint: closest(input, names)
                        .map_or(String::new(), |c| format!("; did you mean `{c}`?")),
                    entry,
                    position,
                }),
            }
        }
        resolved.push(indices);
    }
    let trainers: Vec<usize> = (0..names.len()).filter(|&i| trains[i]).collect();
    if trainers.len() != 1 {
        errors.push(WiringError::TrainingCount {
            found: trainers.iter().map(|&i| names[i].to_string()).collect(),
            entry: trainers.get(1).copied(),
        });
    }
    let mut consumers = vec![Vec::new(); names.len()];
    for (i, ins) in resolved.iter().enumerate() {
        for &input in ins {
            consumers[input].push(i);
        }
    }
    // An input that names nothing was meant for some component: which one feeds nothing
    // cannot be told until it is fixed, and a second entry of a duplicate name is unreachable
    // by name. Both are reported already.
    let unresolved = errors
        .iter()
        .any(|e| matches!(e, WiringError::UnknownInput { .. }));
    for (entry, feeds) in consumers.iter().enumerate() {
        let duplicate = names[..entry].contains(&names[entry]);
        if !trains[entry] && feeds.is_empty() && !duplicate && !unresolved {
            errors.push(WiringError::Unused {
                component: names[entry].to_string(),
                entry,
            });
        }
    }
    // A cycle is looked for once every name resolves to one entry.
    let resolvable = !errors.iter().any(|e| {
        matches!(
            e,
            WiringError::UnknownInput { .. } | WiringError::DuplicateName { .. }
        )
    });
    let mut order = Vec::new();
    if resolvable {
        match topological_order(names, &resolved) {
            Ok(sorted) => order = sorted,
            Err(cycle) => errors.push(cycle),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Wiring {
        inputs: resolved,
        consumers,
        order,
        training: trainers[0],
    })
}

/// Kahn's algorithm; on a cycle, reports the components on it in order.
fn topological_order(names: &[&str], inputs: &[Vec<usize>]) -> Result<Vec<usize>, WiringError> {
    let n = names.len();
    let mut missing: Vec<usize> = inputs.iter().map(Vec::len).collect();
    let mut order: Vec<usize> = (0..n).filter(|&i| missing[i] == 0).collect();
    let mut next = 0;
    while next < order.len() {
        let done = order[next];
        next += 1;
        for consumer in 0..n {
            for _ in inputs[consumer].iter().filter(|&&i| i == done) {
                missing[consumer] -= 1;
                if missing[consumer] == 0 {
                    order.push(consumer);
                }
            }
        }
    }
    if order.len() == n {
        return Ok(order);
    }
    // Walk back along unfinished inputs from an unfinished component until one repeats.
    let mut path = vec![
        (0..n)
            .find(|&i| missing[i] > 0)
            .expect("a component is left"),
    ];
    loop {
        let last = *path.last().expect("path is not empty");
        let back = inputs[last]
            .iter()
            .copied()
            .find(|&i| missing[i] > 0)
            .expect("it waits on one");
        if let Some(start) = path.iter().position(|&p| p == back) {
            let on_cycle: Vec<usize> = path[start..].iter().rev().copied().collect();
            let mut cycle: Vec<String> = on_cycle.iter().map(|&i| names[i].to_string()).collect();
            cycle.push(cycle[0].clone());
            return Err(WiringError::Cycle {
                cycle,
                entry: on_cycle[0],
            });
        }
        path.push(back);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(entries: &[(&str, &[&str], bool)]) -> Result<Wiring, Vec<String>> {
        let names: Vec<&str> = entries.iter().map(|e| e.0).collect();
        let inputs: Vec<Vec<&str>> = entries.iter().map(|e| e.1.to_vec()).collect();
        let trains: Vec<bool> = entries.iter().map(|e| e.2).collect();
        wire(&names, &inputs, &trains)
            .map_err(|errors| errors.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn orders_inputs_first() {
        let w = check(&[
            ("train", &["fc", "y"], true),
            ("fc", &["x"], false),
            ("y", &[], false),
            ("x", &[], false),
        ])
        .unwrap();
        let at = |i| w.order.iter().position(|&o| o == i).unwrap();
        assert!(at(3) < at(1) && at(1) < at(0) && at(2) < at(0));
        assert_eq!(
            (w.training, w.inputs[0].clone(), w.consumers[3].clone()),
            (0, vec![1, 2], vec![1])
        );
    }

    #[test]
    fn reports_every_problem_at_once() {
        let errors = check(&[
            ("x", &[], false),
            ("x", &[], false),
            ("fc", &["imgaes"], false),
            ("spare", &["x"], false),
            ("train", &["fc", "x"], true),
            ("train2", &["fc", "x"], true),
        ])
        .unwrap_err();
        assert_eq!(
            errors,
            [
                "two components are named `x`; give each component its own name",
                "`fc` takes input `imgaes`, but no component is named `imgaes`",
                "a model needs exactly one Training component (Classification or Regression), found 2: `train`, `train2`",
            ]
        );
        // Once every input resolves, components that feed nothing and cycles show together.
        let errors = check(&[
            ("x", &[], false),
            ("spare", &["x"], false),
            ("a", &["b"], false),
            ("b", &["a"], false),
            ("train", &["b", "x"], true),
        ])
        .unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(
            errors[0],
            "`spare` feeds nothing; connect it to a component, or remove it"
        );
        assert!(
            errors[1].contains("feed each other in a cycle"),
            "{errors:?}"
        );
    }

    #[test]
    fn unknown_inputs_suggest_the_closest_name() {
        let errors =
            check(&[("images", &[], false), ("t", &["imagse", "images"], true)]).unwrap_err();
        assert_eq!(
            errors,
            [
                "`t` takes input `imagse`, but no component is named `imagse`; did you mean `images`?"
            ]
        );
    }

    #[test]
    fn a_cycle_names_its_components_in_order() {
        let names = ["x", "a", "b", "t"];
        let inputs = vec![vec![], vec!["b"], vec!["a"], vec!["b", "x"]];
        let errors = wire(&names, &inputs, &[false, false, false, true]).unwrap_err();
        let [WiringError::Cycle { cycle, entry }] = errors.as_slice() else {
            panic!("{errors:?}")
        };
        assert_eq!(cycle.len(), 3);
        assert_eq!(cycle[0], names[*entry]);
        assert!(
            errors[0].to_string().contains("`a` -> `b` -> `a`")
                || errors[0].to_string().contains("`b` -> `a` -> `b`")
        );
    }

    #[test]
    fn needs_exactly_one_training_component() {
        let errors = check(&[("x", &[], false), ("fc", &["x"], false)]).unwrap_err();
        assert!(errors.contains(&"a model needs exactly one Training component (Classification or Regression), found 0".to_string()));
        let names = ["x", "t1", "t2"];
        let errors = wire(
            &names,
            &[vec![], vec!["x", "x"], vec!["x", "x"]],
            &[false, true, true],
        )
        .unwrap_err();
        assert_eq!(
            errors,
            [WiringError::TrainingCount {
                found: vec!["t1".into(), "t2".into()],
                entry: Some(2)
            }]
        );
        assert_eq!(
            errors[0].to_string(),
            "a model needs exactly one Training component (Classification or Regression), found 2: `t1`, `t2`"
        );
    }
}
