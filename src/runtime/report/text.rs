//! Text for the report: cutting long values, WinAnsi encoding.

/// At most `max` characters of `s`, with `...` when cut.
pub(super) fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(3)).collect();
    out.push_str("...");
    out
}

/// `s` in WinAnsiEncoding, the encoding of the report's font. Letters it
/// lacks (Lithuanian ą č ę ė į ų ū, …) lose their accent; anything else it
/// cannot show becomes `?`. Control characters become spaces.
pub(super) fn win_ansi(s: &str) -> Vec<u8> {
    /// Unicode for the WinAnsi bytes 0x80..=0x9F (0 = unused).
    const HIGH: [u16; 32] = [
        0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039,
        0x0152, 0, 0x017D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC,
        0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
    ];
    const PLAIN: [(char, u8); 14] = [
        ('ą', b'a'),
        ('Ą', b'A'),
        ('č', b'c'),
        ('Č', b'C'),
        ('ę', b'e'),
        ('Ę', b'E'),
        ('ė', b'e'),
        ('Ė', b'E'),
        ('į', b'i'),
        ('Į', b'I'),
        ('ų', b'u'),
        ('Ų', b'U'),
        ('ū', b'u'),
        ('Ū', b'U'),
    ];
    s.chars()
        .map(|c| {
            let u = u32::from(c);
            match u {
                0x20..=0x7E | 0xA0..=0xFF => u as u8,
                0..=0x1F | 0x7F..=0x9F => b' ',
                _ => {
                    if let Some(i) = HIGH.iter().position(|&h| h != 0 && u32::from(h) == u) {
                        0x80 + i as u8
                    } else if let Some(&(_, b)) = PLAIN.iter().find(|(p, _)| *p == c) {
                        b
                    } else {
                        b'?'
                    }
                }
            }
        })
        .collect()
}
