//! Identity and tenancy use cases: accounts, sessions, orgs, staff, invites and API
//! tokens.
//!
//! Access to an org's data goes through [`OrgAccess`], which only [`org_access`]
//! makes, and only for staff of that org (or a token issued for it). A caller who is
//! not staff gets `NotFound`, never `Forbidden`, so an org's existence does not leak.

pub mod error;
pub mod port;

pub use error::IdentityError;

use crate::Services;
use crate::access::cache::{Eviction, evict, staff_eviction, token_eviction};
use crate::access::{Actor, Me, OrgAccess};
use crate::events::{announce, new_event};
use crate::identity::port::{
    AccountRecord, InviteOutcome, InviteRecord, OrgRecord, SessionRecord, StaffChange, StaffRecord,
    TokenRecord,
};
use crate::page::{Page, PageRequest};
use crate::ports::{RateDecision, constraints};
use crate::secrets::{DUMMY_HASH, digest, hash_password, random_secret, verify_password};
use quan_domain::{
    AccountId, DisplayName, InviteId, Login, OrgId, OrgName, ParseError, Password, Role, Scope,
    Scopes, SessionId, Timestamp, TokenId, TokenName,
};
use serde_json::json;
use std::time::Duration;

/// How long a web session lives.
pub const SESSION_TTL_SECS: i64 = 30 * 24 * 3600;

/// Login attempts per client address per minute.
const LOGIN_PER_IP: u32 = 20;

/// Failed logins per account per 15 minutes before it is slowed down.
const LOGIN_FAILURES_PER_ACCOUNT: u32 = 5;

const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);

type Result<T, E = IdentityError> = std::result::Result<T, E>;

/// What a sign-up form carries once parsed.
#[derive(Debug)]
pub struct SignUp {
    pub login: Login,
    pub password: Password,
    pub display_name: DisplayName,
}

#[tracing::instrument(skip_all)]
pub async fn sign_up(svc: &Services, form: SignUp) -> Result<Me> {
    let hash = hash_password(&form.password).await?;
    let (email, phone) = match &form.login {
        Login::Email(e) => (Some(e.as_str().to_owned()), None),
        Login::Phone(p) => (None, Some(p.as_str().to_owned())),
    };
    let rec = AccountRecord {
        id: AccountId::new(),
        email,
        phone,
        display_name: form.display_name.as_str().to_owned(),
        password_hash: hash,
        created_at: svc.clock.now(),
    };
    svc.store.account_insert(&rec).await.map_err(|e| {
        if e.is_conflict_on(constraints::ACCOUNT_EMAIL) {
            IdentityError::EmailTaken
        } else if e.is_conflict_on(constraints::ACCOUNT_PHONE) {
            IdentityError::PhoneTaken
        } else {
            e.into()
        }
    })?;
    tracing::info!(account = %rec.id, "account created");
    Ok(Me::from(&rec))
}

/// A new session: the secret goes into the cookie, only its digest into the store.
#[derive(Debug)]
pub struct NewSession {
    pub secret: String,
    pub me: Me,
    pub expires_at: Timestamp,
}

fn limited(d: RateDecision) -> Result<()> {
    match d {
        RateDecision::Allowed { .. } => Ok(()),
        RateDecision::Limited { retry_after } => {
            Err(IdentityError::TooManyAttempts { retry_after })
        }
    }
}

/// Logs in. Brute force is slowed twice over: per client address (every attempt
/// counts) and per account (failures count; success clears them).
#[tracing::instrument(skip_all)]
pub async fn log_in(
    svc: &Services,
    login: &Login,
    password: &str,
    client: &str,
) -> Result<NewSession> {
    limited(
        svc.limiter
            .hit(
                &format!("login:ip:{client}"),
                LOGIN_PER_IP,
                Duration::from_secs(60),
            )
            .await?,
    )?;
    let account_key = match login {
        Login::Email(e) => format!("login:fail:{e}"),
        Login::Phone(p) => format!("login:fail:{p}"),
    };
    limited(
        svc.limiter
            .peek(&account_key, LOGIN_FAILURES_PER_ACCOUNT, FAILURE_WINDOW)
            .await?,
    )?;
    let account = svc.store.account_by_login(login).await?;
    let stored = account
        .as_ref()
        .map_or(DUMMY_HASH, |a| a.password_hash.as_str());
    let ok = verify_password(password, stored).await? && account.is_some();
    let Some(account) = account.filter(|_| ok) else {
        svc.limiter
            .hit(&account_key, u32::MAX, FAILURE_WINDOW)
            .await?;
        return Err(IdentityError::BadCredentials);
    };
    svc.limiter.reset(&account_key, FAILURE_WINDOW).await?;
    start_session(svc, &Me::from(&account)).await
}

/// Opens a session for an account that has just proven who it is (log-in, sign-up).
pub async fn start_session(svc: &Services, account: &Me) -> Result<NewSession> {
    let secret = random_secret("", 32);
    let now = svc.clock.now();
    let rec = SessionRecord {
        id: SessionId::new(),
        account_id: account.id,
        token_hash: digest(&secret),
        created_at: now,
        expires_at: now.plus_secs(SESSION_TTL_SECS),
    };
    svc.store.session_insert(&rec).await?;
    Ok(NewSession {
        secret,
        me: account.clone(),
        expires_at: rec.expires_at,
    })
}

/// Resolves a session cookie to its actor; None when unknown or expired.
pub async fn session_actor(svc: &Services, secret: &str) -> Result<Option<Actor>> {
    if secret.is_empty() || secret.len() > 128 {
        return Ok(None);
    }
    let hash = digest(secret);
    let now = svc.clock.now();
    let found = match svc.auth.session(&hash).filter(|(s, _)| s.expires_at > now) {
        Some(hit) => Some(hit),
        None => {
            let epoch = svc.auth.session_epoch();
            let found = svc.store.session_find(&hash, now).await?;
            if let Some(f) = &found {
                svc.auth.put_session(hash, f.clone(), epoch);
            }
            found
        }
    };
    Ok(found.map(|(s, a)| Actor::Session {
        account: Me::from(&a),
        session: s.id,
    }))
}

pub async fn log_out(svc: &Services, secret: &str) -> Result<()> {
    let hash = digest(secret);
    svc.store.session_delete(&hash).await?;
    evict(
        &svc.auth,
        svc.bus.as_ref(),
        Eviction::Session { token_hash: hash },
    )
    .await;
    Ok(())
}

/// Changes a password after checking the current one, and ends every other session
/// of the account (a stolen session dies with the old password).
#[tracing::instrument(skip_all, fields(account = %account))]
pub async fn change_password(
    svc: &Services,
    account: AccountId,
    keep_session: Option<SessionId>,
    current: &str,
    new: &Password,
) -> Result<()> {
    let rec = svc
        .store
        .account_get(account)
        .await?
        .ok_or(IdentityError::Unauthenticated)?;
    // The caller is signed in: a wrong current password is a wrong field of this
    // form, not a failed log-in ("wrong login or password" would puzzle them).
    if !verify_password(current, &rec.password_hash).await? {
        return Err(ParseError::new(
            "current_password",
            "wrong_current_password",
            "the current password is not right",
        )
        .into());
    }
    let hash = hash_password(new).await?;
    svc.store.account_set_password(account, &hash).await?;
    svc.store
        .session_delete_others(account, keep_session)
        .await?;
    // Every node forgets this account's sessions; the kept one is read again.
    evict(
        &svc.auth,
        svc.bus.as_ref(),
        Eviction::AccountSessions {
            account: account.to_string(),
        },
    )
    .await;
    Ok(())
}

/// Sets a password without the current one: the operator's `quan admin
/// reset-password`. Ends every session of the account.
pub async fn reset_password(svc: &Services, login: &Login, new: &Password) -> Result<AccountId> {
    let rec = svc
        .store
        .account_by_login(login)
        .await?
        .ok_or(IdentityError::NotFound)?;
    let hash = hash_password(new).await?;
    svc.store.account_set_password(rec.id, &hash).await?;
    svc.store.session_delete_others(rec.id, None).await?;
    evict(
        &svc.auth,
        svc.bus.as_ref(),
        Eviction::AccountSessions {
            account: rec.id.to_string(),
        },
    )
    .await;
    Ok(rec.id)
}

// ---------------------------------------------------------------------------------
// Orgs and access

#[tracing::instrument(skip_all)]
pub async fn create_org(svc: &Services, actor: &Actor, name: &OrgName) -> Result<OrgRecord> {
    let Actor::Session { account, .. } = actor else {
        // A token acts inside one org; creating orgs is a human's act.
        return Err(IdentityError::Forbidden);
    };
    let org = OrgRecord {
        id: OrgId::new(),
        name: name.as_str().to_owned(),
        created_at: svc.clock.now(),
    };
    let ev = new_event(
        svc,
        org.id,
        "org.created",
        format!("org:{}", org.id),
        Some(account.id),
        json!({"name": org.name}),
    );
    svc.store.org_create(&org, account.id, &ev).await?;
    announce(svc, &ev).await;
    Ok(org)
}

/// The orgs the actor can act in, with its role in each.
pub async fn my_orgs(svc: &Services, actor: &Actor) -> Result<Vec<(OrgRecord, Role)>> {
    let all = svc.store.orgs_of_account(actor.account_id()).await?;
    Ok(match actor {
        Actor::Session { .. } => all,
        Actor::Token { org, .. } => all.into_iter().filter(|(o, _)| o.id == *org).collect(),
    })
}

pub async fn get_org(svc: &Services, access: &OrgAccess) -> Result<OrgRecord> {
    access.require_scope(Scope::Read)?;
    if let Some(o) = svc.auth.org(access.org()) {
        return Ok(o);
    }
    let o = svc
        .store
        .org_get(access.org())
        .await?
        .ok_or(IdentityError::NotFound)?;
    svc.auth.put_org(o.clone());
    Ok(o)
}

// ---------------------------------------------------------------------------------
// Staff

pub async fn list_staff(
    svc: &Services,
    access: &OrgAccess,
    page: &PageRequest,
) -> Result<Page<StaffRecord>> {
    access.require_scope(Scope::Read)?;
    Ok(svc.store.staff_list(access.org(), page).await?)
}

pub async fn get_staff(
    svc: &Services,
    access: &OrgAccess,
    account: AccountId,
) -> Result<StaffRecord> {
    access.require_scope(Scope::Read)?;
    svc.store
        .staff_get(access.org(), account)
        .await?
        .ok_or(IdentityError::NotFound)
}

#[tracing::instrument(skip_all, fields(org = %access.org(), account = %account))]
pub async fn change_role(
    svc: &Services,
    access: &OrgAccess,
    account: AccountId,
    role: Role,
) -> Result<StaffRecord> {
    access.require(Scope::Admin, access.role().can_manage_staff())?;
    let ev = new_event(
        svc,
        access.org(),
        "staff.role_changed",
        format!("staff:{account}"),
        Some(access.account()),
        json!({"role": role.as_str()}),
    );
    match svc
        .store
        .staff_set_role(access.org(), account, role, &ev)
        .await?
    {
        StaffChange::LastOwner => return Err(IdentityError::LastOwner),
        StaffChange::Done => {
            evict(
                &svc.auth,
                svc.bus.as_ref(),
                staff_eviction(access.org(), account),
            )
            .await;
            announce(svc, &ev).await;
        }
    }
    get_staff(svc, access, account).await
}

#[tracing::instrument(skip_all, fields(org = %access.org(), account = %account))]
pub async fn remove_staff(svc: &Services, access: &OrgAccess, account: AccountId) -> Result<()> {
    access.require(Scope::Admin, access.role().can_manage_staff())?;
    let ev = new_event(
        svc,
        access.org(),
        "staff.removed",
        format!("staff:{account}"),
        Some(access.account()),
        json!({}),
    );
    match svc.store.staff_remove(access.org(), account, &ev).await? {
        StaffChange::LastOwner => Err(IdentityError::LastOwner),
        StaffChange::Done => {
            evict(
                &svc.auth,
                svc.bus.as_ref(),
                staff_eviction(access.org(), account),
            )
            .await;
            announce(svc, &ev).await;
            Ok(())
        }
    }
}

// ---------------------------------------------------------------------------------
// Invites

/// Bounds on invite links, so a typo cannot mint an eternal, unlimited link.
pub const INVITE_MAX_USES: i64 = 1000;

pub const INVITE_MAX_TTL_HOURS: i64 = 24 * 30;

#[derive(Debug)]
pub struct NewInvite {
    pub role: Role,
    pub max_uses: i64,
    pub ttl_hours: i64,
}

impl NewInvite {
    pub fn parse(
        role: &str,
        max_uses: Option<i64>,
        ttl_hours: Option<i64>,
    ) -> Result<Self, ParseError> {
        let role = Role::parse(role)?;
        let max_uses = max_uses.unwrap_or(1);
        if !(1..=INVITE_MAX_USES).contains(&max_uses) {
            return Err(ParseError::new(
                "max_uses",
                "out_of_range",
                format!("1 to {INVITE_MAX_USES}"),
            ));
        }
        let ttl_hours = ttl_hours.unwrap_or(72);
        if !(1..=INVITE_MAX_TTL_HOURS).contains(&ttl_hours) {
            return Err(ParseError::new(
                "ttl_hours",
                "out_of_range",
                format!("1 to {INVITE_MAX_TTL_HOURS}"),
            ));
        }
        Ok(Self {
            role,
            max_uses,
            ttl_hours,
        })
    }
}

/// Creates an invite; the code is returned once and only its digest is kept.
#[tracing::instrument(skip_all, fields(org = %access.org()))]
pub async fn create_invite(
    svc: &Services,
    access: &OrgAccess,
    inv: &NewInvite,
) -> Result<(InviteRecord, String)> {
    access.require(Scope::Admin, access.role().can_grant(inv.role))?;
    let code = random_secret("", 18);
    let now = svc.clock.now();
    let rec = InviteRecord {
        id: InviteId::new(),
        org_id: access.org(),
        role: inv.role,
        code_hash: digest(&code),
        created_by: access.account(),
        created_at: now,
        expires_at: now.plus_secs(inv.ttl_hours * 3600),
        max_uses: inv.max_uses,
        uses: 0,
        revoked_at: None,
    };
    let ev = new_event(
        svc,
        access.org(),
        "invite.created",
        format!("invite:{}", rec.id),
        Some(access.account()),
        json!({"role": inv.role.as_str(), "max_uses": inv.max_uses}),
    );
    svc.store.invite_insert(&rec, &ev).await?;
    announce(svc, &ev).await;
    Ok((rec, code))
}

pub async fn list_invites(svc: &Services, access: &OrgAccess) -> Result<Vec<InviteRecord>> {
    access.require(Scope::Admin, access.role().can_invite())?;
    Ok(svc.store.invite_list(access.org(), svc.clock.now()).await?)
}

pub async fn revoke_invite(svc: &Services, access: &OrgAccess, id: InviteId) -> Result<()> {
    access.require(Scope::Admin, access.role().can_invite())?;
    let ev = new_event(
        svc,
        access.org(),
        "invite.revoked",
        format!("invite:{id}"),
        Some(access.account()),
        json!({}),
    );
    if svc
        .store
        .invite_revoke(access.org(), id, svc.clock.now(), &ev)
        .await?
    {
        announce(svc, &ev).await;
        Ok(())
    } else {
        Err(IdentityError::NotFound)
    }
}

/// What an invitee sees before accepting.
#[derive(Debug, Clone)]
pub struct InvitePreview {
    pub org: OrgRecord,
    pub role: Role,
}

pub async fn preview_invite(svc: &Services, code: &str) -> Result<InvitePreview> {
    if code.is_empty() || code.len() > 64 {
        return Err(IdentityError::InviteInvalid);
    }
    let now = svc.clock.now();
    let inv = svc
        .store
        .invite_by_code_hash(&digest(code))
        .await?
        .filter(|i| i.revoked_at.is_none() && i.expires_at > now && i.uses < i.max_uses)
        .ok_or(IdentityError::InviteInvalid)?;
    let org = svc
        .store
        .org_get(inv.org_id)
        .await?
        .ok_or(IdentityError::InviteInvalid)?;
    Ok(InvitePreview {
        org,
        role: inv.role,
    })
}

#[tracing::instrument(skip_all)]
pub async fn accept_invite(svc: &Services, actor: &Actor, code: &str) -> Result<(OrgId, Role)> {
    let Actor::Session { account, .. } = actor else {
        return Err(IdentityError::Forbidden);
    };
    if code.is_empty() || code.len() > 64 {
        return Err(IdentityError::InviteInvalid);
    }
    let hash = digest(code);
    // The event's org is only known inside the store's transaction; it fills it in.
    let placeholder = OrgId::from_uuid(uuid::Uuid::nil());
    let ev = new_event(
        svc,
        placeholder,
        "staff.joined",
        format!("staff:{}", account.id),
        Some(account.id),
        json!({"display_name": account.display_name}),
    );
    match svc
        .store
        .invite_accept(&hash, account.id, svc.clock.now(), &ev)
        .await?
    {
        InviteOutcome::Joined { org, role } => {
            // Cached circle views hold "not staff" for this account until now.
            evict(
                &svc.auth,
                svc.bus.as_ref(),
                Eviction::Viewer {
                    account: account.id.to_string(),
                },
            )
            .await;
            let mut ev = ev;
            ev.org_id = org;
            ev.data = json!({"display_name": account.display_name, "role": role.as_str()});
            announce(svc, &ev).await;
            Ok((org, role))
        }
        InviteOutcome::AlreadyStaff { .. } => Err(IdentityError::AlreadyStaff),
        InviteOutcome::Invalid => Err(IdentityError::InviteInvalid),
    }
}

// ---------------------------------------------------------------------------------
// API tokens

/// The prefix every API token starts with.
pub const TOKEN_PREFIX: &str = "quan_";

#[tracing::instrument(skip_all, fields(org = %access.org()))]
pub async fn create_token(
    svc: &Services,
    access: &OrgAccess,
    name: &TokenName,
    scopes: &Scopes,
    ttl_days: Option<i64>,
) -> Result<(TokenRecord, String)> {
    access.require(Scope::Admin, access.role().can_manage_tokens())?;
    if ttl_days.is_some_and(|d| !(1..=3650).contains(&d)) {
        return Err(ParseError::new("ttl_days", "out_of_range", "1 to 3650").into());
    }
    let secret = random_secret(TOKEN_PREFIX, 32);
    let now = svc.clock.now();
    let rec = TokenRecord {
        id: TokenId::new(),
        org_id: access.org(),
        account_id: access.account(),
        name: name.as_str().to_owned(),
        scopes: scopes.clone(),
        token_hash: digest(&secret),
        prefix: secret.chars().take(TOKEN_PREFIX.len() + 6).collect(),
        created_at: now,
        expires_at: ttl_days.map(|d| now.plus_secs(d * 24 * 3600)),
        revoked_at: None,
    };
    let ev = new_event(
        svc,
        access.org(),
        "token.created",
        format!("token:{}", rec.id),
        Some(access.account()),
        json!({"name": rec.name, "scopes": scopes.to_db()}),
    );
    svc.store.token_insert(&rec, &ev).await?;
    announce(svc, &ev).await;
    Ok((rec, secret))
}

pub async fn list_tokens(svc: &Services, access: &OrgAccess) -> Result<Vec<TokenRecord>> {
    access.require(Scope::Admin, access.role().can_manage_tokens())?;
    Ok(svc.store.token_list(access.org()).await?)
}

pub async fn revoke_token(svc: &Services, access: &OrgAccess, id: TokenId) -> Result<()> {
    access.require(Scope::Admin, access.role().can_manage_tokens())?;
    let ev = new_event(
        svc,
        access.org(),
        "token.revoked",
        format!("token:{id}"),
        Some(access.account()),
        json!({}),
    );
    if svc
        .store
        .token_revoke(access.org(), id, svc.clock.now(), &ev)
        .await?
    {
        evict(&svc.auth, svc.bus.as_ref(), token_eviction(id)).await;
        announce(svc, &ev).await;
        Ok(())
    } else {
        Err(IdentityError::NotFound)
    }
}

/// Resolves a bearer token; None when unknown, revoked or expired.
pub async fn token_actor(svc: &Services, secret: &str) -> Result<Option<Actor>> {
    if !secret.starts_with(TOKEN_PREFIX) || secret.len() > 128 {
        return Ok(None);
    }
    let now = svc.clock.now();
    let hash = digest(secret);
    let found = match svc.auth.token(&hash) {
        Some(t) => Some(t),
        None => {
            let t = svc.store.token_by_hash(&hash).await?;
            if let Some(t) = t.as_ref().filter(|t| t.revoked_at.is_none()) {
                svc.auth.put_token(hash, t.clone());
            }
            t
        }
    };
    Ok(found
        .filter(|t| t.revoked_at.is_none() && t.expires_at.is_none_or(|e| e > now))
        .map(|t| Actor::Token {
            token: t.id,
            account: t.account_id,
            org: t.org_id,
            scopes: t.scopes,
        }))
}
