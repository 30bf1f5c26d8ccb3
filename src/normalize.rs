//! Text normalisation that defeats evasion without inventing matches, keeping a map
//! from every byte of the folded text back to the original text.
//!
//! Folding, in order, per character: NFKC (full-width and compatibility forms), case
//! folding, diacritics removed, look-alike letters from Cyrillic and Greek mapped to
//! Latin, zero-width and format characters dropped, any run of white space, emoji or
//! symbols between words collapsed to one space. Two passes then work on tokens:
//! digits inside a token that also has letters are read as leetspeak (`geh4ckt`,
//! `z3phyr`), and runs of three or more single letters separated by single gaps
//! (`p r i j s f o u t`) are joined. A `*` inside a word is kept, so masked swear
//! words (`f*ck`) stay matchable by the packs that list them.
//!
//! A few emoji carry meaning the packs need (🤫: "keep it quiet", 🙄: annoyance) and
//! are kept as tokens of their own; every other emoji is a gap. Gaps that held a line break
//! are remembered, because a line break ends a sentence.
//!
//! The structured detectors (secrets, personal data, prices) read original characters,
//! not the folded text; [`compact_for_identifiers`] gives them a copy without invisible
//! characters, with full-width letters, digits and signs and look-alike letters in ASCII,
//! and with spaced e-mail addresses and identifiers split one character at a time closed
//! up, whose spans map back exactly.

use std::ops::RangeInclusive;
use std::sync::LazyLock;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Folded text and the way back to the original.
#[derive(Debug, Clone, Default)]
pub struct Normalized {
    /// The folded text: lowercase ASCII-heavy, single spaces between tokens.
    pub text: String,
    /// For every byte of `text`, the original byte range of the character it came from.
    origin: Vec<(u32, u32)>,
    /// Byte positions in `text` of the gaps (spaces) that held a line break, ascending.
    line_breaks: Vec<usize>,
}

impl Normalized {
    /// The original byte range covered by the folded byte range `start..end`.
    ///
    /// # Panics
    ///
    /// Panics if `start >= end` or `end` is past the folded text.
    pub fn original_span(&self, start: usize, end: usize) -> (usize, usize) {
        assert!(start < end && end <= self.origin.len(), "bad folded span");
        let first = self.origin[start];
        let last = self.origin[end - 1];
        (first.0 as usize, last.1 as usize)
    }

    /// The folded byte where the original byte `original` ended up (or the first folded
    /// byte after it, when its character was dropped).
    pub fn folded_at(&self, original: usize) -> usize {
        self.origin
            .partition_point(|&(start, _)| (start as usize) < original)
            .min(self.text.len().saturating_sub(1))
    }

    /// Byte positions in `text` of the spaces that stand for a line break, ascending.
    pub fn line_breaks(&self) -> &[usize] {
        &self.line_breaks
    }

    /// Whether the folded range was glued together from parts the original kept
    /// apart: spaced-out letters (`b o y c o t t u l p a i r`) or characters with
    /// invisible ones between them.
    pub fn glued(&self, range: std::ops::Range<usize>) -> bool {
        let end = range.end.min(self.origin.len());
        (range.start..end.saturating_sub(1)).any(|at| {
            let (here, next) = (self.origin[at], self.origin[at + 1]);
            here != next && here.1 < next.0
        })
    }
}

/// A folded character: `Letter` and `Digit` build tokens, `Gap` separates them.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Word,
    Gap,
}

/// The folded text as it is built, with the way back to the original.
struct Builder {
    /// The folded text so far, as UTF-8 of whole characters; a gap is a space,
    /// [`LINE_GAP`] or [`WIDE_GAP`] until `finish` writes every gap as a space.
    text: Vec<u8>,
    /// For every byte of `text`, the original byte range of the character it came from.
    origin: Vec<(u32, u32)>,
    /// Byte positions in `text` of the gaps written as [`LINE_GAP`] or [`WIDE_GAP`],
    /// ascending: the only bytes `finish` rewrites.
    marked_gaps: Vec<usize>,
    /// The last character pushed was a kept emoji: the next word character needs a gap.
    after_symbol: bool,
}

/// The gap byte while building: a line break gap is kept apart from a plain one
/// until `finish`, which writes both as a space.
const LINE_GAP: u8 = b'\n';
/// A gap of two or more blanks, which ends a run of spaced letters
/// (`L u m e n   T h u i s` is two words); it becomes one space.
const WIDE_GAP: u8 = b'\t';

/// Whether a byte of the text being built is a gap. No other character holds these
/// bytes: white space always becomes a gap, and every byte of a non-ASCII
/// character is 0x80 or more.
fn is_gap(byte: u8) -> bool {
    matches!(byte, b' ' | LINE_GAP | WIDE_GAP)
}

/// `char::is_whitespace` on an ASCII byte: space, tab, line feed, vertical tab, form
/// feed, carriage return.
fn is_ascii_blank(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t'..=b'\r')
}

/// Folds `text` for matching. Rule patterns go through the same function, so a
/// pattern and a post agree on every folding step.
pub fn normalize(text: &str) -> Normalized {
    let mut builder = Builder {
        text: Vec::with_capacity(text.len()),
        origin: Vec::with_capacity(text.len()),
        marked_gaps: Vec::new(),
        after_symbol: false,
    };
    let bytes = text.as_bytes();
    let mut offset = 0;
    while offset < bytes.len() {
        let byte = bytes[offset];
        if is_ascii_blank(byte) {
            let start = offset as u32;
            builder.push_gap(matches!(byte, b'\n' | b'\r'), start, start + 1);
            offset += 1;
            continue;
        }
        if byte.is_ascii() {
            // Fast path: most posts are mostly ASCII, and an ASCII byte folds to one
            // byte of its own, so a stretch of them goes in at once.
            let end = plain_ascii_end(bytes, offset);
            builder.push_plain_ascii(&bytes[offset..end], offset as u32);
            offset = end;
            continue;
        }
        let original = text[offset..]
            .chars()
            .next()
            .expect("a character starts here");
        let start = offset as u32;
        offset += original.len_utf8();
        let end = offset as u32;
        fold_char(original, |folded| builder.push(folded, start, end));
    }
    builder.finish()
}

/// Where the stretch of plain ASCII text that starts with the word character at
/// `start` ends: words of ASCII bytes with single spaces between them, which fold byte
/// for byte (each space is a gap of its own). A space that is not followed by an ASCII
/// word character is left out, as it may widen into a wider gap.
fn plain_ascii_end(bytes: &[u8], start: usize) -> usize {
    let is_word = |byte: &u8| byte.is_ascii() && !is_ascii_blank(*byte);
    let mut end = start;
    loop {
        end += bytes[end..]
            .iter()
            .position(|byte| !is_word(byte))
            .unwrap_or(bytes.len() - end);
        if bytes.get(end) == Some(&b' ') && bytes.get(end + 1).is_some_and(is_word) {
            end += 2;
        } else {
            return end;
        }
    }
}

/// Folds one non-ASCII character (ASCII takes [`Builder::push_plain_ascii`]): looked
/// up for the characters posts hold most ([`COMMON`]), computed for the others.
fn fold_char(original: char, mut emit: impl FnMut(char)) {
    match COMMON_FOLDS.get(original) {
        Some(folded) => folded.iter().for_each(|&c| emit(c)),
        None => compute_fold(original, emit),
    }
}

/// The folding of one character: nothing for an invisible one; otherwise NFKC, case
/// folding, diacritics removed and look-alike letters mapped to Latin.
fn compute_fold(original: char, mut emit: impl FnMut(char)) {
    if is_invisible(original) {
        return;
    }
    for compatible in std::iter::once(original).nfkc() {
        for lower in compatible.to_lowercase() {
            for base in std::iter::once(lower).nfd() {
                if is_combining_mark(base) {
                    continue;
                }
                emit(confusable_to_latin(base).unwrap_or(base));
            }
        }
    }
}

/// Whether `original` holds characters that only disguise letters: full-width forms,
/// Cyrillic or Greek look-alikes, or invisible characters. Diacritics do not count.
pub fn is_disguised(original: &str) -> bool {
    original.chars().any(|c| {
        is_hidden_or_wide(c)
            || c.to_lowercase()
                .any(|lower| confusable_to_latin(lower).is_some())
    })
}

/// An invisible character or a full-width form: what [`compact_for_identifiers`]
/// removes or writes in ASCII.
fn is_hidden_or_wide(c: char) -> bool {
    !c.is_ascii() && (is_invisible(c) || from_full_width(c).is_some())
}

/// The code points whose folding is looked up rather than computed, as posts hold
/// them most: Latin-1 Supplement and Latin Extended-A and -B (accented letters, the
/// no-break space), General Punctuation and Currency Symbols (dashes, quotes, `…`,
/// zero-width characters, `€`) and the emoji blocks.
const COMMON: [RangeInclusive<u32>; 3] = [0x80..=0x24F, 0x2000..=0x20CF, 0x1F300..=0x1FAFF];

/// The foldings of the [`COMMON`] code points, computed once by [`compute_fold`].
static COMMON_FOLDS: LazyLock<FoldTable> = LazyLock::new(FoldTable::new);

/// Folded characters by code point, for the [`COMMON`] ranges.
struct FoldTable {
    /// For every common code point in order, where its folded characters start in
    /// `chars`; one more entry ends the last.
    starts: Vec<u32>,
    chars: Vec<char>,
}

impl FoldTable {
    fn new() -> FoldTable {
        let mut table = FoldTable {
            starts: vec![0],
            chars: Vec::new(),
        };
        for code in COMMON.iter().cloned().flatten() {
            if let Some(c) = char::from_u32(code) {
                compute_fold(c, |folded| table.chars.push(folded));
            }
            table.starts.push(table.chars.len() as u32);
        }
        table
    }

    /// The folded characters of `c`, when it is a common one.
    fn get(&self, c: char) -> Option<&[char]> {
        let code = u32::from(c);
        let mut index = 0;
        for range in &COMMON {
            if range.contains(&code) {
                let at = index + (code - range.start()) as usize;
                let (start, end) = (self.starts[at], self.starts[at + 1]);
                return Some(&self.chars[start as usize..end as usize]);
            }
            index += (range.end() - range.start() + 1) as usize;
        }
        None
    }
}

/// Zero-width and format characters that hide inside words.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{E0000}'..='\u{E007F}')
}

/// A copy of a post for the structured detectors (secrets, personal data, prices), which
/// read the original characters rather than the folded text: invisible format
/// characters are removed (`shp\u{200B}at_…` is one token again), full-width letters,
/// digits and signs become their ASCII forms (`６９９１８８８５４` is a number again),
/// so do Unicode hyphens and dashes (`06‑11079406` is a phone number again)
/// and Cyrillic or Greek look-alike letters (`wachtwоrd`) become Latin; an e-mail
/// address written with spaces around its `@` and dots (`m . vandijk84 @ ziggo . nl`)
/// and an identifier split one character at a time (`N.L.2.7.A.B.N.A…`) are closed
/// up. Every byte of the copy knows the original character it came from, so spans map
/// back exactly.
#[derive(Debug, Clone)]
pub struct Compacted {
    /// The compacted text.
    pub text: String,
    /// For every byte of `text`, the original byte range of the character it came
    /// from (one byte of it, for a character copied as it is).
    origin: Vec<(u32, u32)>,
}

impl Compacted {
    /// The original byte range of the compacted byte range `start..end` (from the
    /// first kept byte to the last one, so removed characters inside stay covered).
    ///
    /// # Panics
    ///
    /// Panics if `end` is past the compacted text.
    pub fn original_span(&self, start: usize, end: usize) -> (usize, usize) {
        if start >= end {
            let at = self.origin.get(start).map_or_else(
                || self.origin.last().map_or(0, |&(_, end)| end as usize),
                |&(start, _)| start as usize,
            );
            return (at, at);
        }
        (
            self.origin[start].0 as usize,
            self.origin[end - 1].1 as usize,
        )
    }

    /// Where the original byte offset `offset` falls in the compacted text: the first
    /// compacted byte from an original character at or after it (the compacted length
    /// for the end of the text).
    pub fn compacted_offset(&self, offset: usize) -> usize {
        self.origin
            .partition_point(|&(start, _)| (start as usize) < offset)
    }
}

/// A hyphen or dash other than ASCII's (the non-breaking hyphen of `06‑11079406`, the
/// figure and en dashes, the minus sign), written `-` for the structured detectors.
fn ascii_dash(c: char) -> Option<char> {
    matches!(c, '\u{2010}'..='\u{2013}' | '\u{2212}').then_some('-')
}

/// The ASCII form of a full-width character (U+FF01–U+FF5E, and the ideographic
/// space), which NFKC would give too.
fn from_full_width(c: char) -> Option<char> {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0),
        '\u{3000}' => Some(' '),
        _ => None,
    }
}

/// The [`Compacted`] copy of `text`, or `None` when nothing needs to change (the
/// common case: two scans over the bytes, no allocation for plain ASCII without a
/// spaced `@` or an identifier split one character at a time).
pub fn compact_for_identifiers(text: &str) -> Option<Compacted> {
    let has_hidden_wide_dash_or_look_alike = !text.is_ascii()
        && text.chars().any(|c| {
            is_hidden_or_wide(c) || ascii_dash(c).is_some() || latin_look_alike(c).is_some()
        });
    let has_spaced_at = text.contains(" @ ");
    let has_split = has_split_characters(text.as_bytes());
    if !has_hidden_wide_dash_or_look_alike && !has_spaced_at && !has_split {
        return None;
    }
    let chars: Vec<(usize, char)> = text
        .char_indices()
        .filter(|(_, c)| !is_invisible(*c))
        .collect();
    let mut drop = vec![false; chars.len()];
    if has_spaced_at {
        close_up_spaced_emails(&chars, &mut drop);
    }
    if has_split {
        close_up_split_characters(&chars, &mut drop);
    }
    let mut compacted = Compacted {
        text: String::with_capacity(text.len()),
        origin: Vec::with_capacity(text.len()),
    };
    for (&(offset, c), &dropped) in chars.iter().zip(&drop) {
        if dropped {
            continue;
        }
        let before = compacted.text.len();
        match from_full_width(c)
            .or_else(|| ascii_dash(c))
            .or_else(|| latin_look_alike(c))
        {
            Some(ascii) => {
                compacted.text.push(ascii);
                let end = (offset + c.len_utf8()) as u32;
                compacted.origin.push((offset as u32, end));
            }
            None => {
                compacted.text.push(c);
                let width = compacted.text.len() - before;
                compacted
                    .origin
                    .extend((0..width).map(|i| ((offset + i) as u32, (offset + i + 1) as u32)));
            }
        }
    }
    Some(compacted)
}

/// The separators that split an identifier one character at a time
/// (`N.L.2.7.A.B.N.A…`, `0 6 - 1 2` is not one: the separator must stay the same).
const SPLIT_SEPARATORS: &[u8] = b" .-_*|/";
/// The fewest single characters that make a split identifier: no identifier the
/// detectors validate is shorter, and "a b c" or "v.d.m." in prose are.
const MIN_SPLIT_CHARACTERS: usize = 8;

/// Whether `text` has [`MIN_SPLIT_CHARACTERS`] single ASCII letters or digits in a
/// row, each one from the next by the same separator. One pass over the bytes.
fn has_split_characters(text: &[u8]) -> bool {
    split_runs(text).next().is_some()
}

/// The byte ranges of the runs [`has_split_characters`] looks for, each from its first
/// character to its last.
fn split_runs(text: &[u8]) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    let single = move |at: usize| {
        text[at].is_ascii_alphanumeric()
            && (at == 0 || !text[at - 1].is_ascii_alphanumeric())
            && text.get(at + 1).is_none_or(|b| !b.is_ascii_alphanumeric())
    };
    let mut at = 0;
    std::iter::from_fn(move || {
        while at + 2 < text.len() {
            let start = at;
            at += 1;
            if !single(start) || !SPLIT_SEPARATORS.contains(&text[start + 1]) {
                continue;
            }
            let separator = text[start + 1];
            let mut last = start;
            let mut count = 1;
            while last + 2 < text.len() && text[last + 1] == separator && single(last + 2) {
                last += 2;
                count += 1;
            }
            if count >= MIN_SPLIT_CHARACTERS {
                at = last + 1;
                return Some(start..last + 1);
            }
        }
        None
    })
}

/// Marks in `drop` the separators inside identifiers written one character at a time
/// (`N.L.2.7.A.B.N.A.0.4…`, `0 6 1 2 3 4 5 6 7 8`): the validated detectors then read
/// them whole, and a run that is no identifier still fails their checks.
fn close_up_split_characters(chars: &[(usize, char)], drop: &mut [bool]) {
    let text: Vec<u8> = chars
        .iter()
        .map(|&(_, c)| u8::try_from(c).unwrap_or(0xFF))
        .collect();
    for run in split_runs(&text) {
        for flag in drop[run].iter_mut().skip(1).step_by(2) {
            *flag = true;
        }
    }
}

/// Marks in `drop` the spaces inside e-mail addresses written as `name @ host . tld`
/// (also `first . last @ …`): the spaces on either side of a lone `@`, and of each
/// lone `.` that joins address parts next to it. A dot before a capital starts a new
/// sentence and ends the address.
fn close_up_spaced_emails(chars: &[(usize, char)], drop: &mut [bool]) {
    let is_part = |c: char| c.is_alphanumeric() || matches!(c, '_' | '-' | '+');
    let is_blank = |c: char| c == ' ' || c == '\u{A0}';
    // The index of the first non-blank character from `i` going by `step`, with at
    // most two blanks skipped.
    let skip_blanks = |mut i: isize, step: isize| -> Option<usize> {
        for _ in 0..3 {
            let c = chars.get(usize::try_from(i).ok()?)?.1;
            if !is_blank(c) {
                return Some(i as usize);
            }
            i += step;
        }
        None
    };
    let mark = |drop: &mut [bool], from: usize, to: usize| {
        for (i, flag) in drop.iter_mut().enumerate().take(to).skip(from) {
            if is_blank(chars[i].1) {
                *flag = true;
            }
        }
    };
    for at in 0..chars.len() {
        // Only a lone `@` (blanks on both sides): `@handle` and plain addresses stay.
        let lone = at > 0
            && chars.get(at + 1).is_some_and(|&(_, c)| is_blank(c))
            && is_blank(chars[at - 1].1);
        if chars[at].1 != '@' || !lone {
            continue;
        }
        let (Some(left), Some(right)) = (
            skip_blanks(at as isize - 1, -1),
            skip_blanks(at as isize + 1, 1),
        ) else {
            continue;
        };
        if !is_part(chars[left].1) || !is_part(chars[right].1) {
            continue;
        }
        mark(drop, left + 1, at);
        mark(drop, at + 1, right);
        // Leftwards: `first . last @`.
        let mut start = left;
        while start > 0 && is_part(chars[start - 1].1) {
            start -= 1;
        }
        while let Some(dot) = skip_blanks(start as isize - 1, -1) {
            if chars[dot].1 != '.' || dot == 0 {
                break;
            }
            let Some(prev) = skip_blanks(dot as isize - 1, -1) else {
                break;
            };
            if !is_part(chars[prev].1) {
                break;
            }
            mark(drop, prev + 1, start);
            start = prev;
            while start > 0 && is_part(chars[start - 1].1) {
                start -= 1;
            }
        }
        // Rightwards: `@ host . tld`.
        let mut end = right;
        while end + 1 < chars.len() && is_part(chars[end + 1].1) {
            end += 1;
        }
        while let Some(dot) = skip_blanks(end as isize + 1, 1) {
            if chars[dot].1 != '.' {
                break;
            }
            let Some(next) = skip_blanks(dot as isize + 1, 1) else {
                break;
            };
            let c = chars[next].1;
            if !is_part(c) || (next > dot + 1 && c.is_uppercase()) {
                break;
            }
            mark(drop, end + 1, next);
            end = next;
            while end + 1 < chars.len() && is_part(chars[end + 1].1) {
                end += 1;
            }
        }
    }
}

/// The Latin letter a Cyrillic or Greek look-alike stands for, in the same case
/// (`wachtwоrd` with a Cyrillic `о`), for the structured detectors' copy.
fn latin_look_alike(c: char) -> Option<char> {
    if c.is_ascii() {
        return None;
    }
    let mut lower = c.to_lowercase();
    let (Some(single), None) = (lower.next(), lower.next()) else {
        return None;
    };
    let latin = confusable_to_latin(single)?;
    Some(if c.is_uppercase() {
        latin.to_ascii_uppercase()
    } else {
        latin
    })
}

/// Cyrillic and Greek letters that look like Latin ones (lowercase after folding).
fn confusable_to_latin(c: char) -> Option<char> {
    let latin = match c {
        'а' => 'a',
        'в' => 'b',
        'с' => 'c',
        'е' | 'ё' => 'e',
        'һ' => 'h',
        'і' | 'ї' => 'i',
        'ј' => 'j',
        'к' => 'k',
        'м' => 'm',
        'н' => 'h',
        'о' => 'o',
        'р' => 'p',
        'ѕ' => 's',
        'т' => 't',
        'у' => 'y',
        'х' => 'x',
        'ԁ' => 'd',
        'ԛ' => 'q',
        'ԝ' => 'w',
        'α' => 'a',
        'β' => 'b',
        'ε' => 'e',
        'η' => 'n',
        'ι' => 'i',
        'κ' => 'k',
        'ν' => 'v',
        'ο' => 'o',
        'ρ' => 'p',
        'τ' => 't',
        'υ' => 'u',
        'χ' => 'x',
        'ζ' => 'z',
        _ => return None,
    };
    Some(latin)
}

/// Emoji kept as tokens, because the packs read them: 🤫 🤐 🙊 ("keep it quiet") and
/// 🙄 😡 🤬 😤 😠 👎 🤡 💩 🙃 🤮 🤢 😑 😒 😕 🙁 ☹ 😞 (annoyance, contempt, sarcasm,
/// disgust, disappointment).
pub fn is_kept_symbol(c: char) -> bool {
    matches!(
        c,
        '\u{1F92B}'
            | '\u{1F910}'
            | '\u{1F64A}'
            | '\u{1F644}'
            | '\u{1F621}'
            | '\u{1F92C}'
            | '\u{1F624}'
            | '\u{1F620}'
            | '\u{1F44E}'
            | '\u{1F921}'
            | '\u{1F4A9}'
            | '\u{1F643}'
            | '\u{1F92E}'
            | '\u{1F922}'
            | '\u{1F611}'
            | '\u{1F612}'
            | '\u{1F615}'
            | '\u{1F641}'
            | '\u{2639}'
            | '\u{1F61E}'
    )
}

fn class_of(c: char) -> Class {
    if c.is_alphanumeric() || matches!(c, '*' | '@' | '$' | '€' | '£' | '%' | '#') {
        Class::Word
    } else if c.is_whitespace() || !c.is_ascii() {
        // Line breaks, emoji and other symbols between words all become one gap.
        Class::Gap
    } else {
        // ASCII punctuation is kept: it matters to URLs, prices and codes.
        Class::Word
    }
}

impl Builder {
    /// Whether the text so far ends in a word character (not in a gap, and not empty).
    fn ends_in_word(&self) -> bool {
        self.text.last().is_some_and(|&byte| !is_gap(byte))
    }

    /// [`Builder::push`] for a stretch of plain ASCII text ([`plain_ascii_end`]) at
    /// byte `start` of the original: every byte folds to itself, lower-cased (a space
    /// between two words is a gap of its own), and no ASCII byte is a kept symbol.
    fn push_plain_ascii(&mut self, stretch: &[u8], start: u32) {
        if self.after_symbol && self.ends_in_word() {
            self.text.push(b' ');
            self.origin.push((start, start));
        }
        let from = self.text.len();
        self.text.extend_from_slice(stretch);
        self.text[from..].make_ascii_lowercase();
        let end = start + stretch.len() as u32;
        self.origin.extend((start..end).map(|at| (at, at + 1)));
        self.after_symbol = false;
    }

    fn push_gap(&mut self, is_line_break: bool, start: u32, end: u32) {
        self.after_symbol = false;
        // A gap at the start is dropped.
        let Some(&previous) = self.text.last() else {
            return;
        };
        if !is_gap(previous) {
            if is_line_break {
                self.marked_gaps.push(self.text.len());
                self.text.push(LINE_GAP);
            } else {
                self.text.push(b' ');
            }
            self.origin.push((start, end));
            return;
        }
        // Extend the previous gap instead of adding another: a line break anywhere in
        // it makes it a line gap, and a second blank a wide one.
        let at = self.text.len() - 1;
        self.origin[at].1 = end;
        if previous == b' ' {
            self.marked_gaps.push(at);
        }
        if is_line_break {
            self.text[at] = LINE_GAP;
        } else if previous == b' ' {
            self.text[at] = WIDE_GAP;
        }
    }

    fn push(&mut self, c: char, start: u32, end: u32) {
        if !is_kept_symbol(c) && class_of(c) == Class::Gap {
            let is_line_break = matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}');
            self.push_gap(is_line_break, start, end);
            return;
        }
        let symbol = is_kept_symbol(c);
        let needs_gap = symbol || self.after_symbol;
        if needs_gap && self.ends_in_word() {
            self.text.push(b' ');
            self.origin.push((start, start));
        }
        self.push_char(c, (start, end));
        self.after_symbol = symbol;
    }

    /// Appends a character from the original range `span`.
    fn push_char(&mut self, c: char, span: (u32, u32)) {
        let mut buffer = [0; 4];
        let encoded = c.encode_utf8(&mut buffer).as_bytes();
        self.text.extend_from_slice(encoded);
        self.origin.extend(std::iter::repeat_n(span, encoded.len()));
    }

    fn finish(mut self) -> Normalized {
        if self.text.last().is_some_and(|&byte| is_gap(byte)) {
            self.text.pop();
            self.origin.pop();
            if self.marked_gaps.last() == Some(&self.text.len()) {
                self.marked_gaps.pop();
            }
        }
        fold_leetspeak(&mut self.text);
        if has_spaced_letters(&self.text) {
            self.join_spaced_letters();
        }
        let mut line_breaks = Vec::new();
        for &at in &self.marked_gaps {
            if self.text[at] == LINE_GAP {
                line_breaks.push(at);
            }
            self.text[at] = b' ';
        }
        Normalized {
            text: String::from_utf8(self.text).expect("the folded text holds whole characters"),
            origin: self.origin,
            line_breaks,
        }
    }

    /// Joins runs of at least three single letters separated by single gaps
    /// (`p r i j s f o u t` → `prijsfout`). A leetspeak digit in a run with three or
    /// more real letters is its letter (`d 4 t a l e k` → `datalek`). Few posts hold
    /// such a run ([`has_spaced_letters`] tells), so this goes character by character
    /// and builds the text, its origin and its marked gaps anew.
    fn join_spaced_letters(&mut self) {
        let chars: Vec<(char, (u32, u32))> = std::str::from_utf8(&self.text)
            .expect("the folded text holds whole characters")
            .char_indices()
            .map(|(at, c)| (c, self.origin[at]))
            .collect();
        let is_letter = |index: usize| chars.get(index).is_some_and(|&(c, _)| is_spaced_letter(c));
        let is_ascii_where = |index: usize, test: fn(u8) -> bool| {
            chars
                .get(index)
                .is_some_and(|&(c, _)| u8::try_from(c).is_ok_and(test))
        };
        // A single letter: a letter with a separator, a wider gap (or the edge) on
        // each side.
        let single = |index: usize| {
            is_letter(index)
                && (index == 0 || is_ascii_where(index - 1, is_boundary))
                && (index + 1 == chars.len() || is_ascii_where(index + 1, is_boundary))
        };
        self.text.clear();
        self.origin.clear();
        self.marked_gaps.clear();
        let mut index = 0;
        while index < chars.len() {
            if single(index) {
                let mut run_end = index;
                while single(run_end + 2)
                    && is_ascii_where(run_end + 1, is_separator)
                    && chars[run_end + 1].0 == chars.get(index + 1).map_or(' ', |entry| entry.0)
                {
                    run_end += 2;
                }
                let letters = (run_end - index) / 2 + 1;
                let real_letters = (index..=run_end)
                    .step_by(2)
                    .filter(|&at| chars[at].0.is_alphabetic())
                    .count();
                if letters >= 3 && real_letters >= 3 {
                    for letter in (index..=run_end).step_by(2) {
                        let (c, span) = chars[letter];
                        self.push_char(leet_letter(c).unwrap_or(c), span);
                    }
                    index = run_end + 1;
                    continue;
                }
            }
            let (c, span) = chars[index];
            if matches!(u8::try_from(c), Ok(LINE_GAP | WIDE_GAP)) {
                self.marked_gaps.push(self.text.len());
            }
            self.push_char(c, span);
            index += 1;
        }
    }
}

/// The character of the folded text (UTF-8 of whole characters) that starts at
/// byte `at`.
fn char_at(text: &[u8], at: usize) -> char {
    let width = match text[at] {
        byte @ 0..=0x7F => return char::from(byte),
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    };
    std::str::from_utf8(&text[at..at + width])
        .ok()
        .and_then(|character| character.chars().next())
        .expect("a character starts here")
}

/// The character of the folded text that starts at byte `at`, if any.
fn char_after(text: &[u8], at: usize) -> Option<char> {
    (at < text.len()).then(|| char_at(text, at))
}

/// The character of the folded text that ends right before byte `at`, if any.
fn char_before(text: &[u8], at: usize) -> Option<char> {
    // Continuation bytes of UTF-8 are 0b10xx_xxxx; the character starts at the last
    // byte that is not one.
    let start = text[..at].iter().rposition(|&byte| byte & 0xC0 != 0x80)?;
    Some(char_at(text, start))
}

/// The letter an ASCII digit or sign reads as in leetspeak.
fn leet_byte(byte: u8) -> Option<u8> {
    Some(match byte {
        b'0' => b'o',
        b'1' => b'i',
        b'3' => b'e',
        b'4' => b'a',
        b'5' => b's',
        b'7' => b't',
        b'@' => b'a',
        b'$' => b's',
        _ => return None,
    })
}

fn leet_letter(c: char) -> Option<char> {
    u8::try_from(c).ok().and_then(leet_byte).map(char::from)
}

/// A character of a leetspeak token: a letter, a digit, `@` or `$`.
fn is_token_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '@' | '$')
}

/// Inside a token of letters and digits that holds at least two letters, digits that
/// look like letters are read as letters (`d4t4l3k` → `datalek`). Pure numbers,
/// prices and codes like `Q4` (one letter) are left alone; e-mail addresses keep `@`.
fn fold_leetspeak(text: &mut [u8]) {
    // Only a token holding a byte that reads as a letter can change: each is found by
    // its first such byte and then read whole.
    let mut from = 0;
    while let Some(found) = text[from..]
        .iter()
        .position(|&byte| leet_byte(byte).is_some())
    {
        let mut start = from + found;
        while let Some(c) = char_before(text, start).filter(|&c| is_token_char(c)) {
            start -= c.len_utf8();
        }
        let mut end = from + found;
        while let Some(c) = char_after(text, end).filter(|&c| is_token_char(c)) {
            end += c.len_utf8();
        }
        let token = std::str::from_utf8(&text[start..end]).expect("a token of whole characters");
        let (mut length, mut letters, mut leet, mut ats) = (0, 0, 0, 0);
        for c in token.chars() {
            length += 1;
            letters += usize::from(c.is_alphabetic());
            leet += usize::from(leet_letter(c).is_some());
            ats += usize::from(c == '@');
        }
        // A mail or URL host goes on after the token: `x@intra.acme.nl`, and the
        // `user@db-prod-01.acme.local` of a database URL, whose host an internal
        // domain of the profile must still match.
        let is_handle_or_mail = ats > 0 && text[start] == b'@'
            || ats == 1 && letters > 0 && matches!(text.get(end), Some(b'.' | b'-'));
        if letters >= 2 && leet > 0 && leet < length && !is_handle_or_mail {
            for byte in &mut text[start..end] {
                if let Some(letter) = leet_byte(*byte) {
                    *byte = letter;
                }
            }
        }
        from = end;
    }
}

/// A letter that can stand in a run of spaced letters: a letter, or a digit that
/// reads as one.
fn is_spaced_letter(c: char) -> bool {
    c.is_alphabetic() || (c.is_ascii_digit() && leet_letter(c).is_some())
}

/// What may stand between the letters of a run (all ASCII).
fn is_separator(byte: u8) -> bool {
    matches!(byte, b' ' | b'.' | b'-' | b'_')
}

/// What may stand on either side of a single letter (all ASCII). Punctuation, quotes
/// and brackets may open or close a run ("'P.r.o.j.e.c.t'", "w a c h t w o o r d:
/// …"), not continue it.
fn is_boundary(byte: u8) -> bool {
    is_separator(byte)
        || matches!(
            byte,
            WIDE_GAP
                | LINE_GAP
                | b':'
                | b','
                | b';'
                | b'!'
                | b'?'
                | b')'
                | b'('
                | b'['
                | b']'
                | b'"'
                | b'\''
        )
}

/// Whether the folded text holds two single letters with a separator between them
/// (`x a-b y`): what a run of spaced letters starts with. A single letter has a
/// separator, a wider gap (or the edge) on each side.
fn has_spaced_letters(text: &[u8]) -> bool {
    // Whether the character ending right before byte `at` is a single letter as far
    // as what stands before it goes.
    let single_before = |at: usize| match text[at - 1] {
        // ASCII: the boundary first, as most separators follow a longer word.
        byte if byte.is_ascii() => {
            (at == 1 || is_boundary(text[at - 2])) && is_spaced_letter(char::from(byte))
        }
        _ => char_before(text, at).is_some_and(|c| {
            let start = at - c.len_utf8();
            is_spaced_letter(c) && (start == 0 || is_boundary(text[start - 1]))
        }),
    };
    // Whether the character starting at byte `at` is a single letter as far as what
    // stands after it goes.
    let single_after = |at: usize| {
        let c = char_at(text, at);
        let end = at + c.len_utf8();
        is_spaced_letter(c) && (end == text.len() || is_boundary(text[end]))
    };
    (1..text.len().saturating_sub(1))
        .any(|at| is_separator(text[at]) && single_before(at) && single_after(at + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_evasions() {
        let cases = [
            ("Prijsföut!", "prijsfout!"),
            ("ＺＥＰＨＹＲ", "zephyr"),
            ("da\u{200B}ta\u{200B}lek", "datalek"),
            ("ont\u{00AD}slagen", "ontslagen"),
            ("Project\nKestrel", "project kestrel"),
            ("Project 🐦 Kestrel", "project kestrel"),
            ("geh4ckt z3phyr", "gehackt zephyr"),
            ("p r i j s f o u t bij", "prijsfout bij"),
            ("d.a.t.a.l.e.k", "datalek"),
            ("Zеphyr", "zephyr"), // Cyrillic е
            ("€149 Q4 2026", "€149 q4 2026"),
            ("a  b", "a b"),
            ("f*ck", "f*ck"),
            ("mail jan@zephyr.nl", "mail jan@zephyr.nl"),
            // the user of a database URL stays apart from its host
            ("rw:x@db-prod-01.acme.local", "rw:x@db-prod-01.acme.local"),
            ("ssst🤫 nog geheim", "ssst 🤫 nog geheim"),
            ("🤐🤐x", "🤐 🤐 x"),
            ("21:40 🙃🙃", "21:40 🙃 🙃"),
            ("Operatie 🦩 Lepelaar", "operatie lepelaar"),
            ("a\n\n b", "a b"),
            ("L u m e n   T h u i s", "lumen thuis"),
            ("p r i j s\nf o u t", "prijs fout"),
            // punctuation closes a run but does not continue it
            ("w a c h t w o o r d: x", "wachtwoord: x"),
            ("d 4 t a l e k bij", "datalek bij"),
            ("bel 0 6 1 2 3 4", "bel 0 6 1 2 3 4"),
            ("a 1 b", "a 1 b"),
            ("(p r i j s f o u t)", "(prijsfout)"),
            // quotes and brackets open and close a run too
            ("'P.r.o.j.e.c.t O.o.i.e.v.a.a.r'", "'project ooievaar'"),
            ("[d a t a l e k]", "[datalek]"),
            // ASCII white space of every kind is a gap; other control bytes are not.
            ("een\u{b}twee\u{c}drie\tvier", "een twee drie vier"),
            ("a\u{1}b", "a\u{1}b"),
        ];
        for (input, expected) in cases {
            assert_eq!(normalize(input).text, expected, "input {input:?}");
        }
    }

    #[test]
    fn remembers_line_breaks() {
        let cases: [(&str, &[usize]); 4] = [
            ("one two", &[]),
            ("one\ntwo", &[3]),
            ("Why I'm done\n\n  Three months", &[12]),
            ("a \r\n b\nc", &[1, 3]),
        ];
        for (input, expected) in cases {
            assert_eq!(normalize(input).line_breaks(), expected, "input {input:?}");
        }
    }

    /// The table gives every common code point the folding computed for it, and
    /// none for the code points around the ranges.
    #[test]
    fn common_foldings_are_the_computed_ones() {
        for code in COMMON.iter().cloned().flatten() {
            let Some(c) = char::from_u32(code) else {
                continue;
            };
            let mut computed = Vec::new();
            compute_fold(c, |folded| computed.push(folded));
            assert_eq!(COMMON_FOLDS.get(c), Some(computed.as_slice()), "{c:?}");
        }
        for c in [
            '\u{7F}',
            '\u{250}',
            '\u{1FFF}',
            '\u{20D0}',
            '\u{1F2FF}',
            '\u{1FB00}',
        ] {
            assert_eq!(COMMON_FOLDS.get(c), None, "{c:?}");
        }
    }

    /// Gaps, leetspeak and spaced letters beside non-ASCII characters, with the
    /// original range of every folded byte.
    #[test]
    fn folds_mixed_text_and_maps_every_byte() {
        type Case<'a> = (&'a str, &'a str, &'a [usize], &'a [(usize, usize)]);
        let cases: [Case; 8] = [
            (
                "ok 🙄ja",
                "ok 🙄 ja",
                &[],
                &[
                    (0, 1),
                    (1, 2),
                    (2, 3),
                    (3, 7),
                    (3, 7),
                    (3, 7),
                    (3, 7),
                    (7, 7),
                    (7, 8),
                    (8, 9),
                ],
            ),
            (
                "🙄\n\n x",
                "🙄 x",
                &[4],
                &[(0, 4), (0, 4), (0, 4), (0, 4), (4, 7), (7, 8)],
            ),
            (
                "a  \n b c d",
                "a bcd",
                &[1],
                &[(0, 1), (1, 5), (5, 6), (7, 8), (9, 10)],
            ),
            (
                "a \t b c d",
                "a bcd",
                &[],
                &[(0, 1), (1, 4), (4, 5), (6, 7), (8, 9)],
            ),
            ("$al3", "sale", &[], &[(0, 1), (1, 2), (2, 3), (3, 4)]),
            (
                "x é-ß-ø y",
                "x eßø y",
                &[],
                &[
                    (0, 1),
                    (1, 2),
                    (2, 4),
                    (5, 7),
                    (5, 7),
                    (8, 10),
                    (8, 10),
                    (10, 11),
                    (11, 12),
                ],
            ),
            ("ç4fé", "cafe", &[], &[(0, 2), (2, 3), (3, 4), (4, 6)]),
            (
                "é\u{200B}4 b c",
                "e4 b c",
                &[],
                &[(0, 2), (5, 6), (6, 7), (7, 8), (8, 9), (9, 10)],
            ),
        ];
        for (input, expected, line_breaks, origin) in cases {
            let folded = normalize(input);
            assert_eq!(folded.text, expected, "input {input:?}");
            assert_eq!(folded.line_breaks(), line_breaks, "input {input:?}");
            let spans: Vec<(usize, usize)> = (0..folded.text.len())
                .map(|at| folded.original_span(at, at + 1))
                .collect();
            assert_eq!(spans, origin, "input {input:?}");
        }
    }

    #[test]
    fn maps_back_to_original_offsets() {
        let text = "Zïp ＡＢ\u{200B}C end";
        let normalized = normalize(text);
        let found = normalized.text.find("abc").unwrap();
        let (start, end) = normalized.original_span(found, found + 3);
        assert_eq!(&text[start..end], "ＡＢ\u{200B}Ｃ".replace('Ｃ', "C"));
        let found = normalized.text.find("zip").unwrap();
        let (start, end) = normalized.original_span(found, found + 3);
        assert_eq!(&text[start..end], "Zïp");
    }

    #[test]
    fn compacts_for_identifiers_and_maps_back() {
        assert!(compact_for_identifiers("plain text, mail a@b.nl or @handle").is_none());
        let cases = [
            (
                "token shp\u{200B}at_abc end",
                "token shpat_abc end",
                "shpat_abc",
            ),
            (
                "mail: m . vandijk84 @ ziggo . nl. Thanks",
                "mail: m.vandijk84@ziggo.nl. Thanks",
                "m.vandijk84@ziggo.nl",
            ),
            ("jan @ example . com", "jan@example.com", "jan@example.com"),
            ("hi @ Velora . Next", "hi@Velora . Next", "hi@Velora"),
            // Full-width digits and letters: ASCII in the copy, whole characters back.
            ("bsn: ６９９１８８８５４!", "bsn: 699188854!", "699188854"),
            ("ＮＬ９１ABNA", "NL91ABNA", "NL91ABNA"),
            // A non-breaking hyphen or an en dash: `-` in the copy.
            ("bel 06\u{2011}11079406", "bel 06-11079406", "06-11079406"),
            ("06\u{2013}1234 5678", "06-1234 5678", "06-1234"),
            // An identifier written one character at a time, with one separator.
            (
                "bel 0 6 1 2 3 4 5 6 7 8 nu",
                "bel 0612345678 nu",
                "0612345678",
            ),
            // Look-alike letters from other scripts: Latin in the copy.
            ("wachtwоrd: Х1", "wachtword: X1", "wachtword"),
        ];
        let input = "op N.L.2.7.A.B.N.A.9.4.9.9 👍";
        let compacted = compact_for_identifiers(input).expect("changed");
        assert_eq!(compacted.text, "op NL27ABNA9499 👍");
        let (start, end) = compacted.original_span(3, 15);
        assert_eq!(&input[start..end], "N.L.2.7.A.B.N.A.9.4.9.9");
        // Too few single characters, mixed separators, or words: nothing to close up.
        for text in [
            "a b c d e",
            "N.L.2.7 A.B.N.A",
            "de v.d.m. in a b c",
            "1-2-3-4-5-6-7",
        ] {
            assert!(compact_for_identifiers(text).is_none(), "{text:?}");
        }
        for (input, expected, part) in cases {
            let compacted = compact_for_identifiers(input).expect("changed");
            assert_eq!(compacted.text, expected, "input {input:?}");
            let found = compacted.text.find(part).unwrap();
            let (start, end) = compacted.original_span(found, found + part.len());
            let original: String = input[start..end]
                .chars()
                .filter(|c| !is_invisible(*c) && *c != ' ')
                .map(|c| {
                    from_full_width(c)
                        .or_else(|| ascii_dash(c))
                        .or_else(|| latin_look_alike(c))
                        .unwrap_or(c)
                })
                .collect();
            assert_eq!(original, part, "input {input:?}");
        }
        // The span ends after the last full-width character, not inside it.
        let input = "nr ６９９";
        let compacted = compact_for_identifiers(input).unwrap();
        assert_eq!(compacted.original_span(3, 6), (3, input.len()));
    }
}
