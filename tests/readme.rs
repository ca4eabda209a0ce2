//! The README, tested: what it shows of `--help` is what the tools print, and
//! every example marked runnable runs against the local PACS.
//!
//! Markers, each on the line before a fenced block:
//! - `<!-- help: TOOL ARGS -->`: the block is the output of `TOOL ARGS`
//!   (trailing whitespace aside);
//! - `<!-- example -->`: the block is a bash script. The examples run in
//!   order, in one scratch folder (later recipes read files that earlier ones
//!   wrote), with the placeholders of [`PLACEHOLDERS`] replaced by the test
//!   PACS and folders, and must exit 0.
//!
//! Examples that cannot run here (cron, ssh, GNU parallel across machines)
//! are shown as indented text, without a marker.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

/// README text that stands for something of the test set-up, and the
/// `DCM_TEST_*` variable (or scratch sub-folder) it becomes.
const PLACEHOLDERS: [(&str, Replacement); 4] = [
    (
        "DICOM_QR_SCP@pacs.example.org:7840",
        Replacement::Env("DCM_TEST_ORTHANC"),
    ),
    ("/tmp/allPatientsX", Replacement::Env("DCM_TEST_INPUT")),
    ("/data/dicom", Replacement::Env("DCM_TEST_ARCHIVE")),
    ("/tmp/pullStudiesX", Replacement::Scratch("pullStudiesX")),
];

enum Replacement {
    Env(&'static str),
    Scratch(&'static str),
}

/// A fenced block that follows a marker.
#[derive(Debug)]
struct Block {
    /// The marker's text after its keyword (`dcm-ids -h` for a help marker).
    marker: String,
    /// Line number of the marker, for messages.
    line: usize,
    text: String,
}

fn readme() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The blocks after each `<!-- KEYWORD ... -->` line. The fence must be the
/// next line, so a marker cannot drift onto an unrelated block.
fn blocks(text: &str, keyword: &str) -> Vec<Block> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(rest) = line.trim().strip_prefix("<!--") else {
            continue;
        };
        let Some(rest) = rest.trim().strip_suffix("-->") else {
            continue;
        };
        let rest = rest.trim();
        let marker = match rest.strip_prefix(keyword) {
            Some(m) if m.is_empty() || m.starts_with(':') => m.trim_start_matches(':').trim(),
            _ => continue,
        };
        let fence = lines.get(i + 1).copied().unwrap_or_default();
        assert!(
            fence.starts_with("```"),
            "README.md:{}: `{line}` must be followed by a ``` block",
            i + 1
        );
        let body: Vec<&str> = lines[i + 2..]
            .iter()
            .take_while(|l| !l.starts_with("```"))
            .copied()
            .collect();
        found.push(Block {
            marker: marker.to_string(),
            line: i + 1,
            text: body.join("\n"),
        });
    }
    found
}

/// Lines without trailing whitespace, and no trailing empty lines.
fn normalize(text: &str) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    lines.join("\n").trim_end().to_string()
}

/// A command with the environment of a fresh shell: no `DCM_*`, no
/// `RUST_LOG`, and no `COLUMNS` (clap wraps help to it).
fn clean(program: &Path) -> Command {
    let mut cmd = Command::new(program);
    for (k, _) in std::env::vars() {
        if k.starts_with("DCM_") || k == "RUST_LOG" || k == "COLUMNS" {
            cmd.env_remove(k);
        }
    }
    cmd.stdin(Stdio::null());
    cmd
}

#[test]
fn help_blocks_match_the_tools() {
    let blocks = blocks(&readme(), "help");
    let tools: Vec<&str> = blocks
        .iter()
        .filter_map(|b| b.marker.split_whitespace().next())
        .collect();
    for tool in ["dcm-ids", "dcm-find", "dcm-lay"] {
        assert!(
            tools.contains(&tool),
            "README.md has no `<!-- help: {tool} -h -->` block"
        );
    }
    for block in &blocks {
        let mut words = block.marker.split_whitespace();
        let tool = words.next().expect("a tool name in the help marker");
        let out = clean(&common::tool(tool))
            .args(words)
            .output()
            .expect("running the tool");
        assert!(out.status.success(), "{}: {out:?}", block.marker);
        let actual = normalize(&String::from_utf8_lossy(&out.stdout));
        let shown = normalize(&block.text);
        assert!(
            actual == shown,
            "README.md:{}: the block differs from `{}`; paste this in its place:\n{actual}",
            block.line,
            block.marker
        );
    }
}

#[test]
fn examples_run_against_the_local_pacs() {
    let examples = blocks(&readme(), "example");
    assert!(
        examples.len() >= 5,
        "only {} runnable examples found in README.md",
        examples.len()
    );
    let work = common::scratch();
    let path = format!(
        "{}:{}",
        common::bin_dir().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for example in &examples {
        let script = substitute(&example.text, work.path());
        let out = clean(Path::new("bash"))
            .args(["-e", "-o", "pipefail", "-c", &script])
            .current_dir(work.path())
            .env("PATH", &path)
            .output()
            .expect("running bash");
        assert!(
            out.status.success(),
            "README.md:{}: the example failed ({})\n--- script\n{script}\n--- stdout\n{}\n\
             --- stderr\n{}",
            example.line,
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let tree = work.path().join("pullStudiesX");
    assert!(
        tree.join("manifest.csv").is_file() && tree.join("0/rsp0001.dcm").is_file(),
        "the examples wrote no seed tree in {}",
        tree.display()
    );
}

/// The example with its placeholders replaced.
fn substitute(script: &str, work: &Path) -> String {
    let mut script = script.to_string();
    for (placeholder, replacement) in PLACEHOLDERS {
        let value = match replacement {
            Replacement::Env(name) => common::test_env(name),
            Replacement::Scratch(name) => work.join(name).display().to_string(),
        };
        script = script.replace(placeholder, &shell_quote(&value));
    }
    script
}

/// `value` quoted for bash, so a scratch path with spaces stays one word.
fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

#[test]
fn markers_are_found_only_before_blocks() {
    let text = "a\n<!-- example -->\n```sh\necho hi\n```\n<!-- help: dcm-ids -h -->\n```\nx\n```\n";
    let examples = blocks(text, "example");
    assert_eq!(examples.len(), 1);
    assert_eq!(examples[0].text, "echo hi");
    let help = blocks(text, "help");
    assert_eq!(help[0].marker, "dcm-ids -h");
}
