//! Typed reading of a JSON object's fields. A wrong JSON type is an error that
//! names the field, never a silent coercion; `null` counts as "not given".
//!
//! Bodies are parsed into [`Json`], which borrows strings from the request
//! bytes where it can (no escapes): reading a token request then copies only
//! the fields it keeps, instead of first building a `serde_json::Value` tree
//! with every key and string copied.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Serialize, Serializer};
use serde_json::{Map, Number, Value};

/// Most items any array field may hold, unless the field states fewer.
pub const MAX_ARRAY_ITEMS: usize = 50;

/// A JSON value whose strings borrow from the parsed bytes where possible.
/// Parsing one accepts and refuses exactly what `serde_json::Value` does
/// (same deserializer, same errors, same recursion limit).
#[derive(Debug, Clone, PartialEq)]
pub enum Json<'a> {
    Null,
    Bool(bool),
    Number(Number),
    String(Cow<'a, str>),
    Array(Vec<Json<'a>>),
    Object(Object<'a>),
}

/// A JSON object's members in document order. A repeated key counts with
/// its last value, as in `serde_json::Map`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Object<'a>(Vec<(Cow<'a, str>, Json<'a>)>);

impl<'a> Object<'a> {
    pub fn get(&self, key: &str) -> Option<&Json<'a>> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The owned `serde_json` form (for the objects a token echoes).
    pub fn to_map(&self) -> Map<String, Value> {
        self.0
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_value()))
            .collect()
    }
}

impl Json<'_> {
    pub fn to_value(&self) -> Value {
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => Value::Number(n.clone()),
            Json::String(s) => Value::String(s.to_string()),
            Json::Array(items) => Value::Array(items.iter().map(Json::to_value).collect()),
            Json::Object(o) => Value::Object(o.to_map()),
        }
    }

    fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// Levels of arrays and objects: 0 for a scalar, 1 for `{}` or `[1]`,
    /// 2 for `{"a": {}}`.
    pub fn depth(&self) -> usize {
        let deepest = |items: &mut dyn Iterator<Item = &Json>| items.map(Json::depth).max();
        match self {
            Json::Array(items) => 1 + deepest(&mut items.iter()).unwrap_or(0),
            Json::Object(o) => 1 + deepest(&mut o.0.iter().map(|(_, v)| v)).unwrap_or(0),
            _ => 0,
        }
    }
}

/// Written out member by member, in order (an object with a repeated key
/// keeps both; [`JsonText`] only holds objects without).
impl Serialize for Json<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Null => s.serialize_unit(),
            Json::Bool(b) => s.serialize_bool(*b),
            Json::Number(n) => n.serialize(s),
            Json::String(text) => s.serialize_str(text),
            Json::Array(items) => s.collect_seq(items),
            Json::Object(o) => s.collect_map(o.0.iter().map(|(k, v)| (k, v))),
        }
    }
}

/// A JSON object kept as its compact text. A parsed tree costs several
/// times its text (a node per value, a map per object), so a stored
/// verification keeps the text, exactly as long as the object written
/// compactly, and writes it back out unchanged. Keys are sorted and each
/// appears once, as `serde_json::Map` writes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonText(Box<str>);

impl JsonText {
    /// The compact text of an object (a repeated key counts with its last value).
    pub fn of(object: &Object) -> JsonText {
        // Writing a map of JSON values to a string cannot fail.
        JsonText(
            serde_json::to_string(&object.to_map())
                .unwrap_or_else(|_| "{}".into())
                .into_boxed_str(),
        )
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Serialize for JsonText {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Read back with the borrowing parser, which (unlike
        // `serde_json::Value`) gives no key a special meaning, so the
        // object goes out as it came in.
        match serde_json::from_str::<Json>(&self.0) {
            Ok(json) => json.serialize(s),
            Err(e) => Err(serde::ser::Error::custom(e)),
        }
    }
}

impl<'de> Deserialize<'de> for JsonText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Json::deserialize(d)? {
            Json::Object(o) => Ok(JsonText::of(&o)),
            _ => Err(serde::de::Error::custom("expected a JSON object")),
        }
    }
}

impl<'de> Deserialize<'de> for Json<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Json<'de>, E> {
        Ok(Json::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Json<'de>, E> {
        Ok(Json::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Json<'de>, E> {
        Ok(Json::Number(n.into()))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Json<'de>, E> {
        Ok(Number::from_f64(n).map_or(Json::Null, Json::Number))
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Borrowed(s)))
    }

    fn visit_str<E>(self, s: &str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(s.to_owned())))
    }

    fn visit_string<E>(self, s: String) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(s)))
    }

    fn visit_unit<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }

    fn visit_none<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Json<'de>, D::Error> {
        Json::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json<'de>, A::Error> {
        let mut members = Vec::new();
        while let Some(Key(key)) = map.next_key()? {
            members.push((key, map.next_value()?));
        }
        Ok(Json::Object(Object(members)))
    }
}

/// An object key, borrowed when it has no escapes (serde's own `Cow<str>`
/// always copies).
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Json::deserialize(deserializer)? {
            Json::String(s) => Ok(Key(s)),
            _ => Err(serde::de::Error::custom("object keys are strings")),
        }
    }
}

/// Why a request's fields were refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldError {
    /// A required field is absent (→ `MISSING_VALUE`).
    Missing(String),
    /// A field has the wrong type or value (→ `BAD_VALUE`).
    Bad(String),
}

impl FieldError {
    pub fn missing(field: &str) -> FieldError {
        FieldError::Missing(format!("Missing required field '{field}'."))
    }

    pub fn bad(field: &str, rule: impl std::fmt::Display) -> FieldError {
        FieldError::Bad(format!("Field '{field}' {rule}."))
    }

    pub fn message(&self) -> &str {
        match self {
            FieldError::Missing(m) | FieldError::Bad(m) => m,
        }
    }
}

pub type FieldResult<T> = Result<T, FieldError>;

/// A JSON object whose fields are read with their expected types.
pub struct Fields<'a>(pub &'a Object<'a>);

impl<'a> Fields<'a> {
    /// The value, or `None` when the key is absent or `null`.
    pub fn get(&self, name: &str) -> Option<&'a Json<'a>> {
        self.0.get(name).filter(|v| **v != Json::Null)
    }

    pub fn string(&self, name: &str) -> FieldResult<Option<&'a str>> {
        match self.get(name) {
            None => Ok(None),
            Some(Json::String(s)) => Ok(Some(s)),
            Some(_) => Err(FieldError::bad(name, "must be a string")),
        }
    }

    pub fn required_string(&self, name: &str) -> FieldResult<&'a str> {
        self.string(name)?.ok_or_else(|| FieldError::missing(name))
    }

    pub fn boolean(&self, name: &str) -> FieldResult<Option<bool>> {
        match self.get(name) {
            None => Ok(None),
            Some(Json::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(FieldError::bad(name, "must be a boolean (true or false)")),
        }
    }

    /// A JSON integer within `range` (a float such as `30.0` or a string is refused).
    pub fn integer_in(
        &self,
        name: &str,
        range: std::ops::RangeInclusive<i64>,
    ) -> FieldResult<Option<i64>> {
        let Some(v) = self.get(name) else {
            return Ok(None);
        };
        let out_of_range = || {
            FieldError::bad(
                name,
                format!("must be between {} and {}", range.start(), range.end()),
            )
        };
        match v {
            Json::Number(n) if n.is_i64() || n.is_u64() => {
                let i = n.as_i64().ok_or_else(out_of_range)?;
                if range.contains(&i) {
                    Ok(Some(i))
                } else {
                    Err(out_of_range())
                }
            }
            _ => Err(FieldError::bad(name, "must be an integer")),
        }
    }

    /// An array of strings of at most [`MAX_ARRAY_ITEMS`].
    pub fn string_array(&self, name: &str) -> FieldResult<Option<Vec<&'a str>>> {
        match self.get(name) {
            None => Ok(None),
            Some(Json::Array(items)) if items.len() > MAX_ARRAY_ITEMS => Err(FieldError::bad(
                name,
                format!("may hold at most {MAX_ARRAY_ITEMS} items"),
            )),
            Some(Json::Array(items)) => items
                .iter()
                .map(|i| i.as_str())
                .collect::<Option<Vec<_>>>()
                .map(Some)
                .ok_or_else(|| FieldError::bad(name, "must be an array of strings")),
            Some(_) => Err(FieldError::bad(name, "must be an array of strings")),
        }
    }

    /// A JSON object of at most `max_bytes` as compact text and at most
    /// `max_depth` levels deep (the object itself is level 1), kept as that text.
    pub fn object(
        &self,
        name: &str,
        max_bytes: usize,
        max_depth: usize,
    ) -> FieldResult<Option<JsonText>> {
        let too_big = || {
            FieldError::bad(
                name,
                format!(
                    "must be a JSON object of at most {max_bytes} bytes written compactly, \
                     nested at most {max_depth} levels deep"
                ),
            )
        };
        match self.get(name) {
            None => Ok(None),
            Some(o @ Json::Object(_)) if o.depth() > max_depth => Err(too_big()),
            Some(Json::Object(o)) => {
                let text = JsonText::of(o);
                if text.as_str().len() > max_bytes {
                    return Err(too_big());
                }
                Ok(Some(text))
            }
            Some(_) => Err(FieldError::bad(name, "must be a JSON object")),
        }
    }

    /// A string whose length in characters is within `min..=max`.
    pub fn string_len(&self, name: &str, min: usize, max: usize) -> FieldResult<Option<&'a str>> {
        let Some(s) = self.string(name)? else {
            return Ok(None);
        };
        let n = s.chars().count();
        if n < min || n > max {
            let rule = if min == 0 {
                format!("must be at most {max} characters long")
            } else {
                format!("must be {min} to {max} characters long")
            };
            return Err(FieldError::bad(name, rule));
        }
        Ok(Some(s))
    }

    /// A string naming one of an enum's wire values.
    pub fn one_of<T>(
        &self,
        name: &str,
        parse: impl Fn(&str) -> Option<T>,
        list: impl Fn() -> String,
    ) -> FieldResult<Option<T>> {
        match self.string(name)? {
            None => Ok(None),
            Some(s) => parse(s)
                .map(Some)
                .ok_or_else(|| FieldError::bad(name, format!("must be one of: {}", list()))),
        }
    }
}

/// For unit tests: `v` written out and parsed back as a request body is
/// (the text is leaked so the object may borrow from it).
#[cfg(test)]
pub(crate) fn object_of(v: &Value) -> Object<'static> {
    let text: &'static str = Box::leak(v.to_string().into_boxed_str());
    match serde_json::from_str(text) {
        Ok(Json::Object(o)) => o,
        other => panic!("not an object: {other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn with(v: Value) -> Object<'static> {
        object_of(&v)
    }

    #[test]
    fn parses_like_serde_json_value() {
        let text = r#"{"a":"x\u0041","b":[1,-2,3.5,true,null,{"c":"d"}],"a":"last","e":1e300}"#;
        let ours: Json = serde_json::from_str(text).unwrap();
        let theirs: Value = serde_json::from_str(text).unwrap();
        assert_eq!(ours.to_value(), theirs);
        let Json::Object(o) = &ours else {
            panic!("object expected")
        };
        assert_eq!(o.get("a").and_then(Json::as_str), Some("last"));
        // Strings without escapes borrow from the input.
        let Some(Json::Array(items)) = o.get("b") else {
            panic!("array expected")
        };
        assert!(matches!(&items[5], Json::Object(inner)
            if matches!(inner.get("c"), Some(Json::String(Cow::Borrowed("d"))))));
        for bad in ["{\"a\":}", "[1,", "{\"a\":1}x", "\"\\ud800\""] {
            let ours = serde_json::from_str::<Json>(bad).map_err(|e| e.to_string());
            let theirs = serde_json::from_str::<Value>(bad).map_err(|e| e.to_string());
            assert_eq!(ours.err(), theirs.err(), "{bad}");
        }
        // The one difference: serde_json, with the raw_value feature a
        // dependency enables, reads an object keyed by its private marker as
        // embedded JSON text; here, as in any JSON parser, it is a key.
        let marker = r#"{"$serde_json::private::RawValue":"[1]"}"#;
        assert_eq!(serde_json::from_str::<Value>(marker).unwrap(), json!([1]));
        assert!(matches!(
            serde_json::from_str::<Json>(marker).unwrap(),
            Json::Object(_)
        ));
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert_eq!(
            serde_json::from_str::<Json>(&deep).unwrap_err().to_string(),
            serde_json::from_str::<Value>(&deep)
                .unwrap_err()
                .to_string()
        );
    }

    #[test]
    fn types_are_not_coerced() {
        let m = with(json!({"a": "3600", "b": 30.0, "c": 30, "d": 1, "e": null}));
        let f = Fields(&m);
        assert!(matches!(
            f.integer_in("a", 0..=100),
            Err(FieldError::Bad(_))
        ));
        assert!(matches!(
            f.integer_in("b", 0..=100),
            Err(FieldError::Bad(_))
        ));
        assert_eq!(f.integer_in("c", 0..=100), Ok(Some(30)));
        assert!(matches!(f.boolean("d"), Err(FieldError::Bad(_))));
        assert_eq!(f.string("e"), Ok(None));
        assert_eq!(f.required_string("e"), Err(FieldError::missing("e")));
    }

    #[test]
    fn objects_are_kept_as_compact_text_within_bounds() {
        let m = with(json!({"o": {"b": [1, 2.5, {"c": null}], "a": "é\n"}, "s": "x"}));
        let f = Fields(&m);
        let text = f.object("o", 100, 3).unwrap().unwrap();
        assert_eq!(text.as_str(), r#"{"a":"é\n","b":[1,2.5,{"c":null}]}"#);
        // Written back out as the same JSON.
        assert_eq!(
            serde_json::to_value(&text).unwrap(),
            json!({"a": "é\n", "b": [1, 2.5, {"c": null}]})
        );
        let back: JsonText = serde_json::from_str(&serde_json::to_string(&text).unwrap()).unwrap();
        assert_eq!(back, text);
        let len = text.as_str().len();
        assert!(f.object("o", len, 3).is_ok());
        assert!(matches!(f.object("o", len - 1, 3), Err(FieldError::Bad(m)) if m.contains("'o'")));
        assert!(matches!(f.object("o", 100, 2), Err(FieldError::Bad(_))));
        assert!(matches!(f.object("s", 100, 3), Err(FieldError::Bad(_))));
        assert_eq!(f.object("none", 100, 3), Ok(None));
        // serde_json's private marker key is a plain key here.
        let marker = with(json!({"o": {"$serde_json::private::RawValue": "[1]"}}));
        let text = Fields(&marker).object("o", 100, 3).unwrap().unwrap();
        assert_eq!(
            serde_json::to_string(&text).unwrap(),
            r#"{"$serde_json::private::RawValue":"[1]"}"#
        );
    }

    #[test]
    fn depth_counts_levels() {
        let depth = |v: Value| {
            serde_json::from_str::<Json>(&v.to_string())
                .unwrap()
                .depth()
        };
        assert_eq!(depth(json!(1)), 0);
        assert_eq!(depth(json!({})), 1);
        assert_eq!(depth(json!([[], {"a": [1]}])), 3);
    }

    #[test]
    fn arrays_are_bounded() {
        let m = with(json!({"a": vec!["x"; MAX_ARRAY_ITEMS], "b": vec!["x"; MAX_ARRAY_ITEMS + 1]}));
        let f = Fields(&m);
        assert_eq!(f.string_array("a").unwrap().unwrap().len(), MAX_ARRAY_ITEMS);
        assert_eq!(
            f.string_array("b"),
            Err(FieldError::Bad(
                "Field 'b' may hold at most 50 items.".into()
            ))
        );
    }

    #[test]
    fn huge_integers_are_out_of_range_not_a_crash() {
        let m = with(json!({"a": u64::MAX, "b": -5}));
        let f = Fields(&m);
        assert!(matches!(
            f.integer_in("a", 0..=100),
            Err(FieldError::Bad(_))
        ));
        assert!(matches!(
            f.integer_in("b", 0..=100),
            Err(FieldError::Bad(_))
        ));
    }
}
