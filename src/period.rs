//! Quarters: the assessment period. `2024Q3` covers 2024-07-01 up to, not
//! including, 2024-10-01 (data contract, "Periods").

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};

/// A calendar quarter, ordered in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quarter {
    year: i32,
    /// 1 to 4.
    q: u8,
}

impl Quarter {
    /// A quarter from a year and a quarter number 1 to 4.
    pub fn new(year: i32, q: u8) -> Option<Self> {
        (1..=4).contains(&q).then_some(Self { year, q })
    }

    /// The quarter a day falls in.
    pub fn containing(day: NaiveDate) -> Self {
        Self {
            year: day.year(),
            q: (day.month0() / 3 + 1) as u8,
        }
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn number(self) -> u8 {
        self.q
    }

    /// First day of the quarter.
    pub fn start(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, u32::from(self.q - 1) * 3 + 1, 1)
            .expect("a quarter's first day is a valid date")
    }

    /// First day after the quarter (exclusive end).
    pub fn end(self) -> NaiveDate {
        self.next().start()
    }

    pub fn next(self) -> Self {
        self.offset(1)
    }

    pub fn previous(self) -> Self {
        self.offset(-1)
    }

    /// The quarter `n` quarters later (earlier when negative).
    pub fn offset(self, n: i32) -> Self {
        let idx = self.year * 4 + i32::from(self.q - 1) + n;
        Self {
            year: idx.div_euclid(4),
            q: (idx.rem_euclid(4) + 1) as u8,
        }
    }

    /// Quarters from `self` to `last`, both included (empty when `last` is earlier).
    pub fn through(self, last: Quarter) -> Vec<Quarter> {
        let mut out = Vec::new();
        let mut q = self;
        while q <= last {
            out.push(q);
            q = q.next();
        }
        out
    }
}

/// Arrow's Date32 day number (days since 1970-01-01) of a date.
pub fn day_number(d: NaiveDate) -> i32 {
    (d - NaiveDate::default()).num_days() as i32
}

/// The date of a Date32 day number (days before 1970 clamp to it).
pub fn date_of(day: i32) -> NaiveDate {
    NaiveDate::default() + chrono::Days::new(u64::try_from(day).unwrap_or(0))
}

impl fmt::Display for Quarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}Q{}", self.year, self.q)
    }
}

impl serde::Serialize for Quarter {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Why a quarter string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a quarter: write it as YYYYQn, for instance 2024Q3")]
pub struct ParseQuarterError(pub String);

impl FromStr for Quarter {
    type Err = ParseQuarterError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseQuarterError(s.to_string());
        let (y, q) = s.trim().split_once(['Q', 'q']).ok_or_else(err)?;
        if y.len() != 4 || q.len() != 1 {
            return Err(err());
        }
        let year: i32 = y.parse().map_err(|_| err())?;
        let q: u8 = q.parse().map_err(|_| err())?;
        Quarter::new(year, q).ok_or_else(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_follow_the_contract() {
        let q: Quarter = "2024Q3".parse().unwrap();
        assert_eq!(q.start(), NaiveDate::from_ymd_opt(2024, 7, 1).unwrap());
        assert_eq!(q.end(), NaiveDate::from_ymd_opt(2024, 10, 1).unwrap());
        assert_eq!(q.to_string(), "2024Q3");
        let q4: Quarter = "2024Q4".parse().unwrap();
        assert_eq!(q4.end(), NaiveDate::from_ymd_opt(2025, 1, 1).unwrap());
        assert_eq!(q4.next().to_string(), "2025Q1");
        assert_eq!(q.offset(-4).to_string(), "2023Q3");
        assert_eq!(
            Quarter::containing(NaiveDate::from_ymd_opt(2025, 12, 31).unwrap()).to_string(),
            "2025Q4"
        );
    }

    #[test]
    fn malformed_quarters_are_refused() {
        for s in ["2024", "2024Q5", "2024Q0", "24Q1", "2024-3", "Q3"] {
            assert!(s.parse::<Quarter>().is_err(), "{s}");
        }
    }
}
