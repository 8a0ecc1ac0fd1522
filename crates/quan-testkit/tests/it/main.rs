//! Quan's integration suite: the real router over a real database per test, on
//! SQLite and PostgreSQL. One binary (one link) for all of it.

mod api;
mod browser;
mod chat;
mod circle_admin;
mod circle_ops;
mod circle_pages;
mod circles;
mod cluster;
mod console_circle;
mod demo;
mod discovery;
mod doorway;
mod edge;
mod garbage;
mod group_commit;
mod images;
mod moderation;
mod notify;
mod openapi;
mod posts;
mod reach;
mod reach_auto;
mod reach_consent;
mod reach_import;
mod reach_journeys;
mod reach_live;
mod reach_moments;
mod reach_negative;
mod reach_transfers;
mod search;
mod search_queue;
mod store;
mod tenancy;
mod tidy;
mod ws;
