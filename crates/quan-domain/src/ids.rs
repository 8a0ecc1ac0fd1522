//! Typed, time-ordered identifiers.
//!
//! Every entity gets its own id type so an `OrgId` can never be passed where an
//! `AccountId` is expected. Ids are UUIDv7: k-sortable by creation time, which keeps
//! B-tree inserts local and lets cursors order by id alone.

use crate::ParseError;
use std::fmt;
use uuid::Uuid;

macro_rules! typed_id {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
            pub const fn from_uuid(u: Uuid) -> Self {
                Self(u)
            }
            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }
            /// Parses the canonical hyphenated form (what `Display` prints).
            pub fn parse(s: &str) -> Result<Self, ParseError> {
                // Bound before parsing so a megabyte of junk costs nothing.
                if s.len() != 36 {
                    return Err(ParseError::new("id", "invalid_id", "not an id"));
                }
                Uuid::try_parse(s)
                    .map(Self)
                    .map_err(|_| ParseError::new("id", "invalid_id", "not an id"))
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = ParseError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    )*};
}

typed_id! {
    /// A human's login.
    AccountId,
    /// An enterprise tenant.
    OrgId,
    /// A web session (the row id; the cookie carries a secret, not this).
    SessionId,
    /// A staff invite link.
    InviteId,
    /// An integration API token.
    TokenId,
    /// The org's view of one human inside its private domain.
    PersonId,
    /// An identifier attached to a person (phone, email, external id, ...).
    HandleId,
    /// An entry in the event log.
    EventId,
    /// A durable background job.
    JobId,
    /// A circle (圈子).
    CircleId,
    /// A post (topic, notice, task, need) in a circle.
    PostId,
    /// A comment on a post.
    CommentId,
    /// A chat room of a circle.
    RoomId,
    /// A chat message.
    MessageId,
    /// A circle invite link.
    CircleInviteId,
    /// An earlier version of an edited post.
    PostEditId,
    /// One step of a task's workflow.
    TaskStepId,
    /// A report of a post.
    ReportId,
    /// An entry in a circle's moderation log.
    ModLogId,
    /// A merge of two persons (undoable).
    MergeId,
    /// An in-app notification.
    NotificationId,
    /// An uploaded image.
    ImageId,
    /// A staff member's relationship with a customer (a contact).
    ContactId,
    /// A channel code (渠道活码): a link and QR that makes contacts.
    ChannelCodeId,
    /// A message in a 1:1 conversation between staff and a customer.
    ReachMessageId,
    /// A campaign (群发) to a segment of customers.
    CampaignId,
    /// A customer handed from one staff member to another (离职/在职继承).
    TransferId,
    /// An auto-reply rule.
    AutoReplyId,
    /// A staff member's moment (朋友圈) to their customers.
    MomentId,
    /// A customer's comment on a moment.
    MomentCommentId,
    /// A journey (SOP): steps a customer walks once an event starts them.
    JourneyId,
    /// One customer's walk through a journey.
    JourneyRunId,
    /// A task a journey gave a staff member about a customer.
    JourneyTaskId,
    /// A product of an org's catalog.
    ProductId,
    /// A sellable variant of a product (size, flavour), with its price and stock.
    SkuId,
    /// A buyer's order.
    OrderId,
    /// One attempt to pay an order through a payment provider.
    PaymentId,
    /// A charge on the sandbox payment provider's side.
    ChargeId,
    /// Money given back for a payment, through the provider.
    RefundId,
    /// A flash sale (秒杀): one SKU at a sale price, in a time slot, with its own stock.
    FlashSaleId,
    /// A coupon an org offers: its terms and supply.
    CouponId,
    /// One coupon claimed by one person (in their wallet).
    CouponClaimId,
    /// A picture of a product.
    ProductImageId,
    /// A community group-buying leader (团长) and their pickup point.
    LeaderId,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_sort_by_creation() {
        let a = OrgId::new();
        let b = OrgId::new();
        assert!(a < b, "v7 ids are time ordered");
        assert_eq!(OrgId::parse(&a.to_string()), Ok(a));
        assert!(OrgId::parse("nope").is_err());
        assert!(OrgId::parse(&"x".repeat(36)).is_err());
    }
}
