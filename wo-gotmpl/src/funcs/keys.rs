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

/// An ECDSA P-256 key as Go's `MarshalECPrivateKey` writes it, in PEM.
fn ecdsa_key_pem(ctx: &mut Ctx) -> String {
    let curve = Curve::p256();
    let d = loop {
        let mut buf = [0u8; 32];
        ctx.fill(&mut buf);
        let d = BigUint::from_bytes_be(&buf);
        if d != BigUint::from(0u32) && d < curve.n {
            break d;
        }
    };
    let (x, y) = curve.base_mul(&d).expect("d is below the group order");
    debug_assert!(curve.on_curve(&x, &y), "the public point is on P-256");
    let mut point = vec![0u8, 0x04];
    point.extend(fixed32(&x));
    point.extend(fixed32(&y));
    let body = [
        der(0x02, &[1]),
        der(0x04, &fixed32(&d)),
        der(0xa0, &oid(&[1, 2, 840, 10_045, 3, 1, 7])),
        der(0xa1, &der(0x03, &point)),
    ]
    .concat();
    pem("EC PRIVATE KEY", &der(0x30, &body))
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
        "ecdsa" => ecdsa_key_pem(ctx),
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
