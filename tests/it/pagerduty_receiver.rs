//! A PagerDuty Events API v2 stand-in (PagerDuty itself is unreachable from here). It
//! enforces every rule of `../shared/notes/pagerduty-events-v2.md`, answers 202 or 400
//! with the documented bodies, can be told to answer 429 or 500, to hang, or to go
//! down (connection refused), and keeps what it accepted — including, like PagerDuty,
//! which alerts a dedup key opened: a trigger on an open alert is deduplicated.

#![allow(dead_code)]

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const MAX_EVENT_BYTES: usize = 512 * 1024;

/// How the receiver answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Validate: 202 or 400.
    Accept,
    /// 429: the event is not ingested.
    RateLimit,
    /// 500.
    ServerError,
    /// Never answer (until the mode changes or the receiver stops).
    Hang,
}

/// An event the receiver accepted (202).
#[derive(Debug, Clone)]
pub struct Accepted {
    pub routing_key: String,
    pub action: String,
    pub dedup_key: String,
    pub event: Value,
    pub at: Instant,
}

#[derive(Debug, Default)]
struct Incident {
    open: bool,
    opened: u32,
}

#[derive(Debug)]
struct ReceiverState {
    mode: Mode,
    accepted: Vec<Accepted>,
    /// Bodies answered 400, with the errors.
    rejected: Vec<(Vec<u8>, Vec<String>)>,
    /// Requests answered 429/500 or left hanging.
    refused: u64,
    incidents: HashMap<(String, String), Incident>,
    next_dedup: u64,
}

type Shared = Arc<Mutex<ReceiverState>>;

pub struct Receiver {
    pub port: u16,
    state: Shared,
    server: Option<(oneshot::Sender<()>, JoinHandle<()>)>,
}

fn is_string(value: Option<&Value>) -> bool {
    value.is_some_and(Value::is_string)
}

/// Every documented rule; the errors, or the event.
pub fn validate(body: &[u8]) -> Result<Value, Vec<String>> {
    if body.len() >= MAX_EVENT_BYTES {
        return Err(vec![format!(
            "Event object is {} bytes, must be under 512 KB",
            body.len()
        )]);
    }
    let event: Value =
        serde_json::from_slice(body).map_err(|error| vec![format!("Invalid JSON: {error}")])?;
    let Some(object) = event.as_object() else {
        return Err(vec!["Event must be a JSON object".to_string()]);
    };
    let mut errors = Vec::new();
    const TOP_LEVEL: &[&str] = &[
        "routing_key",
        "event_action",
        "dedup_key",
        "payload",
        "links",
        "images",
        "client",
        "client_url",
    ];
    for key in object.keys() {
        if !TOP_LEVEL.contains(&key.as_str()) {
            errors.push(format!("Unknown field '{key}'"));
        }
    }
    match object.get("routing_key").and_then(Value::as_str) {
        Some(key) if key.chars().count() == 32 => {}
        Some(_) => errors.push("'routing_key' must be 32 characters".to_string()),
        None => errors.push("'routing_key' is missing or not a string".to_string()),
    }
    let action = object.get("event_action").and_then(Value::as_str);
    if !matches!(action, Some("trigger" | "acknowledge" | "resolve")) {
        errors.push("'event_action' must be trigger, acknowledge or resolve".to_string());
    }
    match object.get("dedup_key") {
        None => {
            if matches!(action, Some("acknowledge" | "resolve")) {
                errors.push("'dedup_key' is required for acknowledge and resolve".to_string());
            }
        }
        Some(Value::String(key)) if key.chars().count() > 255 => {
            errors.push("'dedup_key' must be at most 255 characters".to_string());
        }
        Some(Value::String(_)) => {}
        Some(_) => errors.push("'dedup_key' must be a string".to_string()),
    }
    if matches!(action, Some("acknowledge" | "resolve")) {
        for key in object.keys() {
            if !["routing_key", "dedup_key", "event_action"].contains(&key.as_str()) {
                errors.push(format!(
                    "'{key}' is not allowed on acknowledge or resolve events"
                ));
            }
        }
    }
    if action == Some("trigger") {
        match object.get("payload").and_then(Value::as_object) {
            None => errors.push("'payload' is required on trigger".to_string()),
            Some(payload) => {
                match payload.get("summary").and_then(Value::as_str) {
                    Some(summary) if summary.chars().count() > 1024 => {
                        errors.push("'payload.summary' must be at most 1024 characters".into())
                    }
                    Some("") => errors.push("'payload.summary' must not be empty".into()),
                    Some(_) => {}
                    None => errors.push("'payload.summary' is required".into()),
                }
                match payload.get("source").and_then(Value::as_str) {
                    Some(source) if !source.is_empty() => {}
                    _ => errors.push("'payload.source' is required".into()),
                }
                match payload.get("severity").and_then(Value::as_str) {
                    Some("critical" | "error" | "warning" | "info") => {}
                    _ => errors
                        .push("'payload.severity' must be critical, error, warning or info".into()),
                }
                if let Some(timestamp) = payload.get("timestamp") {
                    let valid = timestamp
                        .as_str()
                        .is_some_and(|t| chrono::DateTime::parse_from_rfc3339(t).is_ok());
                    if !valid {
                        errors.push("'payload.timestamp' must be ISO 8601".into());
                    }
                }
                for key in ["component", "group", "class"] {
                    if payload.get(key).is_some() && !is_string(payload.get(key)) {
                        errors.push(format!("'payload.{key}' must be a string"));
                    }
                }
                if payload
                    .get("custom_details")
                    .is_some_and(|details| !details.is_object())
                {
                    errors.push("'payload.custom_details' must be an object".into());
                }
            }
        }
    }
    if let Some(links) = object.get("links") {
        let valid = links.as_array().is_some_and(|links| {
            links.iter().all(|link| {
                is_string(link.get("href"))
                    && link.get("text").is_none_or(Value::is_string)
                    && link.is_object()
            })
        });
        if !valid {
            errors.push("'links' must be a list of {href, text?}".into());
        }
    }
    if let Some(images) = object.get("images") {
        let valid = images.as_array().is_some_and(|images| {
            images.iter().all(|image| {
                image
                    .get("src")
                    .and_then(Value::as_str)
                    .is_some_and(|src| src.starts_with("https://"))
                    && image.get("href").is_none_or(Value::is_string)
                    && image.get("alt").is_none_or(Value::is_string)
            })
        });
        if !valid {
            errors.push("'images' must be a list of {src (https), href?, alt?}".into());
        }
    }
    for key in ["client", "client_url"] {
        if object.get(key).is_some() && !is_string(object.get(key)) {
            errors.push(format!("'{key}' must be a string"));
        }
    }
    if errors.is_empty() {
        Ok(event)
    } else {
        Err(errors)
    }
}

fn json_response(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn enqueue(State(state): State<Shared>, body: Bytes) -> Response {
    let mode = state.lock().unwrap().mode;
    match mode {
        Mode::Accept => {}
        Mode::RateLimit => {
            state.lock().unwrap().refused += 1;
            return json_response(
                StatusCode::TOO_MANY_REQUESTS,
                json!({"status": "throttle event", "message": "Requests for this service are arriving too quickly. Please retry later."}),
            );
        }
        Mode::ServerError => {
            state.lock().unwrap().refused += 1;
            return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
        }
        Mode::Hang => {
            state.lock().unwrap().refused += 1;
            while state.lock().unwrap().mode == Mode::Hang {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            return (StatusCode::SERVICE_UNAVAILABLE, "woke up").into_response();
        }
    }
    let event = match validate(&body) {
        Ok(event) => event,
        Err(errors) => {
            state
                .lock()
                .unwrap()
                .rejected
                .push((body.to_vec(), errors.clone()));
            return json_response(
                StatusCode::BAD_REQUEST,
                json!({"status": "invalid event", "message": "Event object is invalid", "errors": errors}),
            );
        }
    };
    let mut state = state.lock().unwrap();
    let routing_key = event["routing_key"].as_str().unwrap().to_string();
    let action = event["event_action"].as_str().unwrap().to_string();
    let dedup_key = match event["dedup_key"].as_str() {
        Some(key) => key.to_string(),
        None => {
            state.next_dedup += 1;
            format!("generated-{}", state.next_dedup)
        }
    };
    let incident = state
        .incidents
        .entry((routing_key.clone(), dedup_key.clone()))
        .or_default();
    match action.as_str() {
        "trigger" if !incident.open => {
            incident.open = true;
            incident.opened += 1;
        }
        "resolve" => incident.open = false,
        _ => {}
    }
    state.accepted.push(Accepted {
        routing_key,
        action,
        dedup_key: dedup_key.clone(),
        event,
        at: Instant::now(),
    });
    json_response(
        StatusCode::ACCEPTED,
        json!({"status": "success", "message": "Event processed", "dedup_key": dedup_key}),
    )
}

impl Receiver {
    /// Starts on a free port of 127.0.0.1.
    pub async fn start() -> Receiver {
        let mut receiver = Receiver {
            port: 0,
            state: Arc::new(Mutex::new(ReceiverState {
                mode: Mode::Accept,
                accepted: Vec::new(),
                rejected: Vec::new(),
                refused: 0,
                incidents: HashMap::new(),
                next_dedup: 0,
            })),
            server: None,
        };
        receiver.up().await;
        receiver
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Listens again (on the same port once it had one).
    pub async fn up(&mut self) {
        if self.server.is_some() {
            return;
        }
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port))
            .await
            .expect("receiver port");
        self.port = listener.local_addr().unwrap().port();
        let router = Router::new()
            .route("/v2/enqueue", post(enqueue))
            // Bigger than the 512 KB rule, so the rule itself answers.
            .layer(DefaultBodyLimit::max(4 * 1024 * 1024))
            .with_state(self.state.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await
                .expect("receiver serves");
        });
        self.server = Some((stop, task));
    }

    /// Goes down: new connections are refused, open ones are closed.
    pub async fn down(&mut self) {
        let previous = self.mode();
        // Hanging requests must end for the graceful shutdown to finish.
        self.set_mode(Mode::ServerError);
        if let Some((stop, task)) = self.server.take() {
            let _ = stop.send(());
            let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
        }
        self.set_mode(previous);
    }

    pub fn set_mode(&self, mode: Mode) {
        self.state.lock().unwrap().mode = mode;
    }

    pub fn mode(&self) -> Mode {
        self.state.lock().unwrap().mode
    }

    pub fn accepted(&self) -> Vec<Accepted> {
        self.state.lock().unwrap().accepted.clone()
    }

    pub fn rejected(&self) -> Vec<(Vec<u8>, Vec<String>)> {
        self.state.lock().unwrap().rejected.clone()
    }

    pub fn refused(&self) -> u64 {
        self.state.lock().unwrap().refused
    }

    /// How many alerts `dedup_key` opened under `routing_key`, and whether one is open.
    pub fn incident(&self, routing_key: &str, dedup_key: &str) -> (u32, bool) {
        self.state
            .lock()
            .unwrap()
            .incidents
            .get(&(routing_key.to_string(), dedup_key.to_string()))
            .map_or((0, false), |incident| (incident.opened, incident.open))
    }

    /// Waits (without blocking the runtime) until `check` holds, or panics.
    pub async fn wait_until(
        &self,
        what: &str,
        timeout: Duration,
        mut check: impl FnMut(&Receiver) -> bool,
    ) {
        let deadline = Instant::now() + timeout;
        while !check(self) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}: {} accepted, {} rejected, {} refused",
                self.accepted().len(),
                self.rejected().len(),
                self.refused()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
