//! `postwatch eval`: labelled cases (CONTRACT §6) in, quality figures out — per
//! category precision, recall and F1, the benign false-alarm rate, severity agreement,
//! and the worst misses with the rules that fired — checked against targets.

use crate::pipeline::Detector;
use crate::post::from_value;
use crate::verdict::{Category, Severity, Verdict};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

#[derive(Debug, Deserialize)]
struct LabelledCase {
    post: serde_json::Value,
    expect: Expectation,
}

#[derive(Debug, Deserialize)]
struct Expectation {
    categories: Vec<Category>,
    severity: Severity,
}

/// Quality targets; a report below any of them fails.
#[derive(Debug, Clone, Copy)]
pub struct Targets {
    pub min_precision: f64,
    pub min_recall: f64,
    pub max_false_alarm_rate: f64,
    pub min_severity_agreement: f64,
}

impl Default for Targets {
    fn default() -> Targets {
        Targets {
            min_precision: 0.95,
            min_recall: 0.95,
            max_false_alarm_rate: 0.02,
            min_severity_agreement: 0.95,
        }
    }
}

/// Counts for one category.
#[derive(Debug, Default, Clone, Copy)]
pub struct CategoryCounts {
    pub true_positives: usize,
    pub false_positives: usize,
    pub false_negatives: usize,
}

impl CategoryCounts {
    pub fn precision(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_positives,
        )
    }
    pub fn recall(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_negatives,
        )
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

/// An empty denominator counts as perfect: nothing to find, nothing wrongly found.
fn ratio(numerator: usize, denominator: usize) -> f64 {
    if denominator == 0 {
        1.0
    } else {
        numerator as f64 / denominator as f64
    }
}

/// One case the verdict got wrong.
#[derive(Debug, Clone)]
pub struct Miss {
    pub id: String,
    pub expected: Vec<Category>,
    pub expected_severity: Severity,
    pub actual: Vec<Category>,
    pub actual_severity: Severity,
    /// `rule@start..end` of every finding: the trace that explains the verdict.
    pub trace: Vec<String>,
    /// How bad: missed categories and false categories, plus under-severity.
    pub weight: usize,
}

/// The evaluation of one labelled set.
#[derive(Debug, Default)]
pub struct Report {
    pub cases: usize,
    pub invalid: Vec<String>,
    pub per_category: BTreeMap<Category, CategoryCounts>,
    pub benign: usize,
    pub benign_false_alarms: usize,
    pub positives: usize,
    pub positives_severity_at_least: usize,
    pub positives_severity_exact: usize,
    pub severity_agreeing: usize,
    pub exact_category_sets: usize,
    pub confusion: BTreeMap<(Severity, Severity), usize>,
    pub misses: Vec<Miss>,
}

impl Report {
    pub fn false_alarm_rate(&self) -> f64 {
        if self.benign == 0 {
            0.0
        } else {
            self.benign_false_alarms as f64 / self.benign as f64
        }
    }

    /// Share of all cases whose severity meets the label: at least the expected
    /// severity for positives, `none` or `info` for benign posts.
    pub fn severity_agreement(&self) -> f64 {
        ratio(self.severity_agreeing, self.cases - self.invalid.len())
    }

    fn micro(&self) -> CategoryCounts {
        self.per_category
            .values()
            .fold(CategoryCounts::default(), |sum, counts| CategoryCounts {
                true_positives: sum.true_positives + counts.true_positives,
                false_positives: sum.false_positives + counts.false_positives,
                false_negatives: sum.false_negatives + counts.false_negatives,
            })
    }

    /// Every target the report misses, as sentences; empty when all are met.
    pub fn failures(&self, targets: &Targets) -> Vec<String> {
        let mut failures = Vec::new();
        if !self.invalid.is_empty() {
            failures.push(format!("{} cases are invalid posts", self.invalid.len()));
        }
        for (category, counts) in &self.per_category {
            if counts.precision() < targets.min_precision {
                failures.push(format!(
                    "{category} precision {:.3} is below {}",
                    counts.precision(),
                    targets.min_precision
                ));
            }
            if counts.recall() < targets.min_recall {
                failures.push(format!(
                    "{category} recall {:.3} is below {}",
                    counts.recall(),
                    targets.min_recall
                ));
            }
        }
        if self.false_alarm_rate() > targets.max_false_alarm_rate {
            failures.push(format!(
                "benign false-alarm rate {:.3} is above {}",
                self.false_alarm_rate(),
                targets.max_false_alarm_rate
            ));
        }
        if self.severity_agreement() < targets.min_severity_agreement {
            failures.push(format!(
                "severity agreement {:.3} is below {}",
                self.severity_agreement(),
                targets.min_severity_agreement
            ));
        }
        failures
    }

    /// The human-readable report.
    pub fn render(&self, worst: usize) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "cases: {} ({} invalid)",
            self.cases,
            self.invalid.len()
        );
        let _ = writeln!(
            out,
            "\n{:<22} {:>4} {:>4} {:>4} {:>9} {:>7} {:>6}",
            "category", "tp", "fp", "fn", "precision", "recall", "f1"
        );
        let mut macro_sum = (0.0, 0.0, 0.0);
        for (category, counts) in &self.per_category {
            let _ = writeln!(
                out,
                "{:<22} {:>4} {:>4} {:>4} {:>9.3} {:>7.3} {:>6.3}",
                category.as_str(),
                counts.true_positives,
                counts.false_positives,
                counts.false_negatives,
                counts.precision(),
                counts.recall(),
                counts.f1()
            );
            macro_sum.0 += counts.precision();
            macro_sum.1 += counts.recall();
            macro_sum.2 += counts.f1();
        }
        let n = self.per_category.len().max(1) as f64;
        let micro = self.micro();
        let _ = writeln!(
            out,
            "{:<22} {:>4} {:>4} {:>4} {:>9.3} {:>7.3} {:>6.3}",
            "macro",
            "",
            "",
            "",
            macro_sum.0 / n,
            macro_sum.1 / n,
            macro_sum.2 / n
        );
        let _ = writeln!(
            out,
            "{:<22} {:>4} {:>4} {:>4} {:>9.3} {:>7.3} {:>6.3}",
            "micro",
            micro.true_positives,
            micro.false_positives,
            micro.false_negatives,
            micro.precision(),
            micro.recall(),
            micro.f1()
        );
        let _ = writeln!(
            out,
            "\nbenign false-alarm rate: {:.3} ({} of {} benign posts at warning or worse)",
            self.false_alarm_rate(),
            self.benign_false_alarms,
            self.benign
        );
        let _ = writeln!(
            out,
            "severity agreement: {:.3} (positives at least as severe as labelled: {} of {}; exactly: {})",
            self.severity_agreement(),
            self.positives_severity_at_least,
            self.positives,
            self.positives_severity_exact
        );
        let _ = writeln!(
            out,
            "exact category-set match: {:.3}",
            ratio(self.exact_category_sets, self.cases - self.invalid.len())
        );
        let _ = writeln!(out, "\nseverity confusion (rows expected, columns actual):");
        let _ = write!(out, "{:>10}", "");
        for actual in Severity::ALL {
            let _ = write!(out, " {:>8}", actual.as_str());
        }
        let _ = writeln!(out);
        for expected in Severity::ALL {
            let _ = write!(out, "{:>10}", expected.as_str());
            for actual in Severity::ALL {
                let _ = write!(
                    out,
                    " {:>8}",
                    self.confusion
                        .get(&(expected, actual))
                        .copied()
                        .unwrap_or(0)
                );
            }
            let _ = writeln!(out);
        }
        if !self.misses.is_empty() {
            let _ = writeln!(
                out,
                "\nworst misses ({} of {}):",
                worst.min(self.misses.len()),
                self.misses.len()
            );
            for miss in self.misses.iter().take(worst) {
                let names = |categories: &[Category]| {
                    categories
                        .iter()
                        .map(|c| c.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                };
                let _ = writeln!(
                    out,
                    "  {}: expected [{}] {} got [{}] {}; rules: {}",
                    miss.id,
                    names(&miss.expected),
                    miss.expected_severity,
                    names(&miss.actual),
                    miss.actual_severity,
                    if miss.trace.is_empty() {
                        "none".to_string()
                    } else {
                        miss.trace.join(" ")
                    }
                );
            }
        }
        for invalid in &self.invalid {
            let _ = writeln!(out, "invalid: {invalid}");
        }
        out
    }
}

/// Evaluates every labelled case of `jsonl`.
///
/// # Errors
///
/// A line that is not a labelled case (`{"post":…,"expect":…}`), with its line number.
pub fn evaluate(detector: &Detector, jsonl: &str) -> Result<Report, String> {
    let mut report = Report::default();
    for case in labelled_cases(jsonl) {
        let (line, case) = case?;
        report.cases += 1;
        let post = match from_value(&case.post) {
            Ok(post) => post,
            Err(error) => {
                report.invalid.push(format!("line {line}: {error}"));
                continue;
            }
        };
        let verdict = detector.verdict(&post);
        record(&mut report, &case.expect, &verdict);
    }
    report
        .misses
        .sort_by(|a, b| b.weight.cmp(&a.weight).then(a.id.cmp(&b.id)));
    Ok(report)
}

/// The labelled cases of a JSONL text with their line numbers; blank lines skipped.
fn labelled_cases(jsonl: &str) -> impl Iterator<Item = Result<(usize, LabelledCase), String>> {
    jsonl
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| {
            serde_json::from_str(line)
                .map(|case| (index + 1, case))
                .map_err(|error| format!("line {}: not a labelled case: {error}", index + 1))
        })
}

/// The labelled cases of `jsonl` as training examples for the learned model, with
/// the text of every feature key in `names`. Cases whose post is invalid are skipped
/// and counted in the second value.
pub fn training_examples(
    rules: &crate::detect::RuleSet,
    jsonl: &str,
    names: &mut std::collections::HashMap<u64, String>,
) -> Result<(Vec<crate::detect::learned::Example>, usize), String> {
    let mut examples = Vec::new();
    let mut invalid = 0;
    for case in labelled_cases(jsonl) {
        let (_, case) = case?;
        let Ok(post) = from_value(&case.post) else {
            invalid += 1;
            continue;
        };
        let features = rules.text_features(&post, names);
        examples.push(crate::detect::learned::Example::new(
            &features,
            &case.expect.categories,
        ));
    }
    Ok((examples, invalid))
}

fn record(report: &mut Report, expect: &Expectation, verdict: &Verdict) {
    let expected: BTreeSet<Category> = expect.categories.iter().copied().collect();
    let actual: BTreeSet<Category> = verdict.categories.iter().copied().collect();
    for category in Category::ALL {
        if category == Category::ReputationSpike {
            continue;
        }
        let counts = report.per_category.entry(category).or_default();
        match (expected.contains(&category), actual.contains(&category)) {
            (true, true) => counts.true_positives += 1,
            (false, true) => counts.false_positives += 1,
            (true, false) => counts.false_negatives += 1,
            (false, false) => {}
        }
    }
    *report
        .confusion
        .entry((expect.severity, verdict.severity))
        .or_default() += 1;
    let benign = expected.is_empty();
    let severity_ok = if benign {
        report.benign += 1;
        let alarm = verdict.severity >= Severity::Warning;
        report.benign_false_alarms += usize::from(alarm);
        !alarm
    } else {
        report.positives += 1;
        let at_least = verdict.severity >= expect.severity;
        report.positives_severity_at_least += usize::from(at_least);
        report.positives_severity_exact += usize::from(verdict.severity == expect.severity);
        at_least
    };
    report.severity_agreeing += usize::from(severity_ok);
    report.exact_category_sets += usize::from(expected == actual);
    let wrong_categories = expected.symmetric_difference(&actual).count();
    if wrong_categories > 0 || !severity_ok {
        report.misses.push(Miss {
            id: verdict.id.clone(),
            expected: expected.into_iter().collect(),
            expected_severity: expect.severity,
            actual: actual.into_iter().collect(),
            actual_severity: verdict.severity,
            trace: verdict
                .findings
                .iter()
                .map(|finding| format!("{}@{}..{}", finding.rule, finding.start, finding.end))
                .collect(),
            weight: wrong_categories * 2 + usize::from(!severity_ok) * 3,
        });
    }
}
