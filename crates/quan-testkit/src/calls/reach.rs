//! Reach: the touch policy, contacts, channel codes, conversations, consent and
//! campaigns.

use super::dto;
use crate::{Res, User};
use quan_web::api::reach::auto::PreviewDto;
use quan_web::api::reach::campaigns::{CampaignDto, ConfirmedDto, PreflightDto};
use quan_web::api::reach::conversations::{ConversationDto, ReachMessageDto};
use quan_web::api::reach::import::ImportReportDto;
use quan_web::api::reach::transfers::{BatchDto, PreviewRowDto, TransferDto, TransferPageDto};
use quan_web::api::reach::{CodeDto, ContactDto, ContactPageDto, LoadsDto, PoliciesDto, PolicyDto};
use serde_json::{Value, json};

impl User {
    pub async fn try_set_policy(&self, org: &str, body: Value) -> Res {
        self.c
            .post(&format!("/api/v1/orgs/{org}/reach/policy"), body)
            .await
    }

    /// Saves a policy version taking effect now: budget `month|week|day`, quiet
    /// hours (`""` for none) and the contact cap, in Asia/Shanghai (asserting 201).
    pub async fn set_policy(&self, org: &str, budget: &str, quiet: &str, cap: i64) -> PolicyDto {
        let r = self
            .try_set_policy(
                org,
                json!({"budget": budget, "quiet_hours": quiet, "time_zone": "Asia/Shanghai", "contact_cap": cap}),
            )
            .await;
        assert_eq!(r.status, 201, "set policy of {org}: {}", r.text);
        dto("policy", &r)
    }

    pub async fn policy(&self, org: &str) -> PoliciesDto {
        let r = self
            .c
            .get(&format!("/api/v1/orgs/{org}/reach/policy"))
            .await;
        assert_eq!(r.status, 200, "policy of {org}: {}", r.text);
        dto("policies", &r)
    }

    /// Adds a person as a staff member's customer (the caller's if `staff` is None).
    pub async fn try_add_contact(&self, org: &str, person: &str, staff: Option<&str>) -> Res {
        self.c
            .post(
                &format!("/api/v1/orgs/{org}/contacts"),
                json!({"person_id": person, "staff_id": staff}),
            )
            .await
    }

    pub async fn add_contact(&self, org: &str, person: &str, staff: Option<&str>) -> ContactDto {
        let r = self.try_add_contact(org, person, staff).await;
        assert_eq!(r.status, 201, "add contact {person}: {}", r.text);
        dto("contact", &r)
    }

    pub async fn try_remove_contact(&self, org: &str, contact: &str) -> Res {
        self.c
            .delete(&format!("/api/v1/orgs/{org}/contacts/{contact}"))
            .await
    }

    /// Live contacts the caller may see; `query` as in `staff=…`.
    pub async fn contacts(&self, org: &str, query: &str) -> ContactPageDto {
        let r = self
            .c
            .get(&format!("/api/v1/orgs/{org}/contacts?{query}"))
            .await;
        assert_eq!(r.status, 200, "contacts of {org}: {}", r.text);
        dto("contacts", &r)
    }

    pub async fn loads(&self, org: &str) -> LoadsDto {
        let r = self
            .c
            .get(&format!("/api/v1/orgs/{org}/contacts/loads"))
            .await;
        assert_eq!(r.status, 200, "loads of {org}: {}", r.text);
        dto("loads", &r)
    }

    pub async fn try_create_code(&self, org: &str, body: Value) -> Res {
        self.c
            .post(&format!("/api/v1/orgs/{org}/channel-codes"), body)
            .await
    }

    /// A code over `staff` (in turn), with a backup, tags and a welcome (asserting 201).
    pub async fn create_code(&self, org: &str, body: Value) -> CodeDto {
        let r = self.try_create_code(org, body).await;
        assert_eq!(r.status, 201, "create code: {}", r.text);
        dto("code", &r)
    }

    pub async fn code(&self, org: &str, code: &str) -> CodeDto {
        let r = self
            .c
            .get(&format!("/api/v1/orgs/{org}/channel-codes/{code}"))
            .await;
        assert_eq!(r.status, 200, "code {code}: {}", r.text);
        dto("code", &r)
    }

    pub async fn try_archive_code(&self, org: &str, code: &str) -> Res {
        self.c
            .delete(&format!("/api/v1/orgs/{org}/channel-codes/{code}"))
            .await
    }

    /// Opens a code by its link (`…/r/{slug}`).
    pub async fn try_open_code(&self, url: &str) -> Res {
        let slug = url.rsplit('/').next().unwrap_or_default();
        self.c
            .post(&format!("/api/v1/codes/{slug}/open"), json!({}))
            .await
    }

    pub async fn open_code(&self, url: &str) -> ContactDto {
        let r = self.try_open_code(url).await;
        assert_eq!(r.status, 200, "open code {url}: {}", r.text);
        dto("contact", &r)
    }

    /// The caller's conversations as a customer.
    pub async fn conversations(&self) -> Vec<ContactDto> {
        let r = self.c.get("/api/v1/me/conversations").await;
        assert_eq!(r.status, 200, "conversations: {}", r.text);
        dto("conversations", &r)
    }

    pub async fn try_conversation(&self, contact: &str) -> Res {
        self.c
            .get(&format!("/api/v1/me/conversations/{contact}"))
            .await
    }

    /// One conversation as its customer reads it (newest first).
    pub async fn conversation(&self, contact: &str) -> ConversationDto {
        let r = self.try_conversation(contact).await;
        assert_eq!(r.status, 200, "conversation {contact}: {}", r.text);
        dto("conversation", &r)
    }

    pub async fn try_reply(&self, contact: &str, body: &str) -> Res {
        self.c
            .post(
                &format!("/api/v1/me/conversations/{contact}"),
                json!({"body": body}),
            )
            .await
    }

    pub async fn reply(&self, contact: &str, body: &str) -> ReachMessageDto {
        let r = self.try_reply(contact, body).await;
        assert_eq!(r.status, 201, "reply in {contact}: {}", r.text);
        dto("message", &r)
    }

    /// The customer deletes the staff member (asserting 204).
    pub async fn leave(&self, contact: &str) {
        let r = self
            .c
            .delete(&format!("/api/v1/me/conversations/{contact}"))
            .await;
        assert_eq!(r.status, 204, "leave {contact}: {}", r.text);
    }

    /// Opts out of (or back into) an org's campaigns (asserting 200).
    pub async fn opt_out(&self, org: &str, out: bool) {
        let r = self
            .c
            .put(
                &format!("/api/v1/me/consent/{org}"),
                json!({"opted_out": out}),
            )
            .await;
        assert_eq!(r.status, 200, "consent {org}: {}", r.text);
    }

    /// Sets what an org may send the caller, by topic (asserting 204).
    pub async fn set_topics(&self, org: &str, campaigns: bool, journeys: bool, moments: bool) {
        let r = self
            .c
            .put(
                &format!("/api/v1/me/consent/{org}/topics"),
                json!({"campaigns": campaigns, "journeys": journeys, "moments": moments}),
            )
            .await;
        assert_eq!(r.status, 204, "topics {org}: {}", r.text);
    }

    /// Puts the caller's topics and frequency for an org as `body` says.
    pub async fn try_topics(&self, org: &str, body: Value) -> Res {
        self.c
            .put(&format!("/api/v1/me/consent/{org}/topics"), body)
            .await
    }

    /// Asks an org for at most one campaign or journey message a week (or, with
    /// `weekly` false, as its budget allows), every topic on (asserting 204).
    pub async fn set_weekly(&self, org: &str, weekly: bool) {
        let frequency = if weekly { "weekly" } else { "budget" };
        let r = self
            .try_topics(
                org,
                json!({"campaigns": true, "journeys": true, "moments": true, "frequency": frequency}),
            )
            .await;
        assert_eq!(r.status, 204, "frequency {org}: {}", r.text);
    }

    /// A conversation as its staff member reads it.
    pub async fn staff_conversation(&self, org: &str, contact: &str) -> ConversationDto {
        let r = self
            .c
            .get(&format!("/api/v1/orgs/{org}/contacts/{contact}/messages"))
            .await;
        assert_eq!(r.status, 200, "staff conversation {contact}: {}", r.text);
        dto("conversation", &r)
    }

    pub async fn try_staff_send(&self, org: &str, contact: &str, body: &str) -> Res {
        self.c
            .post(
                &format!("/api/v1/orgs/{org}/contacts/{contact}/messages"),
                json!({"body": body}),
            )
            .await
    }

    pub async fn try_campaign(&self, org: &str, body: Value) -> Res {
        self.c
            .post(&format!("/api/v1/orgs/{org}/campaigns"), body)
            .await
    }

    /// Composes a campaign draft: `template` to `segment` (asserting 201).
    pub async fn campaign(&self, org: &str, template: &str, segment: Value) -> CampaignDto {
        let r = self
            .try_campaign(
                org,
                json!({"name": "Campaign", "template": template, "segment": segment}),
            )
            .await;
        assert_eq!(r.status, 201, "compose campaign: {}", r.text);
        dto("campaign", &r)
    }

    pub async fn preflight(&self, org: &str, campaign: &str) -> PreflightDto {
        let r = self
            .c
            .post(
                &format!("/api/v1/orgs/{org}/campaigns/{campaign}/preflight"),
                json!({}),
            )
            .await;
        assert_eq!(r.status, 200, "preflight {campaign}: {}", r.text);
        dto("preflight", &r)
    }

    pub async fn try_send_campaign(&self, org: &str, campaign: &str) -> Res {
        self.c
            .post(
                &format!("/api/v1/orgs/{org}/campaigns/{campaign}/send"),
                json!({}),
            )
            .await
    }

    /// Plans a campaign (asserting 200).
    pub async fn send_campaign(&self, org: &str, campaign: &str) -> CampaignDto {
        let r = self.try_send_campaign(org, campaign).await;
        assert_eq!(r.status, 200, "send {campaign}: {}", r.text);
        dto("campaign", &r)
    }

    pub async fn try_confirm(&self, org: &str, campaign: &str) -> Res {
        self.c
            .post(
                &format!("/api/v1/orgs/{org}/campaigns/{campaign}/confirm"),
                json!({}),
            )
            .await
    }

    /// Confirms the caller's share; how many went out (asserting 200).
    pub async fn confirm(&self, org: &str, campaign: &str) -> i64 {
        let r = self.try_confirm(org, campaign).await;
        assert_eq!(r.status, 200, "confirm {campaign}: {}", r.text);
        dto::<ConfirmedDto>("confirmed", &r).sent
    }

    pub async fn get_campaign(&self, org: &str, campaign: &str) -> CampaignDto {
        let r = self
            .c
            .get(&format!("/api/v1/orgs/{org}/campaigns/{campaign}"))
            .await;
        assert_eq!(r.status, 200, "campaign {campaign}: {}", r.text);
        dto("campaign", &r)
    }
}

impl User {
    /// A transfer batch body: `kind` (resigned | on_job) of `from`'s `contacts` to
    /// `receivers`.
    pub fn transfer_body(kind: &str, from: &str, contacts: &[&str], receivers: &[&str]) -> Value {
        json!({"kind": kind, "from_staff": from, "contacts": contacts, "receivers": receivers,
               "message": "我调岗了，之后由同事为您服务", "note": "老客户，喜欢乌龙"})
    }

    pub async fn preview_transfer(&self, org: &str, body: Value) -> Vec<PreviewRowDto> {
        let r = self
            .c
            .post(&format!("/api/v1/orgs/{org}/transfers/preview"), body)
            .await;
        assert_eq!(r.status, 200, "preview transfer: {}", r.text);
        dto("preview", &r)
    }

    pub async fn try_transfer(&self, org: &str, body: Value) -> Res {
        self.c
            .post(&format!("/api/v1/orgs/{org}/transfers"), body)
            .await
    }

    /// Starts a batch (asserting 201).
    pub async fn transfer(&self, org: &str, body: Value) -> BatchDto {
        let r = self.try_transfer(org, body).await;
        assert_eq!(r.status, 201, "transfer: {}", r.text);
        dto("batch", &r)
    }

    pub async fn transfers(&self, org: &str) -> Vec<TransferDto> {
        let r = self.c.get(&format!("/api/v1/orgs/{org}/transfers")).await;
        assert_eq!(r.status, 200, "transfers: {}", r.text);
        dto::<TransferPageDto>("transfers", &r).items
    }

    /// The caller's pending transfers as a customer.
    pub async fn my_transfers(&self) -> Vec<TransferDto> {
        let r = self.c.get("/api/v1/me/transfers").await;
        assert_eq!(r.status, 200, "my transfers: {}", r.text);
        dto("my transfers", &r)
    }

    pub async fn try_refuse(&self, transfer: &str) -> Res {
        self.c
            .post(
                &format!("/api/v1/me/transfers/{transfer}/refuse"),
                json!({}),
            )
            .await
    }
}

impl User {
    /// Uploads a CSV file of contacts (the raw answer).
    pub async fn try_import(&self, org: &str, csv: Vec<u8>) -> Res {
        self.c
            .raw(
                "POST",
                &format!("/api/v1/orgs/{org}/contacts/import"),
                "text/csv",
                csv,
            )
            .await
            .unwrap_or_else(|| panic!("import: no answer"))
    }

    /// Imports a CSV file of contacts (asserting 200).
    pub async fn import(&self, org: &str, csv: &str) -> ImportReportDto {
        let r = self.try_import(org, csv.as_bytes().to_vec()).await;
        assert_eq!(r.status, 200, "import: {}", r.text);
        dto("import report", &r)
    }
}

impl User {
    pub async fn try_auto_rule(&self, org: &str, body: Value) -> Res {
        self.c
            .post(&format!("/api/v1/orgs/{org}/auto-replies"), body)
            .await
    }

    /// Adds an auto-reply rule: `kind` keyword|regex, `action` answer|handoff
    /// (asserting 201).
    pub async fn auto_rule(
        &self,
        org: &str,
        kind: &str,
        pattern: &str,
        action: &str,
        answer: &str,
    ) {
        let body = json!({"name": pattern, "kind": kind, "pattern": pattern, "action": action, "answer": answer});
        let r = self.try_auto_rule(org, body).await;
        assert_eq!(r.status, 201, "auto rule: {}", r.text);
    }

    /// Sets business hours and the away message (asserting 200).
    pub async fn auto_settings(&self, org: &str, hours: &str, away: &str) -> Res {
        self.c
            .put(
                &format!("/api/v1/orgs/{org}/auto-replies/settings"),
                json!({"business_hours": hours, "away_message": away}),
            )
            .await
    }

    /// What the rules would answer to `message` (asserting 200).
    pub async fn auto_preview(&self, org: &str, message: &str) -> PreviewDto {
        let r = self
            .c
            .post(
                &format!("/api/v1/orgs/{org}/auto-replies/preview"),
                json!({"message": message}),
            )
            .await;
        assert_eq!(r.status, 200, "preview: {}", r.text);
        dto("preview", &r)
    }
}
