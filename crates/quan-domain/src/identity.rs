//! Identity and tenancy: who someone is, how they log in, and what they may do in an
//! org.
//!
//! The rules that matter for tenancy live here as plain functions of roles, so the
//! web layer and the use cases ask the same question the same way.

use crate::ParseError;
use std::fmt;

/// A normalised e-mail address (trimmed, lower-cased, at most 254 bytes).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let s = raw.trim().to_lowercase();
        let bad = || ParseError::new("email", "invalid_email", "not a valid e-mail address");
        if s.is_empty() || s.len() > 254 {
            return Err(bad());
        }
        let (local, domain) = s.split_once('@').ok_or_else(bad)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.contains(char::is_whitespace)
            && !local.contains('@');
        if !(domain_ok && local_ok) {
            return Err(bad());
        }
        Ok(Self(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A phone number in E.164 form (`+` and 7–15 digits). A bare 11-digit number that
/// starts with 1 is taken as a mainland China mobile number (+86), the common case for
/// Quan's users; separators (spaces, dashes, dots, parentheses) are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let bad = || ParseError::new("phone", "invalid_phone", "not a valid phone number");
        if raw.len() > 32 {
            return Err(bad());
        }
        let trimmed = raw.trim();
        let plus = trimmed.starts_with('+');
        let mut digits = String::with_capacity(16);
        for (i, c) in trimmed.chars().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                '+' if i == 0 => {}
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => return Err(bad()),
            }
        }
        let e164 = if plus {
            digits
        } else if digits.len() == 11 && digits.starts_with('1') {
            format!("86{digits}")
        } else {
            return Err(bad());
        };
        if !(7..=15).contains(&e164.len()) || e164.starts_with('0') {
            return Err(bad());
        }
        Ok(Self(format!("+{e164}")))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a person types in the login box: an e-mail address or a phone number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Login {
    Email(Email),
    Phone(Phone),
}

impl Login {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        if raw.contains('@') {
            Email::parse(raw).map(Login::Email)
        } else {
            Phone::parse(raw).map(Login::Phone).map_err(|_| {
                ParseError::new(
                    "login",
                    "invalid_login",
                    "enter an e-mail address or a phone number",
                )
            })
        }
    }
}

/// A password as typed: 8 to 128 characters. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 8;
    pub const MAX_CHARS: usize = 128;

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let n = raw.chars().count();
        if n < Self::MIN_CHARS {
            return Err(ParseError::new(
                "password",
                "password_too_short",
                format!("at least {} characters", Self::MIN_CHARS),
            ));
        }
        if n > Self::MAX_CHARS {
            return Err(ParseError::new(
                "password",
                "password_too_long",
                format!("at most {} characters", Self::MAX_CHARS),
            ));
        }
        Ok(Self(raw.to_owned()))
    }
    /// The secret itself; callers hand it straight to the hasher.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// Bounded, trimmed, non-empty text without control characters: names, labels.
fn bounded_text(raw: &str, field: &'static str, max_chars: usize) -> Result<String, ParseError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(ParseError::new(field, "required", "must not be empty"));
    }
    if s.chars().count() > max_chars {
        return Err(ParseError::new(
            field,
            "too_long",
            format!("at most {max_chars} characters"),
        ));
    }
    if s.chars().any(char::is_control) {
        return Err(ParseError::new(
            field,
            "invalid_characters",
            "control characters are not allowed",
        ));
    }
    Ok(s.to_owned())
}

/// A person's display name: 1–64 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        bounded_text(raw, "display_name", 64).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An org's name: 1–80 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgName(String);

impl OrgName {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        bounded_text(raw, "name", 80).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A label a person gives an API token: 1–64 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenName(String);

impl TokenName {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        bounded_text(raw, "name", 64).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A staff member's role in one org. The order of variants is not a hierarchy;
/// permissions are the functions below.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Owner,
    Admin,
    Operator,
    Sales,
    /// Community group leader (团长).
    Leader,
    Teacher,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Owner,
        Role::Admin,
        Role::Operator,
        Role::Sales,
        Role::Leader,
        Role::Teacher,
    ];

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == raw)
            .ok_or_else(|| {
                ParseError::new(
                    "role",
                    "invalid_role",
                    "one of owner, admin, operator, sales, leader, teacher",
                )
            })
    }
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Operator => "operator",
            Role::Sales => "sales",
            Role::Leader => "leader",
            Role::Teacher => "teacher",
        }
    }
    /// Create and revoke staff invites.
    pub const fn can_invite(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }
    /// Change roles and remove staff: the owner's call alone (PRODUCT.md §1).
    pub const fn can_manage_staff(self) -> bool {
        matches!(self, Role::Owner)
    }
    /// Create and revoke the org's API tokens.
    pub const fn can_manage_tokens(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }
    /// Invite someone with `other`: nobody hands out more power than they hold, and
    /// only an owner makes another owner.
    pub const fn can_grant(self, other: Role) -> bool {
        match other {
            Role::Owner => matches!(self, Role::Owner),
            _ => self.can_invite(),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an API token may do. A token acts for one org with at most the rights of the
/// staff member who made it, narrowed to these scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Read the org's data.
    Read,
    /// Change the org's data (implies nothing about staff or tokens).
    Write,
    /// Manage staff, invites and tokens.
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Read, Scope::Write, Scope::Admin];

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| ParseError::new("scopes", "invalid_scope", "one of read, write, admin"))
    }
    pub const fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Admin => "admin",
        }
    }
}

/// A non-empty set of scopes, stored as a space-separated string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scopes(Vec<Scope>);

impl Scopes {
    pub fn new(mut scopes: Vec<Scope>) -> Result<Self, ParseError> {
        scopes.sort();
        scopes.dedup();
        if scopes.is_empty() {
            return Err(ParseError::new("scopes", "required", "at least one scope"));
        }
        Ok(Self(scopes))
    }
    /// Parses the stored form ("read write").
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let v = raw
            .split_whitespace()
            .map(Scope::parse)
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(v)
    }
    pub fn contains(&self, s: Scope) -> bool {
        self.0.contains(&s)
    }
    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }
    pub fn to_db(&self) -> String {
        self.0
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The kinds of identifier a person can carry (PRODUCT.md §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HandleKind {
    Phone,
    Email,
    /// An id in another system, e.g. a messenger's user id.
    External,
    /// A nickname inside one circle.
    Nickname,
    /// The channel code or invite a person came from.
    Channel,
}

impl HandleKind {
    pub const ALL: [HandleKind; 5] = [
        HandleKind::Phone,
        HandleKind::Email,
        HandleKind::External,
        HandleKind::Nickname,
        HandleKind::Channel,
    ];
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == raw)
            .ok_or_else(|| {
                ParseError::new(
                    "kind",
                    "invalid_handle_kind",
                    "one of phone, email, external, nickname, channel",
                )
            })
    }
    pub const fn as_str(self) -> &'static str {
        match self {
            HandleKind::Phone => "phone",
            HandleKind::Email => "email",
            HandleKind::External => "external",
            HandleKind::Nickname => "nickname",
            HandleKind::Channel => "channel",
        }
    }
}

/// A validated handle value: phones and e-mails are normalised so that the same human
/// typed two ways is still one handle (the basis of identity resolution).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandleValue {
    pub kind: HandleKind,
    pub value: String,
}

impl HandleValue {
    pub fn parse(kind: HandleKind, raw: &str) -> Result<Self, ParseError> {
        let value = match kind {
            HandleKind::Phone => Phone::parse(raw)?.as_str().to_owned(),
            HandleKind::Email => Email::parse(raw)?.as_str().to_owned(),
            HandleKind::External | HandleKind::Nickname | HandleKind::Channel => {
                bounded_text(raw, "value", 128)?
            }
        };
        Ok(Self { kind, value })
    }
}

/// A person's lifecycle stage, derived from events (PRODUCT.md §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LifecycleStage {
    Visitor,
    Follower,
    Engaged,
    Customer,
    RepeatCustomer,
    Advocate,
    Churned,
}

impl LifecycleStage {
    pub const ALL: [LifecycleStage; 7] = [
        LifecycleStage::Visitor,
        LifecycleStage::Follower,
        LifecycleStage::Engaged,
        LifecycleStage::Customer,
        LifecycleStage::RepeatCustomer,
        LifecycleStage::Advocate,
        LifecycleStage::Churned,
    ];
    pub const fn as_str(self) -> &'static str {
        match self {
            LifecycleStage::Visitor => "visitor",
            LifecycleStage::Follower => "follower",
            LifecycleStage::Engaged => "engaged",
            LifecycleStage::Customer => "customer",
            LifecycleStage::RepeatCustomer => "repeat_customer",
            LifecycleStage::Advocate => "advocate",
            LifecycleStage::Churned => "churned",
        }
    }
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == raw)
            .ok_or_else(|| ParseError::new("stage", "invalid_stage", "unknown lifecycle stage"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_bounded() {
        assert_eq!(
            Email::parse("  Li.Lei@Example.COM ").map(|e| e.0),
            Ok("li.lei@example.com".into())
        );
        for bad in [
            "",
            "a",
            "a@b",
            "@b.com",
            "a@.com",
            "a@b..com",
            "a b@c.com",
            &format!("{}@x.com", "a".repeat(300)),
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn phones_become_e164() {
        assert_eq!(
            Phone::parse("138 0013 8000").map(|p| p.0),
            Ok("+8613800138000".into())
        );
        assert_eq!(
            Phone::parse("+1 (415) 555-0100").map(|p| p.0),
            Ok("+14155550100".into())
        );
        for bad in [
            "",
            "12345",
            "abc",
            "+0123456789",
            "23800138000",
            &"9".repeat(40),
        ] {
            assert!(Phone::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn login_picks_email_or_phone() {
        assert!(matches!(Login::parse("a@b.cn"), Ok(Login::Email(_))));
        assert!(matches!(Login::parse("13800138000"), Ok(Login::Phone(_))));
        assert_eq!(
            Login::parse("nobody").map_err(|e| e.code),
            Err("invalid_login")
        );
    }

    #[test]
    fn passwords_are_bounded_and_never_debug_printed() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse(&"x".repeat(129)).is_err());
        let p = Password::parse("correct horse").map_err(|e| e.code);
        assert!(!format!("{p:?}").contains("horse"));
        // Counted in characters, not bytes: eight Chinese characters are enough.
        assert!(Password::parse("八个汉字的密码好").is_ok());
    }

    #[test]
    fn names_reject_empty_long_and_control() {
        assert!(OrgName::parse("  ").is_err());
        assert!(OrgName::parse(&"名".repeat(81)).is_err());
        assert!(OrgName::parse("a\u{0}b").is_err());
        assert_eq!(
            OrgName::parse(" 星河茶饮 ").map(|n| n.0),
            Ok("星河茶饮".into())
        );
    }

    #[test]
    fn role_permissions() {
        assert!(Role::Owner.can_manage_staff());
        assert!(!Role::Admin.can_manage_staff());
        assert!(Role::Admin.can_invite());
        assert!(!Role::Sales.can_invite());
        assert!(Role::Admin.can_grant(Role::Sales));
        assert!(!Role::Admin.can_grant(Role::Owner));
        assert!(Role::Owner.can_grant(Role::Owner));
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Ok(r));
        }
    }

    #[test]
    fn scopes_parse_sort_and_dedupe() {
        let s = Scopes::parse("write read write").map(|s| s.to_db());
        assert_eq!(s, Ok("read write".to_string()));
        assert!(Scopes::parse("").is_err());
        assert!(Scopes::parse("root").is_err());
    }

    #[test]
    fn handles_normalise() {
        let a = HandleValue::parse(HandleKind::Phone, "13800138000");
        let b = HandleValue::parse(HandleKind::Phone, "+86 138-0013-8000");
        assert_eq!(a, b);
    }
}
