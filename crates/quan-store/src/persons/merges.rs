//! `MergeStore` for `SqlStore`: merges record every row they move, so undo moves
//! exactly those back; the person timeline.

use crate::moderation::exec;
use crate::rows::{self, backend, opt_id, opt_text, opt_ts, text, ts};
use crate::store::{SqlStore, Tx};
use async_trait::async_trait;
use quan_core::{
    EventRecord, MergeMoves, MergeRecord, MergeStore, NewMerge, StoreError, StoreResult,
    TimelineEntry, UndoOutcome, constraints,
};
use quan_domain::{AccountId, MergeId, OrgId, PersonId, Timestamp};
use sqlx::any::AnyRow;

/// Ids moved by one statement at most, so a huge merge never builds a giant query.
const CHUNK: usize = 400;

pub(crate) const MERGE_SELECT: &str = "SELECT m.id, m.org_id, m.survivor_id, m.merged_id, m.actor, m.reason, m.moved, m.created_at, m.undone_at, \
     p.display_name AS merged_name FROM person_merges m JOIN persons p ON p.id = m.merged_id";

pub(crate) fn merge(row: &AnyRow) -> StoreResult<MergeRecord> {
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

/// Runs `sql` with `$1` = `a`, `$2` = `b`, and each single-column value of the rows
/// `select` returns for (`a`, `b`) collected first; returns those values.
pub(crate) async fn collect_ids(
    tx: &mut Tx,
    select: &str,
    binds: &[&str],
) -> StoreResult<Vec<String>> {
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
pub(crate) async fn update_in(
    tx: &mut Tx,
    prefix: &str,
    a: &str,
    b: &str,
    ids: &[String],
) -> StoreResult<()> {
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

#[async_trait]
impl MergeStore for SqlStore {
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
