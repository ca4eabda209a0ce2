//! The run: a reader thread turns input lines into jobs, `--jobs` workers
//! each hold one association, and the calling thread writes outcomes in input
//! order, whatever order the workers finish in.

use std::io::{BufRead, Write};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::thread;

use dcm_core::find::matches::Matching;
use dcm_core::input::{IdLine, IdReader};
use dcm_core::{message, Exit};

use crate::admit::admit;
use crate::cli::Config;
use crate::emit::{Done, FailedList, Writer};
use crate::outcome::{Outcome, Summary};
use crate::worker::{Shared, Worker};

/// The tool's name in messages.
pub const TOOL: &str = "dcm-find";

/// How a run ended.
#[derive(Debug)]
pub struct Finish {
    /// The exit status.
    pub exit: Exit,
    /// The counts of the summary line.
    pub summary: Summary,
}

/// One input line, numbered in reading order.
struct Job {
    seq: u64,
    line: IdLine,
    id: String,
    matching: Matching,
}

/// Runs the tool: IDs from `input`, records to `output`. `shared.interrupted`
/// may be set from outside (Ctrl-C) to stop the run cleanly.
pub fn run<R, W>(config: &Config, input: R, output: W, shared: &Shared) -> Finish
where
    R: BufRead + Send,
    W: Write,
{
    let failed = match FailedList::create(config) {
        Ok(f) => f,
        Err(why) => {
            message::report(TOOL, "--failed", &why);
            return Finish {
                exit: Exit::Fatal,
                summary: Summary::default(),
            };
        }
    };
    let s = &config.settings;
    let decisions = format!(
        "calling AE {}, {} at {} level, timeout {} s, {} jobs, {} retries, fallback charset {}",
        s.calling_ae,
        s.model.name(),
        config.query.level.code(),
        s.timeout.as_secs_f32(),
        config.jobs,
        config.retries,
        s.fallback_charset
    );
    tracing::debug!("{}", message::line(TOOL, &s.peer.to_string(), &decisions));
    let (done_tx, done_rx) = mpsc::channel::<Done>();
    let (job_tx, job_rx) = mpsc::sync_channel::<Job>(config.jobs * 4);
    let job_rx = std::sync::Mutex::new(job_rx);
    thread::scope(|scope| {
        for _ in 0..config.jobs {
            let done_tx = done_tx.clone();
            let job_rx = &job_rx;
            scope.spawn(move || work(config, shared, job_rx, done_tx));
        }
        let reader_done = done_tx.clone();
        scope.spawn(move || read(config, shared, input, job_tx, reader_done));
        drop(done_tx);
        Writer::new(shared, output, failed, &config.output).collect(done_rx)
    })
}

fn work(
    config: &Config,
    shared: &Shared,
    jobs: &std::sync::Mutex<Receiver<Job>>,
    done: Sender<Done>,
) {
    let mut worker = Worker::new(config, shared);
    loop {
        let job = jobs
            .lock()
            .expect("no worker panics holding the lock")
            .recv();
        let Ok(job) = job else { break };
        let outcome = worker.lookup(job.line.position, &job.id, job.matching);
        if done.send((job.seq, job.line, outcome)).is_err() {
            break;
        }
    }
    worker.finish();
}

fn read<R: BufRead>(
    config: &Config,
    shared: &Shared,
    input: R,
    jobs: SyncSender<Job>,
    done: Sender<Done>,
) {
    for (seq, entry) in IdReader::new(input, config.format).enumerate() {
        // After a stop the input is still read to its end, so that --failed
        // lists every input not done and a rerun of it completes the run.
        let seq = seq as u64;
        let line = match entry {
            Ok(line) => line,
            Err(e) => {
                message::report(TOOL, "stdin", &format!("cannot read: {e}"));
                shared.stop.store(true, Ordering::Relaxed);
                break;
            }
        };
        let checked = match &line.id {
            Ok(raw) => admit(raw, config.allow_wildcards),
            Err(why) => Err(format!("malformed input line: {why}")),
        };
        let sent = match checked {
            Err(why) => done.send((seq, line, Outcome::Failed(why))).is_ok(),
            Ok(_) if shared.stopping() => done.send((seq, line, Outcome::NotDone)).is_ok(),
            Ok(a) => {
                let (id, matching) = (a.id, a.matching);
                jobs.send(Job {
                    seq,
                    line,
                    id,
                    matching,
                })
                .is_ok()
            }
        };
        if !sent {
            break;
        }
    }
}
