//! Sprig's random strings and identifiers, drawn from the context's seeded source so that a
//! render is reproducible (`randAlphaNum`, `randAlpha`, `randNumeric`, `randAscii`,
//! `randBytes`, `uuidv4`, `shuffle`).

use crate::func::{Ctx, FuncDef, FuncResult};
use crate::value::Value;

use super::args::{int, string};
use super::crypto::base64_encode;
use super::def;

/// The random functions.
pub(super) const FUNCS: &[FuncDef] = &[
    def("randAlphaNum", 1, Some(1), rand_alpha_num),
    def("randAlpha", 1, Some(1), rand_alpha),
    def("randNumeric", 1, Some(1), rand_numeric),
    def("randAscii", 1, Some(1), rand_ascii),
    def("randBytes", 1, Some(1), rand_bytes),
    def("uuidv4", 0, Some(0), uuidv4),
    def("shuffle", 1, Some(1), shuffle),
];

const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const DIGITS: &[u8] = b"0123456789";

fn draw(ctx: &mut Ctx, count: i64, chars: &[u8]) -> Result<Value, String> {
    if count < 0 {
        return Ok(Value::str(""));
    }
    let text: String = (0..count)
        .map(|_| chars[ctx.below(chars.len() as u64) as usize] as char)
        .collect();
    Ok(Value::from(text))
}

fn rand_alpha_num(ctx: &mut Ctx, a: &[Value]) -> FuncResult {
    draw(ctx, int(a, 0)?, ALNUM)
}

fn rand_alpha(ctx: &mut Ctx, a: &[Value]) -> FuncResult {
    draw(ctx, int(a, 0)?, ALPHA)
}

fn rand_numeric(ctx: &mut Ctx, a: &[Value]) -> FuncResult {
    draw(ctx, int(a, 0)?, DIGITS)
}

/// `randAscii`: printable ASCII from `' '` to `'~'`.
fn rand_ascii(ctx: &mut Ctx, a: &[Value]) -> FuncResult {
    let printable: Vec<u8> = (b' '..=b'~').collect();
    draw(ctx, int(a, 0)?, &printable)
}

/// `randBytes N`: N random bytes, base64-encoded.
fn rand_bytes(ctx: &mut Ctx, a: &[Value]) -> FuncResult {
    let n = int(a, 0)?;
    if n < 0 {
        return Err("runtime error: makeslice: len out of range".into());
    }
    let mut buf = vec![0u8; n as usize];
    ctx.fill(&mut buf);
    Ok(Value::from(base64_encode(&buf)))
}

/// A version-4 UUID from the context's random source (`xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`).
pub(crate) fn uuid_v4(ctx: &mut Ctx) -> String {
    let mut b = [0u8; 16];
    ctx.fill(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

fn uuidv4(ctx: &mut Ctx, _: &[Value]) -> FuncResult {
    Ok(Value::from(uuid_v4(ctx)))
}

/// `shuffle`: the runes in a random order (Fisher–Yates over the context's source).
fn shuffle(ctx: &mut Ctx, a: &[Value]) -> FuncResult {
    let mut runes: Vec<char> = string(a, 0)?.chars().collect();
    for i in (1..runes.len()).rev() {
        let j = ctx.below(i as u64 + 1) as usize;
        runes.swap(i, j);
    }
    Ok(Value::from(runes.into_iter().collect::<String>()))
}
