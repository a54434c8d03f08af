//! The shape signature of a custom component, as written in `#[component(shape = ...)]`:
//! one list of dimensions per input, an arrow, and the output's list.
//!
//! ```text
//! [n] -> [n]                      one input, same shape out
//! [h, w, c] -> [h / 2, w / 2, c]  arithmetic on named dimensions
//! [a], [b] -> [a + b]             two inputs
//! [n, 3] -> [n]                   a literal dimension the input must have
//! ```
//!
//! A name stands for whatever size the input has there, and means the same size wherever it
//! appears again (in the same input or another). Sizes are per element: the batch is implicit.
//!
//! ```
//! use percept_catalogue::{Input, Signal, Signature};
//!
//! let halve: Signature = "[h, w, c] -> [h / 2, w / 2, c]".parse().unwrap();
//! let images = Signal::new([8, 8, 3]);
//! let out = halve.infer("half", "Halve", &[Input { name: "images", signal: &images }]);
//! assert_eq!(out.unwrap(), Signal::new([4, 4, 3]));
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::ShapeError;
use crate::shape::{Input, MAX_RANK, Shape, Signal};

/// A shape signature: `[a, b], [c] -> [a + c]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Signature {
    /// One list of dimensions per input, in order.
    pub inputs: Vec<Vec<Dim>>,
    /// The output's dimensions.
    pub output: Vec<Dim>,
}

/// One dimension of a signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dim {
    /// A size written as a number.
    Number(usize),
    /// A named size (`n`), the same wherever the name appears.
    Name(String),
    /// Arithmetic on two dimensions.
    Op(Box<Dim>, Op, Box<Dim>),
}

/// An arithmetic operation between dimensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`, which must divide evenly.
    Div,
}

/// A signature that does not parse or does not make sense, with the offset (in characters of
/// the signature text) of the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SignatureError {
    /// What is wrong and what is expected.
    pub message: String,
    /// Where in the text, in characters from its start.
    pub at: usize,
}

impl Signature {
    /// Every name the signature uses, inputs' and settings' alike, once each.
    pub fn names(&self) -> Vec<&str> {
        let mut names = Vec::new();
        for dim in self.inputs.iter().flatten().chain(&self.output) {
            dim.names(&mut names);
        }
        names.sort_unstable();
        names.dedup();
        names
    }

    /// The names that inputs' dimensions give, where they stand alone (`n` in `[n, 3]`).
    fn input_names(&self) -> Vec<&str> {
        self.inputs
            .iter()
            .flatten()
            .filter_map(|d| match d {
                Dim::Name(n) => Some(n.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The output for these inputs, or why they do not fit. `this` is the instance name and
    /// `type_name` the component's type, for the messages.
    pub fn infer(
        &self,
        this: &str,
        type_name: &str,
        inputs: &[Input<'_>],
    ) -> Result<Signal, ShapeError> {
        self.infer_with(this, type_name, inputs, &[])
    }

    /// [`infer`](Self::infer) for a signature that names settings (see
    /// [`parse_with`](Self::parse_with)): `settings` gives their values.
    pub fn infer_with(
        &self,
        this: &str,
        type_name: &str,
        inputs: &[Input<'_>],
        settings: &[(String, i64)],
    ) -> Result<Signal, ShapeError> {
        let used = self.names();
        let mut given: BTreeMap<&str, usize> = BTreeMap::new();
        for (name, value) in settings {
            if !used.contains(&name.as_str()) {
                continue;
            }
            match usize::try_from(*value) {
                Ok(size) if size >= 1 => {
                    given.insert(name, size);
                }
                _ => {
                    return Err(ShapeError::CustomSetting {
                        component: this.to_string(),
                        type_name: type_name.to_string(),
                        signature: self.to_string(),
                        setting: name.clone(),
                        value: *value,
                    });
                }
            }
        }
        let input_names = self.input_names();
        if let Some(name) = used
            .iter()
            .find(|n| !input_names.contains(n) && !given.contains_key(*n))
        {
            return Err(ShapeError::CustomMissingSetting {
                component: this.to_string(),
                type_name: type_name.to_string(),
                signature: self.to_string(),
                setting: name.to_string(),
            });
        }
        if inputs.len() != self.inputs.len() {
            return Err(ShapeError::CustomArity {
                component: this.to_string(),
                type_name: type_name.to_string(),
                signature: self.to_string(),
                expected: self.inputs.len(),
                found: inputs.len(),
            });
        }
        for (pattern, input) in self.inputs.iter().zip(inputs) {
            if pattern.len() != input.signal.shape.rank() {
                return Err(ShapeError::CustomRank {
                    component: this.to_string(),
                    type_name: type_name.to_string(),
                    pattern: list(pattern),
                    rank: pattern.len(),
                    input: input.name.to_string(),
                    found: input.signal.shape.clone(),
                });
            }
        }
        // Each name takes the size where it first appears; a later appearance must agree.
        let mut sizes: BTreeMap<&str, (usize, &str, &Shape)> = BTreeMap::new();
        for (pattern, input) in self.inputs.iter().zip(inputs) {
            for (dim, &size) in pattern.iter().zip(input.signal.shape.dims()) {
                let Dim::Name(name) = dim else { continue };
                match sizes.get(name.as_str()) {
                    None => {
                        sizes.insert(name, (size, input.name, &input.signal.shape));
                    }
                    Some(&(first, first_input, first_shape)) if first != size => {
                        return Err(ShapeError::CustomName {
                            component: this.to_string(),
                            type_name: type_name.to_string(),
                            signature: self.to_string(),
                            name: name.clone(),
                            first_input: first_input.to_string(),
                            first_shape: first_shape.clone(),
                            first,
                            input: input.name.to_string(),
                            found: input.signal.shape.clone(),
                            size,
                        });
                    }
                    Some(_) => {}
                }
            }
        }
        let value = |name: &str| {
            sizes
                .get(name)
                .map(|s| s.0)
                .or_else(|| given.get(name).copied())
                .expect("a validated signature names only input dimensions and settings")
        };
        let values = |dim: &Dim| {
            let mut names = Vec::new();
            dim.names(&mut names);
            names.sort_unstable();
            names.dedup();
            let sizes = names
                .iter()
                .map(|n| format!("{n} = {}", value(n)))
                .collect::<Vec<_>>()
                .join(", ");
            if names.is_empty() {
                String::new()
            } else {
                format!(" with {sizes}")
            }
        };
        for (pattern, input) in self.inputs.iter().zip(inputs) {
            for (position, (dim, &size)) in
                pattern.iter().zip(input.signal.shape.dims()).enumerate()
            {
                if matches!(dim, Dim::Name(_)) {
                    continue;
                }
                let expected =
                    dim.eval(&value)
                        .map_err(|(step, reason)| ShapeError::CustomArithmetic {
                            component: this.to_string(),
                            type_name: type_name.to_string(),
                            pattern: list(pattern),
                            input: input.name.to_string(),
                            found: input.signal.shape.clone(),
                            expression: dim.to_string(),
                            values: values(dim),
                            step,
                            reason,
                        })?;
                if expected != size {
                    return Err(ShapeError::CustomSize {
                        component: this.to_string(),
                        type_name: type_name.to_string(),
                        pattern: list(pattern),
                        input: input.name.to_string(),
                        found: input.signal.shape.clone(),
                        position: position + 1,
                        size,
                        expected,
                    });
                }
            }
        }
        let from = inputs
            .iter()
            .map(|i| format!("`{}`'s `{}`", i.name, i.signal.shape))
            .collect::<Vec<_>>()
            .join(" and ");
        let output = self
            .output
            .iter()
            .map(|dim| {
                dim.eval(&value)
                    .map_err(|(step, reason)| ShapeError::CustomOutput {
                        component: this.to_string(),
                        type_name: type_name.to_string(),
                        output: list(&self.output),
                        from: from.clone(),
                        expression: dim.to_string(),
                        values: values(dim),
                        step,
                        reason,
                    })
            })
            .collect::<Result<Vec<usize>, ShapeError>>()?;
        Ok(Signal::new(output))
    }

    /// Parses a signature whose arithmetic and output may also name `settings` (integer
    /// settings of the component, whose values [`infer_with`](Self::infer_with) is given):
    /// `[n] -> [units]`.
    pub fn parse_with(text: &str, settings: &[&str]) -> Result<Self, SignatureError> {
        Self::parse_syntax(text)?.validate(text, settings)
    }

    /// Checks what parsing cannot: every name used in arithmetic or in the output is the name
    /// of an input dimension or of a setting (but not both), and no shape has a rank above
    /// [`MAX_RANK`].
    fn validate(self, text: &str, settings: &[&str]) -> Result<Self, SignatureError> {
        let inputs = self.input_names();
        // Where a name or a list starts, for errors: the tokens know their offsets.
        let tokens = tokenize(text).unwrap_or_default();
        let at = |name: &str| {
            tokens
                .iter()
                .find(|(t, _)| t == name)
                .map_or(0, |(_, at)| *at)
        };
        let lists: Vec<usize> = tokens
            .iter()
            .filter(|(t, _)| t == "[")
            .map(|(_, at)| *at)
            .collect();
        for (index, (dims, what)) in self
            .inputs
            .iter()
            .map(|d| (d, "an input"))
            .chain([(&self.output, "the output")])
            .enumerate()
        {
            if dims.len() > MAX_RANK {
                return Err(SignatureError {
                    message: format!(
                        "{what} has rank {} (`{}`); percept supports per-element shapes of rank 0 to {MAX_RANK} (`[h, w, c]` at most), the batch is implicit",
                        dims.len(),
                        list(dims)
                    ),
                    at: lists.get(index).copied().unwrap_or(0),
                });
            }
            for dim in dims {
                let mut names = Vec::new();
                dim.names(&mut names);
                if let Some(name) = names
                    .iter()
                    .find(|n| inputs.contains(n) && settings.contains(n))
                {
                    return Err(SignatureError {
                        message: format!(
                            "`{name}` is both a dimension of an input and a setting; rename one of them"
                        ),
                        at: at(name),
                    });
                }
                if let Some(name) = names
                    .iter()
                    .find(|n| !inputs.contains(n) && !settings.contains(n))
                {
                    return Err(SignatureError {
                        message: format!(
                            "`{name}` is not a dimension of any input, so its size is unknown; name it in an input (`[{name}] -> [{name}]`), write a number, or make it an integer `#[setting]`"
                        ),
                        at: at(name),
                    });
                }
            }
        }
        Ok(self)
    }
}

impl Dim {
    fn names<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Dim::Number(_) => {}
            Dim::Name(n) => out.push(n),
            Dim::Op(a, _, b) => {
                a.names(out);
                b.names(out);
            }
        }
    }

    /// The size, given the size of each name; the error gives the failing step and why it
    /// fails (`"7 / 2"`, `"does not divide evenly"`).
    fn eval(&self, value: &impl Fn(&str) -> usize) -> Result<usize, (String, &'static str)> {
        let (a, op, b) = match self {
            Dim::Number(n) => return Ok(*n),
            Dim::Name(n) => return Ok(value(n)),
            Dim::Op(a, op, b) => (a.eval(value)?, *op, b.eval(value)?),
        };
        let step = || format!("{a} {op} {b}");
        let result = match op {
            Op::Add => a.checked_add(b),
            Op::Mul => a.checked_mul(b),
            Op::Sub if b >= a => return Err((step(), "leaves no values")),
            Op::Sub => Some(a - b),
            Op::Div if b == 0 || a % b != 0 => return Err((step(), "does not divide evenly")),
            Op::Div => Some(a / b),
        };
        match result {
            Some(0) => Err((step(), "is 0")),
            Some(n) => Ok(n),
            None => Err((step(), "is too large")),
        }
    }

    fn precedence(&self) -> u8 {
        match self {
            Dim::Op(_, Op::Add | Op::Sub, _) => 1,
            Dim::Op(_, Op::Mul | Op::Div, _) => 2,
            _ => 3,
        }
    }
}

fn list(dims: &[Dim]) -> String {
    let dims: Vec<String> = dims.iter().map(ToString::to_string).collect();
    format!("[{}]", dims.join(", "))
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Op::Add => "+",
            Op::Sub => "-",
            Op::Mul => "*",
            Op::Div => "/",
        })
    }
}

impl fmt::Display for Dim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dim::Number(n) => write!(f, "{n}"),
            Dim::Name(n) => f.write_str(n),
            Dim::Op(a, op, b) => {
                let p = self.precedence();
                // Left-associative: the right side needs parentheses at equal precedence.
                if a.precedence() < p {
                    write!(f, "({a})")?;
                } else {
                    write!(f, "{a}")?;
                }
                write!(f, " {op} ")?;
                if b.precedence() <= p {
                    write!(f, "({b})")
                } else {
                    write!(f, "{b}")
                }
            }
        }
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inputs: Vec<String> = self.inputs.iter().map(|d| list(d)).collect();
        write!(f, "{} -> {}", inputs.join(", "), list(&self.output))
    }
}

impl FromStr for Signature {
    type Err = SignatureError;

    fn from_str(text: &str) -> Result<Self, SignatureError> {
        Self::parse_with(text, &[])
    }
}

impl Signature {
    /// The grammar only, with no check of the names.
    fn parse_syntax(text: &str) -> Result<Self, SignatureError> {
        let mut parser = Parser {
            tokens: tokenize(text)?,
            next: 0,
            end: text.chars().count(),
        };
        let mut inputs = vec![parser.list()?];
        while parser.eat(",") {
            inputs.push(parser.list()?);
        }
        if !parser.eat("->") {
            return Err(parser.expected(if parser.peek().is_some() {
                "`,` and another input, or `->` and the output"
            } else {
                "`->` and the output's dimensions, as in `[n] -> [n]`"
            }));
        }
        let output = parser.list()?;
        if parser.peek().is_some() {
            return Err(parser.expected("the end of the signature after the output"));
        }
        Ok(Signature { inputs, output })
    }
}

impl TryFrom<String> for Signature {
    type Error = SignatureError;
    /// Reads a signature saved with a model: it was checked when it was written, and may name
    /// settings, so only its grammar is checked.
    fn try_from(text: String) -> Result<Self, SignatureError> {
        Self::parse_syntax(&text)
    }
}

impl From<Signature> for String {
    fn from(signature: Signature) -> String {
        signature.to_string()
    }
}

/// A token and the character offset it starts at.
type Token = (String, usize);

fn tokenize(text: &str) -> Result<Vec<Token>, SignatureError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c.is_ascii_digit() || c.is_alphabetic() || c == '_' {
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
        } else if c == '-' && chars.get(i + 1) == Some(&'>') {
            i += 2;
        } else if "[](),+-*/".contains(c) {
            i += 1;
        } else {
            return Err(SignatureError {
                message: format!(
                    "unexpected `{c}` in the shape signature; it is made of `[dims]` lists, `,`, `->`, names, numbers and `+ - * /`"
                ),
                at: start,
            });
        }
        tokens.push((chars[start..i].iter().collect(), start));
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    next: usize,
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&str> {
        self.tokens.get(self.next).map(|(t, _)| t.as_str())
    }

    fn eat(&mut self, token: &str) -> bool {
        let found = self.peek() == Some(token);
        if found {
            self.next += 1;
        }
        found
    }

    fn expected(&self, what: &str) -> SignatureError {
        match self.tokens.get(self.next) {
            Some((found, at)) => SignatureError {
                message: format!("expected {what}, found `{found}`"),
                at: *at,
            },
            None => SignatureError {
                message: format!("expected {what}, but the signature ends"),
                at: self.end,
            },
        }
    }

    /// `[dim, dim, ...]`
    fn list(&mut self) -> Result<Vec<Dim>, SignatureError> {
        if !self.eat("[") {
            return Err(self.expected("a list of dimensions in brackets, as in `[h, w, c]`"));
        }
        let mut dims = Vec::new();
        while !self.eat("]") {
            dims.push(self.sum()?);
            if !self.eat(",") {
                if self.eat("]") {
                    break;
                }
                return Err(self.expected("`,` or `]`"));
            }
        }
        Ok(dims)
    }

    fn sum(&mut self) -> Result<Dim, SignatureError> {
        let mut dim = self.product()?;
        loop {
            let op = if self.eat("+") {
                Op::Add
            } else if self.eat("-") {
                Op::Sub
            } else {
                return Ok(dim);
            };
            dim = Dim::Op(Box::new(dim), op, Box::new(self.product()?));
        }
    }

    fn product(&mut self) -> Result<Dim, SignatureError> {
        let mut dim = self.atom()?;
        loop {
            let op = if self.eat("*") {
                Op::Mul
            } else if self.eat("/") {
                Op::Div
            } else {
                return Ok(dim);
            };
            dim = Dim::Op(Box::new(dim), op, Box::new(self.atom()?));
        }
    }

    fn atom(&mut self) -> Result<Dim, SignatureError> {
        if self.eat("(") {
            let dim = self.sum()?;
            if !self.eat(")") {
                return Err(self.expected("`)`"));
            }
            return Ok(dim);
        }
        let what = "a dimension: a name like `n`, a number, or arithmetic on them";
        let Some((token, at)) = self.tokens.get(self.next).cloned() else {
            return Err(self.expected(what));
        };
        let first = token.chars().next().unwrap_or(' ');
        let dim = if first.is_ascii_digit() {
            match token.parse::<usize>() {
                Ok(0) | Err(_) => {
                    return Err(SignatureError {
                        message: format!("`{token}` is not a size; sizes are whole numbers from 1"),
                        at,
                    });
                }
                Ok(n) => Dim::Number(n),
            }
        } else if first.is_alphabetic() || first == '_' {
            Dim::Name(token)
        } else {
            return Err(self.expected(what));
        };
        self.next += 1;
        Ok(dim)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Signature {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn infer(text: &str, shapes: &[&[usize]]) -> Result<Signal, String> {
        let signals: Vec<Signal> = shapes.iter().map(|s| Signal::new(s.to_vec())).collect();
        let names = ["a", "b", "c"];
        let inputs: Vec<Input<'_>> = signals
            .iter()
            .zip(names)
            .map(|(signal, name)| Input { name, signal })
            .collect();
        parse(text)
            .infer("x", "T", &inputs)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn prints_what_it_parses() {
        for text in [
            "[n] -> [n]",
            "[h, w, c] -> [h / 2, w / 2, c]",
            "[a], [b] -> [a + b]",
            "[n, 3] -> []",
            "[a, b] -> [(a + b) * 2, a - (b - 1), a * b / 2]",
        ] {
            assert_eq!(parse(text).to_string(), text);
        }
        assert_eq!(parse("[ n ,]->[ n*2 ]").to_string(), "[n] -> [n * 2]");
    }

    #[test]
    fn infers_outputs() {
        assert_eq!(infer("[n] -> [n]", &[&[64]]), Ok(Signal::new([64])));
        assert_eq!(
            infer("[h, w, c] -> [h / 2, w / 2, c]", &[&[8, 6, 3]]),
            Ok(Signal::new([4, 3, 3]))
        );
        assert_eq!(
            infer("[a], [b] -> [a + b]", &[&[3], &[4]]),
            Ok(Signal::new([7]))
        );
        assert_eq!(infer("[n, 3] -> [n - 1]", &[&[5, 3]]), Ok(Signal::new([4])));
        assert_eq!(
            infer("[n], [n * 2] -> []", &[&[5], &[10]]),
            Ok(Signal::new([]))
        );
    }

    #[test]
    fn a_wrong_rank_names_the_input_and_its_shape() {
        assert_eq!(
            infer("[n] -> [n]", &[&[8, 8, 1]]).unwrap_err(),
            "`x` (T) takes `[n]` (rank 1) as its input, but `a` gives `[8, 8, 1]` (rank 3); give `x` an input of rank 1 (a `Flatten` or `Reshape` before it), or change `T`'s shape signature"
        );
    }

    #[test]
    fn names_must_agree_across_inputs() {
        assert_eq!(
            infer("[n], [n] -> [n]", &[&[3], &[4]]).unwrap_err(),
            "`x` (T) needs `n` to be the same size wherever it appears (`[n], [n] -> [n]`), but `a` gives `[3]` (n = 3) and `b` gives `[4]` (n = 4); make both the same size"
        );
    }

    #[test]
    fn literals_must_match() {
        assert_eq!(
            infer("[n, 3] -> [n]", &[&[5, 4]]).unwrap_err(),
            "`x` (T) takes `[n, 3]` as its input, but `a` gives `[5, 4]`, whose dimension 2 is 4, not 3; give `x` an input that fits `[n, 3]`"
        );
    }

    #[test]
    fn arithmetic_must_come_out_whole_and_positive() {
        assert_eq!(
            infer("[h, w, c] -> [h / 2, w / 2, c]", &[&[7, 8, 1]]).unwrap_err(),
            "`x` (T) cannot compute its output `[h / 2, w / 2, c]` from `a`'s `[7, 8, 1]`: `h / 2` with h = 7 gives 7 / 2, which does not divide evenly; give `x` an input for which `h / 2` is a whole size of at least 1"
        );
        assert!(
            infer("[n] -> [n - 4]", &[&[3]])
                .unwrap_err()
                .contains("`n - 4` with n = 3 gives 3 - 4, which leaves no values")
        );
    }

    #[test]
    fn a_wrong_number_of_inputs_says_how_many() {
        assert_eq!(
            infer("[a], [b] -> [a + b]", &[&[3]]).unwrap_err(),
            "`x` (T) takes 2 inputs (`[a], [b] -> [a + b]`), but 1 is given; wire `x` as `<- (a, b)` with one input per list before `->`"
        );
    }

    #[test]
    fn bad_signatures_say_where_and_why() {
        let err = |text: &str| text.parse::<Signature>().unwrap_err();
        assert_eq!(
            err("[n] [n]").message,
            "expected `,` and another input, or `->` and the output, found `[`"
        );
        assert_eq!(err("[n] -> [m]").at, 8);
        // Positions are those of whole tokens, whatever the spacing.
        assert_eq!(err("[cn] -> [c]").at, 9);
        assert_eq!(err("[a,b,c,d]->[a]").at, 0);
        assert_eq!(err("[n], [a,b,c,d] -> [n]").at, 5);
        assert!(
            err("[n] -> [m]")
                .message
                .starts_with("`m` is not a dimension of any input")
        );
        assert!(
            err("[n] -> [n +]")
                .message
                .starts_with("expected a dimension")
        );
        assert!(err("[n]").message.starts_with("expected `->`"));
        assert!(err("[a, b, c, d] -> [a]").message.contains("rank 4"));
        assert!(
            err("[n] -> [n / 0]")
                .message
                .contains("whole numbers from 1")
        );
        assert!(err("[n] => [n]").message.starts_with("unexpected `=`"));
    }

    #[test]
    fn settings_may_size_dimensions() {
        let dense = Signature::parse_with("[n] -> [units]", &["units"]).unwrap();
        let images = Signal::new([64]);
        let input = [Input {
            name: "a",
            signal: &images,
        }];
        let units = |v: i64| vec![("units".to_string(), v)];
        assert_eq!(
            dense.infer_with("x", "T", &input, &units(10)),
            Ok(Signal::new([10]))
        );
        assert_eq!(
            dense
                .infer_with("x", "T", &input, &units(0))
                .unwrap_err()
                .to_string(),
            "`x` (T): `units` sizes the shape `[n] -> [units]`, so it must be a whole number of at least 1, not 0"
        );
        assert!(
            "[n] -> [units]"
                .parse::<Signature>()
                .unwrap_err()
                .message
                .starts_with("`units` is not a dimension")
        );
        assert!(
            Signature::parse_with("[units] -> [units * 2]", &["units"])
                .unwrap_err()
                .message
                .starts_with("`units` is both a dimension of an input and a setting")
        );
    }

    #[test]
    fn round_trips_through_serde_as_text() {
        let signature = parse("[a], [b] -> [a + b]");
        let json = serde_json::to_string(&signature).unwrap();
        assert_eq!(json, "\"[a], [b] -> [a + b]\"");
        assert_eq!(serde_json::from_str::<Signature>(&json).unwrap(), signature);
    }
}
