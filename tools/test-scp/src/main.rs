//! test-scp: a slow PACS for whole-pipeline fault runs (issue 7).
//!
//! A relay on 127.0.0.1 in front of a real PACS (Orthanc on loopback) that
//! holds back the PACS's answers: every chunk the PACS sends waits `--delay`
//! before it is passed on, after the first `--skip` chunks (by default the
//! A-ASSOCIATE-AC, so associations open at once and C-FIND answers are slow).
//! The client sees a real DICOM peer with real data, only slow, which is
//! what `tc netem` would give if the kernel had it (design.md section 8).
//!
//! It also reads the PDU headers the client sends and logs, per connection,
//! how the association ended (A-RELEASE-RQ, A-ABORT or a bare close), so a
//! test can check that a client released its associations.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use clap::Parser;

const PROG: &str = "test-scp";

/// Relays DICOM associations to a PACS on loopback, delaying its answers.
#[derive(Debug, Parser)]
#[command(name = "test-scp", version, about)]
struct Cli {
    /// Port to listen on, on 127.0.0.1 (0: a free one). The port is printed
    /// on stdout once the relay listens.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// The PACS to relay to: PORT on 127.0.0.1 (only loopback is allowed).
    #[arg(long, value_name = "PORT")]
    to: u16,
    /// Delay before each chunk of the PACS's answers, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    delay: u64,
    /// Chunks of each connection passed on without delay.
    #[arg(long, value_name = "N", default_value_t = 1)]
    skip: usize,
    /// Stop accepting after this many connections.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    max_connections: usize,
    /// Exit after this many seconds, whatever is going on.
    #[arg(long, value_name = "SECS", default_value_t = 600)]
    lifetime: u64,
}

fn main() {
    let cli = Cli::parse();
    let listener = match TcpListener::bind((Ipv4Addr::LOCALHOST, cli.port)) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{PROG}: cannot listen on 127.0.0.1:{}: {e}", cli.port);
            std::process::exit(2);
        }
    };
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(cli.port);
    println!("{port}");
    let _ = io::stdout().flush();
    let lifetime = Duration::from_secs(cli.lifetime);
    thread::spawn(move || {
        thread::sleep(lifetime);
        eprintln!("{PROG}: lifetime of {} s over, exiting", lifetime.as_secs());
        std::process::exit(0);
    });
    let cli = Arc::new(cli);
    let open = Arc::new(AtomicUsize::new(0));
    for (n, stream) in listener.incoming().take(cli.max_connections).enumerate() {
        let Ok(client) = stream else { continue };
        let (cli, open) = (Arc::clone(&cli), Arc::clone(&open));
        open.fetch_add(1, Ordering::Relaxed);
        thread::spawn(move || {
            relay(n, client, &cli);
            open.fetch_sub(1, Ordering::Relaxed);
        });
    }
    // Let the last connections finish before the process ends.
    while open.load(Ordering::Relaxed) > 0 {
        thread::sleep(Duration::from_millis(50));
    }
}

/// Relays one connection; logs how the client ended it.
fn relay(n: usize, client: TcpStream, cli: &Cli) {
    let target = SocketAddr::from((Ipv4Addr::LOCALHOST, cli.to));
    let server = match TcpStream::connect_timeout(&target, Duration::from_secs(5)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{PROG}: connection {n}: cannot reach {target}: {e}");
            return;
        }
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    eprintln!("{PROG}: connection {n}: open");
    let started = Instant::now();
    let (delay, skip) = (Duration::from_millis(cli.delay), cli.skip);
    let answers = match (server.try_clone(), client.try_clone()) {
        (Ok(from), Ok(to)) => thread::spawn(move || pass_answers(from, to, delay, skip)),
        _ => return,
    };
    let end = pass_requests(&client, &server);
    let _ = server.shutdown(Shutdown::Write);
    let _ = answers.join();
    let secs = started.elapsed().as_secs_f32();
    eprintln!("{PROG}: connection {n}: closed after {secs:.1} s, client sent {end}");
}

/// PACS to client, each chunk after the first `skip` held back by `delay`.
fn pass_answers(mut from: TcpStream, mut to: TcpStream, delay: Duration, skip: usize) {
    let mut buf = vec![0u8; 64 * 1024];
    let mut chunks = 0usize;
    while let Ok(len) = from.read(&mut buf) {
        if len == 0 {
            break;
        }
        if chunks >= skip {
            thread::sleep(delay);
        }
        chunks += 1;
        if to.write_all(&buf[..len]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// Client to PACS, undelayed; returns the last PDU type the client sent.
fn pass_requests(mut from: &TcpStream, mut to: &TcpStream) -> &'static str {
    let mut pdus = PduTracker::default();
    let mut buf = vec![0u8; 64 * 1024];
    while let Ok(len) = from.read(&mut buf) {
        if len == 0 {
            break;
        }
        pdus.feed(&buf[..len]);
        if to.write_all(&buf[..len]).is_err() {
            break;
        }
    }
    pdus.last_name()
}

/// Follows the PDU headers of one direction of an association.
#[derive(Debug, Default)]
struct PduTracker {
    /// Bytes of the current PDU still to skip.
    remaining: u64,
    /// The header being read (6 bytes: type, reserved, length).
    header: Vec<u8>,
    last: Option<u8>,
}

impl PduTracker {
    fn feed(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            if self.remaining > 0 {
                let take = self.remaining.min(bytes.len() as u64) as usize;
                self.remaining -= take as u64;
                bytes = &bytes[take..];
                continue;
            }
            let take = (6 - self.header.len()).min(bytes.len());
            self.header.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if self.header.len() == 6 {
                let h = std::mem::take(&mut self.header);
                self.last = Some(h[0]);
                self.remaining = u64::from(u32::from_be_bytes([h[2], h[3], h[4], h[5]]));
            }
        }
    }

    fn last_name(&self) -> &'static str {
        match self.last {
            Some(0x05) => "A-RELEASE-RQ",
            Some(0x06) => "A-RELEASE-RP",
            Some(0x07) => "A-ABORT",
            Some(0x04) => "P-DATA (no release)",
            Some(0x01) => "A-ASSOCIATE-RQ (no release)",
            Some(_) => "an unknown PDU",
            None => "nothing",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracker_follows_pdus_split_anywhere() {
        let mut stream = vec![0x04, 0, 0, 0, 0, 3, 9, 9, 9];
        stream.extend_from_slice(&[0x05, 0, 0, 0, 0, 4, 0, 0, 0, 0]);
        for cut in 0..stream.len() {
            let mut t = PduTracker::default();
            t.feed(&stream[..cut]);
            t.feed(&stream[cut..]);
            assert_eq!(t.last_name(), "A-RELEASE-RQ", "cut at {cut}");
        }
    }

    #[test]
    fn cli_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
