//! The company profile of CONTRACT §5: what postwatch must know about the company it
//! protects. Read as raw YAML, then validated into `Profile` with every problem
//! reported at once. A key the contract does not define (an owner's `routing:` notes, a
//! product's `category`) is ignored and reported as a warning, so a profile that
//! carries more than postwatch reads still protects the company; a misspelt key is
//! named in that warning.

use crate::detect::pii;
use crate::verdict::AccountRole;
use chrono::{DateTime, FixedOffset};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;

#[derive(Debug, Deserialize, Default)]
struct RawProfile {
    company: String,
    #[serde(default)]
    brands: Vec<String>,
    #[serde(default)]
    accounts: RawAccounts,
    #[serde(default)]
    public_identifiers: RawPublicIdentifiers,
    #[serde(default)]
    internal: RawInternal,
    #[serde(default)]
    embargo: Vec<RawEmbargo>,
    #[serde(default)]
    products: Vec<RawProduct>,
    #[serde(default)]
    pricing: RawPricing,
}

#[derive(Debug, Deserialize, Default)]
struct RawAccounts {
    #[serde(default)]
    corporate: Vec<String>,
    #[serde(default)]
    employee: Vec<String>,
}

#[derive(Debug, Deserialize, Default)]
struct RawPublicIdentifiers {
    #[serde(default)]
    emails: Vec<String>,
    #[serde(default)]
    phones: Vec<String>,
    #[serde(default)]
    ibans: Vec<String>,
    #[serde(default)]
    domains: Vec<String>,
}

#[derive(Debug, Deserialize, Default)]
struct RawInternal {
    #[serde(default)]
    domains: Vec<String>,
    #[serde(default)]
    codenames: Vec<String>,
    #[serde(default)]
    markers: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct RawEmbargo {
    terms: Vec<String>,
    until: String,
}

#[derive(Debug, Deserialize)]
struct RawProduct {
    #[serde(default)]
    sku: Option<String>,
    name: String,
    #[serde(default)]
    aliases: Vec<String>,
    list_price: f64,
    #[serde(default = "default_currency")]
    currency: String,
}

fn default_currency() -> String {
    "EUR".to_string()
}

#[derive(Debug, Deserialize)]
struct RawPricing {
    #[serde(default = "default_alert_below_ratio")]
    alert_below_ratio: f64,
}

impl Default for RawPricing {
    fn default() -> Self {
        RawPricing {
            alert_below_ratio: default_alert_below_ratio(),
        }
    }
}

/// A price below half the list price is a pricing leak unless the profile says otherwise.
fn default_alert_below_ratio() -> f64 {
    0.5
}

/// Embargoed terms, secret until `until`.
#[derive(Debug, Clone)]
pub struct Embargo {
    pub terms: Vec<String>,
    pub until: DateTime<FixedOffset>,
}

/// A catalogue product.
#[derive(Debug, Clone)]
pub struct Product {
    pub sku: Option<String>,
    pub name: String,
    pub aliases: Vec<String>,
    pub list_price: f64,
    pub currency: String,
}

/// The company's own published contact data: never a finding.
#[derive(Debug, Clone, Default)]
pub struct PublicIdentifiers {
    /// Lowercased e-mail addresses.
    pub emails: Vec<String>,
    /// Digits with country code, as `Hit::canonical` writes phones.
    pub phones: Vec<String>,
    /// Uppercase, no spaces.
    pub ibans: Vec<String>,
    /// Lowercased domains.
    pub domains: Vec<String>,
}

/// A validated company profile.
#[derive(Debug, Clone)]
pub struct Profile {
    pub company: String,
    pub brands: Vec<String>,
    /// `platform:handle`, lowercased, to account role.
    accounts: HashMap<String, AccountRole>,
    pub public_identifiers: PublicIdentifiers,
    pub internal_domains: Vec<String>,
    pub codenames: Vec<String>,
    pub internal_markers: Vec<String>,
    pub embargoes: Vec<Embargo>,
    pub products: Vec<Product>,
    pub alert_below_ratio: f64,
    /// Keys the contract does not define, ignored (`routing`, `products.0.category`).
    pub ignored_keys: Vec<String>,
}

/// Why a profile did not load; `problems` lists every problem found.
#[derive(Debug, thiserror::Error)]
#[error("company profile {path} is invalid:\n  - {}", problems.join("\n  - "))]
pub struct ProfileError {
    pub path: String,
    pub problems: Vec<String>,
}

impl Profile {
    /// Reads and validates a profile file.
    ///
    /// # Errors
    ///
    /// Every problem at once: unreadable file, YAML syntax (with line),
    /// bad timestamps, prices, ratios and account entries.
    pub fn load(path: &Path) -> Result<Profile, ProfileError> {
        let display = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|error| ProfileError {
            path: display.clone(),
            problems: vec![format!("cannot read it: {error}")],
        })?;
        Profile::parse(&text).map_err(|problems| ProfileError {
            path: display,
            problems,
        })
    }

    /// Parses and validates profile YAML.
    ///
    /// # Errors
    ///
    /// The list of every problem found.
    pub fn parse(yaml: &str) -> Result<Profile, Vec<String>> {
        let mut ignored_keys = Vec::new();
        let raw: RawProfile =
            serde_ignored::deserialize(serde_norway::Deserializer::from_str(yaml), |path| {
                ignored_keys.push(path.to_string())
            })
            .map_err(|error| vec![error.to_string()])?;
        let mut problems = Vec::new();
        let mut accounts = HashMap::new();
        for (role, entries) in [
            (AccountRole::Corporate, &raw.accounts.corporate),
            (AccountRole::Employee, &raw.accounts.employee),
        ] {
            for entry in entries {
                match entry.split_once(':') {
                    Some((platform, handle)) if !platform.is_empty() && !handle.is_empty() => {
                        let key = account_key(platform, handle);
                        if let Some(previous) = accounts.insert(key, role) {
                            if previous != role {
                                problems.push(format!(
                                    "account `{entry}` is listed as both {} and {}",
                                    previous.as_str(),
                                    role.as_str()
                                ));
                            }
                        }
                    }
                    _ => problems.push(format!(
                        "account `{entry}` must be written platform:handle, e.g. x:@acme_care"
                    )),
                }
            }
        }
        let mut embargoes = Vec::new();
        for (index, embargo) in raw.embargo.iter().enumerate() {
            match DateTime::parse_from_rfc3339(&embargo.until) {
                Ok(until) => embargoes.push(Embargo {
                    terms: embargo.terms.clone(),
                    until,
                }),
                Err(error) => problems.push(format!(
                    "embargo[{index}].until `{}` is not an RFC 3339 timestamp: {error}",
                    embargo.until
                )),
            }
            if embargo.terms.iter().all(|term| term.trim().is_empty()) {
                problems.push(format!("embargo[{index}] has no terms"));
            }
        }
        let mut products = Vec::new();
        for (index, product) in raw.products.into_iter().enumerate() {
            if !(product.list_price.is_finite() && product.list_price > 0.0) {
                problems.push(format!(
                    "products[{index}] `{}` has list_price {}, must be above 0",
                    product.name, product.list_price
                ));
            }
            if product.name.trim().is_empty() {
                problems.push(format!("products[{index}] has an empty name"));
            }
            products.push(Product {
                sku: product.sku,
                name: product.name,
                aliases: product.aliases,
                list_price: product.list_price,
                currency: product.currency.to_ascii_uppercase(),
            });
        }
        let ratio = raw.pricing.alert_below_ratio;
        if !(ratio > 0.0 && ratio < 1.0) {
            problems.push(format!(
                "pricing.alert_below_ratio is {ratio}, must be between 0 and 1"
            ));
        }
        if raw.company.trim().is_empty() {
            problems.push("company must not be empty".to_string());
        }
        let identifiers = raw.public_identifiers;
        let canonical = |kind: &str,
                         values: &[String],
                         canonicalise: fn(&str) -> Option<String>,
                         problems: &mut Vec<String>| {
            values
                .iter()
                .filter_map(|value| {
                    let found = canonicalise(value);
                    if found.is_none() {
                        problems.push(format!(
                            "public_identifiers.{kind} entry `{value}` is not a valid {kind}"
                        ));
                    }
                    found
                })
                .collect::<Vec<String>>()
        };
        let public_identifiers = PublicIdentifiers {
            emails: canonical(
                "emails",
                &identifiers.emails,
                pii::canonical_email,
                &mut problems,
            ),
            phones: canonical(
                "phones",
                &identifiers.phones,
                pii::canonical_phone,
                &mut problems,
            ),
            ibans: canonical(
                "ibans",
                &identifiers.ibans,
                pii::canonical_iban,
                &mut problems,
            ),
            domains: identifiers
                .domains
                .iter()
                .map(|d| d.trim().to_lowercase())
                .collect(),
        };
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Profile {
            company: raw.company,
            brands: raw.brands,
            accounts,
            public_identifiers,
            internal_domains: raw
                .internal
                .domains
                .iter()
                .map(|d| d.trim().to_lowercase())
                .collect(),
            codenames: raw.internal.codenames,
            internal_markers: raw.internal.markers,
            embargoes,
            products,
            alert_below_ratio: ratio,
            ignored_keys,
        })
    }

    /// The account role of a handle on a platform, from the profile (CONTRACT §1).
    pub fn account_role(&self, platform: &str, handle: &str) -> AccountRole {
        self.accounts
            .get(&account_key(platform, handle))
            .copied()
            .unwrap_or(AccountRole::Public)
    }

    /// Whether `canonical` (as `Hit::canonical` writes it) is the company's own
    /// published contact data.
    pub fn is_public_identifier(&self, canonical: &str) -> bool {
        let ids = &self.public_identifiers;
        ids.emails.iter().any(|email| email == canonical)
            || ids.phones.iter().any(|phone| phone == canonical)
            || ids.ibans.iter().any(|iban| iban == canonical)
    }
}

fn account_key(platform: &str, handle: &str) -> String {
    let platform = platform.trim().to_lowercase();
    // `twitter` and `x` are one platform.
    let platform = if platform == "twitter" {
        "x".to_string()
    } else {
        platform
    };
    format!("{platform}:{}", handle.trim().to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEV_PROFILE: &str = include_str!("../../shared/eval/profile.yaml");

    #[test]
    fn loads_the_development_profile() {
        let profile = Profile::parse(DEV_PROFILE).unwrap();
        assert_eq!(profile.products.len(), 6);
        assert_eq!(
            profile.account_role("x", "@JdeVries_Zephyr"),
            AccountRole::Employee
        );
        assert_eq!(
            profile.account_role("twitter", "@zephyr_nl"),
            AccountRole::Corporate
        );
        assert_eq!(
            profile.account_role("instagram", "@sannebakker"),
            AccountRole::Public
        );
        assert!(profile.is_public_identifier("31205550100"));
        assert!(profile.is_public_identifier("318000220"));
        assert!(profile.is_public_identifier("NL02ABNA0123456789"));
    }

    #[test]
    fn reports_every_problem_at_once() {
        let yaml = r#"
company: "Acme"
accounts: { corporate: ["nocolon"], employee: [] }
embargo: [{ terms: ["x"], until: "tomorrow" }]
products: [{ name: "A", list_price: -1 }]
pricing: { alert_below_ratio: 2 }
"#;
        let problems = Profile::parse(yaml).unwrap_err();
        assert_eq!(problems.len(), 4, "{problems:#?}");
        assert!(problems.iter().any(|p| p.contains("nocolon")));
        assert!(problems.iter().any(|p| p.contains("tomorrow")));
    }

    #[test]
    fn ignores_unknown_keys_and_names_them() {
        let profile = Profile::parse(
            "company: A\nbrandz: []\nrouting: { leak.secret: security }\nproducts: [{ name: P, list_price: 5, category: x }]\n",
        )
        .unwrap();
        assert_eq!(
            profile.ignored_keys,
            ["brandz", "routing", "products.0.category"]
        );
        assert!(profile.brands.is_empty());
    }
}
