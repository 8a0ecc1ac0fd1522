//! The one write guard every member write passes (posts, comments, chat messages):
//! sanctions in force, the first-day limits of new members, then the org's sensitive
//! words, which are edited here too.

use crate::Services;
use crate::access::{CircleView, OrgAccess};
use crate::circles::port::{CircleMemberRecord, PostRecord, WriteQuota};
use crate::moderation::error::ModerationError;
use crate::moderation::{log_entry, written};
use crate::ports::{StoreError, constraints};
use quan_domain::{
    AccountId, CircleId, OrgId, ParseError, Role, SanctionKind, Scope, TL0_COMMENTS_PER_DAY,
    TL0_POSTS_PER_DAY, WordAction, find_sensitive, short_label,
};

type Result<T, E = ModerationError> = std::result::Result<T, E>;

/// What a member is writing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteKind {
    Post,
    Comment,
    Chat,
    /// An upload: counted against the first-day allowance, its words not read.
    Image,
}

/// What the guard decided for an allowed write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// A "hold" word matched: the post is saved hidden, for review.
    Hold {
        word: String,
    },
}

/// A mute or ban in force stops every write. The viewer's sanctions come with the
/// circle view (no query per write).
pub(crate) fn ensure_not_sanctioned(svc: &Services, v: &CircleView) -> Result<()> {
    let now = svc.clock.now();
    match v.sanctions.iter().find(|s| s.until.is_none_or(|u| u > now)) {
        Some(s) => Err(ModerationError::Muted { until: s.until }),
        None => Ok(()),
    }
}

/// A ban in force stops joining again (by policy or by link).
pub(crate) async fn ensure_not_banned(
    svc: &Services,
    circle: CircleId,
    account: AccountId,
) -> Result<()> {
    let banned = svc
        .store
        .sanctions(circle, Some(account), svc.clock.now())
        .await?
        .iter()
        .any(|s| s.kind == SanctionKind::Ban);
    if banned {
        Err(ModerationError::Banned)
    } else {
        Ok(())
    }
}

/// A member in their first day who is neither circle nor org staff: new-member
/// limits apply (staff are trusted from day one).
pub fn newcomer(svc: &Services, v: &CircleView, m: &CircleMemberRecord) -> bool {
    let first_day = svc.clock.now().millis() - m.joined_at.millis() < 86_400_000;
    first_day && !m.role.is_circle_staff() && v.org_role.is_none()
}

/// A new member's allowance for this write, enforced by the store in the write's
/// transaction (the check in [`guard_write`] only answers early).
pub fn quota(
    svc: &Services,
    v: &CircleView,
    m: &CircleMemberRecord,
    kind: WriteKind,
) -> Option<WriteQuota> {
    let max = match kind {
        WriteKind::Post => TL0_POSTS_PER_DAY,
        WriteKind::Comment => TL0_COMMENTS_PER_DAY,
        WriteKind::Image => svc.rules.first_day_images,
        WriteKind::Chat => return None,
    };
    newcomer(svc, v, m).then_some(WriteQuota {
        circle: v.circle.id,
        account: m.account_id,
        since: m.joined_at,
        max,
    })
}

/// The error a store's `new_member_limit` conflict stands for.
pub fn quota_error(e: StoreError, kind: WriteKind) -> ModerationError {
    if e.is_conflict_on(constraints::NEW_MEMBER_LIMIT) {
        ModerationError::NewMemberLimit(match kind {
            WriteKind::Comment => "comments",
            WriteKind::Image => "images",
            WriteKind::Post | WriteKind::Chat => "posts",
        })
    } else {
        e.into()
    }
}

/// Sanctions, new-member limits and sensitive words, in that order.
pub async fn guard_write(
    svc: &Services,
    v: &CircleView,
    m: &CircleMemberRecord,
    kind: WriteKind,
    content: &str,
) -> Result<Verdict> {
    ensure_not_sanctioned(svc, v)?;
    if newcomer(svc, v, m) && kind != WriteKind::Chat {
        let (posts, comments) = svc
            .store
            .recent_writes(v.circle.id, m.account_id, m.joined_at)
            .await?;
        if kind == WriteKind::Post && posts >= TL0_POSTS_PER_DAY {
            return Err(ModerationError::NewMemberLimit("posts"));
        }
        if kind == WriteKind::Comment && comments >= TL0_COMMENTS_PER_DAY {
            return Err(ModerationError::NewMemberLimit("comments"));
        }
    }
    let words = org_words(svc, v.circle.org_id).await?;
    match find_sensitive(content, &words) {
        None => Ok(Verdict::Allowed),
        // Comments and chat cannot wait hidden for review: a held word refuses them.
        Some((w, WordAction::Reject)) => Err(ModerationError::SensitiveWord(w.clone())),
        Some((w, _)) if kind != WriteKind::Post => Err(ModerationError::SensitiveWord(w.clone())),
        Some((w, WordAction::Hold)) => Ok(Verdict::Hold { word: w.clone() }),
    }
}

/// The org's sensitive words, from the access cache when fresh (every member write
/// reads them; an edit evicts them on every node).
async fn org_words(svc: &Services, org: OrgId) -> Result<crate::access::cache::Words> {
    if let Some(w) = svc.auth.words(org) {
        return Ok(w);
    }
    let w = std::sync::Arc::new(svc.store.sensitive_words(org).await?);
    svc.auth.put_words(org, std::sync::Arc::clone(&w));
    Ok(w)
}

async fn words_changed(svc: &Services, org: OrgId) {
    crate::access::cache::evict(
        &svc.auth,
        svc.bus.as_ref(),
        crate::access::cache::Eviction::Words {
            org: org.to_string(),
        },
    )
    .await;
}

// ---------------------------------------------------------------------------------
// Circle administration

/// After a held post is saved: hide it and log why (the word itself stays out of
/// the public log).
pub(crate) async fn hold_post(svc: &Services, p: &PostRecord) -> Result<()> {
    let log = log_entry(
        svc,
        p.circle_id,
        None,
        "hold",
        format!("post:{}", p.id),
        "sensitive word: held for review",
    );
    svc.store.post_hide(p.circle_id, p.id, &log).await?;
    written(svc, p.circle_id).await;
    Ok(())
}

fn require_word_editor(access: &OrgAccess) -> Result<()> {
    access
        .require_scope(Scope::Admin)
        .map_err(|_| ModerationError::MissingScope("admin"))?;
    if matches!(access.role(), Role::Owner | Role::Admin | Role::Operator) {
        Ok(())
    } else {
        Err(ModerationError::Forbidden)
    }
}

pub const WORDS_MAX: usize = 2_000;

pub async fn words(svc: &Services, access: &OrgAccess) -> Result<Vec<(String, WordAction)>> {
    require_word_editor(access)?;
    Ok(svc.store.sensitive_words(access.org()).await?)
}

pub async fn set_word(
    svc: &Services,
    access: &OrgAccess,
    word: &str,
    action: WordAction,
) -> Result<String> {
    require_word_editor(access)?;
    let word = short_label(word, "word")?;
    let have = svc.store.sensitive_words(access.org()).await?;
    if have.len() >= WORDS_MAX && !have.iter().any(|(w, _)| *w == word) {
        return Err(
            ParseError::new("word", "too_many", format!("at most {WORDS_MAX} words")).into(),
        );
    }
    svc.store
        .sensitive_word_set(access.org(), &word, action, svc.clock.now())
        .await?;
    words_changed(svc, access.org()).await;
    Ok(word)
}

pub async fn delete_word(svc: &Services, access: &OrgAccess, word: &str) -> Result<()> {
    require_word_editor(access)?;
    let word = short_label(word, "word")?;
    if svc.store.sensitive_word_delete(access.org(), &word).await? {
        words_changed(svc, access.org()).await;
        Ok(())
    } else {
        Err(ModerationError::NotFound)
    }
}
