//! The board of a circle: notice receipts, check-ins and their leaderboard, task steps.

use super::dto;
use crate::User;
use quan_web::api::circles::board::{CheckinDto, ReceiptsDto, StreakDto, TaskStepDto};
use quan_web::api::circles::posts::PostDto;
use serde_json::json;

impl User {
    /// Who has and has not read a notice (asserting 200).
    pub async fn receipts(&self, circle: &str, post: &str) -> ReceiptsDto {
        let r = self
            .c
            .get(&format!("/api/v1/circles/{circle}/posts/{post}/receipts"))
            .await;
        assert_eq!(r.status, 200, "receipts of {post}: {}", r.text);
        dto("receipts", &r)
    }

    /// Checks in for today (asserting 200); `checked_in` is false on a repeat.
    pub async fn checkin(&self, circle: &str) -> CheckinDto {
        let r = self
            .c
            .post(&format!("/api/v1/circles/{circle}/checkins"), json!({}))
            .await;
        assert_eq!(r.status, 200, "check in to {circle}: {}", r.text);
        dto("check-in", &r)
    }

    /// The check-in leaderboard (asserting 200).
    pub async fn leaderboard(&self, circle: &str) -> Vec<StreakDto> {
        let r = self
            .c
            .get(&format!("/api/v1/circles/{circle}/checkins/leaderboard"))
            .await;
        assert_eq!(r.status, 200, "leaderboard of {circle}: {}", r.text);
        dto("leaderboard", &r)
    }

    /// One step on a task: `action` as in `claim`, with an optional note (asserting
    /// 200); the answer is the task in its new state.
    pub async fn task_step(&self, circle: &str, post: &str, action: &str, note: &str) -> PostDto {
        let r = self
            .c
            .post(
                &format!("/api/v1/circles/{circle}/posts/{post}/task"),
                json!({"action": action, "note": note}),
            )
            .await;
        assert_eq!(r.status, 200, "{action} on {post}: {}", r.text);
        dto("task step", &r)
    }

    /// A task's history, oldest first (asserting 200).
    pub async fn task_steps(&self, circle: &str, post: &str) -> Vec<TaskStepDto> {
        let r = self
            .c
            .get(&format!("/api/v1/circles/{circle}/posts/{post}/task"))
            .await;
        assert_eq!(r.status, 200, "steps of {post}: {}", r.text);
        dto("task steps", &r)
    }
}
