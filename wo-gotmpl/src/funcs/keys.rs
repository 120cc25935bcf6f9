//! `genPrivateKey TYPE`: RSA (4096 bits, PKCS#1 `RSA PRIVATE KEY`), ECDSA P-256 (SEC 1
//! `EC PRIVATE KEY` with the public point, as Go's `x509.MarshalECPrivateKey` writes it) and
//! Ed25519 (PKCS#8 `PRIVATE KEY` of the seed), from the context's seeded source. DSA, whose
//! parameter generation Go does from scratch, is not offered: its text says so.

use rsa::BigUint;

use crate::func::{Ctx, FuncDef, FuncResult};
use crate::value::Value;

use super::args::string;
use super::certs::{der, oid, pem, rsa_key_pem};
use super::def;

/// The key function.
pub(super) const FUNCS: &[FuncDef] = &[def("genPrivateKey", 1, Some(1), gen_private_key)];

fn hex(s: &str) -> BigUint {
    BigUint::parse_bytes(s.as_bytes(), 16).expect("a valid constant")
}

/// P-256 in Jacobian coordinates (`a = -3`).
struct Curve {
    p: BigUint,
    n: BigUint,
    b: BigUint,
    gx: BigUint,
    gy: BigUint,
}

type Jacobian = Option<(BigUint, BigUint, BigUint)>;

impl Curve {
    fn p256() -> Curve {
        Curve {
            p: hex("FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF"),
            n: hex("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551"),
            b: hex("5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B"),
            gx: hex("6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296"),
            gy: hex("4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5"),
        }
    }

    fn m(&self, x: BigUint) -> BigUint {
        x % &self.p
    }

    fn sub(&self, a: &BigUint, b: &BigUint) -> BigUint {
        self.m(a + &self.p - (b % &self.p))
    }

    fn double(&self, pt: &Jacobian) -> Jacobian {
        let (x, y, z) = pt.as_ref()?;
        if y == &BigUint::from(0u32) {
            return None;
        }
        let delta = self.m(z * z);
        let gamma = self.m(y * y);
        let beta = self.m(x * &gamma);
        let alpha = self.m(BigUint::from(3u32) * self.sub(x, &delta) * self.m(x + &delta));
        let x3 = self.sub(
            &self.m(&alpha * &alpha),
            &self.m(BigUint::from(8u32) * &beta),
        );
        let z3 = self.sub(&self.sub(&self.m((y + z) * (y + z)), &gamma), &delta);
        let y3 = self.sub(
            &self.m(&alpha * self.sub(&self.m(BigUint::from(4u32) * &beta), &x3)),
            &self.m(BigUint::from(8u32) * &gamma * &gamma),
        );
        Some((x3, y3, z3))
    }

    /// `pt + (x2, y2)` with the second point affine.
    fn add_affine(&self, pt: &Jacobian, x2: &BigUint, y2: &BigUint) -> Jacobian {
        let Some((x1, y1, z1)) = pt else {
            return Some((x2.clone(), y2.clone(), BigUint::from(1u32)));
        };
        let z1z1 = self.m(z1 * z1);
        let u2 = self.m(x2 * &z1z1);
        let s2 = self.m(y2 * z1 * &z1z1);
        let h = self.sub(&u2, x1);
        let r = self.m(BigUint::from(2u32) * self.sub(&s2, y1));
        if h == BigUint::from(0u32) {
            return if r == BigUint::from(0u32) {
                self.double(&Some((x2.clone(), y2.clone(), BigUint::from(1u32))))
            } else {
                None
            };
        }
        let hh = self.m(&h * &h);
        let i = self.m(BigUint::from(4u32) * &hh);
        let j = self.m(&h * &i);
        let v = self.m(x1 * &i);
        let x3 = self.sub(
            &self.sub(&self.m(&r * &r), &j),
            &self.m(BigUint::from(2u32) * &v),
        );
        let y3 = self.sub(
            &self.m(&r * self.sub(&v, &x3)),
            &self.m(BigUint::from(2u32) * y1 * &j),
        );
        let z3 = self.sub(&self.sub(&self.m((z1 + &h) * (z1 + &h)), &z1z1), &hh);
        Some((x3, y3, z3))
    }

    /// `k·G` in affine coordinates.
    fn base_mul(&self, k: &BigUint) -> Option<(BigUint, BigUint)> {
        let mut acc: Jacobian = None;
        for i in (0..k.bits()).rev() {
            acc = self.double(&acc);
            if (k >> i) & BigUint::from(1u32) == BigUint::from(1u32) {
                acc = self.add_affine(&acc, &self.gx, &self.gy);
            }
        }
        let (x, y, z) = acc?;
        let zinv = z.modpow(&(&self.p - BigUint::from(2u32)), &self.p);
        let zinv2 = self.m(&zinv * &zinv);
        Some((self.m(x * &zinv2), self.m(y * zinv2 * zinv)))
    }

    fn on_curve(&self, x: &BigUint, y: &BigUint) -> bool {
        let rhs = self.sub(
            &self.m(x * x * x + &self.b),
            &self.m(BigUint::from(3u32) * x),
        );
        self.m(y * y) == rhs
    }
}

fn fixed32(x: &BigUint) -> Vec<u8> {
    let bytes = x.to_bytes_be();
    let mut out = vec![0u8; 32 - bytes.len().min(32)];
    out.extend_from_slice(&bytes);
    out
}

/// An ECDSA P-256 private key and its public point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct EcKey {
    d: BigUint,
    x: BigUint,
    y: BigUint,
}

const P256: &[u64] = &[1, 2, 840, 10_045, 3, 1, 7];

/// A random scalar in `[1, n)`.
fn random_scalar(ctx: &mut Ctx, curve: &Curve) -> BigUint {
    loop {
        let mut buf = [0u8; 32];
        ctx.fill(&mut buf);
        let k = BigUint::from_bytes_be(&buf);
        if k != BigUint::from(0u32) && k < curve.n {
            return k;
        }
    }
}

/// The content of a DER element of `tag` at the start of `b`, and the rest.
fn take(b: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&t, rest) = b.split_first()?;
    if t != tag {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        let len = rest
            .get(..n)?
            .iter()
            .fold(0usize, |l, b| l << 8 | usize::from(*b));
        (len, &rest[n..])
    };
    Some((rest.get(..len)?, &rest[len..]))
}

impl EcKey {
    /// A new key from the context's random source (`ecdsa.GenerateKey(elliptic.P256(), …)`).
    pub(super) fn generate(ctx: &mut Ctx) -> EcKey {
        let curve = Curve::p256();
        let d = random_scalar(ctx, &curve);
        EcKey::from_scalar(d).expect("d is below the group order")
    }

    fn from_scalar(d: BigUint) -> Option<EcKey> {
        let curve = Curve::p256();
        if d == BigUint::from(0u32) || d >= curve.n {
            return None;
        }
        let (x, y) = curve.base_mul(&d)?;
        debug_assert!(curve.on_curve(&x, &y), "the public point is on P-256");
        Some(EcKey { d, x, y })
    }

    /// The uncompressed public point `04 ‖ X ‖ Y`.
    pub(super) fn public_point(&self) -> Vec<u8> {
        let mut point = vec![0x04];
        point.extend(fixed32(&self.x));
        point.extend(fixed32(&self.y));
        point
    }

    /// SEC 1 `ECPrivateKey` DER, as Go's `x509.MarshalECPrivateKey` writes it.
    pub(super) fn sec1_der(&self) -> Vec<u8> {
        let mut bits = vec![0u8];
        bits.extend(self.public_point());
        let body = [
            der(0x02, &[1]),
            der(0x04, &fixed32(&self.d)),
            der(0xa0, &oid(P256)),
            der(0xa1, &der(0x03, &bits)),
        ]
        .concat();
        der(0x30, &body)
    }

    /// The key as `EC PRIVATE KEY` PEM.
    pub(super) fn pem(&self) -> String {
        pem("EC PRIVATE KEY", &self.sec1_der())
    }

    /// A P-256 key from SEC 1 DER (`EC PRIVATE KEY`).
    pub(super) fn from_sec1(b: &[u8]) -> Result<EcKey, String> {
        let bad = || "x509: failed to parse EC private key".to_string();
        let (body, _) = take(b, 0x30).ok_or_else(bad)?;
        let (_, rest) = take(body, 0x02).ok_or_else(bad)?;
        let (d, rest) = take(rest, 0x04).ok_or_else(bad)?;
        if let Some((curve, _)) = take(rest, 0xa0) {
            if curve != oid(P256) {
                return Err("x509: unknown elliptic curve".into());
            }
        }
        EcKey::from_scalar(BigUint::from_bytes_be(d)).ok_or_else(bad)
    }

    /// A P-256 key from PKCS#8 DER, when it holds one.
    pub(super) fn from_pkcs8(b: &[u8]) -> Option<EcKey> {
        let (body, _) = take(b, 0x30)?;
        let (_, rest) = take(body, 0x02)?;
        let (alg, rest) = take(rest, 0x30)?;
        if !alg.starts_with(&oid(&[1, 2, 840, 10_045, 2, 1])) {
            return None;
        }
        let (sec1, _) = take(rest, 0x04)?;
        EcKey::from_sec1(sec1).ok()
    }

    /// The `SubjectPublicKeyInfo` DER.
    pub(super) fn spki(&self) -> Vec<u8> {
        let alg = der(0x30, &[oid(&[1, 2, 840, 10_045, 2, 1]), oid(P256)].concat());
        let mut bits = vec![0u8];
        bits.extend(self.public_point());
        der(0x30, &[alg, der(0x03, &bits)].concat())
    }

    /// An ECDSA signature (DER `SEQUENCE { r, s }`) of a SHA-256 digest, its nonce from the
    /// context's random source.
    pub(super) fn sign(&self, ctx: &mut Ctx, digest: &[u8]) -> Vec<u8> {
        let curve = Curve::p256();
        let z = BigUint::from_bytes_be(digest);
        loop {
            let k = random_scalar(ctx, &curve);
            let Some((x1, _)) = curve.base_mul(&k) else {
                continue;
            };
            let r = &x1 % &curve.n;
            if r == BigUint::from(0u32) {
                continue;
            }
            let k_inv = k.modpow(&(&curve.n - BigUint::from(2u32)), &curve.n);
            let s = (k_inv * ((&z + &r * &self.d) % &curve.n)) % &curve.n;
            if s == BigUint::from(0u32) {
                continue;
            }
            let int = |v: &BigUint| {
                let mut bytes = v.to_bytes_be();
                if bytes[0] & 0x80 != 0 {
                    bytes.insert(0, 0);
                }
                der(0x02, &bytes)
            };
            return der(0x30, &[int(&r), int(&s)].concat());
        }
    }

    /// Whether `sig` is a valid signature of `digest` (for tests).
    #[cfg(test)]
    pub(super) fn verify(&self, digest: &[u8], sig: &[u8]) -> bool {
        let curve = Curve::p256();
        let Some((body, _)) = take(sig, 0x30) else {
            return false;
        };
        let Some((r, rest)) = take(body, 0x02) else {
            return false;
        };
        let Some((s, _)) = take(rest, 0x02) else {
            return false;
        };
        let (r, s) = (BigUint::from_bytes_be(r), BigUint::from_bytes_be(s));
        let z = BigUint::from_bytes_be(digest);
        let w = s.modpow(&(&curve.n - BigUint::from(2u32)), &curve.n);
        let u1 = (&z * &w) % &curve.n;
        let u2 = (&r * &w) % &curve.n;
        // u1·G + u2·Q, by double-and-add over both scalars.
        let mut acc: Jacobian = None;
        for i in (0..256).rev() {
            acc = curve.double(&acc);
            if (&u1 >> i) & BigUint::from(1u32) == BigUint::from(1u32) {
                acc = curve.add_affine(&acc, &curve.gx, &curve.gy);
            }
            if (&u2 >> i) & BigUint::from(1u32) == BigUint::from(1u32) {
                acc = curve.add_affine(&acc, &self.x, &self.y);
            }
        }
        let Some((x, _, z3)) = acc else {
            return false;
        };
        let zinv = z3.modpow(&(&curve.p - BigUint::from(2u32)), &curve.p);
        let x = curve.m(x * curve.m(&zinv * &zinv));
        x % &curve.n == r
    }
}

/// An Ed25519 key as Go's `MarshalPKCS8PrivateKey` writes it (the seed), in PEM.
fn ed25519_key_pem(ctx: &mut Ctx) -> String {
    let mut seed = [0u8; 32];
    ctx.fill(&mut seed);
    let body = [
        der(0x02, &[0]),
        der(0x30, &oid(&[1, 3, 101, 112])),
        der(0x04, &der(0x04, &seed)),
    ]
    .concat();
    pem("PRIVATE KEY", &der(0x30, &body))
}

/// `genPrivateKey TYPE`; Sprig reports failures in the returned text.
fn gen_private_key(ctx: &mut Ctx, a: &[Value]) -> FuncResult {
    let text = match string(a, 0)? {
        "" | "rsa" => match rsa_key_pem(ctx, 4096) {
            Ok(pem) => pem,
            Err(e) => format!("failed to generate private key: {e}"),
        },
        "ecdsa" => EcKey::generate(ctx).pem(),
        "ed25519" => ed25519_key_pem(ctx),
        "dsa" => "failed to generate dsa params: DSA keys are not generated here".into(),
        other => format!("Unknown type {other}"),
    };
    Ok(Value::from(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p256_points_are_on_the_curve() {
        let curve = Curve::p256();
        assert!(curve.on_curve(&curve.gx, &curve.gy));
        let (x, y) = curve.base_mul(&BigUint::from(2u32)).unwrap();
        // 2G, from the curve's published test vectors.
        assert_eq!(
            fixed32(&x),
            fixed32(&hex(
                "7CF27B188D034F7E8A52380304B51AC3C08969E277F21B35A60B48FC47669978"
            ))
        );
        assert!(curve.on_curve(&x, &y));
        assert!(
            curve.base_mul(&curve.n).is_none(),
            "n·G is the point at infinity"
        );
    }

    #[test]
    fn ecdsa_signatures_verify_and_keys_read_back() {
        let mut ctx = Ctx::new([6; 32], 0);
        let key = EcKey::generate(&mut ctx);
        let digest = [7u8; 32];
        let sig = key.sign(&mut ctx, &digest);
        assert!(key.verify(&digest, &sig));
        assert!(!key.verify(&[8u8; 32], &sig));
        assert_eq!(EcKey::from_sec1(&key.sec1_der()).unwrap(), key);
    }

    #[test]
    fn keys_come_in_go_s_pem_forms() {
        let mut ctx = Ctx::new([4; 32], 0);
        let ec = gen_private_key(&mut ctx, &[Value::str("ecdsa")])
            .unwrap()
            .to_string();
        assert!(ec.starts_with("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI"));
        let ed = gen_private_key(&mut ctx, &[Value::str("ed25519")])
            .unwrap()
            .to_string();
        assert!(ed.starts_with("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI"));
        assert_eq!(
            gen_private_key(&mut ctx, &[Value::str("foo")])
                .unwrap()
                .to_string(),
            "Unknown type foo"
        );
    }
}
