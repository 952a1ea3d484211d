//! OpenAPI 3.1 documents generated from the handlers' annotations and the
//! types they serialize, so they cannot drift from the code. Served at
//! `/_mock/openapi/idenfy.json` (the emulated iDenfy API) and
//! `/_mock/openapi/control.json` (the control API).

use axum::Json;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::OpenApi as Document;
use utoipa::{Modify, OpenApi};

use crate::http::api;
use crate::http::control;

struct BasicAuth;

impl Modify for BasicAuth {
    fn modify(&self, doc: &mut Document) {
        doc.components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "basic",
                SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)),
            );
    }
}

/// The feature switches, from the one table the parser reads
/// (`domain::switches`), added to the token request's schema and to the
/// echoed request of its 201 (`TokenRequest`, where a switch appears when
/// it was sent).
struct FeatureSwitches;

impl Modify for FeatureSwitches {
    fn modify(&self, doc: &mut Document) {
        use utoipa::openapi::{schema::Schema, RefOr};
        let Some(components) = doc.components.as_mut() else {
            return;
        };
        for schema in ["TokenRequestBody", "TokenRequest"] {
            let Some(RefOr::T(Schema::Object(body))) = components.schemas.get_mut(schema) else {
                continue;
            };
            for &(name, kind) in crate::domain::token::switches::SWITCHES {
                // Our own constant JSON: it always reads back as a schema.
                if let Ok(schema) = serde_json::from_value::<RefOr<Schema>>(
                    crate::domain::token::switches::schema_of(kind),
                ) {
                    body.properties.insert(name.to_owned(), schema);
                }
            }
        }
    }
}

struct AdminToken;

impl Modify for AdminToken {
    fn modify(&self, doc: &mut Document) {
        doc.components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "admin",
                SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
            );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "iDenfy API (as emulated by idenfy-mock)",
        description = "The iDenfy KYC endpoints idenfy-mock serves. HTTP Basic auth: API key and secret."),
    paths(
        api::token::create,
        api::verification::add_dummy_status,
        api::verification::status,
        api::verification::data,
        api::verification::files,
        api::verification::delete,
        api::verification::full,
        api::verification::generate_pdf,
        crate::http::ui::redirect,
    ),
    modifiers(&BasicAuth, &FeatureSwitches)
)]
pub struct IdenfyDoc;

#[derive(OpenApi)]
#[openapi(
    info(title = "idenfy-mock control API",
        description = "Test control under /_mock/: verifications, webhook journal, clock, reset, faults, scenarios, snapshots, inbox. Bearer admin token when configured."),
    paths(
        control::status::health,
        control::status::stats,
        control::status::ca_pem,
        control::verifications::list_verifications,
        control::verifications::get_verification,
        control::verifications::finish_verification,
        control::webhooks::list_webhooks,
        control::webhooks::wait_webhook,
        control::webhooks::get_webhook,
        control::webhooks::replay_webhook,
        control::clock::get_clock,
        control::clock::advance_clock,
        control::clock::set_clock,
        control::state::reset,
        control::faults::list_faults,
        control::faults::add_fault,
        control::faults::clear_faults,
        control::faults::delete_fault,
        control::scenarios::scenarios,
        control::state::snapshot,
        control::state::restore,
        control::inbox::receive,
        control::inbox::read,
        control::inbox::clear,
        control::inbox::list_inboxes,
    ),
    modifiers(&AdminToken)
)]
pub struct ControlDoc;

pub async fn idenfy() -> Json<Document> {
    Json(IdenfyDoc::openapi())
}

pub async fn control() -> Json<Document> {
    Json(ControlDoc::openapi())
}

#[cfg(test)]
mod tests {
    //! The token request schema is written beside the parser that enforces
    //! it (`TokenRequestBody` next to `TokenRequest::parse`): these tests
    //! keep the two saying the same thing.

    use serde_json::{json, Value};

    use super::*;
    use crate::domain::fields::FieldError;
    use crate::domain::token::TokenRequest;

    fn doc() -> Value {
        serde_json::to_value(IdenfyDoc::openapi()).unwrap()
    }

    /// `schema`, or the component it refers to (an optional field is
    /// `oneOf: [null, $ref]`).
    fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
        if let Some(r) = schema["$ref"].as_str() {
            let name = r.trim_start_matches("#/components/schemas/");
            return resolve(doc, &doc["components"]["schemas"][name]);
        }
        let referred = schema["oneOf"]
            .as_array()
            .and_then(|alternatives| alternatives.iter().find(|a| a.get("$ref").is_some()));
        match referred {
            Some(r) => resolve(doc, r),
            None => schema,
        }
    }

    /// Whether `schema`'s type is `t` (or `[t, "null"]`).
    fn is_type(schema: &Value, t: &str) -> bool {
        schema["type"] == t
            || schema["type"]
                .as_array()
                .is_some_and(|ts| ts.iter().any(|x| x == t))
    }

    /// A value of `field` that is exactly `n` characters long and otherwise
    /// valid; a field with a maxLength needs an entry here.
    fn of_length(field: &str, n: usize) -> String {
        let fill = |c: &str, n| c.repeat(n);
        match field {
            "clientId" | "externalRef" | "address" => fill("a", n),
            "firstName" | "lastName" | "documentNumber" => fill("A", n),
            "personalNumber" => fill("1", n),
            "locale" => format!("abc-{}", fill("a", n - 4)),
            f if f.ends_with("Url") => format!("http://{}", fill("a", n - 7)),
            other => panic!("add a sample value for '{other}', which has a maxLength"),
        }
    }

    /// Parses `{"clientId": "c", field: value}` (or just the field, for
    /// clientId); `Err` carries the message.
    fn parse(field: &str, value: Value) -> Result<(), String> {
        let mut body = json!({"clientId": "c"});
        body[field] = value;
        let defaults = crate::domain::testing::defaults();
        TokenRequest::parse(body.as_object().unwrap(), &defaults)
            .map(|_| ())
            .map_err(|e: FieldError| e.message().to_owned())
    }

    fn refused_naming(field: &str, value: Value) {
        match parse(field, value.clone()) {
            Ok(()) => panic!("{field} = {value} is past the documented limit but accepted"),
            Err(m) => assert!(
                m.contains(field),
                "{field} = {value}: '{m}' names another field"
            ),
        }
    }

    fn accepted(field: &str, value: Value) {
        if let Err(m) = parse(field, value.clone()) {
            panic!("{field} = {value} is within the documented schema but refused: {m}");
        }
    }

    #[test]
    fn the_token_schema_says_what_the_parser_enforces() {
        let doc = doc();
        let body = resolve(
            &doc,
            &doc["paths"]["/api/v2/token"]["post"]["requestBody"]["content"]["application/json"]
                ["schema"],
        );
        let properties = body["properties"].as_object().expect("properties");
        assert!(properties.len() > 30, "{}", properties.len());
        let mut checked = 0;
        for (field, schema) in properties {
            let schema = resolve(&doc, schema);
            if let Some(max) = schema["maxLength"].as_u64() {
                let max = max as usize;
                accepted(field, json!(of_length(field, max)));
                refused_naming(field, json!(of_length(field, max + 1)));
                checked += 1;
            }
            if let (Some(min), Some(max)) = (schema["minimum"].as_u64(), schema["maximum"].as_u64())
            {
                accepted(field, json!(min));
                accepted(field, json!(max));
                refused_naming(field, json!(max + 1));
                if min > 0 {
                    refused_naming(field, json!(min - 1));
                }
                checked += 1;
            }
            if let Some(values) = schema["enum"].as_array() {
                for v in values {
                    accepted(field, v.clone());
                }
                refused_naming(field, json!("NOT_A_VALUE"));
                checked += 1;
            }
            if is_type(schema, "array") {
                if let Some(values) = resolve(&doc, &schema["items"])["enum"].as_array() {
                    for v in values {
                        accepted(field, json!([v]));
                    }
                    refused_naming(field, json!(["NOT_A_VALUE"]));
                    checked += 1;
                }
            }
            if let Some(max) = schema["maxItems"].as_u64() {
                let item = match resolve(&doc, &schema["items"])["pattern"].as_str() {
                    Some("^[A-Za-z]{2}$") => "LT",
                    other => panic!("add a sample item for '{field}' (pattern {other:?})"),
                };
                accepted(field, json!(vec![item; max as usize]));
                refused_naming(field, json!(vec![item; max as usize + 1]));
                checked += 1;
            }
            if is_type(schema, "boolean") {
                accepted(field, json!(true));
                refused_naming(field, json!("yes"));
                checked += 1;
            }
        }
        assert!(checked >= 45, "only {checked} constraints checked");
    }
}
