//! What can go wrong in commerce, each a distinct outcome with its own stable code
//! in the web layer.

use crate::access::gate_refusals;
use quan_domain::{ParseError, SkuId};

#[derive(Debug, thiserror::Error)]
pub enum CommerceError {
    #[error(transparent)]
    Invalid(#[from] ParseError),
    #[error("not found")]
    NotFound,
    #[error("your role does not allow this")]
    Forbidden,
    #[error("this token lacks the {0} scope")]
    MissingScope(&'static str),
    /// Commerce has no circle gate; an outsider is told nothing.
    #[error("not found")]
    NotMember,
    /// Not enough of a SKU left for the line; nothing was reserved.
    #[error("not enough stock left")]
    OutOfStock { sku: SkuId },
    /// An order line names a SKU the shop does not sell (unknown, or unpublished).
    #[error("no such item in this shop")]
    UnknownSku { sku: SkuId },
    /// The flash sale has no units left (or fewer than asked).
    #[error("sold out")]
    FlashSoldOut,
    /// The buyer already holds the flash sale's per-person limit.
    #[error("you already bought as many as one person may in this flash sale")]
    FlashLimitReached,
    /// A flash sale asks for more units than its SKU has in stock (or the SKU was
    /// retired meanwhile).
    #[error("the SKU has fewer units in stock than the flash sale asks for")]
    FlashStockShort,
    /// Another open flash sale of the SKU overlaps the window.
    #[error("another flash sale of this SKU overlaps that time")]
    FlashOverlaps,
    /// Flash sales are set up on published products only.
    #[error("publish the product before setting up a flash sale of it")]
    FlashProductUnpublished,
    /// The flash sale has not begun (`flash_not_started`) or is over (`flash_ended`).
    #[error("{message}")]
    FlashNotLive { code: &'static str, message: String },
    /// The coupon's supply is all claimed.
    #[error("all of this coupon has been claimed")]
    CouponSoldOut,
    /// The buyer holds as many of the coupon as one person may.
    #[error("you already hold as many of this coupon as one person may")]
    CouponLimitReached,
    /// A coupon that cannot be claimed (`coupon_ended`) or spent now
    /// (`coupon_used`, `coupon_expired`, `coupon_not_yet_valid`).
    #[error("{message}")]
    CouponUnavailable { code: &'static str, message: String },
    /// The price changed between the preview the buyer saw and the order: nothing
    /// was placed; `total` is the price now.
    #[error("the price changed to {total}: look at it again before ordering")]
    PriceChanged { total: quan_domain::Money },
    /// A membership of a circle the buyer is in already (or asked to join).
    #[error("you are already in this circle")]
    AlreadyMember,
    /// A membership of a circle the buyer is banned from.
    #[error("you are banned from this circle")]
    Banned,
    /// The idempotency key was used before for a different request.
    #[error("this idempotency key was used for a different order")]
    IdempotencyReused,
    /// A step that does not fit the order where it is (paying a cancelled order,
    /// shipping an unpaid one): the domain's `illegal_transition`, or `order_expired`.
    #[error("{message}")]
    OrderState { code: &'static str, message: String },
    /// The payment provider could not open a charge.
    #[error("the payment provider is unavailable: {0}")]
    Provider(String),
    /// A webhook that is not signed by the provider, outside its replay window, or
    /// not one it sends.
    #[error("{message}")]
    Webhook { code: &'static str, message: String },
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

gate_refusals!(CommerceError);
