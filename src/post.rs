//! The input post of CONTRACT §1 and the decode stage: bytes in, a `Post` or an
//! invalid-message reason out.

use chrono::{DateTime, FixedOffset};
use serde::Deserialize;
use serde_json::Value;
use std::fmt;

/// The largest post text accepted, in bytes (CONTRACT §1).
pub const MAX_TEXT_BYTES: usize = 64 * 1024;
/// The largest message accepted: the text limit plus room for the other fields.
pub const MAX_MESSAGE_BYTES: usize = MAX_TEXT_BYTES + 16 * 1024;
/// The longest post id accepted, in characters.
pub const MAX_ID_CHARS: usize = 256;

/// The platform a post was published on; unknown names become `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Platform {
    X,
    Twitter,
    Linkedin,
    Facebook,
    Instagram,
    Tiktok,
    Youtube,
    Reddit,
    Mastodon,
    Bluesky,
    Threads,
    Forum,
    Blog,
    Other,
}

impl Platform {
    pub fn parse(name: &str) -> Platform {
        match name.to_ascii_lowercase().as_str() {
            "x" => Platform::X,
            "twitter" => Platform::Twitter,
            "linkedin" => Platform::Linkedin,
            "facebook" => Platform::Facebook,
            "instagram" => Platform::Instagram,
            "tiktok" => Platform::Tiktok,
            "youtube" => Platform::Youtube,
            "reddit" => Platform::Reddit,
            "mastodon" => Platform::Mastodon,
            "bluesky" => Platform::Bluesky,
            "threads" => Platform::Threads,
            "forum" => Platform::Forum,
            "blog" => Platform::Blog,
            _ => Platform::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Platform::X => "x",
            Platform::Twitter => "twitter",
            Platform::Linkedin => "linkedin",
            Platform::Facebook => "facebook",
            Platform::Instagram => "instagram",
            Platform::Tiktok => "tiktok",
            Platform::Youtube => "youtube",
            Platform::Reddit => "reddit",
            Platform::Mastodon => "mastodon",
            Platform::Bluesky => "bluesky",
            Platform::Threads => "threads",
            Platform::Forum => "forum",
            Platform::Blog => "blog",
            Platform::Other => "other",
        }
    }
}

/// The kind of a post; unknown kinds are rejected, a missing kind is `Post`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PostKind {
    #[default]
    Post,
    Reply,
    Repost,
    Comment,
    Message,
}

/// One social-media post, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Post {
    pub id: String,
    pub platform: Platform,
    /// The platform name as sent, kept for alerts (bounded: only known names are
    /// used as metric labels, through `Platform`).
    pub kind: PostKind,
    pub handle: String,
    pub text: String,
    pub lang: Option<String>,
    pub created_at: DateTime<FixedOffset>,
    pub url: Option<String>,
    pub brand: Option<String>,
}

/// Why a message is not a valid post. The variants are the bounded `reason` label of
/// the dead-letter metric; the message names the offending value without echoing
/// post content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidPost {
    #[error("message is {size} bytes, limit is {limit}")]
    TooLarge { size: usize, limit: usize },
    #[error("message is not valid UTF-8 (first bad byte at offset {offset})")]
    NotUtf8 { offset: usize },
    #[error("message is not valid JSON: {detail}")]
    NotJson { detail: String },
    #[error("message is JSON but not an object")]
    NotAnObject,
    #[error("required field `{field}` is missing")]
    MissingField { field: &'static str },
    #[error("field `{field}` must be {expected}")]
    WrongType {
        field: &'static str,
        expected: &'static str,
    },
    #[error("post text is {size} bytes, limit is {limit}")]
    TextTooLarge { size: usize, limit: usize },
    #[error("field `id` is {chars} characters, must be 1 to {limit}")]
    BadId { chars: usize, limit: usize },
    #[error("field `kind` is `{kind}`, must be post, reply, repost, comment or message")]
    BadKind { kind: String },
    #[error("field `created_at` is not an RFC 3339 timestamp: {detail}")]
    BadTimestamp { detail: String },
}

impl InvalidPost {
    /// A short, bounded code for metrics and headers.
    pub fn code(&self) -> &'static str {
        match self {
            InvalidPost::TooLarge { .. } => "too_large",
            InvalidPost::NotUtf8 { .. } => "not_utf8",
            InvalidPost::NotJson { .. } => "not_json",
            InvalidPost::NotAnObject => "not_object",
            InvalidPost::MissingField { .. } => "missing_field",
            InvalidPost::WrongType { .. } => "wrong_type",
            InvalidPost::TextTooLarge { .. } => "text_too_large",
            InvalidPost::BadId { .. } => "bad_id",
            InvalidPost::BadKind { .. } => "bad_kind",
            InvalidPost::BadTimestamp { .. } => "bad_timestamp",
        }
    }

    /// Every reason code, so metrics can be pre-registered at zero.
    pub const CODES: [&'static str; 10] = [
        "too_large",
        "not_utf8",
        "not_json",
        "not_object",
        "missing_field",
        "wrong_type",
        "text_too_large",
        "bad_id",
        "bad_kind",
        "bad_timestamp",
    ];
}

/// The failure of `decode`: the reason, and the post id when one could be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    pub id: Option<String>,
    pub reason: InvalidPost,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.reason.fmt(f)
    }
}

/// Decodes one message value into a post.
///
/// # Errors
///
/// Returns the first problem found, in the order: size, UTF-8, JSON syntax, then the
/// fields `id`, `platform`, `account.handle`, `text`, `created_at`, and the optional
/// ones. The id is reported whenever it could be read.
pub fn decode(bytes: &[u8]) -> Result<Post, DecodeError> {
    let fail = |id: Option<String>, reason| DecodeError { id, reason };
    if bytes.len() > MAX_MESSAGE_BYTES {
        return Err(fail(
            None,
            InvalidPost::TooLarge {
                size: bytes.len(),
                limit: MAX_MESSAGE_BYTES,
            },
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|error| {
        fail(
            None,
            InvalidPost::NotUtf8 {
                offset: error.valid_up_to(),
            },
        )
    })?;
    // Fast path: a well-formed post deserialises straight into its fields. Anything
    // else (a missing field, a wrong type) takes the field-by-field path below, which
    // names the exact problem.
    if let Ok(wire) = serde_json::from_str::<WirePost>(text) {
        return build(wire.into_fields());
    }
    let value: Value = serde_json::from_str(text).map_err(|error| {
        fail(
            None,
            InvalidPost::NotJson {
                detail: format!("line {} column {}", error.line(), error.column()),
            },
        )
    })?;
    from_value(&value)
}

/// Validates an already parsed JSON value as a post (used by the JSONL readers).
///
/// # Errors
///
/// As `decode`, without the size and UTF-8 checks.
pub fn from_value(value: &Value) -> Result<Post, DecodeError> {
    let Value::Object(object) = value else {
        return Err(DecodeError {
            id: None,
            reason: InvalidPost::NotAnObject,
        });
    };
    // The id first, so every later error can name it.
    let id = match object.get("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) => Some(id.clone()),
        Some(_) => {
            return Err(DecodeError {
                id: None,
                reason: InvalidPost::WrongType {
                    field: "id",
                    expected: "a string",
                },
            });
        }
    };
    let fail = |reason| DecodeError {
        id: id.clone(),
        reason,
    };
    let Some(post_id) = id.clone() else {
        return Err(fail(InvalidPost::MissingField { field: "id" }));
    };
    let required_string = |field: &'static str, value: Option<&Value>| match value {
        None | Some(Value::Null) => Err(fail(InvalidPost::MissingField { field })),
        Some(Value::String(text)) => Ok(text.clone()),
        Some(_) => Err(fail(InvalidPost::WrongType {
            field,
            expected: "a string",
        })),
    };
    let optional_string = |field: &'static str, value: Option<&Value>| match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(fail(InvalidPost::WrongType {
            field,
            expected: "a string",
        })),
    };

    let platform = required_string("platform", object.get("platform"))?;
    let account = match object.get("account") {
        None | Some(Value::Null) => {
            return Err(fail(InvalidPost::MissingField {
                field: "account.handle",
            }));
        }
        Some(Value::Object(account)) => account,
        Some(_) => {
            return Err(fail(InvalidPost::WrongType {
                field: "account",
                expected: "an object",
            }));
        }
    };
    let handle = required_string("account.handle", account.get("handle"))?;
    optional_string("account.id", account.get("id"))?;
    optional_string("account.display_name", account.get("display_name"))?;
    build(Fields {
        id: post_id,
        platform,
        kind: optional_string("kind", object.get("kind"))?,
        handle,
        text: required_string("text", object.get("text"))?,
        lang: optional_string("lang", object.get("lang"))?,
        created_at: required_string("created_at", object.get("created_at"))?,
        url: optional_string("url", object.get("url"))?,
        brand: optional_string("brand", object.get("brand"))?,
    })
}

/// A post as it arrives, every field of the right JSON type; not yet validated.
struct Fields {
    id: String,
    platform: String,
    kind: Option<String>,
    handle: String,
    text: String,
    lang: Option<String>,
    created_at: String,
    url: Option<String>,
    brand: Option<String>,
}

/// The wire shape, for the fast path of `decode`; unknown fields are ignored.
#[derive(Deserialize)]
struct WirePost {
    id: String,
    platform: String,
    #[serde(default)]
    kind: Option<String>,
    account: WireAccount,
    text: String,
    #[serde(default)]
    lang: Option<String>,
    created_at: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    brand: Option<String>,
}

#[derive(Deserialize)]
struct WireAccount {
    handle: String,
    // Informational, but typed: a wrong type makes the message invalid.
    #[serde(default, rename = "id")]
    _id: Option<String>,
    #[serde(default, rename = "display_name")]
    _display_name: Option<String>,
}

impl WirePost {
    fn into_fields(self) -> Fields {
        Fields {
            id: self.id,
            platform: self.platform,
            kind: self.kind,
            handle: self.account.handle,
            text: self.text,
            lang: self.lang,
            created_at: self.created_at,
            url: self.url,
            brand: self.brand,
        }
    }
}

/// Validates the values of well-typed fields: id length, text size, timestamp, kind.
fn build(fields: Fields) -> Result<Post, DecodeError> {
    let fail = |reason| DecodeError {
        id: Some(fields.id.clone()),
        reason,
    };
    let id_chars = fields.id.chars().count();
    if id_chars == 0 || id_chars > MAX_ID_CHARS {
        return Err(fail(InvalidPost::BadId {
            chars: id_chars,
            limit: MAX_ID_CHARS,
        }));
    }
    if fields.text.len() > MAX_TEXT_BYTES {
        return Err(fail(InvalidPost::TextTooLarge {
            size: fields.text.len(),
            limit: MAX_TEXT_BYTES,
        }));
    }
    let created_at = DateTime::parse_from_rfc3339(&fields.created_at).map_err(|error| {
        fail(InvalidPost::BadTimestamp {
            detail: error.to_string(),
        })
    })?;
    let kind = match &fields.kind {
        None => PostKind::Post,
        Some(kind) => serde_json::from_value(Value::String(kind.clone()))
            .map_err(|_| fail(InvalidPost::BadKind { kind: kind.clone() }))?,
    };
    Ok(Post {
        platform: Platform::parse(&fields.platform),
        kind,
        handle: fields.handle,
        text: fields.text,
        lang: fields.lang,
        created_at,
        url: fields.url,
        brand: fields.brand,
        id: fields.id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post_json(extra: &str) -> String {
        format!(
            r#"{{"id":"x-1","platform":"x","account":{{"handle":"@a"}},"text":"hello","created_at":"2026-01-01T10:00:00Z"{extra}}}"#
        )
    }

    #[test]
    fn decodes_a_minimal_post_with_defaults() {
        let post = decode(post_json("").as_bytes()).unwrap();
        assert_eq!(post.id, "x-1");
        assert_eq!(post.kind, PostKind::Post);
        assert_eq!(post.platform, Platform::X);
        assert_eq!(post.text, "hello");
    }

    #[test]
    fn unknown_platform_is_other_and_unknown_fields_are_ignored() {
        let json = post_json(r#","whatever":{"a":1}"#).replace("\"x\"", "\"stocktwits\"");
        let post = decode(json.as_bytes()).unwrap();
        assert_eq!(post.platform, Platform::Other);
    }

    #[test]
    fn invalid_messages_are_named() {
        let long_text = "a".repeat(MAX_TEXT_BYTES + 1);
        let cases: Vec<(Vec<u8>, &str, Option<&str>)> = vec![
            (b"not json".to_vec(), "not_json", None),
            (vec![b'"', 0xff, b'"'], "not_utf8", None),
            (b"[1,2]".to_vec(), "not_object", None),
            (
                post_json("").replace(r#""text":"hello","#, "").into_bytes(),
                "missing_field",
                Some("x-1"),
            ),
            (
                post_json("").replace(r#""hello""#, "42").into_bytes(),
                "wrong_type",
                Some("x-1"),
            ),
            (
                post_json("").replace("hello", &long_text).into_bytes(),
                "text_too_large",
                Some("x-1"),
            ),
            (
                post_json("")
                    .replace("2026-01-01T10:00:00Z", "yesterday")
                    .into_bytes(),
                "bad_timestamp",
                Some("x-1"),
            ),
            (
                post_json(r#","kind":"story""#).into_bytes(),
                "bad_kind",
                Some("x-1"),
            ),
            (
                post_json("").replace(r#""x-1""#, r#""""#).into_bytes(),
                "bad_id",
                Some(""),
            ),
            (vec![b' '; MAX_MESSAGE_BYTES + 1], "too_large", None),
        ];
        for (bytes, code, id) in cases {
            let error = decode(&bytes).unwrap_err();
            assert_eq!(error.reason.code(), code, "{error}");
            assert_eq!(error.id.as_deref(), id, "{error}");
        }
    }

    #[test]
    fn text_at_the_limit_is_accepted() {
        let text = "a".repeat(MAX_TEXT_BYTES);
        let json = post_json("").replace("hello", &text);
        assert!(decode(json.as_bytes()).is_ok());
    }
}
