//! The demo org: realistic, bilingual sample data so a fresh `quan serve --demo` has
//! something to look at: staff, contacts, four circles, and three weeks of a tea
//! shop's community with pictures drawn at load time. Idempotent: it does nothing if
//! the demo owner exists.

mod art;
mod commerce;
mod content;
mod local;
mod reach;
mod timeline;

use quan_core::Services;
use quan_core::TestClock;
use quan_core::access;
use quan_core::access::Actor;
use quan_core::circles::board;
use quan_core::circles::invites;
use quan_core::circles::posts::{self, NewPost};
use quan_core::circles::{self as cc, NewCircle};
use quan_core::identity::{self as uc, NewInvite, SignUp};
use quan_core::moderation::guard;
use quan_core::persons::handles;
use quan_core::persons::handles::NewPerson;
use quan_domain::{
    BoostStatus, CircleId, DisplayName, HandleKind, HandleValue, Login, OrgName, ParseError,
    Password, Role, SessionId, TaskAction, Timestamp, WordAction,
};
use std::sync::Arc;

/// The password of every demo account (printed in the README; demo only).
pub const DEMO_PASSWORD: &str = "quan-demo-2026";
pub const DEMO_OWNER: &str = "owner@demo.quan.local";

/// Demo staff: login, display name, role.
pub const DEMO_STAFF: [(&str, &str, Role); 6] = [
    (DEMO_OWNER, "林晓 Lin Xiao", Role::Owner),
    ("admin@demo.quan.local", "陈静 Chen Jing", Role::Admin),
    ("operator@demo.quan.local", "王磊 Wang Lei", Role::Operator),
    ("sales@demo.quan.local", "赵敏 Zhao Min", Role::Sales),
    ("13800138000", "刘芳 团长 Liu Fang", Role::Leader),
    (
        "teacher@demo.quan.local",
        "周老师 Teacher Zhou",
        Role::Teacher,
    ),
];

const DEMO_PERSONS: [(&str, &str, &str); 16] = [
    ("张伟 Zhang Wei", "phone", "13900000001"),
    ("李娜 Li Na", "email", "li.na@example.com"),
    ("王芳 Wang Fang", "phone", "13900000003"),
    ("Emily Carter", "email", "emily@example.com"),
    ("刘洋 Liu Yang", "external", "wx_liuyang_88"),
    ("陈杰 Chen Jie", "phone", "13900000006"),
    ("杨静 Yang Jing", "email", "yangjing@example.cn"),
    ("黄磊 Huang Lei", "phone", "13900000008"),
    ("Daniel Kim", "email", "daniel.kim@example.com"),
    ("吴敏 Wu Min", "channel", "qr-store-nanjing-road"),
    ("徐丽 Xu Li", "phone", "13900000011"),
    ("孙强 Sun Qiang", "external", "wx_sunqiang"),
    ("马超 Ma Chao", "phone", "13900000013"),
    ("Sophie Martin", "email", "sophie.m@example.fr"),
    ("朱琳 Zhu Lin", "channel", "live-2026-11-spring-tea"),
    ("胡斌 Hu Bin", "phone", "13900000016"),
];

fn parse<T>(r: Result<T, ParseError>) -> anyhow::Result<T> {
    r.map_err(|e| anyhow::anyhow!(e))
}

/// Loads the demo org unless it is there already. Returns whether it loaded.
pub async fn load(svc: &Services) -> anyhow::Result<bool> {
    let owner_login = parse(Login::parse(DEMO_OWNER))?;
    if svc.store.account_by_login(&owner_login).await?.is_some() {
        return Ok(false);
    }
    // The demo is three weeks of a community's life: it runs on a clock of its own
    // that starts then and moves forward step by step, ending at the present.
    let until = svc.clock.now();
    let clock = Arc::new(TestClock::new(timeline::at(
        until,
        timeline::HISTORY_DAYS,
        9,
        0,
    )));
    let real = svc;
    let svc = &Services {
        clock: clock.clone(),
        ..svc.clone()
    };
    let password = parse(Password::parse(DEMO_PASSWORD))?;
    let mut accounts = Vec::new();
    for (login, name, role) in DEMO_STAFF {
        let me = uc::sign_up(
            svc,
            SignUp {
                login: parse(Login::parse(login))?,
                password: password.clone(),
                display_name: parse(DisplayName::parse(name))?,
            },
        )
        .await?;
        accounts.push((me, role));
    }
    let (owner, _) = &accounts[0];
    let owner_actor = actor(owner);
    let org = uc::create_org(
        svc,
        &owner_actor,
        &parse(OrgName::parse("星河茶饮 Galaxy Tea"))?,
    )
    .await?;
    let owner_access = access::org_access(svc, &owner_actor, org.id).await?;
    // Everyone else joins through a real invite, as staff would.
    for (me, role) in accounts.iter().skip(1) {
        let (_, code) = uc::create_invite(
            svc,
            &owner_access,
            &parse(NewInvite::parse(role.as_str(), Some(1), Some(24)))?,
        )
        .await?;
        uc::accept_invite(svc, &actor(me), &code).await?;
    }
    for (i, (name, kind, value)) in DEMO_PERSONS.into_iter().enumerate() {
        let handle = parse(HandleValue::parse(parse(HandleKind::parse(kind))?, value))?;
        let p = handles::create_person(
            svc,
            &owner_access,
            NewPerson {
                display_name: parse(DisplayName::parse(name))?,
                handles: vec![handle],
            },
        )
        .await?;
        // Tags the team uses to target posts and campaigns.
        let tags: &[&str] = match i % 4 {
            0 => &["vip"],
            1 => &["wholesale"],
            2 => &["vip", "tea-class"],
            _ => &[],
        };
        for t in tags {
            quan_core::persons::add_tag(svc, &owner_access, p.id, t)
                .await
                .map_err(|e| anyhow::anyhow!("demo persons: {e}"))?;
        }
    }
    // The org's sensitive words: scams are refused outright, ads wait for review.
    for (word, action) in [
        ("刷单", WordAction::Reject),
        ("casino", WordAction::Reject),
        ("代购", WordAction::Hold),
        ("加微信", WordAction::Hold),
    ] {
        guard::set_word(svc, &owner_access, word, action)
            .await
            .map_err(circle_err)?;
    }
    // A second org, so the org switcher and tenancy have something to show.
    let org2 = uc::create_org(
        svc,
        &owner_actor,
        &parse(OrgName::parse("晨光书院 Morning Light Academy"))?,
    )
    .await?;
    let access2 = access::org_access(svc, &owner_actor, org2.id).await?;
    let (_, code) = uc::create_invite(
        svc,
        &access2,
        &parse(NewInvite::parse("teacher", Some(1), Some(24)))?,
    )
    .await?;
    if let Some((teacher, _)) = accounts.iter().find(|(_, r)| *r == Role::Teacher) {
        uc::accept_invite(svc, &actor(teacher), &code).await?;
    }
    // Customers and fans have accounts of their own: they join the circles later.
    let mut roster: Vec<access::Me> = accounts.iter().map(|(me, _)| me.clone()).collect();
    for (login, name, _) in content::CUSTOMERS {
        roster.push(
            uc::sign_up(
                svc,
                SignUp {
                    login: parse(Login::parse(login))?,
                    password: password.clone(),
                    display_name: parse(DisplayName::parse(name))?,
                },
            )
            .await?,
        );
    }
    // The shop and reach first: the console's activity lists events newest first by
    // id, and the circles' three weeks are what it should lead with.
    commerce::load(real, until, &owner_access, &roster).await?;
    let leader = accounts
        .iter()
        .find(|(_, role)| *role == Role::Leader)
        .map(|(me, _)| me.id);
    local::load(real, &owner_access, leader).await?;
    reach::load(real, until, &owner_access, &roster).await?;
    load_circles(svc, &clock, until, &owner_access, &roster).await?;
    // The circles exist now: a room campaign to the fan circle's chat, just now.
    reach::room_campaign(real, &owner_access, &roster[0]).await?;
    quan_core::discovery::recompute(real)
        .await
        .map_err(circle_err)?;
    tracing::info!(org = %org.id, "demo data loaded");
    Ok(true)
}

/// A use case's refusal, as the demo's error (each capability has its own type).
fn circle_err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("demo circles: {e}")
}

/// The four circles, one of each mode.
pub(crate) struct DemoCircles {
    pub fans: CircleId,
    pub class: CircleId,
    /// The tea class's invite link, by which students join.
    pub class_code: String,
}

/// Circles of all four modes with their staff; then three weeks of the community's
/// life (see [`timeline`]).
async fn load_circles(
    svc: &Services,
    clock: &TestClock,
    until: Timestamp,
    owner: &access::OrgAccess,
    roster: &[access::Me],
) -> anyhow::Result<()> {
    let circles = [
        (
            "星河粉丝圈 Galaxy fans",
            "新品、活动和茶友交流 New teas, events and chat",
            "community",
            &["茶", "tea", "新品"][..],
        ),
        (
            "合作伙伴 Partners",
            "供应商与渠道伙伴的合作需求 Needs and tasks with suppliers and resellers",
            "business",
            &["合作", "wholesale"][..],
        ),
        (
            "茶艺课堂 Tea class",
            "每周茶艺课与打卡 Weekly tea lessons and check-ins",
            "teaching",
            &["茶艺", "class"][..],
        ),
        (
            "门店运营 Store ops",
            "内部排班与通知 Internal rotas and notices",
            "internal",
            &[][..],
        ),
    ];
    let owner_actor = actor(&roster[content::LIN]);
    let staff = &roster[..content::CUSTOMERS_FROM];
    let (mut fans, mut class, mut class_code) = (None, None, String::new());
    for (name, description, mode, tags) in circles {
        let c = cc::create_circle(
            svc,
            owner,
            NewCircle::parse(name, Some(description), mode, None, None)?.with_tags(tags)?,
        )
        .await
        .map_err(circle_err)?;
        // Staff join where the policy lets them; the teaching circle by its invite
        // link (students use it later); the business circle's requests are approved.
        if mode == "teaching" {
            let (_, code) = invites::create_invite(
                svc,
                &owner_actor,
                c.id,
                invites::NewCircleInvite::parse(Some("家长群 Parents' group"), Some(50), None)?,
            )
            .await
            .map_err(circle_err)?;
            for me in staff.iter().skip(1) {
                invites::accept_invite(svc, &actor(me), &code)
                    .await
                    .map_err(circle_err)?;
            }
            class = Some(c.id);
            class_code = code;
        } else {
            for me in staff.iter().skip(1) {
                // An open circle lets them straight in; approval-only ones wait
                // for the owner.
                let _ = cc::join(svc, &actor(me), c.id).await;
                let _ = cc::approve(svc, &owner_actor, c.id, me.id).await;
            }
        }
        match mode {
            "business" => load_board(svc, c.id, roster).await?,
            "community" => fans = Some(c.id),
            _ => {}
        }
    }
    let (Some(fans), Some(class)) = (fans, class) else {
        anyhow::bail!("demo circles: the community and teaching circles were not made");
    };
    // Featured in discovery, through the review gate.
    quan_core::discovery::request(svc, &owner_actor, fans, "新品季 New season")
        .await
        .map_err(circle_err)?;
    quan_core::discovery::decide(
        svc,
        owner,
        fans,
        BoostStatus::Approved,
        "精选 Editor's pick",
    )
    .await
    .map_err(circle_err)?;
    let circles = DemoCircles {
        fans,
        class,
        class_code,
    };
    timeline::play(svc, clock, until, roster, &circles).await
}

/// Acting as a demo account, without a browser session: the session id is a fresh
/// one that no cookie carries.
pub(crate) fn actor(me: &access::Me) -> Actor {
    Actor::Session {
        account: me.clone(),
        session: SessionId::new(),
    }
}
/// The business board: tasks and needs at every step of their workflow.
async fn load_board(svc: &Services, circle: CircleId, roster: &[access::Me]) -> anyhow::Result<()> {
    let actor = |i: usize| actor(&roster[i]);
    let items = [
        ("task", "设计秋季新品海报 Design the autumn poster", &[][..]),
        (
            "task",
            "拍摄门店短视频 Film a store video",
            &[TaskAction::Claim][..],
        ),
        (
            "need",
            "寻找云南普洱供应商 Looking for a Yunnan pu'er supplier",
            &[TaskAction::Claim, TaskAction::Deliver][..],
        ),
        (
            "task",
            "翻译英文菜单 Translate the English menu",
            &[TaskAction::Claim, TaskAction::Deliver, TaskAction::Accept][..],
        ),
    ];
    for (kind, title, steps) in items {
        let p = posts::post(
            svc,
            &actor(0),
            circle,
            NewPost::parse(Some(kind), title, "详情见附件 Details in the thread.")?,
        )
        .await
        .map_err(circle_err)?;
        for step in steps {
            // The operator claims and delivers; the owner (the author) accepts.
            let who = if *step == TaskAction::Accept { 0 } else { 2 };
            board::task_action(svc, &actor(who), circle, p.id, *step, "")
                .await
                .map_err(circle_err)?;
        }
    }
    Ok(())
}
