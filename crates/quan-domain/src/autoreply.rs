//! Auto-reply (PRODUCT.md §3): rules that answer a customer's message in a 1:1
//! conversation — a keyword contained in it, or a regular expression compiled
//! under size limits — and "talk to a person", which hands the conversation to its
//! staff member. A rule is parsed once; a bad pattern is refused with the reason.

use crate::ParseError;

/// A pattern's greatest length, and the compiled program's (bytes), so a rule from
/// a user can never make matching expensive.
pub const PATTERN_MAX_CHARS: usize = 200;
const REGEX_SIZE_LIMIT: usize = 256 * 1024;

/// How a rule recognises a message.
#[derive(Debug, Clone)]
pub enum Matcher {
    /// The message contains this text (case-insensitive).
    Keyword(String),
    Regex(regex::Regex),
}

impl PartialEq for Matcher {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Matcher::Keyword(a), Matcher::Keyword(b)) => a == b,
            (Matcher::Regex(a), Matcher::Regex(b)) => a.as_str() == b.as_str(),
            _ => false,
        }
    }
}

impl Matcher {
    /// `keyword` or `regex`, with its pattern.
    pub fn parse(kind: &str, pattern: &str) -> Result<Self, ParseError> {
        let p = pattern.trim();
        if p.is_empty() {
            return Err(ParseError::new("pattern", "required", "must not be empty"));
        }
        if p.chars().count() > PATTERN_MAX_CHARS {
            return Err(ParseError::new(
                "pattern",
                "too_long",
                format!("at most {PATTERN_MAX_CHARS} characters"),
            ));
        }
        match kind {
            "keyword" => Ok(Self::Keyword(p.to_lowercase())),
            "regex" => regex::RegexBuilder::new(p)
                .size_limit(REGEX_SIZE_LIMIT)
                .dfa_size_limit(REGEX_SIZE_LIMIT)
                .case_insensitive(true)
                .build()
                .map(Self::Regex)
                .map_err(|e| {
                    let why = match e {
                        regex::Error::CompiledTooBig(_) => "the pattern is too complex".to_owned(),
                        other => other
                            .to_string()
                            .lines()
                            .last()
                            .unwrap_or("invalid")
                            .trim()
                            .to_owned(),
                    };
                    ParseError::new("pattern", "invalid_regex", why)
                }),
            _ => Err(ParseError::new(
                "kind",
                "invalid_rule_kind",
                "keyword or regex",
            )),
        }
    }
    pub fn kind(&self) -> &'static str {
        match self {
            Matcher::Keyword(_) => "keyword",
            Matcher::Regex(_) => "regex",
        }
    }
    pub fn pattern(&self) -> &str {
        match self {
            Matcher::Keyword(k) => k,
            Matcher::Regex(r) => r.as_str(),
        }
    }
    pub fn matches(&self, message: &str) -> bool {
        match self {
            Matcher::Keyword(k) => message.to_lowercase().contains(k.as_str()),
            Matcher::Regex(r) => r.is_match(message),
        }
    }
}

/// What a matching rule does besides answering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleAction {
    Answer,
    /// Answers, then hands the conversation to its staff member (they are told).
    Handoff,
}

impl RuleAction {
    pub const fn as_str(self) -> &'static str {
        match self {
            RuleAction::Answer => "answer",
            RuleAction::Handoff => "handoff",
        }
    }
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        match raw {
            "answer" => Ok(Self::Answer),
            "handoff" => Ok(Self::Handoff),
            _ => Err(ParseError::new(
                "action",
                "invalid_rule_action",
                "answer or handoff",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_and_patterns_match_or_are_refused_with_the_reason() {
        let k = Matcher::parse("keyword", " 营业时间 ").unwrap_or_else(|e| panic!("{e}"));
        assert!(k.matches("请问你们的营业时间是？"));
        assert!(!k.matches("你好"));
        let k = Matcher::parse("keyword", "Hours").unwrap_or_else(|e| panic!("{e}"));
        assert!(k.matches("what are your hours?"), "case-insensitive");
        let r = Matcher::parse("regex", r"(退|换)货").unwrap_or_else(|e| panic!("{e}"));
        assert!(r.matches("我想退货") && r.matches("可以换货吗") && !r.matches("发货了吗"));
        let bad = Matcher::parse("regex", "(unclosed").err();
        assert_eq!(bad.as_ref().map(|e| e.code), Some("invalid_regex"));
        assert!(bad.is_some_and(|e| !e.message.is_empty()));
        let huge = Matcher::parse("regex", r"(\w{1,100}){1,100}").err();
        assert_eq!(
            huge.map(|e| e.code),
            Some("invalid_regex"),
            "compiled size is bounded"
        );
        assert!(Matcher::parse("glob", "x").is_err());
        assert!(Matcher::parse("keyword", &"x".repeat(201)).is_err());
        assert_eq!(RuleAction::parse("handoff"), Ok(RuleAction::Handoff));
    }
}
