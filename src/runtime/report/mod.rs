//! The PDF report of `/api/v2/generate-pdf`: one A4 page with
//! the verification's identifiers, statuses, document data and times, and
//! the document photos when it has them. Written with `pdf-writer`; the text
//! is in Helvetica (a standard font: nothing embedded) with WinAnsi encoding.
//!
//! Bounded: each value is cut to [`MAX_VALUE_CHARS`], the data section to
//! [`MAX_DATA_LINES`] lines, so a report is one page of a few kilobytes.

use pdf_writer::types::ProcSet;
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str};
use serde_json::Value;

use crate::domain::calendar::utc;
use crate::domain::fields::{FieldResult, Fields, Object};
use crate::domain::verification::{DocumentData, Verification};

mod png;
mod text;

use png::Png;
use text::{cut, win_ansi};

/// Longest value shown, in characters (the rest is cut with `...`).
pub const MAX_VALUE_CHARS: usize = 70;
/// Most document-data lines shown.
pub const MAX_DATA_LINES: usize = 20;

/// The report's language (`language`: `en` or `lt`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    #[default]
    En,
    Lt,
}

impl Language {
    pub fn parse(s: &str) -> Option<Language> {
        match s {
            "en" => Some(Language::En),
            "lt" => Some(Language::Lt),
            _ => None,
        }
    }
}

/// What goes into a report besides the verification itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    pub language: Language,
    /// FRONT, BACK and FACE photos (when the verification has a result).
    pub main_step_files: bool,
    /// Additional-step photos: the mock collects none, so this adds nothing.
    pub additional_step_files: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            language: Language::En,
            main_step_files: true,
            additional_step_files: true,
        }
    }
}

/// A `generate-pdf` body: `scanRef` (required), `language` (`en` | `lt`,
/// default `en`), `includeMainStepFiles` and `includeAdditionalStepFiles`
/// (booleans, default `true`). Fields are checked in that order.
pub fn parse_request(body: &Object) -> FieldResult<(String, Options)> {
    let f = Fields(body);
    let scan_ref = crate::domain::requests::scan_ref(body)?;
    let language = f
        .one_of("language", Language::parse, || "en, lt".to_owned())?
        .unwrap_or_default();
    let main_step_files = f.boolean("includeMainStepFiles")?.unwrap_or(true);
    let additional_step_files = f.boolean("includeAdditionalStepFiles")?.unwrap_or(true);
    Ok((
        scan_ref,
        Options {
            language,
            main_step_files,
            additional_step_files,
        },
    ))
}

/// The labels, in the report's language.
struct Labels {
    title: &'static str,
    verification: &'static str,
    status: &'static str,
    data: &'static str,
    no_data: &'static str,
    more: &'static str,
    times: &'static str,
    started: &'static str,
    finished: &'static str,
    generated: &'static str,
    photos: &'static str,
    no_photos: &'static str,
    photos_omitted: &'static str,
    none: &'static str,
}

const EN: Labels = Labels {
    title: "Identity verification report",
    verification: "Verification",
    status: "Status",
    data: "Document data",
    no_data: "No document data (no result yet, or deleted).",
    more: "more fields not shown",
    times: "Times (UTC)",
    started: "Started",
    finished: "Finished",
    generated: "Report generated",
    photos: "Photos",
    no_photos: "No photos (no result yet, or deleted).",
    photos_omitted: "Photos not included (includeMainStepFiles: false).",
    none: "none",
};

const LT: Labels = Labels {
    title: "Asmens tapatybės patikros ataskaita",
    verification: "Patikra",
    status: "Būsena",
    data: "Dokumento duomenys",
    no_data: "Dokumento duomenų nėra (dar nėra rezultato arba ištrinta).",
    more: "daugiau laukų nerodoma",
    times: "Laikas (UTC)",
    started: "Pradėta",
    finished: "Baigta",
    generated: "Ataskaita sugeneruota",
    photos: "Nuotraukos",
    no_photos: "Nuotraukų nėra (dar nėra rezultato arba ištrinta).",
    photos_omitted: "Nuotraukos neįtrauktos (includeMainStepFiles: false).",
    none: "nėra",
};

const LEFT: f32 = 50.0;
const VALUE_X: f32 = 230.0;
const LEADING: f32 = 12.5;
const REGULAR: Name = Name(b"F1");
const BOLD: Name = Name(b"F2");

/// The report on `v` as it is at `now` (Unix seconds, the mock's clock).
/// `photos` are the PNG files (key, bytes) to show, empty when it has none.
pub fn pdf(v: &Verification, options: Options, photos: &[(&str, &[u8])], now: i64) -> Vec<u8> {
    let l = match options.language {
        Language::En => &EN,
        Language::Lt => &LT,
    };
    let mut text = TextBlock::new(800.0);
    text.line(BOLD, 16.0, l.title, None);
    text.gap();

    text.line(BOLD, 11.0, l.verification, None);
    let opt = |o: Option<&str>| o.unwrap_or(l.none).to_owned();
    let tags = |t: Vec<&str>| {
        if t.is_empty() {
            l.none.to_owned()
        } else {
            t.join(", ")
        }
    };
    let rows: [(&str, String); 9] = [
        ("scanRef", v.scan_ref.to_string()),
        ("clientId", v.request.client_id.clone()),
        (l.status, v.status.as_str().to_owned()),
        ("autoFace", opt(v.auto_face.map(|r| r.as_str()))),
        ("autoDocument", opt(v.auto_document.map(|r| r.as_str()))),
        ("manualFace", opt(v.manual_face.map(|r| r.as_str()))),
        ("manualDocument", opt(v.manual_document.map(|r| r.as_str()))),
        (
            "fraudTags",
            tags(v.fraud_tags.iter().map(|t| t.as_str()).collect()),
        ),
        (
            "mismatchTags",
            tags(v.mismatch_tags.iter().map(|t| t.as_str()).collect()),
        ),
    ];
    for (label, value) in &rows {
        text.line(REGULAR, 9.0, label, Some(value));
    }
    text.gap();

    text.line(BOLD, 11.0, l.data, None);
    let data = data_rows(&v.document_data());
    if data.is_empty() {
        text.line(REGULAR, 9.0, l.no_data, None);
    }
    for (key, value) in data.iter().take(MAX_DATA_LINES) {
        text.line(REGULAR, 9.0, key, Some(value));
    }
    if data.len() > MAX_DATA_LINES {
        let more = format!("+{} {}", data.len() - MAX_DATA_LINES, l.more);
        text.line(REGULAR, 9.0, &more, None);
    }
    text.gap();

    text.line(BOLD, 11.0, l.times, None);
    text.line(REGULAR, 9.0, l.started, Some(&utc(v.created_at)));
    let finished = v.finished_at.map_or_else(|| l.none.to_owned(), utc);
    text.line(REGULAR, 9.0, l.finished, Some(&finished));
    text.line(REGULAR, 9.0, l.generated, Some(&utc(now)));
    text.gap();

    text.line(BOLD, 11.0, l.photos, None);
    let images: Vec<Png> = if options.main_step_files {
        photos.iter().filter_map(|(k, b)| Png::read(k, b)).collect()
    } else {
        Vec::new()
    };
    if !options.main_step_files {
        text.line(REGULAR, 9.0, l.photos_omitted, None);
    } else if images.is_empty() {
        text.line(REGULAR, 9.0, l.no_photos, None);
    }
    let photos_top = text.y;
    let mut content = text.take_content();
    place_images(&mut content, &images, photos_top);

    write(content.finish().into_vec(), &images, &v.scan_ref)
}

/// The non-null document fields, as (wire key, text).
fn data_rows(data: &DocumentData) -> Vec<(String, String)> {
    let Ok(Value::Object(fields)) = serde_json::to_value(data) else {
        return Vec::new();
    };
    fields
        .into_iter()
        .filter_map(|(key, value)| {
            let text = match value {
                Value::Null => return None,
                Value::String(s) => s,
                Value::Array(items) => items
                    .iter()
                    .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
                    .collect::<Vec<_>>()
                    .join(", "),
                other => other.to_string(),
            };
            Some((key, text))
        })
        .collect()
}

/// Writes text lines top-down, a label and an optional value column.
struct TextBlock {
    content: Content,
    y: f32,
}

impl TextBlock {
    fn new(top: f32) -> TextBlock {
        TextBlock {
            content: Content::new(),
            y: top,
        }
    }

    fn line(&mut self, font: Name, size: f32, label: &str, value: Option<&str>) {
        self.show(font, size, LEFT, label);
        if let Some(value) = value {
            self.show(REGULAR, size, VALUE_X, value);
        }
        self.y -= if size > 12.0 { 2.0 * LEADING } else { LEADING };
    }

    fn gap(&mut self) {
        self.y -= LEADING / 2.0;
    }

    fn show(&mut self, font: Name, size: f32, x: f32, text: &str) {
        let bytes = win_ansi(&cut(text, MAX_VALUE_CHARS));
        self.content
            .begin_text()
            .set_font(font, size)
            .next_line(x, self.y)
            .show(Str(&bytes))
            .end_text();
    }

    fn take_content(&mut self) -> Content {
        std::mem::replace(&mut self.content, Content::new())
    }
}

const PHOTO_HEIGHT: f32 = 110.0;

/// Draws the photos side by side, 110 pt high, top edge at `top`.
fn place_images(content: &mut Content, images: &[Png], top: f32) {
    let mut x = LEFT;
    let y = (top - PHOTO_HEIGHT).max(40.0);
    for (i, png) in images.iter().enumerate() {
        let w = PHOTO_HEIGHT * png.width as f32 / png.height.max(1) as f32;
        content
            .save_state()
            .transform([w, 0.0, 0.0, PHOTO_HEIGHT, x, y])
            .x_object(Name(image_name(i).as_bytes()))
            .restore_state();
        let label = win_ansi(png.key);
        content
            .begin_text()
            .set_font(REGULAR, 8.0)
            .next_line(x, y - 10.0)
            .show(Str(&label))
            .end_text();
        x += w + 15.0;
    }
}

fn image_name(i: usize) -> String {
    format!("Im{i}")
}

fn write(content: Vec<u8>, images: &[Png], scan_ref: &str) -> Vec<u8> {
    let catalog = Ref::new(1);
    let pages = Ref::new(2);
    let page = Ref::new(3);
    let contents = Ref::new(4);
    let regular = Ref::new(5);
    let bold = Ref::new(6);
    let info = Ref::new(7);
    let image_ref = |i: usize| Ref::new(8 + i as i32);

    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(pages);
    pdf.pages(pages).kids([page]).count(1);
    let mut p = pdf.page(page);
    p.parent(pages)
        .media_box(Rect::new(0.0, 0.0, 595.0, 842.0))
        .contents(contents);
    let mut resources = p.resources();
    resources.proc_sets([ProcSet::Pdf, ProcSet::Text, ProcSet::ImageColor]);
    resources
        .fonts()
        .pair(REGULAR, regular)
        .pair(BOLD, bold)
        .finish();
    let names: Vec<String> = (0..images.len()).map(image_name).collect();
    let mut x_objects = resources.x_objects();
    for (i, name) in names.iter().enumerate() {
        x_objects.pair(Name(name.as_bytes()), image_ref(i));
    }
    x_objects.finish();
    resources.finish();
    p.finish();
    pdf.stream(contents, &content);
    for (id, base) in [(regular, "Helvetica"), (bold, "Helvetica-Bold")] {
        pdf.type1_font(id)
            .base_font(Name(base.as_bytes()))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    let title = format!("iDenfy verification report {scan_ref}");
    pdf.document_info(info)
        .title(pdf_writer::TextStr(&title))
        .producer(pdf_writer::TextStr("idenfy-mock"));
    for (i, png) in images.iter().enumerate() {
        let mut image = pdf.image_xobject(image_ref(i), &png.idat);
        image.filter(Filter::FlateDecode);
        image
            .decode_parms()
            .predictor(pdf_writer::types::Predictor::PngOptimum)
            .colors(png.colors)
            .bits_per_component(8)
            .columns(png.width as i32);
        image.width(png.width as i32).height(png.height as i32);
        if png.colors == 3 {
            image.color_space().device_rgb();
        } else {
            image.color_space().device_gray();
        }
        image.bits_per_component(8);
    }
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_checked_field_by_field() {
        use crate::domain::fields::{object_of, FieldError};
        use serde_json::json;
        let parse = |v: Value| parse_request(&object_of(&v));
        assert_eq!(
            parse(json!({"scanRef": "s"})),
            Ok(("s".to_owned(), Options::default()))
        );
        let (_, o) = parse(json!({"scanRef": "s", "language": "lt",
            "includeMainStepFiles": false, "includeAdditionalStepFiles": null}))
        .unwrap();
        assert_eq!(
            (o.language, o.main_step_files, o.additional_step_files),
            (Language::Lt, false, true)
        );
        assert_eq!(parse(json!({})), Err(FieldError::missing("scanRef")));
        for (bad, field) in [
            (json!({"scanRef": "s", "language": "de"}), "language"),
            (json!({"scanRef": "s", "language": 1}), "language"),
            (
                json!({"scanRef": "s", "includeMainStepFiles": "yes"}),
                "includeMainStepFiles",
            ),
            (
                json!({"scanRef": "s", "includeAdditionalStepFiles": 0}),
                "includeAdditionalStepFiles",
            ),
        ] {
            let e = parse(bad).unwrap_err();
            assert!(e.message().contains(field), "{e:?}");
        }
    }

    #[test]
    fn dates_are_utc() {
        assert_eq!(utc(0), "1970-01-01 00:00:00");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00");
        assert_eq!(utc(1_764_698_400 + 3_661), "2025-12-02 19:01:01");
    }

    #[test]
    fn text_is_win_ansi() {
        assert_eq!(win_ansi("Ab(c)\\"), b"Ab(c)\\");
        assert_eq!(
            win_ansi("Šė\u{e9}\u{7}😀"),
            vec![0x8A, b'e', 0xE9, b' ', b'?']
        );
    }

    #[test]
    fn long_values_are_cut() {
        let long = "x".repeat(500);
        assert_eq!(cut(&long, 10), "xxxxxxx...");
        assert_eq!(cut("short", 10), "short");
    }

    #[test]
    fn pngs_are_read_or_refused() {
        let png = Png::read("FACE", include_bytes!("../../../assets/face.png")).unwrap();
        assert_eq!((png.width, png.height, png.colors), (160, 200, 3));
        assert!(Png::read("X", b"\x89PNG\r\n\x1a\n\0\0\0\xffIHDR").is_none());
        assert!(Png::read("X", b"not a png").is_none());
    }
}
