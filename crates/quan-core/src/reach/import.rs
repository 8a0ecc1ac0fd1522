//! Importing contacts from a CSV file (`quan import contacts FILE`, the console's
//! upload, `POST …/contacts/import`).
//!
//! The file is checked whole before anything is written: UTF-8 (a BOM is fine;
//! GBK and other encodings are refused with a hint), a header naming `name` and
//! `phone` or `email`, known columns only, at most [`MAX_ROWS`] rows. Then each row
//! is its own step: a bad row (an invalid phone, an unknown staff member, a staff
//! member at the cap) is reported with its line number and the rest go on. A row's
//! person is found by its phone or e-mail before one is made, and an existing
//! contact is left as it is, so importing the same file again adds nothing.

use super::error::ReachError;
use super::port::{AddOutcome, ContactSource};
use super::{Result, connect, require};
use crate::Services;
use crate::access::OrgAccess;
use quan_domain::{
    AccountId, DisplayName, HandleKind, HandleValue, Login, ParseError, PersonId, Role, Scope,
    short_label,
};

/// The largest file and the most rows one import takes.
pub const MAX_BYTES: usize = 5 * 1024 * 1024;
pub const MAX_ROWS: usize = 20_000;
/// Tags one row may carry (separated by `|`).
const ROW_TAGS_MAX: usize = 10;

/// Who imports: the roles that manage reach.
const IMPORTERS: &[Role] = &[Role::Owner, Role::Admin, Role::Operator];

/// One row as read: its line in the file and its cells by column.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Row {
    pub line: u64,
    pub name: String,
    pub phone: String,
    pub email: String,
    /// The staff member's login (e-mail or phone); the importer when empty.
    pub staff: String,
    /// `|`-separated.
    pub tags: String,
}

/// Why a whole file was refused (nothing was imported).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error(
        "the file is not UTF-8 text (save it as “CSV UTF-8”; spreadsheet exports in GBK are not read)"
    )]
    NotUtf8,
    #[error("the file is empty")]
    Empty,
    #[error("the file is larger than 5 MiB")]
    TooLarge,
    #[error("the file has more than {MAX_ROWS} rows")]
    TooManyRows,
    #[error("the header needs a “name” column and a “phone” or “email” column")]
    MissingColumns,
    #[error("unknown column “{0}”: use name, phone, email, staff, tags")]
    UnknownColumn(String),
    #[error("line {0}: {1}")]
    Malformed(u64, String),
}

/// A row that did not import, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    /// A stable code (`invalid_phone`, `not_staff`, `contact_cap_reached`, ...).
    pub code: &'static str,
    pub message: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub rows: usize,
    pub persons_created: usize,
    pub contacts_added: usize,
    /// Rows whose contact existed already (a re-run).
    pub unchanged: usize,
    pub errors: Vec<RowError>,
}

/// Reads a file into rows, or refuses it whole.
pub fn parse(bytes: &[u8]) -> std::result::Result<Vec<Row>, FileError> {
    if bytes.len() > MAX_BYTES {
        return Err(FileError::TooLarge);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| FileError::NotUtf8)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(FileError::Empty);
    }
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| FileError::Malformed(1, e.to_string()))?
        .clone();
    let mut cols = [None; 5];
    for (i, h) in headers.iter().enumerate() {
        let slot = match h.to_lowercase().as_str() {
            "name" => 0,
            "phone" => 1,
            "email" => 2,
            "staff" => 3,
            "tags" => 4,
            other => return Err(FileError::UnknownColumn(other.chars().take(40).collect())),
        };
        cols[slot] = Some(i);
    }
    if cols[0].is_none() || (cols[1].is_none() && cols[2].is_none()) {
        return Err(FileError::MissingColumns);
    }
    let mut rows = Vec::new();
    for rec in reader.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map_or(0, csv::Position::line);
            FileError::Malformed(line, e.to_string())
        })?;
        if rows.len() == MAX_ROWS {
            return Err(FileError::TooManyRows);
        }
        let cell = |slot: usize| {
            cols[slot]
                .and_then(|i| rec.get(i))
                .unwrap_or_default()
                .to_owned()
        };
        rows.push(Row {
            line: rec.position().map_or(0, csv::Position::line),
            name: cell(0),
            phone: cell(1),
            email: cell(2),
            staff: cell(3),
            tags: cell(4),
        });
    }
    Ok(rows)
}

fn row_error(line: u64, e: &ParseError) -> RowError {
    RowError {
        line,
        code: e.code,
        message: e.to_string(),
    }
}

/// Imports parsed rows for the caller's org; `progress(done, total)` after each.
pub async fn run(
    svc: &Services,
    access: &OrgAccess,
    rows: &[Row],
    progress: &mut (dyn FnMut(usize, usize) + Send),
) -> Result<ImportReport> {
    require(access, Scope::Write, IMPORTERS)?;
    let mut report = ImportReport {
        rows: rows.len(),
        ..ImportReport::default()
    };
    for (i, row) in rows.iter().enumerate() {
        match one(svc, access, row).await {
            Ok(Step::Added { created }) => {
                report.contacts_added += 1;
                report.persons_created += usize::from(created);
            }
            Ok(Step::Unchanged) => report.unchanged += 1,
            Err(Refused(e)) => report.errors.push(e),
            Err(Failed(e)) => return Err(e),
        }
        progress(i + 1, rows.len());
    }
    Ok(report)
}

enum Step {
    Added { created: bool },
    Unchanged,
}

/// A row's end: refused (reported, the import goes on) or failed (it stops).
enum Stop {
    Refused(RowError),
    Failed(ReachError),
}
use Stop::{Failed, Refused};

impl From<ReachError> for Stop {
    fn from(e: ReachError) -> Self {
        Failed(e)
    }
}

impl From<crate::ports::StoreError> for Stop {
    fn from(e: crate::ports::StoreError) -> Self {
        Failed(e.into())
    }
}

async fn one(svc: &Services, access: &OrgAccess, row: &Row) -> std::result::Result<Step, Stop> {
    let line = row.line;
    let bad = |e: ParseError| Refused(row_error(line, &e));
    let name = DisplayName::parse(&row.name).map_err(bad)?;
    let mut handles = Vec::new();
    for (kind, raw) in [
        (HandleKind::Phone, &row.phone),
        (HandleKind::Email, &row.email),
    ] {
        if !raw.is_empty() {
            handles.push(HandleValue::parse(kind, raw).map_err(bad)?);
        }
    }
    if handles.is_empty() {
        return Err(bad(ParseError::new(
            "phone",
            "required",
            "a row needs a phone or an e-mail, so a second import finds the same person",
        )));
    }
    let staff = staff_of(svc, access, &row.staff, line).await?;
    let mut tags = Vec::new();
    for t in row.tags.split('|').map(str::trim).filter(|t| !t.is_empty()) {
        tags.push(short_label(t, "tags").map_err(bad)?);
    }
    if tags.len() > ROW_TAGS_MAX {
        return Err(bad(ParseError::new("tags", "too_many", "at most 10 tags")));
    }
    let (person, created) = person_of(svc, access, name, handles).await?;
    let out = connect(
        svc,
        access.org(),
        staff,
        person,
        ContactSource::Import,
        None,
        Some(access.account()),
    )
    .await?;
    for t in &tags {
        super::tag_person(
            svc,
            access.org(),
            person,
            t,
            "import",
            Some(access.account()),
        )
        .await?;
    }
    match out {
        AddOutcome::Added(_) => Ok(Step::Added { created }),
        AddOutcome::Existing(_) => Ok(Step::Unchanged),
        AddOutcome::AtCap => Err(Refused(RowError {
            line,
            code: "contact_cap_reached",
            message: "this staff member already has as many customers as the org allows".into(),
        })),
    }
}

async fn staff_of(
    svc: &Services,
    access: &OrgAccess,
    raw: &str,
    line: u64,
) -> std::result::Result<AccountId, Stop> {
    if raw.is_empty() {
        return Ok(access.account());
    }
    let not_staff = || {
        Refused(RowError {
            line,
            code: "not_staff",
            message: format!(
                "“{}” is not staff of this org",
                raw.chars().take(60).collect::<String>()
            ),
        })
    };
    let login = Login::parse(raw).map_err(|_| not_staff())?;
    let account = svc
        .store
        .account_by_login(&login)
        .await?
        .ok_or_else(not_staff)?;
    if svc
        .store
        .staff_get(access.org(), account.id)
        .await?
        .is_none()
    {
        return Err(not_staff());
    }
    Ok(account.id)
}

/// The person who holds any of the handles, or a new one with them.
async fn person_of(
    svc: &Services,
    access: &OrgAccess,
    name: DisplayName,
    handles: Vec<HandleValue>,
) -> std::result::Result<(PersonId, bool), Stop> {
    for h in &handles {
        if let Some((p, _)) = svc
            .store
            .person_by_handle(access.org(), h.kind, &h.value)
            .await?
        {
            return Ok((p, false));
        }
    }
    let p = crate::persons::handles::create_person(
        svc,
        access,
        crate::persons::handles::NewPerson {
            display_name: name,
            handles,
        },
    )
    .await
    .map_err(|e| Failed(ReachError::Internal(Box::new(e))))?;
    Ok((p.id, true))
}
