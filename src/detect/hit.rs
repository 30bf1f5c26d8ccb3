//! `Hit`: what a detector reports before scoring and redaction turn it into a `Finding`.

use crate::verdict::Category;

/// How a hit's span must be shown in any excerpt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sensitivity {
    /// Ordinary words: shown as they are.
    Plain,
    /// A personal identifier (IBAN, card, BSN, phone, e-mail, passport, …): masked,
    /// keeping a short head and tail (`NL91 **** **** **** 4300`).
    Identifier,
    /// A credential: masked, keeping only a recognisable prefix and the last two
    /// characters (`ghp_****…a1`).
    Secret,
}

/// One detector hit, with byte offsets into the ORIGINAL post text.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// Stable rule id, e.g. `pii.iban`, `secret.github_pat`.
    pub rule: &'static str,
    pub category: Category,
    pub start: usize,
    pub end: usize,
    /// 0–100: how sure and how serious.
    pub weight: u8,
    /// An identifier that passed its checksum (IBAN mod-97, Luhn, BSN 11-proof).
    pub checksum_validated: bool,
    pub sensitivity: Sensitivity,
    /// Canonical form of an identifier, to compare with the company's own public
    /// identifiers: e-mail lowercased; phone as digits with country code (`31205550100`);
    /// IBAN uppercase without spaces. `None` for everything else.
    pub canonical: Option<String>,
}
