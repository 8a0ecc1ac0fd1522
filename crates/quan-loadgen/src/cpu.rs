//! CPU time of a process from `/proc` (Linux): how much of the machine a server used
//! during a measured window, so a figure comes with its headroom.

use std::time::Instant;

/// Clock ticks per second of `/proc/<pid>/stat` (USER_HZ: 100 on every Linux
/// architecture that matters here).
const TICKS: f64 = 100.0;

/// User + system CPU seconds the process has used so far.
fn seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start at `) `.
    let rest = stat.rsplit_once(") ")?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let (utime, stime): (f64, f64) = (f.get(11)?.parse().ok()?, f.get(12)?.parse().ok()?);
    Some((utime + stime) / TICKS)
}

/// The first process whose command name is `name` (e.g. the NATS server).
pub fn pid_named(name: &str) -> Option<u32> {
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid: u32 = e.file_name().to_str()?.parse().ok()?;
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
        (comm.trim() == name).then_some(pid)
    })
}

/// A started measurement of one process's CPU use.
pub struct Meter {
    pid: u32,
    cpu: f64,
    at: Instant,
}

impl Meter {
    pub fn start(pid: u32) -> Option<Meter> {
        Some(Meter {
            pid,
            cpu: seconds(pid)?,
            at: Instant::now(),
        })
    }
    /// Cores used on average since `start` (1.0 = one core busy all the time).
    pub fn cores(&self) -> Option<f64> {
        let used = seconds(self.pid)? - self.cpu;
        Some(used / self.at.elapsed().as_secs_f64().max(1e-3))
    }
}
