//! The decimal arithmetic of Sprig's float functions (`addf`, `subf`, `mulf`, `divf`): each
//! `float64` is read as its shortest decimal (as `shopspring/decimal.NewFromFloat` does), the
//! operation is exact (division keeps 16 decimal places, rounding half away from zero) and the
//! result is read back as the nearest `float64` — so `addf 0.1 0.2` is `0.3`.

/// An operation of [`fold`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

/// `mantissa * 10^exponent`.
#[derive(Debug, Clone, Copy)]
struct Decimal {
    mantissa: i128,
    exponent: i32,
}

impl Decimal {
    fn from_f64(x: f64) -> Option<Decimal> {
        if !x.is_finite() {
            return None;
        }
        if x == 0.0 {
            return Some(Decimal {
                mantissa: 0,
                exponent: 0,
            });
        }
        let sci = format!("{x:e}");
        let (mantissa, exp) = sci.split_once('e')?;
        let exp: i32 = exp.parse().ok()?;
        let negative = mantissa.starts_with('-');
        let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
        let m: i128 = digits.parse().ok()?;
        Some(Decimal {
            mantissa: if negative { -m } else { m },
            exponent: exp - (digits.len() as i32 - 1),
        })
    }

    fn to_f64(self) -> f64 {
        format!("{}e{}", self.mantissa, self.exponent)
            .parse()
            .unwrap_or(f64::NAN)
    }

    /// The mantissa scaled to a smaller exponent.
    fn rescale(self, exponent: i32) -> Option<i128> {
        let shift = u32::try_from(self.exponent - exponent).ok()?;
        self.mantissa.checked_mul(10i128.checked_pow(shift)?)
    }

    fn apply(self, other: Decimal, op: Op) -> Option<Decimal> {
        match op {
            Op::Add | Op::Sub => {
                let exponent = self.exponent.min(other.exponent);
                let a = self.rescale(exponent)?;
                let b = other.rescale(exponent)?;
                let mantissa = match op {
                    Op::Add => a.checked_add(b)?,
                    _ => a.checked_sub(b)?,
                };
                Some(Decimal { mantissa, exponent })
            }
            Op::Mul => Some(Decimal {
                mantissa: self.mantissa.checked_mul(other.mantissa)?,
                exponent: self.exponent.checked_add(other.exponent)?,
            }),
            Op::Div => {
                if other.mantissa == 0 {
                    return None;
                }
                // q = a / b at 16 places: (ma * 10^(ea - eb + 16)) / mb, scaled 10^-16.
                let shift = self.exponent - other.exponent + 16;
                let (num, den) = if shift >= 0 {
                    (
                        self.mantissa
                            .checked_mul(10i128.checked_pow(shift as u32)?)?,
                        other.mantissa,
                    )
                } else {
                    (
                        self.mantissa,
                        other
                            .mantissa
                            .checked_mul(10i128.checked_pow((-shift) as u32)?)?,
                    )
                };
                let q = num / den;
                let r = num % den;
                let away = r.checked_mul(2)?.abs() >= den.abs();
                let negative = (num < 0) != (den < 0);
                let q = if away && r != 0 {
                    if negative {
                        q - 1
                    } else {
                        q + 1
                    }
                } else {
                    q
                };
                Some(Decimal {
                    mantissa: q,
                    exponent: -16,
                })
            }
        }
    }
}

fn float_op(a: f64, b: f64, op: Op) -> f64 {
    match op {
        Op::Add => a + b,
        Op::Sub => a - b,
        Op::Mul => a * b,
        Op::Div => a / b,
    }
}

/// `first OP rest[0] OP rest[1] …` in decimal arithmetic (plain `float64` arithmetic where the
/// numbers are too large for the exact form).
pub(crate) fn fold(first: f64, rest: &[f64], op: Op) -> f64 {
    let mut exact = Decimal::from_f64(first);
    let mut approx = first;
    for x in rest {
        exact = exact.and_then(|d| Decimal::from_f64(*x).and_then(|e| d.apply(e, op)));
        approx = float_op(approx, *x, op);
    }
    exact.map_or(approx, Decimal::to_f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_math_is_exact_on_short_decimals() {
        assert_eq!(fold(0.1, &[0.2], Op::Add), 0.3);
        assert_eq!(fold(1.1, &[3.0], Op::Mul), 3.3);
        assert_eq!(fold(1.0, &[3.0], Op::Div), 0.3333333333333333);
        assert_eq!(fold(2.0, &[3.0], Op::Div), 0.6666666666666667);
        assert_eq!(fold(0.3, &[0.1], Op::Sub), 0.2);
        assert_eq!(fold(1e300, &[1e-300], Op::Add), 1e300);
    }
}
