//! The demo's customer operations over the last two weeks: three channel codes
//! (a store poster, the live room, a Xiaohongshu note) that the twelve customers
//! opened on different days, the welcomes they got, conversations with the staff,
//! three campaigns (one sent by everyone, one paused by its negative feedback, one
//! still waiting for a staff member's confirmation), a customer who opted out, and
//! a transfer waiting for its 24 hours — played through the use cases on a clock
//! of its own, like the circles' timeline.

use super::actor;
use super::content;
use super::timeline::at;
use quan_core::access::{self, Me, OrgAccess};
use quan_core::reach::campaigns::{self, NewCampaign};
use quan_core::reach::{codes, conversations};
use quan_core::{Segment, Services, TestClock};
use quan_domain::Timestamp;
use std::sync::Arc;

fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("demo reach: {e}")
}

/// What customers say after the welcome, and what the staff answer.
const TALK: [(&str, &str); 6] = [
    ("请问周末有桂花乌龙吗？", "有的，周六上午到货，给您留一杯？"),
    (
        "Do you deliver to Binjiang?",
        "Yes, within 3 km of the store, free over ¥39.",
    ),
    ("会员卡怎么办理？", "到店扫码注册即可，首单 9 折。"),
    ("茶艺课还有名额吗", "周四晚上还有两个位置，我帮您登记。"),
    (
        "昨天的奶盖有点甜",
        "谢谢反馈！下次可以备注少糖，我们记下了。",
    ),
    (
        "Is the matcha latte dairy-free?",
        "We can make it with oat milk on request.",
    ),
];

pub async fn load(
    real: &Services,
    until: Timestamp,
    owner: &OrgAccess,
    roster: &[Me],
) -> anyhow::Result<()> {
    let clock = Arc::new(TestClock::new(at(until, 14, 10, 0)));
    let svc = &Services {
        clock: clock.clone(),
        ..real.clone()
    };
    let staff = |i: usize| roster[i].id;
    // Operator Wang Lei and sales Zhao Min take turns; admin Chen Jing is the backup.
    let welcome = "你好 {{name}}，我是{{staff}}，星河茶饮的新品和活动会第一时间告诉你～";
    let mut made = Vec::new();
    for (name, who, tags) in [
        (
            "门店海报 Store poster",
            vec![staff(2), staff(3)],
            vec!["门店"],
        ),
        ("直播间 Live room", vec![staff(3)], vec!["直播"]),
        (
            "小红书笔记 Xiaohongshu note",
            vec![staff(2)],
            vec!["小红书"],
        ),
    ] {
        let code = codes::create(
            svc,
            owner,
            codes::NewCode {
                name: name.to_owned(),
                // Wang Lei answers the Xiaohongshu note in office hours only;
                // evenings and weekends go to the backup.
                shifts: if name.starts_with("小红书") {
                    vec![(
                        staff(2),
                        quan_domain::Shift::parse("周一-周五 09:00-21:00").map_err(err)?,
                    )]
                } else {
                    Vec::new()
                },
                staff: who,
                backup: Some(staff(1)),
                tags: tags.into_iter().map(str::to_owned).collect(),
                welcome: welcome.to_owned(),
            },
        )
        .await
        .map_err(err)?;
        made.push(code);
    }
    journeys(svc, owner, &made[2]).await?;
    // The desk's auto-replies: opening hours, membership, and returns to a person.
    for (kind, pattern, action, answer) in [
        (
            "keyword",
            "营业时间",
            "answer",
            "{{name}}您好，门店每天 9:00–22:00 营业，周末不休息。",
        ),
        (
            "keyword",
            "会员",
            "answer",
            "到店扫码即可注册会员，首单 9 折，生日当月送一杯。",
        ),
        (
            "regex",
            "(退|换)(货|款)|refund",
            "handoff",
            "正在为您转接{{staff}}，请稍候～",
        ),
    ] {
        quan_core::reach::auto::create(
            svc,
            owner,
            quan_core::reach::auto::NewRule {
                name: pattern.to_owned(),
                kind: kind.to_owned(),
                pattern: pattern.to_owned(),
                action: action.to_owned(),
                answer: answer.to_owned(),
            },
        )
        .await
        .map_err(err)?;
    }
    let mut contacts = Vec::new();
    for (n, who) in (content::CUSTOMERS_FROM..content::ROSTER).enumerate() {
        clock.advance_secs(3600 * 20 + 60 * (n as i64 * 17 % 60));
        let code = &made[n % made.len()];
        let c = codes::open(svc, &actor(&roster[who]), &code.slug)
            .await
            .map_err(err)?;
        if let Some((ask, answer)) = TALK.get(n) {
            clock.advance_secs(300);
            conversations::reply(svc, &actor(&roster[who]), c.id, ask)
                .await
                .map_err(err)?;
            clock.advance_secs(420);
            let holder = roster
                .iter()
                .find(|m| m.id == c.staff_id)
                .ok_or_else(|| err("staff"))?;
            let access = access::org_access(svc, &actor(holder), owner.org())
                .await
                .map_err(err)?;
            conversations::staff_send(svc, &access, c.id, answer)
                .await
                .map_err(err)?;
        }
        contacts.push((who, c));
    }
    // The journeys walk as far as the calendar has come.
    quan_core::reach::journeys::sweep(svc).await.map_err(err)?;
    // Ten days in: a campaign to the store's customers, confirmed by everyone.
    let sent = campaign(
        svc,
        owner,
        "桂花乌龙上新 New osmanthus oolong",
        "{{name}}，桂花乌龙本周上新，到店报{{staff}}的名字立减 5 元。",
        &["门店"],
    )
    .await?;
    for s in &campaigns::get(svc, owner, sent).await.map_err(err)?.shares {
        confirm_as(svc, owner, roster, s.staff_id, sent).await?;
    }
    // A customer reads it a few hours later and opts out of mass messages.
    if let Some((who, c)) = contacts.first() {
        clock.advance_secs(3 * 3600);
        conversations::my_messages(svc, &actor(&roster[*who]), c.id, None)
            .await
            .map_err(err)?;
        conversations::set_opt_out(svc, &actor(&roster[*who]), owner.org(), true)
            .await
            .map_err(err)?;
    }
    // A clearance push to the live-room customers: one deletes Zhao Min within
    // minutes, a quarter of those reached, so the campaign pauses itself.
    clock.advance_secs(3600 * 5);
    daytime(&clock);
    let pushed = campaign(
        svc,
        owner,
        "清仓特价 Clearance sale",
        "{{name}}，库存清仓全场 5 折，今晚 12 点截止！",
        &["直播"],
    )
    .await?;
    confirm_as(svc, owner, roster, staff(3), pushed).await?;
    clock.advance_secs(600);
    if let Some((who, c)) = contacts
        .iter()
        .find(|(_, c)| c.code_name.as_deref() == Some("直播间 Live room"))
    {
        conversations::leave(svc, &actor(&roster[*who]), c.id)
            .await
            .map_err(err)?;
    }
    // Yesterday: a weekend offer to everyone; Wang Lei has not confirmed his share yet.
    clock.advance_secs(86_400 * 2);
    let waiting = campaign(
        svc,
        owner,
        "周末买一送一 Weekend two-for-one",
        "{{name}}，本周末全场第二杯免费，{{staff}}在店里等你～",
        &[],
    )
    .await?;
    confirm_as(svc, owner, roster, staff(3), waiting).await?;
    moments(svc, owner, roster, &contacts).await?;
    // Next week's new-year preview, composed now (the real clock) and scheduled to
    // plan itself in two days.
    let preview = campaigns::create(
        real,
        owner,
        NewCampaign {
            name: "元旦新品预告 New Year preview".to_owned(),
            template: "{{name}}，元旦限定的桂花酒酿系列下周上市，{{staff}}先给你留一份？"
                .to_owned(),
            segment: Segment::default(),
            channels: quan_core::Channels::default(),
            link: Some(quan_core::LinkCard {
                url: "https://galaxy-tea.example.com/new-year".to_owned(),
                title: "桂花酒酿系列 Osmanthus series".to_owned(),
            }),
        },
    )
    .await
    .map_err(err)?;
    campaigns::schedule(
        real,
        owner,
        preview.id,
        Some(real.clock.now().plus_secs(2 * 86_400)),
    )
    .await
    .map_err(err)?;
    // Just now (the real clock): Wang Lei moves to the new store, so one of his
    // customers is being handed to Zhao Min and has 24 hours to refuse.
    if let Some((_, c)) = contacts.iter().find(|(_, c)| c.staff_id == staff(2)) {
        quan_core::reach::transfers::create(
            real,
            owner,
            quan_core::reach::transfers::NewTransfer {
                kind: quan_domain::TransferKind::OnJob,
                from: staff(2),
                contacts: vec![c.id],
                receivers: vec![staff(3)],
                message: "我调去滨江新店了，之后由赵敏继续为您服务～".to_owned(),
                note: "喜欢少糖的桂花乌龙，周末常来".to_owned(),
            },
        )
        .await
        .map_err(err)?;
    }
    Ok(())
}

/// A welcome series for customers from the Xiaohongshu note, enabled after its dry
/// run, and a win-back journey for the silent still in draft.
async fn journeys(
    svc: &Services,
    owner: &OrgAccess,
    code: &quan_core::ChannelCodeRecord,
) -> anyhow::Result<()> {
    use quan_core::reach::journeys::{self, NewJourney};
    use quan_domain::{JourneyTrigger, parse_steps};
    let series = journeys::create(
        svc,
        owner,
        NewJourney {
            name: "小红书新客三步 Xiaohongshu welcome series".to_owned(),
            trigger: JourneyTrigger::CodeJoined {
                code: Some(code.id),
            },
            steps: parse_steps([
                (
                    "send",
                    "{{name}}，感谢从小红书找到我们～回复「试饮」领一张新品试饮券。",
                ),
                ("wait", "3"),
                ("task", "问问 {{name}} 试饮感受，记下口味偏好"),
                ("wait", "4"),
                (
                    "send",
                    "{{name}}，试饮券还有 3 天过期，{{staff}}在店里等你～",
                ),
                ("tag", "试饮"),
            ])
            .map_err(err)?,
        },
    )
    .await
    .map_err(err)?;
    journeys::dry_run(svc, owner, series.id)
        .await
        .map_err(err)?;
    journeys::enable(svc, owner, series.id).await.map_err(err)?;
    journeys::create(
        svc,
        owner,
        NewJourney {
            name: "沉睡唤醒 Win back the silent".to_owned(),
            trigger: JourneyTrigger::Inactive { days: 30 },
            steps: parse_steps([
                ("send", "{{name}}，好久没见啦，这周回店送你一份桂花糕。"),
                ("until_reply", "5"),
                ("task", "{{name}} 一个月没说话了，打个电话问候一下"),
            ])
            .map_err(err)?,
        },
    )
    .await
    .map_err(err)?;
    Ok(())
}

/// Yesterday's moments: Wang Lei and Zhao Min post to their customers (one only to
/// the store's), and a few customers like and comment.
async fn moments(
    svc: &Services,
    owner: &OrgAccess,
    roster: &[Me],
    contacts: &[(usize, quan_core::ContactRecord)],
) -> anyhow::Result<()> {
    use quan_core::reach::moments::{self, NewMoment};
    let mut posted = Vec::new();
    for (who, body, tags) in [
        (
            2,
            "今天的桂花乌龙刚出第一批，香气很足 🌼 到店报我名字送小样。",
            vec![],
        ),
        (
            3,
            "Tonight 8 pm in the live room: how we cold-brew the new oolong. Come say hi!",
            vec![],
        ),
        (
            2,
            "门店老顾客专享：本周六下午茶艺体验课，限 8 位，回复我预约。",
            vec!["门店"],
        ),
    ] {
        let access = access::org_access(svc, &actor(&roster[who]), owner.org())
            .await
            .map_err(err)?;
        let m = moments::post(
            svc,
            &access,
            NewMoment {
                body: body.to_owned(),
                tags: tags.into_iter().map(str::to_owned).collect(),
            },
        )
        .await
        .map_err(err)?;
        posted.push(m);
    }
    let say = [
        "看起来好香！周六去店里",
        "Is there a replay?",
        "帮我留一个位置～",
    ];
    // Every customer opens their feed (the moments' reach); six react.
    for (i, (who, _)) in contacts.iter().enumerate() {
        let me = actor(&roster[*who]);
        let feed = moments::feed(svc, &me).await.map_err(err)?;
        if !(1..=6).contains(&i) {
            continue;
        }
        if let Some(f) = feed.get(i % feed.len().max(1)) {
            moments::like(svc, &me, f.moment.id, true)
                .await
                .map_err(err)?;
            if let Some(text) = say.get(i % 4) {
                moments::comment(svc, &me, f.moment.id, text)
                    .await
                    .map_err(err)?;
            }
        }
    }
    Ok(())
}

/// Moves the demo clock out of the default quiet hours, so a campaign shows at once.
fn daytime(clock: &TestClock) {
    use quan_core::Clock;
    if let Some(end) = quan_domain::TouchPolicy::standard().quiet_until(clock.now()) {
        clock.advance_secs((end.millis() - clock.now().millis()) / 1000 + 3600);
    }
}

async fn campaign(
    svc: &Services,
    owner: &OrgAccess,
    name: &str,
    template: &str,
    tags: &[&str],
) -> anyhow::Result<quan_domain::CampaignId> {
    let c = campaigns::create(
        svc,
        owner,
        NewCampaign {
            name: name.to_owned(),
            template: template.to_owned(),
            segment: Segment {
                tags_any: tags.iter().map(|t| (*t).to_owned()).collect(),
                ..Segment::default()
            },
            channels: quan_core::Channels::default(),
            link: None,
        },
    )
    .await
    .map_err(err)?;
    campaigns::send(svc, owner, c.id).await.map_err(err)?;
    Ok(c.id)
}

async fn confirm_as(
    svc: &Services,
    owner: &OrgAccess,
    roster: &[Me],
    staff: quan_domain::AccountId,
    id: quan_domain::CampaignId,
) -> anyhow::Result<()> {
    let me = roster
        .iter()
        .find(|m| m.id == staff)
        .ok_or_else(|| err("staff"))?;
    let access = access::org_access(svc, &actor(me), owner.org())
        .await
        .map_err(err)?;
    match campaigns::confirm(svc, &actor(me), &access, id).await {
        Ok(_) => Ok(()),
        // A staff member with no share in this campaign.
        Err(quan_core::reach::error::ReachError::CampaignState(_)) => Ok(()),
        Err(e) => Err(err(e)),
    }
}

/// Lin Xiao invites the fan circle's chat to Saturday's tasting (the real clock, so
/// it is today's message in that room). Inside quiet hours her share waits for the
/// morning, as it would for her.
pub async fn room_campaign(real: &Services, owner: &OrgAccess, me: &Me) -> anyhow::Result<()> {
    let rooms = quan_core::reach::rooms::choices(real, owner)
        .await
        .map_err(err)?;
    // The fan circle: the one with the most members.
    let Some(lobby) = rooms.iter().max_by_key(|r| r.members) else {
        return Ok(());
    };
    let c = campaigns::create(
        real,
        owner,
        NewCampaign {
            name: "周六品茶会 Saturday tasting".to_owned(),
            template: "{{name}}的朋友们，本周六下午三点在门店品鉴桂花乌龙，想来的在群里回个 1～"
                .to_owned(),
            segment: Segment {
                rooms: vec![lobby.room],
                ..Segment::default()
            },
            channels: quan_core::Channels::default(),
            link: None,
        },
    )
    .await
    .map_err(err)?;
    campaigns::send(real, owner, c.id).await.map_err(err)?;
    match campaigns::confirm(real, &actor(me), owner, c.id).await {
        Ok(_) | Err(quan_core::reach::error::ReachError::QuietHours { .. }) => Ok(()),
        Err(e) => Err(err(e)),
    }
}
