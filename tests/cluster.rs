//! A real Ballista cluster on loopback: one `qinglian cluster scheduler`
//! and two `qinglian cluster executor` child processes on free ports of
//! 127.0.0.1, stopped by the test also when it fails. `run --cluster`
//! on the committed samples and on a generated district gives the local
//! run's bytes; an executor killed mid-run is survived (its tasks
//! rescheduled) or fails the run with exit 1, the previous output intact.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// A child process killed and reaped when dropped, whatever the test did.
struct Node {
    child: Child,
    log: PathBuf,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Node {
    fn start(args: &[String], log: PathBuf) -> Node {
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_qinglian"))
            .args(args)
            .env("QINGLIAN_LOG", "info")
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap();
        Node { child, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// A port nobody listens on now (the OS's choice).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(port: u16, what: &Node) {
    let until = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < until,
            "nothing listens on {port} after 60 s:\n{}",
            what.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// One scheduler, two executors; dropped, every process is stopped.
struct Cluster {
    executors: Vec<Node>,
    scheduler: Node,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Cluster {
    fn start() -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let s = |x: &str| x.to_string();
        let scheduler = Node::start(
            &[
                s("cluster"),
                s("scheduler"),
                s("--bind-host"),
                s("127.0.0.1"),
                s("--bind-port"),
                port.to_string(),
                s("--external-host"),
                s("127.0.0.1"),
                // Long enough that a live executor starved of CPU for a
                // few seconds (a busy CI machine) is not declared lost,
                // which left a run with no executor waiting for good.
                s("--executor-timeout-seconds"),
                s("20"),
                s("--expire-dead-executor-interval-seconds"),
                s("1"),
            ],
            dir.path().join("scheduler.log"),
        );
        wait_for_port(port, &scheduler);
        let mut executors = Vec::new();
        for i in 0..2 {
            let (flight, grpc) = (free_port(), free_port());
            let work = dir.path().join(format!("work{i}"));
            std::fs::create_dir_all(&work).unwrap();
            let node = Node::start(
                &[
                    s("cluster"),
                    s("executor"),
                    s("--scheduler-host"),
                    s("127.0.0.1"),
                    s("--scheduler-port"),
                    port.to_string(),
                    s("--bind-host"),
                    s("127.0.0.1"),
                    s("--external-host"),
                    s("127.0.0.1"),
                    s("--bind-port"),
                    flight.to_string(),
                    s("--bind-grpc-port"),
                    grpc.to_string(),
                    s("--concurrent-tasks"),
                    s("2"),
                    s("--work-dir"),
                    work.display().to_string(),
                    s("--executor-heartbeat-interval-seconds"),
                    s("1"),
                ],
                dir.path().join(format!("executor{i}.log")),
            );
            wait_for_port(flight, &node);
            wait_for_port(grpc, &node);
            executors.push(node);
        }
        // Registration is the executors' first call once they listen.
        std::thread::sleep(Duration::from_secs(2));
        Cluster {
            executors,
            scheduler,
            port,
            _dir: dir,
        }
    }

    fn url(&self) -> String {
        format!("df://127.0.0.1:{}", self.port)
    }

    fn logs(&self) -> String {
        let mut t = format!("--- scheduler\n{}", self.scheduler.log());
        for (i, e) in self.executors.iter().enumerate() {
            t.push_str(&format!("--- executor {i}\n{}", e.log()));
        }
        t
    }
}

/// The files that must be the same bytes on a cluster as here.
const SAME_BYTES: [&str; 3] = ["ranking.csv", "scores.parquet", "weights.csv"];

fn assert_same_bytes(local: &Path, remote: &Path, logs: &dyn Fn() -> String) {
    for f in SAME_BYTES {
        let a = std::fs::read(local.join(f)).unwrap();
        let b = std::fs::read(remote.join(f)).unwrap_or_default();
        assert!(
            a == b,
            "{f} differs between the local run and the cluster's\n{}",
            logs()
        );
    }
}

fn run(data: &Path, out: &Path, cluster: Option<&str>, extra: &[&str]) -> Output {
    let (data, out) = (data.display().to_string(), out.display().to_string());
    let mut args = vec!["run", "--data", &data, "--out", &out, "--no-cache"];
    if let Some(url) = cluster {
        args.extend(["--cluster", url]);
    }
    args.extend(extra);
    qinglian(&args)
}

fn generated(dir: &Path, villages: &str) -> PathBuf {
    let data = dir.join(format!("district{villages}"));
    let d = data.display().to_string();
    let o = qinglian(&[
        "generate",
        "--out",
        &d,
        "--villages",
        villages,
        "--townships",
        "8",
        "--seed",
        "41",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    data
}

#[test]
fn the_cluster_gives_the_local_runs_bytes_and_survives_or_reports_a_lost_executor() {
    let cluster = Cluster::start();
    let url = cluster.url();
    let logs = || cluster.logs();
    let tmp = tempfile::tempdir().unwrap();

    // The committed samples, with the report.
    let samples = repo().join("data-samples");
    let local = tmp.path().join("samples-local");
    let o = run(&samples, &local, None, &[]);
    assert!(o.status.success(), "{}", text(&o));
    let remote = tmp.path().join("samples-cluster");
    let o = run(&samples, &remote, Some(&url), &[]);
    assert!(o.status.success(), "{}\n{}", text(&o), logs());
    assert_same_bytes(&local, &remote, &logs);
    assert!(remote.join("report.html").exists());

    // `validate` on the cluster counts what it counts here.
    let s = samples.display().to_string();
    let here = qinglian(&["validate", "--data", &s]);
    let there = qinglian(&["validate", "--data", &s, "--cluster", &url]);
    assert_eq!(here.status.code(), there.status.code(), "{}", text(&there));
    assert_eq!(here.stdout, there.stdout, "{}\n{}", text(&there), logs());

    // A generated district, scores and ranking only.
    let data = generated(tmp.path(), "600");
    let local = tmp.path().join("district-local");
    let o = run(&data, &local, None, &["--no-report"]);
    assert!(o.status.success(), "{}", text(&o));
    let remote = tmp.path().join("district-cluster");
    let o = run(&data, &remote, Some(&url), &["--no-report"]);
    assert!(o.status.success(), "{}\n{}", text(&o), logs());
    assert_same_bytes(&local, &remote, &logs);

    // An executor killed mid-run: Ballista reschedules its tasks on the
    // other (the same bytes), or the run fails with exit 1 and says the
    // cluster failed; either way the previous output stays as it was.
    let before: Vec<Vec<u8>> = SAME_BYTES
        .iter()
        .map(|f| std::fs::read(remote.join(f)).unwrap())
        .collect();
    let (d, r) = (data.display().to_string(), remote.display().to_string());
    let mut child = Command::new(env!("CARGO_BIN_EXE_qinglian"))
        .args([
            "run",
            "--data",
            &d,
            "--out",
            &r,
            "--no-cache",
            "--no-report",
            "--cluster",
            &url,
            "-v",
        ])
        .current_dir(repo())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let mut cluster = cluster;
    let mut killed = cluster.executors.remove(0);
    killed.child.kill().unwrap();
    killed.child.wait().unwrap();
    let until = Instant::now() + Duration::from_secs(240);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > until {
            let _ = child.kill();
            panic!(
                "the run did not end within 240 s of losing an executor\n{}",
                cluster.logs()
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let o = child.wait_with_output().unwrap();
    let said = format!("{}{}", text(&o), cluster.logs());
    eprintln!(
        "after losing an executor the run ended with {status}; its last lines:\n{}",
        String::from_utf8_lossy(&o.stderr)
            .lines()
            .rev()
            .take(6)
            .collect::<Vec<_>>()
            .join("\n")
    );
    if status.success() {
        assert_same_bytes(&local, &remote, &|| said.clone());
    } else {
        assert_eq!(status.code(), Some(1), "{said}");
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(stderr.contains("cluster"), "{said}");
        for (f, was) in SAME_BYTES.iter().zip(&before) {
            assert_eq!(&std::fs::read(remote.join(f)).unwrap(), was, "{f} changed");
        }
    }
    drop(killed);
}

#[test]
fn a_scheduler_that_does_not_answer_is_named_with_how_to_start_one() {
    let port = free_port();
    let url = format!("df://127.0.0.1:{port}");
    let tmp = tempfile::tempdir().unwrap();
    let o = run(
        &repo().join("data-samples"),
        &tmp.path().join("out"),
        Some(&url),
        &["--no-report"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains(&format!("127.0.0.1:{port}")), "{t}");
    assert!(t.contains("qinglian cluster scheduler"), "{t}");
    let o = qinglian(&["run", "--cluster", "http://x:1", "--no-report"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("df://HOST:PORT"), "{}", text(&o));
    let o = qinglian(&[
        "run",
        "--cluster",
        &url,
        "--memory-limit",
        "1G",
        "--no-report",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("qinglian cluster executor --memory-limit"),
        "{}",
        text(&o)
    );
}
