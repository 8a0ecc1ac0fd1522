//! What the demo community says: three weeks of a tea shop's fan circle, its tea class
//! and its chat, written out post by post so the feed reads like a real one. Who is an
//! index into [`ROSTER`]; when is days before today and an hour (China time).

use super::art::{self, Art};

/// Everyone in the demo who has an account: the six staff first (as in
/// `DEMO_STAFF`), then the customers and fans who joined the circles.
pub const ROSTER: usize = 18;
/// Where the customers start in the roster.
pub const CUSTOMERS_FROM: usize = 6;

pub const LIN: usize = 0;
pub const CHEN: usize = 1;
pub const WANG: usize = 2;
pub const ZHAO: usize = 3;
pub const LIU: usize = 4;
pub const ZHOU: usize = 5;
pub const MEI: usize = 6;
pub const AJIE: usize = 7;
pub const LUCY: usize = 8;
pub const TONY: usize = 9;
pub const BOBA: usize = 10;
pub const XIAOYU: usize = 11;
pub const CHEF: usize = 12;
pub const REGULAR: usize = 13;
pub const ANNA: usize = 14;
pub const QING: usize = 15;
pub const WEEKEND: usize = 16;
pub const KEVIN: usize = 17;

/// Customers and fans: login, display name, member type in the fan circle.
pub const CUSTOMERS: [(&str, &str, &str); ROSTER - CUSTOMERS_FROM] = [
    ("mei@demo.quan.local", "小美爱喝茶 Mei", "fan"),
    ("13911110002", "阿杰 A-Jie", "customer"),
    ("lucy@demo.quan.local", "Lucy 王", "customer"),
    ("tony@demo.quan.local", "Tony 陈", "fan"),
    ("13911110005", "奶茶续命 Boba Life", "fan"),
    ("xiaoyu@demo.quan.local", "小雨 Xiao Yu", "customer"),
    ("chef.li@demo.quan.local", "李师傅 Chef Li", "customer"),
    ("13911110008", "南京路老顾客 Nanjing Rd regular", "customer"),
    ("anna@demo.quan.local", "Anna Schmidt", "fan"),
    ("qingqing@demo.quan.local", "青青 Qingqing", "fan"),
    ("13911110011", "周末茶友 Weekend sipper", "customer"),
    ("kevin@demo.quan.local", "Kevin 张", "customer"),
];

/// A post in the fan circle, with what others said and how many liked it.
pub struct Post {
    pub who: usize,
    pub days_ago: i64,
    pub hour: i64,
    pub title: &'static str,
    pub body: &'static str,
    pub tags: &'static [&'static str],
    /// A picture the author attaches, with its seed.
    pub art: Option<(Art, u32)>,
    pub comments: &'static [(usize, &'static str)],
    /// How many of the roster (after the author, in order) like it.
    pub likes: usize,
}

const fn drink(d: art::Drink, seed: u32) -> Option<(Art, u32)> {
    Some((Art::Drink(d), seed))
}

const fn field(warm: bool, seed: u32) -> Option<(Art, u32)> {
    Some((Art::Field { warm }, seed))
}

/// The welcome post (pinned), then the rest in no particular order; the runner sorts
/// everything by time.
pub const FAN_POSTS: &[Post] = &[
    Post {
        who: LIN,
        days_ago: 20,
        hour: 10,
        title: "欢迎来到星河粉丝圈！Welcome to Galaxy fans",
        body: "这里是茶友们的家 This is home for everyone who loves our teas.\n\n\
               - 新品和活动第一时间在这里发布 New drinks and events are announced here first\n\
               - 说说你的喝后感，好的坏的都欢迎 Tell us what you think, good or bad\n\
               - 请友善发言，广告会被移除 Be kind; ads are removed\n\n\
               **每周三会员日**，凭圈子身份第二杯半价。",
        tags: &[],
        art: field(true, 1),
        comments: &[(CHEN, "欢迎大家 Welcome, everyone!")],
        likes: 9,
    },
    Post {
        who: CHEN,
        days_ago: 19,
        hour: 15,
        title: "秋季菜单抢先看 Autumn menu preview",
        body: "下周一上新四款 Four new drinks from Monday:\n\n\
               1. 桂花乌龙 Osmanthus oolong\n\
               2. 栗子奶茶 Chestnut milk tea\n\
               3. 烤红薯拿铁 Roasted sweet potato latte\n\
               4. 荔枝茉莉 Lychee jasmine\n\n你最想先试哪一款？Which one first?",
        tags: &["新品", "tea"],
        art: drink(art::OSMANTHUS_OOLONG, 2),
        comments: &[
            (MEI, "桂花乌龙！！Osmanthus, obviously"),
            (TONY, "栗子奶茶听起来好暖 Chestnut sounds cosy"),
            (ANNA, "Sweet potato latte? Intrigued."),
        ],
        likes: 11,
    },
    Post {
        who: MEI,
        days_ago: 18,
        hour: 20,
        title: "第一次喝桂花乌龙，香到上头 My first osmanthus oolong",
        body: "三分糖去冰，桂花香一直留在嘴里。下次想试试热的。\nThirty percent sugar, no ice: the osmanthus lingers. Trying it hot next time.",
        tags: &["tea"],
        art: drink(art::OSMANTHUS_OOLONG, 3),
        comments: &[
            (QING, "看着就好喝 Looks so good"),
            (WANG, "热的更香，推荐 It is even better hot"),
        ],
        likes: 7,
    },
    Post {
        who: WANG,
        days_ago: 18,
        hour: 12,
        title: "南京路店周六试饮 Saturday tasting at Nanjing Road",
        body: "周六下午三点到五点，南京路店二楼，四款新品免费试饮，每人一杯。\nSaturday 3–5 pm upstairs at Nanjing Road: one free tasting cup of each new drink.",
        tags: &["活动", "event"],
        art: None,
        comments: &[
            (AJIE, "需要预约吗？Do I need to book?"),
            (WANG, "不用，直接来 No booking, just come"),
            (REGULAR, "带朋友可以吗 Can I bring a friend?"),
        ],
        likes: 8,
    },
    Post {
        who: AJIE,
        days_ago: 17,
        hour: 21,
        title: "少糖和三分糖有什么区别？Less sugar vs 30 % sugar?",
        body: "点单的时候一直搞不清楚，求科普。\nI never know which to pick when ordering.",
        tags: &[],
        art: None,
        comments: &[
            (
                CHEN,
                "少糖是七分，三分糖更淡 'Less' is 70 %, 30 % is lighter",
            ),
            (BOBA, "我一般三分，刚好 30 % is my sweet spot"),
            (AJIE, "懂了谢谢 Got it, thanks"),
        ],
        likes: 3,
    },
    Post {
        who: LUCY,
        days_ago: 16,
        hour: 14,
        title: "冷泡茶自制教程 Cold brew at home",
        body: "用店里买的乌龙茶包做的：\n\n\
               1. 一升冷水放两包茶 Two bags per litre of cold water\n\
               2. 冰箱放 8 小时 Eight hours in the fridge\n\
               3. 取出茶包，加冰 Take the bags out, add ice\n\n\
               **不要泡超过 12 小时**，会发苦。Longer than 12 hours turns bitter.",
        tags: &["冷泡", "tea"],
        art: drink(art::COLD_BREW, 4),
        comments: &[
            (KEVIN, "收藏了 Saved"),
            (XIAOYU, "可以用红茶吗 Does black tea work?"),
            (LUCY, "可以，时间短一点 Yes, a bit shorter"),
            (ZHOU, "水质软一点会更甜 Softer water tastes sweeter"),
            (
                CHEF,
                "店里用过滤水，家里也建议 We use filtered water; do the same at home",
            ),
        ],
        likes: 12,
    },
    Post {
        who: TONY,
        days_ago: 16,
        hour: 19,
        title: "黑糖珍珠今天格外 Q 弹 The pearls were perfect today",
        body: "下班路过买的，珍珠是刚煮好的那一锅。\nPicked it up after work; fresh pearls straight from the pot.",
        tags: &[],
        art: drink(art::BROWN_SUGAR_BOBA, 5),
        comments: &[(BOBA, "羡慕 Jealous")],
        likes: 6,
    },
    Post {
        who: ZHAO,
        days_ago: 15,
        hour: 9,
        title: "会员日：周三第二杯半价 Member Wednesday",
        body: "每周三全天，出示圈子会员页，第二杯半价（同价或低价）。\nEvery Wednesday: show your member page and the second cup is half price.",
        tags: &["活动"],
        art: None,
        comments: &[
            (REGULAR, "外卖可以用吗 Does it work for delivery?"),
            (ZHAO, "目前仅限门店 In store only for now"),
        ],
        likes: 10,
    },
    Post {
        who: BOBA,
        days_ago: 15,
        hour: 22,
        title: "一周七杯挑战 Seven cups in seven days",
        body: "- 周一 芋泥波波 Taro boba\n- 周二 桂花乌龙 Osmanthus oolong\n- 周三 抹茶拿铁（会员日）Matcha latte\n\
               - 周四 荔枝茉莉 Lychee jasmine\n- 周五 黑糖珍珠 Brown sugar boba\n- 周末 冷泡乌龙 Cold brew\n\n\
               钱包在哭 My wallet is crying.",
        tags: &["tea"],
        art: drink(art::TARO_MILK, 6),
        comments: &[
            (MEI, "哈哈哈 同款 Same here"),
            (TONY, "周三那杯最划算 Wednesday is the smart one"),
            (ZHAO, "坚持住 Keep going!"),
        ],
        likes: 14,
    },
    Post {
        who: XIAOYU,
        days_ago: 14,
        hour: 13,
        title: "芋泥能再多一点吗 More taro paste, please?",
        body: "芋泥波波很好喝，就是芋泥有点少，可以加钱加量吗？\nLove the taro boba but could there be an extra-taro option?",
        tags: &[],
        art: None,
        comments: &[
            (WANG, "已经反馈给产品组 Passed on to the menu team"),
            (QING, "+1 想要加量 Me too"),
        ],
        likes: 5,
    },
    Post {
        who: LIU,
        days_ago: 14,
        hour: 18,
        title: "团购接龙：周五办公室下午茶 Friday office tea group order",
        body: "满 10 杯免配送费，周四晚 8 点截单，周五下午 3 点送到。\nTen cups or more: free delivery. Orders close Thursday 8 pm; delivered Friday 3 pm.",
        tags: &["活动"],
        art: None,
        comments: &[
            (KEVIN, "我们组 6 杯 Six from my team"),
            (AJIE, "加 3 杯 Three more"),
            (LIU, "已记下，还差 1 杯 Noted, one more to go"),
            (LUCY, "我来凑 I'll take it"),
        ],
        likes: 6,
    },
    Post {
        who: REGULAR,
        days_ago: 13,
        hour: 11,
        title: "排队 20 分钟，但值得 A 20-minute queue, but worth it",
        body: "周六人真多。建议大家用小程序提前点。\nBusy on Saturday. Order ahead in the mini-program.",
        tags: &[],
        art: None,
        comments: &[(
            WANG,
            "周末我们会多排一个人 We're adding a barista at weekends",
        )],
        likes: 4,
    },
    Post {
        who: ANNA,
        days_ago: 13,
        hour: 16,
        title: "Tea in Shanghai as a newcomer",
        body: "Moved here in September. The staff helped me order in English and recommended the lychee jasmine. \
               谢谢！Any other drinks I should try?",
        tags: &["tea"],
        art: drink(art::LYCHEE_JASMINE, 7),
        comments: &[
            (MEI, "Osmanthus oolong!"),
            (
                CHEN,
                "Welcome to Shanghai. Try the chestnut milk tea when it gets cold",
            ),
        ],
        likes: 9,
    },
    Post {
        who: ZHOU,
        days_ago: 12,
        hour: 10,
        title: "乌龙、红茶、绿茶怎么分？Oolong, black or green?",
        body: "区别在**发酵（氧化）程度**：\n\n\
               - 绿茶 Green: 不发酵 unoxidised\n\
               - 乌龙 Oolong: 半发酵 partly oxidised\n\
               - 红茶 Black: 全发酵 fully oxidised\n\n\
               茶艺课堂每周讲一种，欢迎来听。The tea class covers one each week.",
        tags: &["tea"],
        art: field(false, 8),
        comments: &[
            (ANNA, "This is so helpful"),
            (XIAOYU, "原来如此 So that's why"),
        ],
        likes: 13,
    },
    Post {
        who: QING,
        days_ago: 12,
        hour: 20,
        title: "荔枝茉莉太出片了 Lychee jasmine is so photogenic",
        body: "粉粉的颜色，靠窗拍了好多张。\nThat pink! Took a dozen photos by the window.",
        tags: &[],
        art: drink(art::LYCHEE_JASMINE, 9),
        comments: &[(MEI, "构图绝了 Great shot")],
        likes: 8,
    },
    Post {
        who: WEEKEND,
        days_ago: 11,
        hour: 15,
        title: "周末带娃来店里 Brought the kids at the weekend",
        body: "孩子喝的无咖啡因水果茶，店员还送了小贴纸。\nThe kids had the caffeine-free fruit tea and got stickers from the staff.",
        tags: &[],
        art: None,
        comments: &[(WANG, "欢迎常来 Come again!")],
        likes: 5,
    },
    Post {
        who: KEVIN,
        days_ago: 10,
        hour: 19,
        title: "抹茶拿铁 vs 抹茶奶盖 Matcha latte or matcha cream top?",
        body: "拿铁更顺，奶盖更浓。你们站哪边？\nThe latte is smoother, the cream top richer. Which side are you on?",
        tags: &["tea"],
        art: drink(art::MATCHA_LATTE, 10),
        comments: &[
            (LUCY, "拿铁 Latte"),
            (TONY, "奶盖！Cream top"),
            (BOBA, "都要 Both"),
        ],
        likes: 7,
    },
    Post {
        who: WANG,
        days_ago: 9,
        hour: 10,
        title: "新品投票：下一款你想喝什么 Vote: what should we make next?",
        body: "评论区投票，周五统计 Vote in the comments; counted on Friday:\n\n\
               - A 杨枝甘露 Mango pomelo sago\n- B 生椰拿铁 Coconut latte\n- C 桂花酒酿 Osmanthus rice wine",
        tags: &["新品"],
        art: None,
        comments: &[
            (MEI, "C!"),
            (AJIE, "A"),
            (ANNA, "B please"),
            (QING, "C C C"),
        ],
        likes: 9,
    },
    Post {
        who: LUCY,
        days_ago: 8,
        hour: 17,
        title: "冷泡第二版：加了柠檬片 Cold brew v2, with lemon",
        body: "在上次的做法上加两片柠檬，最后 1 小时再放，不会苦。\nAdd two lemon slices for the last hour only, so it stays smooth.",
        tags: &["冷泡", "tea"],
        art: drink(art::COLD_BREW, 11),
        comments: &[(KEVIN, "周末试试 Trying it this weekend")],
        likes: 6,
    },
    Post {
        who: BOBA,
        days_ago: 8,
        hour: 12,
        title: "珍珠煮多久最好？How long should pearls cook?",
        body: "自己在家煮总是太硬，店里怎么做的？\nMine always come out hard at home. How does the shop do it?",
        tags: &[],
        art: None,
        comments: &[
            (
                CHEN,
                "煮 25 分钟再焖 20 分钟 25 minutes boiling, then 20 resting",
            ),
            (BOBA, "焖这一步我漏了 I skipped the resting"),
            (CHEF, "煮好过一下冷水更 Q A cold rinse keeps them chewy"),
        ],
        likes: 4,
    },
    Post {
        who: ZHAO,
        days_ago: 7,
        hour: 15,
        title: "双十二预告 12.12 preview",
        body: "12 月 12 日全天：会员积分双倍，新品第二杯 5 折。\nAll day on 12 December: double points and the second new drink at half price.",
        tags: &["活动", "新品"],
        art: None,
        comments: &[(REGULAR, "记下了 Noted")],
        likes: 8,
    },
    Post {
        who: XIAOYU,
        days_ago: 6,
        hour: 11,
        title: "今天的奶盖有点咸 Today's cream top was a bit salty",
        body: "静安店下午那杯，和平时不太一样。\nThe Jing'an store this afternoon: not like usual.",
        tags: &[],
        art: None,
        comments: &[
            (
                CHEN,
                "抱歉，已经联系门店检查配比，下次来找店长补一杯 Sorry! The store is checking; ask the manager for a fresh cup next time",
            ),
            (XIAOYU, "好的谢谢 Thanks"),
        ],
        likes: 2,
    },
    Post {
        who: ANNA,
        days_ago: 6,
        hour: 18,
        title: "Best drink for a cold day?",
        body: "It's getting chilly. What do you order hot?",
        tags: &[],
        art: None,
        comments: &[
            (TONY, "热的桂花乌龙 Hot osmanthus oolong"),
            (WEEKEND, "栗子奶茶 Chestnut milk tea"),
        ],
        likes: 5,
    },
    Post {
        who: LIN,
        days_ago: 5,
        hour: 14,
        title: "粉丝圈一百天 100 days of Galaxy fans",
        body: "谢谢每一位茶友。这一百天里你们提了 43 条建议，其中 11 条已经上线。\nThank you all: 43 suggestions in 100 days, 11 of them already live.",
        tags: &[],
        art: field(true, 12),
        comments: &[
            (MEI, "生日快乐 Happy birthday!"),
            (QING, "一直支持 Always here"),
        ],
        likes: 15,
    },
    Post {
        who: QING,
        days_ago: 5,
        hour: 20,
        title: "桂花乌龙配月饼 Osmanthus oolong with mooncakes",
        body: "家里剩的莲蓉月饼，配热的桂花乌龙刚好解腻。\nLeftover lotus-seed mooncakes and a hot osmanthus oolong: a perfect match.",
        tags: &["tea"],
        art: drink(art::OSMANTHUS_OOLONG, 13),
        comments: &[],
        likes: 6,
    },
    Post {
        who: WEEKEND,
        days_ago: 4,
        hour: 16,
        title: "冷泡茶能放几天？How long does cold brew keep?",
        body: "做了一大瓶，怕喝不完。\nMade a big bottle, worried I won't finish it.",
        tags: &["冷泡"],
        art: None,
        comments: &[
            (LUCY, "冷藏两天内喝完 Two days in the fridge"),
            (
                ZHOU,
                "茶叶取出后最多三天 Three at most, with the leaves out",
            ),
        ],
        likes: 3,
    },
    Post {
        who: MEI,
        days_ago: 3,
        hour: 12,
        title: "隐藏菜单分享 Secret menu combos",
        body: "店员教的几种搭配 Combos the baristas taught me:\n\n\
               - 桂花乌龙 + 奶盖 Osmanthus oolong with cream top\n\
               - 荔枝茉莉 + 椰果 Lychee jasmine with coconut jelly\n\
               - 抹茶拿铁 + 红豆 Matcha latte with red bean",
        tags: &["tea"],
        art: None,
        comments: &[
            (TONY, "第一个必试 Trying the first"),
            (KEVIN, "红豆抹茶是经典 Matcha and red bean is a classic"),
        ],
        likes: 12,
    },
    Post {
        who: LIU,
        days_ago: 3,
        hour: 19,
        title: "下周团购提前报名 Sign up early for next week's group order",
        body: "上次 23 杯一次送到。这次报名截止周三晚上。\nLast time 23 cups arrived at once. Sign-ups close Wednesday night.",
        tags: &["活动"],
        art: None,
        comments: &[(KEVIN, "我们还是 6 杯 Six again from us")],
        likes: 4,
    },
    Post {
        who: TONY,
        days_ago: 2,
        hour: 15,
        title: "第一次试芋泥波波 First taro boba",
        body: "芋泥比想象的多，珍珠也软。\nMore taro than I expected, and soft pearls.",
        tags: &[],
        art: drink(art::TARO_MILK, 14),
        comments: &[(XIAOYU, "看来有加量了 Looks like they added more!")],
        likes: 5,
    },
    Post {
        who: REGULAR,
        days_ago: 2,
        hour: 21,
        title: "南京路店新店员很专业 Great new staff at Nanjing Road",
        body: "记得我每次都是去冰三分糖，还提醒我会员日。\nShe remembered my usual order and reminded me about Member Wednesday.",
        tags: &[],
        art: None,
        comments: &[(ZHAO, "会转达给她 We'll tell her!")],
        likes: 6,
    },
    Post {
        who: LUCY,
        days_ago: 1,
        hour: 11,
        title: "抹茶拿铁少冰刚刚好 Matcha latte, light ice",
        body: "少冰不会稀释，抹茶味更足。\nLight ice keeps the matcha strong.",
        tags: &["tea"],
        art: drink(art::MATCHA_LATTE, 15),
        comments: &[],
        likes: 4,
    },
    Post {
        who: CHEN,
        days_ago: 1,
        hour: 17,
        title: "周六茶会还剩 8 个名额 8 seats left for Saturday's tea party",
        body: "周六下午两点，周老师带大家品三款乌龙。评论区报名。\nSaturday 2 pm: Teacher Zhou leads a tasting of three oolongs. Sign up below.",
        tags: &["活动"],
        art: None,
        comments: &[(ANNA, "Count me in"), (MEI, "报名 Me!")],
        likes: 7,
    },
    Post {
        who: BOBA,
        days_ago: 0,
        hour: 8,
        title: "早八人的续命茶 Morning survival tea",
        body: "八点的课，七点五十的黑糖珍珠。\nAn 8 am class and a 7:50 brown sugar boba.",
        tags: &[],
        art: drink(art::BROWN_SUGAR_BOBA, 16),
        comments: &[],
        likes: 3,
    },
];

/// A second copy of an earlier post, which a moderator removes on the record.
pub const DUPLICATE: Post = Post {
    who: AJIE,
    days_ago: 7,
    hour: 20,
    title: "外卖包装升级了 The new delivery cups don't leak",
    body: "新的杯盖终于不漏了！The new lids finally don't leak!",
    tags: &[],
    art: None,
    comments: &[],
    likes: 0,
};

/// The original of [`DUPLICATE`].
pub const DUPLICATED: Post = Post {
    who: AJIE,
    days_ago: 7,
    hour: 19,
    title: "外卖包装升级了 The new delivery cups don't leak",
    body: "新的杯盖终于不漏了！The new lids finally don't leak!",
    tags: &[],
    art: None,
    comments: &[(WANG, "谢谢反馈 Thanks for telling us")],
    likes: 5,
};

/// A post with a word the org holds for review: it waits in the review queue.
pub const HELD: Post = Post {
    who: WEEKEND,
    days_ago: 0,
    hour: 7,
    title: "转让会员卡 Member card for sale",
    body: "余额 200 元八折转让，加微信详聊。Balance 200 yuan, 20 % off, message me.",
    tags: &[],
    art: None,
    comments: &[],
    likes: 0,
};

/// The fan circle's chat over the last two days.
pub const CHAT: &[(i64, i64, usize, &str)] = &[
    (2, 9, MEI, "早上好！Morning all"),
    (2, 9, TONY, "早 Morning"),
    (2, 12, BOBA, "今天会员日吗？Is today Member Wednesday?"),
    (2, 12, ZHAO, "明天才是哦 Tomorrow!"),
    (
        1,
        10,
        QING,
        "今天的桂花乌龙真香 The osmanthus oolong is lovely today",
    ),
    (1, 10, ANNA, "Which store are you at?"),
    (1, 10, QING, "南京路 Nanjing Road"),
    (
        1,
        15,
        KEVIN,
        "周六茶会几点？What time is Saturday's tea party?",
    ),
    (1, 15, CHEN, "下午两点 2 pm"),
    (1, 15, KEVIN, "我带两个同事 Bringing two colleagues"),
    (1, 16, CHEN, "欢迎欢迎 Welcome!"),
    (
        0,
        8,
        BOBA,
        "有人在静安店吗，排队长吗 Anyone at Jing'an? Long queue?",
    ),
    (0, 8, XIAOYU, "刚出来，五分钟 Just left, five minutes"),
];

/// The tea class: a lesson each week (by the owner, as notices); students hand in
/// their homework as comments (only staff post in a teaching circle).
pub const CLASS_POSTS: &[Post] = &[
    Post {
        who: LIN,
        days_ago: 14,
        hour: 19,
        title: "第一课：认识六大茶类 Lesson 1: the six kinds of tea",
        body: "本周作业：买两种不同茶类，各泡一杯拍照。Homework: brew two kinds and post a photo.",
        tags: &["茶艺"],
        art: field(false, 20),
        comments: &[
            (
                MEI,
                "作业：绿茶和乌龙，颜色差好多 Homework: green and oolong, such different colours",
            ),
            (ZHOU, "观察得很仔细 Well observed"),
            (ANNA, "Black tea and white tea. The white one was so light!"),
        ],
        likes: 4,
    },
    Post {
        who: LIN,
        days_ago: 7,
        hour: 19,
        title: "第二课：水温与时间 Lesson 2: temperature and time",
        body: "本周作业：用 85°C 和 95°C 各泡一次绿茶，记下差别。Brew a green tea at 85 °C and at 95 °C and note the difference.",
        tags: &["茶艺", "class"],
        art: drink(art::OSMANTHUS_OOLONG, 22),
        comments: &[
            (
                LUCY,
                "95°C 明显更涩，85°C 更甜 95 °C was clearly more bitter, 85 °C sweeter",
            ),
            (ZHOU, "正是这个道理 Exactly right"),
            (XIAOYU, "我家没有温度计怎么办 No thermometer at home?"),
            (
                ZHOU,
                "烧开后等三分钟约 85°C Three minutes off the boil is about 85 °C",
            ),
        ],
        likes: 4,
    },
    Post {
        who: LIN,
        days_ago: 0,
        hour: 9,
        title: "第三课：冷泡与热泡 Lesson 3: cold and hot brewing",
        body: "周六下午两点上课，带上你的冷泡茶。Saturday 2 pm; bring your cold brew.",
        tags: &["茶艺", "class"],
        art: None,
        comments: &[],
        likes: 1,
    },
];

/// Who is in the tea class besides the staff.
pub const CLASS_STUDENTS: [usize; 4] = [MEI, LUCY, ANNA, XIAOYU];
