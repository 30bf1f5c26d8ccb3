//! The admin HTTP server: `/metrics`, `/healthz` (liveness) and `/readyz` (readiness).

use crate::metrics::METRICS;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What the probes report, updated by the processing loop.
#[derive(Debug)]
pub struct Health {
    /// Unix milliseconds of the loop's last turn (messages or idle ticks).
    last_progress_ms: AtomicU64,
    rules_loaded: AtomicBool,
    assigned_partitions: Arc<AtomicI64>,
    stall_limit: Duration,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as u64)
}

impl Health {
    pub fn new(assigned_partitions: Arc<AtomicI64>, stall_limit: Duration) -> Health {
        Health {
            last_progress_ms: AtomicU64::new(now_ms()),
            rules_loaded: AtomicBool::new(false),
            assigned_partitions,
            stall_limit,
        }
    }

    /// The loop turned: it is alive, whether or not Kafka has anything for it.
    pub fn progress(&self) {
        self.last_progress_ms.store(now_ms(), Ordering::Relaxed);
    }

    pub fn set_rules_loaded(&self, loaded: bool) {
        self.rules_loaded.store(loaded, Ordering::Relaxed);
    }

    pub fn is_live(&self) -> bool {
        let since = now_ms().saturating_sub(self.last_progress_ms.load(Ordering::Relaxed));
        since <= self.stall_limit.as_millis() as u64
    }

    pub fn is_ready(&self) -> bool {
        self.rules_loaded.load(Ordering::Relaxed)
            && self.assigned_partitions.load(Ordering::Relaxed) > 0
    }
}

async fn metrics() -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        METRICS.render(),
    )
}

async fn healthz(State(health): State<Arc<Health>>) -> impl IntoResponse {
    if health.is_live() {
        (StatusCode::OK, "ok\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "processing loop stalled\n")
    }
}

async fn readyz(State(health): State<Arc<Health>>) -> impl IntoResponse {
    if health.is_ready() {
        (StatusCode::OK, "ready\n")
    } else if !health.rules_loaded.load(Ordering::Relaxed) {
        (StatusCode::SERVICE_UNAVAILABLE, "rules not loaded\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "no partitions assigned\n")
    }
}

/// The admin routes.
pub fn router(health: Arc<Health>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(health)
}
