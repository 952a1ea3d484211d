//! OpenAPI 3.1 documents generated from the handlers' annotations and the
//! types they serialize, so they cannot drift from the code. Served at
//! `/_mock/openapi/idenfy.json` (the emulated iDenfy API) and
//! `/_mock/openapi/control.json` (the control API).

use axum::Json;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::OpenApi as Document;
use utoipa::{Modify, OpenApi};

use crate::api;
use crate::control;

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
/// (`domain::switches`), added to the token request's schema.
struct FeatureSwitches;

impl Modify for FeatureSwitches {
    fn modify(&self, doc: &mut Document) {
        use utoipa::openapi::{schema::Schema, RefOr};
        let Some(components) = doc.components.as_mut() else {
            return;
        };
        let Some(RefOr::T(Schema::Object(body))) = components.schemas.get_mut("TokenRequestBody")
        else {
            return;
        };
        for &(name, kind) in crate::domain::switches::SWITCHES {
            // Our own constant JSON: it always reads back as a schema.
            if let Ok(schema) =
                serde_json::from_value::<RefOr<Schema>>(crate::domain::switches::schema_of(kind))
            {
                body.properties.insert(name.to_owned(), schema);
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
        crate::ui::redirect,
    ),
    modifiers(&BasicAuth, &FeatureSwitches)
)]
pub struct IdenfyDoc;

#[derive(OpenApi)]
#[openapi(
    info(title = "idenfy-mock control API",
        description = "Test control under /_mock/: verifications, webhook journal, clock, reset, faults, scenarios, snapshots, inbox. Bearer admin token when configured."),
    paths(
        control::health,
        control::stats,
        control::list_verifications,
        control::get_verification,
        control::finish_verification,
        control::list_webhooks,
        control::wait_webhook,
        control::get_webhook,
        control::replay_webhook,
        control::get_clock,
        control::advance_clock,
        control::set_clock,
        control::reset,
        control::list_faults,
        control::add_fault,
        control::clear_faults,
        control::delete_fault,
        control::scenarios,
        control::snapshot,
        control::restore,
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
