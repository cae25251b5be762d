//! The prometheus_client guide's queue worker and its payment `track_api_call` decorator,
//! on a deterministic batch of simulated jobs, so that every figure it exposes is known in
//! advance (the `worker` binary's test checks them exactly).
//!
//! The batch: [`JOBS`] jobs on the queue `default`, of the types `email`, `report` and
//! `payment` in turn; job *i* is `high` priority when *i* is a multiple of 4, else `low`.
//! Jobs 5, 13 and 21 fail once with a retryable error (put back on the queue, retried, then
//! done); jobs 9 and 19 fail for good (`InvalidPayload`); the payment of job 17 is declined
//! (`CardDeclined`). Two workers take jobs until the queue is empty.
//!
//! | metric | type | labels | the batch ends with |
//! |---|---|---|---|
//! | `job_queue_size` | gauge | `queue_name`, `priority` | 0, 0 |
//! | `jobs_processed_total` | counter | `queue_name`, `status` | success 21, failure 3 |
//! | `job_duration_seconds` | histogram (the guide's buckets) | `queue_name`, `job_type` | 9 attempts of each type |
//! | `jobs_retried_total` | counter | `queue_name`, `job_type` | 1 of each type |
//! | `job_failures_total` | counter | `queue_name`, `error_type` | InvalidPayload 2, CardDeclined 1 |
//! | `workers_active` | gauge | `queue_name` | 0 (2 while the batch runs) |
//! | `api_calls_total` | counter | `service`, `endpoint`, `status` | payment/charge success 7, error 1 |
//! | `api_latency_seconds` | histogram (the guide's buckets) | `service`, `endpoint` | 8 |
//! | `api_errors_total` | counter | `service`, `error_type` | payment CardDeclined 1 |
//! | `concurrent_api_requests` | gauge | `service` | 0 |
//!
//! `charge_customer` also carries the `#[measured]` attribute, so the same calls appear as
//! `function_calls_total{function="charge_customer",…}`: the guide's hand-written decorator
//! and this library's one line, side by side.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tower_metrics::prometheus_client::metrics::counter::Counter;
use tower_metrics::prometheus_client::metrics::family::Family;
use tower_metrics::prometheus_client::metrics::gauge::Gauge;
use tower_metrics::prometheus_client::metrics::histogram::Histogram;
use tower_metrics::prometheus_client::registry::Unit;
use tower_metrics::{measured, HttpMetrics, TimerExt};

/// Jobs in the batch.
pub const JOBS: usize = 24;
/// The queue's name.
pub const QUEUE: &str = "default";
/// Workers taking jobs at once.
pub const WORKERS: i64 = 2;
/// The guide's buckets of `job_duration_seconds`.
pub const JOB_BUCKETS: [f64; 8] = [0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0];
/// The guide's buckets of `api_latency_seconds`.
pub const API_BUCKETS: [f64; 8] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];

type Labels = Vec<(&'static str, &'static str)>;
type Histograms = Family<Labels, Histogram, fn() -> Histogram>;

/// The guide's queue and API metrics.
#[derive(Clone, Debug)]
pub struct WorkerMetrics {
    queue_size: Family<Labels, Gauge>,
    processed: Family<Labels, Counter>,
    duration: Histograms,
    retried: Family<Labels, Counter>,
    failures: Family<Labels, Counter>,
    workers_active: Family<Labels, Gauge>,
    api_calls: Family<Labels, Counter>,
    api_latency: Histograms,
    api_errors: Family<Labels, Counter>,
    concurrent_api: Family<Labels, Gauge>,
}

impl WorkerMetrics {
    /// Creates the metrics and registers them on `metrics`.
    pub fn register(metrics: &HttpMetrics) -> Self {
        let this = Self {
            queue_size: Family::default(),
            processed: Family::default(),
            duration: Family::new_with_constructor(|| Histogram::new(JOB_BUCKETS)),
            retried: Family::default(),
            failures: Family::default(),
            workers_active: Family::default(),
            api_calls: Family::default(),
            api_latency: Family::new_with_constructor(|| Histogram::new(API_BUCKETS)),
            api_errors: Family::default(),
            concurrent_api: Family::default(),
        };
        let seconds = Unit::Seconds;
        metrics
            .register(
                "job_queue_size",
                "Number of jobs in queue",
                this.queue_size.clone(),
            )
            .expect("a name no other family writes");
        metrics
            .register(
                "jobs_processed",
                "Total jobs processed",
                this.processed.clone(),
            )
            .expect("a name no other family writes");
        let duration = this.duration.clone();
        metrics
            .register_with_unit(
                "job_duration",
                "Job processing duration",
                seconds.clone(),
                duration,
            )
            .expect("a name no other family writes");
        metrics
            .register(
                "jobs_retried",
                "Jobs that required retry",
                this.retried.clone(),
            )
            .expect("a name no other family writes");
        metrics
            .register("job_failures", "Total job failures", this.failures.clone())
            .expect("a name no other family writes");
        metrics
            .register(
                "workers_active",
                "Number of active workers",
                this.workers_active.clone(),
            )
            .expect("a name no other family writes");
        metrics
            .register("api_calls", "Total API calls", this.api_calls.clone())
            .expect("a name no other family writes");
        let latency = this.api_latency.clone();
        metrics
            .register_with_unit("api_latency", "API call latency", seconds, latency)
            .expect("a name no other family writes");
        metrics
            .register("api_errors", "API errors", this.api_errors.clone())
            .expect("a name no other family writes");
        let concurrent = this.concurrent_api.clone();
        metrics
            .register(
                "concurrent_api_requests",
                "Number of concurrent API requests",
                concurrent,
            )
            .expect("a name no other family writes");
        this
    }

    /// The guide's `track_api_call(service, endpoint)`: counts the call by status, its
    /// errors by type, times it, and tracks it in progress.
    pub async fn track_api_call<T>(
        &self,
        service: &'static str,
        endpoint: &'static str,
        call: impl std::future::Future<Output = Result<T, &'static str>>,
    ) -> Result<T, &'static str> {
        let concurrent = self
            .concurrent_api
            .get_or_create(&vec![("service", service)])
            .clone();
        concurrent.inc();
        let latency = (self.api_latency)
            .get_or_create(&vec![("service", service), ("endpoint", endpoint)])
            .clone();
        let result = latency.time_future(call).await;
        let status = match &result {
            Ok(_) => "success",
            Err(error_type) => {
                let labels = vec![("service", service), ("error_type", *error_type)];
                self.api_errors.get_or_create(&labels).inc();
                "error"
            }
        };
        let labels = vec![
            ("service", service),
            ("endpoint", endpoint),
            ("status", status),
        ];
        self.api_calls.get_or_create(&labels).inc();
        concurrent.dec();
        result
    }
}

/// One simulated job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Job {
    /// Its number in the batch.
    pub id: usize,
    /// `email`, `report` or `payment`.
    pub job_type: &'static str,
    /// `high` or `low`.
    pub priority: &'static str,
    /// Attempts made so far.
    pub attempts: u32,
}

/// The batch, in queue order.
pub fn batch() -> VecDeque<Job> {
    (0..JOBS)
        .map(|id| Job {
            id,
            job_type: ["email", "report", "payment"][id % 3],
            priority: if id % 4 == 0 { "high" } else { "low" },
            attempts: 0,
        })
        .collect()
}

/// How an attempt ended.
enum Attempt {
    Done,
    Retry,
    Failed(&'static str),
}

/// Charges a customer: the payment API, declined for one customer of the batch.
#[measured(service = "payment", endpoint = "charge")]
pub async fn charge_customer(customer_id: usize, amount: f64) -> Result<f64, &'static str> {
    tokio::time::sleep(Duration::from_millis(3)).await;
    if customer_id == 17 {
        Err("CardDeclined")
    } else {
        Ok(amount)
    }
}

/// The queue, its metrics and the work.
#[derive(Debug)]
pub struct Worker {
    metrics: WorkerMetrics,
    queue: Mutex<VecDeque<Job>>,
}

impl Worker {
    /// A worker for `batch`, reporting on `metrics`.
    pub fn new(metrics: WorkerMetrics, batch: VecDeque<Job>) -> Arc<Self> {
        let worker = Arc::new(Self {
            metrics,
            queue: Mutex::new(VecDeque::new()),
        });
        for job in batch {
            worker.enqueue(job);
        }
        worker
    }

    fn queue_size(&self, priority: &'static str) -> Gauge {
        let labels = vec![("queue_name", QUEUE), ("priority", priority)];
        self.metrics.queue_size.get_or_create(&labels).clone()
    }

    fn enqueue(&self, job: Job) {
        self.queue_size(job.priority).inc();
        self.queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_back(job);
    }

    fn next(&self) -> Option<Job> {
        let job = self
            .queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front()?;
        self.queue_size(job.priority).dec();
        Some(job)
    }

    /// Runs [`WORKERS`] workers until the queue is empty; returns (succeeded, failed).
    pub async fn run(self: &Arc<Self>) -> (u64, u64) {
        let active = (self.metrics.workers_active)
            .get_or_create(&vec![("queue_name", QUEUE)])
            .clone();
        let workers: Vec<_> = (0..WORKERS)
            .map(|_| {
                let worker = self.clone();
                let active = active.clone();
                tokio::spawn(async move {
                    active.inc();
                    while let Some(job) = worker.next() {
                        worker.process(job).await;
                    }
                    active.dec();
                })
            })
            .collect();
        for worker in workers {
            let _ = worker.await;
        }
        let processed = |status| {
            let labels = vec![("queue_name", QUEUE), ("status", status)];
            self.metrics.processed.get_or_create(&labels).get()
        };
        (processed("success"), processed("failure"))
    }

    /// The guide's `process_job`: one attempt, timed, and its outcome counted.
    async fn process(&self, mut job: Job) {
        job.attempts += 1;
        let duration = (self.metrics.duration)
            .get_or_create(&vec![("queue_name", QUEUE), ("job_type", job.job_type)])
            .clone();
        let attempt = duration.time_future(self.execute(job)).await;
        let count = |family: &Family<Labels, Counter>, label: &'static str, value| {
            family
                .get_or_create(&vec![("queue_name", QUEUE), (label, value)])
                .inc();
        };
        match attempt {
            Attempt::Done => count(&self.metrics.processed, "status", "success"),
            Attempt::Retry => {
                count(&self.metrics.retried, "job_type", job.job_type);
                self.enqueue(job);
            }
            Attempt::Failed(error_type) => {
                count(&self.metrics.failures, "error_type", error_type);
                count(&self.metrics.processed, "status", "failure");
            }
        }
    }

    async fn execute(&self, job: Job) -> Attempt {
        tokio::time::sleep(Duration::from_millis(2)).await;
        if [5, 13, 21].contains(&job.id) && job.attempts == 1 {
            return Attempt::Retry;
        }
        if [9, 19].contains(&job.id) {
            return Attempt::Failed("InvalidPayload");
        }
        if job.job_type == "payment" {
            let charge = charge_customer(job.id, 10.0 * job.id as f64);
            if let Err(error_type) = self
                .metrics
                .track_api_call("payment", "charge", charge)
                .await
            {
                return Attempt::Failed(error_type);
            }
        }
        Attempt::Done
    }
}
