//! The learned second opinion: a linear model over the words of a post that finds
//! the reputation risks and the disclosures the lexicon has no rule for.
//!
//! # Why
//!
//! The rule packs are precise, but on companies and writers nobody tuned them for
//! they miss what is said in other words: a complaint with no complaint word in it,
//! a layoff announced in a phrase no pack lists. A model trained on every labelled
//! case we have (91,027 posts in 514 sets, each about its own company and written by
//! someone else) has seen far more wordings than any pack holds.
//!
//! # What it may do
//!
//! It adds a category the rules did not find, and only five: financial and
//! security disclosures, complaints, crises and abuse. Leaving groups of labelled
//! sets out in turn (`scripts/crossval`) showed it finds more than it gets wrong there;
//! for confidential material its additions were all wrong or none, so it has no say.
//! Crisis and abuse got their outputs once the sets had grown to 77 (13,626 posts):
//! with every fifth set left out in turn, a crisis output found 38 more crises for 5
//! more false ones and an abuse output 6 more for none, where with a dozen sets
//! crisis had been 3 more for 1 more false. Secrets, personal data and pricing errors stay with the validated
//! detectors: a number that fails its checksum is never a finding, and no model
//! changes that. A reputation category needs a mention of the company. Where every pack rule of
//! a category yields (`yields_to`: a complaint to a boycott call, a security finding to a
//! pasted credential), the model's finding of it yields too. Its finding points at
//! the word (or pair of words) that weighed most, so the verdict can be explained like
//! any other (`learned.reputation.complaint` on "wachten").
//!
//! It may also overrule the rules in one place: where it gives a post under 10% of
//! being a complaint (the built-in model's `veto` line; a model file sets its own),
//! the complaint rules' findings are dropped, counted in
//! `postwatch_learned_vetoes_total` and logged at debug level with the rule id. The
//! complaint lexicon is the least precise pack on companies nobody tuned it for: a
//! joke about a failed payment, a question about an integration error, a complaint
//! about a parcel carrier with the company praised beside it. Measured with models
//! that had not seen the sets: on six sets nobody had read it cut the complaint false
//! positives from 25 to 13 for 2 lost finds, on four fresh sets from 19 to 13 for 2,
//! and on twelve more (with the other changes of its round) from 39 to 22 for 2. For
//! financial and security findings a veto cost more finds than it saved, and for
//! crisis and abuse about as many as it saved.
//!
//! # The judge
//!
//! Beside the finder (the model above) the file holds a judge: a second set of
//! outputs over the same features plus what the rules found in the post (`f:` features,
//! each rule id and category once). Trained on the same labels, it learns how far to
//! trust each rule next to the words around it: `crisis.safety` beside "killer plant
//! 😂", `financial.insider` beside "finally public". Where it gives a post less than its
//! bar for a category (the file's `judge` line), the rules' findings of that category
//! are dropped, as a veto. It never adds a finding: requiring the judge's
//! agreement for the finder's additions lost as many finds as false alarms. The finder
//! reads no `f:` feature (its weights of them stay 0), so what it adds stays what the
//! words say. Trained without sealed187–215 and scored on them and eight sets written
//! later (6,552 posts, 37 companies), the judge took false findings in the five
//! categories from 284 to 217 for 24 lost finds (the bars: `Training::judge`).
//!
//! # Features
//!
//! Computed on the folded text (`crate::normalize`), so evasion is undone first
//! (emoji aside):
//! - words (`w:terugbetaling`); digits become their shape (`w:0000`);
//! - four-letter pieces of words of five letters or more, with `<` and `>` at the
//!   edges (`g:<ter`, `g:ling`), so Dutch compounds and misspellings share evidence;
//! - two words in a row (`b:nog steeds`, `b:=brand down`), so "not working" weighs
//!   otherwise than "working" and "not" apart;
//! - each word again as the public writes it (`p:storing`) or as the company's own
//!   accounts do (`i:storing`): "storing" from a customer is a complaint, from an
//!   engineer it may be an outage told too early;
//! - the emoji folding drops (`w:😂`, `p:😂`), read from the original text: laughter
//!   beside "crisis" is a joke, a heart beside a fire is sympathy. Ten-fold over 203
//!   sets they cut false positives from 815 to 792 and misses from 1,117 to 1,103;
//! - the company as a placeholder: a brand or account is `=brand`, a product
//!   `=product`, so what is learned about one company carries to the next;
//! - the author's role (`=public`, `=employee`, `=corporate`) and whether the
//!   company is mentioned at all (`=mention`);
//! - for the judge alone, each rule id and each category the rules found
//!   (`f:crisis.safety`, `f:reputation.crisis`).
//!
//! A feature is a 64-bit key hashed from its text; the model file keeps the text, so
//! an operator can read which words push which category.
//!
//! # The model file
//!
//! Tab-separated text (`models/text.tsv` is built in): a `categories` line naming the
//! category of each column (a file written for fewer categories still loads, and
//! the ones it lacks are never reported), a `threshold` line (one probability for
//! every column, or one per column), an optional `veto` line (one probability per
//! column, 0 for none; a file without it never vetoes), an optional `judge` line (the
//! judge's bar per column; without it the file has no judge), a `bias` line, then one line per feature
//! with one weight per category (twice as many with a `judge` line: the finder's, then the
//! judge's), and `known` lines listing words of the training posts that have no
//! weight of their own (their pieces or role words do; listing them makes them quick to score). `postwatch train` writes it; the probability of a category is the
//! logistic function of the bias plus the weights of the post's features.

use super::hit::Hit;
use crate::normalize::{Normalized, is_kept_symbol};
use crate::verdict::{AccountRole, Category};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, OnceLock};

/// The categories the model may add, in the order of its weights.
pub const CATEGORIES: [Category; 5] = [
    Category::LeakFinancial,
    Category::LeakSecurity,
    Category::ReputationComplaint,
    Category::ReputationCrisis,
    Category::ReputationAbuse,
];
const N: usize = CATEGORIES.len();
/// Weights per feature: the finder's `N`, then the judge's `N` (see the module doc).
const W: usize = 2 * N;

/// What every rule id of the model's findings starts with.
pub const RULE_PREFIX: &str = "learned.";

/// Rule ids of the model's findings, one per category of `CATEGORIES`.
pub const RULE_IDS: [&str; N] = [
    "learned.leak.financial",
    "learned.leak.security",
    "learned.reputation.complaint",
    "learned.reputation.crisis",
    "learned.reputation.abuse",
];

/// Words shorter than this give no four-letter pieces.
const GRAM_MIN_WORD: usize = 5;
const GRAM: usize = 4;
/// Digits in a row beyond this many look the same to the model.
const MAX_DIGIT_SHAPE: usize = 4;

/// The built-in model, trained by `postwatch train` on every labelled set of the
/// repository (see `scripts/train`).
const BUILTIN: &str = include_str!("../../models/text.tsv");

/// A feature occurrence: its key, and the folded byte range it was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Feature {
    pub key: u64,
    pub start: usize,
    pub end: usize,
}

/// What the company looks like in the folded text: ranges to read as placeholders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholder {
    Brand,
    Product,
}

impl Placeholder {
    fn word(self) -> &'static str {
        match self {
            Placeholder::Brand => "=brand",
            Placeholder::Product => "=product",
        }
    }
}

/// Hash of a byte string, eight bytes at a time; the same for inference and for
/// the names in the model file.
fn hash_bytes(seed: u64, bytes: &[u8]) -> u64 {
    let mut hash = seed ^ (bytes.len() as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    if bytes.len() <= 8 {
        // Most words: one word-sized value, one mix.
        let whole = bytes
            .iter()
            .rev()
            .fold(0u64, |whole, &byte| (whole << 8) | u64::from(byte));
        return mix(hash ^ whole);
    }
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        hash = (hash ^ word)
            .wrapping_mul(0xff51_afd7_ed55_8ccd)
            .rotate_left(29);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut tail = [0u8; 8];
        tail[..rest.len()].copy_from_slice(rest);
        hash = (hash ^ u64::from_le_bytes(tail)).wrapping_mul(0xff51_afd7_ed55_8ccd);
    }
    mix(hash)
}

fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x
}

const SEED_WORD: u64 = 0xcbf2_9ce4_8422_2325;
const SEED_GRAM: u64 = 0x8422_2325_cbf2_9ce4;
const SEED_PAIR: u64 = 0x2325_cbf2_9ce4_8422;
const SEED_PUBLIC: u64 = 0x9ce4_8422_2325_cbf2;
const SEED_INSIDER: u64 = 0x2325_9ce4_cbf2_8422;
const SEED_FOUND: u64 = 0x8422_cbf2_2325_9ce4;

fn word_key(word: &[u8]) -> u64 {
    hash_bytes(SEED_WORD, word)
}

fn gram_key(gram: &[u8]) -> u64 {
    match <[u8; 4]>::try_from(gram) {
        Ok(ascii) => mix(u64::from(u32::from_le_bytes(ascii)) ^ SEED_GRAM),
        Err(_) => hash_bytes(SEED_GRAM, gram),
    }
}

/// The key of a word as the public writes it (`p:`) or the company's own accounts
/// (`i:`), from the key of the word.
fn role_word_key(word: u64, public: bool) -> u64 {
    mix(word ^ if public { SEED_PUBLIC } else { SEED_INSIDER })
}

/// The key of something the rules found (`f:`): a rule id or a category.
fn found_key(name: &str) -> u64 {
    hash_bytes(SEED_FOUND, name.as_bytes())
}

/// Whether a feature is one only the judge reads: what the rules found.
fn is_judge_only(name: &str) -> bool {
    name.starts_with("f:")
}

/// The key of two words in a row, from the keys of each.
fn pair_key(first: u64, second: u64) -> u64 {
    mix(first.rotate_left(23) ^ second ^ SEED_PAIR)
}

/// The key of a feature written as text (`w:…`, `g:…`, `b:… …`, `p:…`, `i:…`).
fn key_of(name: &str) -> Option<u64> {
    let (kind, text) = name.split_once(':')?;
    match kind {
        "w" if !text.is_empty() => Some(word_key(text.as_bytes())),
        "g" if text.chars().count() == GRAM => Some(gram_key(text.as_bytes())),
        "f" if !text.is_empty() => Some(found_key(text)),
        "p" | "i" if !text.is_empty() => {
            Some(role_word_key(word_key(text.as_bytes()), kind == "p"))
        }
        "b" => {
            let (first, second) = text.split_once(' ')?;
            (!first.is_empty() && !second.is_empty())
                .then(|| pair_key(word_key(first.as_bytes()), word_key(second.as_bytes())))
        }
        _ => None,
    }
}

/// Where features go as they are read: summed into a model's logits, or kept with
/// their names for training.
pub trait FeatureSink {
    /// A feature over the folded range `start..end`; `name` gives its text, and is
    /// called only by sinks that keep names.
    fn feature(&mut self, key: u64, start: usize, end: usize, name: &dyn Fn() -> String);

    /// Takes a word, the word as written by the author's side (`public` or not) and
    /// all its pieces at once, from a table made when the model loaded; `false` when
    /// the sink wants them one by one.
    fn whole_word(&mut self, _key: u64, _public: bool) -> bool {
        false
    }
}

/// Keeps every feature, and the text of every key.
pub struct Capture<'a> {
    pub features: &'a mut Vec<Feature>,
    pub names: &'a mut HashMap<u64, String>,
}

impl FeatureSink for Capture<'_> {
    fn feature(&mut self, key: u64, start: usize, end: usize, name: &dyn Fn() -> String) {
        self.features.push(Feature { key, start, end });
        self.names.entry(key).or_insert_with(name);
    }
}

impl FeatureSink for Vec<Feature> {
    fn feature(&mut self, key: u64, start: usize, end: usize, _: &dyn Fn() -> String) {
        self.push(Feature { key, start, end });
    }
}

/// One word of the post as the model reads it.
struct Word<'a> {
    text: &'a str,
    start: usize,
    end: usize,
    /// Whether four-letter pieces are taken from it.
    pieces: bool,
}

/// The width of the letter or digit starting at byte `index` of `folded`, if one does.
#[inline(always)]
fn letter_width(folded: &str, index: usize) -> Option<usize> {
    let byte = folded.as_bytes()[index];
    if byte < 0x80 {
        return byte.is_ascii_alphanumeric().then_some(1);
    }
    let c = folded[index..].chars().next().expect("a char starts here");
    c.is_alphanumeric().then(|| c.len_utf8())
}

/// A word of `letters` letters and digits as the model reads it: digits become their
/// shape.
#[inline(always)]
fn word_at(folded: &str, start: usize, end: usize, letters: usize) -> Word<'_> {
    let text = &folded[start..end];
    let bytes = text.as_bytes();
    if bytes[0].is_ascii_digit() && bytes.iter().all(u8::is_ascii_digit) {
        Word {
            text: &"0000"[..text.len().min(MAX_DIGIT_SHAPE)],
            start,
            end,
            pieces: false,
        }
    } else {
        // What `has_pieces` says of a word of letters and digits, not all digits,
        // from the letters counted while reading it.
        let pieces = letters >= GRAM_MIN_WORD;
        debug_assert_eq!(pieces, has_pieces(text));
        Word {
            text,
            start,
            end,
            pieces,
        }
    }
}

/// The words of folded text: runs of letters and digits, each `!` and `?`, and each
/// other symbol (emoji) on its own; ranges in `placeholders` read as one word each.
fn words<'a>(folded: &'a str, placeholders: &[(usize, usize, Placeholder)]) -> Vec<Word<'a>> {
    let mut words = Vec::with_capacity(folded.len() / 3);
    let mut next_placeholder = 0;
    let bytes = folded.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        let placeholder_start = placeholders
            .get(next_placeholder)
            .map_or(usize::MAX, |&(start, _, _)| start);
        if placeholder_start <= index {
            let (start, end, placeholder) = placeholders[next_placeholder];
            words.push(Word {
                text: placeholder.word(),
                start,
                end,
                pieces: false,
            });
            index = index.max(end);
            next_placeholder += 1;
            continue;
        }
        if letter_width(folded, index).is_some() {
            let start = index;
            let limit = placeholder_start.min(bytes.len());
            let mut letters = 0;
            while index < limit {
                // ASCII letters and digits a run at a time, then any other letter.
                let ascii = bytes[index..limit]
                    .iter()
                    .position(|byte| !byte.is_ascii_alphanumeric())
                    .unwrap_or(limit - index);
                index += ascii;
                letters += ascii;
                if index == limit {
                    break;
                }
                match letter_width(folded, index) {
                    Some(width) => {
                        index += width;
                        letters += 1;
                    }
                    None => break,
                }
            }
            words.push(word_at(folded, start, index, letters));
            continue;
        }
        let byte = bytes[index];
        let width = if byte < 0x80 {
            1
        } else {
            folded[index..].chars().next().map_or(1, char::len_utf8)
        };
        let symbol = if byte < 0x80 {
            matches!(byte, b'!' | b'?')
        } else {
            !folded[index..index + width]
                .chars()
                .all(char::is_whitespace)
        };
        if symbol {
            words.push(Word {
                text: &folded[index..index + width],
                start: index,
                end: index + width,
                pieces: false,
            });
        }
        index += width;
    }
    words
}

/// Reusable room for the four-letter pieces of words.
#[derive(Default)]
struct PieceBuffer {
    ascii: Vec<u8>,
    chars: Vec<char>,
}

impl PieceBuffer {
    /// Calls `each` with the UTF-8 bytes of every four-letter piece of `word`, with
    /// `<` and `>` at its edges.
    fn each_piece(&mut self, word: &str, mut each: impl FnMut(&[u8])) {
        if word.is_ascii() {
            self.ascii.clear();
            self.ascii.push(b'<');
            self.ascii.extend_from_slice(word.as_bytes());
            self.ascii.push(b'>');
            self.ascii.windows(GRAM).for_each(each);
            return;
        }
        self.chars.clear();
        self.chars.push('<');
        self.chars.extend(word.chars());
        self.chars.push('>');
        let mut piece = [0u8; 4 * GRAM];
        for window in self.chars.windows(GRAM) {
            let mut length = 0;
            for c in window {
                length += c.encode_utf8(&mut piece[length..]).len();
            }
            each(&piece[..length]);
        }
    }
}

/// Whether the model takes four-letter pieces of a word. A placeholder (`=brand`)
/// stands for a name and has none: its pieces would be those of the English word.
fn has_pieces(word: &str) -> bool {
    if word.starts_with('=') {
        return false;
    }
    let letters = if word.is_ascii() {
        word.len()
    } else {
        word.chars().count()
    };
    letters >= GRAM_MIN_WORD && !word.bytes().all(|b| b.is_ascii_digit())
}

/// The emoji of the original text that folding turned into gaps (😂, 😍, 🙏, …), each
/// with the folded byte where it ended up. They carry tone the words lack: laughter
/// beside "crisis" is a joke, hearts beside a fire sympathy. Kept symbols (🙄, 🤫) are
/// words of the folded text already and are left out here.
pub fn emoji_of<'a>(original: &'a str, folded: &Normalized) -> Vec<(usize, &'a str)> {
    let mut found = Vec::new();
    if folded.text.is_empty() {
        return found;
    }
    let bytes = original.as_bytes();
    let mut index = 0;
    while let Some(skip) = bytes[index..].iter().position(|&b| b >= 0xE2) {
        index += skip;
        let Some(c) = original[index..].chars().next() else {
            break;
        };
        let width = c.len_utf8();
        let code = u32::from(c);
        let pictograph = matches!(code, 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0x1F000..=0x1FAFF)
            && !matches!(code, 0x1F3FB..=0x1F3FF);
        if pictograph && !is_kept_symbol(c) {
            found.push((folded_place(folded, index), &original[index..index + width]));
        }
        index += width;
    }
    found
}

/// The folded character an original byte went into: the gap an emoji became, or the
/// character before the place of one dropped at the text's edge.
fn folded_place(folded: &Normalized, original: usize) -> usize {
    let mut at = folded.folded_at(original);
    if at > 0 && folded.original_span(at, at + 1).0 > original {
        at -= 1;
    }
    while !folded.text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// What the model reads of one post, besides what the rules found in it.
#[derive(Debug, Clone, Copy)]
pub struct Reading<'a> {
    /// The folded text (`crate::normalize`).
    pub folded: &'a str,
    /// Folded ranges to read as the company's placeholders, in order, not overlapping.
    pub placeholders: &'a [(usize, usize, Placeholder)],
    /// The emoji folding dropped, at their folded places ([`emoji_of`]).
    pub emoji: &'a [(usize, &'a str)],
    pub role: AccountRole,
    /// Whether the post mentions the company.
    pub mentioned: bool,
}

/// The features of one post, in reading order, into `sink`: its words, pairs of
/// words and pieces from the folded text, then its emoji, the author's role, and
/// what the rules `found` (each rule id and category once).
pub fn features(post: &Reading, found: &[Hit], sink: &mut impl FeatureSink) {
    let &Reading {
        folded,
        placeholders,
        emoji,
        role,
        mentioned,
    } = post;
    let words = words(folded, placeholders);
    let mut buffer = PieceBuffer::default();
    let mut previous: Option<(u64, &Word)> = None;
    let public = role == AccountRole::Public;
    let role_prefix = if public { "p" } else { "i" };
    for word in &words {
        let key = word_key(word.text.as_bytes());
        if let Some((first_key, first)) = previous {
            sink.feature(pair_key(first_key, key), first.start, word.end, &|| {
                format!("b:{} {}", first.text, word.text)
            });
        }
        previous = Some((key, word));
        if !sink.whole_word(key, public) {
            sink.feature(key, word.start, word.end, &|| format!("w:{}", word.text));
            sink.feature(role_word_key(key, public), word.start, word.end, &|| {
                format!("{role_prefix}:{}", word.text)
            });
            if word.pieces {
                buffer.each_piece(word.text, |piece| {
                    sink.feature(gram_key(piece), word.start, word.end, &|| {
                        format!("g:{}", String::from_utf8_lossy(piece))
                    });
                });
            }
        }
    }
    for &(at, symbol) in emoji {
        let key = word_key(symbol.as_bytes());
        if !sink.whole_word(key, public) {
            sink.feature(key, at, at + 1, &|| format!("w:{symbol}"));
            sink.feature(role_word_key(key, public), at, at + 1, &|| {
                format!("{role_prefix}:{symbol}")
            });
        }
    }
    let mut flag = |text: &'static str| {
        sink.feature(word_key(text.as_bytes()), 0, 0, &|| format!("w:{text}"));
    };
    flag(match role {
        AccountRole::Corporate => "=corporate",
        AccountRole::Employee => "=employee",
        AccountRole::Public => "=public",
    });
    if mentioned {
        flag("=mention");
    }
    for (index, hit) in found.iter().enumerate() {
        let earlier = &found[..index];
        if !earlier.iter().any(|other| other.category == hit.category) {
            let name = hit.category.as_str();
            sink.feature(found_key(name), 0, 0, &|| format!("f:{name}"));
        }
        if !earlier.iter().any(|other| other.rule == hit.rule) {
            sink.feature(found_key(hit.rule), 0, 0, &|| format!("f:{}", hit.rule));
        }
    }
}

/// Keys that are already well mixed hash to themselves.
#[derive(Default)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, _: &[u8]) {
        unreachable!("only u64 keys are hashed")
    }
    fn write_u64(&mut self, key: u64) {
        self.0 = key;
    }
}

type KeyMap<V> = HashMap<u64, V, BuildHasherDefault<KeyHasher>>;

/// A linear model: per category a bias and a weight per feature.
#[derive(Debug, Clone)]
pub struct TextModel {
    /// Weights by feature key, in one table: one memory access per feature. The
    /// finder's `N` columns, then the judge's.
    weights: KeyMap<[f32; W]>,
    /// The text of every feature, by key, for writing the file.
    names: KeyMap<String>,
    /// Words seen in training that have no weight of their own, only pieces.
    known_words: Vec<String>,
    /// For every word with a weight and every known word: its weight plus the
    /// weights of its pieces and of the word as the company's own accounts write it
    /// (`[0]`) or the public does (`[1]`), so such a word costs one look-up, not one
    /// per piece (`FeatureSink::whole_word`).
    whole_words: [KeyMap<[f32; W]>; 2],
    bias: [f32; W],
    /// Per category, the probability from which the model reports it; a category
    /// the file has no column for is never reported.
    threshold: [f32; N],
    /// Per category, the probability below which the model overrules the rules:
    /// a rule's finding of the category is dropped (0: never).
    veto: [f32; N],
    /// Per category, the probability the judge gives a post below which the rules'
    /// findings of the category are dropped (0: never; a file without a `judge`
    /// line has no judge).
    judge: [f32; N],
}

/// Why a model file did not load.
#[derive(Debug, thiserror::Error)]
#[error("{origin}:{line}: {message}")]
pub struct ModelError {
    pub origin: String,
    pub line: usize,
    pub message: String,
}

/// What the model says of one category of one post.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Opinion {
    pub category: Category,
    pub rule: &'static str,
    pub probability: f32,
    /// The folded range of the feature that weighed most for the category.
    pub start: usize,
    pub end: usize,
}

impl TextModel {
    /// The model shipped with postwatch.
    pub fn builtin() -> Arc<TextModel> {
        static MODEL: OnceLock<Arc<TextModel>> = OnceLock::new();
        MODEL
            .get_or_init(|| {
                Arc::new(
                    TextModel::parse("models/text.tsv", BUILTIN)
                        .expect("the built-in model is checked by a unit test"),
                )
            })
            .clone()
    }

    /// Whether any category reaches its threshold.
    pub fn reaches_threshold(&self, probabilities: &[f32; W]) -> bool {
        probabilities[..N]
            .iter()
            .zip(&self.threshold)
            .any(|(probability, threshold)| probability >= threshold)
    }

    /// Whether the model is sure enough that a post does not have `category` to drop
    /// the rules' findings of it, given the post's probabilities: the finder below
    /// its `veto`, or the judge below its bar.
    pub fn vetoes(&self, category: Category, probabilities: &[f32; W]) -> bool {
        CATEGORIES
            .iter()
            .position(|&c| c == category)
            .is_some_and(|slot| {
                probabilities[slot] < self.veto[slot] || probabilities[N + slot] < self.judge[slot]
            })
    }

    pub fn len(&self) -> usize {
        self.weights.len()
    }

    pub fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }

    /// Fills `whole_words` from the weights; called once a model is complete.
    fn index_whole_words(&mut self) {
        let mut buffer = PieceBuffer::default();
        let mut whole_words: [KeyMap<[f32; W]>; 2] = Default::default();
        let weighted = self
            .names
            .values()
            .filter_map(|name| name.strip_prefix("w:"));
        for word in weighted.chain(self.known_words.iter().map(String::as_str)) {
            let key = word_key(word.as_bytes());
            let mut sums = self.weights.get(&key).copied().unwrap_or([0.0; W]);
            if has_pieces(word) {
                buffer.each_piece(word, |piece| {
                    if let Some(weights) = self.weights.get(&gram_key(piece)) {
                        add_weights(&mut sums, weights);
                    }
                });
            }
            for (public, table) in [false, true].into_iter().zip(&mut whole_words) {
                let mut sums = sums;
                if let Some(weights) = self.weights.get(&role_word_key(key, public)) {
                    add_weights(&mut sums, weights);
                }
                table.insert(key, sums);
            }
        }
        self.whole_words = whole_words;
    }

    fn insert(&mut self, key: u64, name: String, weights: [f32; W]) -> bool {
        self.names.insert(key, name);
        self.weights.insert(key, weights).is_none()
    }

    /// Reads a model file from disk.
    pub fn load(path: &std::path::Path) -> Result<TextModel, ModelError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|error| ModelError {
            origin: origin.clone(),
            line: 0,
            message: format!("cannot read: {error}"),
        })?;
        TextModel::parse(&origin, &text)
    }

    /// Reads a model file; every error names its line. The `categories` line comes
    /// first and says which category each column holds: any of `CATEGORIES`, in any
    /// order, so a file written for fewer categories (before crisis and abuse had
    /// one) still loads, and a category it has no column for is never reported and
    /// never vetoes.
    pub fn parse(origin: &str, text: &str) -> Result<TextModel, ModelError> {
        let error = |line: usize, message: String| ModelError {
            origin: origin.to_string(),
            line,
            message,
        };
        let mut model = TextModel {
            weights: KeyMap::default(),
            names: KeyMap::default(),
            known_words: Vec::new(),
            whole_words: Default::default(),
            bias: [0.0; W],
            threshold: [f32::INFINITY; N],
            veto: [0.0; N],
            judge: [0.0; N],
        };
        // The slot of `CATEGORIES` each column of the file holds.
        let mut columns: Vec<usize> = Vec::new();
        // One number per column, into the finder's slots; with `judged`, as many again
        // for the judge's.
        let numbers = |columns: &[usize], judged: bool, line: usize, fields: &[&str]| {
            if columns.is_empty() {
                return Err(error(line, "the categories line must come first".into()));
            }
            let expected = columns.len() * if judged { 2 } else { 1 };
            if fields.len() != expected {
                return Err(error(
                    line,
                    format!("expected {expected} numbers, found {}", fields.len()),
                ));
            }
            let slots = columns.iter().chain(columns).enumerate();
            let mut out = [0.0; W];
            for ((index, &slot), field) in slots.zip(fields) {
                let slot = if index < columns.len() {
                    slot
                } else {
                    N + slot
                };
                out[slot] = field
                    .parse::<f32>()
                    .ok()
                    .filter(|value| value.is_finite())
                    .ok_or_else(|| error(line, format!("not a number: {field:?}")))?;
            }
            Ok(out)
        };
        let probabilities = |values: [f32; W], line: usize, name: &str| {
            let values: [f32; N] = values[..N].try_into().expect("N of W");
            if values.iter().any(|value| !(0.0..1.0).contains(value)) {
                return Err(error(line, format!("a {name} must be in [0, 1)")));
            }
            Ok(values)
        };
        let mut seen_threshold = false;
        let mut seen_bias = false;
        let mut seen_weights = false;
        // Whether the file has judge columns: it says so before the weights.
        let mut judged = false;
        for (index, line) in text.lines().enumerate() {
            let line_number = index + 1;
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split('\t').collect();
            match fields[0] {
                "categories" => {
                    if !columns.is_empty() {
                        return Err(error(line_number, "a second categories line".into()));
                    }
                    for name in &fields[1..] {
                        let slot = CATEGORIES
                            .iter()
                            .position(|category| category.as_str() == *name)
                            .ok_or_else(|| {
                                let known: Vec<&str> =
                                    CATEGORIES.iter().map(|c| c.as_str()).collect();
                                error(
                                    line_number,
                                    format!("{name:?} is not one of {}", known.join(" ")),
                                )
                            })?;
                        if columns.contains(&slot) {
                            return Err(error(line_number, format!("{name} listed twice")));
                        }
                        columns.push(slot);
                    }
                    if columns.is_empty() {
                        return Err(error(line_number, "no categories".into()));
                    }
                }
                "threshold" => {
                    // One probability for every category, or one per column.
                    let values = if fields.len() == 2 {
                        numbers(
                            &columns,
                            false,
                            line_number,
                            &vec![fields[1]; columns.len()],
                        )?
                    } else {
                        numbers(&columns, false, line_number, &fields[1..])?
                    };
                    for &slot in &columns {
                        if !(values[slot] > 0.0 && values[slot] < 1.0) {
                            return Err(error(line_number, "a threshold must be in (0, 1)".into()));
                        }
                        model.threshold[slot] = values[slot];
                    }
                    seen_threshold = true;
                }
                "veto" => {
                    let values = numbers(&columns, false, line_number, &fields[1..])?;
                    model.veto = probabilities(values, line_number, "veto")?;
                }
                "judge" => {
                    if seen_weights {
                        return Err(error(
                            line_number,
                            "the judge line must come before the bias and the weights".into(),
                        ));
                    }
                    let values = numbers(&columns, false, line_number, &fields[1..])?;
                    model.judge = probabilities(values, line_number, "judge's bar")?;
                    judged = true;
                }
                "known" => model
                    .known_words
                    .extend(fields[1..].iter().map(|word| word.to_string())),
                "bias" => {
                    model.bias = numbers(&columns, judged, line_number, &fields[1..])?;
                    seen_bias = true;
                    seen_weights = true;
                }
                name => {
                    let key = key_of(name)
                        .ok_or_else(|| error(line_number, format!("not a feature: {name:?}")))?;
                    let weights = numbers(&columns, judged, line_number, &fields[1..])?;
                    seen_weights = true;
                    if !model.insert(key, name.to_string(), weights) {
                        return Err(error(
                            line_number,
                            format!("feature listed twice: {name:?}"),
                        ));
                    }
                }
            }
        }
        if columns.is_empty() || !seen_bias || !seen_threshold {
            return Err(error(
                0,
                "a model needs a categories, a threshold and a bias line".into(),
            ));
        }
        model.index_whole_words();
        Ok(model)
    }

    /// The model file text: loads back into the same model.
    pub fn to_file(&self, header: &str) -> String {
        let mut out = String::new();
        for line in header.lines() {
            let _ = writeln!(out, "# {line}");
        }
        // The categories the model has: all of them, unless it was read from a file
        // written for fewer.
        let slots: Vec<usize> = (0..N)
            .filter(|&slot| self.threshold[slot].is_finite())
            .collect();
        // Finder columns, then (for the bias and the weights) the judge's.
        let line = |out: &mut String, name: &str, values: &[f32], precise: bool| {
            out.push_str(name);
            let judge = slots
                .iter()
                .map(|&slot| N + slot)
                .filter(|_| values.len() == W);
            for slot in slots.iter().copied().chain(judge) {
                if precise {
                    let _ = write!(out, "\t{}", values[slot]);
                } else {
                    let _ = write!(out, "\t{:.4}", values[slot]);
                }
            }
            out.push('\n');
        };
        out.push_str("categories");
        for &slot in &slots {
            let _ = write!(out, "\t{}", CATEGORIES[slot].as_str());
        }
        out.push('\n');
        line(&mut out, "threshold", &self.threshold, true);
        line(&mut out, "veto", &self.veto, true);
        line(&mut out, "judge", &self.judge, true);
        let row =
            |out: &mut String, name: &str, weights: &[f32; W]| line(out, name, weights, false);
        row(&mut out, "bias", &self.bias);
        let mut order: Vec<(&String, &u64)> =
            self.names.iter().map(|(key, name)| (name, key)).collect();
        order.sort_unstable();
        for (name, key) in order {
            row(&mut out, name, &self.weights[key]);
        }
        let mut known = self.known_words.clone();
        known.sort_unstable();
        for words in known.chunks(16) {
            let _ = writeln!(out, "known\t{}", words.join("\t"));
        }
        out
    }

    /// The probability of each category for a post's features, by the finder and
    /// then by the judge.
    pub fn probabilities(&self, features: &[Feature]) -> [f32; W] {
        let mut logits = Logits::new(self);
        for feature in features {
            logits.feature(feature.key, feature.start, feature.end, &String::new);
        }
        logits.sums.map(sigmoid)
    }

    /// The categories the model finds in a post, each with the range of the feature
    /// that weighed most for it. `allowed` says which categories may be found.
    pub fn opinions(
        &self,
        features: &[Feature],
        allowed: impl Fn(Category) -> bool,
    ) -> Vec<Opinion> {
        let probabilities = self.probabilities(features);
        let mut opinions = Vec::new();
        for (slot, &probability) in probabilities[..N].iter().enumerate() {
            let category = CATEGORIES[slot];
            if probability < self.threshold[slot] || !allowed(category) {
                continue;
            }
            // Where the evidence is: the feature with the largest weight that has a
            // place in the text (the role and mention flags have none).
            let strongest = features
                .iter()
                .filter(|feature| feature.end > feature.start)
                .filter_map(|feature| Some((self.weights.get(&feature.key)?[slot], feature)))
                .max_by(|a, b| a.0.total_cmp(&b.0));
            let Some((_, feature)) = strongest else {
                continue;
            };
            opinions.push(Opinion {
                category,
                rule: RULE_IDS[slot],
                probability,
                start: feature.start,
                end: feature.end,
            });
        }
        opinions
    }
}

/// Sums a model's weights as features are read, keeping none of them: the pass
/// every post takes. The ranges are read again only for a category that fires.
pub struct Logits<'a> {
    model: &'a TextModel,
    sums: [f32; W],
}

impl<'a> Logits<'a> {
    pub fn new(model: &'a TextModel) -> Logits<'a> {
        Logits {
            model,
            sums: model.bias,
        }
    }

    /// The probability of each category so far, by the finder and then by the judge.
    pub fn probabilities(&self) -> [f32; W] {
        self.sums.map(sigmoid)
    }
}

impl FeatureSink for Logits<'_> {
    fn whole_word(&mut self, key: u64, public: bool) -> bool {
        let Some(weights) = self.model.whole_words[usize::from(public)].get(&key) else {
            return false;
        };
        add_weights(&mut self.sums, weights);
        true
    }

    fn feature(&mut self, key: u64, _: usize, _: usize, _: &dyn Fn() -> String) {
        if let Some(weights) = self.model.weights.get(&key) {
            add_weights(&mut self.sums, weights);
        }
    }
}

/// Adds one row of weights to running sums.
fn add_weights(sums: &mut [f32; W], weights: &[f32; W]) {
    for (sum, weight) in sums.iter_mut().zip(weights) {
        *sum += weight;
    }
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// One labelled post for training: its feature keys, a key once per occurrence as the
/// model sums them when it scores a post, and which categories it has.
#[derive(Debug, Clone)]
pub struct Example {
    pub keys: Vec<u64>,
    pub labels: [bool; N],
}

impl Example {
    /// An example from a post's features and its expected categories.
    pub fn new(features: &[Feature], expected: &[Category]) -> Example {
        let mut keys: Vec<u64> = features.iter().map(|feature| feature.key).collect();
        keys.sort_unstable();
        Example {
            keys,
            labels: CATEGORIES.map(|category| expected.contains(&category)),
        }
    }
}

/// How a model is trained.
#[derive(Debug, Clone, Copy)]
pub struct Training {
    /// Full-batch Adam steps.
    pub steps: usize,
    pub learning_rate: f32,
    /// L2 penalty on the weights (not the biases).
    pub l2: f32,
    /// Features seen in fewer posts than this are not learned.
    pub min_posts: usize,
    /// Features whose weights all stay below this in size are left out of the file.
    pub prune_below: f32,
    /// Per category of `CATEGORIES`: the probability from which it is reported.
    pub threshold: [f32; N],
    /// Per category of `CATEGORIES`: below this probability the rules' findings of it
    /// are dropped (`TextModel::vetoes`).
    pub veto: [f32; N],
    /// Per category of `CATEGORIES`: below this probability by the judge the rules'
    /// findings of it are dropped.
    pub judge: [f32; N],
}

impl Default for Training {
    fn default() -> Training {
        Training {
            steps: 200,
            learning_rate: 0.05,
            // Left-out-sets measure (trained without sealed115-138, scored on them):
            // 3e-4 found 22 more posts for 5 more false ones than 1e-3; 1e-4 and
            // 3e-5 found fewer and flagged more. Half the training sets found 23
            // fewer: more sets still help, a little. With word pairs and role words
            // (ten-fold over 181 sets, each scored by a model that had not seen it)
            // 2e-4 found 12 more for 7 fewer false than 3e-4. With the judge (five-fold
            // over 234 sets) 1e-4 found 3 more for 43 fewer false than 2e-4 (benign
            // posts flagged 343 against 368 of 13,638); over 242 sets 5e-5 found 53
            // fewer for 36 fewer false than 1e-4, and 4e-4 42 fewer for 85 more false.
            l2: 1e-4,
            min_posts: 2,
            prune_below: 0.05,
            // Where twelve fresh sets (written blind, measured with a model that had not
            // seen them) gave the best F1: 0.5 for financial and abuse. Complaint 0.6
            // since the L2 penalty fell to 3e-4 (the model is surer): on sealed139-146
            // the same F1 as 0.5 (0.899 / 0.898) with 14 benign posts flagged instead
            // of 17, on sealed115-138 0.877 / 0.878 with 57 instead of 59. Crisis
            // 0.6 (F1 0.899 against 0.905 at 0.5-0.55, which flag a scandal at another
            // chain in the blind gate set); security stays at 0.7 (flat from 0.55 to
            // 0.7). On sets the rules were tuned on, the rules already find what the
            // model would add, so leaving those sets out in turn chose too high a bar.
            // With 386 sets (trained without sealed392–423, scored on them and on eight
            // fresh sets, 7,101 posts): complaint 0.55 found 6 more for none more false
            // than 0.6; crisis 0.55 4 more for 3 more false, so it stays. Security 0.5
            // found 12 more for 4 more false there, but once the security rules had
            // learned those sets' wordings, a model of 418 sets scored on the 40 sets
            // after them found 3 more for 7 more false at 0.5, and on the last eight
            // (read by no one) none more for 4 more false: it stays at 0.7.
            threshold: CATEGORIES.map(|category| match category {
                Category::LeakSecurity => 0.7,
                Category::ReputationCrisis => 0.6,
                Category::ReputationComplaint => 0.55,
                _ => 0.5,
            }),
            // Only complaints: on sets nobody tuned for, the rules' complaint findings
            // the model gives under 10% were wrong three times in four; for financial and
            // security findings a veto cost more finds than it saved false alarms.
            veto: CATEGORIES.map(|category| {
                if category == Category::ReputationComplaint {
                    0.1
                } else {
                    0.0
                }
            }),
            // The judge, trained without sealed187-215 and scored on them and eight
            // sets written after them (6,552 posts): per category the highest bar
            // that dropped about two false findings or more for each true one lost.
            // Crisis 0.5 dropped 26 false for 6 true, financial 0.3 14 for 7,
            // security 0.2 13 for 8, complaint 0.3 (beside the finder's veto) 6 for
            // 2, abuse 0.1 6 for 2.
            judge: CATEGORIES.map(|category| match category {
                Category::LeakFinancial | Category::ReputationComplaint => 0.3,
                Category::LeakSecurity => 0.2,
                Category::ReputationCrisis => 0.5,
                Category::ReputationAbuse => 0.1,
                _ => 0.0,
            }),
        }
    }
}

/// Logistic regression, one output per category, by full-batch Adam over sparse
/// features; deterministic for the same examples in the same order.
pub fn train(examples: &[Example], names: &HashMap<u64, String>, training: Training) -> TextModel {
    let mut posts_with: HashMap<u64, usize> = HashMap::new();
    for example in examples {
        // Keys are sorted: count each once per post.
        for (index, &key) in example.keys.iter().enumerate() {
            if index == 0 || example.keys[index - 1] != key {
                *posts_with.entry(key).or_default() += 1;
            }
        }
    }
    let mut vocabulary: Vec<u64> = posts_with
        .into_iter()
        .filter(|&(key, posts)| posts >= training.min_posts && names.contains_key(&key))
        .map(|(key, _)| key)
        .collect();
    vocabulary.sort_unstable();
    let column: HashMap<u64, usize> = vocabulary
        .iter()
        .enumerate()
        .map(|(i, &k)| (k, i))
        .collect();
    let rows: Vec<Vec<usize>> = examples
        .iter()
        .map(|example| {
            example
                .keys
                .iter()
                .filter_map(|key| column.get(key).copied())
                .collect()
        })
        .collect();

    // What the rules found is the judge's to weigh: the finder's weights of it stay 0.
    let first_learned: Vec<usize> = vocabulary
        .iter()
        .map(|key| if is_judge_only(&names[key]) { N } else { 0 })
        .collect();
    let features = vocabulary.len();
    let mut weights = vec![[0.0f32; W]; features];
    let mut bias = [0.0f32; W];
    let (mut m, mut v) = (vec![[0.0f32; W]; features], vec![[0.0f32; W]; features]);
    let (mut m_bias, mut v_bias) = ([0.0f32; W], [0.0f32; W]);
    let (beta1, beta2, epsilon) = (0.9f32, 0.999f32, 1e-8f32);
    let scale = 1.0 / examples.len().max(1) as f32;
    let mut gradient = vec![[0.0f32; W]; features];
    for step in 1..=training.steps {
        for (g, w) in gradient.iter_mut().zip(&weights) {
            *g = w.map(|w| training.l2 * w);
        }
        let mut gradient_bias = [0.0f32; W];
        for (example, row) in examples.iter().zip(&rows) {
            let mut logits = bias;
            for &column in row {
                for (logit, weight) in logits.iter_mut().zip(&weights[column]) {
                    *logit += weight;
                }
            }
            let mut error = [0.0f32; W];
            for slot in 0..W {
                let target = if example.labels[slot % N] { 1.0 } else { 0.0 };
                error[slot] = (sigmoid(logits[slot]) - target) * scale;
                gradient_bias[slot] += error[slot];
            }
            for &column in row {
                for (g, e) in gradient[column].iter_mut().zip(&error) {
                    *g += e;
                }
            }
        }
        let correction1 = 1.0 - beta1.powi(step as i32);
        let correction2 = 1.0 - beta2.powi(step as i32);
        let adam = |weight: &mut f32, m: &mut f32, v: &mut f32, g: f32| {
            *m = beta1 * *m + (1.0 - beta1) * g;
            *v = beta2 * *v + (1.0 - beta2) * g * g;
            *weight -=
                training.learning_rate * (*m / correction1) / ((*v / correction2).sqrt() + epsilon);
        };
        for column in 0..features {
            for slot in first_learned[column]..W {
                adam(
                    &mut weights[column][slot],
                    &mut m[column][slot],
                    &mut v[column][slot],
                    gradient[column][slot],
                );
            }
        }
        for slot in 0..W {
            adam(
                &mut bias[slot],
                &mut m_bias[slot],
                &mut v_bias[slot],
                gradient_bias[slot],
            );
        }
    }

    let mut model = TextModel {
        weights: KeyMap::default(),
        names: KeyMap::default(),
        known_words: Vec::new(),
        whole_words: Default::default(),
        bias,
        threshold: training.threshold,
        veto: training.veto,
        judge: training.judge,
    };
    for (column, key) in vocabulary.iter().enumerate() {
        let row = weights[column];
        if row.iter().all(|w| w.abs() < training.prune_below) {
            continue;
        }
        model.insert(*key, names[key].clone(), row);
    }
    // Words of the training posts whose own weight was left out but whose pieces
    // count: listed, so they too cost one look-up.
    model.known_words = vocabulary
        .iter()
        .filter(|key| !model.weights.contains_key(key))
        .filter_map(|key| names[key].strip_prefix("w:"))
        .filter(|word| has_pieces(word))
        .map(str::to_string)
        .collect();
    model.index_whole_words();
    model
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The features of `text` and the text of every key.
    fn captured(
        text: &str,
        placeholders: &[(usize, usize, Placeholder)],
        role: AccountRole,
        mentioned: bool,
    ) -> (Vec<Feature>, HashMap<u64, String>) {
        let mut names = HashMap::new();
        let mut out = Vec::new();
        let mut capture = Capture {
            features: &mut out,
            names: &mut names,
        };
        let post = Reading {
            folded: text,
            placeholders,
            emoji: &[],
            role,
            mentioned,
        };
        features(&post, &[], &mut capture);
        (out, names)
    }

    fn names_of(text: &str, placeholders: &[(usize, usize, Placeholder)]) -> Vec<String> {
        let (out, names) = captured(text, placeholders, AccountRole::Public, false);
        out.iter()
            .map(|feature| names[&feature.key].clone())
            .collect()
    }

    #[test]
    fn words_pieces_and_flags() {
        let names = names_of("nog steeds 12345 geen terugbetaling!!", &[]);
        for expected in [
            "w:nog",
            "w:steeds",
            "w:0000",
            "g:<ter",
            "g:ing>",
            "w:!",
            "b:steeds 0000",
            "b:terugbetaling !",
            "p:steeds",
            "w:=public",
        ] {
            assert!(
                names.contains(&expected.to_string()),
                "{expected} in {names:?}"
            );
        }
        // Short words give no pieces; no mention flag without a mention.
        assert!(
            !names
                .iter()
                .any(|name| name == "g:<nog" || name == "w:=mention")
        );
    }

    #[test]
    fn the_company_reads_as_a_placeholder() {
        let text = "de vista 55 van zephyr is kapot";
        let names = names_of(
            text,
            &[(3, 11, Placeholder::Product), (16, 22, Placeholder::Brand)],
        );
        let words: Vec<&String> = names.iter().filter(|name| name.starts_with("w:")).collect();
        assert_eq!(
            words[..6],
            ["w:de", "w:=product", "w:van", "w:=brand", "w:is", "w:kapot"]
        );
        assert!(names.contains(&"b:=product van".to_string()), "{names:?}");
        assert!(
            !names
                .iter()
                .any(|name| name.contains("zephyr") || name.contains("vista"))
        );
    }

    #[test]
    fn every_written_name_hashes_back_to_its_key() {
        let text = "wéér 🙃 storing bij de klantenservice, écht?";
        let (_, names) = captured(text, &[], AccountRole::Employee, true);
        for (key, name) in &names {
            assert_eq!(key_of(name), Some(*key), "{name}");
        }
    }

    fn example(text: &str, labels: &[Category]) -> (Example, HashMap<u64, String>) {
        let (out, names) = captured(text, &[], AccountRole::Public, true);
        (Example::new(&out, labels), names)
    }

    #[test]
    fn training_learns_words_and_the_file_round_trips() {
        let mut names = HashMap::new();
        let mut examples = Vec::new();
        let complaints = [
            "al drie weken wachten op mijn terugbetaling",
            "weer wachten, niemand neemt op",
            "wachten wachten en nog eens wachten",
        ];
        let benign = [
            "mooie dag vandaag",
            "leuke winkel, fijne mensen",
            "goed product",
        ];
        for _ in 0..3 {
            for text in complaints {
                let (e, n) = example(text, &[Category::ReputationComplaint]);
                examples.push(e);
                names.extend(n);
            }
            for text in benign {
                let (e, n) = example(text, &[]);
                examples.push(e);
                names.extend(n);
            }
        }
        let model = train(&examples, &names, Training::default());
        let complaint = |text: &str| {
            let mut out = Vec::new();
            public_features(text, &[], &mut out);
            model.probabilities(&out)[2]
        };
        assert!(complaint("nog steeds wachten op terugbetaling") > 0.9);
        assert!(complaint("fijne dag, mooie winkel") < 0.1);

        let file = model.to_file("test");
        let loaded = TextModel::parse("test.tsv", &file).unwrap();
        assert_eq!(loaded.len(), model.len());
        assert_eq!(loaded.veto, Training::default().veto);
        let mut out = Vec::new();
        public_features("wachten op terugbetaling", &[], &mut out);
        let (a, b) = (model.probabilities(&out), loaded.probabilities(&out));
        for slot in 0..N {
            assert!((a[slot] - b[slot]).abs() < 1e-3);
        }
        let opinions = loaded.opinions(&out, |_| true);
        assert_eq!(opinions.len(), 1);
        assert_eq!(opinions[0].rule, "learned.reputation.complaint");
        assert_eq!(
            &"wachten op terugbetaling"[opinions[0].start..opinions[0].end],
            "wachten"
        );
        assert!(
            loaded
                .opinions(&out, |c| c != Category::ReputationComplaint)
                .is_empty()
        );
    }

    #[test]
    fn emoji_are_read_from_the_original_with_their_folded_place() {
        let original = "Kaascrisis 😂😂 bij ons 🙄 👍🏽";
        let folded = crate::normalize::normalize(original);
        let emoji = emoji_of(original, &folded);
        // 🙄 is a word of the folded text already; the skin tone is no emoji of its own.
        let symbols: Vec<&str> = emoji.iter().map(|&(_, symbol)| symbol).collect();
        assert_eq!(symbols, ["😂", "😂", "👍"]);
        // Each points at the gap it became in the folded text, or at the character
        // before it at the end.
        assert_eq!(folded.text, "kaascrisis bij ons 🙄");
        assert_eq!((emoji[0].0, emoji[1].0), (10, 10));
        assert_eq!(emoji[2].0, folded.text.find('🙄').unwrap());
        assert!(
            emoji_of(
                "plain ascii text",
                &crate::normalize::normalize("plain ascii text")
            )
            .is_empty()
        );
        assert!(emoji_of("😂", &crate::normalize::normalize("😂")).is_empty());
    }

    #[test]
    fn known_words_in_one_look_up_give_the_same_probabilities() {
        let model = TextModel::builtin();
        for text in [
            "al weken wachten op mijn terugbetaling, klantenservice reageert niet!!",
            "we moeten 200 mensen ontslaan, de cijfers zijn slecht 😞",
            "data breach gisteren, alle klantgegevens liggen op straat",
            "xyzzyqwert onbekendewoordenbrij 12345678",
        ] {
            // The first word read as itself, as the brand and as a product.
            let first = text.find(' ').unwrap_or(text.len());
            let readings = [
                vec![],
                vec![(0, first, Placeholder::Brand)],
                vec![(0, first, Placeholder::Product)],
            ];
            let roles = [
                AccountRole::Employee,
                AccountRole::Corporate,
                AccountRole::Public,
            ];
            // Emoji the model knows and one it does not, at the text's end.
            let emoji = [(text.len() - 1, "😂"), (text.len() - 1, "🫠"), (0, "🔥")];
            for (placeholders, role) in readings.iter().flat_map(|p| roles.map(|r| (p, r))) {
                let mut captured = Vec::new();
                let post = Reading {
                    folded: text,
                    placeholders,
                    emoji: &emoji,
                    role,
                    mentioned: true,
                };
                features(&post, &[], &mut captured);
                let mut logits = Logits::new(&model);
                features(&post, &[], &mut logits);
                let fast = logits.sums.map(sigmoid);
                let slow = model.probabilities(&captured);
                for slot in 0..N {
                    assert!(
                        (fast[slot] - slow[slot]).abs() < 1e-4,
                        "{text} {placeholders:?} {role:?}: {fast:?} {slow:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_broken_model_file_names_its_line() {
        let file = "categories\tleak.financial\tleak.security\treputation.complaint\nthreshold\t0.7\nbias\t0\t0\t0\nw:ok\t1\tx\t0\n";
        let error = TextModel::parse("m.tsv", file).unwrap_err();
        assert_eq!(error.line, 4);
        assert!(error.to_string().starts_with("m.tsv:4:"), "{error}");
        let veto = file.replace("w:ok\t1\tx\t0", "veto\t0\t0\t1.5");
        let error = TextModel::parse("m.tsv", &veto).unwrap_err();
        assert_eq!(
            (error.line, error.message.as_str()),
            (4, "a veto must be in [0, 1)")
        );
        let missing = TextModel::parse("m.tsv", "threshold\t0.7\n").unwrap_err();
        assert!(missing.message.contains("categories"));
    }

    #[test]
    fn every_rule_id_has_the_prefix_and_names_its_category() {
        for (rule, category) in RULE_IDS.iter().zip(CATEGORIES) {
            assert_eq!(rule.strip_prefix(RULE_PREFIX), Some(category.as_str()));
        }
    }

    #[test]
    fn the_builtin_model_loads() {
        let model = TextModel::builtin();
        assert!(model.len() > 1000, "{}", model.len());
        for threshold in model.threshold {
            assert!((0.5..1.0).contains(&threshold), "{threshold}");
        }
    }

    fn found(rule: &'static str, category: Category) -> Hit {
        Hit {
            rule,
            category,
            start: 0,
            end: 0,
            weight: 50,
            checksum_validated: false,
            sensitivity: crate::detect::hit::Sensitivity::Plain,
            canonical: None,
        }
    }

    /// The features of a public post that mentions the company, with what the rules
    /// `found` in it.
    fn public_features(text: &str, found: &[Hit], sink: &mut impl FeatureSink) {
        let post = Reading {
            folded: text,
            placeholders: &[],
            emoji: &[],
            role: AccountRole::Public,
            mentioned: true,
        };
        features(&post, found, sink);
    }

    #[test]
    fn what_the_rules_found_is_read_once_and_by_the_judge_alone() {
        let crisis = Category::ReputationCrisis;
        let hits = [
            found("c.blast", crisis),
            found("c.blast", crisis),
            found("c.fire", crisis),
        ];
        let mut names = HashMap::new();
        let mut out = Vec::new();
        let mut capture = Capture {
            features: &mut out,
            names: &mut names,
        };
        public_features("boem", &hits, &mut capture);
        let found_names: Vec<&str> = out
            .iter()
            .map(|feature| names[&feature.key].as_str())
            .filter(|name| name.starts_with("f:"))
            .collect();
        assert_eq!(
            found_names,
            ["f:reputation.crisis", "f:c.blast", "f:c.fire"]
        );

        // A rule that fires on jokes as often as on crises: the judge learns to trust
        // it only without the joke; the finder never weighs what the rules found.
        let mut examples = Vec::new();
        let mut names = HashMap::new();
        for _ in 0..4 {
            for (text, fired, labels) in [
                ("explosie in de fabriek gewonden", true, &[crisis][..]),
                ("explosie in de hal gewonden", true, &[crisis][..]),
                ("explosie van smaak haha", true, &[][..]),
                ("explosie van kleur haha", true, &[][..]),
                ("mooie fabriek", false, &[][..]),
            ] {
                let hits = if fired { &hits[..1] } else { &[][..] };
                let mut out = Vec::new();
                let mut capture = Capture {
                    features: &mut out,
                    names: &mut names,
                };
                public_features(text, hits, &mut capture);
                examples.push(Example::new(&out, labels));
            }
        }
        let model = train(&examples, &names, Training::default());
        let slot = CATEGORIES.iter().position(|&c| c == crisis).unwrap();
        let rule = model.weights[&found_key("c.blast")];
        assert_eq!(rule[..N], [0.0; N], "the finder has no weight for a rule");
        assert!(rule[N + slot] > 0.0, "{rule:?}");
        let judged = |text: &str| {
            let mut out = Vec::new();
            public_features(text, &hits[..1], &mut out);
            model.probabilities(&out)
        };
        let joke = judged("explosie van smaak haha");
        assert!(model.vetoes(crisis, &joke), "{joke:?}");
        let real = judged("explosie in de fabriek gewonden");
        assert!(!model.vetoes(crisis, &real), "{real:?}");

        // The file keeps the judge: its bars, and a judge column beside each of the
        // finder's.
        let file = model.to_file("judged");
        assert!(
            file.contains("\njudge\t0.3\t0.2\t0.3\t0.5\t0.1\n"),
            "{file}"
        );
        let bias = file
            .lines()
            .find(|line| line.starts_with("bias\t"))
            .unwrap();
        assert_eq!(bias.split('\t').count(), 1 + W);
        let loaded = TextModel::parse("judged.tsv", &file).unwrap();
        assert_eq!(loaded.judge, model.judge);
        let mut out = Vec::new();
        public_features("explosie van smaak haha", &hits[..1], &mut out);
        let again = loaded.probabilities(&out);
        for (a, b) in again.iter().zip(&joke) {
            assert!((a - b).abs() < 1e-3, "{again:?} {joke:?}");
        }
    }

    #[test]
    fn the_judge_line_comes_before_the_weights_and_doubles_them() {
        let file = "categories\treputation.crisis\nthreshold\t0.6\njudge\t0.5\n\
                    bias\t0\t0\nw:lol\t0\t-4\n";
        let model = TextModel::parse("judge.tsv", file).unwrap();
        let slot = CATEGORIES
            .iter()
            .position(|&c| c == Category::ReputationCrisis)
            .unwrap();
        let mut out = Vec::new();
        public_features("lol", &[], &mut out);
        let probabilities = model.probabilities(&out);
        assert!((probabilities[slot] - 0.5).abs() < 1e-6);
        assert!(probabilities[N + slot] < 0.05);
        assert!(model.vetoes(Category::ReputationCrisis, &probabilities));
        // One number per column where two are due.
        let short = file.replace("w:lol\t0\t-4", "w:lol\t-4");
        let error = TextModel::parse("judge.tsv", &short).unwrap_err();
        assert_eq!(
            (error.line, error.message.as_str()),
            (5, "expected 2 numbers, found 1")
        );
        let late = "categories\treputation.crisis\nthreshold\t0.6\nbias\t0\njudge\t0.5\n";
        let error = TextModel::parse("late.tsv", late).unwrap_err();
        assert_eq!(error.line, 4);
        assert!(
            error.message.contains("before the bias"),
            "{}",
            error.message
        );
        let wide = file.replace("judge\t0.5", "judge\t1.5");
        assert!(TextModel::parse("wide.tsv", &wide).is_err());
    }

    #[test]
    fn a_file_with_fewer_categories_in_another_order_loads_and_keeps_to_them() {
        // Written before crisis and abuse had a column, with its columns reordered.
        let file = "categories\treputation.complaint\tleak.financial\n\
                    threshold\t0.6\t0.8\nveto\t0.2\t0\nbias\t0\t0\nw:wachten\t3\t-1\n";
        let model = TextModel::parse("old.tsv", file).unwrap();
        let slot = |category| CATEGORIES.iter().position(|&c| c == category).unwrap();
        let (complaint, financial) = (
            slot(Category::ReputationComplaint),
            slot(Category::LeakFinancial),
        );
        assert_eq!(model.threshold[complaint], 0.6);
        assert_eq!(model.threshold[financial], 0.8);
        assert_eq!(model.veto[complaint], 0.2);
        let mut out = Vec::new();
        public_features("wachten", &[], &mut out);
        let probabilities = model.probabilities(&out);
        assert!(probabilities[complaint] > 0.9 && probabilities[financial] < 0.5);
        // A category the file has no column for is never reported and never vetoes,
        // whatever its probability (the bias of a missing column is 0: 50%).
        let opinions = model.opinions(&out, |_| true);
        let found: Vec<Category> = opinions.iter().map(|o| o.category).collect();
        assert_eq!(found, [Category::ReputationComplaint]);
        assert!(!model.vetoes(Category::ReputationCrisis, &[0.0; W]));
        // A file without a judge line has no judge: nothing else vetoes.
        assert!(!model.vetoes(Category::LeakFinancial, &[0.0; W]));
        // Written again, it keeps its two columns.
        let again = model.to_file("again");
        assert!(again.contains("\ncategories\tleak.financial\treputation.complaint\n"));
        let reloaded = TextModel::parse("again.tsv", &again).unwrap();
        assert_eq!(reloaded.threshold[complaint], 0.6);
        assert!(reloaded.threshold[slot(Category::ReputationCrisis)].is_infinite());
        // One threshold stands for every column.
        let one = file.replace("threshold\t0.6\t0.8", "threshold\t0.75");
        let model = TextModel::parse("one.tsv", &one).unwrap();
        assert_eq!(
            (model.threshold[complaint], model.threshold[financial]),
            (0.75, 0.75)
        );
        for (bad, message) in [
            (
                "categories\treputation.complaint\treputation.complaint",
                "listed twice",
            ),
            ("categories\treputation.spike", "is not one of"),
        ] {
            let error = TextModel::parse(
                "bad.tsv",
                &file.replace("categories\treputation.complaint\tleak.financial", bad),
            )
            .unwrap_err();
            assert_eq!(error.line, 1);
            assert!(error.message.contains(message), "{error}");
        }
        let late = "threshold\t0.7\ncategories\tleak.financial\n";
        let error = TextModel::parse("late.tsv", late).unwrap_err();
        assert_eq!(
            (error.line, error.message.as_str()),
            (1, "the categories line must come first")
        );
    }
}
