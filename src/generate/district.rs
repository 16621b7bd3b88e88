//! The synthetic district itself: townships, villages and communities with
//! codes, names and populations, the history window, which villages carry
//! planted misconduct, and each village's people (cadres, their kin and
//! business links) rebuilt on demand from the seed. The geography is the
//! same for both profiles; the field profile plants its own patterns and
//! look-alikes (`super::field::plan`).

use rand::seq::index;
use rand::{Rng, seq::SliceRandom};
use rand_chacha::ChaCha8Rng;

use super::field;
use super::names::NameBook;
use super::rng::{self, IdKeys, Stream, cell_rng, day, pick};
use super::vocab::{ACCOUNTANT, COMMITTEE, DIRECTOR, SECRETARY, SUPERVISOR};
use super::{GenerateOptions, Lookalike, Pattern, Profile};
use crate::period::Quarter;

/// The fictional prefecture: province 99 does not exist; its counties are
/// 990101, 990102, …
pub(crate) const PREFECTURE_PREFIX: &str = "9901";
/// Most counties of a generated province: two digits, 01–99.
pub(crate) const MAX_COUNTIES: usize = 99;
/// County names, taken in turn (a number is added past the list).
const COUNTY_NAMES: [&str; 8] = [
    "清源县",
    "临江区",
    "北山县",
    "南湖区",
    "东川县",
    "西岭县",
    "安平县",
    "永宁区",
];

/// The code and name of county `c` (0-based).
pub(crate) fn county(c: usize) -> (String, String) {
    let base = COUNTY_NAMES[c % COUNTY_NAMES.len()];
    let name = match c / COUNTY_NAMES.len() {
        0 => base.to_string(),
        round => format!(
            "{}{}{}",
            &base[..base.len() - 3],
            round + 1,
            &base[base.len() - 3..]
        ),
    };
    (format!("{PREFECTURE_PREFIX}{:02}", c + 1), name)
}
/// Most units a township can hold: communities 001–199, villages 201–399.
pub(crate) const MAX_PER_TOWNSHIP: usize = 398;
/// Most townships: three digits, 001–999.
pub(crate) const MAX_TOWNSHIPS: usize = 999;

/// Bits of a person or household number that count within one village.
pub(crate) const LOCAL_BITS: u32 = 21;
/// First local person number used for assistance beneficiaries.
pub(crate) const BENEFICIARY_BASE: u64 = 1 << 16;
/// Township officials per township.
const OFFICIALS_PER_TOWNSHIP: u64 = 6;

#[derive(Debug)]
pub(crate) struct Township {
    pub code: String,
    pub name: String,
    /// Suppliers in the township's pool.
    pub suppliers: u64,
}

#[derive(Debug)]
pub(crate) struct Village {
    pub idx: usize,
    pub code: String,
    pub name: String,
    pub township: usize,
    pub population: i64,
    pub households: i64,
    pub community: bool,
    pub patterns: Vec<Pattern>,
    /// Honest look-alike groups (field profile; always empty in the
    /// standard one).
    pub lookalikes: Vec<Lookalike>,
    /// Day the current committee was elected.
    pub election: i32,
    /// The quarter its misconduct was rectified (整改) in, after which it
    /// stops (standard profile with dispositions; see `verify`).
    pub rectified: Option<Quarter>,
    /// The day verification confirmed its red alert (with dispositions;
    /// see `verify`): the standard profile files a follow-on case then.
    pub confirmed: Option<i32>,
}

impl Village {
    pub(crate) fn has(&self, p: Pattern) -> bool {
        self.patterns.contains(&p)
    }

    pub(crate) fn looks_like(&self, l: Lookalike) -> bool {
        self.lookalikes.contains(&l)
    }

    /// Population in thousands, times the volume factor: the scale of events.
    pub(crate) fn volume(&self, d: &District) -> f64 {
        self.population as f64 / 1000.0 * d.volume_factor
    }
}

#[derive(Debug)]
pub(crate) struct District {
    pub profile: Profile,
    pub seed: u64,
    pub volume_factor: f64,
    pub defects: bool,
    pub keys: IdKeys,
    /// (code, name) of each county, in code order.
    pub counties: Vec<(String, String)>,
    pub townships: Vec<Township>,
    pub villages: Vec<Village>,
    /// The history window, oldest first.
    pub quarters: Vec<Quarter>,
    /// First quarter in which planted misconduct is active.
    pub planted_from: Quarter,
    /// Last day of the window: the extract date.
    pub as_of: i32,
    /// Suppliers in the district-wide pool.
    pub district_suppliers: u64,
}

impl District {
    pub(crate) fn build(opts: &GenerateOptions) -> Self {
        let mut rng = cell_rng(opts.seed, Stream::District, 0, 0);
        let first = opts.last_quarter.offset(-(opts.quarters as i32 - 1));
        let quarters = first.through(opts.last_quarter);
        let planted_from = opts
            .last_quarter
            .offset(-(opts.planted_quarters as i32 - 1))
            .max(first);
        let as_of = day(opts.last_quarter.end()) - 1;
        let mut names = NameBook::default();

        // Townships and how many units each holds (as even as possible).
        let t_count = opts.townships;
        let mut townships = Vec::with_capacity(t_count);
        let mut sizes = vec![opts.villages / t_count; t_count];
        for s in sizes.iter_mut().take(opts.villages % t_count) {
            *s += 1;
        }
        // Counties hold runs of townships (as even as possible).
        let counties: Vec<(String, String)> = (0..opts.counties).map(county).collect();
        for (t, &size) in sizes.iter().enumerate() {
            let c = t * opts.counties / t_count;
            townships.push(Township {
                code: format!("{}{:03}", counties[c].0, t + 1),
                name: names.township(&mut rng),
                suppliers: (12 + 3 * size as u64).min(4000),
            });
        }

        // The committees were elected in the spring three years before the
        // window, a few weeks apart.
        let spring = chrono::NaiveDate::from_ymd_opt(first.year() - 3, 1, 15)
            .expect("15 January is a valid date");
        let election_base = day(spring) + rng.random_range(0..90);
        let mut villages = Vec::with_capacity(opts.villages);
        for (t, &size) in sizes.iter().enumerate() {
            let communities = (0..size)
                .filter(|_| rng.random_bool(0.15))
                .count()
                .clamp(size.saturating_sub(199), size.min(199));
            let mut community_nos: Vec<usize> = index::sample(&mut rng, 199, communities)
                .into_iter()
                .map(|i| i + 1)
                .collect();
            community_nos.sort_unstable();
            let mut village_nos: Vec<usize> = index::sample(&mut rng, 199, size - communities)
                .into_iter()
                .map(|i| i + 201)
                .collect();
            village_nos.sort_unstable();
            let units = community_nos
                .into_iter()
                .map(|n| (n, true))
                .chain(village_nos.into_iter().map(|n| (n, false)));
            for (no, community) in units {
                let population = if community {
                    rng::log_normal(&mut rng, 5800.0, 0.38).clamp(3000.0, 12000.0)
                } else {
                    rng::log_normal(&mut rng, 1900.0, 0.55).clamp(600.0, 6000.0)
                }
                .round() as i64;
                let households =
                    ((population as f64 / 2.8) * rng.random_range(0.93..1.07)).round() as i64;
                villages.push(Village {
                    idx: villages.len(),
                    code: format!("{}{no:03}", townships[t].code),
                    name: names.village(&mut rng, community),
                    township: t,
                    population,
                    households: households.max(1),
                    community,
                    patterns: Vec::new(),
                    lookalikes: Vec::new(),
                    election: election_base + rng.random_range(0..45),
                    rectified: None,
                    confirmed: None,
                });
            }
        }

        match opts.profile {
            Profile::Standard => plant_standard(opts, &mut rng, &mut villages),
            Profile::Field => field::plan::plant(opts, &mut villages),
        }
        if opts.dispositions {
            verify(
                &mut villages,
                planted_from.next().min(opts.last_quarter),
                day(opts.last_quarter.end()) - 1,
                opts.profile == Profile::Standard,
            );
        }

        Self {
            profile: opts.profile,
            seed: opts.seed,
            volume_factor: opts.volume_factor,
            defects: opts.defects,
            keys: IdKeys::new(opts.seed),
            district_suppliers: (30 + opts.villages as u64 / 4).min(4000),
            counties,
            townships,
            villages,
            quarters,
            planted_from,
            as_of,
        }
    }

    /// Whether quarter `qi` of the window has planted misconduct active.
    pub(crate) fn planted_quarter(&self, qi: usize) -> bool {
        self.quarters[qi] >= self.planted_from
    }

    /// Whether village `v`'s planted misconduct is active in quarter `qi`:
    /// a planted quarter, not after its rectification.
    pub(crate) fn active(&self, v: &Village, qi: usize) -> bool {
        self.planted_quarter(qi) && v.rectified.is_none_or(|r| self.quarters[qi] <= r)
    }

    /// Index of `planted_from` in the window.
    pub(crate) fn planted_from_index(&self) -> usize {
        self.quarters
            .iter()
            .position(|q| *q == self.planted_from)
            .expect("planted_from lies in the window")
    }

    /// First day of the window.
    pub(crate) fn window_start(&self) -> i32 {
        day(self.quarters[0].start())
    }

    /// `[start, end)` days of window quarter `qi`.
    pub(crate) fn quarter_days(&self, qi: usize) -> (i32, i32) {
        let q = self.quarters[qi];
        (day(q.start()), day(q.end()))
    }

    pub(crate) fn person_id(&self, n: u64) -> String {
        self.keys.person(n)
    }

    /// A township official's person number (outside every village's range).
    pub(crate) fn official(&self, township: usize, rng: &mut ChaCha8Rng) -> u64 {
        let block = (1u64 << (40 - LOCAL_BITS)) - 1 - township as u64;
        block << LOCAL_BITS | rng.random_range(0..OFFICIALS_PER_TOWNSHIP)
    }

    /// Supplier number of the `k`-th supplier of a township's pool.
    pub(crate) fn township_supplier(township: usize, k: u64) -> u64 {
        (township as u64 + 1) << 12 | k
    }

    /// A supplier for an award in a village: its favourites, the township's
    /// pool (popular ones more often) or the district's larger firms.
    pub(crate) fn winner(
        &self,
        v: &Village,
        people: &People,
        big: bool,
        rng: &mut ChaCha8Rng,
    ) -> u64 {
        let u: f64 = rng.random();
        if (big && u < 0.6) || u < 0.12 {
            let k = (self.district_suppliers as f64 * rng.random::<f64>().powi(2)) as u64;
            return k;
        }
        if u < 0.55 && !people.favourites.is_empty() {
            return people.favourites[rng.random_range(0..people.favourites.len())];
        }
        let pool = self.townships[v.township].suppliers;
        Self::township_supplier(
            v.township,
            (pool as f64 * rng.random::<f64>().powi(2)) as u64,
        )
    }

    /// A row drawn by `draw` as if in the first village in quarter `qi`,
    /// but from a stream of `stream` no village uses: the template of the
    /// defect rows.
    pub(crate) fn defect_template<T>(
        &self,
        qi: usize,
        stream: Stream,
        draw: impl FnOnce(&Cell, &mut ChaCha8Rng) -> T,
    ) -> T {
        let v = &self.villages[0];
        let people = self.people(v);
        let mut rng = cell_rng(self.seed, stream, usize::MAX, qi);
        draw(&Cell::new(self, v, &people, qi), &mut rng)
    }

    /// The people of a village, the same every time for the same seed.
    pub(crate) fn people(&self, v: &Village) -> People {
        People::build(self, v)
    }
}

/// One cell of a source: a village in one quarter of the window, where a
/// (table, village, quarter) cell's events are drawn. Holds the district,
/// the village and its people, the quarter's index and its days.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cell<'a> {
    pub d: &'a District,
    pub v: &'a Village,
    pub people: &'a People,
    /// The quarter's index in the window.
    pub qi: usize,
    /// The quarter's first day and the day after its last.
    pub start: i32,
    pub end: i32,
}

impl<'a> Cell<'a> {
    pub(crate) fn new(d: &'a District, v: &'a Village, people: &'a People, qi: usize) -> Self {
        let (start, end) = d.quarter_days(qi);
        Self {
            d,
            v,
            people,
            qi,
            start,
            end,
        }
    }

    /// The cell's own random stream of `stream`.
    pub(crate) fn rng(&self, stream: Stream) -> ChaCha8Rng {
        cell_rng(self.d.seed, stream, self.v.idx, self.qi)
    }

    /// The cell's quarter.
    pub(crate) fn quarter(&self) -> Quarter {
        self.d.quarters[self.qi]
    }

    /// The day `days` after `day`, if it falls by the extract date.
    pub(crate) fn by_extract(&self, day: i32, days: i32) -> Option<i32> {
        (day + days <= self.d.as_of).then_some(day + days)
    }
}

/// A village cadre and the links the registries know of.
#[derive(Debug, Clone)]
pub(crate) struct Cadre {
    pub person: u64,
    pub role: &'static str,
    pub term_start: i32,
    pub term_end: Option<i32>,
    /// (person number, kin relation).
    pub kin: Vec<(u64, &'static str)>,
    /// (supplier number, business relation).
    pub business: Vec<(u64, &'static str)>,
}

impl Cadre {
    pub(crate) fn serving_on(&self, d: i32) -> bool {
        self.term_start <= d && self.term_end.is_none_or(|e| e >= d)
    }
}

/// Everyone the registries link to one village.
#[derive(Debug)]
pub(crate) struct People {
    pub cadres: Vec<Cadre>,
    /// Suppliers the village often uses.
    pub favourites: Vec<u64>,
    /// The supplier linked to a cadre that wins crony contracts (in the
    /// field profile also the disclosed firm of `linked_fair_winner`).
    pub crony: Option<u64>,
}

impl People {
    fn build(d: &District, v: &Village) -> Self {
        let mut rng = cell_rng(d.seed, Stream::People, v.idx, 0);
        let base = (v.idx as u64) << LOCAL_BITS;
        let mut roles = vec![SECRETARY, DIRECTOR];
        roles.extend(std::iter::repeat_n(COMMITTEE, rng.random_range(2..=4)));
        roles.push(SUPERVISOR);
        roles.push(ACCOUNTANT);

        // Turnover only well before the planted window, so the cadres named
        // by planted misconduct serve throughout it.
        let change_from = d.window_start();
        let change_to = d.as_of - 230;
        let mut cadres = Vec::new();
        for role in roles {
            let start = v.election + rng.random_range(0..10);
            if change_to > change_from && rng.random_bool(0.12) {
                let change = rng.random_range(change_from..change_to);
                cadres.push(new_cadre(base, cadres.len(), role, start, Some(change)));
                let next = change + rng.random_range(1..=30);
                cadres.push(new_cadre(base, cadres.len(), role, next, None));
            } else {
                cadres.push(new_cadre(base, cadres.len(), role, start, None));
            }
        }

        let pool = d.townships[v.township].suppliers;
        let n_fav = rng.random_range(2..=5);
        let mut favourites: Vec<u64> = (0..n_fav)
            .map(|_| {
                let k = (pool as f64 * rng.random::<f64>().powi(2)) as u64;
                District::township_supplier(v.township, k)
            })
            .collect();
        favourites.sort_unstable();
        favourites.dedup();

        for (i, c) in cadres.iter_mut().enumerate() {
            let mut rels: Vec<&'static str> = Vec::new();
            if rng.random_bool(0.9) {
                rels.push("spouse");
            }
            let counts = [
                ("parent", rng.random_range(0..=2)),
                ("child", rng.random_range(1..=3)),
                ("sibling", rng.random_range(0..=3)),
                ("in_law", rng.random_range(0..=2)),
                ("other_kin", usize::from(rng.random_bool(0.2))),
            ];
            for (rel, count) in counts {
                rels.extend(std::iter::repeat_n(rel, count));
            }
            c.kin = rels
                .into_iter()
                .enumerate()
                .map(|(j, rel)| (base | (64 + i as u64 * 16 + j as u64), rel))
                .collect();
            // Some cadres have a firm, mostly one of the township's smaller
            // ones and never one the village regularly uses.
            if rng.random_bool(0.07) {
                let rel = pick(
                    &mut rng,
                    &[
                        ("legal_rep", 0.35),
                        ("shareholder", 0.35),
                        ("employee", 0.3),
                    ],
                );
                let supplier =
                    District::township_supplier(v.township, rng.random_range(pool / 3..pool));
                if !favourites.contains(&supplier) {
                    c.business.push((supplier, rel));
                }
            }
        }

        let crony = if d.profile == Profile::Field {
            field::plan::link_firm(d, v, &mut cadres, &favourites)
        } else if v.has(Pattern::CronyContracts) {
            crony_firm(v, &mut rng, &mut cadres, pool)
        } else {
            None
        };
        Self {
            cadres,
            favourites,
            crony,
        }
    }

    /// A cadre holding `role` on day `d`, if any (a random one of several).
    pub(crate) fn serving(&self, role: &str, d: i32, rng: &mut ChaCha8Rng) -> Option<&Cadre> {
        let matching: Vec<&Cadre> = self
            .cadres
            .iter()
            .filter(|c| c.role == role && c.serving_on(d))
            .collect();
        match matching.len() {
            0 => None,
            1 => Some(matching[0]),
            n => Some(matching[rng.random_range(0..n)]),
        }
    }

    /// Person numbers of the kin of the cadres serving on day `d`.
    pub(crate) fn serving_kin(&self, d: i32) -> Vec<u64> {
        self.cadres
            .iter()
            .filter(|c| c.serving_on(d))
            .flat_map(|c| c.kin.iter().map(|(p, _)| *p))
            .collect()
    }
}

/// The cadres holding `role` to the end of the window, by index.
pub(crate) fn serving_to_the_end(cadres: &[Cadre], role: &str) -> Vec<usize> {
    (0..cadres.len())
        .filter(|&i| cadres[i].role == role && cadres[i].term_end.is_none())
        .collect()
}

/// Makes `cadre` the legal representative or a shareholder (an even
/// chance) of `supplier`; returns the supplier.
pub(crate) fn link(cadre: &mut Cadre, supplier: u64, rng: &mut ChaCha8Rng) -> u64 {
    let rel = if rng.random_bool(0.5) {
        "legal_rep"
    } else {
        "shareholder"
    };
    cadre.business.retain(|(s, _)| *s != supplier);
    cadre.business.push((supplier, rel));
    supplier
}

/// The cadres behind a standard profile's crony firm: mostly the leaders.
const CRONY_CADRES: &[(&str, f64)] = &[
    (SECRETARY, 0.4),
    (DIRECTOR, 0.3),
    (COMMITTEE, 0.2),
    (ACCOUNTANT, 0.1),
];

/// The standard profile's crony firm of a village planted with
/// `crony_contracts`: one of the township's larger suppliers, linked to a
/// serving cadre (none when no cadre serves in the role drawn).
fn crony_firm(v: &Village, rng: &mut ChaCha8Rng, cadres: &mut [Cadre], pool: u64) -> Option<u64> {
    let role = pick(rng, CRONY_CADRES);
    let mut serving = serving_to_the_end(cadres, role);
    serving.shuffle(rng);
    let &i = serving.first()?;
    let k = rng.random_range(pool / 2..pool);
    let supplier = District::township_supplier(v.township, k);
    Some(link(&mut cadres[i], supplier, rng))
}

fn new_cadre(base: u64, slot: usize, role: &'static str, start: i32, end: Option<i32>) -> Cadre {
    Cadre {
        person: base | slot as u64,
        role,
        term_start: start,
        term_end: end,
        kin: Vec::new(),
        business: Vec::new(),
    }
}

/// The standard profile's planting: every pattern in turn, some villages
/// get two.
fn plant_standard(opts: &GenerateOptions, rng: &mut ChaCha8Rng, villages: &mut [Village]) {
    let n = opts.villages;
    let mut planted = (opts.planted_share * n as f64).round() as usize;
    if n >= 5 {
        planted = planted.max(1);
    }
    let chosen = index::sample(rng, n, planted.min(n)).into_vec();
    for (j, &v) in chosen.iter().enumerate() {
        let primary = Pattern::ALL[j % Pattern::ALL.len()];
        let mut patterns = vec![primary];
        if rng.random_bool(0.4) {
            let others: Vec<Pattern> = Pattern::ALL.into_iter().filter(|p| *p != primary).collect();
            patterns.push(others[rng.random_range(0..others.len())]);
        }
        patterns.sort();
        villages[v].patterns = patterns;
    }
}

/// What verification finds in the planted villages (`write_dispositions`
/// writes it), in `quarter`, the one after the first planted quarter:
/// counting the planted villages in village order, two in three confirmed
/// (the first and second of every three, on day 10 to 29 of the quarter,
/// never after `as_of`), the third pending; with `rectify` every ninth,
/// from the first, is then rectified in the same quarter and its
/// misconduct stops after it.
fn verify(villages: &mut [Village], quarter: Quarter, as_of: i32, rectify: bool) {
    let base = day(quarter.start());
    for (i, v) in villages
        .iter_mut()
        .filter(|v| !v.patterns.is_empty())
        .enumerate()
    {
        if i % 3 != 2 {
            v.confirmed = Some((base + 10 + i as i32 % 20).min(as_of));
        }
        if rectify && i % 9 == 0 {
            v.rectified = Some(quarter);
        }
    }
}
