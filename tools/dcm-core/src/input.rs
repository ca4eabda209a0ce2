//! Reading the ID stream (design.md, section 2): one ID per line, or
//! NUL-terminated with `-0`; in numbered mode each line is `POSITION<TAB>ID`.
//!
//! Lines are kept as raw bytes too, so a failed input can be written back to a
//! `--failed` file exactly as it was read, and a rerun reads it the same way.

use std::io::{self, BufRead};

/// How ID lines are separated and whether they carry their position.
#[derive(Debug, Clone, Copy, Default)]
pub struct IdFormat {
    /// NUL instead of newline as the terminator.
    pub null: bool,
    /// Each line is `POSITION<TAB>ID`.
    pub numbered: bool,
}

impl IdFormat {
    /// The byte that ends one entry.
    pub fn terminator(self) -> u8 {
        if self.null {
            b'\0'
        } else {
            b'\n'
        }
    }
}

/// One entry of the ID stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdLine {
    /// 0-based place of the ID in the full list.
    pub position: u64,
    /// The entry as read, without its terminator.
    pub raw: Vec<u8>,
    /// The ID, or why the entry could not be read as one.
    pub id: Result<String, String>,
}

/// Reads ID entries one at a time; a read error of the stream itself is
/// returned as `Err`, a malformed entry as an `IdLine` whose `id` is `Err`.
pub struct IdReader<R> {
    input: R,
    format: IdFormat,
    next_position: u64,
}

impl<R: BufRead> IdReader<R> {
    /// Wraps a buffered input.
    pub fn new(input: R, format: IdFormat) -> Self {
        IdReader {
            input,
            format,
            next_position: 0,
        }
    }

    fn parse(&self, raw: Vec<u8>, position: u64) -> IdLine {
        let text = match std::str::from_utf8(&raw) {
            Ok(t) => t,
            Err(_) => {
                let id = Err("not valid UTF-8".to_string());
                return IdLine { position, raw, id };
            }
        };
        if !self.format.numbered {
            let id = Ok(text.to_string());
            return IdLine { position, raw, id };
        }
        let Some((pos, id)) = text.split_once('\t') else {
            let id = Err("numbered line without a tab after the position".to_string());
            return IdLine { position, raw, id };
        };
        match pos.trim().parse::<u64>() {
            Ok(p) => IdLine {
                position: p,
                id: Ok(id.to_string()),
                raw,
            },
            Err(_) => {
                let id = Err(format!("position {pos:?} is not a whole number"));
                IdLine { position, raw, id }
            }
        }
    }
}

impl<R: BufRead> Iterator for IdReader<R> {
    type Item = io::Result<IdLine>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut raw = Vec::new();
        match self.input.read_until(self.format.terminator(), &mut raw) {
            Ok(0) => return None,
            Ok(_) => {}
            Err(e) => return Some(Err(e)),
        }
        if raw.last() == Some(&self.format.terminator()) {
            raw.pop();
        }
        // Lists edited on Windows end lines with CRLF; the CR is never part of an ID.
        if !self.format.null && raw.last() == Some(&b'\r') {
            raw.pop();
        }
        let position = self.next_position;
        self.next_position += 1;
        Some(Ok(self.parse(raw, position)))
    }
}

/// Formats an ID as one entry of the stream, terminator included.
pub fn format_entry(format: IdFormat, position: u64, id: &str) -> String {
    let end = format.terminator() as char;
    if format.numbered {
        format!("{position}\t{id}{end}")
    } else {
        format!("{id}{end}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(input: &[u8], format: IdFormat) -> Vec<IdLine> {
        IdReader::new(input, format).map(Result::unwrap).collect()
    }

    #[test]
    fn plain_lines_are_numbered_from_zero_counting_every_line() {
        let lines = read(b"A\r\n\nB", IdFormat::default());
        let got: Vec<_> = lines.iter().map(|l| (l.position, l.id.clone())).collect();
        assert_eq!(
            got,
            vec![(0, Ok("A".into())), (1, Ok("".into())), (2, Ok("B".into()))]
        );
    }

    #[test]
    fn numbered_lines_keep_their_position() {
        let format = IdFormat {
            numbered: true,
            null: false,
        };
        let lines = read(b"17\tPAT 1\nx\tY\nnotab\n", format);
        assert_eq!(lines[0].position, 17);
        assert_eq!(lines[0].id, Ok("PAT 1".into()));
        assert!(lines[1].id.is_err());
        assert!(lines[2].id.is_err());
        assert_eq!(lines[2].raw, b"notab");
    }

    #[test]
    fn nul_terminated_entries_may_hold_newlines() {
        let format = IdFormat {
            null: true,
            numbered: false,
        };
        let lines = read(b"a\nb\0c\0", format);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].id, Ok("a\nb".into()));
    }

    #[test]
    fn invalid_utf8_is_a_malformed_entry_kept_raw() {
        let lines = read(b"\xff\xfe\n", IdFormat::default());
        assert!(lines[0].id.is_err());
        assert_eq!(lines[0].raw, b"\xff\xfe");
    }

    #[test]
    fn entries_round_trip_through_format_entry() {
        let format = IdFormat {
            numbered: true,
            null: false,
        };
        let text = format_entry(format, 5, "Dvořák");
        let lines = read(text.as_bytes(), format);
        assert_eq!(
            (lines[0].position, lines[0].id.clone()),
            (5, Ok("Dvořák".into()))
        );
    }
}
