//! Leaders and pickup points: staff set them up and change them; buyers ask for
//! the points near them, nearest first.

use super::dto;
use crate::{Res, User};
use quan_web::api::local::{LeaderDto, LeaderPageDto, PickupPointDto, PickupPointListDto};
use serde_json::{Value, json};

/// A leader's request body at (`lat`, `lon`) serving `radius_m` metres, with the
/// other fields a console form sends.
pub fn leader_body(name: &str, (lat, lon): (f64, f64), radius_m: i64) -> Value {
    json!({
        "name": name, "phone": "13800000000",
        "point_name": format!("{name}自提点"), "address": format!("杭州市 {name} 路 1 号"),
        "lat": lat, "lon": lon, "kind": "store", "hours": "每天 9:00–21:00",
        "radius_m": radius_m, "capacity": 200, "commission_bp": 500,
    })
}

impl User {
    pub async fn try_create_leader(&self, org: &str, body: Value) -> Res {
        self.c
            .post(&format!("/api/v1/orgs/{org}/leaders"), body)
            .await
    }

    /// A leader from a request body (asserting 201).
    pub async fn create_leader(&self, org: &str, body: Value) -> LeaderDto {
        let r = self.try_create_leader(org, body).await;
        assert_eq!(r.status, 201, "create leader in {org}: {}", r.text);
        dto("leader", &r)
    }

    pub async fn try_update_leader(&self, org: &str, id: &str, body: Value) -> Res {
        self.c
            .put(&format!("/api/v1/orgs/{org}/leaders/{id}"), body)
            .await
    }

    /// A leader changed (asserting 200).
    pub async fn update_leader(&self, org: &str, id: &str, body: Value) -> LeaderDto {
        let r = self.try_update_leader(org, id, body).await;
        assert_eq!(r.status, 200, "update leader {id}: {}", r.text);
        dto("leader", &r)
    }

    pub async fn try_org_leaders(&self, org: &str, query: &str) -> Res {
        self.c
            .get(&format!("/api/v1/orgs/{org}/leaders{query}"))
            .await
    }

    pub async fn org_leaders(&self, org: &str, query: &str) -> LeaderPageDto {
        let r = self.try_org_leaders(org, query).await;
        assert_eq!(r.status, 200, "leaders of {org}: {}", r.text);
        dto("leaders", &r)
    }

    pub async fn try_org_leader(&self, org: &str, id: &str) -> Res {
        self.c
            .get(&format!("/api/v1/orgs/{org}/leaders/{id}"))
            .await
    }

    pub async fn try_pickup_points(&self, org: &str, query: &str) -> Res {
        self.c
            .get(&format!("/api/v1/shops/{org}/pickup-points{query}"))
            .await
    }

    /// The shop's points serving (`lat`, `lon`), nearest first.
    pub async fn pickup_points(&self, org: &str, (lat, lon): (f64, f64)) -> Vec<PickupPointDto> {
        let r = self
            .try_pickup_points(org, &format!("?lat={lat}&lon={lon}&limit=20"))
            .await;
        assert_eq!(r.status, 200, "pickup points of {org}: {}", r.text);
        dto::<PickupPointListDto>("pickup points", &r).items
    }

    pub async fn try_nearest_pickup(&self, org: &str, (lat, lon): (f64, f64)) -> Res {
        self.c
            .get(&format!(
                "/api/v1/shops/{org}/pickup-points/nearest?lat={lat}&lon={lon}"
            ))
            .await
    }
}
