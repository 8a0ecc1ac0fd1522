//! Notifications: the caller's list with its unread count, read marks, settings.

use super::dto;
use crate::{Res, User};
use quan_web::api::notify::{NotificationPage, NotifySettingDto, ReadDto};
use serde_json::json;

impl User {
    /// The caller's notifications, newest first, and the unread count (asserting 200).
    pub async fn notifications(&self) -> NotificationPage {
        let r = self.c.get("/api/v1/me/notifications").await;
        assert_eq!(r.status, 200, "notifications: {}", r.text);
        dto("notifications", &r)
    }

    /// The kinds of the caller's notifications, newest first, and the unread count.
    pub async fn notified(&self) -> (Vec<String>, i64) {
        let page = self.notifications().await;
        let kinds = page.items.into_iter().map(|n| n.kind).collect();
        (kinds, page.unread)
    }

    /// Marks notifications read, up to `up_to` or all.
    pub async fn try_mark_notified(&self, up_to: Option<&str>) -> Res {
        self.c
            .post("/api/v1/me/notifications/read", json!({"up_to": up_to}))
            .await
    }

    /// Marks notifications read (asserting 200); the answer counts them.
    pub async fn mark_notified(&self, up_to: Option<&str>) -> ReadDto {
        let r = self.try_mark_notified(up_to).await;
        assert_eq!(r.status, 200, "mark notifications read: {}", r.text);
        dto("marked", &r)
    }

    /// Turns one kind of notification on or off.
    pub async fn try_notify_setting(&self, kind: &str, on: bool) -> Res {
        self.c
            .put(
                &format!("/api/v1/me/notification-settings/{kind}"),
                json!({"on": on}),
            )
            .await
    }

    /// Turns one kind of notification on or off (asserting 204).
    pub async fn notify_setting(&self, kind: &str, on: bool) {
        let r = self.try_notify_setting(kind, on).await;
        assert_eq!(r.status, 204, "notification setting {kind}: {}", r.text);
    }

    /// The caller's notification settings (asserting 200).
    pub async fn notify_settings(&self) -> Vec<NotifySettingDto> {
        let r = self.c.get("/api/v1/me/notification-settings").await;
        assert_eq!(r.status, 200, "notification settings: {}", r.text);
        dto("notification settings", &r)
    }
}
