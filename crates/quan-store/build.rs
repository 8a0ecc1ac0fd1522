//! Rebuilds the crate when a migration is added: `sqlx::migrate!` embeds the
//! migration directories at compile time, and cargo does not watch them otherwise.

fn main() {
    for dir in ["migrations", "migrations-sqlite", "migrations-postgres"] {
        println!("cargo:rerun-if-changed={dir}");
    }
}
