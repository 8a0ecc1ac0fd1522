//! The one error type of the HTTP layer, rendered as RFC 9457 problem+json.
//!
//! Every failure a client can cause maps to a 4xx with a stable machine `code` the UI
//! translates; a 5xx is logged with its cause chain and says nothing of internals.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use quan_core::access::AccessError;
use quan_core::chat::ChatError;
use quan_core::circles::CircleError;
use quan_core::discovery::DiscoveryError;
use quan_core::identity::IdentityError;
use quan_core::local::LocalError;
use quan_core::moderation::error::ModerationError;
use quan_core::notify::error::NotifyError;
use quan_core::persons::error::PersonError;
use quan_core::search::error::SearchError;
use quan_domain::ParseError;
use serde::Serialize;
use std::time::Duration;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: String,
    pub field: Option<&'static str>,
    pub retry_after: Option<Duration>,
}

/// The problem document (RFC 9457) with Quan's extension members `code` and `field`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI reference naming the problem type: `/problems/{code}`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine code, e.g. `email_taken`, `invalid_body`, `not_found`.
    pub code: String,
    /// The input field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            field: None,
            retry_after: None,
        }
    }
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such resource")
    }
    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "sign in or send a valid bearer token",
        )
    }
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }
    pub fn internal(cause: &(dyn std::error::Error + 'static)) -> Self {
        let mut chain = cause.to_string();
        let mut src = cause.source();
        while let Some(s) = src {
            chain.push_str(": ");
            chain.push_str(&s.to_string());
            src = s.source();
        }
        tracing::error!(cause = %chain, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "something went wrong on our side",
        )
    }
    pub fn problem(&self) -> Problem {
        Problem {
            kind: format!("/problems/{}", self.code),
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code.to_owned(),
            field: self.field.map(str::to_owned),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        let mut res = (self.status, body).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(d) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&d.as_secs().max(1).to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        res
    }
}

impl From<ParseError> for ApiError {
    fn from(e: ParseError) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: e.code,
            detail: e.to_string(),
            field: Some(e.field),
            retry_after: None,
        }
    }
}

impl From<IdentityError> for ApiError {
    fn from(e: IdentityError) -> Self {
        ApiError::from(&e)
    }
}

/// By reference, so a page can word the error and still answer with its status.
impl From<&IdentityError> for ApiError {
    fn from(e: &IdentityError) -> Self {
        use IdentityError as E;
        let s = |st, code| ApiError::new(st, code, e.to_string());
        match e {
            E::Invalid(pe) => pe.clone().into(),
            E::EmailTaken => s(StatusCode::CONFLICT, "email_taken"),
            E::PhoneTaken => s(StatusCode::CONFLICT, "phone_taken"),
            E::BadCredentials => s(StatusCode::UNAUTHORIZED, "bad_credentials"),
            E::TooManyAttempts { retry_after } => {
                let mut err = s(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
                err.retry_after = Some(*retry_after);
                err
            }
            E::Unauthenticated => ApiError::unauthenticated(),
            E::NotFound => ApiError::not_found(),
            E::Forbidden => s(StatusCode::FORBIDDEN, "forbidden"),
            E::MissingScope(_) => s(StatusCode::FORBIDDEN, "missing_scope"),
            E::LastOwner => s(StatusCode::CONFLICT, "last_owner"),
            E::InviteInvalid => s(StatusCode::NOT_FOUND, "invite_invalid"),
            E::AlreadyStaff => s(StatusCode::CONFLICT, "already_staff"),
            E::HandleTaken => s(StatusCode::CONFLICT, "handle_taken"),
            E::Internal(cause) => ApiError::internal(cause.as_ref()),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

impl From<AccessError> for ApiError {
    fn from(e: AccessError) -> Self {
        use AccessError as E;
        let s = |st, code| ApiError::new(st, code, e.to_string());
        match &e {
            E::NotFound => ApiError::not_found(),
            E::Forbidden => s(StatusCode::FORBIDDEN, "forbidden"),
            E::MissingScope(_) => s(StatusCode::FORBIDDEN, "missing_scope"),
            E::NotMember => s(StatusCode::FORBIDDEN, "not_member"),
            E::Internal(cause) => ApiError::internal(cause.as_ref()),
        }
    }
}

impl From<ChatError> for ApiError {
    fn from(e: ChatError) -> Self {
        match e {
            ChatError::Circle(e) => e.into(),
            ChatError::Moderation(e) => e.into(),
            ChatError::RateLimited { retry_after } => {
                let mut err =
                    ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", e.to_string());
                err.retry_after = Some(retry_after);
                err
            }
            ChatError::AlreadyPromoted => {
                ApiError::new(StatusCode::CONFLICT, "already_promoted", e.to_string())
            }
        }
    }
}

impl From<LocalError> for ApiError {
    fn from(e: LocalError) -> Self {
        use LocalError as E;
        let s = |st, code| ApiError::new(st, code, e.to_string());
        match &e {
            E::Invalid(pe) => pe.clone().into(),
            E::NotFound => ApiError::not_found(),
            E::Forbidden => s(StatusCode::FORBIDDEN, "forbidden"),
            E::MissingScope(_) => s(StatusCode::FORBIDDEN, "missing_scope"),
            E::NotMember => s(StatusCode::FORBIDDEN, "not_member"),
            E::NoPickupPoint => s(StatusCode::NOT_FOUND, "no_pickup_point"),
            E::Internal(cause) => ApiError::internal(cause.as_ref()),
        }
    }
}

impl From<DiscoveryError> for ApiError {
    fn from(e: DiscoveryError) -> Self {
        use DiscoveryError as E;
        let s = |st, code| ApiError::new(st, code, e.to_string());
        match &e {
            E::Invalid(pe) => pe.clone().into(),
            E::NotFound => ApiError::not_found(),
            E::Forbidden => s(StatusCode::FORBIDDEN, "forbidden"),
            E::MissingScope(_) => s(StatusCode::FORBIDDEN, "missing_scope"),
            E::NotMember => s(StatusCode::FORBIDDEN, "not_member"),
            E::BoostConflict(_) => s(StatusCode::CONFLICT, "boost_conflict"),
            E::Internal(cause) => ApiError::internal(cause.as_ref()),
        }
    }
}

impl From<PersonError> for ApiError {
    fn from(e: PersonError) -> Self {
        use PersonError as E;
        let s = |st, code| ApiError::new(st, code, e.to_string());
        match &e {
            E::Invalid(pe) => pe.clone().into(),
            E::NotFound => ApiError::not_found(),
            E::Forbidden => s(StatusCode::FORBIDDEN, "forbidden"),
            E::MissingScope(_) => s(StatusCode::FORBIDDEN, "missing_scope"),
            E::HandleTaken => s(StatusCode::CONFLICT, "handle_taken"),
            E::MergeConflict(_) => s(StatusCode::CONFLICT, "merge_conflict"),
            E::Internal(cause) => ApiError::internal(cause.as_ref()),
        }
    }
}

impl From<CircleError> for ApiError {
    fn from(e: CircleError) -> Self {
        use CircleError as E;
        let detail = e.to_string();
        let s = |st, code| ApiError::new(st, code, detail.clone());
        match e {
            // What a circle write passed through keeps its own code.
            E::Moderation(m) => m.into(),
            E::Person(p) => p.into(),
            E::Invalid(pe) => pe.into(),
            E::NotFound => ApiError::not_found(),
            E::Forbidden => s(StatusCode::FORBIDDEN, "forbidden"),
            E::MissingScope(_) => s(StatusCode::FORBIDDEN, "missing_scope"),
            E::AlreadyMember => s(StatusCode::CONFLICT, "already_member"),
            E::OrgMembersOnly => s(StatusCode::FORBIDDEN, "org_members_only"),
            E::InviteRequired => s(StatusCode::FORBIDDEN, "invite_required"),
            E::PaymentRequired => s(StatusCode::PAYMENT_REQUIRED, "payment_required"),
            E::PostingRestricted => s(StatusCode::FORBIDDEN, "posting_restricted"),
            E::NotMember => s(StatusCode::FORBIDDEN, "not_member"),
            E::NotATask => s(StatusCode::CONFLICT, "not_a_task"),
            E::Task(quan_domain::TaskError::BadTransition) => {
                s(StatusCode::CONFLICT, "task_bad_transition")
            }
            E::Task(quan_domain::TaskError::NotAllowed) => {
                s(StatusCode::FORBIDDEN, "task_not_allowed")
            }
            E::InviteInvalid => s(StatusCode::NOT_FOUND, "invite_invalid"),
            E::Internal(cause) => ApiError::internal(cause.as_ref()),
        }
    }
}

impl From<ModerationError> for ApiError {
    fn from(e: ModerationError) -> Self {
        use ModerationError as E;
        let s = |st, code| ApiError::new(st, code, e.to_string());
        match &e {
            E::Invalid(pe) => pe.clone().into(),
            E::NotFound => ApiError::not_found(),
            E::Forbidden => s(StatusCode::FORBIDDEN, "forbidden"),
            E::MissingScope(_) => s(StatusCode::FORBIDDEN, "missing_scope"),
            E::NotMember => s(StatusCode::FORBIDDEN, "not_member"),
            E::Muted { .. } => s(StatusCode::FORBIDDEN, "muted"),
            E::Banned => s(StatusCode::FORBIDDEN, "banned"),
            E::NewMemberLimit(_) => s(StatusCode::TOO_MANY_REQUESTS, "new_member_limit"),
            E::SensitiveWord(_) => s(StatusCode::UNPROCESSABLE_ENTITY, "sensitive_word"),
            E::AlreadyReported => s(StatusCode::CONFLICT, "already_reported"),
            E::PinLimit => s(StatusCode::CONFLICT, "pin_limit"),
            E::Internal(cause) => ApiError::internal(cause.as_ref()),
        }
    }
}

/// The leaves' errors are the gate's refusals and bad input only.
macro_rules! leaf_error {
    ($err:ident) => {
        impl From<$err> for ApiError {
            fn from(e: $err) -> Self {
                use $err as E;
                let s = |st, code| ApiError::new(st, code, e.to_string());
                match &e {
                    E::Invalid(pe) => pe.clone().into(),
                    E::NotFound => ApiError::not_found(),
                    E::Forbidden => s(StatusCode::FORBIDDEN, "forbidden"),
                    E::MissingScope(_) => s(StatusCode::FORBIDDEN, "missing_scope"),
                    E::NotMember => s(StatusCode::FORBIDDEN, "not_member"),
                    E::Internal(cause) => ApiError::internal(cause.as_ref()),
                }
            }
        }
    };
}
leaf_error!(NotifyError);
leaf_error!(SearchError);
