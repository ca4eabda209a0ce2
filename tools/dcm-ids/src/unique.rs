//! First-seen de-duplication, with the count of files and the first file of
//! each value for the CSV and JSON outputs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// One unique value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The value.
    pub value: String,
    /// How many files carried it.
    pub files: u64,
    /// The first file (in walk order) that carried it.
    pub first_file: PathBuf,
}

/// The unique values in first-seen order.
#[derive(Debug, Default)]
pub struct Unique {
    index: HashMap<String, usize>,
    entries: Vec<Entry>,
}

impl Unique {
    /// Counts `value` from `file`; returns its position if it is new.
    pub fn add(&mut self, value: &str, file: &Path) -> Option<usize> {
        if let Some(&i) = self.index.get(value) {
            self.entries[i].files += 1;
            return None;
        }
        let i = self.entries.len();
        self.index.insert(value.to_string(), i);
        self.entries.push(Entry {
            value: value.into(),
            files: 1,
            first_file: file.into(),
        });
        Some(i)
    }

    /// The unique values so far, in first-seen order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_first_seen_order_and_counts() {
        let mut u = Unique::default();
        assert_eq!(u.add("B", Path::new("1")), Some(0));
        assert_eq!(u.add("A", Path::new("2")), Some(1));
        assert_eq!(u.add("B", Path::new("3")), None);
        let got: Vec<_> = u
            .entries()
            .iter()
            .map(|e| (e.value.as_str(), e.files))
            .collect();
        assert_eq!(got, [("B", 2), ("A", 1)]);
        assert_eq!(u.entries()[0].first_file, Path::new("1"));
    }
}
