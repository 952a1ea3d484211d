//! Typed reading of a JSON object's fields. A wrong JSON type is an error that
//! names the field, never a silent coercion; `null` counts as "not given".
//!
//! Bodies are parsed into `serde_json::Value`. A borrowing JSON tree was
//! measured against it on the seed workload (bench/run's seed body, c=64)
//! and gained less than the 5 % that would justify a second JSON parser, so
//! there is one: serde_json's (see BENCHMARKS.md).

use serde::de::{Deserialize, Deserializer};
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// Most items any array field may hold, unless the field states fewer.
pub const MAX_ARRAY_ITEMS: usize = 50;

/// A request body: a JSON object.
pub type Object = Map<String, Value>;

/// Levels of arrays and objects: 0 for a scalar, 1 for `{}` or `[1]`,
/// 2 for `{"a": {}}`.
pub fn depth(v: &Value) -> usize {
    let deepest = |items: &mut dyn Iterator<Item = &Value>| items.map(depth).max();
    match v {
        Value::Array(items) => 1 + deepest(&mut items.iter()).unwrap_or(0),
        Value::Object(o) => 1 + deepest(&mut o.values()).unwrap_or(0),
        _ => 0,
    }
}

/// A JSON object kept as its compact text. A parsed tree costs several
/// times its text (a node per value, a map per object), so a stored
/// verification keeps the text, exactly as long as the object written
/// compactly, and writes it back out unchanged. Keys are sorted and each
/// appears once, as `serde_json::Map` writes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonText(String);

impl JsonText {
    /// The compact text of an object.
    pub fn of(object: &Object) -> JsonText {
        // Writing a map of JSON values to a string cannot fail.
        JsonText(serde_json::to_string(object).unwrap_or_else(|_| "{}".into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Serialize for JsonText {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Written out verbatim (checked, not rebuilt as a tree).
        match serde_json::from_str::<&RawValue>(&self.0) {
            Ok(raw) => raw.serialize(s),
            Err(e) => Err(serde::ser::Error::custom(e)),
        }
    }
}

impl<'de> Deserialize<'de> for JsonText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::Object(o) => Ok(JsonText::of(&o)),
            _ => Err(serde::de::Error::custom("expected a JSON object")),
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
pub struct Fields<'a>(pub &'a Object);

impl<'a> Fields<'a> {
    /// The value, or `None` when the key is absent or `null`.
    pub fn get(&self, name: &str) -> Option<&'a Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    pub fn string(&self, name: &str) -> FieldResult<Option<&'a str>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(FieldError::bad(name, "must be a string")),
        }
    }

    pub fn required_string(&self, name: &str) -> FieldResult<&'a str> {
        self.string(name)?.ok_or_else(|| FieldError::missing(name))
    }

    pub fn boolean(&self, name: &str) -> FieldResult<Option<bool>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
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
            Value::Number(n) if n.is_i64() || n.is_u64() => {
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
            Some(Value::Array(items)) if items.len() > MAX_ARRAY_ITEMS => Err(FieldError::bad(
                name,
                format!("may hold at most {MAX_ARRAY_ITEMS} items"),
            )),
            Some(Value::Array(items)) => items
                .iter()
                .map(Value::as_str)
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
            Some(o @ Value::Object(_)) if depth(o) > max_depth => Err(too_big()),
            Some(Value::Object(o)) => {
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

/// For unit tests: the object `v` is.
#[cfg(test)]
pub(crate) fn object_of(v: &Value) -> Object {
    match v {
        Value::Object(o) => o.clone(),
        other => panic!("not an object: {other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn with(v: Value) -> Object {
        object_of(&v)
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
    }

    #[test]
    fn depth_counts_levels() {
        let depth = |v: Value| depth(&v);
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
