//! Commerce (PRODUCT.md §4): an org's catalog of products and SKUs, orders that
//! reserve stock by guarded decrements and let it go when unpaid, and payments
//! through a [`crate::ports::PaymentProvider`] that confirms by signed webhook. The
//! built-in sandbox provider ([`sandbox`]) behaves like a real one. Money is
//! [`quan_domain::Money`] in fen; every write that moves money or stock carries an
//! idempotency key or a guarded state.

pub mod cart;
pub mod catalog;
pub mod checkout;
pub mod coupons;
pub mod error;
pub mod flash;
pub mod images;
pub mod orders;
pub mod payments;
pub mod port;
pub mod reconcile;
pub mod refunds;
pub mod sandbox;
pub mod tickets;

use crate::access::OrgAccess;
use error::CommerceError;
use quan_domain::{Role, Scope};

type Result<T, E = CommerceError> = std::result::Result<T, E>;

/// Who runs the shop: its catalog, stock and orders.
const MANAGERS: &[Role] = &[Role::Owner, Role::Admin, Role::Operator];

fn require(access: &OrgAccess, scope: Scope, roles: &[Role]) -> Result<()> {
    access.require(scope, roles.contains(&access.role()))?;
    Ok(())
}

/// Whether the caller may run the org's shop (the console offers it only then).
pub fn may_manage(access: &OrgAccess) -> bool {
    MANAGERS.contains(&access.role())
}

/// Commerce settings an operator tunes (`[commerce]` in the settings).
#[derive(Clone)]
pub struct CommerceConfig {
    /// Minutes an unpaid order holds its stock.
    pub reserve_minutes: i64,
    /// The sandbox provider's signing secret (`whsec_…`): its webhooks are signed
    /// and verified with it, so every node of a cluster must share it.
    pub sandbox_secret: String,
}

impl std::fmt::Debug for CommerceConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommerceConfig")
            .field("reserve_minutes", &self.reserve_minutes)
            .finish_non_exhaustive()
    }
}
