//! Typed reading of a JSON object's fields. A wrong JSON type is an error that
//! names the field, never a silent coercion; `null` counts as "not given".

use serde_json::{Map, Value};

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
pub struct Fields<'a>(pub &'a Map<String, Value>);

impl<'a> Fields<'a> {
    /// The value, or `None` when the key is absent or `null`.
    pub fn get(&self, name: &str) -> Option<&'a Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    pub fn string(&self, name: &str) -> FieldResult<Option<&'a str>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
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

    pub fn string_array(&self, name: &str) -> FieldResult<Option<Vec<&'a str>>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| i.as_str())
                .collect::<Option<Vec<_>>>()
                .map(Some)
                .ok_or_else(|| FieldError::bad(name, "must be an array of strings")),
            Some(_) => Err(FieldError::bad(name, "must be an array of strings")),
        }
    }

    pub fn object(&self, name: &str) -> FieldResult<Option<&'a Map<String, Value>>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m)),
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn with(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
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
