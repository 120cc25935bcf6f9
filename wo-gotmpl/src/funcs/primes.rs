//! RSA prime generation in fixed-width Montgomery arithmetic: a sieve over small primes, then
//! Miller–Rabin. `rsa`'s own generator (on `num-bigint-dig`) takes seconds per key in an
//! unoptimized build; this keeps `genCA` and friends fast in tests and debug builds too.

use rsa::BigUint;

use crate::func::Ctx;

/// Little-endian 64-bit limbs.
type Limbs = Vec<u64>;

/// Arithmetic modulo an odd `m` in Montgomery form (`R = 2^(64·len)`).
struct Mont {
    m: Limbs,
    /// `-m⁻¹ mod 2⁶⁴`.
    minv: u64,
    /// `R mod m`: one, in Montgomery form.
    one: Limbs,
    /// `R² mod m`: converts into Montgomery form.
    r2: Limbs,
}

fn ge(a: &[u64], b: &[u64]) -> bool {
    for i in (0..a.len()).rev() {
        if a[i] != b[i] {
            return a[i] > b[i];
        }
    }
    true
}

fn sub_in_place(a: &mut [u64], b: &[u64]) {
    let mut borrow = 0u64;
    for i in 0..a.len() {
        let (d1, o1) = a[i].overflowing_sub(b[i]);
        let (d2, o2) = d1.overflowing_sub(borrow);
        a[i] = d2;
        borrow = u64::from(o1 || o2);
    }
}

impl Mont {
    fn new(m: &[u64]) -> Mont {
        let mut inv: u64 = 1;
        for _ in 0..6 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(m[0].wrapping_mul(inv)));
        }
        let k = m.len();
        // R mod m and R² mod m by doubling 1.
        let mut x = vec![0u64; k];
        x[0] = 1;
        let mut one = Vec::new();
        for step in 1..=2 * 64 * k {
            let carry = x[k - 1] >> 63;
            for i in (1..k).rev() {
                x[i] = (x[i] << 1) | (x[i - 1] >> 63);
            }
            x[0] <<= 1;
            if carry == 1 || ge(&x, m) {
                sub_in_place(&mut x, m);
            }
            if step == 64 * k {
                one = x.clone();
            }
        }
        Mont {
            m: m.to_vec(),
            minv: inv.wrapping_neg(),
            one,
            r2: x,
        }
    }

    /// `a·b·R⁻¹ mod m` (CIOS).
    fn mul(&self, a: &[u64], b: &[u64]) -> Limbs {
        let k = self.m.len();
        let mut t = vec![0u64; k + 2];
        for &bi in b.iter().take(k) {
            let mut c: u128 = 0;
            for j in 0..k {
                let s = u128::from(t[j]) + u128::from(a[j]) * u128::from(bi) + c;
                t[j] = s as u64;
                c = s >> 64;
            }
            let s = u128::from(t[k]) + c;
            t[k] = s as u64;
            t[k + 1] = (s >> 64) as u64;
            let u = t[0].wrapping_mul(self.minv);
            let s = u128::from(t[0]) + u128::from(u) * u128::from(self.m[0]);
            let mut c = s >> 64;
            for j in 1..k {
                let s = u128::from(t[j]) + u128::from(u) * u128::from(self.m[j]) + c;
                t[j - 1] = s as u64;
                c = s >> 64;
            }
            let s = u128::from(t[k]) + c;
            t[k - 1] = s as u64;
            t[k] = t[k + 1] + (s >> 64) as u64;
            t[k + 1] = 0;
        }
        let high = t[k];
        t.truncate(k);
        if high != 0 || ge(&t, &self.m) {
            sub_in_place(&mut t, &self.m);
        }
        t
    }

    /// `base^exp` in Montgomery form, `base` given in ordinary form.
    fn pow(&self, base: &[u64], exp: &[u64]) -> Limbs {
        let b = self.mul(base, &self.r2);
        let mut acc = self.one.clone();
        for i in (0..exp.len() * 64).rev() {
            acc = self.mul(&acc, &acc);
            if (exp[i / 64] >> (i % 64)) & 1 == 1 {
                acc = self.mul(&acc, &b);
            }
        }
        acc
    }
}

/// Odd primes below 2000, for the sieve.
fn small_primes() -> Vec<u64> {
    (3u64..2000)
        .step_by(2)
        .filter(|n| {
            (3..)
                .step_by(2)
                .take_while(|d| d * d <= *n)
                .all(|d| n % d != 0)
        })
        .collect()
}

fn rem_small(x: &[u64], p: u64) -> u64 {
    x.iter().rev().fold(0u128, |r, limb| {
        ((r << 64) | u128::from(*limb)) % u128::from(p)
    }) as u64
}

fn add_small(x: &mut [u64], v: u64) {
    let mut carry = v;
    for limb in x.iter_mut() {
        let (s, o) = limb.overflowing_add(carry);
        *limb = s;
        carry = u64::from(o);
        if carry == 0 {
            break;
        }
    }
}

fn random_limbs(ctx: &mut Ctx, k: usize) -> Limbs {
    (0..k).map(|_| ctx.next_u64()).collect()
}

/// Miller–Rabin with base 2 and `rounds` random bases.
fn probably_prime(ctx: &mut Ctx, n: &[u64], rounds: usize) -> bool {
    let k = n.len();
    let mont = Mont::new(n);
    let mut n_minus_1 = n.to_vec();
    sub_in_place(&mut n_minus_1, &{
        let mut one = vec![0u64; k];
        one[0] = 1;
        one
    });
    let s = n_minus_1
        .iter()
        .enumerate()
        .find(|(_, l)| **l != 0)
        .map_or(0, |(i, l)| i * 64 + l.trailing_zeros() as usize);
    let mut d = n_minus_1.clone();
    for _ in 0..s {
        for i in 0..k {
            d[i] = (d[i] >> 1) | if i + 1 < k { d[i + 1] << 63 } else { 0 };
        }
    }
    let mut minus_one = mont.m.clone();
    sub_in_place(&mut minus_one, &mont.one);
    for round in 0..=rounds {
        let base = if round == 0 {
            let mut two = vec![0u64; k];
            two[0] = 2;
            two
        } else {
            let mut a = random_limbs(ctx, k);
            a[k - 1] >>= 2; // below n, whose top bit is set
            if a.iter().all(|l| *l == 0) {
                a[0] = 3;
            }
            a
        };
        let mut x = mont.pow(&base, &d);
        if x == mont.one || x == minus_one {
            continue;
        }
        let mut witness = true;
        for _ in 1..s {
            x = mont.mul(&x, &x);
            if x == minus_one {
                witness = false;
                break;
            }
        }
        if witness {
            return false;
        }
    }
    true
}

/// A random prime of exactly `bits` bits (a multiple of 64) with its two top bits set and
/// `p - 1` prime to 65537.
fn random_prime(ctx: &mut Ctx, bits: usize, small: &[u64]) -> Limbs {
    let k = bits / 64;
    loop {
        let mut p = random_limbs(ctx, k);
        p[k - 1] |= 0xC000_0000_0000_0000;
        p[0] |= 1;
        let mut residues: Vec<u64> = small.iter().map(|sp| rem_small(&p, *sp)).collect();
        let mut e_residue = rem_small(&p, 65_537);
        // Walk odd numbers from the random start, a bounded way.
        for step in 0..(1u64 << 14) {
            if step > 0 {
                add_small(&mut p, 2);
                if p[k - 1] < 0xC000_0000_0000_0000 {
                    break; // wrapped past the top: draw again
                }
                for (r, sp) in residues.iter_mut().zip(small) {
                    *r = (*r + 2) % sp;
                }
                e_residue = (e_residue + 2) % 65_537;
            }
            if residues.contains(&0) || e_residue == 1 {
                continue;
            }
            if probably_prime(ctx, &p, 8) {
                return p;
            }
        }
    }
}

fn to_biguint(x: &[u64]) -> BigUint {
    let bytes: Vec<u8> = x.iter().rev().flat_map(|l| l.to_be_bytes()).collect();
    BigUint::from_bytes_be(&bytes)
}

/// An RSA key of `bits` bits (a multiple of 128) with public exponent 65537.
pub(crate) fn rsa_key(ctx: &mut Ctx, bits: usize) -> Result<rsa::RsaPrivateKey, String> {
    let small = small_primes();
    loop {
        let p = random_prime(ctx, bits / 2, &small);
        let q = random_prime(ctx, bits / 2, &small);
        if p == q {
            continue;
        }
        return rsa::RsaPrivateKey::from_p_q(
            to_biguint(&p),
            to_biguint(&q),
            BigUint::from(65_537u32),
        )
        .map_err(|e| format!("error generating rsa key: {e}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn montgomery_arithmetic_is_right() {
        // m = 2^127 - 1 (prime): 3^(m-1) = 1 and 3^((m-1)/2) = ±1.
        let m = vec![u64::MAX, u64::MAX >> 1];
        let mont = Mont::new(&m);
        let exp = vec![u64::MAX - 1, u64::MAX >> 1];
        assert_eq!(mont.pow(&[3, 0], &exp), mont.one);
        let mut ctx = Ctx::new([1; 32], 0);
        assert!(probably_prime(&mut ctx, &m, 8));
        // 2^128 - 159 is prime; 2^128 - 157 is not.
        assert!(probably_prime(&mut ctx, &[u64::MAX - 158, u64::MAX], 8));
        assert!(!probably_prime(&mut ctx, &[u64::MAX - 156, u64::MAX], 8));
        let small = small_primes();
        assert_eq!(&small[..5], &[3, 5, 7, 11, 13]);
    }

    #[test]
    fn keys_are_valid_and_reproducible() {
        use rsa::traits::PublicKeyParts;
        let key = |seed| rsa_key(&mut Ctx::new([seed; 32], 0), 1024).unwrap();
        let a = key(1);
        assert_eq!(a.n().bits(), 1024);
        assert!(a.validate().is_ok());
        assert_eq!(a, key(1));
        assert_ne!(a, key(2));
    }
}
