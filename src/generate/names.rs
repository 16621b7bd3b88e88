//! Invented Chinese place names built from syllables: townships (`云岭镇`,
//! `桃源乡`), villages (`青石村`) and communities (`柳溪社区`), unique within
//! the district.

use std::collections::BTreeSet;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// First syllables: landscape, plants, colours, auspicious words.
const FIRST: &[char] = &[
    '青', '柳', '石', '桃', '云', '松', '枫', '竹', '梅', '兰', '杏', '梨', '桂', '荷', '杨', '槐',
    '柏', '樟', '桑', '金', '银', '玉', '白', '红', '丹', '紫', '碧', '龙', '凤', '鹤', '燕', '鹿',
    '泉', '溪', '河', '塘', '湾', '岭', '峰', '坪', '沙', '安', '宁', '和', '平', '兴', '福', '寿',
    '康', '乐', '永', '长', '明', '光', '清', '秀', '丰', '裕', '盛', '顺', '春', '秋', '晓', '茶',
    '稻', '禾', '芦', '菱', '莲', '蒲', '翠', '霞', '锦', '檀', '榆', '柿', '橘', '栗', '杉', '蓉',
];

/// Second syllables: the kind of place.
const SECOND: &[char] = &[
    '石', '溪', '山', '岭', '坪', '湾', '塘', '桥', '坝', '冲', '岗', '坡', '园', '庄', '林', '源',
    '泉', '峪', '沟', '港', '田', '口', '洲', '铺', '垄', '头', '峰', '坞', '滩', '湖', '坑', '埠',
    '营', '寨', '堡', '店', '集', '屯', '台', '亭', '苑', '里', '圩', '墩', '岩', '谷', '川', '原',
    '涧', '汀', '渡', '浦', '畈', '岙',
];

/// Prefixes that make a third syllable when two are not enough.
const PREFIX: &[char] = &[
    '上', '下', '东', '西', '南', '北', '大', '小', '新', '老', '前', '后', '中',
];

/// Hands out names, never the same one twice.
#[derive(Debug, Default)]
pub(crate) struct NameBook {
    taken: BTreeSet<String>,
    numbered: u64,
}

impl NameBook {
    /// A township name: two syllables and `镇` or `乡`.
    pub(crate) fn township(&mut self, rng: &mut ChaCha8Rng) -> String {
        let suffix = if rng.random_bool(0.7) { "镇" } else { "乡" };
        self.unique(rng, suffix)
    }

    /// A village (`村`) or community (`社区`) name.
    pub(crate) fn village(&mut self, rng: &mut ChaCha8Rng, community: bool) -> String {
        self.unique(rng, if community { "社区" } else { "村" })
    }

    fn unique(&mut self, rng: &mut ChaCha8Rng, suffix: &str) -> String {
        for attempt in 0..120 {
            let three = attempt >= 30 || rng.random_bool(0.2);
            let name = candidate(rng, three, suffix);
            if self.taken.insert(name.clone()) {
                return name;
            }
        }
        // The syllables are nearly used up: number the name (the number is
        // unique, so the name is).
        self.numbered += 1;
        let name = format!("{}{}{suffix}", candidate(rng, false, ""), self.numbered);
        self.taken.insert(name.clone());
        name
    }
}

fn candidate(rng: &mut ChaCha8Rng, three: bool, suffix: &str) -> String {
    let mut name = String::new();
    if three {
        name.push(PREFIX[rng.random_range(0..PREFIX.len())]);
    }
    let a = FIRST[rng.random_range(0..FIRST.len())];
    let mut b = SECOND[rng.random_range(0..SECOND.len())];
    while b == a {
        b = SECOND[rng.random_range(0..SECOND.len())];
    }
    name.push(a);
    name.push(b);
    name.push_str(suffix);
    name
}
