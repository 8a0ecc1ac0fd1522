//! `CircleOpsStore` for `SqlStore`: invite links, post management, the task board,
//! moderation, and person tags and merges. Same portable SQL as `store.rs`.

use crate::rows::{self, backend, int, opt_id, opt_text, opt_ts, parsed, text, ts};
use crate::store::{POST_SELECT, SqlStore, Tx, VISIBLE_POSTS, bump_member_count, insert_member};
use async_trait::async_trait;
use quan_core::*;
use quan_domain::*;
use sqlx::any::AnyRow;

const CIRCLE_INVITE_COLS: &str = "id, circle_id, code_hash, label, created_by, created_at, expires_at, max_uses, uses, revoked_at";
const REPORT_SELECT: &str = "SELECT r.id, r.circle_id, r.post_id, r.account_id, r.reason, r.note, r.weight, r.status, r.created_at, \
     a.display_name AS reporter_name FROM reports r JOIN accounts a ON a.id = r.account_id";
const SANCTION_SELECT: &str = "SELECT s.circle_id, s.account_id, s.kind, s.until_at, s.reason, s.created_by, s.created_at, \
     a.display_name FROM circle_sanctions s JOIN accounts a ON a.id = s.account_id";
const MERGE_SELECT: &str = "SELECT m.id, m.org_id, m.survivor_id, m.merged_id, m.actor, m.reason, m.moved, m.created_at, m.undone_at, \
     p.display_name AS merged_name FROM person_merges m JOIN persons p ON p.id = m.merged_id";
/// Ids moved by one statement at most, so a huge merge never builds a giant query.
const CHUNK: usize = 400;

fn circle_invite(row: &AnyRow) -> StoreResult<CircleInviteRecord> {
    Ok(CircleInviteRecord {
        id: rows::id(row, "id")?,
        circle_id: rows::id(row, "circle_id")?,
        code_hash: text(row, "code_hash")?,
        label: text(row, "label")?,
        created_by: rows::id(row, "created_by")?,
        created_at: ts(row, "created_at")?,
        expires_at: ts(row, "expires_at")?,
        max_uses: int(row, "max_uses")?,
        uses: int(row, "uses")?,
        revoked_at: opt_ts(row, "revoked_at")?,
    })
}

fn report(row: &AnyRow) -> StoreResult<ReportRecord> {
    Ok(ReportRecord {
        id: rows::id(row, "id")?,
        circle_id: rows::id(row, "circle_id")?,
        post_id: rows::id(row, "post_id")?,
        account_id: rows::id(row, "account_id")?,
        reporter_name: text(row, "reporter_name")?,
        reason: parsed(row, "reason", ReportReason::parse)?,
        note: text(row, "note")?,
        weight: int(row, "weight")?,
        status: parsed(row, "status", ReportStatus::parse)?,
        created_at: ts(row, "created_at")?,
    })
}

fn mod_log(row: &AnyRow) -> StoreResult<ModLogRecord> {
    Ok(ModLogRecord {
        id: rows::id(row, "id")?,
        circle_id: rows::id(row, "circle_id")?,
        account_id: opt_id(row, "account_id")?,
        actor_name: opt_text(row, "actor_name")?,
        action: text(row, "action")?,
        target: text(row, "target")?,
        reason: text(row, "reason")?,
        at: ts(row, "at")?,
    })
}

fn sanction(row: &AnyRow) -> StoreResult<SanctionRecord> {
    Ok(SanctionRecord {
        circle_id: rows::id(row, "circle_id")?,
        account_id: rows::id(row, "account_id")?,
        display_name: text(row, "display_name")?,
        kind: parsed(row, "kind", SanctionKind::parse)?,
        until: opt_ts(row, "until_at")?,
        reason: text(row, "reason")?,
        created_by: rows::id(row, "created_by")?,
        created_at: ts(row, "created_at")?,
    })
}

fn merge(row: &AnyRow) -> StoreResult<MergeRecord> {
    let moved = text(row, "moved")?;
    Ok(MergeRecord {
        id: rows::id(row, "id")?,
        org_id: rows::id(row, "org_id")?,
        survivor_id: rows::id(row, "survivor_id")?,
        merged_id: rows::id(row, "merged_id")?,
        merged_name: text(row, "merged_name")?,
        actor: opt_id(row, "actor")?,
        reason: text(row, "reason")?,
        moves: serde_json::from_str(&moved).map_err(|e| rows::corrupt("moved", e))?,
        created_at: ts(row, "created_at")?,
        undone_at: opt_ts(row, "undone_at")?,
    })
}

async fn insert_log(tx: &mut Tx, l: &ModLogRecord) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO mod_log (id, circle_id, account_id, action, target, reason, at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(l.id.to_string())
    .bind(l.circle_id.to_string())
    .bind(l.account_id.map(|a| a.to_string()))
    .bind(l.action.clone())
    .bind(l.target.clone())
    .bind(l.reason.clone())
    .bind(l.at.millis())
    .execute(&mut **tx)
    .await
    .map_err(backend)?;
    Ok(())
}

/// Runs `sql` with `$1` = `a`, `$2` = `b`, and each single-column value of the rows
/// `select` returns for (`a`, `b`) collected first; returns those values.
async fn collect_ids(tx: &mut Tx, select: &str, binds: &[&str]) -> StoreResult<Vec<String>> {
    let mut q = sqlx::query(select);
    for b in binds {
        q = q.bind((*b).to_owned());
    }
    q.fetch_all(&mut **tx)
        .await
        .map_err(backend)?
        .iter()
        .map(|r| text(r, "v"))
        .collect()
}

/// `UPDATE ... WHERE <col> IN (ids)` in chunks: `prefix` ends just before the IN
/// list and uses `$1`, `$2` for `a`, `b`; the ids follow as `$3...`.
async fn update_in(tx: &mut Tx, prefix: &str, a: &str, b: &str, ids: &[String]) -> StoreResult<()> {
    for chunk in ids.chunks(CHUNK) {
        let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 3)).collect();
        let sql = format!("{prefix} IN ({})", marks.join(", "));
        let mut q = sqlx::query(&sql).bind(a.to_owned()).bind(b.to_owned());
        for id in chunk {
            q = q.bind(id.clone());
        }
        q.execute(&mut **tx).await.map_err(backend)?;
    }
    Ok(())
}

/// Runs one statement in the transaction; returns the rows it touched.
async fn exec<'q>(
    tx: &mut Tx,
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
) -> StoreResult<u64> {
    Ok(q.execute(&mut **tx).await.map_err(backend)?.rows_affected())
}

#[async_trait]
impl CircleOpsStore for SqlStore {
    async fn circle_update(&self, c: &CircleRecord) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let n = exec(
            &mut tx,
            sqlx::query(
                "UPDATE circles SET name = $2, description = $3, join_policy = $4, posting = $5, forwarding = $6, \
                 read_receipts = $7, public = $8, cover_image_id = $9, tags = $10 WHERE id = $1",
            )
            .bind(c.id.to_string())
            .bind(c.name.clone())
            .bind(c.description.clone())
            .bind(c.join_policy.as_str())
            .bind(c.posting.as_str())
            .bind(i64::from(c.forwarding))
            .bind(i64::from(c.read_receipts))
            .bind(i64::from(c.public))
            .bind(c.cover_image_id.map(|i| i.to_string()))
            .bind(c.tags.join(",")),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(n > 0)
    }

    async fn circle_member_decline(
        &self,
        circle: CircleId,
        account: AccountId,
        event: &EventRecord,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let n = exec(
            &mut tx,
            sqlx::query(
                "DELETE FROM circle_members WHERE circle_id = $1 AND account_id = $2 AND status = 'pending'",
            )
            .bind(circle.to_string())
            .bind(account.to_string()),
        )
        .await?;
        if n == 0 {
            return Ok(false);
        }
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn circle_member_update(
        &self,
        circle: CircleId,
        account: AccountId,
        role: Option<CircleRole>,
        types: Option<(bool, bool, bool)>,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let mut n = 0;
        if let Some(r) = role {
            n += exec(
                &mut tx,
                sqlx::query(
                    "UPDATE circle_members SET role = $3, role_seq = $4 WHERE circle_id = $1 AND account_id = $2 \
                     AND role <> 'owner' AND status = 'active'",
                )
                .bind(circle.to_string())
                .bind(account.to_string())
                .bind(r.as_str())
                .bind(now.millis()),
            )
            .await?;
        }
        if let Some((m, cu, f)) = types {
            n += exec(
                &mut tx,
                sqlx::query(
                    "UPDATE circle_members SET is_member = $3, is_customer = $4, is_fan = $5 \
                     WHERE circle_id = $1 AND account_id = $2",
                )
                .bind(circle.to_string())
                .bind(account.to_string())
                .bind(i64::from(m))
                .bind(i64::from(cu))
                .bind(i64::from(f)),
            )
            .await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(n > 0)
    }

    async fn room_insert(&self, r: &RoomRecord, max: i64) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        // The circle's row lock (PostgreSQL; SQLite's writer is already exclusive)
        // serialises room creation, so concurrent creations cannot pass max.
        exec(
            &mut tx,
            sqlx::query("UPDATE circles SET name = name WHERE id = $1")
                .bind(r.circle_id.to_string()),
        )
        .await?;
        let n = sqlx::query("SELECT COUNT(*) AS n FROM chat_rooms WHERE circle_id = $1")
            .bind(r.circle_id.to_string())
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
        if int(&n, "n")? >= max {
            return Ok(false);
        }
        exec(
            &mut tx,
            sqlx::query("INSERT INTO chat_rooms (id, circle_id, name, is_default, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(r.id.to_string())
                .bind(r.circle_id.to_string())
                .bind(r.name.clone())
                .bind(i64::from(r.is_default))
                .bind(r.created_at.millis()),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn quality_inputs(&self, now: Timestamp, limit: i64) -> StoreResult<Vec<QualityInputs>> {
        const DAY: i64 = 86_400_000;
        let (month, week, prev) = (
            now.millis() - 30 * DAY,
            now.millis() - 7 * DAY,
            now.millis() - 14 * DAY,
        );
        // Interactions are posts and comments in a window.
        let count = |from: &str, to: &str| {
            format!(
                "(SELECT COUNT(*) FROM posts x WHERE x.circle_id = c.id AND x.created_at >= {from} AND x.created_at < {to}) + \
                 (SELECT COUNT(*) FROM comments k JOIN posts x ON x.id = k.post_id \
                    WHERE x.circle_id = c.id AND k.created_at >= {from} AND k.created_at < {to})"
            )
        };
        let sql = format!(
            "SELECT c.id, \
             (SELECT COALESCE(SUM(x.hot_rank), 0.0) FROM posts x WHERE x.circle_id = c.id AND x.hot_rank > 0 AND x.deleted_at IS NULL) AS rank_sum, \
             {} AS month, {} AS week, {} AS prev_week \
             FROM circles c WHERE c.public = 1 AND c.mode <> 'internal' ORDER BY c.id LIMIT $5",
            count("$1", "$4"),
            count("$2", "$4"),
            count("$3", "$2"),
        );
        let rows = self
            .fetch_all(
                sqlx::query(&sql)
                    .bind(month)
                    .bind(week)
                    .bind(prev)
                    .bind(now.millis() + 1)
                    .bind(limit),
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(QualityInputs {
                    circle: rows::id(r, "id")?,
                    rank_sum: sqlx::Row::try_get::<f64, _>(r, "rank_sum").map_err(backend)?,
                    month: int(r, "month")?,
                    week: int(r, "week")?,
                    prev_week: int(r, "prev_week")?,
                })
            })
            .collect()
    }

    async fn quality_set(&self, scores: &[(CircleId, f64)]) -> StoreResult<u64> {
        let mut n = 0;
        for chunk in scores.chunks(400) {
            let mut tx = self.begin().await?;
            let values: Vec<String> = (0..chunk.len())
                .map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2))
                .collect();
            let sql = format!(
                "UPDATE circles SET quality_score = v.column2 FROM (VALUES {}) AS v WHERE circles.id = v.column1",
                values.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for (c, score) in chunk {
                q = q.bind(c.to_string()).bind(*score);
            }
            n += exec(&mut tx, q).await?;
            tx.commit().await.map_err(backend)?;
        }
        Ok(n)
    }

    async fn boost_set(
        &self,
        circle: CircleId,
        from: &[BoostStatus],
        to: BoostStatus,
        log: &BoostLogRecord,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let marks: Vec<String> = (3..3 + from.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "UPDATE circles SET boost_status = $2 WHERE id = $1 AND boost_status IN ({})",
            marks.join(", ")
        );
        let mut q = sqlx::query(&sql).bind(circle.to_string()).bind(to.as_str());
        for f in from {
            q = q.bind(f.as_str());
        }
        if exec(&mut tx, q).await? == 0 {
            return Ok(false);
        }
        exec(
            &mut tx,
            sqlx::query(
                "INSERT INTO boost_log (id, org_id, circle_id, action, account_id, reason, at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(log.id.to_string())
            .bind(log.org_id.to_string())
            .bind(circle.to_string())
            .bind(log.action.clone())
            .bind(log.account_id.map(|a| a.to_string()))
            .bind(log.reason.clone())
            .bind(log.at.millis()),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn boost_log(&self, limit: i64) -> StoreResult<Vec<BoostLogRecord>> {
        let rows = self
            .fetch_all(
                sqlx::query(
                    "SELECT b.id, b.org_id, b.circle_id, b.action, b.account_id, b.reason, b.at, c.name AS circle_name \
                     FROM boost_log b JOIN circles c ON c.id = b.circle_id ORDER BY b.id DESC LIMIT $1",
                )
                .bind(limit),
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(BoostLogRecord {
                    id: rows::id(r, "id")?,
                    org_id: rows::id(r, "org_id")?,
                    circle_id: rows::id(r, "circle_id")?,
                    circle_name: text(r, "circle_name")?,
                    action: text(r, "action")?,
                    account_id: opt_id(r, "account_id")?,
                    reason: text(r, "reason")?,
                    at: ts(r, "at")?,
                })
            })
            .collect()
    }

    async fn discover(&self, tag: Option<&str>, limit: i64) -> StoreResult<Vec<CircleRecord>> {
        // Tags are stored joined by ','; see `tag_pattern`.
        let pattern = tag.map(crate::store::tag_pattern);
        let sql = format!(
            "SELECT {} FROM circles WHERE public = 1 AND mode <> 'internal' \
             AND ($2 = '' OR (',' || tags || ',') LIKE $2 ESCAPE '\\') \
             ORDER BY CASE WHEN boost_status = 'approved' THEN 1 ELSE 0 END DESC, quality_score DESC, id DESC LIMIT $1",
            crate::store::CIRCLE_COLS
        );
        self.fetch_all(
            sqlx::query(&sql)
                .bind(limit)
                .bind(pattern.unwrap_or_default()),
        )
        .await?
        .iter()
        .map(rows::circle)
        .collect()
    }

    async fn image_insert(&self, img: &ImageRecord) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        exec(
            &mut tx,
            sqlx::query(
                "INSERT INTO images (id, circle_id, account_id, sha256, content_type, bytes, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(img.id.to_string())
            .bind(img.circle_id.to_string())
            .bind(img.account_id.to_string())
            .bind(img.sha256.clone())
            .bind(img.content_type.clone())
            .bind(img.bytes)
            .bind(img.created_at.millis()),
        )
        .await?;
        tx.commit().await.map_err(backend)
    }

    async fn image_get(&self, id: ImageId) -> StoreResult<Option<ImageRecord>> {
        self.fetch_opt(
            sqlx::query("SELECT id, circle_id, account_id, sha256, content_type, bytes, created_at FROM images WHERE id = $1")
                .bind(id.to_string()),
        )
        .await?
        .as_ref()
        .map(|r| {
            Ok(ImageRecord {
                id: rows::id(r, "id")?,
                circle_id: rows::id(r, "circle_id")?,
                account_id: rows::id(r, "account_id")?,
                sha256: text(r, "sha256")?,
                content_type: text(r, "content_type")?,
                bytes: int(r, "bytes")?,
                created_at: ts(r, "created_at")?,
            })
        })
        .transpose()
    }

    async fn images_of(&self, posts: &[PostId]) -> StoreResult<Vec<(PostId, ImageId)>> {
        if posts.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (1..=posts.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT post_id, image_id FROM post_images WHERE post_id IN ({}) ORDER BY post_id, position",
            marks.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for p in posts {
            q = q.bind(p.to_string());
        }
        self.fetch_all(q)
            .await?
            .iter()
            .map(|r| Ok((rows::id(r, "post_id")?, rows::id(r, "image_id")?)))
            .collect()
    }

    async fn image_in_chat(&self, image: ImageId, circle: CircleId) -> StoreResult<bool> {
        let row = self
            .fetch_opt(
                sqlx::query(
                    "SELECT COUNT(*) AS n FROM chat_messages m JOIN chat_rooms r ON r.id = m.room_id \
                     WHERE m.image_id = $1 AND r.circle_id = $2",
                )
                .bind(image.to_string())
                .bind(circle.to_string()),
            )
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(int(&row, "n")? > 0)
    }

    async fn image_posts(&self, image: ImageId) -> StoreResult<Vec<PostId>> {
        self.fetch_all(
            sqlx::query(
                "SELECT pi.post_id FROM post_images pi JOIN posts x ON x.id = pi.post_id \
                 WHERE pi.image_id = $1 AND x.deleted_at IS NULL LIMIT 20",
            )
            .bind(image.to_string()),
        )
        .await?
        .iter()
        .map(|r| rows::id(r, "post_id"))
        .collect()
    }

    async fn circle_invite_insert(
        &self,
        inv: &CircleInviteRecord,
        event: &EventRecord,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let sql = format!(
            "INSERT INTO circle_invites ({CIRCLE_INVITE_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        );
        sqlx::query(&sql)
            .bind(inv.id.to_string())
            .bind(inv.circle_id.to_string())
            .bind(inv.code_hash.clone())
            .bind(inv.label.clone())
            .bind(inv.created_by.to_string())
            .bind(inv.created_at.millis())
            .bind(inv.expires_at.millis())
            .bind(inv.max_uses)
            .bind(inv.uses)
            .bind(inv.revoked_at.map(Timestamp::millis))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)
    }

    async fn circle_invite_list(&self, circle: CircleId) -> StoreResult<Vec<CircleInviteRecord>> {
        let sql = format!(
            "SELECT {CIRCLE_INVITE_COLS} FROM circle_invites WHERE circle_id = $1 ORDER BY id DESC LIMIT 200"
        );
        self.fetch_all(sqlx::query(&sql).bind(circle.to_string()))
            .await?
            .iter()
            .map(circle_invite)
            .collect()
    }

    async fn circle_invite_by_code_hash(
        &self,
        code_hash: &str,
    ) -> StoreResult<Option<CircleInviteRecord>> {
        let sql = format!("SELECT {CIRCLE_INVITE_COLS} FROM circle_invites WHERE code_hash = $1");
        self.fetch_opt(sqlx::query(&sql).bind(code_hash.to_owned()))
            .await?
            .as_ref()
            .map(circle_invite)
            .transpose()
    }

    async fn circle_invite_revoke(
        &self,
        circle: CircleId,
        id: CircleInviteId,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let n = exec(
                &mut tx,
                sqlx::query("UPDATE circle_invites SET revoked_at = $3 WHERE circle_id = $1 AND id = $2 AND revoked_at IS NULL")
                    .bind(circle.to_string())
                    .bind(id.to_string())
                    .bind(now.millis()),
            )
            .await?;
        tx.commit().await.map_err(backend)?;
        Ok(n > 0)
    }

    async fn circle_invite_accept(
        &self,
        invite: CircleInviteId,
        m: &CircleMemberRecord,
        event: &EventRecord,
    ) -> StoreResult<CircleInviteOutcome> {
        let mut tx = self.begin().await?;
        let existing = sqlx::query(
            "SELECT status FROM circle_members WHERE circle_id = $1 AND account_id = $2",
        )
        .bind(m.circle_id.to_string())
        .bind(m.account_id.to_string())
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?
        .map(|r| text(&r, "status"))
        .transpose()?;
        if existing.as_deref() == Some("active") {
            return Ok(CircleInviteOutcome::AlreadyMember);
        }
        // The guarded increment: however many accept at once, uses never passes
        // max_uses, and an expired or revoked link admits no one.
        let used = exec(
                &mut tx,
                sqlx::query(
                    "UPDATE circle_invites SET uses = uses + 1 WHERE id = $1 AND circle_id = $2 AND uses < max_uses \
                     AND revoked_at IS NULL AND expires_at > $3",
                )
                .bind(invite.to_string())
                .bind(m.circle_id.to_string())
                .bind(m.joined_at.millis()),
            )
            .await?;
        if used == 0 {
            return Ok(CircleInviteOutcome::Invalid);
        }
        let outcome = if existing.is_some() {
            exec(
                &mut tx,
                sqlx::query("UPDATE circle_members SET status = 'active' WHERE circle_id = $1 AND account_id = $2")
                    .bind(m.circle_id.to_string())
                    .bind(m.account_id.to_string()),
            )
            .await?;
            bump_member_count(&mut tx, m.circle_id).await?;
            CircleInviteOutcome::Approved
        } else {
            let mut active = m.clone();
            active.status = MemberStatus::Active;
            insert_member(&mut tx, &active).await?;
            CircleInviteOutcome::Joined
        };
        exec(
            &mut tx,
            sqlx::query(
                "UPDATE circle_members SET invite_id = $3 WHERE circle_id = $1 AND account_id = $2",
            )
            .bind(m.circle_id.to_string())
            .bind(m.account_id.to_string())
            .bind(invite.to_string()),
        )
        .await?;
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)?;
        Ok(outcome)
    }

    async fn post_get_any(&self, circle: CircleId, id: PostId) -> StoreResult<Option<PostRecord>> {
        let sql =
            format!("{POST_SELECT} WHERE x.circle_id = $1 AND x.id = $2 AND x.deleted_at IS NULL");
        self.fetch_opt(
            sqlx::query(&sql)
                .bind(circle.to_string())
                .bind(id.to_string()),
        )
        .await?
        .as_ref()
        .map(rows::post)
        .transpose()
    }

    async fn post_update(
        &self,
        circle: CircleId,
        id: PostId,
        title: &str,
        body: &str,
        by: AccountId,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let Some(old) = sqlx::query(
            "SELECT title, body FROM posts WHERE circle_id = $1 AND id = $2 AND deleted_at IS NULL",
        )
        .bind(circle.to_string())
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?
        else {
            return Ok(false);
        };
        exec(
            &mut tx,
            sqlx::query("INSERT INTO post_edits (id, post_id, title, body, edited_by, edited_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(PostEditId::new().to_string())
                .bind(id.to_string())
                .bind(text(&old, "title")?)
                .bind(text(&old, "body")?)
                .bind(by.to_string())
                .bind(now.millis()),
        )
        .await?;
        exec(
            &mut tx,
            sqlx::query("UPDATE posts SET title = $2, body = $3, edited_at = $4 WHERE id = $1")
                .bind(id.to_string())
                .bind(title.to_owned())
                .bind(body.to_owned())
                .bind(now.millis()),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn post_edits(&self, post: PostId) -> StoreResult<Vec<PostEditRecord>> {
        let rows = self
            .fetch_all(
                sqlx::query("SELECT id, post_id, title, body, edited_by, edited_at FROM post_edits WHERE post_id = $1 ORDER BY id DESC LIMIT 100")
                    .bind(post.to_string()),
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(PostEditRecord {
                    id: rows::id(r, "id")?,
                    post_id: rows::id(r, "post_id")?,
                    title: text(r, "title")?,
                    body: text(r, "body")?,
                    edited_by: rows::id(r, "edited_by")?,
                    edited_at: ts(r, "edited_at")?,
                })
            })
            .collect()
    }

    async fn post_set_pinned(
        &self,
        circle: CircleId,
        id: PostId,
        pinned: Option<Timestamp>,
        log: &ModLogRecord,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let n = exec(
                &mut tx,
                sqlx::query("UPDATE posts SET pinned_at = $3 WHERE circle_id = $1 AND id = $2 AND deleted_at IS NULL")
                    .bind(circle.to_string())
                    .bind(id.to_string())
                    .bind(pinned.map(Timestamp::millis)),
            )
            .await?;
        if n == 0 {
            return Ok(false);
        }
        insert_log(&mut tx, log).await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn post_delete(
        &self,
        circle: CircleId,
        id: PostId,
        now: Timestamp,
        log: Option<&ModLogRecord>,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let n = exec(
                &mut tx,
                sqlx::query("UPDATE posts SET deleted_at = $3, pinned_at = NULL, hot_rank = 0 WHERE circle_id = $1 AND id = $2 AND deleted_at IS NULL")
                    .bind(circle.to_string())
                    .bind(id.to_string())
                    .bind(now.millis()),
            )
            .await?;
        if n == 0 {
            return Ok(false);
        }
        if let Some(l) = log {
            insert_log(&mut tx, l).await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn post_pinned(
        &self,
        circle: CircleId,
        viewer: AccountId,
        now: Timestamp,
    ) -> StoreResult<Vec<PostRecord>> {
        let sql = format!(
            "{VISIBLE_POSTS} AND x.pinned_at IS NOT NULL ORDER BY x.pinned_at DESC LIMIT 5"
        );
        self.fetch_all(
            sqlx::query(&sql)
                .bind(circle.to_string())
                .bind(viewer.to_string())
                .bind(now.millis()),
        )
        .await?
        .iter()
        .map(rows::post)
        .collect()
    }

    async fn reactions_mine(
        &self,
        person: PersonId,
        posts: &[PostId],
    ) -> StoreResult<Vec<(PostId, ReactionKind)>> {
        if posts.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (2..2 + posts.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT post_id, kind FROM reactions WHERE person_id = $1 AND post_id IN ({})",
            marks.join(", ")
        );
        let mut q = sqlx::query(&sql).bind(person.to_string());
        for p in posts {
            q = q.bind(p.to_string());
        }
        self.fetch_all(q)
            .await?
            .iter()
            .map(|r| {
                Ok((
                    rows::id(r, "post_id")?,
                    parsed(r, "kind", ReactionKind::parse)?,
                ))
            })
            .collect()
    }

    async fn viewer_quirks(
        &self,
        circle: CircleId,
        account: AccountId,
    ) -> StoreResult<(i64, bool)> {
        let row = self
            .fetch_opt(
                sqlx::query(
                    "SELECT (SELECT history_window_days FROM accounts WHERE id = $2) AS w, \
                     (SELECT COUNT(*) FROM posts WHERE circle_id = $1 AND author_account_id = $2 \
                        AND hidden_at IS NOT NULL AND deleted_at IS NULL) AS h",
                )
                .bind(circle.to_string())
                .bind(account.to_string()),
            )
            .await?
            .ok_or(StoreError::NotFound)?;
        let w: Option<i64> = sqlx::Row::try_get(&row, "w").map_err(backend)?;
        Ok((w.unwrap_or(0), int(&row, "h")? > 0))
    }

    async fn circle_has_audiences(&self, circle: CircleId) -> StoreResult<bool> {
        let row = self
            .fetch_opt(
                sqlx::query(
                    "SELECT COUNT(*) AS n FROM (SELECT 1 FROM posts WHERE circle_id = $1 \
                     AND audience <> 'all' AND deleted_at IS NULL LIMIT 1) t",
                )
                .bind(circle.to_string()),
            )
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(int(&row, "n")? > 0)
    }

    async fn task_step(
        &self,
        circle: CircleId,
        from: TaskState,
        assignee: Option<Option<AccountId>>,
        step: &TaskStepRecord,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let set_assignee = if assignee.is_some() {
            ", task_assignee = $6"
        } else {
            ""
        };
        let sql = format!(
            "UPDATE posts SET task_state = $1, last_activity_at = $5{set_assignee} \
             WHERE id = $2 AND circle_id = $3 AND task_state = $4 AND deleted_at IS NULL"
        );
        let mut q = sqlx::query(&sql)
            .bind(step.state.as_str())
            .bind(step.post_id.to_string())
            .bind(circle.to_string())
            .bind(from.as_str())
            .bind(step.at.millis());
        if let Some(a) = assignee {
            q = q.bind(a.map(|a| a.to_string()));
        }
        if exec(&mut tx, q).await? == 0 {
            return Ok(false);
        }
        exec(
            &mut tx,
            sqlx::query("INSERT INTO task_steps (id, post_id, state, account_id, note, at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(step.id.to_string())
                .bind(step.post_id.to_string())
                .bind(step.state.as_str())
                .bind(step.account_id.to_string())
                .bind(step.note.clone())
                .bind(step.at.millis()),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn task_steps(&self, post: PostId) -> StoreResult<Vec<TaskStepRecord>> {
        let rows = self
            .fetch_all(
                sqlx::query(
                    "SELECT s.id, s.post_id, s.state, s.account_id, s.note, s.at, a.display_name AS actor_name \
                     FROM task_steps s JOIN accounts a ON a.id = s.account_id WHERE s.post_id = $1 ORDER BY s.id LIMIT 500",
                )
                .bind(post.to_string()),
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(TaskStepRecord {
                    id: rows::id(r, "id")?,
                    post_id: rows::id(r, "post_id")?,
                    state: parsed(r, "state", TaskState::parse)?,
                    account_id: rows::id(r, "account_id")?,
                    actor_name: text(r, "actor_name")?,
                    note: text(r, "note")?,
                    at: ts(r, "at")?,
                })
            })
            .collect()
    }

    async fn report_insert(
        &self,
        r: &ReportRecord,
        threshold: i64,
        hide_log: &ModLogRecord,
    ) -> StoreResult<ReportOutcome> {
        let mut tx = self.begin().await?;
        exec(
            &mut tx,
            sqlx::query(
                "INSERT INTO reports (id, circle_id, post_id, account_id, reason, note, weight, status, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(r.id.to_string())
            .bind(r.circle_id.to_string())
            .bind(r.post_id.to_string())
            .bind(r.account_id.to_string())
            .bind(r.reason.as_str())
            .bind(r.note.clone())
            .bind(r.weight)
            .bind(r.status.as_str())
            .bind(r.created_at.millis()),
        )
        .await?;
        let row = sqlx::query(
            "UPDATE posts SET report_weight = report_weight + $1 WHERE id = $2 AND circle_id = $3 \
             RETURNING report_weight, hidden_at",
        )
        .bind(r.weight)
        .bind(r.post_id.to_string())
        .bind(r.circle_id.to_string())
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?
        .ok_or(StoreError::NotFound)?;
        let total_weight = int(&row, "report_weight")?;
        let hidden_now = total_weight >= threshold && opt_ts(&row, "hidden_at")?.is_none();
        if hidden_now {
            exec(
                &mut tx,
                sqlx::query("UPDATE posts SET hidden_at = $2 WHERE id = $1")
                    .bind(r.post_id.to_string())
                    .bind(r.created_at.millis()),
            )
            .await?;
            insert_log(&mut tx, hide_log).await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(ReportOutcome {
            hidden_now,
            total_weight,
        })
    }

    async fn report_accuracy(&self, account: AccountId) -> StoreResult<(i64, i64)> {
        let row = self
            .fetch_opt(
                sqlx::query(
                    "SELECT COUNT(CASE WHEN status = 'upheld' THEN 1 END) AS upheld, \
                     COUNT(CASE WHEN status <> 'open' THEN 1 END) AS resolved FROM reports WHERE account_id = $1",
                )
                .bind(account.to_string()),
            )
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok((int(&row, "upheld")?, int(&row, "resolved")?))
    }

    async fn report_queue(&self, circle: CircleId, limit: i64) -> StoreResult<Vec<QueueItem>> {
        let sql = format!(
            "{POST_SELECT} WHERE x.circle_id = $1 AND x.deleted_at IS NULL \
             AND (x.hidden_at IS NOT NULL OR EXISTS (SELECT 1 FROM reports r WHERE r.post_id = x.id AND r.status = 'open')) \
             ORDER BY x.report_weight DESC, x.id DESC LIMIT $2"
        );
        let rows = self
            .fetch_all(sqlx::query(&sql).bind(circle.to_string()).bind(limit))
            .await?;
        let mut items = rows
            .iter()
            .map(|r| {
                Ok(QueueItem {
                    post: rows::post(r)?,
                    report_weight: int(r, "report_weight")?,
                    reports: Vec::new(),
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        if items.is_empty() {
            return Ok(items);
        }
        let marks: Vec<String> = (0..items.len()).map(|i| format!("${}", i + 1)).collect();
        let sql = format!(
            "{REPORT_SELECT} WHERE r.status = 'open' AND r.post_id IN ({}) ORDER BY r.id",
            marks.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for it in &items {
            q = q.bind(it.post.id.to_string());
        }
        for r in self.fetch_all(q).await?.iter().map(report) {
            let r = r?;
            if let Some(it) = items.iter_mut().find(|it| it.post.id == r.post_id) {
                it.reports.push(r);
            }
        }
        Ok(items)
    }

    async fn report_resolve(
        &self,
        circle: CircleId,
        post: PostId,
        status: ReportStatus,
        by: AccountId,
        now: Timestamp,
        log: &ModLogRecord,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        exec(
            &mut tx,
            sqlx::query(
                "UPDATE reports SET status = $1, resolved_at = $2, resolved_by = $3 \
                 WHERE post_id = $4 AND circle_id = $5 AND status = 'open'",
            )
            .bind(status.as_str())
            .bind(now.millis())
            .bind(by.to_string())
            .bind(post.to_string())
            .bind(circle.to_string()),
        )
        .await?;
        let sql = if status == ReportStatus::Upheld {
            "UPDATE posts SET deleted_at = $3, pinned_at = NULL, hot_rank = 0 WHERE id = $1 AND circle_id = $2 AND deleted_at IS NULL"
        } else {
            "UPDATE posts SET hidden_at = NULL, report_weight = 0 WHERE id = $1 AND circle_id = $2 AND deleted_at IS NULL AND $3 > 0"
        };
        let n = exec(
            &mut tx,
            sqlx::query(sql)
                .bind(post.to_string())
                .bind(circle.to_string())
                .bind(now.millis()),
        )
        .await?;
        if n == 0 {
            return Ok(false);
        }
        insert_log(&mut tx, log).await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn post_hide(
        &self,
        circle: CircleId,
        post: PostId,
        log: &ModLogRecord,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        exec(
            &mut tx,
            sqlx::query("UPDATE posts SET hidden_at = $3 WHERE id = $1 AND circle_id = $2 AND hidden_at IS NULL")
                .bind(post.to_string())
                .bind(circle.to_string())
                .bind(log.at.millis()),
        )
        .await?;
        insert_log(&mut tx, log).await?;
        tx.commit().await.map_err(backend)
    }

    async fn member_activity(
        &self,
        circle: CircleId,
        account: AccountId,
        now: Timestamp,
    ) -> StoreResult<Activity> {
        let row = self
            .fetch_opt(
                sqlx::query(
                    "SELECT (SELECT joined_at FROM circle_members WHERE circle_id = $1 AND account_id = $2) AS joined_at, \
                     (SELECT COUNT(*) FROM posts WHERE circle_id = $1 AND author_account_id = $2 AND deleted_at IS NULL) AS posts, \
                     (SELECT COUNT(*) FROM comments k JOIN posts x ON x.id = k.post_id WHERE x.circle_id = $1 AND k.author_account_id = $2) AS comments, \
                     (SELECT COUNT(*) FROM reactions r JOIN posts x ON x.id = r.post_id WHERE x.circle_id = $1 AND x.author_account_id = $2) AS received, \
                     (SELECT COUNT(*) FROM reactions r JOIN posts x ON x.id = r.post_id JOIN persons vp ON vp.id = r.person_id \
                        WHERE x.circle_id = $1 AND vp.account_id = $2) AS given, \
                     (SELECT COUNT(*) FROM reports r JOIN posts x ON x.id = r.post_id \
                        WHERE x.circle_id = $1 AND x.author_account_id = $2 AND r.status = 'upheld') AS upheld, \
                     (SELECT COUNT(*) FROM circle_visits WHERE circle_id = $1 AND account_id = $2) AS visited, \
                     (SELECT COUNT(*) FROM post_views WHERE circle_id = $1 AND account_id = $2) AS read",
                )
                .bind(circle.to_string())
                .bind(account.to_string()),
            )
            .await?
            .ok_or(StoreError::NotFound)?;
        let joined: Option<i64> = sqlx::Row::try_get(&row, "joined_at").map_err(backend)?;
        Ok(Activity {
            days_member: joined.map_or(0, |j| (now.millis() - j).max(0) / 86_400_000),
            days_visited: int(&row, "visited")?,
            posts_read: int(&row, "read")?,
            contributions: int(&row, "posts")? + int(&row, "comments")?,
            likes_received: int(&row, "received")?,
            likes_given: int(&row, "given")?,
            upheld_against: int(&row, "upheld")?,
        })
    }

    async fn visit_record(
        &self,
        circle: CircleId,
        account: AccountId,
        day: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO circle_visits (circle_id, account_id, day) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
        )
        .bind(circle.to_string())
        .bind(account.to_string())
        .bind(day)
        .execute(&self.write)
        .await
        .map_err(backend)
        .map(drop)
    }

    async fn post_view_record(
        &self,
        circle: CircleId,
        post: PostId,
        account: AccountId,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
                "INSERT INTO post_views (post_id, account_id, circle_id, viewed_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(post.to_string())
            .bind(account.to_string())
            .bind(circle.to_string())
            .bind(now.millis())
        .execute(&self.write)
        .await
        .map_err(backend)
        .map(drop)
    }

    async fn recent_writes(
        &self,
        circle: CircleId,
        account: AccountId,
        since: Timestamp,
    ) -> StoreResult<(i64, i64)> {
        let row = self
            .fetch_opt(
                sqlx::query(
                    "SELECT (SELECT COUNT(*) FROM posts WHERE circle_id = $1 AND author_account_id = $2 AND created_at >= $3) AS posts, \
                     (SELECT COUNT(*) FROM comments k JOIN posts x ON x.id = k.post_id \
                        WHERE x.circle_id = $1 AND k.author_account_id = $2 AND k.created_at >= $3) AS comments",
                )
                .bind(circle.to_string())
                .bind(account.to_string())
                .bind(since.millis()),
            )
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok((int(&row, "posts")?, int(&row, "comments")?))
    }

    async fn mod_log_list(
        &self,
        circle: CircleId,
        page: &PageRequest,
    ) -> StoreResult<Page<ModLogRecord>> {
        self.keyset_page(
            "SELECT l.id, l.circle_id, l.account_id, l.action, l.target, l.reason, l.at, a.display_name AS actor_name \
             FROM mod_log l LEFT JOIN accounts a ON a.id = l.account_id WHERE l.circle_id = $1",
            &[circle.to_string()],
            ("l.id", true),
            page,
            mod_log,
            |l| l.id.to_string(),
        )
        .await
    }

    async fn sanction_set(&self, s: &SanctionRecord, log: &ModLogRecord) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        exec(
            &mut tx,
            sqlx::query(
                "INSERT INTO circle_sanctions (circle_id, account_id, kind, until_at, reason, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (circle_id, account_id, kind) DO UPDATE SET \
                 until_at = excluded.until_at, reason = excluded.reason, created_by = excluded.created_by, created_at = excluded.created_at",
            )
            .bind(s.circle_id.to_string())
            .bind(s.account_id.to_string())
            .bind(s.kind.as_str())
            .bind(s.until.map(Timestamp::millis))
            .bind(s.reason.clone())
            .bind(s.created_by.to_string())
            .bind(s.created_at.millis()),
        )
        .await?;
        if s.kind == SanctionKind::Ban {
            let gone = sqlx::query(
                "DELETE FROM circle_members WHERE circle_id = $1 AND account_id = $2 AND role <> 'owner' RETURNING status",
            )
            .bind(s.circle_id.to_string())
            .bind(s.account_id.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
            if let Some(r) = gone
                && text(&r, "status")? == "active"
            {
                exec(
                    &mut tx,
                    sqlx::query("UPDATE circles SET member_count = member_count - 1 WHERE id = $1")
                        .bind(s.circle_id.to_string()),
                )
                .await?;
            }
        }
        insert_log(&mut tx, log).await?;
        tx.commit().await.map_err(backend)
    }

    async fn sanction_lift(
        &self,
        circle: CircleId,
        account: AccountId,
        kind: SanctionKind,
        log: &ModLogRecord,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let n = exec(
                &mut tx,
                sqlx::query("DELETE FROM circle_sanctions WHERE circle_id = $1 AND account_id = $2 AND kind = $3")
                    .bind(circle.to_string())
                    .bind(account.to_string())
                    .bind(kind.as_str()),
            )
            .await?;
        if n == 0 {
            return Ok(false);
        }
        insert_log(&mut tx, log).await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn sanctions(
        &self,
        circle: CircleId,
        account: Option<AccountId>,
        now: Timestamp,
    ) -> StoreResult<Vec<SanctionRecord>> {
        let one = if account.is_some() {
            " AND s.account_id = $3"
        } else {
            ""
        };
        let sql = format!(
            "{SANCTION_SELECT} WHERE s.circle_id = $1 AND (s.until_at IS NULL OR s.until_at > $2){one} \
             ORDER BY s.created_at DESC LIMIT 500"
        );
        let mut q = sqlx::query(&sql)
            .bind(circle.to_string())
            .bind(now.millis());
        if let Some(a) = account {
            q = q.bind(a.to_string());
        }
        self.fetch_all(q).await?.iter().map(sanction).collect()
    }

    async fn sensitive_words(&self, org: OrgId) -> StoreResult<Vec<(String, WordAction)>> {
        self.fetch_all(
            sqlx::query("SELECT word, action FROM sensitive_words WHERE org_id = $1 ORDER BY word LIMIT 2000")
                .bind(org.to_string()),
        )
        .await?
        .iter()
        .map(|r| Ok((text(r, "word")?, parsed(r, "action", WordAction::parse)?)))
        .collect()
    }

    async fn sensitive_word_set(
        &self,
        org: OrgId,
        word: &str,
        action: WordAction,
        now: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        exec(
            &mut tx,
            sqlx::query(
                "INSERT INTO sensitive_words (org_id, word, action, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (org_id, word) DO UPDATE SET action = excluded.action",
            )
            .bind(org.to_string())
            .bind(word.to_owned())
            .bind(action.as_str())
            .bind(now.millis()),
        )
        .await?;
        tx.commit().await.map_err(backend)
    }

    async fn sensitive_word_delete(&self, org: OrgId, word: &str) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let n = exec(
            &mut tx,
            sqlx::query("DELETE FROM sensitive_words WHERE org_id = $1 AND word = $2")
                .bind(org.to_string())
                .bind(word.to_owned()),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(n > 0)
    }

    async fn person_tags(&self, person: PersonId) -> StoreResult<Vec<String>> {
        self.fetch_all(
            sqlx::query("SELECT tag FROM person_tags WHERE person_id = $1 ORDER BY tag")
                .bind(person.to_string()),
        )
        .await?
        .iter()
        .map(|r| text(r, "tag"))
        .collect()
    }

    async fn person_tag_add(
        &self,
        org: OrgId,
        person: PersonId,
        tag: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        exec(
            &mut tx,
            sqlx::query(
                "INSERT INTO person_tags (org_id, person_id, tag, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (person_id, tag) DO NOTHING",
            )
            .bind(org.to_string())
            .bind(person.to_string())
            .bind(tag.to_owned())
            .bind(now.millis()),
        )
        .await?;
        tx.commit().await.map_err(backend)
    }

    async fn person_tag_remove(&self, person: PersonId, tag: &str) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let n = exec(
            &mut tx,
            sqlx::query("DELETE FROM person_tags WHERE person_id = $1 AND tag = $2")
                .bind(person.to_string())
                .bind(tag.to_owned()),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(n > 0)
    }

    async fn person_by_handle(
        &self,
        org: OrgId,
        kind: HandleKind,
        value: &str,
    ) -> StoreResult<Option<(PersonId, bool)>> {
        self.fetch_opt(
            sqlx::query("SELECT person_id, verified FROM handles WHERE org_id = $1 AND kind = $2 AND value = $3")
                .bind(org.to_string())
                .bind(kind.as_str())
                .bind(value.to_owned()),
        )
        .await?
        .as_ref()
        .map(|r| Ok((rows::id(r, "person_id")?, int(r, "verified")? != 0)))
        .transpose()
    }

    async fn person_merge(&self, nm: &NewMerge, event: &EventRecord) -> StoreResult<MergeRecord> {
        let NewMerge {
            org,
            survivor,
            merged,
            actor,
            ref reason,
            now,
        } = *nm;
        let mut tx = self.begin().await?;
        // Merges of one org run one at a time, so two crossing merges (A into B, B
        // into A) cannot both pass the checks below.
        if !Self::lock_org(&mut tx, org).await? {
            return Err(StoreError::NotFound);
        }
        let (s, m) = (survivor.to_string(), merged.to_string());
        let both = sqlx::query(
            "SELECT id, merged_into, display_name FROM persons WHERE org_id = $1 AND (id = $2 OR id = $3)",
        )
        .bind(org.to_string())
        .bind(s.clone())
        .bind(m.clone())
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?;
        if both.len() != 2 || survivor == merged {
            return Err(StoreError::NotFound);
        }
        let mut merged_name = String::new();
        for r in &both {
            if opt_text(r, "merged_into")?.is_some() {
                return Err(StoreError::Conflict {
                    constraint: constraints::PERSON_ALREADY_MERGED.into(),
                });
            }
            if text(r, "id")? == m {
                merged_name = text(r, "display_name")?;
            }
        }
        let mut moves = MergeMoves {
            handles: collect_ids(
                &mut tx,
                "SELECT id AS v FROM handles WHERE person_id = $1",
                &[&m],
            )
            .await?,
            posts: collect_ids(
                &mut tx,
                "SELECT id AS v FROM posts WHERE author_person_id = $1",
                &[&m],
            )
            .await?,
            comments: collect_ids(
                &mut tx,
                "SELECT id AS v FROM comments WHERE author_person_id = $1",
                &[&m],
            )
            .await?,
            messages: collect_ids(
                &mut tx,
                "SELECT id AS v FROM chat_messages WHERE author_person_id = $1",
                &[&m],
            )
            .await?,
            repointed: collect_ids(
                &mut tx,
                "SELECT id AS v FROM persons WHERE merged_into = $1",
                &[&m],
            )
            .await?,
            // Tags and reactions the survivor already has stay with the merged
            // person: nothing is lost, and undo knows exactly what moved.
            tags: collect_ids(
                &mut tx,
                "SELECT tag AS v FROM person_tags t WHERE person_id = $1 AND NOT EXISTS \
                 (SELECT 1 FROM person_tags u WHERE u.person_id = $2 AND u.tag = t.tag)",
                &[&m, &s],
            )
            .await?,
            ..MergeMoves::default()
        };
        for r in
            sqlx::query("SELECT circle_id, account_id FROM circle_members WHERE person_id = $1")
                .bind(m.clone())
                .fetch_all(&mut *tx)
                .await
                .map_err(backend)?
        {
            moves
                .memberships
                .push((text(&r, "circle_id")?, text(&r, "account_id")?));
        }
        for r in sqlx::query(
            "SELECT post_id, kind FROM reactions r WHERE person_id = $1 AND NOT EXISTS \
             (SELECT 1 FROM reactions u WHERE u.person_id = $2 AND u.post_id = r.post_id AND u.kind = r.kind)",
        )
        .bind(m.clone())
        .bind(s.clone())
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?
        {
            moves.reactions.push((text(&r, "post_id")?, text(&r, "kind")?));
        }
        for sql in [
            "UPDATE handles SET person_id = $1 WHERE person_id = $2",
            "UPDATE circle_members SET person_id = $1 WHERE person_id = $2",
            "UPDATE posts SET author_person_id = $1 WHERE author_person_id = $2",
            "UPDATE comments SET author_person_id = $1 WHERE author_person_id = $2",
            "UPDATE chat_messages SET author_person_id = $1 WHERE author_person_id = $2",
            "UPDATE persons SET merged_into = $1 WHERE merged_into = $2",
            "UPDATE person_tags SET person_id = $1 WHERE person_id = $2 AND NOT EXISTS \
             (SELECT 1 FROM person_tags u WHERE u.person_id = $1 AND u.tag = person_tags.tag)",
            "UPDATE reactions SET person_id = $1 WHERE person_id = $2 AND NOT EXISTS \
             (SELECT 1 FROM reactions u WHERE u.person_id = $1 AND u.post_id = reactions.post_id AND u.kind = reactions.kind)",
            "UPDATE persons SET merged_into = $1 WHERE id = $2",
        ] {
            exec(&mut tx, sqlx::query(sql).bind(s.clone()).bind(m.clone())).await?;
        }
        let rec = MergeRecord {
            id: MergeId::new(),
            org_id: org,
            survivor_id: survivor,
            merged_id: merged,
            merged_name,
            actor,
            reason: reason.to_owned(),
            moves,
            created_at: now,
            undone_at: None,
        };
        let moved = serde_json::to_string(&rec.moves).map_err(|e| rows::corrupt("moved", e))?;
        exec(
            &mut tx,
            sqlx::query(
                "INSERT INTO person_merges (id, org_id, survivor_id, merged_id, actor, reason, moved, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(rec.id.to_string())
            .bind(org.to_string())
            .bind(s)
            .bind(m)
            .bind(actor.map(|a| a.to_string()))
            .bind(rec.reason.clone())
            .bind(moved)
            .bind(now.millis()),
        )
        .await?;
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)?;
        Ok(rec)
    }

    async fn person_merge_undo(
        &self,
        org: OrgId,
        id: MergeId,
        actor: AccountId,
        now: Timestamp,
        event: &EventRecord,
    ) -> StoreResult<UndoOutcome> {
        let mut tx = self.begin().await?;
        if !Self::lock_org(&mut tx, org).await? {
            return Err(StoreError::NotFound);
        }
        let sql = format!("{MERGE_SELECT} WHERE m.org_id = $1 AND m.id = $2");
        let rec = sqlx::query(&sql)
            .bind(org.to_string())
            .bind(id.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?
            .as_ref()
            .map(merge)
            .transpose()?
            .ok_or(StoreError::NotFound)?;
        if rec.undone_at.is_some() {
            return Ok(UndoOutcome::AlreadyUndone);
        }
        let survivor_merged = sqlx::query("SELECT merged_into FROM persons WHERE id = $1")
            .bind(rec.survivor_id.to_string())
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
        if opt_text(&survivor_merged, "merged_into")?.is_some() {
            return Ok(UndoOutcome::LaterMergeFirst);
        }
        let (s, m) = (rec.survivor_id.to_string(), rec.merged_id.to_string());
        let mv = &rec.moves;
        // $1 = merged person (where rows go back to), $2 = survivor.
        update_in(
            &mut tx,
            "UPDATE handles SET person_id = $1 WHERE person_id = $2 AND id",
            &m,
            &s,
            &mv.handles,
        )
        .await?;
        update_in(
            &mut tx,
            "UPDATE posts SET author_person_id = $1 WHERE author_person_id = $2 AND id",
            &m,
            &s,
            &mv.posts,
        )
        .await?;
        update_in(
            &mut tx,
            "UPDATE comments SET author_person_id = $1 WHERE author_person_id = $2 AND id",
            &m,
            &s,
            &mv.comments,
        )
        .await?;
        update_in(
            &mut tx,
            "UPDATE chat_messages SET author_person_id = $1 WHERE author_person_id = $2 AND id",
            &m,
            &s,
            &mv.messages,
        )
        .await?;
        update_in(
            &mut tx,
            "UPDATE person_tags SET person_id = $1 WHERE person_id = $2 AND tag",
            &m,
            &s,
            &mv.tags,
        )
        .await?;
        update_in(
            &mut tx,
            "UPDATE persons SET merged_into = $1 WHERE merged_into = $2 AND id",
            &m,
            &s,
            &mv.repointed,
        )
        .await?;
        for (circle, account) in &mv.memberships {
            exec(
                &mut tx,
                sqlx::query("UPDATE circle_members SET person_id = $1 WHERE person_id = $2 AND circle_id = $3 AND account_id = $4")
                    .bind(m.clone())
                    .bind(s.clone())
                    .bind(circle.clone())
                    .bind(account.clone()),
            )
            .await?;
        }
        for (post, kind) in &mv.reactions {
            exec(
                &mut tx,
                sqlx::query("UPDATE reactions SET person_id = $1 WHERE person_id = $2 AND post_id = $3 AND kind = $4")
                    .bind(m.clone())
                    .bind(s.clone())
                    .bind(post.clone())
                    .bind(kind.clone()),
            )
            .await?;
        }
        // What the merged person's own account wrote after the merge was credited
        // to the survivor; it goes back with them.
        for sql in [
            "UPDATE posts SET author_person_id = $1 WHERE author_person_id = $2 AND author_account_id = \
             (SELECT account_id FROM persons WHERE id = $1)",
            "UPDATE comments SET author_person_id = $1 WHERE author_person_id = $2 AND author_account_id = \
             (SELECT account_id FROM persons WHERE id = $1)",
            "UPDATE chat_messages SET author_person_id = $1 WHERE author_person_id = $2 AND author_account_id = \
             (SELECT account_id FROM persons WHERE id = $1)",
            "UPDATE circle_members SET person_id = $1 WHERE person_id = $2 AND account_id = \
             (SELECT account_id FROM persons WHERE id = $1)",
        ] {
            exec(&mut tx, sqlx::query(sql).bind(m.clone()).bind(s.clone())).await?;
        }
        exec(
            &mut tx,
            sqlx::query("UPDATE persons SET merged_into = NULL WHERE id = $1").bind(m.clone()),
        )
        .await?;
        exec(
            &mut tx,
            sqlx::query("UPDATE person_merges SET undone_at = $2, undone_by = $3 WHERE id = $1")
                .bind(id.to_string())
                .bind(now.millis())
                .bind(actor.to_string()),
        )
        .await?;
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)?;
        Ok(UndoOutcome::Undone)
    }

    async fn person_merges(&self, org: OrgId, person: PersonId) -> StoreResult<Vec<MergeRecord>> {
        let sql = format!(
            "{MERGE_SELECT} WHERE m.org_id = $1 AND (m.survivor_id = $2 OR m.merged_id = $2) ORDER BY m.id DESC LIMIT 100"
        );
        self.fetch_all(
            sqlx::query(&sql)
                .bind(org.to_string())
                .bind(person.to_string()),
        )
        .await?
        .iter()
        .map(merge)
        .collect()
    }

    async fn person_memberships(
        &self,
        person: PersonId,
    ) -> StoreResult<Vec<(CircleRecord, CircleMemberRecord)>> {
        let rows = self
            .fetch_all(
                sqlx::query(
                    "SELECT c.id, c.org_id, c.name, c.description, c.mode, c.join_policy, c.posting, c.forwarding, c.read_receipts, \
                     c.public, c.member_count, c.created_by, c.created_at, c.quality_score, c.boost_status, c.cover_image_id, c.tags, \
                     m.circle_id, m.account_id, m.person_id, m.role, m.status, m.is_member, m.is_customer, m.is_fan, m.joined_at, m.role_seq, \
                     p.display_name FROM circle_members m JOIN circles c ON c.id = m.circle_id JOIN persons p ON p.id = m.person_id \
                     WHERE m.person_id = $1 ORDER BY m.joined_at LIMIT 500",
                )
                .bind(person.to_string()),
            )
            .await?;
        rows.iter()
            .map(|r| Ok((rows::circle(r)?, rows::member(r)?)))
            .collect()
    }

    async fn person_timeline(
        &self,
        person: PersonId,
        limit: i64,
    ) -> StoreResult<Vec<TimelineEntry>> {
        let rows = self
            .fetch_all(
                sqlx::query(
                    "SELECT m.joined_at AS at, 'joined' AS kind, c.id AS circle_id, c.name AS circle_name, COALESCE(i.label, '') AS body \
                       FROM circle_members m JOIN circles c ON c.id = m.circle_id \
                       LEFT JOIN circle_invites i ON i.id = m.invite_id WHERE m.person_id = $1 \
                     UNION ALL SELECT x.created_at, 'posted', c.id, c.name, x.title \
                       FROM posts x JOIN circles c ON c.id = x.circle_id WHERE x.author_person_id = $1 AND x.deleted_at IS NULL \
                     UNION ALL SELECT k.created_at, 'commented', c.id, c.name, x.title \
                       FROM comments k JOIN posts x ON x.id = k.post_id JOIN circles c ON c.id = x.circle_id WHERE k.author_person_id = $1 \
                     UNION ALL SELECT ck.created_at, 'checked_in', c.id, c.name, '' \
                       FROM checkins ck JOIN circles c ON c.id = ck.circle_id \
                       JOIN circle_members m ON m.circle_id = ck.circle_id AND m.account_id = ck.account_id WHERE m.person_id = $1 \
                     UNION ALL SELECT pm.created_at, CASE WHEN pm.undone_at IS NULL THEN 'merged' ELSE 'merge_undone' END, NULL, '', pm.reason \
                       FROM person_merges pm WHERE pm.survivor_id = $1 OR pm.merged_id = $1 \
                     ORDER BY at DESC LIMIT $2",
                )
                .bind(person.to_string())
                .bind(limit),
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(TimelineEntry {
                    at: ts(r, "at")?,
                    kind: text(r, "kind")?,
                    circle_id: opt_id(r, "circle_id")?,
                    circle_name: text(r, "circle_name")?,
                    text: text(r, "body")?,
                })
            })
            .collect()
    }
}
