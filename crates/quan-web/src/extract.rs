//! Extractors: authentication, the org gate, and body/query parsing whose failures
//! are problem+json rather than axum's plain-text rejections.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum_extra::extract::CookieJar;
use quan_core::access;
use quan_core::access::{Actor, OrgAccess};
use quan_core::identity::{self};
use quan_domain::{OrgId, Scope};
use serde::de::DeserializeOwned;
use std::net::SocketAddr;

pub const SESSION_COOKIE: &str = "quan_session";
pub const CSRF_COOKIE: &str = "quan_csrf";

/// The caller, from a bearer token or the session cookie. Rejects with 401.
#[derive(Debug, Clone)]
pub struct Auth(pub Actor);

/// The caller if there is one.
#[derive(Debug, Clone)]
pub struct MaybeAuth(pub Option<Actor>);

pub(crate) async fn actor_from_parts(
    parts: &Parts,
    state: &AppState,
) -> Result<Option<Actor>, ApiError> {
    if let Some(h) = parts.headers.get(header::AUTHORIZATION) {
        let value = h.to_str().map_err(|_| ApiError::unauthenticated())?;
        let secret = value
            .strip_prefix("Bearer ")
            .ok_or_else(ApiError::unauthenticated)?
            .trim();
        // A bearer header that does not resolve is an error, never a fall-back to the
        // cookie: a client that sent a token wants to know it is bad.
        let actor = identity::token_actor(&state.svc, secret)
            .await?
            .ok_or_else(ApiError::unauthenticated)?;
        // Every state change needs the `write` scope, whatever the use case checks
        // besides: a read-only integration can change nothing, marks included.
        if let Actor::Token { scopes, .. } = &actor
            && !parts.method.is_safe()
            && !scopes.contains(Scope::Write)
        {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "missing_scope",
                "this token lacks the write scope",
            ));
        }
        return Ok(Some(actor));
    }
    let jar = CookieJar::from_headers(&parts.headers);
    match jar.get(SESSION_COOKIE) {
        Some(c) => Ok(identity::session_actor(&state.svc, c.value()).await?),
        None => Ok(None),
    }
}

impl FromRequestParts<AppState> for MaybeAuth {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(a) = parts.extensions.get::<Auth>() {
            return Ok(MaybeAuth(Some(a.0.clone())));
        }
        let actor = actor_from_parts(parts, state).await?;
        if let Some(a) = &actor {
            parts.extensions.insert(Auth(a.clone()));
        }
        Ok(MaybeAuth(actor))
    }
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let MaybeAuth(actor) = MaybeAuth::from_request_parts(parts, state).await?;
        actor.map(Auth).ok_or_else(ApiError::unauthenticated)
    }
}

/// The gate to an org's data: the `{org_id}` path segment, checked against the
/// caller's staff membership. A stranger (or a token of another org) gets 404.
#[derive(Debug, Clone)]
pub struct OrgCtx {
    pub actor: Actor,
    pub access: OrgAccess,
}

/// Parses the first path parameter named `org_id`.
pub(crate) fn org_id_from_path(parts: &Parts) -> Result<OrgId, ApiError> {
    let raw = parts
        .uri
        .path()
        .split('/')
        .skip_while(|s| *s != "orgs" && *s != "console")
        .nth(1)
        .ok_or_else(ApiError::not_found)?;
    OrgId::parse(raw).map_err(|_| ApiError::bad_request("invalid_id", "the org id is malformed"))
}

impl FromRequestParts<AppState> for OrgCtx {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Auth(actor) = Auth::from_request_parts(parts, state).await?;
        let org = org_id_from_path(parts)?;
        let access = access::org_access(&state.svc, &actor, org).await?;
        Ok(OrgCtx { actor, access })
    }
}

/// JSON body with problem+json rejections: malformed JSON, a wrong content type, an
/// unknown field or a wrong type are 4xx with a code, never a 500.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rej) => Err(json_rejection(rej)),
        }
    }
}

fn json_rejection(rej: JsonRejection) -> ApiError {
    let (status, code) = match &rej {
        JsonRejection::MissingJsonContentType(_) => {
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
        }
        JsonRejection::JsonDataError(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
        JsonRejection::JsonSyntaxError(_) => (StatusCode::BAD_REQUEST, "malformed_json"),
        JsonRejection::BytesRejection(_) => (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"),
        _ => (StatusCode::BAD_REQUEST, "invalid_body"),
    };
    // The rejection text names the field and the expected type; it holds no secrets.
    ApiError::new(status, code, rej.body_text())
}

/// Query string with problem+json rejections.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|rej: QueryRejection| ApiError::bad_request("invalid_query", rej.body_text()))
    }
}

/// The client's address, for rate limits. Proxies are not trusted: behind one, every
/// client shares the proxy's limit, which fails safe.
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string());
        Ok(ClientIp(ip))
    }
}
