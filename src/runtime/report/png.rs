//! The PNGs the report embeds, read just far enough for a PDF to use their
//! compressed data as is.

/// A non-interlaced 8-bit RGB or grey PNG, whose zlib data a PDF reads as is
/// (FlateDecode with the PNG predictors).
pub(super) struct Png<'a> {
    pub(super) key: &'a str,
    pub(super) width: u32,
    pub(super) height: u32,
    pub(super) colors: i32,
    pub(super) idat: Vec<u8>,
}

impl<'a> Png<'a> {
    /// `None` for anything but such a PNG (the mock's own images are).
    pub(super) fn read(key: &'a str, bytes: &[u8]) -> Option<Png<'a>> {
        let mut rest = bytes.strip_prefix(b"\x89PNG\r\n\x1a\n")?;
        let (mut width, mut height, mut colors) = (0, 0, 0);
        let mut idat = Vec::new();
        while rest.len() >= 12 {
            let len = u32::from_be_bytes(rest[0..4].try_into().ok()?) as usize;
            let kind = &rest[4..8];
            let data = rest.get(8..8usize.checked_add(len)?)?;
            match kind {
                b"IHDR" if data.len() == 13 => {
                    width = u32::from_be_bytes(data[0..4].try_into().ok()?);
                    height = u32::from_be_bytes(data[4..8].try_into().ok()?);
                    let (depth, color, interlace) = (data[8], data[9], data[12]);
                    colors = match (depth, color, interlace) {
                        (8, 2, 0) => 3,
                        (8, 0, 0) => 1,
                        _ => return None,
                    };
                }
                b"IDAT" => idat.extend_from_slice(data),
                b"IEND" => break,
                _ => {}
            }
            rest = rest.get(12 + len..)?;
        }
        (colors > 0 && !idat.is_empty()).then_some(Png {
            key,
            width,
            height,
            colors,
            idat,
        })
    }
}
