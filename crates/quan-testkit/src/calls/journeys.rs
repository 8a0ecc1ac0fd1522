//! Reach's journeys: compose, dry-run, enable, archive and read a journey; the
//! caller's tasks from journeys.

use super::dto;
use crate::{Res, User};
use quan_web::api::reach::journeys::{DryRunDto, JourneyDetailDto, JourneyDto, JourneyTaskDto};
use serde_json::{Value, json};

impl User {
    pub async fn try_journey(&self, org: &str, body: Value) -> Res {
        self.c
            .post(&format!("/api/v1/orgs/{org}/journeys"), body)
            .await
    }

    /// Composes a draft journey: `steps` as (kind, value) pairs.
    pub async fn journey(
        &self,
        org: &str,
        name: &str,
        trigger: Value,
        steps: &[(&str, &str)],
    ) -> JourneyDto {
        let mut body = json!({
            "name": name,
            "steps": steps.iter().map(|(k, v)| json!({"kind": k, "value": v})).collect::<Vec<_>>(),
        });
        if let (Some(b), Some(t)) = (body.as_object_mut(), trigger.as_object()) {
            b.extend(t.clone());
        }
        let r = self.try_journey(org, body).await;
        assert_eq!(r.status, 201, "journey in {org}: {}", r.text);
        dto("journey", &r)
    }

    pub async fn try_get_journey(&self, org: &str, journey: &str) -> Res {
        self.c
            .get(&format!("/api/v1/orgs/{org}/journeys/{journey}"))
            .await
    }

    /// A journey with its runs and step outcomes.
    pub async fn get_journey(&self, org: &str, journey: &str) -> JourneyDetailDto {
        let r = self.try_get_journey(org, journey).await;
        assert_eq!(r.status, 200, "journey {journey}: {}", r.text);
        dto("journey", &r)
    }

    pub async fn try_dry_run(&self, org: &str, journey: &str) -> Res {
        self.c
            .post(
                &format!("/api/v1/orgs/{org}/journeys/{journey}/dry-run"),
                json!({}),
            )
            .await
    }

    pub async fn dry_run(&self, org: &str, journey: &str) -> DryRunDto {
        let r = self.try_dry_run(org, journey).await;
        assert_eq!(r.status, 200, "dry run {journey}: {}", r.text);
        dto("dry run", &r)
    }

    pub async fn try_enable_journey(&self, org: &str, journey: &str) -> Res {
        self.c
            .post(
                &format!("/api/v1/orgs/{org}/journeys/{journey}/enable"),
                json!({}),
            )
            .await
    }

    /// Dry-runs then enables a journey.
    pub async fn enable_journey(&self, org: &str, journey: &str) -> JourneyDto {
        self.dry_run(org, journey).await;
        let r = self.try_enable_journey(org, journey).await;
        assert_eq!(r.status, 200, "enable {journey}: {}", r.text);
        dto("journey", &r)
    }

    pub async fn try_archive_journey(&self, org: &str, journey: &str) -> Res {
        self.c
            .post(
                &format!("/api/v1/orgs/{org}/journeys/{journey}/archive"),
                json!({}),
            )
            .await
    }

    pub async fn journey_tasks(&self, org: &str) -> Vec<JourneyTaskDto> {
        let r = self
            .c
            .get(&format!("/api/v1/orgs/{org}/journey-tasks"))
            .await;
        assert_eq!(r.status, 200, "tasks in {org}: {}", r.text);
        dto("tasks", &r)
    }

    pub async fn try_task_done(&self, org: &str, task: &str) -> Res {
        self.c
            .post(
                &format!("/api/v1/orgs/{org}/journey-tasks/{task}/done"),
                json!({}),
            )
            .await
    }
}
