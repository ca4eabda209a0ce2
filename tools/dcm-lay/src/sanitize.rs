//! Turning untrusted values (IDs, dates, descriptions from a PACS) into safe
//! pieces of file names.
//!
//! Its own unit because its laws are what keeps the tree inside ROOT: a
//! sanitized value never holds a path separator, never is `.` or `..`, never
//! starts with `.` or `-`, holds no control or bidirectional-override
//! character, is never a name that Windows reserves, and stays short. The
//! mapping is injective: every character it changes is percent-escaped
//! (`%` itself included) and an over-long value ends in `~` plus a hash of the
//! whole value (a plain `~` is escaped), so two different values never become
//! the same name (short of a 64-bit hash collision on values over the limit).

use sha2::{Digest, Sha256};

/// Longest sanitized value in bytes: leaves room in a 255-byte file name for
/// the template's literals and for the temp-file prefix and suffix.
pub const MAX_VALUE_BYTES: usize = 100;

/// Longest name component in bytes: 255 is the limit of common file systems,
/// and a temp name adds about 30 bytes to it.
pub const MAX_COMPONENT_BYTES: usize = 200;

/// Names that Windows reserves for devices, whatever the extension.
const RESERVED: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// Makes one value safe as (part of) a file name; see the module doc.
///
/// ```
/// use dcm_lay::sanitize::sanitize;
/// assert_eq!(sanitize("12345678"), "12345678");
/// assert_eq!(sanitize("../../etc"), "%2E.%2F..%2Fetc");
/// assert_eq!(sanitize("CON"), "%43ON");
/// ```
pub fn sanitize(value: &str) -> String {
    if value.is_empty() {
        // A lone `%` is never the escape of a non-empty value.
        return "%".to_string();
    }
    let last = value.chars().count() - 1;
    let mut out = String::with_capacity(value.len());
    for (i, c) in value.chars().enumerate() {
        let edge =
            (i == 0 && matches!(c, '.' | '-' | ' ')) || (i == last && matches!(c, '.' | ' '));
        if edge || needs_escape(c) {
            escape_char(c, &mut out);
        } else {
            out.push(c);
        }
    }
    if is_reserved(&out) {
        let first = out.remove(0);
        let mut escaped = String::new();
        escape_char(first, &mut escaped);
        out.insert_str(0, &escaped);
    }
    if out.len() > MAX_VALUE_BYTES {
        out = shorten(&out, value);
    }
    out
}

/// Characters that never appear unescaped in a sanitized value.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' | '%' | '+' | '~'
        )
        || is_invisible_format(c)
}

/// Bidirectional overrides, zero-width characters and the BOM: they make a
/// name display as something else than it is.
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

fn escape_char(c: char, out: &mut String) {
    let mut buf = [0u8; 4];
    for b in c.encode_utf8(&mut buf).bytes() {
        out.push_str(&format!("%{b:02X}"));
    }
}

/// True for `CON`, `con.txt`, `LPT1.dcm`, ...: the part before the first dot.
fn is_reserved(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or(name);
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(stem))
}

/// Cuts an escaped value at a character boundary (never inside an escape)
/// and appends `~` and 16 hex digits of the SHA-256 of the original value.
fn shorten(escaped: &str, original: &str) -> String {
    let keep = MAX_VALUE_BYTES - 17;
    let mut end = 0;
    let mut chars = escaped.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let len = if c == '%' { 3 } else { c.len_utf8() };
        if i + len > keep {
            break;
        }
        end = i + len;
        if c == '%' {
            chars.next();
            chars.next();
        }
    }
    let hash = Sha256::digest(original.as_bytes());
    let hex: String = hash[..8].iter().map(|b| format!("{b:02x}")).collect();
    // The cut may end on a `.` or space that was safe mid-value.
    let head = escaped[..end].trim_end_matches(['.', ' ']);
    format!("{head}~{hex}")
}

/// Why a whole name component (after expansion) is not acceptable.
pub fn check_component(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("expands to an empty name".into());
    }
    if name.starts_with('.') {
        return Err(format!("name {name:?} would be hidden (starts with a dot)"));
    }
    if name.ends_with(['.', ' ']) {
        return Err(format!("name {name:?} ends with a dot or space"));
    }
    if name.contains(['/', '\\', '\0']) || name.chars().any(char::is_control) {
        return Err(format!(
            "name {name:?} holds a separator or control character"
        ));
    }
    if is_reserved(name) {
        return Err(format!("name {name:?} is reserved on Windows"));
    }
    if name.len() > MAX_COMPONENT_BYTES {
        return Err(format!(
            "name is {} bytes, over {MAX_COMPONENT_BYTES}",
            name.len()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn hostile() -> Vec<String> {
        let mut v: Vec<String> = [
            "../../etc",
            "/abs",
            "..",
            ".",
            "-rf",
            "a\0b",
            "a\nb",
            "a\u{202E}gnp.exe",
            "CON",
            "con.txt",
            "Lpt9",
            "name.",
            "name ",
            " lead",
            "a/b",
            "a%2Fb",
            "a%b",
            "a~b",
            "a+b",
            "a\\b",
            "",
            "%",
            "~",
            "Dvořák^Antonín",
            "x:y",
            "ab",
            "aB",
            "COM1.dcm",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        v.push("x".repeat(300));
        v.push(format!("{}y", "x".repeat(299)));
        v.push("é".repeat(200));
        v.push("%".repeat(200));
        v
    }

    #[test]
    fn never_a_separator_dot_name_or_hidden_name() {
        for v in hostile() {
            let s = sanitize(&v);
            assert!(check_component(&s).is_ok(), "{v:?} -> {s:?}");
            assert!(
                !s.contains(['/', '\\', '\0', '\n', '\u{202E}']),
                "{v:?} -> {s:?}"
            );
            assert!(s != "." && s != ".." && !s.starts_with(['.', '-']), "{v:?}");
            assert!(s.len() <= MAX_VALUE_BYTES, "{v:?} is {} bytes", s.len());
        }
    }

    #[test]
    fn injective_on_the_hostile_corpus() {
        let mut seen: HashMap<String, String> = HashMap::new();
        for v in hostile() {
            if let Some(prev) = seen.insert(sanitize(&v), v.clone()) {
                panic!("{prev:?} and {v:?} share a name");
            }
        }
    }

    #[test]
    fn injective_on_all_short_strings_of_tricky_characters() {
        let alphabet = ['a', '.', '%', '2', 'F', '/', ' ', '~', '-', 'C'];
        let mut seen: HashMap<String, String> = HashMap::new();
        let mut values = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = values
                .iter()
                .flat_map(|v| alphabet.iter().map(move |c| format!("{v}{c}")))
                .collect();
            values.extend(longer);
        }
        values.sort();
        values.dedup();
        for v in values {
            if let Some(prev) = seen.insert(sanitize(&v), v.clone()) {
                panic!("{prev:?} and {v:?} share a name");
            }
        }
    }

    #[test]
    fn plain_values_stay_readable() {
        assert_eq!(sanitize("12345678"), "12345678");
        assert_eq!(sanitize("Dvořák^Antonín"), "Dvořák^Antonín");
        assert_eq!(sanitize("1.2.840.113619.2.1"), "1.2.840.113619.2.1");
        assert_eq!(sanitize("a b"), "a b");
    }

    #[test]
    fn long_values_are_cut_with_a_hash_of_the_whole_value() {
        let a = sanitize(&"x".repeat(300));
        let b = sanitize(&format!("{}y", "x".repeat(299)));
        assert_ne!(a, b);
        assert!(a.contains('~') && a.len() <= MAX_VALUE_BYTES);
        let p = sanitize(&"%".repeat(200));
        assert!(p.starts_with("%25%25") && p.split('~').next().unwrap().len() % 3 == 0);
    }

    #[test]
    fn components_are_checked() {
        assert!(check_component("rsp0001.dcm").is_ok());
        for bad in ["", ".", "..", ".x", "a.", "a ", "CON.dcm", "a/b"] {
            assert!(check_component(bad).is_err(), "{bad:?}");
        }
        assert!(check_component(&"x".repeat(201)).is_err());
    }
}
