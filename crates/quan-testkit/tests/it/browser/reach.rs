//! Reaching customers: the owner makes a channel code in the console; a new member
//! opens its link on a phone, signs in, adds the staff member and hears the welcome;
//! they talk, live on the staff side; a campaign goes through its preflight, the
//! plan and the staff member's confirmation, and lands in the member's
//! conversation; the member opts out and the next preflight says so; they refuse a
//! transfer; the owner posts a moment, which the member likes and comments on, and
//! only the owner sees who did; the owner composes a journey, dry-runs it and
//! enables it.

use super::{
    browser, click, fill, go, log_in, select, shot, tap, value_of, wait_for_path, wait_text,
};
use fantoccini::Client;
use quan_testkit::{TestApp, User};

struct Reach<'a> {
    owner: &'a User,
    base: &'a str,
    org: &'a str,
    a: &'a Client,
    b: &'a Client,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_code_a_conversation_and_a_campaign_in_chromium() {
    let Some(app) = super::served().await else {
        return;
    };
    let (owner, org) = app.owner("林晓 Lin").await;
    // No quiet hours, so the campaign shows at once whatever the hour of the run.
    owner.set_policy(&org, "month", "", 5_000).await;
    let member = app.user("小美 Mei").await;
    let (p1, p2) = (tempfile::tempdir(), tempfile::tempdir());
    let (p1, p2) = (
        p1.unwrap_or_else(|e| panic!("{e}")),
        p2.unwrap_or_else(|e| panic!("{e}")),
    );
    let Some((_d1, a)) = browser(p1.path()).await else {
        return;
    };
    let Some((_d2, b)) = browser(p2.path()).await else {
        return;
    };
    let _ = b.set_window_size(390, 844).await;
    let run = Reach {
        owner: &owner,
        base: &app.base,
        org: &org,
        a: &a,
        b: &b,
    };
    let link = the_owner_makes_a_code(&run).await;
    the_member_opens_it_and_talks(&run, &member, &link).await;
    a_campaign_goes_through_preflight(&run).await;
    the_member_refuses_a_transfer(&run, &app).await;
    a_moment_gets_a_like_and_a_comment(&run, &member).await;
    a_journey_is_dry_run_then_enabled(&run).await;
    the_member_chooses_topics(&run, &member).await;
    the_owner_sets_the_reach_webhook(&run).await;
    let _ = b.close().await;
    let _ = a.close().await;
}

async fn the_owner_makes_a_code(run: &Reach<'_>) -> String {
    let Reach {
        a,
        base,
        org,
        owner,
        ..
    } = *run;
    log_in(a, base, &owner.login).await;
    go(a, &format!("{base}/console/{org}/customers")).await;
    fill(a, "#new-code input[name=name]", "门店海报 Store poster").await;
    tap(a, "#new-code input[name=staff]").await;
    // A shift that covers every hour, so the run does not depend on its time of day.
    fill(a, "#new-code input[name^=shift_]", "每天 00:00-24:00").await;
    fill(a, "#new-code input[name=tags]", "门店, poster").await;
    fill(
        a,
        "#new-code textarea[name=welcome]",
        "你好 {{name}}，我是{{staff}}",
    )
    .await;
    click(a, "#new-code button").await;
    wait_text(a, "门店海报 Store poster").await;
    let link = value_of(a, "#codes .card.code input").await;
    assert!(link.starts_with(&format!("{base}/r/")), "absolute: {link}");
    wait_text(a, "daily 00:00-24:00").await;
    shot(a, "30-console-channel-code").await;
    super::js(
        a,
        "document.querySelector('#codes').scrollIntoView(); return 0",
    )
    .await;
    shot(a, "30b-console-channel-code-shifts").await;
    link
}

async fn the_member_opens_it_and_talks(run: &Reach<'_>, member: &User, link: &str) {
    let Reach {
        a, b, base, org, ..
    } = *run;
    go(b, link).await;
    wait_text(b, "门店海报 Store poster").await;
    click(b, "a[href^='/login']").await;
    fill(b, "input[name=login]", &member.login).await;
    fill(b, "input[name=password]", "password-123").await;
    click(b, "button[type=submit].primary").await;
    wait_for_path(b, "/r/").await;
    click(b, "#code-open").await;
    let at = wait_for_path(b, "/app/conversations/").await;
    let contact = at.rsplit('/').next().unwrap_or_default().to_owned();
    wait_text(b, "你好 小美 Mei，我是林晓 Lin").await;
    fill(b, "input[name=body]", "周末有桂花乌龙吗？").await;
    click(b, "#reply").await;
    wait_text(b, "周末有桂花乌龙吗？").await;
    shot(b, "31-member-conversation-phone").await;

    // The staff side: the customer with their channel and stage; a new message
    // arrives without a reload.
    go(a, &format!("{base}/console/{org}/customers")).await;
    wait_text(a, "小美 Mei").await;
    go(a, &format!("{base}/console/{org}/customers/{contact}")).await;
    wait_text(a, "周末有桂花乌龙吗？").await;
    fill(b, "input[name=body]", "想订两杯").await;
    click(b, "#reply").await;
    wait_text(a, "想订两杯").await;
    fill(a, "input[name=body]", "有的，给您留两杯").await;
    click(a, "#staff-reply").await;
    wait_text(a, "有的，给您留两杯").await;
    shot(a, "32-console-conversation").await;
}

async fn a_campaign_goes_through_preflight(run: &Reach<'_>) {
    let Reach {
        a, b, base, org, ..
    } = *run;
    go(a, &format!("{base}/console/{org}/campaigns")).await;
    fill(a, "#compose input[name=name]", "周末新品 Weekend").await;
    fill(
        a,
        "#compose textarea[name=template]",
        "{{name}}，桂花乌龙上新",
    )
    .await;
    fill(a, "#compose input[name=tags_any]", "门店").await;
    fill(
        a,
        "#compose input[name=link_url]",
        "https://galaxy-tea.example.com/osmanthus",
    )
    .await;
    fill(a, "#compose input[name=link_title]", "桂花乌龙 Osmanthus").await;
    click(a, "#compose button[type=submit]").await;
    wait_text(a, "Preflight").await;
    let receive = super::js(
        a,
        "return document.getElementById('pre-recipients').textContent.trim()",
    )
    .await;
    assert_eq!(
        receive,
        serde_json::json!("1"),
        "the preflight counts the one customer"
    );
    shot(a, "33-campaign-preflight").await;
    // The draft could also be sent later: the schedule form is there.
    super::js(
        a,
        "document.querySelector('#schedule').scrollIntoView(); return 0",
    )
    .await;
    assert_eq!(
        super::js(
            a,
            "return document.querySelectorAll('#schedule-form input[type=datetime-local]').length"
        )
        .await,
        serde_json::json!(1)
    );
    shot(a, "33b-campaign-schedule").await;
    click(a, "#send").await;
    wait_text(a, "Waiting for staff").await;
    click(a, "#confirm").await;
    wait_text(a, "Sent").await;
    go(b, &format!("{base}/app/conversations")).await;
    click(b, "#conversations a").await;
    wait_text(b, "小美 Mei，桂花乌龙上新").await;
    // The link card is a link, through the tracked address on this server.
    let href = super::js(
        b,
        "const l = document.querySelector('.bubble a[href*=\"/l/\"]'); return l ? l.href : ''",
    )
    .await;
    assert!(
        href.as_str()
            .is_some_and(|h| h.starts_with(&format!("{base}/l/"))),
        "{href}"
    );
    shot(b, "33c-member-link-card-phone").await;

    // The member opts out; the next preflight counts them out.
    tap(b, "#consent input[name=opted_out]").await;
    click(b, "#consent button.small").await;
    let next = run
        .owner
        .campaign(org, "{{name}}", serde_json::json!({}))
        .await;
    let pre = run.owner.preflight(org, &next.id).await;
    assert_eq!((pre.counts.recipients, pre.counts.opted_out), (0, 1));
    go(
        a,
        &format!("{base}/lang/zh-CN?next=/console/{org}/customers"),
    )
    .await;
    wait_text(a, "渠道活码").await;
    shot(a, "34-console-customers-zh").await;
}

/// The owner hands the member to a new colleague; the member keeps the owner.
async fn the_member_refuses_a_transfer(run: &Reach<'_>, app: &TestApp) {
    let Reach {
        b,
        base,
        org,
        owner,
        ..
    } = *run;
    let bob = app.user("Bob").await;
    app.join(owner, org, &bob, "sales").await;
    let contact = owner.contacts(org, "").await.items.remove(0).id;
    let body = User::transfer_body("on_job", &owner.id, &[&contact], &[&bob.id]);
    assert_eq!(owner.transfer(org, body).await.transfers.len(), 1);
    go(b, &format!("{base}/app/conversations")).await;
    wait_text(b, "林晓 Lin is handing you over to Bob.").await;
    shot(b, "35-transfer-notice-phone").await;
    click(b, "button.refuse").await;
    wait_text(b, "林晓 Lin").await;
    let text = super::body_text(b).await;
    assert!(
        !text.contains("handing you over"),
        "the notice is gone: {text}"
    );
    let states: Vec<String> = owner
        .transfers(org)
        .await
        .into_iter()
        .map(|t| t.state)
        .collect();
    assert_eq!(states, ["refused"]);
}

/// The owner posts a moment in the console; the member likes it and comments on it
/// in the app; the owner's moments page shows both.
async fn a_moment_gets_a_like_and_a_comment(run: &Reach<'_>, member: &User) {
    let Reach {
        a, b, base, org, ..
    } = *run;
    // They opted out of mass messages above, which hides moments too: back in.
    member.opt_out(org, false).await;
    go(a, &format!("{base}/console/{org}/moments")).await;
    fill(
        a,
        "#new-moment textarea[name=body]",
        "桂花乌龙第一批到店 First osmanthus oolong of the season",
    )
    .await;
    click(a, "#new-moment button").await;
    wait_text(a, "First osmanthus oolong").await;
    go(b, &format!("{base}/app/moments")).await;
    wait_text(b, "First osmanthus oolong").await;
    click(b, ".moment button.like").await;
    wait_for_path(b, "/app/moments").await;
    fill(b, ".moment input[name=body]", "周六去店里试试").await;
    click(b, ".moment form.row button").await;
    wait_text(b, "周六去店里试试").await;
    let liked = super::js(
        b,
        "return document.querySelectorAll('.moment button.liked').length",
    )
    .await;
    assert_eq!(liked, serde_json::json!(1), "the like shows as given");
    shot(b, "36-member-moments-phone").await;
    go(a, &format!("{base}/console/{org}/moments")).await;
    wait_text(a, "周六去店里试试").await;
    let likes = super::js(
        a,
        "return document.querySelector('#moments .likes').textContent.trim()",
    )
    .await;
    assert_eq!(likes, serde_json::json!("♥ 1"));
    shot(a, "37-console-moments-zh").await;
}

async fn a_journey_is_dry_run_then_enabled(run: &Reach<'_>) {
    let Reach {
        a,
        base,
        org,
        owner,
        ..
    } = *run;
    go(a, &format!("{base}/console/{org}/journeys")).await;
    fill(
        a,
        "#compose-journey input[name=name]",
        "新客欢迎 Welcome series",
    )
    .await;
    fill(
        a,
        "#compose-journey input[name=value_0]",
        "{{name}}，试饮券已到账",
    )
    .await;
    select(a, "#compose-journey select[name=kind_1]", "wait").await;
    fill(a, "#compose-journey input[name=value_1]", "0").await;
    click(a, "#compose-journey button[type=submit]").await;
    // A refused step comes back with everything typed, the reason naming the step.
    wait_text(a, "2").await;
    assert_eq!(
        value_of(a, "#compose-journey input[name=value_0]").await,
        "{{name}}，试饮券已到账"
    );
    let alert = super::js(a, "return document.querySelector('.alert').textContent").await;
    assert!(
        alert.as_str().is_some_and(|t| t.contains('2')),
        "the error names step 2: {alert}"
    );
    // Fixed: a second message, the same day as the first.
    select(a, "#compose-journey select[name=kind_1]", "send").await;
    fill(
        a,
        "#compose-journey input[name=value_1]",
        "{{name}}，明天见",
    )
    .await;
    select(a, "#compose-journey select[name=kind_2]", "tag").await;
    fill(a, "#compose-journey input[name=value_2]", "试饮").await;
    click(a, "#compose-journey button[type=submit]").await;
    wait_for_path(a, &format!("/console/{org}/journeys/")).await;
    click(a, "#dry-run").await;
    wait_text(a, "8").await;
    // One send per staff member a day: every simulated join meets it at step 2.
    let rows = super::js(
        a,
        "return [...document.querySelectorAll('#findings tbody tr')].map(r => r.cells[1].textContent)",
    )
    .await;
    assert_eq!(rows, serde_json::json!(vec!["2. 发送消息"; 8]));
    shot(a, "38-console-journey-dry-run-zh").await;
    click(a, "#enable").await;
    wait_for_path(a, &format!("/console/{org}/journeys/")).await;
    let journeys = owner.c.get(&format!("/api/v1/orgs/{org}/journeys")).await;
    assert_eq!(
        journeys.body["items"][0]["status"], "active",
        "{}",
        journeys.text
    );
    assert_eq!(
        super::js(a, "return document.querySelectorAll('#enable').length").await,
        serde_json::json!(0),
        "an enabled journey offers no enable button"
    );
    assert_eq!(
        super::js(
            a,
            "return document.querySelectorAll('a.on[href$=\"/journeys\"]').length"
        )
        .await,
        serde_json::json!(1),
        "the sidebar keeps Journeys marked on a journey's page"
    );
    shot(a, "39-console-journey-active-zh").await;
}

async fn the_member_chooses_topics(run: &Reach<'_>, member: &User) {
    let Reach { b, base, org, .. } = *run;
    go(b, &format!("{base}/app/consent")).await;
    tap(b, &format!("#org-{org} input[name=journeys]")).await;
    tap(
        b,
        &format!("#org-{org} input[name=frequency][value=weekly]"),
    )
    .await;
    click(b, &format!("#org-{org} form.stack button")).await;
    wait_for_path(b, "/app/consent").await;
    let mine = member.c.get("/api/v1/me/consent").await;
    assert_eq!(
        mine.body[0]["topics"],
        serde_json::json!({"campaigns": true, "journeys": false, "moments": true, "frequency": "weekly"}),
        "{}",
        mine.text
    );
    shot(b, "40-member-consent-topics-phone").await;
}

async fn the_owner_sets_the_reach_webhook(run: &Reach<'_>) {
    let Reach { a, base, org, .. } = *run;
    go(
        a,
        &format!("{base}/lang/en?next=/console/{org}/reach-settings"),
    )
    .await;
    assert_eq!(
        super::js(
            a,
            "return document.getElementById('webhook-secret') === null"
        )
        .await,
        serde_json::json!(true),
        "no secret before there is a webhook"
    );
    fill(
        a,
        "#webhook input[name=url]",
        "https://sms.galaxy-tea.example.com/quan",
    )
    .await;
    click(a, "#webhook button[value=save]").await;
    wait_text(a, "Signing secret").await;
    super::js(
        a,
        "document.querySelector('#webhook').scrollIntoView(); return 0",
    )
    .await;
    shot(a, "41-console-reach-webhook").await;
    go(a, &format!("{base}/console/{org}/campaigns")).await;
    // With the webhook set, the composer offers it (no SMTP here: no e-mail box).
    assert_eq!(
        super::js(a, "return [document.querySelectorAll('#compose input[name=webhook]').length, document.querySelectorAll('#compose input[name=email]').length]").await,
        serde_json::json!([1, 0])
    );
}
