//! dcm-find against the fault-injecting test SCP: each test checks what the
//! server received, what the tool printed and its exit status.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use test_scp::{Fault, TestScp};

struct Run {
    code: i32,
    records: Vec<Value>,
    stderr: String,
}

fn dcm_find(scp: &TestScp, args: &[&str], stdin: &str) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dcm-find"));
    for var in [
        "DCM_PACS",
        "DCM_CALLING_AE",
        "DCM_TIMEOUT",
        "DCM_JOBS",
        "RUST_LOG",
    ] {
        cmd.env_remove(var);
    }
    let mut child = cmd
        .arg(scp.address())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("dcm-find runs");
    let input = stdin.to_string();
    let mut pipe = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || pipe.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap().unwrap();
    let stdout = String::from_utf8(out.stdout).expect("stdout is UTF-8");
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        records: stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    };
    eprintln!("exit {}\nstderr:\n{}", run.code, run.stderr);
    run
}

fn uid(r: &Value) -> &str {
    r["dataset"]["0020000D"]["Value"][0].as_str().unwrap()
}

fn name(r: &Value) -> &str {
    r["dataset"]["00100010"]["Value"][0]["Alphabetic"]
        .as_str()
        .unwrap()
}

#[test]
fn one_association_for_many_ids_records_in_order() {
    let scp = TestScp::start(Fault::None, 2, 16384);
    let ids: Vec<String> = (0..20).map(|i| format!("P{i:02}")).collect();
    let run = dcm_find(&scp, &["--jobs", "1"], &(ids.join("\n") + "\n"));
    assert_eq!(run.code, 0);
    let log = scp.log();
    assert_eq!(log.associations, 1);
    assert_eq!(log.queries, ids);
    assert_eq!(log.releases, 1);
    assert_eq!(run.records.len(), 40);
    let positions: Vec<u64> = run
        .records
        .iter()
        .map(|r| r["position"].as_u64().unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] <= w[1]));
    // Ordered by StudyInstanceUID within an ID, though sent the other way.
    assert!(uid(&run.records[0]) < uid(&run.records[1]));
    assert_eq!(name(&run.records[0]), "Müller^Åse");
}

#[test]
fn parallel_jobs_keep_input_order_one_association_each() {
    let scp = TestScp::start(Fault::Slow(Duration::from_millis(5)), 1, 16384);
    let ids: Vec<String> = (0..30).map(|i| format!("P{i:02}")).collect();
    let run = dcm_find(&scp, &["--jobs", "3"], &(ids.join("\n") + "\n"));
    assert_eq!(run.code, 0);
    assert_eq!(scp.log().associations, 3);
    let got: Vec<&str> = run
        .records
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, ids);
}

#[test]
fn refused_ids_never_reach_the_server() {
    let scp = TestScp::start(Fault::None, 1, 16384);
    let run = dcm_find(&scp, &["--jobs", "1"], "A\n\n*\nB?\nC\\D\n  \nE\n");
    assert_eq!(run.code, 1);
    assert_eq!(scp.log().queries, ["A", "E"]);
    assert_eq!(run.stderr.matches("refused").count(), 5);
}

#[test]
fn abort_on_first_find_names_the_calling_ae_title() {
    let scp = TestScp::start(Fault::AbortOnFind, 1, 16384);
    let run = dcm_find(&scp, &["--jobs", "1"], "A\n");
    assert_eq!(run.code, 1);
    assert!(run
        .stderr
        .contains("calling AE title is probably not registered"));
    assert!(run.records.is_empty());
    // Not retried: an abort on the first query is the PACS refusing us.
    assert_eq!(scp.log().queries.len(), 1);
}

#[test]
fn abort_mid_answer_is_retried_and_never_duplicates() {
    let scp = TestScp::start(Fault::AbortMidAnswer, 2, 16384);
    let run = dcm_find(&scp, &["--jobs", "1", "--retries", "1"], "A\n");
    assert_eq!(run.code, 1);
    assert!(run.records.is_empty(), "no partial answer is written");
    assert_eq!(scp.log().queries, ["A", "A"]);
}

#[test]
fn silent_server_times_out() {
    let scp = TestScp::start(Fault::NeverAnswer, 1, 16384);
    let run = dcm_find(&scp, &["--timeout", "1", "--retries", "0"], "A\n");
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("no answer within 1 s"));
}

#[test]
fn failure_status_shows_code_comment_and_element() {
    for code in [0xA700u16, 0xA900, 0xC001] {
        let scp = TestScp::start(Fault::Status(code), 0, 16384);
        let run = dcm_find(&scp, &[], "A\nB\n");
        assert_eq!(run.code, 1);
        let hex = format!("{code:04X}H");
        assert_eq!(run.stderr.matches(&hex).count(), 2, "{hex}");
        assert!(run.stderr.contains("refused by test"));
        assert!(run.stderr.contains("offending element 0010,0020"));
    }
}

#[test]
fn pdu_layouts_and_status_variants_give_the_same_records() {
    let faults = [
        Fault::OnePdu,
        Fault::SplitData,
        Fault::PendingFf01,
        Fault::DataOnFinal,
        Fault::Duplicates,
    ];
    for fault in faults {
        let scp = TestScp::start(fault.clone(), 3, 16384);
        let run = dcm_find(&scp, &[], "A\nB\n");
        assert_eq!(run.code, 0, "{fault:?}");
        assert_eq!(run.records.len(), 6, "{fault:?}");
        assert!(
            run.records.iter().all(|r| name(r) == "Müller^Åse"),
            "{fault:?}"
        );
    }
}

#[test]
fn small_peer_max_pdu_is_respected() {
    let scp = TestScp::start(Fault::None, 1, 1024);
    let keys: Vec<String> = ["PatientName", "StudyDescription", "InstitutionName"]
        .iter()
        .flat_map(|k| ["-k".to_string(), k.to_string()])
        .collect();
    let mut args: Vec<&str> = keys.iter().map(String::as_str).collect();
    let long = format!("StudyDescription={}", "X".repeat(60));
    args.extend(["-k", &long, "-k", "InstitutionName=I"]);
    let run = dcm_find(&scp, &args, "A\n");
    assert_eq!(run.code, 0);
    assert_eq!(run.records.len(), 1);
}

#[test]
fn latin1_without_charset_is_decoded_with_a_warning() {
    let scp = TestScp::start(Fault::Latin1WithoutCharset, 1, 16384);
    let run = dcm_find(&scp, &[], "A\n");
    assert_eq!(run.code, 0);
    assert_eq!(name(&run.records[0]), "Müller^Åse");
    assert!(run.stderr.contains("without Specific Character Set"));
}

#[test]
fn other_patients_are_dropped_and_counted() {
    let scp = TestScp::start(Fault::IgnoreKey, 1, 16384);
    let run = dcm_find(&scp, &[], "A\n");
    assert_eq!(run.code, 0);
    assert_eq!(run.records.len(), 1);
    assert!(run.stderr.contains("\"SOMEONE-ELSE\" dropped"));
    assert!(run.stderr.contains("1 dropped as not exact"));
}

#[test]
fn unreachable_pacs_is_fatal_and_lists_every_input() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let dir = std::env::temp_dir().join(format!("dcm-find-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let failed = dir.join("failed.txt");
    let out = Command::new(env!("CARGO_BIN_EXE_dcm-find"))
        .args([
            &format!("X@127.0.0.1:{port}"),
            "--retries",
            "1",
            "--numbered",
        ])
        .arg("--failed")
        .arg(&failed)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(b"4\tA\n9\tB\n12\tC\n")?;
            c.wait_with_output()
        })
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(&failed).unwrap(),
        "4\tA\n9\tB\n12\tC\n"
    );
    // One run-stopping error line, and the summary counts every retry shown.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("giving up").count(), 1, "{stderr}");
    let shown = stderr.matches("; retry ").count();
    assert!(shown > 0, "{stderr}");
    assert!(
        stderr.contains(&format!(" 0 queries, {shown} retries,")),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn interrupt_cancels_the_running_query_and_lists_the_rest() {
    let scp = TestScp::start(Fault::Slow(Duration::from_millis(100)), 10, 16384);
    let dir = std::env::temp_dir().join(format!("dcm-find-int-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let failed = dir.join("failed.txt");
    let mut child = Command::new(env!("CARGO_BIN_EXE_dcm-find"))
        .args([&scp.address(), "--jobs", "1"])
        .arg("--failed")
        .arg(&failed)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"A\nB\nC\n").unwrap();
    std::thread::sleep(Duration::from_millis(400));
    let pid = child.id().to_string();
    Command::new("kill").args(["-INT", &pid]).status().unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    let log = scp.log();
    assert_eq!(log.cancels, 1);
    assert_eq!(log.releases, 1);
    assert_eq!(log.queries, ["A"]);
    // The test server ignores the cancel and completes A: its records are
    // written; B and C never started.
    assert_eq!(std::fs::read_to_string(&failed).unwrap(), "B\nC\n");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn max_results_cancels_and_warns_only_past_the_limit() {
    let scp = TestScp::start(Fault::None, 3, 16384);
    let run = dcm_find(&scp, &["--max-results", "2", "--jobs", "1"], "A\n");
    assert_eq!(run.code, 0);
    assert_eq!(run.records.len(), 2);
    assert!(run.stderr.contains("more than 2 matches"));
    assert_eq!(scp.log().cancels, 1);
    let run = dcm_find(&scp, &["--max-results", "3"], "B\n");
    assert_eq!(run.records.len(), 3);
    assert!(!run.stderr.contains("more than"));
}

fn raw_name_scp(charset: &str, name: &[u8]) -> TestScp {
    let fault = Fault::RawName {
        charset: charset.into(),
        name: name.to_vec(),
    };
    TestScp::start(fault, 1, 16384)
}

fn person_name(r: &Value) -> (String, String, String) {
    let pn = &r["dataset"]["00100010"]["Value"][0];
    let group = |k: &str| pn[k].as_str().unwrap_or_default().to_string();
    (group("Alphabetic"), group("Ideographic"), group("Phonetic"))
}

#[test]
fn iso2022_answers_are_decoded_by_their_escape_sequences() {
    // PS3.5 H.3.1 (Japanese, ISO 2022 IR 87) and I.2 (Korean, IR 149).
    let japanese: &[u8] =
        b"Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B=\x1b$B$d$^$@\x1b(B^\x1b$B$?$m$&\x1b(B";
    let korean: &[u8] = &[
        b"Hong^Gildong=\x1b$)C\xfb\xf3^\x1b$)C\xd1\xce\xd4\xd7=".as_slice(),
        b"\x1b$)C\xc8\xab^\x1b$)C\xb1\xe6\xb5\xbf",
    ]
    .concat();
    let cases = [
        (
            "\\ISO 2022 IR 87",
            japanese,
            ["Yamada^Tarou", "山田^太郎", "やまだ^たろう"],
        ),
        (
            "\\ISO 2022 IR 149",
            korean,
            ["Hong^Gildong", "洪^吉洞", "홍^길동"],
        ),
    ];
    for (charset, bytes, [a, i, p]) in cases {
        let scp = raw_name_scp(charset, bytes);
        let run = dcm_find(&scp, &[], "A\n");
        assert_eq!(run.code, 0, "{charset}");
        let want = (a.to_string(), i.to_string(), p.to_string());
        assert_eq!(person_name(&run.records[0]), want, "{charset}");
        assert!(
            !run.stderr.contains("Character Set"),
            "{charset}: no warning"
        );
    }
}

#[test]
fn fallback_charset_is_configurable() {
    let scp = TestScp::start(Fault::Latin1WithoutCharset, 1, 16384);
    let run = dcm_find(&scp, &["--fallback-charset", "ISO_IR 101"], "A\n");
    assert_eq!(run.code, 0);
    // The bytes of "Müller^Åse" in Latin-1 read as Latin-2: C5H is Ĺ.
    assert_eq!(name(&run.records[0]), "Müller^Ĺse");
    assert!(run
        .stderr
        .contains("read as ISO_IR 101 (--fallback-charset)"));
    let run = dcm_find(&scp, &["--fallback-charset", "NO_SUCH_SET"], "A\n");
    assert_eq!(run.code, 2);
}

#[test]
fn misspelt_charset_term_is_understood() {
    let scp = raw_name_scp("ISO_IR100", b"M\xfcller^\xc5se");
    let run = dcm_find(&scp, &[], "A\n");
    assert_eq!(run.code, 0);
    assert_eq!(name(&run.records[0]), "Müller^Åse");
}

#[test]
fn wildcards_reach_the_pacs_only_when_allowed() {
    let patients = ["PAT1", "PAT12", "QAT1"].map(String::from).to_vec();
    let scp = TestScp::start(Fault::Patients(patients), 0, 16384);
    let run = dcm_find(&scp, &["--jobs", "1"], "PAT*\n");
    assert_eq!(run.code, 1);
    assert!(scp.log().queries.is_empty(), "refused without the flag");

    let args = ["--jobs", "1", "--allow-wildcards"];
    let run = dcm_find(&scp, &args, "PAT*\n*\nA\\*\nP?T1\n");
    assert_eq!(run.code, 1, "* alone and the backslash are still refused");
    assert_eq!(scp.log().queries, ["PAT*", "P?T1"]);
    let got: Vec<(&str, &str)> = run
        .records
        .iter()
        .map(|r| {
            let pid = r["dataset"]["00100020"]["Value"][0].as_str().unwrap();
            (r["id"].as_str().unwrap(), pid)
        })
        .collect();
    assert_eq!(got, [("PAT*", "PAT1"), ("PAT*", "PAT12"), ("P?T1", "PAT1")]);
    assert!(run
        .stderr
        .contains("\"QAT1\" dropped: does not match the asked pattern"));
    assert!(
        run.stderr.contains("3 dropped as not exact"),
        "{}",
        run.stderr
    );
}

#[test]
fn flat_and_csv_are_views_of_the_same_matches() {
    let scp = TestScp::start(Fault::None, 2, 16384);
    let run = dcm_find(&scp, &["--flat"], "A\n");
    assert_eq!(run.code, 0);
    assert_eq!(run.records[0]["PatientName"], "Müller^Åse");
    assert_eq!(run.records[0]["position"], 0);
    assert!(run.records[0].get("dataset").is_none());

    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dcm-find"));
    let out = cmd
        .args([&scp.address(), "--format", "csv", "-k", "PatientName"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(b"A\nB\n")?;
            c.wait_with_output()
        })
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "position,id,PatientID,PatientName,StudyInstanceUID"
    );
    assert_eq!(lines.len(), 5);
    assert!(lines[1].starts_with("0,A,A,Müller^Åse,1.2.826.0.1.3680043.8.498."));
    assert!(lines[4].starts_with("1,B,B,"));
}

#[test]
fn retries_are_counted_apart_from_queries() {
    let scp = TestScp::start(Fault::AbortMidAnswer, 2, 16384);
    let run = dcm_find(&scp, &["--jobs", "1", "--retries", "2"], "A\n");
    assert_eq!(scp.log().queries.len(), 3);
    assert!(
        run.stderr.contains("1 IDs, 1 queries, 2 retries"),
        "{}",
        run.stderr
    );
}

#[test]
fn debug_lines_name_the_tool_and_the_peer() {
    let scp = TestScp::start(Fault::None, 1, 16384);
    let run = dcm_find(&scp, &["-v", "--jobs", "1"], "A\n");
    assert_eq!(run.code, 0);
    let prefix = format!("dcm-find: {}: associated as DCMFIND", scp.address());
    assert!(
        run.stderr.lines().any(|l| l.starts_with(&prefix)),
        "{}",
        run.stderr
    );
    for line in run.stderr.lines() {
        assert!(line.starts_with("dcm-find: "), "{line}");
    }
}
