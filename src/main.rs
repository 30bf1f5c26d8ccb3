//! The `postwatch` command line.

use anyhow::Context;
use clap::{Parser, Subcommand};
use postwatch::config::{Config, LearnedModel, LogFormat};
use postwatch::detect::RuleSet;
use postwatch::detect::learned::{self, TextModel};
use postwatch::detect::rules::load_packs;
use postwatch::pipeline::Detector;
use postwatch::profile::Profile;
use postwatch::verdict::Severity;
use std::io::BufReader;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "postwatch",
    version,
    about = "Watches social-media streams for leaks and reputation risk"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service: consume posts and mentions from Kafka, produce alerts.
    Run {
        #[arg(long, short)]
        config: PathBuf,
    },
    /// Run the notifier alone: page `postwatch.alerts` to PagerDuty (needs `[notify]`).
    Notify {
        #[arg(long, short)]
        config: PathBuf,
    },
    /// Scan JSONL posts offline and print one verdict per line (no Kafka needed).
    Scan {
        /// The company profile (YAML).
        #[arg(long)]
        profile: PathBuf,
        /// Extra rule pack directories.
        #[arg(long = "rules")]
        rule_dirs: Vec<PathBuf>,
        #[command(flatten)]
        model: ModelArgs,
        /// The JSONL file; `-` or nothing reads standard input.
        input: Option<PathBuf>,
    },
    /// Validate a configuration file and report every problem at once.
    CheckConfig { config: PathBuf },
    /// Evaluate detection on labelled cases (CONTRACT §6) and check the targets.
    Eval {
        /// The company profile (YAML) the cases were labelled for.
        #[arg(long)]
        profile: PathBuf,
        /// Extra rule pack directories.
        #[arg(long = "rules")]
        rule_dirs: Vec<PathBuf>,
        /// How many of the worst misses to list.
        #[arg(long, default_value_t = 20)]
        worst: usize,
        #[arg(long, default_value_t = 0.95)]
        min_precision: f64,
        #[arg(long, default_value_t = 0.95)]
        min_recall: f64,
        #[arg(long, default_value_t = 0.02)]
        max_false_alarm_rate: f64,
        #[arg(long, default_value_t = 0.95)]
        min_severity_agreement: f64,
        #[command(flatten)]
        model: ModelArgs,
        /// The labelled cases, one JSON object per line.
        labels: PathBuf,
    },
    /// Train the learned model on labelled sets and write its file.
    Train {
        /// Where to write the model (tab-separated text).
        #[arg(long)]
        out: PathBuf,
        /// Extra rule pack directories (they decide how company names are read).
        #[arg(long = "rules")]
        rule_dirs: Vec<PathBuf>,
        /// The probability from which the model reports a category, for every
        /// category (default: the built-in one of each).
        #[arg(long)]
        threshold: Option<f32>,
        /// Features whose weights all stay below this in size are left out.
        #[arg(long, default_value_t = learned::Training::default().prune_below)]
        prune: f32,
        /// The L2 penalty on the weights.
        #[arg(long, default_value_t = learned::Training::default().l2)]
        l2: f32,
        /// Labelled sets as PROFILE=CASES (a profile YAML and its JSONL cases).
        #[arg(required = true)]
        sets: Vec<String>,
    },
}

/// Which learned model detection uses.
#[derive(clap::Args)]
struct ModelArgs {
    /// A model file to use instead of the built-in one.
    #[arg(long, conflicts_with = "no_model")]
    model: Option<PathBuf>,
    /// Rules and detectors only, without the learned model.
    #[arg(long)]
    no_model: bool,
}

impl ModelArgs {
    fn load(&self) -> anyhow::Result<Option<Arc<TextModel>>> {
        let choice = match &self.model {
            _ if self.no_model => LearnedModel::Off,
            None => LearnedModel::Builtin,
            Some(path) => LearnedModel::File(path.clone()),
        };
        Ok(postwatch::app::learned_model(&choice)?)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run { config } => run_service(&config, Service::Pipeline),
        Command::Notify { config } => run_service(&config, Service::Notifier),
        Command::Scan {
            profile,
            rule_dirs,
            model,
            input,
        } => report(scan(&profile, &rule_dirs, &model, input.as_deref())),
        Command::CheckConfig { config } => {
            report(check_config(&config).map(|()| ExitCode::SUCCESS))
        }
        Command::Eval {
            profile,
            rule_dirs,
            worst,
            min_precision,
            min_recall,
            max_false_alarm_rate,
            min_severity_agreement,
            model,
            labels,
        } => {
            let targets = postwatch::eval::Targets {
                min_precision,
                min_recall,
                max_false_alarm_rate,
                min_severity_agreement,
            };
            report(eval(&profile, &rule_dirs, &model, &labels, worst, &targets))
        }
        Command::Train {
            out,
            rule_dirs,
            threshold,
            prune,
            l2,
            sets,
        } => report(train(&out, &rule_dirs, threshold, prune, l2, &sets)),
    }
}

fn report(result: anyhow::Result<ExitCode>) -> ExitCode {
    result.unwrap_or_else(|error| {
        eprintln!("postwatch: {error:#}");
        ExitCode::from(2)
    })
}

fn init_logging(level: &str, format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_new(level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().flatten_event(true).init(),
        LogFormat::Text => builder.init(),
    }
}

/// What `run_service` runs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Service {
    /// Detection (and the notifier, when `[notify]` is configured).
    Pipeline,
    /// The notifier alone.
    Notifier,
}

fn run_service(path: &std::path::Path, service: Service) -> ExitCode {
    let config = match Config::load(path) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("postwatch: {error}");
            return ExitCode::from(2);
        }
    };
    if service == Service::Notifier && config.notify.is_none() {
        eprintln!(
            "postwatch: {} has no [notify] section (or it is disabled)",
            path.display()
        );
        return ExitCode::from(2);
    }
    init_logging(&config.log_level, config.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("postwatch: cannot start the async runtime: {error}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(async move {
        let (shutdown_sender, shutdown) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!("shutdown signal received");
            let _ = shutdown_sender.send(true);
        });
        match service {
            Service::Pipeline => postwatch::app::run(config, shutdown).await,
            Service::Notifier => postwatch::notify::serve(config, shutdown).await,
        }
    });
    match result {
        Ok(()) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(error) => {
            tracing::error!("start-up failed: {error:#}");
            eprintln!("postwatch: {error:#}");
            ExitCode::from(2)
        }
    }
}

async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate()).expect("SIGTERM handler installs");
    let mut interrupt = signal(SignalKind::interrupt()).expect("SIGINT handler installs");
    tokio::select! {
        _ = terminate.recv() => {}
        _ = interrupt.recv() => {}
    }
}

fn offline_detector(
    path: &std::path::Path,
    rule_dirs: &[PathBuf],
    model: &ModelArgs,
) -> anyhow::Result<Detector> {
    let profile = load_profile(path)?;
    let rules = RuleSet::build(load_packs(rule_dirs)?, profile)?.with_model(model.load()?);
    Ok(Detector {
        rules,
        // Offline verdicts carry no dedup keys; the key is irrelevant here.
        fingerprinter: postwatch::alert::Fingerprinter::new(b"offline"),
        alert_min_severity: Severity::Warning,
    })
}

fn scan(
    profile: &std::path::Path,
    rule_dirs: &[PathBuf],
    model: &ModelArgs,
    input: Option<&std::path::Path>,
) -> anyhow::Result<ExitCode> {
    let detector = offline_detector(profile, rule_dirs, model)?;
    let stdout = std::io::stdout().lock();
    let output = std::io::BufWriter::new(stdout);
    let summary = match input {
        None => postwatch::scan::scan(&detector, std::io::stdin().lock(), output)?,
        Some(path) if path.as_os_str() == "-" => {
            postwatch::scan::scan(&detector, std::io::stdin().lock(), output)?
        }
        Some(path) => {
            let file = std::fs::File::open(path)
                .with_context(|| format!("cannot open {}", path.display()))?;
            postwatch::scan::scan(&detector, BufReader::new(file), output)?
        }
    };
    if summary.invalid > 0 {
        eprintln!(
            "postwatch: {} of {} lines were invalid",
            summary.invalid, summary.lines
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn eval(
    profile: &std::path::Path,
    rule_dirs: &[PathBuf],
    model: &ModelArgs,
    labels: &std::path::Path,
    worst: usize,
    targets: &postwatch::eval::Targets,
) -> anyhow::Result<ExitCode> {
    let detector = offline_detector(profile, rule_dirs, model)?;
    let text = std::fs::read_to_string(labels)
        .with_context(|| format!("cannot read {}", labels.display()))?;
    let report = postwatch::eval::evaluate(&detector, &text)
        .map_err(|error| anyhow::anyhow!("{}: {error}", labels.display()))?;
    print!("{}", report.render(worst));
    let failures = report.failures(targets);
    if failures.is_empty() {
        println!("\nall targets met");
        return Ok(ExitCode::SUCCESS);
    }
    println!("\ntargets missed:");
    for failure in &failures {
        println!("  - {failure}");
    }
    Ok(ExitCode::from(1))
}

/// Trains the learned model on labelled sets and writes it.
fn train(
    out: &std::path::Path,
    rule_dirs: &[PathBuf],
    threshold: Option<f32>,
    prune: f32,
    l2: f32,
    sets: &[String],
) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        threshold.is_none_or(|threshold| threshold > 0.0 && threshold < 1.0),
        "--threshold must be between 0 and 1"
    );
    let lexicon = load_packs(rule_dirs)?;
    let mut names = std::collections::HashMap::new();
    let mut examples = Vec::new();
    let mut listed = Vec::new();
    for set in sets {
        let (profile, cases) = set
            .split_once('=')
            .with_context(|| format!("{set}: expected PROFILE=CASES"))?;
        let rules = RuleSet::build(lexicon.clone(), load_profile(profile.as_ref())?)?;
        let text =
            std::fs::read_to_string(cases).with_context(|| format!("cannot read {cases}"))?;
        let (mut found, invalid) = postwatch::eval::training_examples(&rules, &text, &mut names)
            .map_err(|error| anyhow::anyhow!("{cases}: {error}"))?;
        anyhow::ensure!(invalid == 0, "{cases}: {invalid} cases are invalid posts");
        listed.push(format!("{cases} ({} cases)", found.len()));
        examples.append(&mut found);
    }
    let training = learned::Training {
        threshold: threshold.map_or(learned::Training::default().threshold, |threshold| {
            [threshold; learned::CATEGORIES.len()]
        }),
        prune_below: prune,
        l2,
        ..learned::Training::default()
    };
    let model = learned::train(&examples, &names, training);
    let header = format!(
        "postwatch learned model: written by `postwatch train`, do not edit by hand.\n\
         {} labelled posts, {} features kept; trained on:\n{}",
        examples.len(),
        model.len(),
        listed.join("\n")
    );
    std::fs::write(out, model.to_file(&header))
        .with_context(|| format!("cannot write {}", out.display()))?;
    eprintln!(
        "postwatch: {} features from {} posts written to {}",
        model.len(),
        examples.len(),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Loads a profile for a command without logging, saying on stderr which keys it
/// ignored.
fn load_profile(path: &std::path::Path) -> anyhow::Result<Profile> {
    let profile = Profile::load(path)?;
    for key in &profile.ignored_keys {
        eprintln!(
            "postwatch: warning: {}: unknown key `{key}` ignored",
            path.display()
        );
    }
    Ok(profile)
}

fn check_config(path: &std::path::Path) -> anyhow::Result<()> {
    let config = Config::load(path)?;
    let profile = load_profile(&config.profile)?;
    let rules = load_packs(&config.rule_dirs)?;
    let model = postwatch::app::learned_model(&config.learned_model)?;
    println!(
        "{}: ok (brokers {}, group {}, {} products, {} lexicon rules, learned model: {})",
        path.display(),
        config.kafka.brokers,
        config.kafka.group_id,
        profile.products.len(),
        rules.len(),
        model.map_or("off".to_string(), |model| format!(
            "{} features",
            model.len()
        ))
    );
    Ok(())
}
