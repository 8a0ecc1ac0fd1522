//! The demo org: realistic, bilingual sample data so a fresh `quan serve --demo` has
//! something to look at. Idempotent: it does nothing if the demo owner exists.

use quan_core::Services;
use quan_core::access;
use quan_core::access::Actor;
use quan_core::circles::board;
use quan_core::circles::invites;
use quan_core::circles::posts;
use quan_core::circles::posts::NewPost;
use quan_core::circles::{self as cc, NewCircle};
use quan_core::identity::{self as uc, NewInvite, SignUp};
use quan_core::moderation;
use quan_core::moderation::guard;
use quan_core::persons::handles;
use quan_core::persons::handles::NewPerson;
use quan_domain::{
    BoostStatus, CircleId, DisplayName, HandleKind, HandleValue, Login, MessageId, OrgName,
    ParseError, Password, ReactionKind, Role, SessionId, TaskAction, WordAction,
};

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
    // Use cases take an actor; the demo acts as each person without a browser
    // session, so the session id is a fresh one that no cookie carries.
    let owner_actor = Actor::Session {
        account: owner.clone(),
        session: SessionId::new(),
    };
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
        let actor = Actor::Session {
            account: me.clone(),
            session: SessionId::new(),
        };
        uc::accept_invite(svc, &actor, &code).await?;
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
        uc::accept_invite(
            svc,
            &Actor::Session {
                account: teacher.clone(),
                session: SessionId::new(),
            },
            &code,
        )
        .await?;
    }
    load_circles(svc, &owner_access, &accounts).await?;
    quan_core::discovery::recompute(svc)
        .await
        .map_err(circle_err)?;
    tracing::info!(org = %org.id, "demo data loaded");
    Ok(true)
}

fn circle_err(e: cc::CircleError) -> anyhow::Error {
    anyhow::anyhow!("demo circles: {e}")
}

/// Circles of all four modes, with members and posts a few hours apart.
async fn load_circles(
    svc: &Services,
    owner: &access::OrgAccess,
    accounts: &[(access::Me, Role)],
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
    let actor = |me: &access::Me| Actor::Session {
        account: me.clone(),
        session: SessionId::new(),
    };
    let posts = [
        (
            "欢迎来到星河粉丝圈！Welcome!",
            "这里是茶友们的家。Share your favourite teas here.",
        ),
        (
            "周六新品试饮 Saturday tasting",
            "南京路店下午三点，凭圈子身份免费试饮。3 pm at the Nanjing Road store.",
        ),
        (
            "桂花乌龙回归 Osmanthus oolong is back",
            "限量 500 份。Limited to 500 cups.",
        ),
        (
            "你最爱哪款冷泡茶？Favourite cold brew?",
            "评论区聊聊。Tell us in the comments.",
        ),
    ];
    let comments = [
        "好喝！Delicious",
        "周末去试试 Trying it this weekend",
        "求配方 Recipe please?",
        "+1",
        "上次排队好久 The queue was long last time",
    ];
    for (name, description, mode, tags) in circles {
        let c = cc::create_circle(
            svc,
            owner,
            NewCircle::parse(name, Some(description), mode, None, None)?.with_tags(tags)?,
        )
        .await
        .map_err(circle_err)?;
        // Staff join where the policy lets them; the teaching circle by its invite
        // link; the business circle's requests are approved.
        let owner_actor = actor(&accounts[0].0);
        if mode == "teaching" {
            let (_, code) = invites::create_invite(
                svc,
                &owner_actor,
                c.id,
                invites::NewCircleInvite::parse(Some("家长群 Parents' group"), Some(50), None)?,
            )
            .await
            .map_err(circle_err)?;
            for (me, _) in accounts.iter().skip(1) {
                invites::accept_invite(svc, &actor(me), &code)
                    .await
                    .map_err(circle_err)?;
            }
        } else {
            for (me, _) in accounts.iter().skip(1) {
                let _ = cc::join(svc, &actor(me), c.id).await;
                let _ = cc::approve(svc, &owner_actor, c.id, me.id).await;
            }
        }
        match mode {
            "business" => load_board(svc, c.id, accounts).await?,
            "teaching" => {
                posts::post(
                    svc,
                    &owner_actor,
                    c.id,
                    NewPost::parse(
                        Some("notice"),
                        "第三课：冲泡温度 Lesson 3: water temperature",
                        "本周作业：用 85°C 和 95°C 各泡一次绿茶，记下差别。Brew a green tea at 85 °C and at 95 °C and note the difference.",
                    )?,
                )
                .await
                .map_err(circle_err)?;
                for (me, _) in accounts.iter() {
                    board::checkin(svc, &actor(me), c.id)
                        .await
                        .map_err(circle_err)?;
                }
            }
            _ => {}
        }
        if mode != "community" {
            continue;
        }
        // A few hundred posts with comments and reactions, spread over authors.
        let members: Vec<&access::Me> = accounts.iter().map(|(m, _)| m).take(4).collect();
        let topics: [&[&str]; 4] = [&["新品", "tea"], &["活动", "event"], &[], &["冷泡", "tea"]];
        let mut ids = Vec::new();
        for i in 0..240 {
            let (title, body) = posts[i % posts.len()];
            let author = members[i % members.len()];
            let kind = if i == 0 { Some("notice") } else { None };
            let p = posts::post(
                svc,
                &actor(author),
                c.id,
                NewPost::parse(kind, &format!("{title} #{}", 240 - i), body)?
                    .with_tags(topics[i % topics.len()])?,
            )
            .await
            .map_err(circle_err)?;
            ids.push(p.id);
        }
        for (i, pid) in ids.iter().enumerate().step_by(3) {
            for (j, m) in members.iter().enumerate().take(1 + i % 4) {
                let a = actor(m);
                posts::comment(
                    svc,
                    &a,
                    c.id,
                    *pid,
                    comments[(i + j) % comments.len()],
                    None,
                )
                .await
                .map_err(circle_err)?;
                posts::react(svc, &a, c.id, *pid, ReactionKind::Like, true)
                    .await
                    .map_err(circle_err)?;
            }
        }
        svc.store.post_rank_batch(svc.clock.now(), 10_000).await?;
        // An active chat room. Seed data goes straight to the store: the send rate
        // limit protects people from each other, not the demo from itself.
        let rooms = quan_core::chat::rooms(svc, &actor(members[0]), c.id)
            .await
            .map_err(circle_err)?;
        if let Some((room, _)) = rooms.first() {
            let lines = [
                "早上好！Morning all",
                "今天的桂花乌龙真香 The osmanthus oolong is lovely today",
                "周六几点？What time on Saturday?",
                "下午三点 3 pm",
                "我带两个朋友 Bringing two friends",
                "欢迎欢迎 Welcome!",
            ];
            for (i, line) in lines.iter().enumerate() {
                let m = members[i % members.len()];
                let member = svc.store.circle_member_get(c.id, m.id).await?;
                let Some(member) = member else { continue };
                svc.store
                    .message_insert(&quan_core::MessageRecord {
                        id: MessageId::new(),
                        room_id: room.id,
                        author_account_id: m.id,
                        author_person_id: member.person_id,
                        author_name: member.display_name.clone(),
                        body: (*line).to_owned(),
                        reply_to: None,
                        promoted_post_id: None,
                        created_at: svc.clock.now(),
                        image_id: None,
                    })
                    .await?;
            }
        }
        for m in &members {
            board::checkin(svc, &actor(m), c.id)
                .await
                .map_err(circle_err)?;
        }
        // The welcome post is pinned; one off-topic post was removed, on the record.
        let owner_actor = actor(members[0]);
        // ids[0] is the welcome notice; ids[1] is another member's post, so its
        // deletion by a moderator is logged.
        if let (Some(welcome), Some(dup)) = (ids.first(), ids.get(1)) {
            moderation::pin_post(svc, &owner_actor, c.id, *welcome, true)
                .await
                .map_err(circle_err)?;
            moderation::delete_post(svc, &owner_actor, c.id, *dup, "重复发帖 Duplicate post")
                .await
                .map_err(circle_err)?;
        }
        // Featured in discovery, through the review gate.
        quan_core::discovery::request(svc, &owner_actor, c.id, "新品季 New season")
            .await
            .map_err(circle_err)?;
        quan_core::discovery::decide(
            svc,
            owner,
            c.id,
            BoostStatus::Approved,
            "精选 Editor's pick",
        )
        .await
        .map_err(circle_err)?;
    }
    Ok(())
}

/// The business board: tasks and needs at every step of their workflow.
async fn load_board(
    svc: &Services,
    circle: CircleId,
    accounts: &[(access::Me, Role)],
) -> anyhow::Result<()> {
    let actor = |i: usize| Actor::Session {
        account: accounts[i].0.clone(),
        session: SessionId::new(),
    };
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
