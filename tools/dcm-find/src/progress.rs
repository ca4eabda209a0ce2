//! Counting the input's entries, for the progress bar's total when the IDs
//! come from a file rather than a pipe. The bar itself is dcm-core's.

pub use dcm_core::progress::Progress;

/// How many entries `input` holds: terminators, plus an unterminated last
/// one.
pub fn count_entries(input: &[u8], terminator: u8) -> u64 {
    let ends = input.iter().filter(|&&b| b == terminator).count() as u64;
    let tail = input.last().is_some_and(|&b| b != terminator);
    ends + u64::from(tail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_counted_like_the_reader_reads_them() {
        assert_eq!(count_entries(b"", b'\n'), 0);
        assert_eq!(count_entries(b"A\n\nB\n", b'\n'), 3);
        assert_eq!(count_entries(b"A\nB", b'\n'), 2);
        assert_eq!(count_entries(b"A\0B\0", b'\0'), 2);
    }
}
