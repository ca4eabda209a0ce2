//! Logging set-up shared by the tools: tracing to stderr only, so that stdout
//! stays data. Warnings by default, `-q` errors only, `-v` debug, `-vv` trace;
//! `RUST_LOG` overrides.

use tracing_subscriber::EnvFilter;

/// Installs the stderr subscriber. `verbosity` is the count of `-v` minus
/// the count of `-q`.
pub fn init(verbosity: i8) {
    let level = match verbosity {
        i8::MIN..=-1 => "error",
        0 => "warn",
        1 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .try_init();
}
