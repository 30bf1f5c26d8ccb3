//! Personal data in a post: e-mail addresses, phone numbers, IBANs, payment cards,
//! Dutch BSNs, passport/ID numbers, and birth dates or home addresses next to a name.
//!
//! Everything here works on the ORIGINAL post text, so every [`Hit`] carries byte
//! offsets a reader can slice the post with. Identifiers that have a checksum (IBAN
//! mod-97, card Luhn, BSN 11-proof) are only reported when the checksum holds; a
//! number that fails it is not personal data, it is a typo or a look-alike.
//!
//! Precision matters more than recall for the unvalidated kinds: a post full of order,
//! tracking and serial numbers must not light up. Hence the digit boundaries, the
//! Dutch number plan for phones and the context words for BSN, passport, birth date
//! and address.

use std::sync::LazyLock;

use regex::Regex;

use crate::detect::hit::{Hit, Sensitivity};
use crate::verdict::Category;

/// Weight of an identifier that passed its checksum (IBAN, card, BSN).
const WEIGHT_VALIDATED: u8 = 90;
/// Weight of an e-mail address or phone number.
const WEIGHT_CONTACT: u8 = 70;
/// Weight of a passport or ID-card number.
const WEIGHT_PASSPORT: u8 = 75;
/// Weight of a birth date or home address next to a name.
const WEIGHT_CONTEXTUAL: u8 = 60;

/// How far (in bytes) a context word may be from the number it qualifies.
const CONTEXT_RADIUS: usize = 40;
/// How far (in bytes) before a document number its word may stand: a question can
/// name the person between ("het paspoortnummer van au pair Liza Dela Cruz? is …").
const DOCUMENT_CONTEXT_RADIUS: usize = 64;
/// How far (in bytes) a person's name may be from a birth date or address.
const NAME_RADIUS: usize = 80;
/// How many bytes may separate a person's name from their street or postcode
/// (`Lisa Verhoeven, Kastanjelaan 12, 5611 AB …`).
const NAME_GAP: usize = 40;

/// Finds the personal data in `text` and appends one [`Hit`] per item to `out`.
///
/// Offsets are byte offsets into `text`. The hits of this call never overlap each
/// other: where two candidates overlap, the checksum-validated one wins, then the
/// longer one (an IBAN beats the phone-like digits inside it, a card beats a BSN).
/// Hits already in `out` are left alone. The appended hits are sorted by start.
pub fn find_pii(text: &str, out: &mut Vec<Hit>) {
    // Counted once for the three detectors that need at least so many digits.
    let digits = ascii_digit_count(text);
    let mut candidates = Vec::new();
    find_ibans(text, &mut candidates);
    if digits >= CARD_MIN_DIGITS {
        find_cards(text, &mut candidates);
    }
    if digits >= BSN_MIN_DIGITS {
        find_bsns(text, &mut candidates);
    }
    if digits >= 11 {
        find_belgian_numbers(text, &mut candidates);
    }
    find_emails(text, &mut candidates);
    if digits >= PHONE_MIN_DIGITS {
        find_phones(text, &mut candidates);
    }
    find_passports(text, &mut candidates);
    find_birthdates(text, &mut candidates);
    find_addresses(text, &mut candidates);
    out.extend(without_overlaps(candidates));
}

/// The canonical form of an e-mail address (plain or written as `jan [at] example
/// [punt] nl`): the lowercased plain address, or `None` if `text` is not exactly one
/// address. Use it to canonicalise the company's own public e-mail addresses the same
/// way [`find_pii`] does.
pub fn canonical_email(text: &str) -> Option<String> {
    let text = text.trim();
    let found = EMAIL.captures(text)?;
    let whole = found.get(0)?;
    if whole.start() != 0 || whole.end() != text.len() {
        return None;
    }
    email_canonical(&found)
}

/// The canonical form of a phone number: its digits with the country code, a Dutch
/// national number `0…` becoming `31…` (`020-555 0100` → `31205550100`), or `None`
/// if `text` is not a plausible phone number.
pub fn canonical_phone(text: &str) -> Option<String> {
    phone_canonical(text.trim())
}

/// The canonical form of an IBAN: uppercase without spaces, or `None` if `text` is
/// not an IBAN of a registry country with a valid mod-97 checksum.
pub fn canonical_iban(text: &str) -> Option<String> {
    let compact: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let expected = iban_length(compact.get(..2)?)?;
    (compact.len() == expected && iban_checksum_ok(&compact)).then_some(compact)
}

// ---------------------------------------------------------------------------
// hits and overlaps
// ---------------------------------------------------------------------------

fn pii_hit(
    rule: &'static str,
    start: usize,
    end: usize,
    weight: u8,
    checksum_validated: bool,
    canonical: Option<String>,
) -> Hit {
    Hit {
        rule,
        category: Category::LeakPii,
        start,
        end,
        weight,
        checksum_validated,
        sensitivity: Sensitivity::Identifier,
        canonical,
    }
}

/// Keeps the best of every group of overlapping candidates: validated first, then
/// longer, then heavier, then earlier. Returns them sorted by start.
fn without_overlaps(mut candidates: Vec<Hit>) -> Vec<Hit> {
    candidates.sort_by(|a, b| {
        b.checksum_validated
            .cmp(&a.checksum_validated)
            .then((b.end - b.start).cmp(&(a.end - a.start)))
            .then(b.weight.cmp(&a.weight))
            .then(a.start.cmp(&b.start))
    });
    let mut kept: Vec<Hit> = Vec::with_capacity(candidates.len());
    for candidate in candidates {
        let overlaps = kept
            .iter()
            .any(|k| candidate.start < k.end && k.start < candidate.end);
        if !overlaps {
            kept.push(candidate);
        }
    }
    kept.sort_by_key(|hit| hit.start);
    kept
}

// ---------------------------------------------------------------------------
// text helpers
// ---------------------------------------------------------------------------

fn char_before(text: &str, at: usize) -> Option<char> {
    text[..at].chars().next_back()
}

fn char_after(text: &str, at: usize) -> Option<char> {
    text[at..].chars().next()
}

/// The text up to `radius` bytes before `at`, cut at a char boundary.
fn before(text: &str, at: usize, radius: usize) -> &str {
    let mut from = at.saturating_sub(radius);
    while !text.is_char_boundary(from) {
        from -= 1;
    }
    &text[from..at]
}

/// The text up to `radius` bytes after `at`, cut at a char boundary.
fn after(text: &str, at: usize, radius: usize) -> &str {
    let mut to = (at + radius).min(text.len());
    while !text.is_char_boundary(to) {
        to += 1;
    }
    &text[at..to]
}

/// Whether a number may start at `start`: not glued to a word, an amount or a longer
/// number (`ZE-2026-…`, `€1.049`, `#123`, `x0612…`).
fn number_starts_cleanly(text: &str, start: usize) -> bool {
    let Some(previous) = char_before(text, start) else {
        return true;
    };
    if previous.is_alphanumeric() || "_@#€$£¥%&\\/".contains(previous) {
        return false;
    }
    if "-.,+".contains(previous) {
        let glued =
            char_before(text, start - previous.len_utf8()).is_some_and(char::is_alphanumeric);
        return !glued;
    }
    true
}

/// Whether a number may end at `end`: not continued by a word, an amount or more
/// digits (`…5678-12`, `…5678.5`, `…5678kg`).
fn number_ends_cleanly(text: &str, end: usize) -> bool {
    let Some(next) = char_after(text, end) else {
        return true;
    };
    if next.is_alphanumeric() || "_@%€$".contains(next) {
        return false;
    }
    if "-./,+".contains(next) {
        let continued = char_after(text, end + next.len_utf8()).is_some_and(|c| c.is_ascii_digit());
        return !continued;
    }
    true
}

/// Whether the text right before `at` looks like the start of an IBAN (`NL02 ABNA `):
/// the digits that follow are an account number, not a phone, card or BSN.
fn follows_iban_prefix(text: &str, at: usize) -> bool {
    static IBAN_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\b[A-Z]{2}\d{2}(?:[ \u{A0}]?[A-Z0-9]{4}){0,7}[ \u{A0}]?$")
            .expect("valid IBAN prefix pattern")
    });
    IBAN_PREFIX.is_match(before(text, at, 44))
}

/// A run of digit groups (`5203-3035-9909-0075`, `06 15 49 14 54`) with the byte
/// range of each group and whether the separator before it was a plain space.
struct Groups {
    ranges: Vec<(usize, usize)>,
    spaced_before: Vec<bool>,
}

impl Groups {
    /// Splits `text[start..end]` into maximal runs of the chars for which `in_group`
    /// holds; everything between two runs is their separator.
    fn split(text: &str, start: usize, end: usize, in_group: impl Fn(char) -> bool) -> Groups {
        let mut ranges = Vec::new();
        let mut spaced_before = Vec::new();
        let mut current: Option<usize> = None;
        let mut separator_is_space = true;
        for (offset, c) in text[start..end].char_indices() {
            let at = start + offset;
            if in_group(c) {
                if current.is_none() {
                    current = Some(at);
                    spaced_before.push(separator_is_space);
                }
            } else {
                if let Some(group_start) = current.take() {
                    ranges.push((group_start, at));
                    separator_is_space = true;
                }
                separator_is_space &= matches!(c, ' ' | '\u{A0}' | '\n' | '\r');
            }
        }
        if let Some(group_start) = current {
            ranges.push((group_start, end));
        }
        Groups {
            ranges,
            spaced_before,
        }
    }

    /// Tries every span of whole groups, leftmost first and longest first; a span
    /// that starts or ends inside the run must be cut at a plain space. `accept`
    /// returns the hit for a span, or `None`. Accepted spans do not overlap.
    fn scan(&self, mut accept: impl FnMut(usize, usize) -> Option<Hit>, out: &mut Vec<Hit>) {
        let count = self.ranges.len();
        let mut first = 0;
        while first < count {
            let mut next_first = first + 1;
            if first == 0 || self.spaced_before[first] {
                for last in (first..count).rev() {
                    if last + 1 < count && !self.spaced_before[last + 1] {
                        continue;
                    }
                    if let Some(hit) = accept(self.ranges[first].0, self.ranges[last].1) {
                        out.push(hit);
                        next_first = last + 1;
                        break;
                    }
                }
            }
            first = next_first;
        }
    }
}

fn digits_of(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

/// How many ASCII digits `text` holds. Phones, cards and BSNs are validated on their
/// ASCII digits ([`digits_of`]), so a post (or a digit run) with fewer digits than the
/// shortest valid number cannot hold one: their regex scans are skipped then.
fn ascii_digit_count(text: &str) -> usize {
    // Summed in `u32` over whole chunks (no early exit), which compiles to a few vector
    // instructions per 16 bytes; a chunk is too short to overflow the sum.
    text.as_bytes()
        .chunks(u32::MAX as usize)
        .map(|chunk| {
            chunk
                .iter()
                .fold(0u32, |count, byte| count + u32::from(byte.is_ascii_digit()))
                as usize
        })
        .sum()
}

// ---------------------------------------------------------------------------
// e-mail
// ---------------------------------------------------------------------------

/// A plain address, or one written with `[at]`/`(at)`/`{at}` and `[dot]`/`(punt)`, or
/// with the Dutch word ` apenstaartje ` and then bare ` punt ` / ` dot ` words. A bare
/// English ` at ` is not accepted: too many false alarms in prose.
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)
        (?P<local>[a-z0-9][a-z0-9._%+\-]*)
        (?P<at>@|\s*[\[({<]\s*(?:at|@|apenstaartje)\s*[\])}>]\s*|\s+apenstaartje\s+)
        (?P<domain>[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?
            (?:(?:\.|\s*[\[({<]\s*(?:dot|punt|\.)\s*[\])}>]\s*|\s+(?:dot|punt)\s+)[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)+)",
    )
    .expect("valid e-mail pattern")
});

static EMAIL_DOT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\.|\s*[\[({<]\s*(?:dot|punt|\.)\s*[\])}>]\s*|\s+(?:dot|punt)\s+")
        .expect("valid dot pattern")
});

fn email_canonical(found: &regex::Captures<'_>) -> Option<String> {
    let local = found.name("local")?.as_str();
    let labels: Vec<&str> = EMAIL_DOT.split(found.name("domain")?.as_str()).collect();
    let top_level = labels.last()?;
    let plausible_top_level =
        (2..=24).contains(&top_level.len()) && top_level.chars().all(|c| c.is_ascii_alphabetic());
    let private = PRIVATE_TOP_LEVEL
        .iter()
        .any(|reserved| top_level.eq_ignore_ascii_case(reserved))
        || is_reserved_example_domain(&labels);
    if !plausible_top_level || private || local.ends_with('.') {
        return None;
    }
    Some(format!("{local}@{}", labels.join(".")).to_ascii_lowercase())
}

/// `example.com`, `example.net` and `example.org` (and their subdomains), reserved for
/// documentation by RFC 2606: `test.user@example.com` is nobody's mailbox.
fn is_reserved_example_domain(labels: &[&str]) -> bool {
    let [.., second, top] = labels else {
        return false;
    };
    second.eq_ignore_ascii_case("example")
        && ["com", "net", "org"]
            .iter()
            .any(|reserved| top.eq_ignore_ascii_case(reserved))
}

/// Top-level domains reserved for private networks and examples: `deploy@build01.local`
/// is an ssh target, not a person's mailbox.
const PRIVATE_TOP_LEVEL: &[&str] = &[
    "local",
    "localhost",
    "internal",
    "intranet",
    "intra",
    "lan",
    "corp",
    "home",
    "test",
    "example",
    "invalid",
    "localdomain",
];

/// Whether the address at `start` is really the `user:password@host` part of a URL
/// (`postgres://app:pw@db.example.com`), or glued to a longer token.
fn inside_url_or_token(text: &str, start: usize) -> bool {
    let token_start = text[..start]
        .rfind(char::is_whitespace)
        .map_or(0, |at| at + 1);
    let glued = char_before(text, start)
        .is_some_and(|c| c.is_alphanumeric() || "._%+-~!#$&/\\|^`?".contains(c));
    glued || text[token_start..start].contains("://")
}

fn find_emails(text: &str, out: &mut Vec<Hit>) {
    // [`EMAIL`] needs an `@`, an opening bracket (`[at]`, `(at)`, `{at}`, `<at>`) or the
    // Dutch word for `@` written out (`petra.dekker apenstaartje kpnmail punt nl`).
    // The bytes are all read (no early exit), which compiles to vector instructions.
    let has_sign = text.as_bytes().iter().fold(false, |found, byte| {
        found | matches!(byte, b'@' | b'[' | b'(' | b'{' | b'<')
    });
    if !has_sign
        && !["apenstaartje", "Apenstaartje", "APENSTAARTJE"]
            .iter()
            .any(|word| text.contains(word))
    {
        return;
    }
    for found in EMAIL.captures_iter(text) {
        let whole = found.get(0).expect("group 0 always matches");
        if inside_url_or_token(text, whole.start()) {
            continue;
        }
        if let Some(canonical) = email_canonical(&found) {
            out.push(pii_hit(
                "pii.email",
                whole.start(),
                whole.end(),
                WEIGHT_CONTACT,
                false,
                Some(canonical),
            ));
        }
    }
}

// ---------------------------------------------------------------------------
// phone
// ---------------------------------------------------------------------------

/// Digit groups as phone numbers are written: `+31(0)6-…`, `(06) 5943 6103`,
/// `053 876 11 15`, `0031 6 …`. Candidates only; [`phone_canonical`] decides.
static PHONE_RUN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[+(]*\d[\d()]*(?:(?:[ \u{A0}]?[\-./][ \u{A0}]?|[ \u{A0}])[+(]*\d[\d()]*)*")
        .expect("valid phone pattern")
});

/// Opening hours and times (`08.00-18.00`, `09:30`) that would otherwise read as
/// `0800`/`0900` service numbers.
static TIME_LIKE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\(?[0-2]?\d[.:][0-5]\d\b").expect("valid time pattern"));

/// Ten digits in pairs after the trunk zero and area digit (`06.43.32.78.27`,
/// `06-43-32-78-27`): a number written out in pairs, not a time.
static PAIRED_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^0[1-9](?:[.\-][0-9]{2}){4}$").expect("valid paired-number pattern")
});

/// Whether a Dutch national significant number (without the trunk `0`) fits the
/// number plan: mobile `6` + 8, geographic and nomadic numbers of 9 digits, and the
/// `800`/`900`/`906`/`909` service numbers with 4–7 more digits.
fn dutch_number_ok(national: &str) -> bool {
    let length = national.len();
    let bytes = national.as_bytes();
    match bytes.first() {
        Some(b'6') => length == 9,
        Some(b'1'..=b'5' | b'7') => length == 9,
        Some(b'8') => {
            if national.starts_with("800") {
                (7..=10).contains(&length)
            } else {
                matches!(bytes.get(1), Some(b'4' | b'5' | b'7' | b'8')) && length == 9
            }
        }
        Some(b'9') => {
            ["900", "906", "909"]
                .iter()
                .any(|p| national.starts_with(p))
                && (7..=10).contains(&length)
        }
        _ => false,
    }
}

/// The Dutch service number prefixes that [`dutch_number_ok`] accepts: free (`0800`)
/// and paid (`0900`, `0906`, `0909`) lines.
const SERVICE_PREFIXES: [&str; 4] = ["800", "900", "906", "909"];

/// Whether a phone finding's canonical form (`31800…`) is a Dutch service number: the
/// line of an organisation, never a person's number, so no personal data. The finding
/// is still made, so the company's own service number can name the company.
pub fn is_service_number(canonical: &str) -> bool {
    canonical
        .strip_prefix("31")
        .is_some_and(|national| SERVICE_PREFIXES.iter().any(|p| national.starts_with(p)))
}

/// `digits` after the international prefix (`+`, `00`): Dutch numbers are checked
/// against the number plan, others need 8–15 digits (E.164).
fn international_canonical(digits: &str) -> Option<String> {
    if let Some(national) = digits.strip_prefix("31") {
        let national = national.strip_prefix('0').unwrap_or(national);
        return dutch_number_ok(national).then(|| format!("31{national}"));
    }
    let plausible = (8..=15).contains(&digits.len()) && !digits.starts_with('0');
    plausible.then(|| digits.to_owned())
}

fn phone_canonical(raw: &str) -> Option<String> {
    let unwrapped = raw.trim_start_matches('(');
    let international = unwrapped.starts_with('+');
    if raw.matches('+').count() > usize::from(international) {
        return None;
    }
    if international {
        // `+44 (0)20 …`: the `(0)` is the trunk prefix, never dialled from abroad.
        return international_canonical(&digits_of(&raw.replace("(0)", "")));
    }
    let digits = digits_of(raw);
    if let Some(after_prefix) = digits.strip_prefix("00") {
        let grouped = raw.contains([' ', '\u{A0}', '-', '.', '/']);
        if after_prefix.starts_with("31") || grouped {
            return international_canonical(after_prefix);
        }
        return None;
    }
    let national = digits.strip_prefix('0')?;
    if dutch_number_ok(national) {
        return Some(format!("31{national}"));
    }
    // Not Dutch: a Belgian number written in groups (`0486 27 76 83`, `02 588 41 00`,
    // `09/234.56.78`). Ungrouped, nine or ten digits from `0` are as likely an
    // account, order or customer number.
    let grouped = raw.contains([' ', '\u{A0}', '-', '.', '/']);
    let bsn_shaped = raw.len() == 11 && raw.as_bytes()[4] == b'.' && raw.as_bytes()[7] == b'.';
    (grouped && !bsn_shaped && belgian_number_ok(national)).then(|| format!("32{national}"))
}

/// Whether a Belgian national significant number (without the trunk `0`) fits the
/// Belgian number plan: mobile `45`–`49` + 7 digits (these also fit the Dutch plan,
/// as `04xx` area numbers), geographic numbers of 8 digits
/// (`2 588 41 00`, `9 234 56 78`, `11 22 33 44`), and the `800`/`90x` service numbers
/// with 5 more digits. Only numbers the Dutch plan rejects ever get here.
fn belgian_number_ok(national: &str) -> bool {
    let bytes = national.as_bytes();
    match (bytes.first(), bytes.get(1)) {
        (Some(b'4'), Some(b'5'..=b'9')) => national.len() == 9,
        (Some(b'1'..=b'9'), _) => national.len() == 8,
        _ => false,
    }
}

/// Words that say a number is to be called or texted (`ring 07700 900431`).
static CALL_CONTEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:ring|call|phone|text|txt|whatsapp|mobile|mob|tel|bel|bellen|sms|app|contact|reach)\b",
    )
    .expect("valid call context pattern")
});

/// A British mobile in national notation (`07700 900431`: `07`, not `070`, 11
/// digits). It never fits the Dutch plan (Dutch `07…` numbers have 10 digits), and a
/// bare 11-digit run may be an order number, so it is a phone only right after a
/// calling word. Canonical form: `44` and the number without its trunk `0`.
fn uk_mobile_in_context(text: &str, start: usize, raw: &str) -> Option<String> {
    let digits = digits_of(raw);
    let plausible = raw.starts_with('0')
        && digits.len() == 11
        && digits.starts_with("07")
        && !digits.starts_with("070");
    (plausible && CALL_CONTEXT.is_match(before(text, start, CONTEXT_RADIUS)))
        .then(|| format!("44{}", &digits[1..]))
}

/// Shrinks `start..end` so it does not begin or end with an unmatched parenthesis.
fn balance_parentheses(text: &str, mut start: usize, mut end: usize) -> (usize, usize) {
    let span = &text[start..end];
    let opening = span.matches('(').count();
    let closing = span.matches(')').count();
    if closing > opening && span.ends_with(')') {
        end -= 1;
    } else if opening > closing && span.starts_with('(') {
        start += 1;
    }
    (start, end)
}

/// The fewest ASCII digits of a phone: [`phone_canonical`] wants a Dutch national
/// number of `0` + 8 or more (the number plan) or 8 or more after the `+` or `00`
/// (E.164); [`uk_mobile_in_context`] wants 11.
const PHONE_MIN_DIGITS: usize = 8;

fn find_phones(text: &str, out: &mut Vec<Hit>) {
    for run in PHONE_RUN.find_iter(text) {
        // Every span tried lies inside the run: too few digits in it, no phone.
        if ascii_digit_count(run.as_str()) < PHONE_MIN_DIGITS {
            continue;
        }
        let groups = Groups::split(text, run.start(), run.end(), |c| {
            c.is_ascii_digit() || c == '+' || c == '(' || c == ')'
        });
        // Four groups of four digits are written as a card number (a mistyped one
        // fails Luhn); no phone is carved out of its last groups.
        if groups.ranges.len() == 4
            && groups.ranges.iter().all(|&(start, end)| {
                end - start == 4 && text[start..end].bytes().all(|b| b.is_ascii_digit())
            })
        {
            continue;
        }
        groups.scan(
            |start, end| {
                let (start, end) = balance_parentheses(text, start, end);
                let raw = &text[start..end];
                let plausible_start = raw.starts_with(['+', '(', '0']);
                if !plausible_start
                    || (TIME_LIKE.is_match(raw) && !PAIRED_NUMBER.is_match(raw))
                    || !number_starts_cleanly(text, start)
                    || !number_ends_cleanly(text, end)
                    || follows_iban_prefix(text, start)
                {
                    return None;
                }
                let canonical =
                    phone_canonical(raw).or_else(|| uk_mobile_in_context(text, start, raw))?;
                Some(pii_hit(
                    "pii.phone",
                    start,
                    end,
                    WEIGHT_CONTACT,
                    false,
                    Some(canonical),
                ))
            },
            out,
        );
    }
}

// ---------------------------------------------------------------------------
// IBAN
// ---------------------------------------------------------------------------

/// IBAN length per country, from the SWIFT IBAN registry.
const IBAN_LENGTHS: &[(&str, usize)] = &[
    ("AD", 24),
    ("AE", 23),
    ("AL", 28),
    ("AT", 20),
    ("AZ", 28),
    ("BA", 20),
    ("BE", 16),
    ("BG", 22),
    ("BH", 22),
    ("BI", 27),
    ("BR", 29),
    ("BY", 28),
    ("CH", 21),
    ("CR", 22),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DJ", 27),
    ("DK", 18),
    ("DO", 28),
    ("EE", 20),
    ("EG", 29),
    ("ES", 24),
    ("FI", 18),
    ("FK", 18),
    ("FO", 18),
    ("FR", 27),
    ("GB", 22),
    ("GE", 22),
    ("GI", 23),
    ("GL", 18),
    ("GR", 27),
    ("GT", 28),
    ("HN", 28),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IL", 23),
    ("IQ", 23),
    ("IS", 26),
    ("IT", 27),
    ("JO", 30),
    ("KW", 30),
    ("KZ", 20),
    ("LB", 28),
    ("LC", 32),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("LY", 25),
    ("MC", 27),
    ("MD", 24),
    ("ME", 22),
    ("MK", 19),
    ("MN", 20),
    ("MR", 27),
    ("MT", 31),
    ("MU", 30),
    ("NI", 28),
    ("NL", 18),
    ("NO", 15),
    ("OM", 23),
    ("PK", 24),
    ("PL", 28),
    ("PS", 29),
    ("PT", 25),
    ("QA", 29),
    ("RO", 24),
    ("RS", 22),
    ("RU", 33),
    ("SA", 24),
    ("SC", 31),
    ("SD", 18),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("SO", 23),
    ("ST", 25),
    ("SV", 28),
    ("TL", 23),
    ("TN", 24),
    ("TR", 26),
    ("UA", 29),
    ("VA", 22),
    ("VG", 24),
    ("XK", 20),
    ("YE", 30),
];

fn iban_length(country: &str) -> Option<usize> {
    IBAN_LENGTHS
        .iter()
        .find(|(code, _)| code.eq_ignore_ascii_case(country))
        .map(|&(_, length)| length)
}

/// ISO 13616 mod-97 over an uppercase compact IBAN.
fn iban_checksum_ok(compact: &str) -> bool {
    if compact.len() < 5 || !compact.is_ascii() {
        return false;
    }
    let (head, tail) = compact.split_at(4);
    let mut remainder: u32 = 0;
    for c in tail.chars().chain(head.chars()) {
        let Some(value) = c.to_digit(36) else {
            return false;
        };
        remainder = if value < 10 {
            (remainder * 10 + value) % 97
        } else {
            (remainder * 100 + value) % 97
        };
    }
    remainder == 1
}

/// The start of an IBAN: country code and check digits.
static IBAN_START: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)(?-u:\b)[A-Z]{2}\d{2}").expect("valid IBAN pattern"));

/// Reads an IBAN of `length` characters from `start`, compact or grouped with single
/// spaces; returns its end and compact uppercase form.
fn read_iban(text: &str, start: usize, length: usize) -> Option<(usize, String)> {
    let mut compact = String::with_capacity(length);
    let mut chars = text[start..].char_indices().peekable();
    let mut end = start;
    while let Some((offset, c)) = chars.next() {
        if c.is_ascii_alphanumeric() {
            compact.push(c.to_ascii_uppercase());
            end = start + offset + 1;
            if compact.len() == length {
                break;
            }
        } else if matches!(c, ' ' | '\u{A0}' | '-' | '.')
            && compact.len() >= 4
            && chars.peek().is_some_and(|(_, n)| n.is_ascii_alphanumeric())
        {
            continue;
        } else {
            return None;
        }
    }
    let complete = compact.len() == length;
    let glued = char_after(text, end).is_some_and(|c| c.is_alphanumeric() || c == '_');
    (complete && !glued).then_some((end, compact))
}

/// Whether `text` has two ASCII letters followed by two ASCII digits somewhere. Every
/// IBAN hit starts so: its country code must be in [`IBAN_LENGTHS`] (ASCII letters)
/// and [`read_iban`] accepts ASCII alphanumerics only. Without it, [`IBAN_START`]
/// need not run.
fn has_iban_start(text: &str) -> bool {
    // Every window is read, without branches (`&`, `|`, no early exit), which
    // compiles to vector instructions.
    text.as_bytes().windows(4).fold(false, |found, w| {
        found
            | (w[0].is_ascii_alphabetic()
                & w[1].is_ascii_alphabetic()
                & w[2].is_ascii_digit()
                & w[3].is_ascii_digit())
    })
}

fn find_ibans(text: &str, out: &mut Vec<Hit>) {
    if !has_iban_start(text) {
        return;
    }
    for start_match in IBAN_START.find_iter(text) {
        let start = start_match.start();
        // `get`: a case-folded match (`K`, `ſ`) may not end a char at `start + 2`.
        let Some(length) = text.get(start..start + 2).and_then(iban_length) else {
            continue;
        };
        let Some((end, compact)) = read_iban(text, start, length) else {
            continue;
        };
        if iban_checksum_ok(&compact) {
            out.push(pii_hit(
                "pii.iban",
                start,
                end,
                WEIGHT_VALIDATED,
                true,
                Some(compact),
            ));
        }
    }
}

// ---------------------------------------------------------------------------
// payment card
// ---------------------------------------------------------------------------

/// Digit groups split by a space, a hyphen or one line break (a card number pasted
/// over two or three lines: `5351 0119⏎1676 3072`).
static DIGIT_RUN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\d+(?:(?:[ \u{A0}\-]|[ \u{A0}]*\r?\n[ \u{A0}]*)\d+)*")
        .expect("valid digit-run pattern")
});

fn luhn_ok(digits: &str) -> bool {
    let mut total = 0;
    for (position, c) in digits.bytes().rev().enumerate() {
        let mut value = u32::from(c - b'0');
        if position % 2 == 1 {
            value *= 2;
            if value > 9 {
                value -= 9;
            }
        }
        total += value;
    }
    !digits.is_empty() && total % 10 == 0
}

/// Whether `digits` has the length and prefix of a card of a known issuer. Visa is
/// accepted with 16 and 19 digits only: 13-digit Visa cards are long gone, and 13
/// digits starting with 4 are mostly EAN-13 barcodes.
fn card_issuer_ok(digits: &str) -> bool {
    let length = digits.len();
    let prefix = |n: usize| {
        digits
            .get(..n)
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(0)
    };
    let visa = digits.starts_with('4') && (length == 16 || length == 19);
    let mastercard =
        ((51..=55).contains(&prefix(2)) || (2221..=2720).contains(&prefix(4))) && length == 16;
    let amex = matches!(prefix(2), 34 | 37) && length == 15;
    let discover = (digits.starts_with("6011")
        || (644..=649).contains(&prefix(3))
        || digits.starts_with("65")
        || (622_126..=622_925).contains(&prefix(6)))
        && (16..=19).contains(&length);
    // Maestro's named prefixes, and the wider 56–59, 63 and 67 ranges that Maestro
    // debit cards are issued in (as card-type libraries list them).
    let maestro = ([
        "5018", "5020", "5038", "5893", "6304", "6703", "6759", "6761", "6762", "6763",
    ]
    .iter()
    .any(|p| digits.starts_with(p))
        || matches!(prefix(2), 56..=59 | 63 | 67))
        && (13..=19).contains(&length);
    let jcb = (3528..=3589).contains(&prefix(4)) && (16..=19).contains(&length);
    let unionpay = digits.starts_with("62") && (16..=19).contains(&length);
    let diners = ((300..=305).contains(&prefix(3))
        || digits.starts_with("36")
        || digits.starts_with("38")
        || digits.starts_with("39"))
        && (14..=19).contains(&length);
    visa || mastercard || amex || discover || maestro || jcb || unionpay || diners
}

/// The fewest digits of a card number ([`card_issuer_ok`] wants 13 to 19).
const CARD_MIN_DIGITS: usize = 13;

fn find_cards(text: &str, out: &mut Vec<Hit>) {
    for run in DIGIT_RUN.find_iter(text) {
        // Every span tried lies inside the run: too few digits in it, no card.
        if ascii_digit_count(run.as_str()) < CARD_MIN_DIGITS {
            continue;
        }
        let groups = Groups::split(text, run.start(), run.end(), |c| c.is_ascii_digit());
        groups.scan(
            |start, end| {
                let digits = digits_of(&text[start..end]);
                let valid = (13..=19).contains(&digits.len())
                    && number_starts_cleanly(text, start)
                    && number_ends_cleanly(text, end)
                    && !follows_iban_prefix(text, start)
                    && card_issuer_ok(&digits)
                    && luhn_ok(&digits);
                valid.then(|| pii_hit("pii.card", start, end, WEIGHT_VALIDATED, true, Some(digits)))
            },
            out,
        );
    }
}

// ---------------------------------------------------------------------------
// BSN
// ---------------------------------------------------------------------------

/// BSN notations: plain 9 (or 8) digits, `1234.56.782`, `123.456.782`, `123 456 782`,
/// and every digit spaced out (`1 6 0 7 0 1 1 3 2`), which hides it from a plain scan.
static BSN_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\d{4}\.\d{2}\.\d{3}|\d{3}[. ]\d{3}[. ]\d{3}|\d{4} \d{2} \d{3}|\d{8,9}|\d(?: \d){7,8}",
    )
    .expect("valid BSN pattern")
});

static BSN_CONTEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:bsn|burger[\s\-]?service[\s\-]?nummer|sofi[\s\-]?(?:nummer|nr)|citizen[\s\-]service[\s\-]number|social[\s\-]security(?:[\s\-]number)?|persoonsnummer|tax[\s\-](?:number|id)|fiscaal[\s\-]nummer|belasting[\s\-]?nummer)",
    )
    .expect("valid BSN context pattern")
});

/// How far a BSN word may sit from the number when it is not right next to it: the
/// same or the adjacent sentence (`vraagt om mijn BSN. Moet dat? Ingevuld: …`).
const BSN_SENTENCE_RADIUS: usize = 110;

/// Words that label other kinds of numbers (`order`, `pakket`, `polis`, …).
const OTHER_NUMBER_WORDS: &str = "order|bestel|factuur|invoice|klant|customer|ticket|track|zending|pakket|parcel|kvk|ean|artikel|article|referentie|reference|ref|zaak|dossier|polis|policy|rekening|account|telefoon|phone|tel|mobiel|postcode";

/// A label of another number as the last word before one (`ordernummer 123…`,
/// `klant: 4411…`, `dossier nr. …`); a label word further back ("voor wie het dossier
/// zoekt: …") labels nothing.
static OTHER_NUMBER_RIGHT_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)\b(?:{OTHER_NUMBER_WORDS})\w*\s*(?:(?:nr|no|nummer|number|id|code)\.?\s*)?[:#=]?\s*$"
    ))
    .expect("valid other-number label pattern")
});

/// A label of another kind of number with its number or as a `…nummer` compound
/// (`pakketnummer`, `order #12`, `klant: 4411`): between a BSN word and a number it
/// says the number is that other kind. A plain word ("een pakket uit China") does not.
static OTHER_NUMBER_LABELLED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)\b(?:{OTHER_NUMBER_WORDS})(?:\w*(?:nummer|number|nr|code|id)\b|\w*\s*(?:nr\.?|no\.?|#|:)?\s*\d)"
    ))
    .expect("valid labelled-number pattern")
});

/// A label of another number that the BSN was given in place of ("zijn BSN in de
/// chat gezet ipv klantnummer: …", "leest zijn BSN voor als klantnummer"): it names
/// what the number should have been, not what it is.
static SUBSTITUTED_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)\b(?:ipv|i\.p\.v\.?|in\s+plaats\s+van|instead\s+of|als|as)\s+(?:(?:zijn|haar|mijn|het|de|een|hun|the|his|her|my|their|a|an)\s+)?(?:{OTHER_NUMBER_WORDS})\w*"
    ))
    .expect("valid substituted-label pattern")
});

/// Sentence ends: `.`, `?` or `!` followed by white space.
fn sentence_ends(text: &str) -> usize {
    text.as_bytes()
        .windows(2)
        .filter(|pair| matches!(pair[0], b'.' | b'?' | b'!') && pair[1].is_ascii_whitespace())
        .count()
}

/// A BSN word in the same or an adjacent sentence, within [`BSN_SENTENCE_RADIUS`]
/// bytes, with no label of another kind of number between it and the number.
fn bsn_word_in_nearby_sentence(text: &str, start: usize, end: usize) -> bool {
    let label = before(text, start, 24);
    if OTHER_NUMBER_RIGHT_BEFORE.is_match(label)
        && !BSN_CONTEXT.is_match(label)
        && !SUBSTITUTED_LABEL.is_match(label)
    {
        return false;
    }
    let ahead = before(text, start, BSN_SENTENCE_RADIUS);
    if let Some(word) = BSN_CONTEXT.find_iter(ahead).last() {
        let between = &ahead[word.end()..];
        if sentence_ends(between) <= 2
            && !OTHER_NUMBER_LABELLED.is_match(&SUBSTITUTED_LABEL.replace_all(between, ""))
        {
            return true;
        }
    }
    let behind = after(text, end, BSN_SENTENCE_RADIUS);
    if let Some(word) = BSN_CONTEXT.find(behind) {
        let between = &behind[..word.start()];
        if sentence_ends(between) <= 1 && !OTHER_NUMBER_LABELLED.is_match(between) {
            return true;
        }
    }
    false
}

/// The Dutch 11-proof: weights 9..2 and −1 on the last digit; 8 digits get a
/// leading zero. Returns the 9-digit form.
fn bsn_eleven_proof(digits: &str) -> Option<String> {
    let nine = match digits.len() {
        8 => format!("0{digits}"),
        9 => digits.to_owned(),
        _ => return None,
    };
    let total: i64 = nine
        .bytes()
        .zip([9, 8, 7, 6, 5, 4, 3, 2, -1])
        .map(|(d, weight)| i64::from(d - b'0') * weight)
        .sum();
    (total != 0 && total % 11 == 0).then_some(nine)
}

/// The fewest digits of a BSN ([`bsn_eleven_proof`] wants 8 or 9).
const BSN_MIN_DIGITS: usize = 8;

fn find_bsns(text: &str, out: &mut Vec<Hit>) {
    for number in BSN_NUMBER.find_iter(text) {
        let (start, end) = (number.start(), number.end());
        if !number_starts_cleanly(text, start)
            || !number_ends_cleanly(text, end)
            || follows_iban_prefix(text, start)
        {
            continue;
        }
        let Some(canonical) = bsn_eleven_proof(&digits_of(number.as_str())) else {
            continue;
        };
        if bsn_word_in_nearby_sentence(text, start, end) {
            out.push(pii_hit(
                "pii.bsn",
                start,
                end,
                WEIGHT_VALIDATED,
                true,
                Some(canonical),
            ));
        }
    }
}

// ---------------------------------------------------------------------------
// Belgian national number, eID card number and old account number
// ---------------------------------------------------------------------------

/// The Belgian national number (rijksregisternummer, INSZ/NISS): `YY.MM.DD-XXX.CC`,
/// also without or with other separators. The check number `CC` is 97 minus the
/// first nine digits mod 97 (for births from 2000 on: with a `2` in front).
static NATIONAL_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\d{2}[. ]?\d{2}[. ]?\d{2}[\- .]?\d{3}[. ]?\d{2}")
        .expect("valid national-number pattern")
});

/// The formal notation `YY.MM.DD-XXX.CC`: with its checksum and a date, distinctive
/// enough without a context word.
static NATIONAL_NUMBER_FORMAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\d{2}\.\d{2}\.\d{2}-\d{3}\.\d{2}$").expect("valid formal national-number pattern")
});

static NATIONAL_NUMBER_CONTEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:rijksregister\w*|rr[\s\-]?(?:nr|nummer)|rrn|insz(?:[\s\-]?(?:nr|nummer))?|niss|national\s+(?:number|register|registry|id(?:entification)?(?:\s+number)?)|nationaal\s+nummer|num[ée]ro\s+(?:national|de\s+registre\s+national)|registre\s+national|identificatienummer|sociale[\s\-]zekerheidsnummer|social\s+security)",
    )
    .expect("valid national-number context pattern")
});

/// Whether 11 digits are a Belgian national number: a plausible birth date (month 0
/// for an unknown date, +20 or +40 for a BIS number) and the mod-97 check number.
fn belgian_national_number_ok(digits: &str) -> bool {
    if digits.len() != 11 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let month: u32 = digits[2..4].parse().unwrap_or(99);
    let day: u32 = digits[4..6].parse().unwrap_or(99);
    let month_ok = matches!(month, 0..=12 | 20..=32 | 40..=52);
    if !month_ok || day > 31 {
        return false;
    }
    let Ok(base) = digits[..9].parse::<u64>() else {
        return false;
    };
    let Ok(check) = digits[9..].parse::<u64>() else {
        return false;
    };
    97 - base % 97 == check || 97 - (2_000_000_000 + base) % 97 == check
}

/// The eID card number and the pre-IBAN account number share one notation,
/// `ddd-ddddddd-dd`, and one check: the first ten digits mod 97 (97 for 0).
static BELGIAN_372: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\d{3}[\-.]\d{7}[\-.]\d{2}").expect("valid Belgian 3-7-2 pattern")
});

fn belgian_372_ok(digits: &str) -> bool {
    if digits.len() != 12 {
        return false;
    }
    let (Ok(base), Ok(check)) = (digits[..10].parse::<u64>(), digits[10..].parse::<u64>()) else {
        return false;
    };
    let remainder = base % 97;
    base != 0 && check == if remainder == 0 { 97 } else { remainder }
}

fn find_belgian_numbers(text: &str, out: &mut Vec<Hit>) {
    for number in NATIONAL_NUMBER.find_iter(text) {
        let (start, end) = (number.start(), number.end());
        if !number_starts_cleanly(text, start)
            || !number_ends_cleanly(text, end)
            || follows_iban_prefix(text, start)
        {
            continue;
        }
        let digits = digits_of(number.as_str());
        if !belgian_national_number_ok(&digits) {
            continue;
        }
        let in_context = NATIONAL_NUMBER_CONTEXT.is_match(before(text, start, BSN_SENTENCE_RADIUS))
            || NATIONAL_NUMBER_CONTEXT.is_match(after(text, end, CONTEXT_RADIUS));
        if in_context || NATIONAL_NUMBER_FORMAL.is_match(number.as_str()) {
            out.push(pii_hit(
                "pii.national_number",
                start,
                end,
                WEIGHT_VALIDATED,
                true,
                Some(digits),
            ));
        }
    }
    for number in BELGIAN_372.find_iter(text) {
        let (start, end) = (number.start(), number.end());
        if !number_starts_cleanly(text, start) || !number_ends_cleanly(text, end) {
            continue;
        }
        let digits = digits_of(number.as_str());
        if !belgian_372_ok(&digits) {
            continue;
        }
        let document = DOCUMENT_CONTEXT.is_match(before(text, start, CONTEXT_RADIUS))
            || DOCUMENT_CONTEXT.is_match(after(text, end, CONTEXT_RADIUS))
            || EID_CONTEXT.is_match(before(text, start, CONTEXT_RADIUS));
        let rule = if document {
            "pii.id_card"
        } else {
            "pii.bank_account"
        };
        out.push(pii_hit(
            rule,
            start,
            end,
            WEIGHT_VALIDATED,
            true,
            Some(digits),
        ));
    }
}

/// Belgian words for the identity card that [`DOCUMENT_CONTEXT`] lacks.
static EID_CONTEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:e-?id|kaartnummer|card\s+number|carte\s+d'identit[ée]|identiteitskaartnummer)",
    )
    .expect("valid eID context pattern")
});

// ---------------------------------------------------------------------------
// passport / ID card
// ---------------------------------------------------------------------------

static DOCUMENT_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?-u:\b)[A-Z0-9]{8,9}(?-u:\b)").expect("valid document pattern"));

/// The Dutch passport / ID-card number: 2 letters, 6 letters or digits, 1 digit,
/// never the letter O.
static DUTCH_DOCUMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[A-NP-Z]{2}[A-NP-Z0-9]{6}[0-9]$").expect("valid Dutch document pattern")
});

static DOCUMENT_CONTEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:paspoort|passport|id[\s\-]?kaart|identiteitskaart|identiteitsbewijs|documentnummer|document\s+(?:number|no)|id[\s\-]?card|reisdocument|travel\s+document|verblijfs(?:vergunning|document|kaart)|residence\s+(?:permit|card)|vreemdelingendocument|rijbewijs|driving\s+licen[cs]e|driver'?s\s+licen[cs]e|passeport|carte\s+d'identit[ée])",
    )
    .expect("valid document context pattern")
});

/// How often a token switches between letters and digits (`NXR4K82P1` → 5): random
/// document numbers switch often, words with a number behind them (`ZEPHYR123`) once.
fn letter_digit_switches(token: &str) -> usize {
    token
        .as_bytes()
        .windows(2)
        .filter(|pair| pair[0].is_ascii_digit() != pair[1].is_ascii_digit())
        .count()
}

/// Whether `text` has a maximal run of 8 or 9 ASCII uppercase letters and digits with
/// at least one of each. Only such runs can be hits of [`find_passports`]: a match of
/// [`DOCUMENT_NUMBER`] has a word boundary at both ends, so no `[A-Z0-9]` byte next to
/// it, and a hit needs a digit and a letter (the context case checks one, the Dutch
/// pattern starts with two).
fn has_document_token(text: &str) -> bool {
    let bytes = text.as_bytes();
    let in_run = |byte: &u8| byte.is_ascii_uppercase() || byte.is_ascii_digit();
    // A run of eight or more bytes holds one of every eighth byte, so only every
    // eighth byte is probed, and a run is read only around a probe inside one. After
    // a run (or a probe outside one) ends at `end`, the next run of eight starts after
    // it and so holds `end + 8` or a later probe.
    let mut probe = 7;
    while probe < bytes.len() {
        if !in_run(&bytes[probe]) {
            probe += 8;
            continue;
        }
        let start = bytes[..probe]
            .iter()
            .rposition(|byte| !in_run(byte))
            .map_or(0, |before| before + 1);
        let end = bytes[probe..]
            .iter()
            .position(|byte| !in_run(byte))
            .map_or(bytes.len(), |length| probe + length);
        let run = &bytes[start..end];
        if (8..=9).contains(&run.len())
            && run.iter().any(u8::is_ascii_digit)
            && run.iter().any(u8::is_ascii_uppercase)
        {
            return true;
        }
        probe = end + 8;
    }
    false
}

/// Whether `start..end` is a segment of a URL or path (`/services/TZSD3YIZ9/…`,
/// `?id=…`): a webhook or link id, not a document number.
fn in_url_or_path(text: &str, start: usize, end: usize) -> bool {
    let glued = |c: Option<char>| c.is_some_and(|c| "/=?&#:".contains(c));
    let token_start = text[..start]
        .rfind(char::is_whitespace)
        .map_or(0, |at| at + 1);
    glued(char_before(text, start))
        || glued(text[end..].chars().next())
        || text[token_start..start].contains("://")
}

fn find_passports(text: &str, out: &mut Vec<Hit>) {
    if !has_document_token(text) {
        return;
    }
    for token in DOCUMENT_NUMBER.find_iter(text) {
        let value = token.as_str();
        if !value.bytes().any(|b| b.is_ascii_digit()) {
            continue;
        }
        let (start, end) = (token.start(), token.end());
        if in_url_or_path(text, start, end) {
            continue;
        }
        let in_context = DOCUMENT_CONTEXT.is_match(before(text, start, DOCUMENT_CONTEXT_RADIUS))
            || DOCUMENT_CONTEXT.is_match(after(text, end, CONTEXT_RADIUS));
        let has_letter = value.bytes().any(|b| b.is_ascii_uppercase());
        let looks_dutch = DUTCH_DOCUMENT.is_match(value) && letter_digit_switches(value) >= 3;
        if (in_context && has_letter) || looks_dutch {
            out.push(pii_hit(
                "pii.passport",
                start,
                end,
                WEIGHT_PASSPORT,
                false,
                Some(value.to_owned()),
            ));
        }
    }
}

// ---------------------------------------------------------------------------
// birth date and home address next to a name
// ---------------------------------------------------------------------------

/// A person's name: two or more capitalised words, Dutch particles allowed between.
static PERSON_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b\p{Lu}\p{Ll}+(?:\s+(?:van|de|der|den|te|ter|ten|von|el|al|da|di|le|la|'t)){0,3}\s+\p{Lu}\p{Ll}+",
    )
    .expect("valid name pattern")
});

/// A person named with an honorific (`mevrouw Jansen`, `Mevr. H. Bos`, `dhr. de
/// Wit`, `Mr J. Smith`), with initials (`H.J. Bos`, `J. van Dam`), or as a family
/// (`the Jansen family`).
static HONORIFIC_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        (?:(?-u:\b)(?i:mevrouw|meneer|mevr|dhr|mw|mevr|fam|familie|heer|mrs|mr|ms|miss)\.?\s+(?:\p{Lu}\.\s?){0,3}
          |(?-u:\b)(?:\p{Lu}\.\s?){1,3})
        (?:(?:van|de|der|den|te|ter|ten|von|'t)\s+){0,3}
        \p{Lu}\p{Ll}+
        |(?-u:\b)\p{Lu}\p{Ll}+\s+(?i:family|familie|gezin)(?-u:\b)",
    )
    .expect("valid honorific name pattern")
});

/// Words that make a birth date personal without a name: `mijn geboortedatum`.
static PERSONAL_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:mijn|my|mine|me|mij|zijn|haar|his|her|hij|zij|ze|ik|i|he|she|klant|customer|member|lid|patient|patiënt|verzekerde|insured|passenger|passagier|client|cliënt|tenant|huurder)\b",
    )
    .expect("valid personal-word pattern")
});

static BIRTHDATE: LazyLock<Regex> = LazyLock::new(|| {
    const MONTHS: &str = "jan(?:uari|uary)?|feb(?:ruari|ruary)?|maart|mrt|mar(?:ch)?|apr(?:il)?|mei|may|jun[ie]?|jul[iy]?|aug(?:ustus|ust)?|sep(?:t(?:ember)?)?|okt(?:ober)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?";
    let pattern = format!(
        r"(?ix)
        (?:(?-u:\b)(?:geboren|geboortedatum|geb\.|geb:|date\s+of\s+birth|birth\s*date|d\.?o\.?b\.?|born|n[ée]e?\s+le|date\s+de\s+naissance)|°)
        [\s:,\-]*(?:(?:op|on|at|the|is|was|:)\s*){{0,2}}
        (?P<date>
            (?P<d1>\d{{1,2}})[\-/.](?P<m1>\d{{1,2}})[\-/.](?P<y1>(?:19|20)?\d{{2}})
          | (?P<y2>(?:19|20)\d{{2}})-(?P<m2>\d{{1,2}})-(?P<d2>\d{{1,2}})
          | (?P<d3>\d{{1,2}})(?:st|nd|rd|th|e)?\s+(?:{MONTHS})\.?\s+(?P<y3>(?:19|20)\d{{2}})
          | (?:{MONTHS})\.?\s+(?P<d4>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y4>(?:19|20)\d{{2}})
        )(?-u:\b)"
    );
    Regex::new(&pattern).expect("valid birth date pattern")
});

fn plausible_date(found: &regex::Captures<'_>) -> bool {
    let number = |names: &[&str]| {
        names
            .iter()
            .find_map(|name| found.name(name))
            .and_then(|m| m.as_str().parse::<u32>().ok())
    };
    let day_ok = number(&["d1", "d2", "d3", "d4"]).is_some_and(|d| (1..=31).contains(&d));
    let month_ok = match number(&["m1", "m2"]) {
        Some(month) => (1..=12).contains(&month),
        None => true, // written as a month name
    };
    day_ok && month_ok
}

fn near_a_person(text: &str, start: usize, end: usize) -> bool {
    let nearby_before = before(text, start, NAME_RADIUS);
    let nearby_after = after(text, end, NAME_RADIUS);
    PERSON_NAME.is_match(nearby_before)
        || PERSON_NAME.is_match(nearby_after)
        || HONORIFIC_NAME.is_match(nearby_before)
        || PERSONAL_WORD.is_match(nearby_before)
        || PERSONAL_WORD.is_match(after(text, end, CONTEXT_RADIUS))
}

/// A birthday being celebrated: a full date with a birth year near it is a birth date
/// ("Happy birthday Sanne de Wit (14-03-1991)").
static BIRTHDAY_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?-u:\b)(?:happy\s+b(?:irth)?day|birthday|bday|verjaardag|jarig|gefeliciteerd|hiep\s+hiep|geworden|turns\s+\d|turned\s+\d)",
    )
    .expect("valid birthday pattern")
});

/// A full date whose year is a plausible birth year.
static DATE_WITH_BIRTH_YEAR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?-u:\b)(?P<d1>\d{1,2})[\-/.](?P<m1>\d{1,2})[\-/.](?P<y>19\d{2}|200\d|201[0-5])(?-u:\b)",
    )
    .expect("valid dated-birthday pattern")
});

/// How far from a birthday word its date may stand, in bytes.
const BIRTHDAY_RADIUS: usize = 80;

/// A date in brackets right after a person's name: `Ahmed Benali (12-07-1988)`, as
/// lists of people give their birth dates.
fn in_brackets_after_name(text: &str, start: usize, end: usize) -> bool {
    let Some(opening) = text[..start].trim_end().strip_suffix('(') else {
        return false;
    };
    let opening = opening.trim_end();
    let window = before(opening, opening.len(), NAME_RADIUS);
    text[end..].trim_start().starts_with(')')
        && PERSON_NAME
            .find_iter(window)
            .last()
            .is_some_and(|name| name.end() == window.len())
}

fn find_birthdates(text: &str, out: &mut Vec<Hit>) {
    let birthday_word = BIRTHDAY_WORD.find(text);
    if birthday_word.is_some() || text.contains('(') {
        for found in DATE_WITH_BIRTH_YEAR.captures_iter(text) {
            let Some(date) = found.get(0) else { continue };
            let celebrated = birthday_word.is_some_and(|word| {
                (date.start().abs_diff(word.end()) <= BIRTHDAY_RADIUS
                    || word.start().abs_diff(date.end()) <= BIRTHDAY_RADIUS)
                    && near_a_person(text, date.start(), date.end())
            });
            let listed = in_brackets_after_name(text, date.start(), date.end());
            if (celebrated || listed) && plausible_date(&found) {
                out.push(pii_hit(
                    "pii.birthdate",
                    date.start(),
                    date.end(),
                    WEIGHT_CONTEXTUAL,
                    false,
                    None,
                ));
            }
        }
    }
    for found in BIRTHDATE.captures_iter(text) {
        let Some(date) = found.name("date") else {
            continue;
        };
        let context_start = found.get(0).map_or(date.start(), |m| m.start());
        if plausible_date(&found) && near_a_person(text, context_start, date.end()) {
            out.push(pii_hit(
                "pii.birthdate",
                date.start(),
                date.end(),
                WEIGHT_CONTEXTUAL,
                false,
                None,
            ));
        }
    }
}

/// A Dutch street with house number (`Kastanjelaan 12`, `Van Goghstraat 3a`,
/// `Prins Hendrikkade 5`) or an English one (`12 Baker Street`). Suffixes that end
/// place names too (`-dam`, `-lei`) are left out.
static STREET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        (?-u:\b)(?:(?:Van|De|Den|Der|Het|Ter|Ten|Sint|Prins|Prinses|Koning|Koningin|Burgemeester|Dokter|Graaf|Oude|Nieuwe|Korte|Lange|Kleine|Grote)\s+(?:(?:van|de|der|den|het|ter|ten)\s+)?){0,2}
        \p{Lu}[\p{L}'\-]*(?:straat|laan|weg|plein|gracht|kade|kaai|singel|vest|dijk|dreef|pad|steeg|baan|markt|wal|plantsoen|boulevard|hof|park|allee|erf|veld|steenweg)
        \s+\d{1,5}(?:\s?[a-zA-Z](?-u:\b)|[\-/]\d{1,4}(?-u:\b))?
        |(?-u:\b)\d{1,5}\s+(?:\p{Lu}\p{Ll}+\s+){1,3}(?:Street|Road|Avenue|Lane|Drive|Boulevard|Close|Crescent|Terrace|Square)(?-u:\b)
        |(?-u:\b)(?:Rue|Avenue|Av\.|Chauss[ée]e|Boulevard|Bd\.?|Place|Quai|Chemin|All[ée]e|Impasse|Drève|Clos)\s+(?:(?:de|du|des|la|le|l'|d')\s*){0,2}\p{Lu}[\p{L}'\-]*(?:\s+\p{Lu}[\p{L}'\-]*){0,2}\s*,?\s+\d{1,4}(?:\s?[a-zA-Z](?-u:\b)|[\-/]\d{1,4}(?-u:\b))?(?-u:\b)
        ",
    )
    .expect("valid street pattern")
});

/// A Dutch postcode followed by a place name (`5611 AB Eindhoven`).
static POSTCODE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)[1-9]\d{3}\s?[A-Z]{2}\s+\p{Lu}[\p{L}\-']+")
        .expect("valid postcode pattern")
});

static ADDRESS_CONTEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:woon(?:t|en|achtig|adres)?|wonend|adres|address|lives\s+at|living\s+at|verhuisd\s+naar|moved\s+to)\b",
    )
    .expect("valid address context pattern")
});

/// Words that make an address a business address (`bezoek onze winkel aan de …`):
/// a name nearby is then a shop or company name, not a person.
static BUSINESS_CONTEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:winkel|store|shop|filiaal|vestiging|kantoor|office|hoofdkantoor|headquarters|showroom|magazijn|warehouse|distributiecentrum|ziekenhuis|hospital|kliniek|clinic|hoofdingang|main\s+entrance|ingang|entrance|balie|receptie|reception|gemeentehuis|stadhuis|town\s+hall|station|b\.?v\.?|n\.?v\.?|openingstijden|opening hours|bezoek|visit)\b",
    )
    .expect("valid business context pattern")
});

/// Sending or delivering something to the address that follows: `we sturen je prijs
/// naar`, `send your prize to`, `bezorgd op`, `shipping address:`; or a visit to it
/// (`onze ploeg komt morgen tussen 8 en 10 uur naar`, `the fitter is coming to`).
static DELIVERY_CONTEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:on\s+its\s+way|onderweg|gaat\s+(?:\w+\s+){0,2}naar|kom(?:t|en)\s+(?:\S+\s+){0,6}naar|langs\s+op|(?:coming|comes)\s+(?:\S+\s+){0,4}to|goes\s+to|heading\s+to|send|sending|sent|ship|shipping|shipped|deliver\w*|mail|mailed|post|posted|forward\w*|stuur|stuurt|sturen|gestuurd|opsturen|opgestuurd|toesturen|toegestuurd|nasturen|nagestuurd|verstuur\w*|verzend\w*|verzonden|bezorg\w*|leveren|geleverd|afgeleverd|aflever\w*|factuuradres|postadres|huisadres|thuisadres|envoy\w*|livr\w*)\b",
    )
    .expect("valid delivery context pattern")
});

/// Words that make the receiver the company or a shop: `stuur het retour naar ons`.
static OWN_RECEIVER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:ons|onze|our|us|we|retour\w*|return\w*|terug|back|postbus|antwoordnummer|p\.?o\.?\s?box|klantenservice|klantendienst|customer\s+(?:service|care|support)|servicepunt|service\s+desk|afdeling|department|team)\b",
    )
    .expect("valid own-receiver pattern")
});

/// Whether the address that follows `nearby_before` is where something is sent to a
/// person: a delivery word in the text before it, with no shop, company or return
/// word from there on (`stuur je retour naar ons magazijn` is a business address).
fn sent_to_a_person(nearby_before: &str) -> bool {
    DELIVERY_CONTEXT
        .find_iter(nearby_before)
        .last()
        .is_some_and(|word| {
            let from_word = &nearby_before[word.start()..];
            !BUSINESS_CONTEXT.is_match(nearby_before)
                && !OWN_RECEIVER.is_match(from_word)
                && !SENDER_LABEL.is_match(nearby_before)
        })
}

/// A sender label: the address after it is where a parcel comes from.
static SENDER_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:afzender|sender|exp[ée]diteur)\b").expect("valid sender pattern")
});

/// Postcode letter pairs that PostNL never hands out.
fn postcode_letters_ok(found: &str) -> bool {
    let letters: String = found
        .chars()
        .skip_while(|c| !c.is_ascii_uppercase())
        .take(2)
        .collect();
    !matches!(letters.as_str(), "SA" | "SD" | "SS")
}

/// Whether the text right before an address ends in a person's name: the nearest
/// name, at most [`NAME_GAP`] bytes before the address, with no shop or company word
/// in the name or in between (`Zephyr Store Utrecht, Oudegracht 12` is a shop).
fn names_a_person(nearby_before: &str) -> bool {
    let close = |name: Option<regex::Match<'_>>| {
        name.is_some_and(|name| {
            let from_name = &nearby_before[name.start()..];
            nearby_before.len() - name.end() <= NAME_GAP && !BUSINESS_CONTEXT.is_match(from_name)
        })
    };
    // An honorific also names shop staff (`onze winkel: meneer Visser helpt je`), so
    // no business word may sit anywhere before the address.
    close(PERSON_NAME.find_iter(nearby_before).last())
        || (close(HONORIFIC_NAME.find_iter(nearby_before).last())
            && !BUSINESS_CONTEXT.is_match(nearby_before))
}

fn find_addresses(text: &str, out: &mut Vec<Hit>) {
    let streets = STREET.find_iter(text);
    let postcodes = POSTCODE
        .find_iter(text)
        .filter(|found| postcode_letters_ok(found.as_str()));
    for found in streets.chain(postcodes) {
        let (start, end) = (found.start(), found.end());
        let nearby_before = before(text, start, NAME_RADIUS);
        let address_words = ADDRESS_CONTEXT.is_match(nearby_before)
            || ADDRESS_CONTEXT.is_match(after(text, end, CONTEXT_RADIUS));
        if address_words || names_a_person(nearby_before) || sent_to_a_person(nearby_before) {
            out.push(pii_hit(
                "pii.address",
                start,
                end,
                WEIGHT_CONTEXTUAL,
                false,
                None,
            ));
        }
    }
}

// ---------------------------------------------------------------------------
// tests
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    /// The byte prefilters read in bulk or skip ahead; on texts with runs of every
    /// length at every offset they agree with their plain definitions.
    #[test]
    fn byte_prefilters_agree_with_their_plain_definitions() {
        let plain_document = |text: &str| {
            text.as_bytes()
                .split(|b| !(b.is_ascii_uppercase() || b.is_ascii_digit()))
                .any(|run| {
                    (8..=9).contains(&run.len())
                        && run.iter().any(u8::is_ascii_digit)
                        && run.iter().any(u8::is_ascii_uppercase)
                })
        };
        let plain_iban = |text: &str| {
            text.as_bytes().windows(4).any(|w| {
                w[0].is_ascii_alphabetic()
                    && w[1].is_ascii_alphabetic()
                    && w[2].is_ascii_digit()
                    && w[3].is_ascii_digit()
            })
        };
        let alphabet = ["A", "Q", "B", "7", "0", "4", "a", "x", " ", "-", "é", "@"];
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..50_000 {
            let length = (next() % 48) as usize;
            let text: String = (0..length)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            assert_eq!(has_document_token(&text), plain_document(&text), "{text:?}");
            assert_eq!(has_iban_start(&text), plain_iban(&text), "{text:?}");
            assert_eq!(
                ascii_digit_count(&text),
                text.bytes().filter(u8::is_ascii_digit).count(),
                "{text:?}"
            );
        }
    }

    fn hits(text: &str) -> Vec<Hit> {
        let mut out = Vec::new();
        find_pii(text, &mut out);
        out
    }

    /// (rule, matched text, canonical) of every hit.
    fn summary(text: &str) -> Vec<(&'static str, String, Option<String>)> {
        hits(text)
            .into_iter()
            .map(|h| (h.rule, text[h.start..h.end].to_owned(), h.canonical))
            .collect()
    }

    #[test]
    fn finds_each_kind_with_span_and_canonical_form() {
        let cases: &[(&str, &str, &str, Option<&str>)] = &[
            // (text, rule, span text, canonical)
            (
                "mail me: Jan.Smit@Example.NL graag",
                "pii.email",
                "Jan.Smit@Example.NL",
                Some("jan.smit@example.nl"),
            ),
            (
                "naar m.jansen [at] ziggo [punt] nl sturen",
                "pii.email",
                "m.jansen [at] ziggo [punt] nl",
                Some("m.jansen@ziggo.nl"),
            ),
            (
                "mail maar naar petra.dekker apenstaartje kpnmail punt nl 😊",
                "pii.email",
                "petra.dekker apenstaartje kpnmail punt nl",
                Some("petra.dekker@kpnmail.nl"),
            ),
            (
                "jan(at)hetnet(dot)com",
                "pii.email",
                "jan(at)hetnet(dot)com",
                Some("jan@hetnet.com"),
            ),
            (
                "bel 06-12345678 aub",
                "pii.phone",
                "06-12345678",
                Some("31612345678"),
            ),
            (
                "App me: 06.43.32.78.27",
                "pii.phone",
                "06.43.32.78.27",
                Some("31643327827"),
            ),
            (
                "bel 06 1234 5678",
                "pii.phone",
                "06 1234 5678",
                Some("31612345678"),
            ),
            (
                "bel (06) 1234 5678!",
                "pii.phone",
                "(06) 1234 5678",
                Some("31612345678"),
            ),
            (
                "call +31 6 12345678",
                "pii.phone",
                "+31 6 12345678",
                Some("31612345678"),
            ),
            (
                "call +31(0)6-12345678.",
                "pii.phone",
                "+31(0)6-12345678",
                Some("31612345678"),
            ),
            (
                "op 0031 6 12345678 bereikbaar",
                "pii.phone",
                "0031 6 12345678",
                Some("31612345678"),
            ),
            (
                "app +31612345678",
                "pii.phone",
                "+31612345678",
                Some("31612345678"),
            ),
            (
                "vast: 020-5550100",
                "pii.phone",
                "020-5550100",
                Some("31205550100"),
            ),
            (
                "vast: 026-3172497, na 6",
                "pii.phone",
                "026-3172497",
                Some("31263172497"),
            ),
            (
                "vast: 053 876 11 15",
                "pii.phone",
                "053 876 11 15",
                Some("31538761115"),
            ),
            (
                "vast: +31 20 555 0100",
                "pii.phone",
                "+31 20 555 0100",
                Some("31205550100"),
            ),
            (
                "06 15 49 14 54 is mijn nummer",
                "pii.phone",
                "06 15 49 14 54",
                Some("31615491454"),
            ),
            (
                "gratis 0800-0220",
                "pii.phone",
                "0800-0220",
                Some("318000220"),
            ),
            (
                "UK: +44 20 7946 0958",
                "pii.phone",
                "+44 20 7946 0958",
                Some("442079460958"),
            ),
            (
                "IBAN NL91ABNA0417164300.",
                "pii.iban",
                "NL91ABNA0417164300",
                Some("NL91ABNA0417164300"),
            ),
            (
                "IBAN NL91 ABNA 0417 1643 00 graag",
                "pii.iban",
                "NL91 ABNA 0417 1643 00",
                Some("NL91ABNA0417164300"),
            ),
            (
                "from DE89 3704 0044 0532 0130 00",
                "pii.iban",
                "DE89 3704 0044 0532 0130 00",
                Some("DE89370400440532013000"),
            ),
            (
                "GB29NWBK60161331926819 ok",
                "pii.iban",
                "GB29NWBK60161331926819",
                Some("GB29NWBK60161331926819"),
            ),
            (
                "BE68539007547034",
                "pii.iban",
                "BE68539007547034",
                Some("BE68539007547034"),
            ),
            (
                "NO9386011117947",
                "pii.iban",
                "NO9386011117947",
                Some("NO9386011117947"),
            ),
            (
                "card 4111 1111 1111 1111 exp",
                "pii.card",
                "4111 1111 1111 1111",
                Some("4111111111111111"),
            ),
            (
                "card 5555-5555-5555-4444",
                "pii.card",
                "5555-5555-5555-4444",
                Some("5555555555554444"),
            ),
            (
                "mijn Bancontact 6703 6669 5105 6310 8 twee keer gedebiteerd",
                "pii.card",
                "6703 6669 5105 6310 8",
                Some("67036669510563108"),
            ),
            (
                "betaling met kaart 5884-6150-2532-4653 teruggestort",
                "pii.card",
                "5884-6150-2532-4653",
                Some("5884615025324653"),
            ),
            (
                "amex 3782 822463 10005",
                "pii.card",
                "3782 822463 10005",
                Some("378282246310005"),
            ),
            (
                "mc 2221000000000009",
                "pii.card",
                "2221000000000009",
                Some("2221000000000009"),
            ),
            (
                "BSN 123456782 graag",
                "pii.bsn",
                "123456782",
                Some("123456782"),
            ),
            (
                "burgerservicenummer: 1234.56.782",
                "pii.bsn",
                "1234.56.782",
                Some("123456782"),
            ),
            (
                "my citizen service number is 123 456 782",
                "pii.bsn",
                "123 456 782",
                Some("123456782"),
            ),
            (
                "paspoortnummer NXR4K82P1",
                "pii.passport",
                "NXR4K82P1",
                Some("NXR4K82P1"),
            ),
            // the word further back, a person named between
            (
                "wie had om het paspoortnummer van au pair Liza de Cruz gevraagd? is YWWWSUID6",
                "pii.passport",
                "YWWWSUID6",
                Some("YWWWSUID6"),
            ),
            (
                "they asked for my tax number, is this it? 123 456 782",
                "pii.bsn",
                "123 456 782",
                Some("123456782"),
            ),
            (
                "passport no. X12345678 please",
                "pii.passport",
                "X12345678",
                Some("X12345678"),
            ),
            (
                "scan toont SPECI2014 en NW3K7R2L5",
                "pii.passport",
                "NW3K7R2L5",
                Some("NW3K7R2L5"),
            ),
            (
                "Ruud Hendriks, geboren 14-03-1979",
                "pii.birthdate",
                "14-03-1979",
                None,
            ),
            (
                "Name: Anna de Vries, date of birth: 1990-02-11",
                "pii.birthdate",
                "1990-02-11",
                None,
            ),
            (
                "Lisa Verhoeven, Kastanjelaan 12, Eindhoven",
                "pii.address",
                "Kastanjelaan 12",
                None,
            ),
            (
                "ze woont op de Dorpsstraat 5a",
                "pii.address",
                "Dorpsstraat 5a",
                None,
            ),
            (
                "Kees Brouwer, Dorpsstraat 5, 1251 LA Laren",
                "pii.address",
                "1251 LA Laren",
                None,
            ),
            (
                "the store manager: Kees Brouwer, Dorpsstraat 5",
                "pii.address",
                "Dorpsstraat 5",
                None,
            ),
            (
                "Your prize is on its way to Brinkstraat 22 this week",
                "pii.address",
                "Brinkstraat 22",
                None,
            ),
            (
                "Huge thanks to the Jansen family, Merelstraat 14 🙏",
                "pii.address",
                "Merelstraat 14",
                None,
            ),
            (
                "Mijn geboortedatum is 3 maart 1985",
                "pii.birthdate",
                "3 maart 1985",
                None,
            ),
            (
                "DOB: 1979-03-14 (mine)",
                "pii.birthdate",
                "1979-03-14",
                None,
            ),
            (
                "Ik woon op Lange Nieuwstraat 12",
                "pii.address",
                "Lange Nieuwstraat 12",
                None,
            ),
            (
                "Anna Bakker was born on March 3, 1985.",
                "pii.birthdate",
                "March 3, 1985",
                None,
            ),
            (
                "mailto:Jan@Hetnet.com",
                "pii.email",
                "Jan@Hetnet.com",
                Some("jan@hetnet.com"),
            ),
            (
                "tel. 010 - 123 45 67",
                "pii.phone",
                "010 - 123 45 67",
                Some("31101234567"),
            ),
            (
                "+31 (0)6 1234 5678",
                "pii.phone",
                "+31 (0)6 1234 5678",
                Some("31612345678"),
            ),
            (
                "service: 0900-1234567",
                "pii.phone",
                "0900-1234567",
                Some("319001234567"),
            ),
            (
                "ID-kaartnummer IX9R84KL2",
                "pii.passport",
                "IX9R84KL2",
                Some("IX9R84KL2"),
            ),
        ];
        for &(text, rule, span, canonical) in cases {
            let found = summary(text);
            assert!(
                found
                    .iter()
                    .any(|(r, s, c)| *r == rule && s == span && c.as_deref() == canonical),
                "{text:?}: expected {rule} on {span:?} ({canonical:?}), got {found:?}"
            );
        }
    }

    #[test]
    fn ignores_look_alikes() {
        let cases: &[&str] = &[
            "Bestelnummer 773573087, morgen bezorgd",
            "Tracking code 3SZEPH6663005, package is in Tilburg",
            "Order ref e19c6aab-23aa-4021-b08f-e86b4ad8b4ca arrived",
            "EAN van de buds is 8752210381111",
            "KvK-nummer 39043055 staat op de factuur",
            "ordernummer ZE-2026-104233 vermelden",
            "Afspraak op 12-03-2026 om 14:00",
            "Vista 55 kost nu €1.049 (was €1.499)",
            "IBAN NL91ABNA0417164301 klopt niet",
            "kaart 4922 4764 2074 4231 geweigerd",
            // a mistyped card: no phone out of its last groups
            "ik had 4853 0073 3647 4750 ingetypt, één cijfer fout",
            "ik typte 438755743 bij mijn BSN",
            "ordernummer 123456782 is verzonden",
            "Maak over naar NL51 RBRB 0594 2624 77",
            "1,5 miljoen views, +18% omzet, 2.500.000 bezoekers",
            "@zephyr_care mail@ ontbreekt, user@localhost",
            "password reset for ZEPHYR123 and AB1234567",
            "we zijn op 20-06-2026 om 10 uur open, tel volgt",
            "commit d5801c4c2a27e548c25823f6f6d9cc51f9b4aebb",
            "meet me (at) the station",
            "Vandaag 5 jaar bij Zephyr, geboren in 1990 hier",
            "Zephyr Electronics heeft 12 winkels",
            "Bereikbaar ma t/m vr 08.00-18.00 en za 09.00 - 17.00 uur",
            "postgres://app:Vtgf90!wiqtb@db01.shop.example.com/orders",
            "ssh deploy@build01.intra.zephyr.local",
            "never use real customer emails in tests, use test.user@example.com",
            "demo login: anna@shop.example.org",
            "Bezoek Zephyr Store Utrecht, Oudegracht 12 in Utrecht",
            "my ID card expired, order 12345678 still pending",
        ];
        for text in cases {
            let found = summary(text);
            assert!(found.is_empty(), "{text:?}: expected no PII, got {found:?}");
        }
    }

    #[test]
    fn belgian_numbers_with_their_checks() {
        // (text, rule expected, or "" for none)
        let cases: &[(&str, &str)] = &[
            (
                "Rijksregisternummer 85.07.30-123.35 van klant",
                "pii.national_number",
            ),
            ("klant met nr 85.07.30-123.35 belde", "pii.national_number"),
            ("INSZ: 85073012335", "pii.national_number"),
            (
                "rijksregister 05.03.12-345.32, geboren na 2000",
                "pii.national_number",
            ),
            // Wrong check number, or no context for the bare digits.
            ("Rijksregisternummer 85.07.30-123.36 van klant", ""),
            ("factuur 85073012335 betaald", ""),
            // Month 14 is no birth date.
            ("rijksregister 85.14.30-123.35", ""),
            ("eID kaartnummer 591-1234567-53", "pii.id_card"),
            (
                "oude rekening 310-1234567-37 nog actief",
                "pii.bank_account",
            ),
            ("oude rekening 310-1234567-38 nog actief", ""),
        ];
        for (text, expected) in cases {
            let found = summary(text);
            let rules: Vec<&str> = found.iter().map(|(rule, _, _)| *rule).collect();
            if expected.is_empty() {
                assert!(rules.is_empty(), "{text:?}: {found:?}");
            } else {
                assert_eq!(rules, vec![*expected], "{text:?}");
                assert!(hits(text)[0].checksum_validated, "{text:?}");
            }
        }
    }

    #[test]
    fn belgian_phones_in_grouped_national_notation() {
        let cases: &[(&str, Option<&str>)] = &[
            // A Belgian mobile has as many digits as a Dutch `04xx` number, and
            // reads as one: a phone either way.
            ("bel me op 0486 27 76 83", Some("31486277683")),
            ("bereikbaar via 0472/12.34.56", Some("31472123456")),
            ("kantoor Gent 09 234 56 78", Some("3292345678")),
            ("ons nummer 02 588 41 00", Some("3225884100")),
            // Ungrouped, nine digits from 0 are not taken as a Belgian number.
            ("ref 092345678", None),
            ("klantnummer 023456789", None),
        ];
        for (text, expected) in cases {
            let phones: Vec<Option<String>> = hits(text)
                .into_iter()
                .filter(|hit| hit.rule == "pii.phone")
                .map(|hit| hit.canonical)
                .collect();
            match expected {
                Some(canonical) => {
                    assert_eq!(phones, vec![Some((*canonical).to_owned())], "{text:?}")
                }
                None => assert!(phones.is_empty(), "{text:?}: {phones:?}"),
            }
        }
        assert_eq!(
            canonical_phone("+32 2 588 41 00").as_deref(),
            Some("3225884100")
        );
        assert_eq!(
            canonical_phone("02 588 41 00").as_deref(),
            Some("3225884100")
        );
    }

    #[test]
    fn card_number_over_line_breaks() {
        let text = "my card 5412 7534\n5678 9010\nkeeps getting declined";
        let found = summary(text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "pii.card");
        assert_eq!(found[0].2.as_deref(), Some("5412753456789010"));
        // Two numbers on two lines that are no card together stay quiet.
        assert!(summary("order 5412 7534\nticket 5678 9011").is_empty());
    }

    #[test]
    fn address_something_is_sent_to() {
        // (text, the address span expected, or "" for none)
        let cases: &[(&str, &str)] = &[
            (
                "Nina, we'll send your prize to Prinsengracht 401-2, 1016 HM Amsterdam!",
                "Prinsengracht 401-2",
            ),
            (
                "we sturen het pakket naar Kerkstraat 12, 9000 Gent",
                "Kerkstraat 12",
            ),
            (
                "envoyé à Rue de la Loi 16, 1000 Bruxelles",
                "Rue de la Loi 16",
            ),
            // A visit to a customer's home.
            (
                "Onze ploeg komt morgen tussen 8 en 10 uur naar Kerkstraat 14 in Bunnik",
                "Kerkstraat 14",
            ),
            (
                "the fitter is coming on Monday to 12 Baker Street",
                "12 Baker Street",
            ),
            (
                "Hi Ellen, your order goes to Zandweg 41, 3454 HK De Meern, right?",
                "Zandweg 41",
            ),
            ("Kom naar onze showroom aan de Kerkstraat 12", ""),
            (
                "Ophalen bij de hoofdingang van Ziekenhuis Gelderse Vallei, Willy Brandtlaan 10",
                "",
            ),
            // The receiver is the company: a return or business address.
            ("stuur je retour naar ons magazijn, Industrieweg 5", ""),
            ("Send it back to our store at Stationsplein 3", ""),
            ("Bezoek onze winkel aan de Kerkstraat 12", ""),
            (
                "Stuur je vragen naar de klantenservice, Kerkstraat 12, 1234 AB Delft",
                "",
            ),
        ];
        for (text, expected) in cases {
            let spans: Vec<String> = summary(text)
                .into_iter()
                .filter(|(rule, _, _)| *rule == "pii.address")
                .map(|(_, span, _)| span)
                .collect();
            if expected.is_empty() {
                assert!(spans.is_empty(), "{text:?}: {spans:?}");
            } else {
                assert!(spans.iter().any(|s| s == expected), "{text:?}: {spans:?}");
            }
        }
    }

    #[test]
    fn more_notations_of_known_identifiers() {
        // An IBAN grouped with hyphens or dots, a Belgian birth date with `°`.
        let found = summary("stort op NL91-ABNA-0417-1643-00 aub");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "pii.iban");
        assert_eq!(found[0].2.as_deref(), Some("NL91ABNA0417164300"));
        let found = summary("Jan Peeters (° 12/03/1985) uit Gent");
        assert!(
            found.iter().any(|(rule, _, _)| *rule == "pii.birthdate"),
            "{found:?}"
        );
        let found = summary("verblijfsvergunning nummer XK4R82P17 van de nieuwe collega");
        assert!(
            found.iter().any(|(rule, _, _)| *rule == "pii.passport"),
            "{found:?}"
        );
        // An IBAN with a wrong check in any notation stays quiet.
        assert!(summary("stort op NL91-ABNA-0417-1643-01 aub").is_empty());
    }

    #[test]
    fn a_dated_birthday_next_to_a_name_is_a_birth_date() {
        let found = |text: &str| {
            summary(text)
                .iter()
                .any(|(rule, _, _)| *rule == "pii.birthdate")
        };
        assert!(found(
            "Happy birthday to my client Sanne de Wit (14-03-1991) 🎂"
        ));
        assert!(found("Piet Jansen is vandaag jarig, geboren 02-11-1984!"));
        assert!(found(
            "onze oudste verzekerde, mevrouw Jansen-Bakker, geboren op 12 juni 1926!"
        ));
        assert!(found("member 5643 (born 1988-04-17) hit the bug"));
        // a founding date, a party date and a date without a birthday are not
        assert!(!found("Happy birthday to our club! Opened 14-03-2016"));
        assert!(!found("Jan is jarig, feest op 14-03-2026"));
        assert!(!found("Sanne de Wit kwam 14-03-1991 in dienst"));
        // a list of people with their dates in brackets
        assert!(found(
            "chauffeurs Ahmed Benali (12-07-1988) en Tom Smits (30-01-1995)"
        ));
        assert!(!found("Opening Vestiging Utrecht (12-07-2026)"));
        assert!(!found("bestelling (12-07-1988) klopt niet"));
    }

    #[test]
    fn document_numbers_in_links_are_ids() {
        let url = "via https://hooks.example.com/services/TZSD3YIZ9/B8C80LNE9/x spams us";
        assert!(
            !summary(url)
                .iter()
                .any(|(rule, _, _)| *rule == "pii.passport")
        );
        let plain = "mijn paspoortnummer is NXR4K82P1, help";
        assert!(
            summary(plain)
                .iter()
                .any(|(rule, _, _)| *rule == "pii.passport")
        );
    }

    #[test]
    fn bsn_with_its_word_in_a_nearby_sentence() {
        // (text, whether the 11-proof number is reported as a BSN)
        let cases: &[(&str, bool)] = &[
            (
                "De gemeente wil mijn BSN hebben. Vreemd toch? Toch maar gegeven: 123456782",
                true,
            ),
            (
                "Formulier vroeg naar het burgerservicenummer, dus ik heb 1234.56.782 ingevuld",
                true,
            ),
            ("Ik stuurde 123456782 op. Was dat mijn BSN? Oeps.", true),
            // every digit spaced out
            (
                "Klopt dit BSN voor de nieuwe stagiair? 1 2 3 4 5 6 7 8 2",
                true,
            ),
            (
                "Klopt dit BSN voor de nieuwe stagiair? 1 2 3 4 5 6 7 8 3",
                false,
            ),
            (
                "Over mijn BSN zeg ik niks, wel het ordernummer: 123456782",
                false,
            ),
            // the BSN given in place of another number is still a BSN
            (
                "Klant zette zijn BSN in de chat ipv klantnummer: 123456782",
                true,
            ),
            ("Hij leest zijn BSN voor als klantnummer 🤦 123456782", true),
            (
                "Pakket 123456782 is onderweg. Geen idee waarom ze naar mijn BSN vroegen.",
                false,
            ),
            // a word that only names a parcel is no label of the number
            (
                "moest mijn BSN invullen voor een pakket uit China?? raar. dit heb ik ingevuld: 123456782",
                true,
            ),
            (
                "mijn BSN hoefde niet, wel het pakketnummer 123456782",
                false,
            ),
            (
                "BSN kwijt. Lang verhaal. Heel lang verhaal met veel omwegen, echt waar. Uiteindelijk gewoon naar het gemeentehuis gegaan en daar 123456782 gekregen",
                false,
            ),
        ];
        for (text, expected) in cases {
            let found = summary(text).iter().any(|(rule, _, _)| *rule == "pii.bsn");
            assert_eq!(found, *expected, "{text:?}");
        }
    }

    #[test]
    fn home_address_next_to_an_honorific_or_initials() {
        // (text, the address span expected, or "" for none)
        let cases: &[(&str, &str)] = &[
            (
                "pakket afgeleverd bij meneer Visser aan de Beukenlaan 21 in Deventer",
                "Beukenlaan 21",
            ),
            (
                "Graag retour naar Mw. K. Smits, Molenweg 9, 6511 AB Nijmegen",
                "Molenweg 9",
            ),
            (
                "dhr. de Boer woont sinds kort op de Kerkstraat 4",
                "Kerkstraat 4",
            ),
            (
                "ship it to Mrs P. Walker, 27 Mill Lane please",
                "27 Mill Lane",
            ),
            ("P.J. Hendriks, Raadhuisplein 8", "Raadhuisplein 8"),
            (
                "Bezoek onze winkel: meneer Visser helpt je graag op de Beukenlaan 21",
                "",
            ),
            (
                "Mr Bean is a classic, watched it at the Odeon last night",
                "",
            ),
            (
                "De vestiging van mevrouw Smits' kantoor zit op de Molenweg 9",
                "",
            ),
        ];
        for (text, expected) in cases {
            let found: Vec<String> = summary(text)
                .into_iter()
                .filter(|(rule, _, _)| *rule == "pii.address")
                .map(|(_, span, _)| span)
                .collect();
            if expected.is_empty() {
                assert!(
                    found.is_empty(),
                    "{text:?}: expected no address, got {found:?}"
                );
            } else {
                assert!(
                    found.iter().any(|span| span == expected),
                    "{text:?}: got {found:?}"
                );
            }
        }
    }

    #[test]
    fn own_spaced_iban_is_one_iban_not_a_phone() {
        let text = "Maak over naar NL02 ABNA 0123 4567 89 t.n.v. Zephyr";
        let found = summary(text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "pii.iban");
        assert_eq!(found[0].2.as_deref(), Some("NL02ABNA0123456789"));
    }

    #[test]
    fn overlapping_candidates_keep_the_validated_one() {
        // The card digits also pass the 11-proof as a BSN and sit next to "BSN".
        let text = "BSN? nee, creditcard 4111 1111 1111 1111";
        let found = summary(text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "pii.card");
    }

    #[test]
    fn hits_carry_category_sensitivity_and_weights() {
        let text = "IBAN NL91ABNA0417164300, bel 0612345678";
        let found = hits(text);
        assert_eq!(found.len(), 2);
        for hit in &found {
            assert_eq!(hit.category, Category::LeakPii);
            assert_eq!(hit.sensitivity, Sensitivity::Identifier);
        }
        assert_eq!((found[0].weight, found[0].checksum_validated), (90, true));
        assert_eq!((found[1].weight, found[1].checksum_validated), (70, false));
    }

    #[test]
    fn offsets_are_byte_offsets_into_the_original_text() {
        let text = "😬 één nummer: 06-12345678";
        let found = hits(text);
        assert_eq!(found.len(), 1);
        assert_eq!(&text[found[0].start..found[0].end], "06-12345678");
    }

    #[test]
    fn canonical_helpers_match_the_detectors() {
        let cases: &[(Option<String>, Option<&str>)] = &[
            (canonical_phone("+31 20 555 0100"), Some("31205550100")),
            (canonical_phone("020-555 0100"), Some("31205550100")),
            (canonical_phone("0800-0220"), Some("318000220")),
            (canonical_phone("12345"), None),
            (canonical_email("Pers@Zephyr.nl"), Some("pers@zephyr.nl")),
            (canonical_email("not an address"), None),
            (
                canonical_iban("nl02 abna 0123 4567 89"),
                Some("NL02ABNA0123456789"),
            ),
            (canonical_iban("NL02ABNA0123456788"), None),
        ];
        for (got, want) in cases {
            assert_eq!(got.as_deref(), *want);
        }
    }

    #[test]
    fn checksums() {
        assert!(iban_checksum_ok("NL91ABNA0417164300"));
        assert!(!iban_checksum_ok("NL91ABNA0417164301"));
        assert!(luhn_ok("4111111111111111"));
        assert!(!luhn_ok("4111111111111112"));
        assert_eq!(bsn_eleven_proof("123456782").as_deref(), Some("123456782"));
        assert_eq!(bsn_eleven_proof("12345672").as_deref(), Some("012345672"));
        assert_eq!(bsn_eleven_proof("123456789"), None);
        assert_eq!(bsn_eleven_proof("000000000"), None);
    }

    #[test]
    fn iban_table_covers_the_registry() {
        assert!(IBAN_LENGTHS.len() >= 89, "{} countries", IBAN_LENGTHS.len());
        let mut codes: Vec<&str> = IBAN_LENGTHS.iter().map(|(code, _)| *code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), IBAN_LENGTHS.len(), "duplicate country code");
    }
}
