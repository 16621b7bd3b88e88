//! Past one machine: a run's queries on an Apache DataFusion Ballista
//! cluster. [`connect`] gives the pipeline a session whose every query
//! (ingest's validation and canonical tables, the compiled and SQL-file
//! data points) is planned by the Ballista scheduler and executed by its
//! executors; scoring, Monte Carlo and the report stay in the client, on
//! one row per village. [`scheduler`] and [`executor`] start Ballista's own
//! processes from its library crates, with qinglian's codecs
//! ([`codec`]), so one binary serves every node (docs/distributed.md).

pub mod codec;

use std::net::SocketAddr;
use std::sync::Arc;

use ballista::prelude::{SessionConfigExt, SessionContextExt};
use ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient;
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::start_server;
use datafusion::execution::SessionStateBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::error::{Error, Result};
use codec::{LogicalCodec, PhysicalCodec};

/// The scheduler's port when a `df://` address names none (Ballista's).
pub const DEFAULT_SCHEDULER_PORT: u16 = 50050;

/// What every executor must see: the data directory at the client's path.
pub const SHARED_MOUNT: &str = "every executor must read the data directory at the same path as the client (a shared mount), and for CSV extracts the client's TMPDIR too, where their columnar copies are written (docs/distributed.md)";

/// The `host:port` of a `df://HOST[:PORT]` address.
pub fn scheduler_address(url: &str) -> Result<(String, u16)> {
    let bad = |why: &str| Error::Request(format!("--cluster {url}: {why}; write df://HOST:PORT"));
    let rest = url
        .strip_prefix("df://")
        .ok_or_else(|| bad("the address does not start with df://"))?;
    let rest = rest.trim_end_matches('/');
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) => (
            h,
            p.parse::<u16>()
                .map_err(|_| bad("the port is not a number from 1 to 65535"))?,
        ),
        None => (rest, DEFAULT_SCHEDULER_PORT),
    };
    if host.is_empty() || host.contains('/') {
        return Err(bad("no host"));
    }
    Ok((host.to_string(), port))
}

/// A session on the cluster at `url` (`df://HOST:PORT`): queries planned
/// by its scheduler with qinglian's codecs, `threads` partitions per
/// stage (default the client's cores). Fails, naming the address, when
/// the scheduler does not answer.
pub async fn connect(url: &str, threads: Option<usize>) -> Result<SessionContext> {
    let (host, port) = scheduler_address(url)?;
    let endpoint = format!("http://{host}:{port}");
    SchedulerGrpcClient::connect(endpoint.clone())
        .await
        .map_err(|e| Error::Cluster {
            message: format!(
                "no Ballista scheduler answers at {host}:{port} ({e}); start one with `qinglian cluster scheduler --bind-port {port}`, or check --cluster"
            ),
        })?;
    let mut config = SessionConfig::new_with_ballista()
        .with_ballista_logical_extension_codec(Arc::new(LogicalCodec::default()))
        .with_ballista_physical_extension_codec(Arc::new(PhysicalCodec::default()))
        .with_ballista_job_name("qinglian")
        // Ballista 55's adaptive planner re-plans a stage without end when
        // a join's side is an empty in-memory table (no duplicate ids, the
        // usual case): seen as stage ids climbing past 1,700 in one
        // validation query. The static planner plans each query once.
        .with_ballista_adaptive_query_planner(false);
    if let Some(t) = threads {
        config = config.with_target_partitions(t.max(1));
    }
    let state = SessionStateBuilder::new()
        .with_config(config)
        .with_default_features()
        .build();
    SessionContext::remote_with_state(url, state)
        .await
        .map_err(Error::query(format!("connecting to the cluster at {url}")))
}

/// A query's failure on the cluster at `cluster` (None: no cluster, the
/// error as it is), told as a cluster's: an executor that cannot read
/// the data says the data must be on a shared mount; what else failed
/// there (an executor lost, the scheduler gone) keeps Ballista's words,
/// which name the executor and the job.
pub fn explained(e: Error, cluster: Option<&str>) -> Error {
    let Some(url) = cluster else { return e };
    let Error::Query { context, source } = e else {
        return e;
    };
    let text = source.to_string();
    let unreadable = ["No such file", "not found", "NotFound", "Permission denied"]
        .iter()
        .any(|m| text.contains(m));
    let message = if unreadable {
        format!("{context} on {url}: an executor could not read the data ({text}); {SHARED_MOUNT}")
    } else {
        format!("{context} on {url}: {text}")
    };
    Error::Cluster { message }
}

/// `qinglian cluster scheduler`'s settings (Ballista's flag names).
#[derive(Debug, Clone)]
pub struct SchedulerSettings {
    pub bind_host: String,
    pub bind_port: u16,
    pub external_host: String,
    pub executor_timeout_seconds: u64,
    pub expire_dead_executor_interval_seconds: u64,
}

/// Runs the Ballista scheduler until the process is stopped.
pub async fn scheduler(s: SchedulerSettings) -> Result<()> {
    let addr: SocketAddr = format!("{}:{}", s.bind_host, s.bind_port)
        .parse()
        .map_err(|e| Error::Request(format!("--bind-host {}: {e}", s.bind_host)))?;
    let mut config = SchedulerConfig {
        bind_host: s.bind_host.clone(),
        bind_port: s.bind_port,
        external_host: s.external_host.clone(),
        executor_timeout_seconds: s.executor_timeout_seconds,
        no_executors_grace_period_seconds: s.executor_timeout_seconds,
        expire_dead_executor_interval_seconds: s.expire_dead_executor_interval_seconds,
        ..SchedulerConfig::default()
    };
    config.override_logical_codec = Some(Arc::new(LogicalCodec::default()));
    config.override_physical_codec = Some(Arc::new(PhysicalCodec::default()));
    let cluster = BallistaCluster::new_from_config(&config)
        .await
        .map_err(|e| Error::Cluster {
            message: format!("starting the scheduler: {e}"),
        })?;
    tracing::info!(%addr, "Ballista scheduler listening");
    start_server(cluster, addr, Arc::new(config))
        .await
        .map_err(|e| Error::Cluster {
            message: format!("the scheduler on {addr} stopped: {e}"),
        })
}

/// `qinglian cluster executor`'s settings (Ballista's flag names, plus
/// `--memory-limit`).
#[derive(Debug, Clone)]
pub struct ExecutorSettings {
    pub scheduler_host: String,
    pub scheduler_port: u16,
    pub bind_host: String,
    pub external_host: Option<String>,
    pub bind_port: u16,
    pub bind_grpc_port: u16,
    pub concurrent_tasks: Option<usize>,
    pub work_dir: Option<String>,
    pub memory_limit: Option<usize>,
    pub executor_heartbeat_interval_seconds: u64,
}

/// Runs a Ballista executor until the process is stopped or its scheduler
/// tells it to stop.
pub async fn executor(s: ExecutorSettings) -> Result<()> {
    let defaults = ExecutorProcessConfig::default();
    let config = ExecutorProcessConfig {
        bind_host: s.bind_host,
        external_host: s.external_host,
        port: s.bind_port,
        grpc_port: s.bind_grpc_port,
        scheduler_host: s.scheduler_host,
        scheduler_port: s.scheduler_port,
        vcores: s.concurrent_tasks.unwrap_or(defaults.vcores).max(1),
        work_dir: s.work_dir,
        memory_pool_size: s.memory_limit.map(|m| m as u64),
        executor_heartbeat_interval_seconds: s.executor_heartbeat_interval_seconds,
        override_logical_codec: Some(Arc::new(LogicalCodec::default())),
        override_physical_codec: Some(Arc::new(PhysicalCodec::default())),
        print_thread_info: false,
        ..defaults
    };
    let id = config.executor_id.clone();
    tracing::info!(executor = %id, "Ballista executor starting");
    start_executor_process(Arc::new(config))
        .await
        .map_err(|e| Error::Cluster {
            message: format!("the executor {id} stopped: {e}"),
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    #[test]
    fn a_scheduler_address_is_df_host_port() {
        assert_eq!(
            scheduler_address("df://10.0.0.5:50050").unwrap(),
            ("10.0.0.5".to_string(), 50050)
        );
        assert_eq!(
            scheduler_address("df://node1").unwrap(),
            ("node1".to_string(), DEFAULT_SCHEDULER_PORT)
        );
        for bad in [
            "http://node1:50050",
            "df://:50050",
            "df://node1:port",
            "df://",
        ] {
            let err = scheduler_address(bad).unwrap_err().to_string();
            assert!(err.contains("df://HOST:PORT"), "{bad}: {err}");
        }
    }
}
