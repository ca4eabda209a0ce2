//! A small look-ahead reader for the header scanner: it reads in blocks, lets
//! the scanner peek before it decides how to parse, and skips values without
//! keeping them. Its own unit so the scanner reads as DICOM, not as buffering.

use std::io::{self, Read};

/// Most files give up their ID in the first block: one read a file.
const BLOCK: usize = 4096;

/// Buffered bytes over a reader.
pub struct Source<R> {
    input: R,
    buf: Vec<u8>,
    pos: usize,
    eof: bool,
}

impl<R: Read> Source<R> {
    /// Wraps a reader; nothing is read yet.
    pub fn new(input: R) -> Self {
        Source {
            input,
            buf: Vec::new(),
            pos: 0,
            eof: false,
        }
    }

    /// Makes `n` bytes available if the stream has them; returns how many are.
    fn fill(&mut self, n: usize) -> io::Result<usize> {
        while self.buf.len() - self.pos < n && !self.eof {
            if self.pos > 0 && self.pos == self.buf.len() {
                self.buf.clear();
                self.pos = 0;
            }
            let have = self.buf.len();
            let want = (n - (have - self.pos)).max(BLOCK);
            self.buf.resize(have + want, 0);
            let got = loop {
                match self.input.read(&mut self.buf[have..]) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    other => break other,
                }
            };
            let got = match got {
                Ok(got) => got,
                Err(e) => {
                    self.buf.truncate(have);
                    return Err(e);
                }
            };
            self.buf.truncate(have + got);
            self.eof = got == 0;
        }
        Ok((self.buf.len() - self.pos).min(n))
    }

    /// Up to `n` bytes ahead, without consuming them.
    pub fn peek(&mut self, n: usize) -> io::Result<&[u8]> {
        let have = self.fill(n)?;
        Ok(&self.buf[self.pos..self.pos + have])
    }

    /// Whether the stream has no more bytes.
    pub fn at_end(&mut self) -> io::Result<bool> {
        Ok(self.fill(1)? == 0)
    }

    /// Exactly `n` bytes, or `None` when the stream ends before them.
    pub fn take(&mut self, n: usize) -> io::Result<Option<Vec<u8>>> {
        let have = self.fill(n)?;
        if have < n {
            return Ok(None);
        }
        let out = self.buf[self.pos..self.pos + n].to_vec();
        self.pos += n;
        Ok(Some(out))
    }

    /// Skips `n` bytes; fails with `UnexpectedEof` if the stream has fewer.
    pub fn skip(&mut self, n: u64) -> io::Result<()> {
        let buffered = (self.buf.len() - self.pos) as u64;
        if n <= buffered {
            self.pos += n as usize;
            return Ok(());
        }
        self.pos = self.buf.len();
        let rest = n - buffered;
        let copied = io::copy(&mut (&mut self.input).take(rest), &mut io::sink())?;
        if copied < rest {
            return Err(io::Error::from(io::ErrorKind::UnexpectedEof));
        }
        Ok(())
    }

    /// The unread bytes followed by the rest of the stream, for a decoder
    /// (deflate) that takes over from here.
    pub fn into_reader(self) -> impl Read {
        io::Cursor::new(self.buf[self.pos..].to_vec()).chain(self.input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_tells_clean_end_from_cut_end() {
        let mut src = Source::new(&b"abcdef"[..]);
        assert_eq!(src.peek(2).unwrap(), b"ab");
        assert_eq!(src.take(4).unwrap().unwrap(), b"abcd");
        assert_eq!(src.take(4).unwrap(), None);
        let mut src = Source::new(&b"ab"[..]);
        src.skip(2).unwrap();
        assert!(src.at_end().unwrap());
    }

    #[test]
    fn skip_past_the_buffer_and_past_the_end() {
        let data = vec![7u8; 3 * BLOCK];
        let mut src = Source::new(&data[..]);
        src.peek(10).unwrap();
        src.skip(2 * BLOCK as u64 + 5).unwrap();
        assert_eq!(src.take(3).unwrap().unwrap(), [7, 7, 7]);
        assert!(src.skip(BLOCK as u64).is_err());
    }
}
