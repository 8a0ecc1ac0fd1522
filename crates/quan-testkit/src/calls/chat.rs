//! Chat: rooms, messages and their history, read marks, promoting a message.

use super::dto;
use crate::{Res, User};
use quan_web::api::chat::{MessageDto, RoomDto};
use quan_web::api::circles::posts::PostDto;
use serde_json::{Value, json};

impl User {
    /// A circle's rooms with the caller's unread counts (asserting 200).
    pub async fn rooms(&self, circle: &str) -> Vec<RoomDto> {
        let r = self.c.get(&format!("/api/v1/circles/{circle}/rooms")).await;
        assert_eq!(r.status, 200, "rooms of {circle}: {}", r.text);
        dto("rooms", &r)
    }

    /// Adds a room to a circle.
    pub async fn try_add_room(&self, circle: &str, name: &str) -> Res {
        self.c
            .post(
                &format!("/api/v1/circles/{circle}/rooms"),
                json!({"name": name}),
            )
            .await
    }

    /// Adds a room to a circle (asserting 201).
    pub async fn add_room(&self, circle: &str, name: &str) -> RoomDto {
        let r = self.try_add_room(circle, name).await;
        assert_eq!(r.status, 201, "room {name} in {circle}: {}", r.text);
        dto("room", &r)
    }

    /// Sends a message; `body` as in `{"body": "hi", "reply_to": id}` (asserting 201).
    pub async fn say(&self, circle: &str, room: &str, body: Value) -> MessageDto {
        let r = self
            .c
            .post(
                &format!("/api/v1/circles/{circle}/rooms/{room}/messages"),
                body,
            )
            .await;
        assert_eq!(r.status, 201, "message in {room}: {}", r.text);
        dto("message", &r)
    }

    /// A page of a room's history, newest first; `query` as in `limit=2` (asserting 200).
    pub async fn history(&self, circle: &str, room: &str, query: &str) -> Vec<MessageDto> {
        let r = self
            .c
            .get(&format!(
                "/api/v1/circles/{circle}/rooms/{room}/messages?{query}"
            ))
            .await;
        assert_eq!(r.status, 200, "history of {room}: {}", r.text);
        dto("history", &r)
    }

    /// Marks a room read up to a message (asserting 204).
    pub async fn read_room(&self, circle: &str, room: &str, last: &str) {
        let r = self
            .c
            .post(
                &format!("/api/v1/circles/{circle}/rooms/{room}/read"),
                json!({"last_read_id": last}),
            )
            .await;
        assert_eq!(r.status, 204, "read {room}: {}", r.text);
    }

    /// Promotes a message to a topic post (asserting 201).
    pub async fn promote(&self, circle: &str, room: &str, message: &str) -> PostDto {
        let r = self
            .c
            .post(
                &format!("/api/v1/circles/{circle}/rooms/{room}/messages/{message}/promote"),
                json!({}),
            )
            .await;
        assert_eq!(r.status, 201, "promote {message}: {}", r.text);
        dto("promoted post", &r)
    }
}
