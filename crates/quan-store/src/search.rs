//! `SearchStore` for `SqlStore`: the inverted index in `search_terms`, read back
//! through the posts' visibility rules.

use crate::queries::VISIBLE_POSTS;
use crate::rows::{self, backend};
use crate::store::{SqlStore, Tx};
use async_trait::async_trait;
use quan_core::{PostRecord, SearchStore, StoreResult};
use quan_domain::{AccountId, CircleId, PostId, Timestamp};

/// Rows per INSERT: a long post's terms go in a few statements, not thousands.
const BATCH: usize = 200;

pub(crate) async fn insert_terms(
    tx: &mut Tx,
    post: PostId,
    circle: CircleId,
    terms: &[String],
) -> StoreResult<()> {
    for chunk in terms.chunks(BATCH) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| format!("(${}, $1, $2)", i + 3))
            .collect();
        let sql = format!(
            "INSERT INTO search_terms (term, post_id, circle_id) VALUES {} ON CONFLICT DO NOTHING",
            values.join(", ")
        );
        let mut q = sqlx::query(&sql)
            .bind(post.to_string())
            .bind(circle.to_string());
        for t in chunk {
            q = q.bind(t.clone());
        }
        q.execute(&mut **tx).await.map_err(backend)?;
    }
    Ok(())
}

#[async_trait]
impl SearchStore for SqlStore {
    async fn search_add(
        &self,
        post: PostId,
        circle: CircleId,
        terms: &[String],
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        insert_terms(&mut tx, post, circle, terms).await?;
        tx.commit().await.map_err(backend)
    }

    async fn search_replace(
        &self,
        post: PostId,
        circle: CircleId,
        terms: &[String],
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM search_terms WHERE post_id = $1")
            .bind(post.to_string())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        insert_terms(&mut tx, post, circle, terms).await?;
        tx.commit().await.map_err(backend)
    }

    async fn posts_visible(
        &self,
        circle: CircleId,
        ids: &[PostId],
        viewer: AccountId,
        now: Timestamp,
    ) -> StoreResult<Vec<PostRecord>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (4..4 + ids.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "{VISIBLE_POSTS} AND x.id IN ({}) ORDER BY x.id DESC",
            marks.join(", ")
        );
        let mut q = sqlx::query(&sql)
            .bind(circle.to_string())
            .bind(viewer.to_string())
            .bind(now.millis());
        for id in ids {
            q = q.bind(id.to_string());
        }
        self.fetch_all(q).await?.iter().map(rows::post).collect()
    }

    async fn search(
        &self,
        circles: &[CircleId],
        terms: &[String],
        limit: i64,
    ) -> StoreResult<Vec<(PostId, CircleId)>> {
        if circles.is_empty() || terms.is_empty() {
            return Ok(Vec::new());
        }
        let n = terms.len();
        let term_marks: Vec<String> = (1..=n).map(|i| format!("${i}")).collect();
        let circle_marks: Vec<String> = (n + 1..=n + circles.len())
            .map(|i| format!("${i}"))
            .collect();
        // Every term must match: count the distinct terms each post has.
        let sql = format!(
            "SELECT post_id, circle_id FROM search_terms WHERE term IN ({}) AND circle_id IN ({}) \
             GROUP BY post_id, circle_id HAVING COUNT(*) = {n} ORDER BY post_id DESC LIMIT ${}",
            term_marks.join(", "),
            circle_marks.join(", "),
            n + circles.len() + 1
        );
        let mut q = sqlx::query(&sql);
        for t in terms {
            q = q.bind(t.clone());
        }
        for c in circles {
            q = q.bind(c.to_string());
        }
        q = q.bind(limit);
        self.fetch_all(q)
            .await?
            .iter()
            .map(|r| Ok((rows::id(r, "post_id")?, rows::id(r, "circle_id")?)))
            .collect()
    }
}
