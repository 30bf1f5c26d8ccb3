//! The verdict shapes of CONTRACT §2–§4: categories, severities, findings.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A category of taxonomy v1 (CONTRACT §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Category {
    #[serde(rename = "leak.secret")]
    LeakSecret,
    #[serde(rename = "leak.pii")]
    LeakPii,
    #[serde(rename = "leak.pricing")]
    LeakPricing,
    #[serde(rename = "leak.confidential")]
    LeakConfidential,
    #[serde(rename = "leak.financial")]
    LeakFinancial,
    #[serde(rename = "leak.security")]
    LeakSecurity,
    #[serde(rename = "reputation.crisis")]
    ReputationCrisis,
    #[serde(rename = "reputation.complaint")]
    ReputationComplaint,
    #[serde(rename = "reputation.abuse")]
    ReputationAbuse,
    #[serde(rename = "reputation.spike")]
    ReputationSpike,
}

impl Category {
    /// Every category, in the order of the taxonomy table.
    pub const ALL: [Category; 10] = [
        Category::LeakSecret,
        Category::LeakPii,
        Category::LeakPricing,
        Category::LeakConfidential,
        Category::LeakFinancial,
        Category::LeakSecurity,
        Category::ReputationCrisis,
        Category::ReputationComplaint,
        Category::ReputationAbuse,
        Category::ReputationSpike,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::LeakSecret => "leak.secret",
            Category::LeakPii => "leak.pii",
            Category::LeakPricing => "leak.pricing",
            Category::LeakConfidential => "leak.confidential",
            Category::LeakFinancial => "leak.financial",
            Category::LeakSecurity => "leak.security",
            Category::ReputationCrisis => "reputation.crisis",
            Category::ReputationComplaint => "reputation.complaint",
            Category::ReputationAbuse => "reputation.abuse",
            Category::ReputationSpike => "reputation.spike",
        }
    }

    pub fn parse(name: &str) -> Option<Category> {
        Category::ALL
            .into_iter()
            .find(|category| category.as_str() == name)
    }

    pub fn is_leak(self) -> bool {
        self.as_str().starts_with("leak.")
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Severity, ordered from `none` to `critical` (CONTRACT §2).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    #[default]
    None,
    Info,
    Warning,
    Error,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::None,
        Severity::Info,
        Severity::Warning,
        Severity::Error,
        Severity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::None => "none",
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(name: &str) -> Option<Severity> {
        Severity::ALL
            .into_iter()
            .find(|severity| severity.as_str() == name)
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who published a post, from the company profile (never from the message).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountRole {
    Corporate,
    Employee,
    Public,
}

impl AccountRole {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountRole::Corporate => "corporate",
            AccountRole::Employee => "employee",
            AccountRole::Public => "public",
        }
    }

    /// Corporate and employee accounts speak for the company.
    pub fn is_insider(self) -> bool {
        !matches!(self, AccountRole::Public)
    }
}

/// One thing a rule found in a post.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The rule id, e.g. `pii.iban`; every verdict can be explained by its rules.
    pub rule: String,
    pub category: Category,
    /// Byte offsets into the original post text.
    pub start: usize,
    pub end: usize,
    /// Safe to show: secrets and personal identifiers are masked.
    pub excerpt: String,
    /// Rule weight 0–100, an input of the scores.
    #[serde(skip)]
    pub weight: u8,
    /// An identifier that passed its checksum (IBAN, payment card, BSN).
    #[serde(skip)]
    pub checksum_validated: bool,
}

/// The verdict on one post (CONTRACT §2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub id: String,
    pub severity: Severity,
    pub leak_score: u8,
    pub reputation_score: u8,
    pub account_role: AccountRole,
    pub categories: Vec<Category>,
    pub findings: Vec<Finding>,
}
