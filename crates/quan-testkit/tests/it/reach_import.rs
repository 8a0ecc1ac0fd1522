//! Importing contacts from CSV: bad rows are reported by line and the rest import;
//! the same file again adds nothing; a file in the wrong encoding or with the wrong
//! columns imports nothing and says why. Both backends.

use quan_testkit::{TestApp, on_both_backends};

on_both_backends!(
    rows_import_or_say_why_by_line,
    unreadable_files_import_nothing
);

async fn rows_import_or_say_why_by_line(app: TestApp) {
    let (owner, org) = app.owner("Tea House").await;
    let sales = app.user("Zhao").await;
    app.join(&owner, &org, &sales, "sales").await;
    let csv = format!(
        "\u{feff}name,phone,email,staff,tags\n\
         周杰,13900001111,,{},门店|vip\n\
         \"Li, Emma\",,emma.li@example.com,,直播\n\
         坏号码,12345,,,\n\
         无联系方式,,,,\n\
         不认识的员工,13900002222,,nobody@example.com,\n",
        sales.login
    );
    let r = owner.import(&org, &csv).await;
    assert_eq!(
        (r.rows, r.contacts_added, r.persons_created, r.unchanged),
        (5, 2, 2, 0)
    );
    let refused: Vec<(u64, &str)> = r.errors.iter().map(|e| (e.line, e.code.as_str())).collect();
    assert_eq!(
        refused,
        [(4, "invalid_phone"), (5, "required"), (6, "not_staff")]
    );
    let zhou = sales.contacts(&org, "").await.items;
    assert_eq!(zhou.len(), 1);
    assert_eq!(
        (zhou[0].person_name.as_str(), zhou[0].source.as_str()),
        ("周杰", "import")
    );
    let profile = owner.profile(&org, &zhou[0].person_id).await;
    assert!(profile.tags.contains(&"vip".to_owned()) && profile.tags.contains(&"门店".to_owned()));
    assert!(
        owner
            .contacts(&org, "")
            .await
            .items
            .iter()
            .any(|c| c.person_name == "Li, Emma")
    );

    // Again: nothing new.
    let again = owner.import(&org, &csv).await;
    assert_eq!(
        (again.contacts_added, again.persons_created, again.unchanged),
        (0, 0, 2)
    );
    assert_eq!(owner.contacts(&org, "").await.items.len(), 2);
    // Sales staff do not import.
    let r = sales.try_import(&org, csv.into_bytes()).await;
    assert_eq!(r.problem(), (403, Some("forbidden")));
}

async fn unreadable_files_import_nothing(app: TestApp) {
    let (owner, org) = app.owner("Tea House").await;
    // "周杰,13900001111" in GBK: not UTF-8.
    let mut gbk = b"name,phone\n".to_vec();
    gbk.extend_from_slice(&[0xD6, 0xDC, 0xBD, 0xDC]);
    gbk.extend_from_slice(b",13900001111\n");
    for (body, code) in [
        (gbk, "csv_not_utf8"),
        (b"nom,tel\nx,1\n".to_vec(), "csv_unknown_column"),
        (b"name,staff\nx,y\n".to_vec(), "csv_missing_columns"),
        (b"name,phone\nx\n".to_vec(), "csv_malformed"),
        (Vec::new(), "csv_empty"),
    ] {
        let r = owner.try_import(&org, body).await;
        assert_eq!(r.problem(), (422, Some(code)), "{}", r.text);
    }
    assert!(
        owner.contacts(&org, "").await.items.is_empty(),
        "nothing half-imported"
    );
    // Over 5 MiB: a 413, or a connection closed before the whole body was written.
    let big = vec![b'a'; 5 * 1024 * 1024 + 1];
    let path = format!("/api/v1/orgs/{org}/contacts/import");
    if let Some(r) = owner.c.raw("POST", &path, "text/csv", big).await {
        assert_eq!(r.status, 413, "{}", r.text);
    }
    assert!(owner.contacts(&org, "").await.items.is_empty());
}
