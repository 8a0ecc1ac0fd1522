//! The demo's shop: the tea house's products (oolong by weight and in a gift box,
//! cold-brew bags, a tea-class voucher, snacks sold out, a mooncake box not on sale
//! yet) and a week of orders in every state — completed, shipped, paid, waiting for
//! payment, cancelled by the buyer, lapsed unpaid — paid through the sandbox
//! provider's signed notices, on a clock of the demo's own; a flash sale on now and
//! one coming tomorrow; coupons in wallets, one spent on a paid order; a circle
//! joined by paying for its membership.

use super::actor;
use super::art::{self, Art};
use quan_core::access::{Me, OrgAccess};
use quan_core::commerce::catalog::{self, ProductInput, SkuInput};
use quan_core::commerce::coupons::{self, CouponInput};
use quan_core::commerce::flash::{self, FlashInput};
use quan_core::commerce::{images, orders, payments, sandbox};
use quan_core::ports::ChargeOutcome;
use quan_core::{Services, TestClock};
use quan_domain::{
    CouponKind, CouponScope, OrderEvent, ProductId, ProductKind, SkuId, Timestamp, Validity,
};
use std::sync::Arc;

fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("demo commerce: {e}")
}

/// (name, category, description, published, [(sku, price in fen, stock)]).
type Product = (
    &'static str,
    &'static str,
    &'static str,
    bool,
    &'static [(&'static str, i64, i64)],
);

const PRODUCTS: [Product; 6] = [
    (
        "桂花乌龙 Osmanthus oolong",
        "乌龙",
        "今年秋天的第一批桂花窨制，**花香浓、回甘快**。冷泡热泡都好喝。\n\nFirst autumn batch, scented with fresh osmanthus.",
        true,
        &[
            ("50 g", 3800, 40),
            ("100 g", 6800, 25),
            ("礼盒 Gift box", 12800, 6),
        ],
    ),
    (
        "冷萃茶包 Cold-brew bags",
        "冷萃",
        "10 袋装，凉水 4 小时即可。Ten bags; four hours in cold water.",
        true,
        &[
            ("乌龙 Oolong ×10", 4500, 30),
            ("茉莉 Jasmine ×10", 4200, 18),
        ],
    ),
    (
        "茶艺课体验券 Tea class voucher",
        "课程",
        "周四晚 19:30 门店茶艺体验课，一张券一位。One seat at Thursday's class.",
        true,
        &[("1 位 One seat", 9900, 8)],
    ),
    (
        "手作茶点 Tea snacks",
        "茶点",
        "每日现做，售完即止。Made each morning.",
        true,
        &[("绿豆糕 Mung bean cake", 1800, 0)],
    ),
    (
        "白茶饼 White tea cake",
        "白茶",
        "福鼎寿眉 2019，357 g。",
        true,
        &[("357 g", 26800, 3)],
    ),
    (
        "中秋月饼礼盒 Mooncake box",
        "礼盒",
        "茶香月饼六枚装，九月开售。",
        false,
        &[("6 枚 Six", 16800, 50)],
    ),
];

/// The products' pictures, in [`PRODUCTS`]' order.
const PICTURES: [Art; 6] = [
    Art::Drink(art::OSMANTHUS_OOLONG),
    Art::Drink(art::COLD_BREW),
    Art::Field { warm: true },
    Art::Drink(art::MATCHA_LATTE),
    Art::Field { warm: false },
    Art::Drink(art::BROWN_SUGAR_BOBA),
];

/// (buyer in the roster, lines as (product, sku, quantity), what became of it).
type Order = (usize, &'static [(usize, usize, i64)], &'static str);

/// Pays an order as the sandbox would: its page decides, its signed notice arrives.
async fn pay(svc: &Services, buyer: &Me, order: quan_domain::OrderId) -> anyhow::Result<()> {
    let p = payments::pay(svc, &actor(buyer), order)
        .await
        .map_err(err)?;
    let charge = p.provider_ref.parse().map_err(err)?;
    let c = sandbox::decide(svc, charge, ChargeOutcome::Succeeded)
        .await
        .map_err(err)?;
    let body = sandbox::webhook_body(&c, ChargeOutcome::Succeeded);
    let id = sandbox::webhook_id(&c, ChargeOutcome::Succeeded);
    let headers = sandbox::signed_headers(&svc.commerce.sandbox_secret, &id, &body).map_err(err)?;
    payments::webhook(svc, &headers, body.as_bytes())
        .await
        .map_err(err)?;
    Ok(())
}

pub async fn load(
    real: &Services,
    until: Timestamp,
    owner: &OrgAccess,
    roster: &[Me],
) -> anyhow::Result<()> {
    let clock = Arc::new(TestClock::new(until.plus_secs(-6 * 86_400)));
    let svc = &Services {
        clock: clock.clone(),
        ..real.clone()
    };
    let mut skus: Vec<Vec<SkuId>> = Vec::new();
    for (n, (name, category, description, published, rows)) in PRODUCTS.into_iter().enumerate() {
        let p = catalog::create(
            svc,
            owner,
            ProductInput {
                name: name.to_owned(),
                description: description.to_owned(),
                category: category.to_owned(),
                circle: None,
                kind: Some(ProductKind::Goods),
                published,
                skus: rows
                    .iter()
                    .map(|(n, price, stock)| SkuInput {
                        id: None,
                        name: (*n).to_owned(),
                        price_fen: *price,
                        stock: *stock,
                        stock_was: None,
                    })
                    .collect(),
            },
        )
        .await
        .map_err(err)?;
        // Each product's card picture, drawn like the posts' (no image files shipped).
        let picture = PICTURES[n % PICTURES.len()];
        let bytes = super::art::jpeg(picture, 640, 640, 40 + u32::try_from(n).unwrap_or(0))?;
        images::add(svc, owner, p.id, &bytes).await.map_err(err)?;
        skus.push(p.skus.iter().map(|s| s.id).collect());
    }
    let org = owner.org();
    let story: [Order; 8] = [
        (6, &[(0, 0, 2)], "completed"),
        (7, &[(0, 2, 1), (2, 0, 1)], "completed"),
        (8, &[(1, 0, 1)], "fulfilled"),
        (9, &[(4, 0, 1)], "paid"),
        (10, &[(1, 1, 2)], "cancelled"),
        (11, &[(0, 1, 1)], "lapsed"),
        (12, &[(2, 0, 2)], "paid"),
        (13, &[(0, 0, 1), (1, 0, 1)], "waiting"),
    ];
    for (i, (who, lines, end)) in story.into_iter().enumerate() {
        let Some(buyer) = roster.get(who) else {
            continue;
        };
        let lines: Vec<(SkuId, i64)> = lines.iter().map(|(p, s, q)| (skus[*p][*s], *q)).collect();
        let (o, _) = orders::place(
            svc,
            &actor(buyer),
            org,
            orders::Basket::of(&lines),
            &format!("demo-{i}"),
        )
        .await
        .map_err(err)?;
        match end {
            "cancelled" => {
                orders::cancel(svc, &actor(buyer), o.id)
                    .await
                    .map_err(err)?;
            }
            "lapsed" => {
                clock.advance_secs(16 * 60);
                orders::release(svc, &serde_json::json!({"order": o.id.to_string()}))
                    .await
                    .map_err(err)?;
            }
            "waiting" => {}
            _ => {
                pay(svc, buyer, o.id).await?;
                if matches!(end, "fulfilled" | "completed") {
                    orders::advance(svc, owner, o.id, OrderEvent::Fulfil)
                        .await
                        .map_err(err)?;
                }
                if end == "completed" {
                    orders::advance(svc, owner, o.id, OrderEvent::Complete)
                        .await
                        .map_err(err)?;
                }
            }
        }
        // The week goes by between orders; the one waiting is placed just now.
        if i + 2 < story.len() {
            clock.advance_secs(17 * 3600);
        } else {
            let to =
                until.plus_secs(-120).millis() - quan_core::Clock::now(clock.as_ref()).millis();
            clock.advance_secs((to / 1000).max(0));
        }
    }
    flash_sales(svc, owner, roster, &skus).await
}

/// A flash sale on now (cold-brew bags at ¥19.90 until tonight, two of its ten
/// taken: one paid, one waiting) and one tomorrow evening (the gift box at ¥88).
async fn flash_sales(
    svc: &Services,
    owner: &OrgAccess,
    roster: &[Me],
    skus: &[Vec<SkuId>],
) -> anyhow::Result<()> {
    let now = svc.clock.now();
    let live = flash::create(
        svc,
        owner,
        FlashInput {
            product: product_of(svc, owner, skus[1][0]).await?,
            sku: skus[1][0],
            starts_at: now,
            ends_at: now.plus_secs(8 * 3600),
            price_fen: 1990,
            stock: 10,
            per_person: 2,
        },
    )
    .await
    .map_err(err)?;
    for (i, who) in [3usize, 5].into_iter().enumerate() {
        let Some(buyer) = roster.get(who) else {
            continue;
        };
        let (o, _) = flash::buy(
            svc,
            &actor(buyer),
            (owner.org(), live.id),
            1,
            None,
            &format!("demo-flash-{i}"),
        )
        .await
        .map_err(err)?;
        if i == 0 {
            pay(svc, buyer, o.id).await?;
        }
    }
    flash::create(
        svc,
        owner,
        FlashInput {
            product: product_of(svc, owner, skus[0][2]).await?,
            sku: skus[0][2],
            starts_at: now.plus_secs(24 * 3600),
            ends_at: now.plus_secs(26 * 3600),
            price_fen: 8800,
            stock: 3,
            per_person: 1,
        },
    )
    .await
    .map_err(err)?;
    coupons(svc, owner, roster, skus).await
}

/// The shop's coupons: a welcome coupon many have claimed, spend-and-save (one
/// spent on a paid order, its saving apportioned over two lines), oolong at 10 %
/// off until next week, and an autumn coupon whose claims were stopped.
async fn coupons(
    svc: &Services,
    owner: &OrgAccess,
    roster: &[Me],
    skus: &[Vec<SkuId>],
) -> anyhow::Result<()> {
    let now = svc.clock.now();
    let made = [
        (
            "新客立减 Welcome ¥5",
            CouponKind::Fixed { off: 500 },
            CouponScope::All,
            Validity::DaysAfterClaim(30),
            500,
            1,
        ),
        (
            "满100减15 ¥15 off ¥100",
            CouponKind::Threshold {
                min_spend: 10_000,
                off: 1500,
            },
            CouponScope::All,
            Validity::DaysAfterClaim(14),
            200,
            2,
        ),
        (
            "乌龙九折 Oolong 10% off",
            CouponKind::Percent {
                percent: 10,
                cap: Some(2000),
            },
            CouponScope::Categories(vec!["乌龙".to_owned()]),
            Validity::Dates {
                from: now,
                until: now.plus_secs(7 * 86_400),
            },
            100,
            1,
        ),
        (
            "秋日茶礼 Autumn ¥10",
            CouponKind::Fixed { off: 1000 },
            CouponScope::All,
            Validity::DaysAfterClaim(10),
            50,
            1,
        ),
    ];
    let mut ids = Vec::new();
    for (name, kind, scope, validity, supply, per_person) in made {
        let input = CouponInput {
            name: name.to_owned(),
            kind,
            scope,
            validity,
            supply,
            per_person,
        };
        ids.push(coupons::create(svc, owner, input).await.map_err(err)?.id);
    }
    let org = owner.org();
    // Who claimed what: (roster index, coupon index).
    let claims = [
        (0, 0),
        (1, 0),
        (2, 0),
        (3, 0),
        (4, 0),
        (5, 0),
        (4, 1),
        (6, 1),
        (7, 2),
        (2, 3),
        (3, 3),
    ];
    let mut spend = None;
    for (n, (who, c)) in claims.into_iter().enumerate() {
        let Some(buyer) = roster.get(who) else {
            continue;
        };
        let (claim, _) =
            coupons::claim(svc, &actor(buyer), org, ids[c], &format!("demo-coupon-{n}"))
                .await
                .map_err(err)?;
        if (who, c) == (4, 1) {
            spend = Some((buyer, claim.id));
        }
    }
    coupons::end(svc, owner, ids[3]).await.map_err(err)?;
    if let Some((buyer, claim)) = spend {
        // 100 g oolong and jasmine bags: ¥110, ¥15 off split ¥9.27 / ¥5.73.
        let lines = [(skus[0][1], 1), (skus[1][1], 1)];
        let (o, _) = orders::place(
            svc,
            &actor(buyer),
            org,
            orders::Basket {
                lines: &lines,
                coupon: Some(claim),
                shown_total: None,
            },
            "demo-coupon-order",
        )
        .await
        .map_err(err)?;
        pay(svc, buyer, o.id).await?;
    }
    paid_club(svc, owner, roster).await
}

/// A circle joined by paying: the tasting club, private, with its membership on
/// the shop; two customers paid and are in (their seat's job run here, as the
/// worker would run it), a third has not paid yet.
async fn paid_club(svc: &Services, owner: &OrgAccess, roster: &[Me]) -> anyhow::Result<()> {
    let club = quan_core::circles::create_circle(
        svc,
        owner,
        quan_core::circles::NewCircle::parse(
            "品鉴会 Tasting club",
            Some("每月一次新茶品鉴、会员价与老茶分享 Monthly tastings of new teas, member prices and old-tea evenings"),
            "community",
            Some("paid"),
            Some(false),
        )
        .map_err(err)?,
    )
    .await
    .map_err(err)?;
    let p = catalog::create(
        svc,
        owner,
        ProductInput {
            name: "品鉴会会员 Tasting club membership".to_owned(),
            description: "加入品鉴会：每月新茶品鉴、会员专属讨论。付款后立即入会。\n\nJoin the tasting club: a tasting each month and the members' circle. You are in as soon as you pay.".to_owned(),
            category: "会员".to_owned(),
            circle: Some(club.id),
            kind: Some(ProductKind::Membership),
            published: true,
            skus: vec![SkuInput {
                id: None,
                name: "会员资格 Membership".to_owned(),
                price_fen: 19_900,
                stock: 200,
                stock_was: None,
            }],
        },
    )
    .await
    .map_err(err)?;
    let bytes = art::jpeg(Art::Field { warm: false }, 640, 640, 77)?;
    images::add(svc, owner, p.id, &bytes).await.map_err(err)?;
    let sku = p.skus.first().map(|s| s.id).ok_or_else(|| err("no SKU"))?;
    for (n, who) in [7usize, 9, 11].into_iter().enumerate() {
        let Some(buyer) = roster.get(who) else {
            continue;
        };
        let (o, _) = orders::place(
            svc,
            &actor(buyer),
            owner.org(),
            orders::Basket::of(&[(sku, 1)]),
            &format!("demo-club-{n}"),
        )
        .await
        .map_err(err)?;
        if n < 2 {
            pay(svc, buyer, o.id).await?;
            for job in quan_core::jobs::seat_jobs(
                svc.clock.now(),
                quan_core::jobs::PAID_JOIN,
                (o.id, buyer.id),
                [club.id],
            ) {
                quan_core::circles::paid::join(svc, &job.payload)
                    .await
                    .map_err(err)?;
            }
        }
    }
    Ok(())
}

/// The product a demo SKU belongs to.
async fn product_of(svc: &Services, owner: &OrgAccess, sku: SkuId) -> anyhow::Result<ProductId> {
    let found = svc
        .store
        .skus_for_order(owner.org(), &[sku])
        .await
        .map_err(err)?;
    found
        .first()
        .map(|f| f.sku.product_id)
        .ok_or_else(|| err("a demo SKU without its product"))
}
