//! Sprig's digests and encodings (`crypto.go`, `strings.go`): `sha1sum`, `sha256sum`,
//! `sha512sum`, `adler32sum`, `b64enc`/`b64dec`, `b32enc`/`b32dec` with Go's exact results
//! (decoding errors come back as the result text, as Sprig returns them).

use sha2::{Digest, Sha256, Sha512};

use crate::func::{Ctx, FuncDef, FuncResult};
use crate::value::Value;

use super::args::string;
use super::def;

/// The digest and encoding functions.
pub(super) const FUNCS: &[FuncDef] = &[
    def("sha1sum", 1, Some(1), sha1sum),
    def("sha256sum", 1, Some(1), sha256sum),
    def("sha512sum", 1, Some(1), sha512sum),
    def("adler32sum", 1, Some(1), adler32sum),
    def("b64enc", 1, Some(1), b64enc),
    def("b64dec", 1, Some(1), b64dec),
    def("b32enc", 1, Some(1), b32enc),
    def("b32dec", 1, Some(1), b32dec),
];

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-1 (FIPS 180-4).
pub(crate) fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [
        0x6745_2301,
        0xEFCD_AB89,
        0x98BA_DCFE,
        0x1032_5476,
        0xC3D2_E1F0,
    ];
    let mut msg = data.to_vec();
    let bit_len = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bit_len.to_be_bytes());
    for block in msg.chunks(64) {
        let mut w = [0u32; 80];
        for (i, word) in block.chunks(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A82_7999),
                20..=39 => (b ^ c ^ d, 0x6ED9_EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
                _ => (b ^ c ^ d, 0xCA62_C1D6),
            };
            let t = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 20];
    for (i, x) in h.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&x.to_be_bytes());
    }
    out
}

fn sha1sum(_: &mut Ctx, a: &[Value]) -> FuncResult {
    Ok(Value::from(hex(&sha1(string(a, 0)?.as_bytes()))))
}

fn sha256sum(_: &mut Ctx, a: &[Value]) -> FuncResult {
    Ok(Value::from(hex(&Sha256::digest(string(a, 0)?.as_bytes()))))
}

fn sha512sum(_: &mut Ctx, a: &[Value]) -> FuncResult {
    Ok(Value::from(hex(&Sha512::digest(string(a, 0)?.as_bytes()))))
}

/// `adler32sum`: the Adler-32 checksum in decimal.
fn adler32sum(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let (mut s1, mut s2) = (1u32, 0u32);
    for b in string(a, 0)?.bytes() {
        s1 = (s1 + u32::from(b)) % 65521;
        s2 = (s2 + s1) % 65521;
    }
    Ok(Value::from(((s2 << 16) | s1).to_string()))
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Padded encoding with `bits` bits per symbol (6: base64, 5: base32).
fn encode(data: &[u8], alphabet: &[u8], bits: u32) -> String {
    let group = if bits == 6 { 3 } else { 5 };
    let symbols = group * 8 / bits as usize;
    let mut out = String::new();
    for chunk in data.chunks(group) {
        let mut acc: u64 = 0;
        for (i, b) in chunk.iter().enumerate() {
            acc |= u64::from(*b) << (8 * (group - 1 - i));
        }
        let used = (chunk.len() * 8).div_ceil(bits as usize);
        for i in 0..symbols {
            if i < used {
                let shift = bits as usize * (symbols - 1 - i);
                out.push(alphabet[((acc >> shift) & ((1 << bits) - 1)) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Go's `StdEncoding.DecodeString` for base64 (6 bits) or base32 (5 bits): newlines are
/// skipped, padding is required; an error names the input byte as Go's `CorruptInputError`.
fn decode(text: &str, alphabet: &[u8], bits: u32) -> Result<Vec<u8>, String> {
    let symbols = if bits == 6 { 4 } else { 8 };
    let src: Vec<(usize, u8)> = text
        .bytes()
        .enumerate()
        .filter(|(_, b)| *b != b'\n' && *b != b'\r')
        .collect();
    let corrupt = |at: usize| {
        Err(format!(
            "illegal base{} data at input byte {at}",
            if bits == 6 { 64 } else { 32 }
        ))
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < src.len() {
        let quantum_start = src[i].0;
        let mut acc: u64 = 0;
        let mut n = 0;
        let mut padded = false;
        while n < symbols {
            let Some(&(pos, b)) = src.get(i) else {
                return corrupt(quantum_start);
            };
            if b == b'=' {
                // Padding, as Go's decoder checks it: not before the third symbol of a
                // quantum, every `=` the quantum needs, then nothing but newlines.
                if n < 2 {
                    return corrupt(pos);
                }
                let rest = &src[i..];
                let needed = symbols - n;
                for k in 1..needed {
                    match rest.get(k) {
                        None => return corrupt(text.len()),
                        Some((_, c)) if *c != b'=' => return corrupt(rest[k].0 - 1),
                        Some(_) => {}
                    }
                }
                if rest.len() > needed {
                    return corrupt(rest[needed].0);
                }
                i = src.len();
                padded = true;
                break;
            }
            let Some(v) = alphabet.iter().position(|c| *c == b) else {
                return corrupt(pos);
            };
            acc = (acc << bits) | v as u64;
            n += 1;
            i += 1;
        }
        let bytes = n * bits as usize / 8;
        let acc = acc << (bits as usize * (symbols - n));
        let total = symbols * bits as usize / 8;
        for k in 0..bytes {
            out.push((acc >> (8 * (total - 1 - k))) as u8);
        }
        if padded {
            break;
        }
    }
    Ok(out)
}

/// Base64 (standard, padded) of bytes.
pub(crate) fn base64_encode(data: &[u8]) -> String {
    encode(data, B64, 6)
}

/// Go's `base64.StdEncoding.DecodeString`.
pub(crate) fn base64_decode(text: &str) -> Result<Vec<u8>, String> {
    decode(text, B64, 6)
}

fn b64enc(_: &mut Ctx, a: &[Value]) -> FuncResult {
    Ok(Value::from(base64_encode(string(a, 0)?.as_bytes())))
}

fn b64dec(_: &mut Ctx, a: &[Value]) -> FuncResult {
    Ok(Value::from(match base64_decode(string(a, 0)?) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => e,
    }))
}

fn b32enc(_: &mut Ctx, a: &[Value]) -> FuncResult {
    Ok(Value::from(encode(string(a, 0)?.as_bytes(), B32, 5)))
}

fn b32dec(_: &mut Ctx, a: &[Value]) -> FuncResult {
    Ok(Value::from(match decode(string(a, 0)?, B32, 5) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => e,
    }))
}
