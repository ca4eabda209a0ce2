//! Logging set-up shared by the tools: tracing to stderr only, so that stdout
//! stays data. Warnings by default, `-q` errors only, `-v` debug, `-vv` trace;
//! `RUST_LOG` overrides.
//!
//! Events are printed as their bare message, no level or timestamp: callers
//! build the message with [`crate::message::line`], so a warning reads like
//! every other line of the tool (`dcm-ids: rsp0007.dcm: not a DICOM file`).

use std::fmt;

use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::EnvFilter;

/// Installs the stderr subscriber. `verbosity` is the count of `-v`, or -1
/// for `-q`.
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
        .event_format(BareMessage)
        .try_init();
}

/// Formats an event as its fields only.
struct BareMessage;

impl<S, N> FormatEvent<S, N> for BareMessage
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}
