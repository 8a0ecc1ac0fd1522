//! Plays the demo's three weeks in order: every join, post, picture, comment, like,
//! check-in and chat line of [`content`] becomes a step at its own time; the steps
//! are sorted and run with the demo clock set to each step's time — through the real
//! use cases, except chat lines, which go straight to the store (the send rate limit
//! is for people) — so created and active times, streaks, hot ranks and first-day
//! rules all come out as they would have. "Today" in [`content`] is the last whole
//! local day, so every step has happened by the time the demo loads, whatever the
//! hour.

use super::content::{self, Post};
use super::{DemoCircles, actor, art, circle_err};
use quan_core::access::Me;
use quan_core::circles::posts::{self, NewPost};
use quan_core::circles::{self as cc, board, images};
use quan_core::{Clock, Services, TestClock, moderation, notify};
use quan_domain::{CircleId, MemberTypes, MessageId, PostId, ReactionKind, Timestamp};

/// How far back the demo's history goes.
pub const HISTORY_DAYS: i64 = 21;

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
/// The demo business is in China (UTC+8): hours in [`content`] are local.
const UTC_OFFSET: i64 = 8 * HOUR;

/// `days_ago` days before the last whole local day before `now`, at `hour:minute`
/// local time: always in the past, so no step is squeezed against the present (and
/// every day's check-in lands on a day of its own).
pub fn at(now: Timestamp, days_ago: i64, hour: i64, minute: i64) -> Timestamp {
    let today = (now.millis() + UTC_OFFSET).div_euclid(DAY) * DAY - UTC_OFFSET;
    Timestamp::from_millis(today - (days_ago + 1) * DAY + hour * HOUR + minute * MINUTE)
}

/// Which circle a post goes to, and whether it is a notice.
#[derive(Clone, Copy)]
struct Placed {
    circle: CircleId,
    post: &'static Post,
    notice: bool,
    /// Duplicates are removed by a moderator; held posts wait for review.
    removed: bool,
}

enum Step {
    Join {
        who: usize,
        circle: CircleId,
    },
    JoinByLink {
        who: usize,
    },
    Post(usize),
    Comment {
        post: usize,
        who: usize,
        text: &'static str,
    },
    React {
        post: usize,
        who: usize,
        kind: ReactionKind,
    },
    Remove(usize),
    Pin(usize),
    Checkin {
        who: usize,
        circle: CircleId,
    },
    Chat {
        who: usize,
        text: &'static str,
    },
    /// Someone catches up on their notifications (older ones are read, as in a
    /// community people actually use).
    ReadAll {
        who: usize,
    },
}

/// When each customer joined the fan circle: all on the first days, in roster order,
/// so each is past the first-day limits when they first post.
fn joined(now: Timestamp, who: usize) -> Timestamp {
    let i = i64::try_from(who - content::CUSTOMERS_FROM).unwrap_or(0);
    at(now, HISTORY_DAYS - 1, 9 + i, (i * 13) % 60)
}

pub async fn play(
    svc: &Services,
    clock: &TestClock,
    now: Timestamp,
    roster: &[Me],
    circles: &DemoCircles,
) -> anyhow::Result<()> {
    let mut placed: Vec<Placed> = content::FAN_POSTS
        .iter()
        .enumerate()
        .map(|(i, post)| Placed {
            circle: circles.fans,
            post,
            notice: i == 0,
            removed: false,
        })
        .collect();
    for (post, removed) in [
        (&content::DUPLICATED, false),
        (&content::DUPLICATE, true),
        (&content::HELD, false),
    ] {
        placed.push(Placed {
            circle: circles.fans,
            post,
            notice: false,
            removed,
        });
    }
    // The tea class's lessons are the owner's notices; homework is members' posts.
    placed.extend(content::CLASS_POSTS.iter().map(|post| Placed {
        circle: circles.class,
        post,
        notice: post.who < content::CUSTOMERS_FROM,
        removed: false,
    }));

    let mut steps: Vec<(Timestamp, Step)> = Vec::new();
    for who in content::CUSTOMERS_FROM..content::ROSTER {
        steps.push((
            joined(now, who),
            Step::Join {
                who,
                circle: circles.fans,
            },
        ));
    }
    for (i, who) in content::CLASS_STUDENTS.into_iter().enumerate() {
        let i = i64::try_from(i).unwrap_or(0);
        steps.push((at(now, 15, 20, i * 7), Step::JoinByLink { who }));
    }
    for (i, p) in placed.iter().enumerate() {
        let minute = i64::try_from(i * 17 % 60).unwrap_or(0);
        let t = at(now, p.post.days_ago, p.post.hour, minute);
        steps.push((t, Step::Post(i)));
        for (k, (who, text)) in p.post.comments.iter().enumerate() {
            let k = i64::try_from(k).unwrap_or(0);
            let t = later(t, 20 + 35 * k);
            steps.push((
                t,
                Step::Comment {
                    post: i,
                    who: *who,
                    text,
                },
            ));
        }
        let kinds = [ReactionKind::Like, ReactionKind::Heart, ReactionKind::Tea];
        // Only the circle's members like its posts: everyone is in the fan circle, the
        // staff and the students in the class.
        let member = |w: usize| {
            p.circle == circles.fans
                || w < content::CUSTOMERS_FROM
                || content::CLASS_STUDENTS.contains(&w)
        };
        let likers = (0..content::ROSTER)
            .map(|k| (p.post.who + 1 + k) % content::ROSTER)
            .filter(|w| *w != p.post.who && member(*w))
            .take(p.post.likes);
        for (k, who) in likers.enumerate() {
            let step = i64::try_from(k).unwrap_or(0);
            // Likes come in over the first hours, never before the liker joined.
            let mut t = later(t, 10 + 25 * step);
            if who >= content::CUSTOMERS_FROM {
                t = t.max(later(joined(now, who), 30));
            }
            steps.push((
                t,
                Step::React {
                    post: i,
                    who,
                    kind: ReactionKind::Like,
                },
            ));
            if k % 3 == 0 {
                steps.push((
                    later(t, 1),
                    Step::React {
                        post: i,
                        who,
                        kind: kinds[k % 3 + 1],
                    },
                ));
            }
        }
        if p.removed {
            steps.push((later(t, 90), Step::Remove(i)));
        }
    }
    steps.push((later(at(now, HISTORY_DAYS - 1, 10, 0), 30), Step::Pin(0)));
    // The keenest check in every day of the last week, others every other day.
    for days_ago in 0..7 {
        for who in [
            content::MEI,
            content::BOBA,
            content::TONY,
            content::QING,
            content::LIN,
        ] {
            let w = i64::try_from(who).unwrap_or(0);
            steps.push((
                at(now, days_ago, 7, w * 3),
                Step::Checkin {
                    who,
                    circle: circles.fans,
                },
            ));
        }
        if days_ago % 2 == 0 {
            for who in [content::LUCY, content::KEVIN, content::ANNA] {
                steps.push((
                    at(now, days_ago, 8, 0),
                    Step::Checkin {
                        who,
                        circle: circles.fans,
                    },
                ));
            }
        }
        for who in content::CLASS_STUDENTS
            .into_iter()
            .take(1 + usize::try_from(days_ago).unwrap_or(0) % 4)
        {
            steps.push((
                at(now, days_ago, 21, 0),
                Step::Checkin {
                    who,
                    circle: circles.class,
                },
            ));
        }
    }
    for (i, (days_ago, hour, who, text)) in content::CHAT.iter().enumerate() {
        let minute = i64::try_from(i * 3 % 60).unwrap_or(0);
        steps.push((
            at(now, *days_ago, *hour, minute),
            Step::Chat { who: *who, text },
        ));
    }
    for who in 0..content::ROSTER {
        steps.push((at(now, 1, 23, 30), Step::ReadAll { who }));
    }
    // The last likes of the last day can run into the present: those have not
    // happened yet. Stable sort: steps at the same minute keep their order (a post
    // before its likes).
    steps.retain(|(t, _)| t.millis() < now.millis() - MINUTE);
    steps.sort_by_key(|(t, _)| *t);

    let mut ids: Vec<Option<PostId>> = vec![None; placed.len()];
    let room = fan_room(svc, roster, circles.fans).await?;
    for (t, step) in steps {
        let lag = t.millis() - clock.now().millis();
        clock.advance_secs(lag.max(0) / 1000);
        run(svc, roster, circles, &placed, &mut ids, room, step).await?;
    }
    // Back to the present, and the hot order as the rank job would leave it.
    clock.advance_secs((now.millis() - clock.now().millis()).max(0) / 1000);
    svc.store.post_rank_batch(now, 10_000).await?;
    Ok(())
}

fn later(t: Timestamp, minutes: i64) -> Timestamp {
    t.plus_millis(minutes * MINUTE)
}

/// The fan circle's default chat room.
async fn fan_room(
    svc: &Services,
    roster: &[Me],
    circle: CircleId,
) -> anyhow::Result<Option<quan_domain::RoomId>> {
    let rooms = quan_core::chat::rooms(svc, &actor(&roster[content::LIN]), circle)
        .await
        .map_err(circle_err)?;
    Ok(rooms.first().map(|(r, _)| r.id))
}

async fn run(
    svc: &Services,
    roster: &[Me],
    circles: &DemoCircles,
    placed: &[Placed],
    ids: &mut [Option<PostId>],
    room: Option<quan_domain::RoomId>,
    step: Step,
) -> anyhow::Result<()> {
    let owner = actor(&roster[content::LIN]);
    let posted = |i: usize| ids[i].map(|id| (placed[i].circle, id));
    match step {
        Step::Join { who, circle } => {
            cc::join(svc, &actor(&roster[who]), circle)
                .await
                .map_err(circle_err)?;
            let kind = content::CUSTOMERS[who - content::CUSTOMERS_FROM].2;
            // Every customer and fan is a member too, as the console sets it.
            let types = MemberTypes::parse(&["member", kind])?;
            cc::admin::update_member(svc, &owner, circle, roster[who].id, None, Some(types))
                .await
                .map_err(circle_err)?;
        }
        Step::JoinByLink { who } => {
            quan_core::circles::invites::accept_invite(
                svc,
                &actor(&roster[who]),
                &circles.class_code,
            )
            .await
            .map_err(circle_err)?;
        }
        Step::Post(i) => {
            let p = &placed[i];
            let me = actor(&roster[p.post.who]);
            let mut new = NewPost::parse(p.notice.then_some("notice"), p.post.title, p.post.body)?
                .with_tags(p.post.tags)?;
            if let Some((picture, seed)) = p.post.art {
                // Portrait drinks and landscape fields, as phones take them.
                let (w, h) = match picture {
                    art::Art::Drink(_) => (480, 640),
                    art::Art::Field { .. } => (640, 480),
                };
                let bytes = art::jpeg(picture, w, h, seed)?;
                let img = images::upload_image(svc, &me, p.circle, &bytes)
                    .await
                    .map_err(circle_err)?;
                new.images.push(img.id);
            }
            let rec = posts::post(svc, &me, p.circle, new)
                .await
                .map_err(circle_err)?;
            ids[i] = Some(rec.id);
        }
        Step::Comment { post, who, text } => {
            if let Some((circle, id)) = posted(post) {
                posts::comment(svc, &actor(&roster[who]), circle, id, text, None)
                    .await
                    .map_err(circle_err)?;
            }
        }
        Step::React { post, who, kind } => {
            if let Some((circle, id)) = posted(post) {
                posts::react(svc, &actor(&roster[who]), circle, id, kind, true)
                    .await
                    .map_err(circle_err)?;
            }
        }
        Step::Remove(i) => {
            if let Some((circle, id)) = posted(i) {
                moderation::delete_post(svc, &owner, circle, id, "重复发帖 Duplicate post")
                    .await
                    .map_err(circle_err)?;
            }
        }
        Step::Pin(i) => {
            if let Some((circle, id)) = posted(i) {
                moderation::pin_post(svc, &owner, circle, id, true)
                    .await
                    .map_err(circle_err)?;
            }
        }
        Step::Checkin { who, circle } => {
            board::checkin(svc, &actor(&roster[who]), circle)
                .await
                .map_err(circle_err)?;
        }
        Step::Chat { who, text } => {
            // Seed chat goes straight to the store: the send rate limit protects people
            // from each other, not the demo from itself.
            let Some(room) = room else { return Ok(()) };
            let Some(member) = svc
                .store
                .circle_member_get(circles.fans, roster[who].id)
                .await?
            else {
                return Ok(());
            };
            svc.store
                .message_insert(&quan_core::MessageRecord {
                    id: MessageId::new(),
                    room_id: room,
                    author_account_id: roster[who].id,
                    author_person_id: member.person_id,
                    author_name: member.display_name.clone(),
                    body: text.to_owned(),
                    reply_to: None,
                    promoted_post_id: None,
                    created_at: svc.clock.now(),
                    image_id: None,
                })
                .await?;
        }
        Step::ReadAll { who } => {
            notify::mark_read(svc, &actor(&roster[who]), None)
                .await
                .map_err(circle_err)?;
        }
    }
    Ok(())
}
