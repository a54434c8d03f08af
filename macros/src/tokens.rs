//! The checked settings as Rust expressions: `model!` emits the typed values it checked
//! (`::percept::catalogue::ConvSettings { filters: 16, kernel: 3, .. }`, every field
//! written), so that the generated code neither parses nor checks them again.
//!
//! The catalogue's types derive `Serialize`, so a serializer writes the expression: a struct
//! by its name under `::percept::catalogue`, an enum variant under its enum, a string or a
//! sequence through `From` (which turns `"x.csv"` into a `String` or a `PathBuf`, and a `Vec`
//! into a `Shape`), a number as an unsuffixed literal that takes its field's type.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};
use serde::ser::{self, Serialize};

/// The expression that builds `value`.
pub fn expression<T: Serialize>(value: &T) -> Result<TokenStream, Error> {
    value.serialize(Writer)
}

/// A value the catalogue's types never hold (a map, a byte string, a non-finite number).
#[derive(Debug)]
pub struct Error(String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

fn unsupported(what: &str) -> Error {
    Error(format!("the catalogue's settings hold no {what}"))
}

/// A catalogue type by name.
fn path(name: &str) -> TokenStream {
    let name = format_ident!("{name}");
    quote!(::percept::catalogue::#name)
}

struct Writer;

/// The fields or elements written so far, and how they close.
struct Compound {
    head: TokenStream,
    items: Vec<TokenStream>,
    close: fn(TokenStream, Vec<TokenStream>) -> TokenStream,
}

fn braced(head: TokenStream, fields: Vec<TokenStream>) -> TokenStream {
    quote!(#head { #(#fields),* })
}

fn parenthesised(head: TokenStream, items: Vec<TokenStream>) -> TokenStream {
    quote!(#head ( #(#items),* ))
}

fn sequence(_: TokenStream, items: Vec<TokenStream>) -> TokenStream {
    quote!(::core::convert::From::from(::std::vec![#(#items),*]))
}

impl ser::Serializer for Writer {
    type Ok = TokenStream;
    type Error = Error;
    type SerializeSeq = Compound;
    type SerializeTuple = Compound;
    type SerializeTupleStruct = Compound;
    type SerializeTupleVariant = Compound;
    type SerializeMap = ser::Impossible<TokenStream, Error>;
    type SerializeStruct = Compound;
    type SerializeStructVariant = Compound;

    fn serialize_bool(self, v: bool) -> Result<TokenStream, Error> {
        Ok(quote!(#v))
    }
    fn serialize_i8(self, v: i8) -> Result<TokenStream, Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<TokenStream, Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<TokenStream, Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<TokenStream, Error> {
        let literal = Literal::u64_unsuffixed(v.unsigned_abs());
        Ok(if v < 0 {
            quote!(-#literal)
        } else {
            quote!(#literal)
        })
    }
    fn serialize_u8(self, v: u8) -> Result<TokenStream, Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<TokenStream, Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<TokenStream, Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<TokenStream, Error> {
        let literal = Literal::u64_unsuffixed(v);
        Ok(quote!(#literal))
    }
    fn serialize_f32(self, v: f32) -> Result<TokenStream, Error> {
        if !v.is_finite() {
            return Err(unsupported("non-finite number"));
        }
        // The shortest text that reads back as this f32, so the value is exact.
        let literal = Literal::f32_unsuffixed(v.abs());
        Ok(if v < 0.0 {
            quote!(-#literal)
        } else {
            quote!(#literal)
        })
    }
    fn serialize_f64(self, v: f64) -> Result<TokenStream, Error> {
        if !v.is_finite() {
            return Err(unsupported("non-finite number"));
        }
        let literal = Literal::f64_unsuffixed(v.abs());
        Ok(if v < 0.0 {
            quote!(-#literal)
        } else {
            quote!(#literal)
        })
    }
    fn serialize_char(self, v: char) -> Result<TokenStream, Error> {
        Ok(quote!(#v))
    }
    fn serialize_str(self, v: &str) -> Result<TokenStream, Error> {
        Ok(quote!(::core::convert::From::from(#v)))
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<TokenStream, Error> {
        Err(unsupported("byte string"))
    }
    fn serialize_none(self) -> Result<TokenStream, Error> {
        Ok(quote!(::core::option::Option::None))
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<TokenStream, Error> {
        let value = value.serialize(Writer)?;
        Ok(quote!(::core::option::Option::Some(#value)))
    }
    fn serialize_unit(self) -> Result<TokenStream, Error> {
        Ok(quote!(()))
    }
    fn serialize_unit_struct(self, name: &'static str) -> Result<TokenStream, Error> {
        Ok(path(name))
    }
    fn serialize_unit_variant(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<TokenStream, Error> {
        let (ty, variant) = (path(name), format_ident!("{variant}"));
        Ok(quote!(#ty::#variant))
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<TokenStream, Error> {
        let (ty, value) = (path(name), value.serialize(Writer)?);
        Ok(quote!(#ty(#value)))
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<TokenStream, Error> {
        let (ty, variant, value) = (
            path(name),
            format_ident!("{variant}"),
            value.serialize(Writer)?,
        );
        Ok(quote!(#ty::#variant(#value)))
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Compound, Error> {
        Ok(Compound {
            head: TokenStream::new(),
            items: Vec::new(),
            close: sequence,
        })
    }
    fn serialize_tuple(self, _: usize) -> Result<Compound, Error> {
        Ok(Compound {
            head: TokenStream::new(),
            items: Vec::new(),
            close: parenthesised,
        })
    }
    fn serialize_tuple_struct(self, name: &'static str, _: usize) -> Result<Compound, Error> {
        Ok(Compound {
            head: path(name),
            items: Vec::new(),
            close: parenthesised,
        })
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound, Error> {
        let (ty, variant) = (path(name), format_ident!("{variant}"));
        Ok(Compound {
            head: quote!(#ty::#variant),
            items: Vec::new(),
            close: parenthesised,
        })
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(unsupported("map"))
    }
    fn serialize_struct(self, name: &'static str, _: usize) -> Result<Compound, Error> {
        Ok(Compound {
            head: path(name),
            items: Vec::new(),
            close: braced,
        })
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound, Error> {
        let (ty, variant) = (path(name), format_ident!("{variant}"));
        Ok(Compound {
            head: quote!(#ty::#variant),
            items: Vec::new(),
            close: braced,
        })
    }
}

impl Compound {
    fn push<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.items.push(value.serialize(Writer)?);
        Ok(())
    }

    fn field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
        let (key, value) = (format_ident!("{key}"), value.serialize(Writer)?);
        self.items.push(quote!(#key: #value));
        Ok(())
    }

    fn finish(self) -> TokenStream {
        (self.close)(self.head, self.items)
    }
}

macro_rules! compound {
    ($($trait:ident :: $method:ident ($($key:ident)?)),*) => {
        $(
            impl ser::$trait for Compound {
                type Ok = TokenStream;
                type Error = Error;
                fn $method<T: ?Sized + Serialize>(
                    &mut self,
                    $($key: &'static str,)?
                    value: &T,
                ) -> Result<(), Error> {
                    compound!(@call self $($key)? value)
                }
                fn end(self) -> Result<TokenStream, Error> {
                    Ok(self.finish())
                }
            }
        )*
    };
    (@call $self:ident $key:ident $value:ident) => { $self.field($key, $value) };
    (@call $self:ident $value:ident) => { $self.push($value) };
}

compound! {
    SerializeSeq::serialize_element(),
    SerializeTuple::serialize_element(),
    SerializeTupleStruct::serialize_field(),
    SerializeTupleVariant::serialize_field(),
    SerializeStruct::serialize_field(key),
    SerializeStructVariant::serialize_field(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use percept_catalogue::{
        Activation, ConvSettings, DataSettings, MaxPoolSettings, Settings, Signal,
    };

    fn text<T: Serialize>(value: &T) -> String {
        expression(value).unwrap().to_string()
    }

    #[test]
    fn writes_structs_enums_options_and_numbers() {
        let conv = ConvSettings::new(16, 3).with_activation(Activation::Relu);
        let out = text(&Settings::from(conv));
        assert!(out.starts_with(":: percept :: catalogue :: Settings :: Conv (:: percept :: catalogue :: ConvSettings {"), "{out}");
        assert!(out.contains("filters : 16"), "{out}");
        assert!(
            out.contains("activation : :: percept :: catalogue :: Activation :: Relu"),
            "{out}"
        );
        let pool = text(&MaxPoolSettings::new(2));
        assert!(
            pool.ends_with("{ size : 2 , stride : :: core :: option :: Option :: None }"),
            "{pool}"
        );
    }

    #[test]
    fn writes_strings_and_sequences_through_from() {
        let data = text(&DataSettings::file("x.csv").with_shape([8, 8, 1]));
        assert!(
            data.contains(":: core :: convert :: From :: from (\"x.csv\")"),
            "{data}"
        );
        let signal = text(&Signal::new([4, 2]));
        assert_eq!(
            signal,
            ":: percept :: catalogue :: Signal { shape : :: core :: convert :: From :: from (:: std :: vec ! [4 , 2]) , classes : :: core :: option :: Option :: None }"
        );
    }

    #[test]
    fn writes_floats_exactly_and_refuses_what_the_settings_never_hold() {
        assert_eq!(text(&0.001f32), "0.001");
        assert_eq!(text(&1.0f32), "1.0");
        assert_eq!(text(&-2.5f64), "- 2.5");
        assert!(expression(&f32::NAN).is_err());
        let map = std::collections::BTreeMap::from([(1, 2)]);
        assert_eq!(
            expression(&map).unwrap_err().to_string(),
            "the catalogue's settings hold no map"
        );
    }
}
