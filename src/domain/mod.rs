//! What idenfy-mock is about, free of HTTP: partners' environments, the status
//! vocabulary and its rules, token requests and verifications.

pub mod aml;
pub mod calendar;
pub mod canned;
pub mod document_only;
pub mod escape;
pub mod expiration;
pub mod fields;
pub mod outcome;
pub mod payload;
pub mod requests;
pub mod status;
pub mod token;
pub mod url;
pub mod verification;

/// Which partner a verification belongs to: its index in the configuration.
pub type PartnerId = usize;

/// Defines an enum whose variants travel as fixed strings (iDenfy's spelling),
/// with `as_str`, `parse`, `ALL` and serde support through those strings.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in documentation order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }

            /// The value with this exact wire spelling.
            pub fn parse(s: &str) -> Option<$name> {
                match s { $($wire => Some($name::$variant),)+ _ => None }
            }

            /// The wire spellings joined by ", ", for error messages.
            pub fn list() -> String {
                [$($wire),+].join(", ")
            }
        }

        impl $crate::domain::Vocabulary for $name {
            fn wire(self) -> &'static str { self.as_str() }
            fn from_wire(s: &str) -> Option<Self> { $name::parse(s) }
            fn listed() -> String { $name::list() }
            fn spellings() -> Vec<&'static str> { vec![$($wire),+] }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($wire),+]))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                $name::parse(&s).ok_or_else(|| {
                    serde::de::Error::custom(format!(
                        "'{}' is not one of: {}", s, $name::list()
                    ))
                })
            }
        }
    };
}
pub(crate) use wire_enum;

/// What every `wire_enum!` offers, for code generic over vocabularies.
pub trait Vocabulary: Copy + Sized + 'static {
    fn wire(self) -> &'static str;
    fn from_wire(s: &str) -> Option<Self>;
    /// The spellings joined by ", ".
    fn listed() -> String;
    fn spellings() -> Vec<&'static str>;
}

wire_enum!(
    /// The iDenfy environment a partner's key pair runs in.
    Environment { Dev = "DEV", Test = "TEST", Prod = "PROD", Demo = "DEMO" }
);

#[cfg(test)]
pub(crate) mod testing {
    //! The embedded configuration's values, for the domain's unit tests
    //! (`config`'s tests check that they agree with config.toml).
    use super::status::{DocumentResult, FaceResult, MismatchTagValue};
    use super::token::{DocumentType, TokenDefaults};
    use super::verification::AutoResult;

    pub fn defaults() -> TokenDefaults {
        TokenDefaults {
            expiry_time: 3600,
            session_length: 600,
            locale: "en".into(),
            documents: vec![
                DocumentType::IdCard,
                DocumentType::Passport,
                DocumentType::ResidencePermit,
                DocumentType::DriverLicense,
            ],
            file_url_ttl_secs: 3600,
            max_attempts: 2,
        }
    }

    pub fn approved() -> AutoResult {
        AutoResult {
            auto_face: FaceResult::FaceMatch,
            auto_document: DocumentResult::DocValidated,
            fraud_tags: vec![],
            mismatch_tags: vec![],
        }
    }

    pub fn denied() -> AutoResult {
        AutoResult {
            auto_face: FaceResult::FaceMismatch,
            ..approved()
        }
    }

    pub fn suspected() -> AutoResult {
        AutoResult {
            mismatch_tags: vec![MismatchTagValue::parse("NAME").expect("a mismatch tag")],
            ..approved()
        }
    }
}
