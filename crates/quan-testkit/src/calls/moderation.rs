//! Moderation: reports and the review queue, the public log, mutes and bans, the
//! org's sensitive words. Each `try_` call returns the raw answer for a test that
//! expects a refusal; its plain twin asserts success and returns the DTO.

use super::{dto, encode};
use crate::{Res, User};
use quan_web::api::moderation::{ModLogPage, QueueItemDto, ReportResultDto, SanctionDto, WordDto};
use serde_json::{Value, json};

impl User {
    /// Reports a post for `reason` (spam, abuse, illegal, off_topic, other).
    pub async fn try_report(&self, circle: &str, post: &str, reason: &str) -> Res {
        self.c
            .post(
                &format!("/api/v1/circles/{circle}/posts/{post}/reports"),
                json!({"reason": reason}),
            )
            .await
    }

    /// Reports a post (asserting 201); the answer says whether it is hidden now.
    pub async fn report(&self, circle: &str, post: &str, reason: &str) -> ReportResultDto {
        let r = self.try_report(circle, post, reason).await;
        assert_eq!(r.status, 201, "report {post}: {}", r.text);
        dto("report", &r)
    }

    /// The review queue of a circle.
    pub async fn try_review_queue(&self, circle: &str) -> Res {
        self.c
            .get(&format!("/api/v1/circles/{circle}/moderation/queue"))
            .await
    }

    /// The review queue, heaviest first (asserting 200).
    pub async fn review_queue(&self, circle: &str) -> Vec<QueueItemDto> {
        let r = self.try_review_queue(circle).await;
        assert_eq!(r.status, 200, "review queue of {circle}: {}", r.text);
        dto("review queue", &r)
    }

    /// Decides a queued post, `upheld` or `dismissed` (asserting 204).
    pub async fn decide(&self, circle: &str, post: &str, decision: &str, reason: &str) {
        let r = self
            .c
            .post(
                &format!("/api/v1/circles/{circle}/moderation/queue/{post}"),
                json!({"decision": decision, "reason": reason}),
            )
            .await;
        assert_eq!(r.status, 204, "decide {post}: {}", r.text);
    }

    /// The circle's public moderation log, newest first (asserting 200).
    pub async fn mod_log(&self, circle: &str) -> ModLogPage {
        let r = self
            .c
            .get(&format!("/api/v1/circles/{circle}/moderation/log"))
            .await;
        assert_eq!(r.status, 200, "moderation log of {circle}: {}", r.text);
        dto("moderation log", &r)
    }

    /// The actions of the log's first page, newest first.
    pub async fn mod_actions(&self, circle: &str) -> Vec<String> {
        let log = self.mod_log(circle).await;
        log.items.into_iter().map(|l| l.action).collect()
    }

    /// Mutes or bans (`kind`) a member; `body` as in `{"hours": 1, "reason": "…"}`.
    pub async fn try_sanction(&self, circle: &str, account: &str, kind: &str, body: Value) -> Res {
        self.c
            .put(
                &format!("/api/v1/circles/{circle}/sanctions/{account}/{kind}"),
                body,
            )
            .await
    }

    /// Mutes or bans a member (asserting 200).
    pub async fn sanction(
        &self,
        circle: &str,
        account: &str,
        kind: &str,
        body: Value,
    ) -> SanctionDto {
        let r = self.try_sanction(circle, account, kind, body).await;
        assert_eq!(r.status, 200, "{kind} {account}: {}", r.text);
        dto("sanction", &r)
    }

    /// The mutes and bans in force (asserting 200).
    pub async fn sanctions(&self, circle: &str) -> Vec<SanctionDto> {
        let r = self
            .c
            .get(&format!("/api/v1/circles/{circle}/sanctions"))
            .await;
        assert_eq!(r.status, 200, "sanctions of {circle}: {}", r.text);
        dto("sanctions", &r)
    }

    /// Lifts a mute or ban (asserting 204).
    pub async fn lift(&self, circle: &str, account: &str, kind: &str) {
        let r = self
            .c
            .delete(&format!(
                "/api/v1/circles/{circle}/sanctions/{account}/{kind}"
            ))
            .await;
        assert_eq!(r.status, 204, "lift {kind} on {account}: {}", r.text);
    }

    /// Adds a sensitive word to the org or changes its action.
    pub async fn try_set_word(&self, org: &str, word: &str, action: &str) -> Res {
        self.c
            .post(
                &format!("/api/v1/orgs/{org}/sensitive-words"),
                json!({"word": word, "action": action}),
            )
            .await
    }

    /// Adds a sensitive word (asserting 200).
    pub async fn set_word(&self, org: &str, word: &str, action: &str) -> WordDto {
        let r = self.try_set_word(org, word, action).await;
        assert_eq!(r.status, 200, "word {word}: {}", r.text);
        dto("word", &r)
    }

    /// The org's sensitive words.
    pub async fn try_words(&self, org: &str) -> Res {
        self.c
            .get(&format!("/api/v1/orgs/{org}/sensitive-words"))
            .await
    }

    /// The org's sensitive words (asserting 200).
    pub async fn words(&self, org: &str) -> Vec<WordDto> {
        let r = self.try_words(org).await;
        assert_eq!(r.status, 200, "words of {org}: {}", r.text);
        dto("words", &r)
    }

    /// Drops a sensitive word (asserting 204).
    pub async fn drop_word(&self, org: &str, word: &str) {
        let encoded = encode(word);
        let r = self
            .c
            .delete(&format!("/api/v1/orgs/{org}/sensitive-words/{encoded}"))
            .await;
        assert_eq!(r.status, 204, "drop word {word}: {}", r.text);
    }
}
