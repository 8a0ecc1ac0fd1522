//! The demo's community group buying: five pickup points around Hangzhou's West
//! Lake for the tea shop, one run by the demo's leader (刘芳 Liu Fang, who signs in
//! as `13800138000`), one offline for the day with her standing in.

use quan_core::Services;
use quan_core::access::OrgAccess;
use quan_core::local::{self, LeaderInput};
use quan_domain::{AccountId, GeoPoint, PickupKind};

/// (leader, phone, point, address, lat, lon, kind, hours, radius m, capacity, commission bp)
type Point = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    f64,
    f64,
    PickupKind,
    &'static str,
    i64,
    i64,
    i64,
);

const POINTS: [Point; 5] = [
    (
        "刘芳 团长 Liu Fang",
        "13800138000",
        "北山街茶驿 Beishan Tea Stop",
        "杭州市西湖区北山街 36 号",
        30.2625,
        120.1478,
        PickupKind::Store,
        "每天 8:00–20:00",
        3_000,
        300,
        600,
    ),
    (
        "张阿姨 Auntie Zhang",
        "13900011122",
        "文三路邻里点 Wensan Neighbours",
        "杭州市西湖区文三路 259 号 2 单元",
        30.2823,
        120.1342,
        PickupKind::Home,
        "工作日 17:00–21:00，周末 9:00–21:00",
        1_500,
        80,
        800,
    ),
    (
        "菜鸟驿站 黄龙店 Cainiao Huanglong",
        "0571-88001234",
        "黄龙菜鸟驿站 Huanglong Parcel Station",
        "杭州市西湖区黄龙路 5 号",
        30.2702,
        120.1565,
        PickupKind::ParcelStation,
        "每天 9:00–22:00",
        2_500,
        1_000,
        300,
    ),
    (
        "陈师傅 Master Chen",
        "13700077788",
        "湖滨便利店 Hubin Corner Shop",
        "杭州市上城区湖滨路 18 号",
        30.2566,
        120.1650,
        PickupKind::Store,
        "每天 7:00–23:00",
        3_000,
        400,
        500,
    ),
    (
        "吴姐 Sister Wu",
        "13600066655",
        "南山路自提点 Nanshan Road Pickup",
        "杭州市上城区南山路 202 号",
        30.2447,
        120.1598,
        PickupKind::Home,
        "每天 10:00–19:00",
        2_000,
        60,
        800,
    ),
];

pub(super) async fn load(
    svc: &Services,
    owner: &OrgAccess,
    leader_account: Option<AccountId>,
) -> anyhow::Result<()> {
    let mut first = None;
    for (i, (name, phone, point, address, lat, lon, kind, hours, radius, capacity, bp)) in
        POINTS.into_iter().enumerate()
    {
        let l = local::create(
            svc,
            owner,
            LeaderInput {
                account: if i == 0 { leader_account } else { None },
                name: name.to_owned(),
                phone: phone.to_owned(),
                point_name: point.to_owned(),
                address: address.to_owned(),
                location: GeoPoint::new(lat, lon)?,
                kind,
                hours: hours.to_owned(),
                radius_m: radius,
                capacity,
                commission_bp: bp,
                // Sister Wu is away today: Liu Fang hands her orders over.
                online: i != 4,
                stand_in: if i == 4 { first } else { None },
                active: true,
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("demo pickup point {point}: {e}"))?;
        first.get_or_insert(l.id);
    }
    Ok(())
}
