//! Dates of the proleptic Gregorian calendar as days since 1970-01-01, both ways (Howard
//! Hinnant's `days_from_civil` / `civil_from_days`): Go build info's `vcs.time` and the SBOM's
//! creation time need only this, not a date crate.

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn civil_to_days(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date (year, month 1-12, day 1-31) `days` after 1970-01-01 (negative: before it).
pub fn days_to_civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_dates_agree_both_ways() {
        assert_eq!(days_to_civil(0), (1970, 1, 1));
        assert_eq!(days_to_civil(11_016), (2000, 2, 29));
        assert_eq!(days_to_civil(-1), (1969, 12, 31));
        assert_eq!(civil_to_days(1, 1, 1), -719_162);
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = days_to_civil(days);
            assert_eq!(civil_to_days(y, m, d), days, "{y}-{m}-{d}");
        }
    }
}
