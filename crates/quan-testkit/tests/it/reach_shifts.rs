//! Channel-code shifts: an opener goes in turn to the staff on duty by their weekly
//! shifts in the org's time zone (staff without one are always on), to the backup
//! when no one is; a bad shift is refused by name. Both backends.

use quan_testkit::{TestApp, on_both_backends};
use serde_json::json;

on_both_backends!(openers_go_to_the_staff_on_duty, bad_shifts_are_refused);

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// Moves the clock to the next Monday at `hour`:00 in Shanghai (UTC+8, no DST).
fn to_next_monday(app: &TestApp, hour: i64) {
    let now = quan_core::Clock::now(app.clock.as_ref()).millis();
    let local = now + 8 * HOUR_MS;
    let days = local.div_euclid(DAY_MS);
    // 1970-01-01 was a Thursday: Monday is weekday 0.
    let weekday = (days + 3).rem_euclid(7);
    let target = (days + 7 - weekday) * DAY_MS + hour * HOUR_MS;
    app.clock.advance_secs((target - local) / 1000);
}

async fn openers_go_to_the_staff_on_duty(app: TestApp) {
    let (owner, org) = app.owner("Tea House").await;
    let (alice, bob) = (app.user("Alice").await, app.user("Bob").await);
    app.join(&owner, &org, &alice, "sales").await;
    app.join(&owner, &org, &bob, "sales").await;
    let code = owner
        .create_code(
            &org,
            json!({"name": "门店", "staff": [alice.id, bob.id], "backup": owner.id,
                   "shifts": [{"staff_id": alice.id, "hours": "周一-周五 09:00-18:00"},
                              {"staff_id": bob.id, "hours": "weekends 10:00-16:00"}]}),
        )
        .await;
    assert_eq!(code.mode, "schedule");
    assert_eq!(code.shifts[0].hours, "mon-fri 09:00-18:00");
    let opens = |name: &'static str| {
        let (app, url) = (&app, code.url.clone());
        async move { app.user(name).await.open_code(&url).await.staff_name }
    };
    to_next_monday(&app, 10);
    assert_eq!(opens("C1").await, "Alice", "Monday morning: Alice's shift");
    assert_eq!(
        opens("C2").await,
        "Alice",
        "still hers: Bob is off on weekdays"
    );
    app.clock.advance_secs(5 * 86_400 + 3600);
    assert_eq!(opens("C3").await, "Bob", "Saturday 11:00: Bob's shift");
    app.clock.advance_secs(9 * 3600);
    assert_eq!(
        opens("C4").await,
        "Tea House",
        "Saturday 20:00: no one on duty, the backup"
    );
}

async fn bad_shifts_are_refused(app: TestApp) {
    let (owner, org) = app.owner("Tea House").await;
    let alice = app.user("Alice").await;
    app.join(&owner, &org, &alice, "sales").await;
    for (shifts, code) in [
        (
            json!([{"staff_id": alice.id, "hours": "funday 09:00-18:00"}]),
            "invalid_shift",
        ),
        (
            json!([{"staff_id": alice.id, "hours": "mon 9-18"}]),
            "invalid_shift",
        ),
        (
            json!([{"staff_id": owner.id, "hours": "mon 09:00-18:00"}]),
            "invalid_shift",
        ),
    ] {
        let r = owner
            .try_create_code(
                &org,
                json!({"name": "x", "staff": [alice.id], "shifts": shifts}),
            )
            .await;
        assert_eq!(r.problem(), (422, Some(code)), "{shifts}: {}", r.text);
        assert_eq!(r.field(), (422, Some("shift")));
    }
}
