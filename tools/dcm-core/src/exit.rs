//! Exit statuses shared by the three tools (design.md, section 2).
//!
//! Kept in one place so that every tool documents and returns the same codes,
//! and so that a pipeline script can take the worst status of its stages.

/// How a run ended, from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    /// Every input done (some may have had nothing to give).
    Ok,
    /// Some inputs failed; the rest are complete.
    SomeFailed,
    /// Usage error, or the run stopped early on a fatal error.
    Fatal,
    /// Interrupted (SIGINT), or stopped by a broken pipe downstream.
    Interrupted,
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> i32 {
        match self {
            Exit::Ok => 0,
            Exit::SomeFailed => 1,
            Exit::Fatal => 2,
            Exit::Interrupted => 130,
        }
    }

    /// The worse of two outcomes.
    pub fn worst(self, other: Exit) -> Exit {
        self.max(other)
    }

    /// `SomeFailed` when `failed > 0`, else `Ok`.
    pub fn from_failures(failed: u64) -> Exit {
        if failed > 0 {
            Exit::SomeFailed
        } else {
            Exit::Ok
        }
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        std::process::ExitCode::from(exit.code() as u8)
    }
}

/// The exit-status table, for every tool's `--help`.
pub const EXIT_HELP: &str = "\
Exit status:
  0    every input done (some may have had nothing to give)
  1    some inputs failed (listed on stderr and in --failed); the rest are complete
  2    usage error, or the run stopped early on a fatal error
  130  interrupted";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_orders_by_severity() {
        assert_eq!(Exit::Ok.worst(Exit::SomeFailed), Exit::SomeFailed);
        assert_eq!(Exit::Fatal.worst(Exit::SomeFailed), Exit::Fatal);
        assert_eq!(Exit::Interrupted.worst(Exit::Fatal), Exit::Interrupted);
        assert_eq!(Exit::from_failures(0), Exit::Ok);
        assert_eq!(Exit::from_failures(3).code(), 1);
    }
}
