//! Logging set-up shared by the tools: tracing to stderr only, so that stdout
//! stays data. Warnings by default, `-q` errors only, `-v` debug, `-vv` trace;
//! `RUST_LOG` overrides.
//!
//! Every stderr line of a tool goes through this module, in one of two forms
//! (`--log-format`):
//! - text: the bare message, no level or timestamp, starting with the tool's
//!   name (`dcm-ids: rsp0007.dcm: not a DICOM file`), so a warning reads like
//!   every other line of the tool;
//! - json: one object per line, `{"level":..,"tool":..,"message":..}` plus
//!   the event's fields, for cron jobs that ship their logs to a collector.
//!
//! The lines a run always owes its user, one per failed input and the summary,
//! are written by [`emit`] (through [`crate::message`]) rather than as tracing
//! events, so that no `RUST_LOG` filter can drop them.

use std::fmt;
use std::io::Write;
use std::sync::OnceLock;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::EnvFilter;

use crate::cli::{LogFormat, Verbosity};

/// What [`init`] was told, for the lines written outside tracing.
#[derive(Debug, Clone, Copy)]
struct Settings {
    format: LogFormat,
    quiet: bool,
}

static SETTINGS: OnceLock<Settings> = OnceLock::new();

/// Installs the stderr subscriber for `tool` (its name starts every line).
pub fn init(tool: &'static str, verbosity: Verbosity) {
    let _ = SETTINGS.set(Settings {
        format: verbosity.log_format,
        quiet: verbosity.quiet,
    });
    let level = match verbosity.level() {
        i8::MIN..=-1 => "error",
        0 => "warn",
        1 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new(level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match verbosity.log_format {
        LogFormat::Text => builder.event_format(TextLine { tool }).try_init(),
        LogFormat::Json => builder.event_format(JsonLine { tool }).try_init(),
    };
}

/// The kinds of line a run always writes, whatever the log filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One input that failed (`TOOL: SUBJECT: REASON`).
    Failed,
    /// An error that stops the run, or a usage error found after parsing.
    Error,
    /// The one summary line at the end of a run; left out under `-q`.
    Summary,
}

/// Writes one line of `kind` to stderr in the chosen format. `message` is
/// the text after `TOOL: `; `fields` are added to the JSON object (text
/// lines carry them in the message already).
pub fn emit(tool: &str, kind: Kind, message: &str, fields: Map<String, Value>) {
    let settings = SETTINGS.get().copied().unwrap_or(Settings {
        format: LogFormat::Text,
        quiet: false,
    });
    if kind == Kind::Summary && settings.quiet {
        return;
    }
    // Callers that built a full `TOOL: ...` line still get one prefix only.
    let message = message
        .strip_prefix(tool)
        .and_then(|m| m.strip_prefix(": "))
        .unwrap_or(message);
    let line = match settings.format {
        LogFormat::Text => format!("{tool}: {message}"),
        LogFormat::Json => json_line(tool, kind, message, fields),
    };
    // One write per line, so lines from threads never interleave.
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// The JSON object of a line written by [`emit`].
fn json_line(tool: &str, kind: Kind, message: &str, fields: Map<String, Value>) -> String {
    let (level, name) = match kind {
        Kind::Failed => ("error", "failed"),
        Kind::Error => ("error", "error"),
        Kind::Summary => ("info", "summary"),
    };
    let mut object = Map::new();
    object.insert("level".into(), level.into());
    object.insert("tool".into(), tool.into());
    object.insert("kind".into(), name.into());
    object.insert("message".into(), message.into());
    if kind == Kind::Summary {
        object.insert("counts".into(), Value::Object(counts(message)));
    }
    object.extend(fields);
    Value::Object(object).to_string()
}

/// The counts of a summary line (`40 IDs, 2 failed`) as an object
/// (`{"ids":40,"failed":2}`), so a collector can alert on `counts.failed`
/// without parsing text. Parts that do not start with a number are left out.
pub fn counts(summary: &str) -> Map<String, Value> {
    let mut counts = Map::new();
    for part in summary.split(", ") {
        let Some((number, what)) = part.split_once(' ') else {
            continue;
        };
        let Ok(number) = number.parse::<u64>() else {
            continue;
        };
        let key: Vec<String> = what
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        counts.insert(key.join("_"), number.into());
    }
    counts
}

/// Text lines: the event's fields, with the tool's name in front when the
/// message does not start with it already.
struct TextLine {
    tool: &'static str,
}

impl<S, N> FormatEvent<S, N> for TextLine
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
        let mut text = String::new();
        ctx.field_format()
            .format_fields(Writer::new(&mut text), event)?;
        if !text.starts_with(&format!("{}: ", self.tool)) {
            write!(writer, "{}: ", self.tool)?;
        }
        writeln!(writer, "{text}")
    }
}

/// JSON lines: level, tool, message (without the tool's name), then the
/// event's other fields.
struct JsonLine {
    tool: &'static str,
}

impl<S, N> FormatEvent<S, N> for JsonLine
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut fields = Fields(Map::new());
        event.record(&mut fields);
        let mut object = Map::new();
        let level = event.metadata().level().as_str().to_lowercase();
        object.insert("level".into(), level.into());
        object.insert("tool".into(), self.tool.into());
        let message = match fields.0.remove("message") {
            Some(Value::String(m)) => m,
            Some(other) => other.to_string(),
            None => String::new(),
        };
        let prefix = format!("{}: ", self.tool);
        let message = message.strip_prefix(&prefix).unwrap_or(&message);
        object.insert("message".into(), message.into());
        object.insert("target".into(), event.metadata().target().into());
        object.extend(fields.0);
        writeln!(writer, "{}", Value::Object(object))
    }
}

/// Collects an event's fields as JSON values.
struct Fields(Map<String, Value>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().into(), format!("{value:?}").into());
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().into(), value.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_counts_are_named_by_their_words() {
        let c = counts("40 IDs, 1 retries, 2 IDs without matches, 0 dropped as not exact");
        assert_eq!(c["ids"], 40);
        assert_eq!(c["retries"], 1);
        assert_eq!(c["ids_without_matches"], 2);
        assert_eq!(c["dropped_as_not_exact"], 0);
        let c = counts("3 failed, interrupted (5 lines read but not laid out)");
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn json_lines_are_one_object_with_the_fields() {
        let mut fields = Map::new();
        fields.insert("subject".into(), "a\nb".into());
        let line = json_line("dcm-ids", Kind::Failed, "a\nb: bad", fields);
        assert!(!line.contains('\n'));
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["level"], "error");
        assert_eq!(v["tool"], "dcm-ids");
        assert_eq!(v["kind"], "failed");
        assert_eq!(v["subject"], "a\nb");
        let line = json_line("dcm-lay", Kind::Summary, "3 records, 1 failed", Map::new());
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["counts"]["records"], 3);
        assert_eq!(v["level"], "info");
    }
}
