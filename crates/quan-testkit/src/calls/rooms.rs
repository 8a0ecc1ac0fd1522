//! Reach's room campaigns: the rooms a staff member may send to, and a campaign to
//! rooms.

use super::dto;
use crate::User;
use quan_web::api::reach::campaigns::CampaignDto;
use quan_web::api::reach::rooms::RoomTargetDto;
use serde_json::json;

impl User {
    /// The chat rooms the caller may send a campaign to (asserting 200).
    pub async fn campaign_rooms(&self, org: &str) -> Vec<RoomTargetDto> {
        let r = self
            .c
            .get(&format!("/api/v1/orgs/{org}/campaign-rooms"))
            .await;
        assert_eq!(r.status, 200, "campaign rooms of {org}: {}", r.text);
        dto("rooms", &r)
    }

    /// Composes a campaign draft to chat rooms (asserting 201).
    pub async fn room_campaign(&self, org: &str, template: &str, rooms: &[&str]) -> CampaignDto {
        let r = self
            .try_campaign(
                org,
                json!({"name": "Room campaign", "template": template, "segment": {"rooms": rooms}}),
            )
            .await;
        assert_eq!(r.status, 201, "compose room campaign: {}", r.text);
        dto("campaign", &r)
    }
}
