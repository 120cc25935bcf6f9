//! Sprig's date functions (`date.go`) over a Go `time.Time` ([`Time`]): Go's layout strings
//! (`2006-01-02T15:04:05Z07:00`), `time.Duration` printing and parsing, and the clock of
//! [`Ctx`] (`now`). Zones: `UTC`, `Local` (taken as UTC, as in a container without `TZ`) and
//! IANA names read from the system's zoneinfo files, as Go reads them; a name that does not
//! load falls back to UTC, as Sprig does when `time.LoadLocation` fails.

use std::rc::Rc;

use crate::func::{Ctx, FuncDef, FuncResult};
use crate::value::{Object, Value};

use super::args::{nth, string, wrong_type};
use super::def;

/// The date functions.
pub(super) const FUNCS: &[FuncDef] = &[
    def("now", 0, Some(0), now),
    def("date", 2, Some(2), date),
    def("dateInZone", 3, Some(3), date_in_zone),
    def("date_in_zone", 3, Some(3), date_in_zone),
    def("htmlDate", 1, Some(1), html_date),
    def("htmlDateInZone", 2, Some(2), html_date_in_zone),
    def("dateModify", 2, Some(2), date_modify),
    def("date_modify", 2, Some(2), date_modify),
    def("mustDateModify", 2, Some(2), must_date_modify),
    def("must_date_modify", 2, Some(2), must_date_modify),
    def("ago", 1, Some(1), ago),
    def("duration", 1, Some(1), duration),
    def("durationRound", 1, Some(1), duration_round),
    def("toDate", 2, Some(2), to_date),
    def("mustToDate", 2, Some(2), must_to_date),
    def("unixEpoch", 1, Some(1), unix_epoch),
];

/// A Go `time.Time`: an instant and the zone it is shown in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Time {
    /// Seconds since the Unix epoch.
    pub unix: i64,
    /// Nanoseconds within the second.
    pub nanos: u32,
    /// The zone's offset east of UTC, in seconds.
    pub offset: i32,
    /// The zone's abbreviation (`UTC`, `-05`).
    pub zone: String,
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// The civil date of a day count since 1970-01-01.
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Days since 1970-01-01 of a civil date.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

/// The broken-down local time of a [`Time`].
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    weekday: usize,
    yday: u32,
}

impl Time {
    /// The instant in UTC.
    pub fn utc(unix: i64, nanos: u32) -> Time {
        Time {
            unix,
            nanos,
            offset: 0,
            zone: "UTC".into(),
        }
    }

    /// The same instant shown in the zone Go's `time.LoadLocation(name)` gives (UTC when the
    /// name is unknown here).
    pub fn in_zone(&self, name: &str) -> Time {
        let (offset, zone) = zone(name, self.unix).unwrap_or((0, "UTC".into()));
        Time {
            offset,
            zone,
            ..self.clone()
        }
    }

    fn civil(&self) -> Civil {
        let local = self.unix + i64::from(self.offset);
        let days = local.div_euclid(86_400);
        let secs = local.rem_euclid(86_400) as u32;
        let (year, month, day) = civil(days);
        let yday = (days - days_from_civil(year, 1, 1)) as u32 + 1;
        Civil {
            year,
            month,
            day,
            hour: secs / 3600,
            minute: secs / 60 % 60,
            second: secs % 60,
            weekday: (days + 4).rem_euclid(7) as usize,
            yday,
        }
    }

    /// `Time.Format(layout)` with Go's reference-time layout.
    pub fn format(&self, layout: &str) -> String {
        let c = self.civil();
        let mut out = String::new();
        for chunk in layout_chunks(layout) {
            match chunk {
                Chunk::Lit(s) => out.push_str(s),
                Chunk::Std(std) => self.format_std(&mut out, std, &c),
            }
        }
        out
    }

    fn format_std(&self, out: &mut String, std: Std, c: &Civil) {
        use std::fmt::Write;
        let _ = match std {
            Std::LongMonth => write!(out, "{}", MONTHS[c.month as usize - 1]),
            Std::Month => write!(out, "{}", &MONTHS[c.month as usize - 1][..3]),
            Std::NumMonth => write!(out, "{}", c.month),
            Std::ZeroMonth => write!(out, "{:02}", c.month),
            Std::LongWeekDay => write!(out, "{}", DAYS[c.weekday]),
            Std::WeekDay => write!(out, "{}", &DAYS[c.weekday][..3]),
            Std::Day => write!(out, "{}", c.day),
            Std::UnderDay => write!(out, "{:>2}", c.day),
            Std::ZeroDay => write!(out, "{:02}", c.day),
            Std::UnderYearDay => write!(out, "{:>3}", c.yday),
            Std::ZeroYearDay => write!(out, "{:03}", c.yday),
            Std::Hour => write!(out, "{:02}", c.hour),
            Std::Hour12 => write!(out, "{}", if c.hour % 12 == 0 { 12 } else { c.hour % 12 }),
            Std::ZeroHour12 => write!(
                out,
                "{:02}",
                if c.hour % 12 == 0 { 12 } else { c.hour % 12 }
            ),
            Std::Minute => write!(out, "{}", c.minute),
            Std::ZeroMinute => write!(out, "{:02}", c.minute),
            Std::Second => write!(out, "{}", c.second),
            Std::ZeroSecond => write!(out, "{:02}", c.second),
            Std::LongYear => write!(out, "{:04}", c.year),
            Std::Year => write!(out, "{:02}", c.year.rem_euclid(100)),
            Std::PM => write!(out, "{}", if c.hour >= 12 { "PM" } else { "AM" }),
            Std::Pm => write!(out, "{}", if c.hour >= 12 { "pm" } else { "am" }),
            Std::Tz => {
                if self.zone.is_empty() {
                    let z = self.offset / 60;
                    write!(
                        out,
                        "{}{:02}{:02}",
                        if z < 0 { '-' } else { '+' },
                        z.abs() / 60,
                        z.abs() % 60
                    )
                } else {
                    write!(out, "{}", self.zone)
                }
            }
            Std::Zone {
                iso,
                colon,
                minutes,
                seconds,
            } => {
                if iso && self.offset == 0 {
                    write!(out, "Z")
                } else {
                    let abs = self.offset.abs();
                    out.push(if self.offset < 0 { '-' } else { '+' });
                    let _ = write!(out, "{:02}", abs / 3600);
                    if minutes {
                        if colon {
                            out.push(':');
                        }
                        let _ = write!(out, "{:02}", abs / 60 % 60);
                    }
                    if seconds {
                        if colon {
                            out.push(':');
                        }
                        let _ = write!(out, "{:02}", abs % 60);
                    }
                    Ok(())
                }
            }
            Std::Frac { sep, digits, trim } => {
                let frac = format!("{:09}", self.nanos);
                let mut f = frac[..digits].to_string();
                if trim {
                    f = f.trim_end_matches('0').to_string();
                    if f.is_empty() {
                        return;
                    }
                }
                write!(out, "{sep}{f}")
            }
        };
    }

    /// Go's `Time.String()`: `2006-01-02 15:04:05.999999999 -0700 MST`.
    pub fn go_string(&self) -> String {
        self.format("2006-01-02 15:04:05.999999999 -0700 MST")
    }
}

/// The offset and abbreviation at instant `unix` of the zone `time.LoadLocation(name)` gives:
/// UTC, `Local` (UTC, as in a container without `TZ`), or an IANA zone read from the system's
/// zoneinfo files as Go reads them. `None` when Go would fail to load it.
fn zone(name: &str, unix: i64) -> Option<(i32, String)> {
    match name {
        "" | "UTC" | "Local" => return Some((0, "UTC".into())),
        _ => {}
    }
    if name.contains("..") || name.starts_with('/') || name.starts_with('\\') {
        return None;
    }
    let dirs = [
        "/usr/share/zoneinfo/",
        "/usr/share/lib/zoneinfo/",
        "/usr/lib/locale/TZ/",
        "/etc/zoneinfo/",
    ];
    let data = dirs
        .iter()
        .find_map(|d| std::fs::read(format!("{d}{name}")).ok())?;
    tzif_lookup(&data, unix)
}

/// The local time type in effect at `unix` in a TZif file (version 2+ data when present).
fn tzif_lookup(data: &[u8], unix: i64) -> Option<(i32, String)> {
    fn be32(b: &[u8], at: usize) -> Option<u32> {
        Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
    }
    if data.get(..4)? != b"TZif" {
        return None;
    }
    let counts = |b: &[u8]| -> Option<[usize; 6]> {
        let mut c = [0usize; 6];
        for (i, x) in c.iter_mut().enumerate() {
            *x = be32(b, 20 + 4 * i)? as usize;
        }
        Some(c)
    };
    let [isut, isstd, leap, time, types, chars] = counts(data)?;
    let v1_len = 44 + time * 5 + types * 6 + chars + leap * 8 + isstd + isut;
    let (b, time_size) = if data[4] >= b'2' && data.len() > v1_len + 44 {
        (&data[v1_len..], 8)
    } else {
        (data, 4)
    };
    let [_, _, leap, time, types, chars] = counts(b)?;
    let mut at = 44;
    let times: Vec<i64> = (0..time)
        .map(|i| {
            let p = at + i * time_size;
            if time_size == 8 {
                Some(i64::from_be_bytes(b.get(p..p + 8)?.try_into().ok()?))
            } else {
                Some(i64::from(be32(b, p)? as i32))
            }
        })
        .collect::<Option<_>>()?;
    at += time * time_size;
    let indices = b.get(at..at + time)?.to_vec();
    at += time;
    let ttinfo_at = at;
    at += types * 6;
    let abbrevs = b.get(at..at + chars)?;
    let _ = leap;
    let info = |i: usize| -> Option<(i32, String)> {
        let p = ttinfo_at + i * 6;
        let offset = be32(b, p)? as i32;
        let idx = usize::from(*b.get(p + 5)?);
        let end = abbrevs[idx..].iter().position(|c| *c == 0)? + idx;
        Some((
            offset,
            String::from_utf8_lossy(&abbrevs[idx..end]).into_owned(),
        ))
    };
    match times.iter().rposition(|t| *t <= unix) {
        Some(i) => info(usize::from(indices[i])),
        // Before the first transition: the first standard-time type, as Go picks it.
        None => {
            let first_std = (0..types).find(|i| b.get(ttinfo_at + i * 6 + 4) == Some(&0));
            info(first_std.unwrap_or(0))
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Std {
    LongMonth,
    Month,
    NumMonth,
    ZeroMonth,
    LongWeekDay,
    WeekDay,
    Day,
    UnderDay,
    ZeroDay,
    UnderYearDay,
    ZeroYearDay,
    Hour,
    Hour12,
    ZeroHour12,
    Minute,
    ZeroMinute,
    Second,
    ZeroSecond,
    LongYear,
    Year,
    PM,
    Pm,
    Tz,
    Zone {
        iso: bool,
        colon: bool,
        minutes: bool,
        seconds: bool,
    },
    Frac {
        sep: char,
        digits: usize,
        trim: bool,
    },
}

enum Chunk<'a> {
    Lit(&'a str),
    Std(Std),
}

fn starts_lower(s: &str) -> bool {
    s.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
}

/// Go's `nextStdChunk` over a whole layout.
fn layout_chunks(layout: &str) -> Vec<Chunk<'_>> {
    let b = layout.as_bytes();
    let mut out = Vec::new();
    let mut lit_start = 0;
    let mut i = 0;
    while i < b.len() {
        let rest = &layout[i..];
        let found: Option<(Std, usize)> = match b[i] {
            b'J' if rest.starts_with("January") => Some((Std::LongMonth, 7)),
            b'J' if rest.starts_with("Jan") && !starts_lower(&rest[3..]) => Some((Std::Month, 3)),
            b'M' if rest.starts_with("Monday") => Some((Std::LongWeekDay, 6)),
            b'M' if rest.starts_with("Mon") && !starts_lower(&rest[3..]) => Some((Std::WeekDay, 3)),
            b'M' if rest.starts_with("MST") => Some((Std::Tz, 3)),
            b'0' if b.len() > i + 1 && (b'1'..=b'6').contains(&b[i + 1]) => Some((
                [
                    Std::ZeroMonth,
                    Std::ZeroDay,
                    Std::ZeroHour12,
                    Std::ZeroMinute,
                    Std::ZeroSecond,
                    Std::Year,
                ][(b[i + 1] - b'1') as usize],
                2,
            )),
            b'0' if rest.starts_with("002") => Some((Std::ZeroYearDay, 3)),
            b'1' if rest.starts_with("15") => Some((Std::Hour, 2)),
            b'1' => Some((Std::NumMonth, 1)),
            b'2' if rest.starts_with("2006") => Some((Std::LongYear, 4)),
            b'2' => Some((Std::Day, 1)),
            b'_' if rest.starts_with("_2") && !rest.starts_with("_2006") => {
                Some((Std::UnderDay, 2))
            }
            b'_' if rest.starts_with("__2") => Some((Std::UnderYearDay, 3)),
            b'3' => Some((Std::Hour12, 1)),
            b'4' => Some((Std::Minute, 1)),
            b'5' => Some((Std::Second, 1)),
            b'P' if rest.starts_with("PM") => Some((Std::PM, 2)),
            b'p' if rest.starts_with("pm") => Some((Std::Pm, 2)),
            b'-' | b'Z' => {
                let iso = b[i] == b'Z';
                let z = |colon, minutes, seconds| Std::Zone {
                    iso,
                    colon,
                    minutes,
                    seconds,
                };
                let tail = &rest[1..];
                if tail.starts_with("070000") {
                    Some((z(false, true, true), 7))
                } else if tail.starts_with("07:00:00") {
                    Some((z(true, true, true), 9))
                } else if tail.starts_with("0700") {
                    Some((z(false, true, false), 5))
                } else if tail.starts_with("07:00") {
                    Some((z(true, true, false), 6))
                } else if tail.starts_with("07") {
                    Some((z(false, false, false), 3))
                } else {
                    None
                }
            }
            b'.' | b',' if b.len() > i + 1 && (b[i + 1] == b'0' || b[i + 1] == b'9') => {
                let ch = b[i + 1];
                let mut j = i + 1;
                while j < b.len() && b[j] == ch {
                    j += 1;
                }
                if j < b.len() && b[j].is_ascii_digit() {
                    None
                } else {
                    Some((
                        Std::Frac {
                            sep: b[i] as char,
                            digits: (j - i - 1).min(9),
                            trim: ch == b'9',
                        },
                        j - i,
                    ))
                }
            }
            _ => None,
        };
        match found {
            Some((std, len)) => {
                if lit_start < i {
                    out.push(Chunk::Lit(&layout[lit_start..i]));
                }
                out.push(Chunk::Std(std));
                i += len;
                lit_start = i;
            }
            None => i += rest.chars().next().map_or(1, char::len_utf8),
        }
    }
    if lit_start < b.len() {
        out.push(Chunk::Lit(&layout[lit_start..]));
    }
    out
}

/// Go's `time.Duration.String()` of nanoseconds: `1h2m3.5s`, `1.5ms`, `0s`.
pub fn duration_string(d: i64) -> String {
    if d == 0 {
        return "0s".into();
    }
    let neg = d < 0;
    let u = d.unsigned_abs();
    let sign = if neg { "-" } else { "" };
    if u < 1_000_000_000 {
        let (unit, scale) = if u < 1_000 {
            ("ns", 1)
        } else if u < 1_000_000 {
            ("µs", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        return format!("{sign}{}{unit}", frac(u, scale));
    }
    let secs = u / 1_000_000_000;
    let nanos = u % 1_000_000_000;
    let mut s = format!(
        "{}s",
        frac(secs % 60 * 1_000_000_000 + nanos, 1_000_000_000)
    );
    let mins = secs / 60;
    if mins > 0 {
        s = format!("{}m{s}", mins % 60);
        let hours = mins / 60;
        if hours > 0 {
            s = format!("{hours}h{s}");
        }
    }
    format!("{sign}{s}")
}

/// `v / scale` with the fraction's trailing zeros dropped.
fn frac(v: u64, scale: u64) -> String {
    let whole = v / scale;
    let rest = v % scale;
    if rest == 0 {
        return whole.to_string();
    }
    let width = scale.to_string().len() - 1;
    let digits = format!("{rest:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

/// Go's `time.ParseDuration`: nanoseconds, or Go's error text.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let err = || format!("time: invalid duration {}", super::conv::go_quote(s));
    let (neg, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(err());
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let num_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let num = &rest[..num_end];
        if num.is_empty() || num == "." || num.matches('.').count() > 1 {
            return Err(err());
        }
        rest = &rest[num_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..unit_end];
        rest = &rest[unit_end..];
        let scale: f64 = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "" => {
                return Err(format!(
                    "time: missing unit in duration {}",
                    super::conv::go_quote(s)
                ))
            }
            _ => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    super::conv::go_quote(unit),
                    super::conv::go_quote(s)
                ))
            }
        };
        let n: f64 = num.parse().map_err(|_| err())?;
        total += n * scale;
    }
    if total > 9.223_372_036_854_775e18 {
        return Err(err());
    }
    let d = total.round() as i64;
    Ok(if neg { -d } else { d })
}

impl Object for Time {
    fn type_name(&self) -> &str {
        "time.Time"
    }

    fn kind(&self) -> &str {
        "struct"
    }

    fn field(&self, name: &str) -> Option<Value> {
        let c = self.civil();
        Some(match name {
            "Unix" => Value::Int64(self.unix),
            "UnixNano" => Value::Int64(self.unix * 1_000_000_000 + i64::from(self.nanos)),
            "UnixMilli" => Value::Int64(self.unix * 1_000 + i64::from(self.nanos / 1_000_000)),
            "Year" => Value::Int(c.year),
            "Month" => Value::str(MONTHS[c.month as usize - 1]),
            "Day" => Value::Int(i64::from(c.day)),
            "Hour" => Value::Int(i64::from(c.hour)),
            "Minute" => Value::Int(i64::from(c.minute)),
            "Second" => Value::Int(i64::from(c.second)),
            "Nanosecond" => Value::Int(i64::from(self.nanos)),
            "YearDay" => Value::Int(i64::from(c.yday)),
            "Weekday" => Value::str(DAYS[c.weekday]),
            "IsZero" => Value::Bool(self.unix == -62_135_596_800 && self.nanos == 0),
            "UTC" | "Local" => Value::Object(Rc::new(Time::utc(self.unix, self.nanos))),
            "String" => Value::from(self.go_string()),
            _ => return None,
        })
    }

    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        match name {
            "Format" => Some(string(args, 0).map(|l| Value::from(self.format(l)))),
            "In" => None,
            _ => self.field(name).map(Ok),
        }
    }

    fn display(&self) -> String {
        self.go_string()
    }

    fn to_data(&self) -> Value {
        Value::from(self.format("2006-01-02T15:04:05.999999999Z07:00"))
    }
}

fn time_value(t: Time) -> Value {
    Value::Object(Rc::new(t))
}

/// The `time.Time` argument, if it is one.
fn as_time(v: &Value) -> Option<Time> {
    match v {
        Value::Object(o) if o.type_name() == "time.Time" => {
            let unix = match o.field("Unix") {
                Some(Value::Int64(u)) => u,
                _ => return None,
            };
            let nanos = match o.field("Nanosecond") {
                Some(Value::Int(n)) => n as u32,
                _ => 0,
            };
            let probe = Time::utc(unix, nanos);
            // Recover the zone from the printed offset.
            let shown = o.display();
            let zone = shown.rsplit(' ').next().unwrap_or("UTC").to_string();
            let offset_text = shown.rsplit(' ').nth(1).unwrap_or("+0000");
            let sign = if offset_text.starts_with('-') { -1 } else { 1 };
            let digits: i32 = offset_text[1..].parse().unwrap_or(0);
            Some(Time {
                offset: sign * (digits / 100 * 3600 + digits % 100 * 60),
                zone,
                ..probe
            })
        }
        _ => None,
    }
}

fn time_arg(a: &[Value], i: usize) -> Result<Time, String> {
    as_time(nth(a, i)).ok_or_else(|| wrong_type("time.Time", nth(a, i)))
}

fn ctx_now(ctx: &Ctx) -> Time {
    Time::utc(ctx.now_unix, ctx.now_nanos)
}

fn now(ctx: &mut Ctx, _: &[Value]) -> FuncResult {
    Ok(time_value(ctx_now(ctx)))
}

/// The instant `dateInZone` and friends take: a `time.Time`, or Unix seconds as `int`/`int64`;
/// anything else means now.
fn instant(ctx: &Ctx, v: &Value) -> Time {
    match v {
        Value::Int(n) | Value::Int64(n) => Time::utc(*n, 0),
        other => as_time(other).unwrap_or_else(|| ctx_now(ctx)),
    }
}

fn format_in_zone(ctx: &Ctx, layout: &str, date: &Value, zone: &str) -> FuncResult {
    Ok(Value::from(instant(ctx, date).in_zone(zone).format(layout)))
}

fn date(ctx: &mut Ctx, a: &[Value]) -> FuncResult {
    format_in_zone(ctx, string(a, 0)?, nth(a, 1), "Local")
}

fn date_in_zone(ctx: &mut Ctx, a: &[Value]) -> FuncResult {
    format_in_zone(ctx, string(a, 0)?, nth(a, 1), string(a, 2)?)
}

fn html_date(ctx: &mut Ctx, a: &[Value]) -> FuncResult {
    format_in_zone(ctx, "2006-01-02", nth(a, 0), "Local")
}

fn html_date_in_zone(ctx: &mut Ctx, a: &[Value]) -> FuncResult {
    format_in_zone(ctx, "2006-01-02", nth(a, 0), string(a, 1)?)
}

fn add_nanos(t: &Time, d: i64) -> Time {
    let total = i128::from(t.unix) * 1_000_000_000 + i128::from(t.nanos) + i128::from(d);
    Time {
        unix: total.div_euclid(1_000_000_000) as i64,
        nanos: total.rem_euclid(1_000_000_000) as u32,
        ..t.clone()
    }
}

fn date_modify(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let modifier = string(a, 0)?;
    let t = time_arg(a, 1)?;
    Ok(time_value(match parse_duration(modifier) {
        Ok(d) => add_nanos(&t, d),
        Err(_) => t,
    }))
}

fn must_date_modify(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let modifier = string(a, 0)?;
    let t = time_arg(a, 1)?;
    Ok(time_value(add_nanos(&t, parse_duration(modifier)?)))
}

fn since_nanos(ctx: &Ctx, t: &Time) -> i64 {
    let now = i128::from(ctx.now_unix) * 1_000_000_000 + i128::from(ctx.now_nanos);
    let then = i128::from(t.unix) * 1_000_000_000 + i128::from(t.nanos);
    (now - then).clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// Go's `Duration.Round(time.Second)` (halves away from zero).
fn round_to_second(d: i64) -> i64 {
    let m = 1_000_000_000;
    let r = d % m;
    if d < 0 {
        if -r + -r < m {
            d - r
        } else {
            d - r - m
        }
    } else if r + r < m {
        d - r
    } else {
        d - r + m
    }
}

fn ago(ctx: &mut Ctx, a: &[Value]) -> FuncResult {
    let t = match nth(a, 0) {
        Value::Int(n) | Value::Int64(n) => Time::utc(*n, 0),
        other => as_time(other).unwrap_or_else(|| ctx_now(ctx)),
    };
    Ok(Value::from(duration_string(round_to_second(since_nanos(
        ctx, &t,
    )))))
}

fn duration(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let n = match nth(a, 0) {
        Value::String(s) => s.parse::<i64>().unwrap_or(0),
        Value::Int64(n) => *n,
        _ => 0,
    };
    Ok(Value::from(duration_string(n.wrapping_mul(1_000_000_000))))
}

fn duration_round(ctx: &mut Ctx, a: &[Value]) -> FuncResult {
    let d: i64 = match nth(a, 0) {
        Value::String(s) => parse_duration(s).unwrap_or(0),
        Value::Int64(n) => *n,
        other => match as_time(other) {
            Some(t) => since_nanos(ctx, &t),
            None => 0,
        },
    };
    let u = d.unsigned_abs();
    let second = 1_000_000_000u64;
    let (minute, hour) = (60 * second, 3600 * second);
    let (day, month, year) = (24 * hour, 30 * 24 * hour, 365 * 24 * hour);
    let text = if u > year {
        format!("{}y", u / year)
    } else if u > month {
        format!("{}mo", u / month)
    } else if u > day {
        format!("{}d", u / day)
    } else if u > hour {
        format!("{}h", u / hour)
    } else if u > minute {
        format!("{}m", u / minute)
    } else if u > second {
        format!("{}s", u / second)
    } else {
        "0s".into()
    };
    Ok(Value::from(text))
}

/// Go's `time.Parse(layout, value)` (in UTC) for the numeric layouts charts use.
pub fn parse_time(layout: &str, value: &str) -> Result<Time, String> {
    let err = |elem: &str, rest: &str| {
        format!(
            "parsing time {} as {}: cannot parse {} as {}",
            super::conv::go_quote(value),
            super::conv::go_quote(layout),
            super::conv::go_quote(rest),
            super::conv::go_quote(elem)
        )
    };
    let (mut year, mut month, mut day) = (1i64, 1u32, 1u32);
    let (mut hour, mut minute, mut second, mut nanos) = (0u32, 0u32, 0u32, 0u32);
    let mut offset: i32 = 0;
    let mut pm: Option<bool> = None;
    let mut v = value;
    let take_num = |v: &mut &str, min: usize, max: usize| -> Option<u32> {
        let n = v.bytes().take(max).take_while(u8::is_ascii_digit).count();
        if n < min {
            return None;
        }
        let x = v[..n].parse().ok()?;
        *v = &v[n..];
        Some(x)
    };
    for chunk in layout_chunks(layout) {
        let before = v;
        match chunk {
            Chunk::Lit(l) => {
                v = v.strip_prefix(l).ok_or_else(|| err(l, before))?;
            }
            Chunk::Std(std) => {
                let bad = || err(&std_text(std), before);
                match std {
                    Std::LongYear => year = i64::from(take_num(&mut v, 4, 4).ok_or_else(bad)?),
                    Std::Year => {
                        let y = take_num(&mut v, 2, 2).ok_or_else(bad)?;
                        year = i64::from(if y >= 69 { 1900 + y } else { 2000 + y });
                    }
                    Std::ZeroMonth | Std::NumMonth => {
                        month = take_num(&mut v, if std == Std::ZeroMonth { 2 } else { 1 }, 2)
                            .ok_or_else(bad)?
                    }
                    Std::Month | Std::LongMonth => {
                        let idx = MONTHS.iter().position(|m| {
                            let name = if std == Std::Month { &m[..3] } else { m };
                            v.get(..name.len())
                                .is_some_and(|p| p.eq_ignore_ascii_case(name))
                        });
                        let i = idx.ok_or_else(bad)?;
                        let len = if std == Std::Month {
                            3
                        } else {
                            MONTHS[i].len()
                        };
                        v = &v[len..];
                        month = i as u32 + 1;
                    }
                    Std::WeekDay | Std::LongWeekDay => {
                        let idx = DAYS.iter().position(|d| {
                            let name = if std == Std::WeekDay { &d[..3] } else { d };
                            v.get(..name.len())
                                .is_some_and(|p| p.eq_ignore_ascii_case(name))
                        });
                        let i = idx.ok_or_else(bad)?;
                        v = &v[if std == Std::WeekDay {
                            3
                        } else {
                            DAYS[i].len()
                        }..];
                    }
                    Std::ZeroDay | Std::Day | Std::UnderDay => {
                        if std == Std::UnderDay {
                            v = v.strip_prefix(' ').unwrap_or(v);
                        }
                        day = take_num(&mut v, if std == Std::ZeroDay { 2 } else { 1 }, 2)
                            .ok_or_else(bad)?
                    }
                    Std::Hour => hour = take_num(&mut v, 2, 2).ok_or_else(bad)?,
                    Std::Hour12 | Std::ZeroHour12 => {
                        hour = take_num(&mut v, if std == Std::ZeroHour12 { 2 } else { 1 }, 2)
                            .ok_or_else(bad)?
                    }
                    Std::Minute | Std::ZeroMinute => {
                        minute = take_num(&mut v, if std == Std::ZeroMinute { 2 } else { 1 }, 2)
                            .ok_or_else(bad)?
                    }
                    Std::Second | Std::ZeroSecond => {
                        second = take_num(&mut v, if std == Std::ZeroSecond { 2 } else { 1 }, 2)
                            .ok_or_else(bad)?;
                        // A fraction after seconds is accepted even when the layout has none.
                        if v.starts_with(['.', ','])
                            && v[1..].starts_with(|c: char| c.is_ascii_digit())
                        {
                            let n = v[1..].bytes().take_while(u8::is_ascii_digit).count();
                            let digits = &v[1..1 + n];
                            nanos = format!("{:0<9}", &digits[..n.min(9)]).parse().unwrap_or(0);
                            v = &v[1 + n..];
                        }
                    }
                    Std::Frac { digits, trim, .. } => {
                        if !v.starts_with(['.', ',']) {
                            if trim {
                                continue;
                            }
                            return Err(bad());
                        }
                        let n = v[1..].bytes().take_while(u8::is_ascii_digit).count();
                        if !trim && n != digits {
                            return Err(bad());
                        }
                        nanos = format!("{:0<9}", &v[1..1 + n.min(9)]).parse().unwrap_or(0);
                        v = &v[1 + n..];
                    }
                    Std::PM | Std::Pm => {
                        let p = v.get(..2).ok_or_else(bad)?;
                        pm = Some(match p.to_ascii_uppercase().as_str() {
                            "PM" => true,
                            "AM" => false,
                            _ => return Err(bad()),
                        });
                        v = &v[2..];
                    }
                    Std::Tz => {
                        let n = v.bytes().take_while(u8::is_ascii_uppercase).count();
                        if n < 3 {
                            return Err(bad());
                        }
                        v = &v[n..];
                    }
                    Std::Zone {
                        iso,
                        colon,
                        minutes,
                        seconds,
                    } => {
                        if iso && v.starts_with('Z') {
                            v = &v[1..];
                            continue;
                        }
                        let sign = match v.as_bytes().first() {
                            Some(b'+') => 1,
                            Some(b'-') => -1,
                            _ => return Err(bad()),
                        };
                        v = &v[1..];
                        let h = take_num(&mut v, 2, 2).ok_or_else(bad)?;
                        let mut m = 0;
                        let mut s = 0;
                        if minutes {
                            if colon {
                                v = v.strip_prefix(':').ok_or_else(bad)?;
                            }
                            m = take_num(&mut v, 2, 2).ok_or_else(bad)?;
                        }
                        if seconds {
                            if colon {
                                v = v.strip_prefix(':').ok_or_else(bad)?;
                            }
                            s = take_num(&mut v, 2, 2).ok_or_else(bad)?;
                        }
                        offset = sign * (h * 3600 + m * 60 + s) as i32;
                    }
                    Std::UnderYearDay | Std::ZeroYearDay => {
                        take_num(&mut v, 3, 3).ok_or_else(bad)?;
                    }
                }
            }
        }
    }
    if !v.is_empty() {
        return Err(format!(
            "parsing time {}: extra text: {}",
            super::conv::go_quote(value),
            super::conv::go_quote(v)
        ));
    }
    if let Some(pm) = pm {
        if hour > 12 {
            return Err(format!(
                "parsing time {}: hour out of range",
                super::conv::go_quote(value)
            ));
        }
        hour = match (pm, hour) {
            (true, h) if h < 12 => h + 12,
            (false, 12) => 0,
            (_, h) => h,
        };
    }
    let month_days = [
        31,
        if is_leap(year) { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&month) {
        return Err(format!(
            "parsing time {}: month out of range",
            super::conv::go_quote(value)
        ));
    }
    if day < 1 || day > month_days[month as usize - 1] || hour > 23 || minute > 59 || second > 59 {
        return Err(format!(
            "parsing time {}: {} out of range",
            super::conv::go_quote(value),
            if !(1..=31).contains(&day) {
                "day"
            } else if hour > 23 {
                "hour"
            } else if minute > 59 {
                "minute"
            } else if second > 59 {
                "second"
            } else {
                "day"
            }
        ));
    }
    let unix = days_from_civil(year, month, day) * 86_400
        + i64::from(hour * 3600 + minute * 60 + second)
        - i64::from(offset);
    Ok(Time {
        unix,
        nanos,
        offset,
        zone: if offset == 0 {
            "UTC".into()
        } else {
            String::new()
        },
    })
}

fn std_text(std: Std) -> String {
    match std {
        Std::LongMonth => "January".into(),
        Std::Month => "Jan".into(),
        Std::NumMonth => "1".into(),
        Std::ZeroMonth => "01".into(),
        Std::LongWeekDay => "Monday".into(),
        Std::WeekDay => "Mon".into(),
        Std::Day => "2".into(),
        Std::UnderDay => "_2".into(),
        Std::ZeroDay => "02".into(),
        Std::UnderYearDay => "__2".into(),
        Std::ZeroYearDay => "002".into(),
        Std::Hour => "15".into(),
        Std::Hour12 => "3".into(),
        Std::ZeroHour12 => "03".into(),
        Std::Minute => "4".into(),
        Std::ZeroMinute => "04".into(),
        Std::Second => "5".into(),
        Std::ZeroSecond => "05".into(),
        Std::LongYear => "2006".into(),
        Std::Year => "06".into(),
        Std::PM => "PM".into(),
        Std::Pm => "pm".into(),
        Std::Tz => "MST".into(),
        Std::Zone {
            iso,
            colon,
            minutes,
            seconds,
        } => {
            let mut s = String::from(if iso { "Z07" } else { "-07" });
            if minutes {
                s.push_str(if colon { ":00" } else { "00" });
            }
            if seconds {
                s.push_str(if colon { ":00" } else { "00" });
            }
            s
        }
        Std::Frac { sep, digits, trim } => {
            format!("{sep}{}", if trim { "9" } else { "0" }.repeat(digits))
        }
    }
}

/// The zero `time.Time` (`0001-01-01 00:00:00 +0000 UTC`).
fn zero_time() -> Time {
    Time::utc(-62_135_596_800, 0)
}

fn to_date(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let layout = string(a, 0)?;
    let text = string(a, 1)?;
    Ok(time_value(
        parse_time(layout, text).unwrap_or_else(|_| zero_time()),
    ))
}

fn must_to_date(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let layout = string(a, 0)?;
    let text = string(a, 1)?;
    Ok(time_value(parse_time(layout, text)?))
}

fn unix_epoch(_: &mut Ctx, a: &[Value]) -> FuncResult {
    Ok(Value::from(time_arg(a, 0)?.unix.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_format_as_go() {
        // 2026-12-04T12:59:08.123456789Z, a Friday.
        let t = Time::utc(1_796_389_148, 123_456_789);
        assert_eq!(
            t.format("2006-01-02T15:04:05Z07:00"),
            "2026-12-04T12:59:08Z"
        );
        assert_eq!(t.go_string(), "2026-12-04 12:59:08.123456789 +0000 UTC");
        assert_eq!(
            t.format("Mon Jan _2 3:4:5 PM MST 06 .000 ,999"),
            "Fri Dec  4 12:59:8 PM UTC 26 .123 ,123"
        );
        assert_eq!(
            t.format("Monday, January 2 002 -07:00"),
            "Friday, December 4 338 +00:00"
        );
        if std::path::Path::new("/usr/share/zoneinfo/America/New_York").exists() {
            let ny = t.in_zone("America/New_York");
            assert_eq!(
                ny.format("2006-01-02 15:04 MST Z0700"),
                "2026-12-04 07:59 EST -0500"
            );
            let summer = Time::utc(1_782_000_000, 0).in_zone("America/New_York");
            assert_eq!(summer.format("15:04 MST -07:00"), "20:00 EDT -04:00");
            assert_eq!(
                t.in_zone("Asia/Kolkata").format("15:04 -0700"),
                "18:29 +0530"
            );
            let gmt5 = t.in_zone("Etc/GMT+5");
            assert_eq!(
                gmt5.format("2006-01-02 15:04 MST Z0700"),
                "2026-12-04 07:59 -05 -0500"
            );
        }
        assert_eq!(t.in_zone("No/Such_Zone").format("MST"), "UTC");
        assert_eq!(Time::utc(0, 0).format(time_layout_kitchen()), "12:00AM");
    }

    fn time_layout_kitchen() -> &'static str {
        "3:04PM"
    }

    #[test]
    fn durations_print_and_parse_as_go() {
        assert_eq!(duration_string(0), "0s");
        assert_eq!(duration_string(90 * 1_000_000_000), "1m30s");
        assert_eq!(duration_string(3_723_500_000_000), "1h2m3.5s");
        assert_eq!(duration_string(1_500_000), "1.5ms");
        assert_eq!(duration_string(-2_000), "-2µs");
        assert_eq!(parse_duration("1h30m"), Ok(5_400_000_000_000));
        assert_eq!(parse_duration("-1.5s"), Ok(-1_500_000_000));
        assert_eq!(
            parse_duration("x"),
            Err("time: invalid duration \"x\"".into())
        );
        assert_eq!(
            parse_duration("5"),
            Err("time: missing unit in duration \"5\"".into())
        );
    }

    #[test]
    fn dates_parse_as_go() {
        let t = parse_time("2006-01-02", "2024-02-29").unwrap();
        assert_eq!(t.unix, 1_709_164_800);
        let t = parse_time("2006-01-02T15:04:05Z07:00", "2024-01-01T10:00:00+02:00").unwrap();
        assert_eq!(t.unix, 1_704_096_000);
        assert_eq!(
            parse_time("2006-01-02", "x").unwrap_err(),
            "parsing time \"x\" as \"2006-01-02\": cannot parse \"x\" as \"2006\""
        );
        assert_eq!(zero_time().go_string(), "0001-01-01 00:00:00 +0000 UTC");
    }
}
