//! Sprig's certificate functions (`genCA`, `genSelfSignedCert`, `genSignedCert`, their
//! `…WithKey` forms, `buildCustomCert`): RSA keys (and ECDSA P-256 keys given to the
//! `…WithKey` forms) and X.509 v3 certificates laid out as Go's `crypto/x509.CreateCertificate`
//! writes them for Sprig's templates (the same extensions, in the same order, SHA-256 with RSA
//! or ECDSA). Every random bit — keys and serial numbers — comes from the context's seeded
//! source, so a render is reproducible.

use std::rc::Rc;

use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use sha2::{Digest, Sha256};

use crate::func::{Ctx, FuncDef, FuncResult};
use crate::value::{Map, Object, Value};

use super::args::{int, nth, string, wrong_type};
use super::crypto::{base64_decode, base64_encode};
use super::dates::Time;
use super::def;
use super::keys::EcKey;

/// The certificate functions.
pub(super) const FUNCS: &[FuncDef] = &[
    def("genCA", 2, Some(2), gen_ca),
    def("genCAWithKey", 3, Some(3), gen_ca_with_key),
    def("genSelfSignedCert", 4, Some(4), gen_self_signed_cert),
    def(
        "genSelfSignedCertWithKey",
        5,
        Some(5),
        gen_self_signed_cert_with_key,
    ),
    def("genSignedCert", 5, Some(5), gen_signed_cert),
    def("genSignedCertWithKey", 6, Some(6), gen_signed_cert_with_key),
    def("buildCustomCert", 2, Some(2), build_custom_cert),
];

/// Sprig's `certificate` struct: PEM texts of the certificate and its private key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    /// `-----BEGIN CERTIFICATE-----…`
    pub cert: String,
    /// `-----BEGIN RSA PRIVATE KEY-----…`
    pub key: String,
}

impl Object for Certificate {
    fn type_name(&self) -> &str {
        "sprig.certificate"
    }

    fn kind(&self) -> &str {
        "struct"
    }

    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Cert" => Some(Value::str(&self.cert)),
            "Key" => Some(Value::str(&self.key)),
            _ => None,
        }
    }

    fn call(&self, _: &str, _: &[Value]) -> Option<Result<Value, String>> {
        None
    }

    fn display(&self) -> String {
        format!("{{{} {}}}", self.cert, self.key)
    }

    fn to_data(&self) -> Value {
        let mut m = Map::new();
        m.insert("Cert".into(), Value::str(&self.cert));
        m.insert("Key".into(), Value::str(&self.key));
        Value::map(m)
    }
}

/// The RSA key size of Sprig's generated certificates.
const CERT_KEY_BITS: usize = 2048;

fn generate_key(ctx: &mut Ctx, bits: usize) -> Result<RsaPrivateKey, String> {
    super::primes::rsa_key(ctx, bits)
}

// --- DER ---

/// A DER element.
pub(super) fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .iter()
            .copied()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(content);
    out
}

fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
    der(0x30, &parts.concat())
}

/// An INTEGER from unsigned big-endian bytes.
fn uint(bytes: &[u8]) -> Vec<u8> {
    let trimmed: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
    let mut content = if trimmed.is_empty() { vec![0] } else { trimmed };
    if content[0] & 0x80 != 0 {
        content.insert(0, 0);
    }
    der(0x02, &content)
}

/// An OBJECT IDENTIFIER.
pub(super) fn oid(arcs: &[u64]) -> Vec<u8> {
    let mut content = vec![(arcs[0] * 40 + arcs[1]) as u8];
    for &arc in &arcs[2..] {
        let mut chunk = vec![(arc & 0x7f) as u8];
        let mut rest = arc >> 7;
        while rest > 0 {
            chunk.insert(0, 0x80 | (rest & 0x7f) as u8);
            rest >>= 7;
        }
        content.extend(chunk);
    }
    der(0x06, &content)
}

const NULL: [u8; 2] = [0x05, 0x00];

fn rsa_algorithm(arcs: &[u64]) -> Vec<u8> {
    seq(&[oid(arcs), NULL.to_vec()])
}

const RSA_ENCRYPTION: &[u64] = &[1, 2, 840, 113_549, 1, 1, 1];
const SHA256_WITH_RSA: &[u64] = &[1, 2, 840, 113_549, 1, 1, 11];

/// Go's choice of string type for a name attribute: PrintableString when it can be one.
fn directory_string(s: &str) -> Vec<u8> {
    let printable = s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b" '()+,-./:=?*".contains(&b));
    der(if printable { 0x13 } else { 0x0c }, s.as_bytes())
}

/// `pkix.Name{CommonName: cn}` as an RDNSequence.
fn name(cn: &str) -> Vec<u8> {
    if cn.is_empty() {
        return seq(&[]);
    }
    let attr = seq(&[oid(&[2, 5, 4, 3]), directory_string(cn)]);
    seq(&[der(0x31, &attr)])
}

fn time(t: &Time) -> Vec<u8> {
    let year: i64 = t.format("2006").parse().unwrap_or(0);
    if (1950..2050).contains(&year) {
        der(0x17, t.format("060102150405Z").as_bytes())
    } else {
        der(0x18, t.format("20060102150405Z").as_bytes())
    }
}

fn extension(arcs: &[u64], critical: bool, value: Vec<u8>) -> Vec<u8> {
    let mut parts = vec![oid(arcs)];
    if critical {
        parts.push(vec![0x01, 0x01, 0xff]);
    }
    parts.push(der(0x04, &value));
    seq(&parts)
}

/// `KeyUsage` bits as Go marshals them (a BIT STRING up to the last set bit).
fn key_usage(ca: bool) -> Vec<u8> {
    // digitalSignature (bit 0), keyEncipherment (bit 2), keyCertSign (bit 5).
    let byte: u8 = 0x80 | 0x20 | if ca { 0x04 } else { 0 };
    let unused = byte.trailing_zeros() as u8;
    der(0x03, &[unused, byte])
}

/// A key Sprig certifies and signs with: RSA, or ECDSA P-256.
pub(super) enum Key {
    /// RSA (PKCS#1 v1.5 signatures with SHA-256).
    Rsa(RsaPrivateKey),
    /// ECDSA P-256 (signatures with SHA-256).
    Ec(EcKey),
}

const ECDSA_WITH_SHA256: &[u64] = &[1, 2, 840, 10_045, 4, 3, 2];

impl Key {
    /// The `SubjectPublicKeyInfo` and the public key bytes a key identifier hashes.
    fn public_key_info(&self) -> (Vec<u8>, Vec<u8>) {
        match self {
            Key::Rsa(k) => rsa_public_key_info(k),
            Key::Ec(k) => (k.spki(), k.public_point()),
        }
    }

    /// The signature algorithm Go picks for this signer.
    fn algorithm(&self) -> Vec<u8> {
        match self {
            Key::Rsa(_) => rsa_algorithm(SHA256_WITH_RSA),
            Key::Ec(_) => seq(&[oid(ECDSA_WITH_SHA256)]),
        }
    }

    fn sign(&self, ctx: &mut Ctx, message: &[u8]) -> Result<Vec<u8>, String> {
        let digest = Sha256::digest(message);
        match self {
            Key::Rsa(k) => {
                let mut digest_info = vec![
                    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
                    0x02, 0x01, 0x05, 0x00, 0x04, 0x20,
                ];
                digest_info.extend_from_slice(&digest);
                k.sign(Pkcs1v15Sign::new_unprefixed(), &digest_info)
                    .map_err(|e| format!("error creating certificate: {e}"))
            }
            Key::Ec(k) => Ok(k.sign(ctx, &digest)),
        }
    }

    /// The key as Sprig's `pemBlockForKey` writes it.
    fn pem(&self) -> Result<String, String> {
        match self {
            Key::Rsa(k) => key_pem(k),
            Key::Ec(k) => Ok(k.pem()),
        }
    }
}

fn rsa_public_key_info(key: &RsaPrivateKey) -> (Vec<u8>, Vec<u8>) {
    let rsa_public = seq(&[uint(&key.n().to_bytes_be()), uint(&key.e().to_bytes_be())]);
    let mut bits = vec![0u8];
    bits.extend_from_slice(&rsa_public);
    let spki = seq(&[rsa_algorithm(RSA_ENCRYPTION), der(0x03, &bits)]);
    (spki, rsa_public)
}

/// A PEM block as Go's `pem.Encode` writes it (64-column lines).
pub(super) fn pem(kind: &str, der: &[u8]) -> String {
    let body = base64_encode(der);
    let mut out = format!("-----BEGIN {kind}-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {kind}-----\n"));
    out
}

/// The first PEM block: its type and bytes.
fn pem_decode(text: &str) -> Option<(String, Vec<u8>)> {
    let start = text.find("-----BEGIN ")?;
    let rest = &text[start + 11..];
    let kind_end = rest.find("-----")?;
    let kind = rest[..kind_end].to_string();
    let body_start = &rest[kind_end + 5..];
    let end_marker = format!("-----END {kind}-----");
    let end = body_start.find(&end_marker)?;
    let body: String = body_start[..end]
        .lines()
        .filter(|l| !l.contains(':'))
        .collect::<String>()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    Some((kind, base64_decode(&body).ok()?))
}

/// One DER element: tag, content, the rest.
fn read_tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *b.first()?;
    let first = *b.get(1)?;
    let (len, head) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = len << 8 | usize::from(*b.get(2 + i)?);
        }
        (len, 2 + n)
    };
    let content = b.get(head..head + len)?;
    Some((tag, content, &b[head + len..]))
}

/// What signing with a certificate needs from it: its subject (raw) and key identifier.
struct Issuer {
    subject: Vec<u8>,
    key_id: Option<Vec<u8>>,
}

fn parse_issuer(cert: &[u8]) -> Option<Issuer> {
    let (_, cert_body, _) = read_tlv(cert)?;
    let (_, tbs, _) = read_tlv(cert_body)?;
    let mut rest = tbs;
    if rest.first() == Some(&0xa0) {
        rest = read_tlv(rest)?.2;
    }
    let (_, _, rest) = read_tlv(rest)?; // serial
    let (_, _, rest) = read_tlv(rest)?; // signature algorithm
    let (_, _, rest) = read_tlv(rest)?; // issuer
    let (_, _, rest) = read_tlv(rest)?; // validity
    let subject_len = rest.len() - read_tlv(rest)?.2.len();
    let subject = rest[..subject_len].to_vec();
    let (_, _, mut rest) = read_tlv(&rest[subject_len..])?; // public key
    let mut key_id = None;
    while let Some((tag, content, next)) = read_tlv(rest) {
        if tag == 0xa3 {
            let (_, mut exts, _) = read_tlv(content)?;
            while let Some((_, ext, more)) = read_tlv(exts) {
                let (_, id, mut fields) = read_tlv(ext)?;
                if id == [0x55, 0x1d, 0x0e] {
                    if fields.first() == Some(&0x01) {
                        fields = read_tlv(fields)?.2;
                    }
                    let (_, value, _) = read_tlv(fields)?;
                    key_id = Some(read_tlv(value)?.1.to_vec());
                }
                exts = more;
            }
        }
        rest = next;
    }
    Some(Issuer { subject, key_id })
}

/// The parts of Sprig's certificate template that vary.
struct Template {
    cn: String,
    ips: Vec<Vec<u8>>,
    dns: Vec<String>,
    days: i64,
    ca: bool,
}

/// `x509.CreateCertificate(template, parent, pub, signer)` as Go lays the certificate out.
fn create_certificate(
    ctx: &mut Ctx,
    t: &Template,
    key: &Key,
    issuer: Option<(&Issuer, &Key)>,
) -> Result<Vec<u8>, String> {
    let mut serial = [0u8; 16];
    ctx.fill(&mut serial);
    let subject = name(&t.cn);
    let (spki, public_bytes) = key.public_key_info();
    // Go 1.25 fills a CA's subject key identifier with the truncated SHA-256 of the key.
    let subject_key_id = t.ca.then(|| Sha256::digest(&public_bytes)[..20].to_vec());
    let (issuer_name, authority_key_id, signer) = match issuer {
        Some((i, signer)) => {
            let aki = if i.subject != subject {
                i.key_id.clone()
            } else {
                None
            };
            (i.subject.clone(), aki, signer)
        }
        None => (subject.clone(), None, key),
    };
    let now = Time::utc(ctx.now_unix, 0);
    let not_after = Time::utc(ctx.now_unix + t.days * 86_400, 0);

    let mut exts = vec![
        extension(&[2, 5, 29, 15], true, key_usage(t.ca)),
        extension(
            &[2, 5, 29, 37],
            false,
            seq(&[
                oid(&[1, 3, 6, 1, 5, 5, 7, 3, 1]),
                oid(&[1, 3, 6, 1, 5, 5, 7, 3, 2]),
            ]),
        ),
        extension(
            &[2, 5, 29, 19],
            true,
            if t.ca {
                seq(&[vec![0x01, 0x01, 0xff]])
            } else {
                seq(&[])
            },
        ),
    ];
    if let Some(id) = &subject_key_id {
        exts.push(extension(&[2, 5, 29, 14], false, der(0x04, id)));
    }
    if let Some(id) = &authority_key_id {
        exts.push(extension(&[2, 5, 29, 35], false, seq(&[der(0x80, id)])));
    }
    if !t.dns.is_empty() || !t.ips.is_empty() {
        let mut names: Vec<Vec<u8>> = t.dns.iter().map(|d| der(0x82, d.as_bytes())).collect();
        names.extend(t.ips.iter().map(|ip| der(0x87, ip)));
        exts.push(extension(&[2, 5, 29, 17], t.cn.is_empty(), seq(&names)));
    }

    let tbs = seq(&[
        der(0xa0, &uint(&[2])),
        uint(&serial),
        signer.algorithm(),
        issuer_name,
        seq(&[time(&now), time(&not_after)]),
        subject,
        spki,
        der(0xa3, &seq(&exts)),
    ]);
    let signature = signer.sign(ctx, &tbs)?;
    let mut bits = vec![0u8];
    bits.extend_from_slice(&signature);
    Ok(seq(&[tbs, signer.algorithm(), der(0x03, &bits)]))
}

fn key_pem(key: &RsaPrivateKey) -> Result<String, String> {
    let der = key
        .to_pkcs1_der()
        .map_err(|e| format!("error pem-encoding key: {e}"))?;
    Ok(pem("RSA PRIVATE KEY", der.as_bytes()))
}

/// Sprig's `parsePrivateKeyPEM` for RSA (PKCS#1, PKCS#8) and ECDSA P-256 (SEC 1, PKCS#8) keys.
fn parse_key_pem(text: &str) -> Result<Key, String> {
    let (kind, bytes) = pem_decode(text).ok_or("no PEM data in input")?;
    match kind.as_str() {
        "PRIVATE KEY" => match RsaPrivateKey::from_pkcs8_der(&bytes) {
            Ok(k) => Ok(Key::Rsa(k)),
            Err(e) => EcKey::from_pkcs8(&bytes)
                .map(Key::Ec)
                .ok_or_else(|| format!("decoding PEM as PKCS#8: {e}")),
        },
        "RSA PRIVATE KEY" => RsaPrivateKey::from_pkcs1_der(&bytes)
            .map(Key::Rsa)
            .map_err(|e| format!("parsing RSA private key from PEM: {e}")),
        "EC PRIVATE KEY" => EcKey::from_sec1(&bytes)
            .map(Key::Ec)
            .map_err(|e| format!("parsing EC private key from PEM: {e}")),
        k if !k.ends_with(" PRIVATE KEY") => {
            Err(format!("no private key data in PEM block of type {k}"))
        }
        "DSA PRIVATE KEY" => Err(format!("{kind} keys are not supported here")),
        k => Err(format!("invalid private key type {k}")),
    }
}

/// Go's `net.ParseIP` (IPv4 as 4 bytes, as x509 writes it).
fn parse_ip(s: &str) -> Option<Vec<u8>> {
    if let Ok(v4) = s.parse::<std::net::Ipv4Addr>() {
        return Some(v4.octets().to_vec());
    }
    let v6 = s.parse::<std::net::Ipv6Addr>().ok()?;
    Some(match v6.to_ipv4_mapped() {
        Some(v4) => v4.octets().to_vec(),
        None => v6.octets().to_vec(),
    })
}

/// A `[]interface{}` parameter (nil is an empty list).
fn interface_list(a: &[Value], i: usize) -> Result<Vec<Value>, String> {
    match nth(a, i) {
        Value::Nil => Ok(Vec::new()),
        Value::List(l) => Ok(l.as_ref().clone()),
        other => Err(wrong_type("[]interface {}", other)),
    }
}

fn template(a: &[Value], ca: bool) -> Result<Template, String> {
    let cn = string(a, 0)?.to_string();
    let (ips, dns, days) = if ca {
        (Vec::new(), Vec::new(), int(a, 1)?)
    } else {
        (interface_list(a, 1)?, interface_list(a, 2)?, int(a, 3)?)
    };
    let ips = ips
        .iter()
        .map(|ip| match ip {
            Value::String(s) => parse_ip(s).ok_or_else(|| format!("error parsing ip: {s}")),
            other => Err(format!("error parsing ip: {other} is not a string")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let dns = dns
        .iter()
        .map(|d| match d {
            Value::String(s) => Ok(s.to_string()),
            other => Err(format!(
                "error processing alternate dns name: {other} is not a string"
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Template {
        cn,
        ips,
        dns,
        days,
        ca,
    })
}

fn certificate_arg(a: &[Value], i: usize) -> Result<Certificate, String> {
    match nth(a, i) {
        Value::Object(o) if o.type_name() == "sprig.certificate" => Ok(Certificate {
            cert: o
                .field("Cert")
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            key: o
                .field("Key")
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
        }),
        other => Err(wrong_type("sprig.certificate", other)),
    }
}

fn issue(ctx: &mut Ctx, t: &Template, key: Key, ca: Option<&Certificate>) -> FuncResult {
    let der = match ca {
        None => create_certificate(ctx, t, &key, None)?,
        Some(ca) => {
            let (_, cert_der) = pem_decode(&ca.cert)
                .filter(|(k, _)| k == "CERTIFICATE")
                .ok_or("unable to decode certificate")?;
            let issuer = parse_issuer(&cert_der).ok_or(
                "error parsing certificate: decodedSignerCert.Bytes: x509: malformed certificate",
            )?;
            let signer =
                parse_key_pem(&ca.key).map_err(|e| format!("error parsing private key: {e}"))?;
            create_certificate(ctx, t, &key, Some((&issuer, &signer)))?
        }
    };
    Ok(Value::Object(Rc::new(Certificate {
        cert: pem("CERTIFICATE", &der),
        key: key.pem()?,
    })))
}

fn with_key(a: &[Value], i: usize) -> Result<Key, String> {
    parse_key_pem(string(a, i)?).map_err(|e| format!("parsing private key: {e}"))
}

fn gen_ca(ctx: &mut Ctx, a: &[Value]) -> FuncResult {
    let t = template(a, true)?;
    let key = Key::Rsa(generate_key(ctx, CERT_KEY_BITS)?);
    issue(ctx, &t, key, None)
}

fn gen_ca_with_key(ctx: &mut Ctx, a: &[Value]) -> FuncResult {
    let t = template(a, true)?;
    issue(ctx, &t, with_key(a, 2)?, None)
}

fn gen_self_signed_cert(ctx: &mut Ctx, a: &[Value]) -> FuncResult {
    let t = template(a, false)?;
    let key = Key::Rsa(generate_key(ctx, CERT_KEY_BITS)?);
    issue(ctx, &t, key, None)
}

fn gen_self_signed_cert_with_key(ctx: &mut Ctx, a: &[Value]) -> FuncResult {
    let t = template(a, false)?;
    issue(ctx, &t, with_key(a, 4)?, None)
}

fn gen_signed_cert(ctx: &mut Ctx, a: &[Value]) -> FuncResult {
    let t = template(a, false)?;
    let ca = certificate_arg(a, 4)?;
    let key = Key::Rsa(generate_key(ctx, CERT_KEY_BITS)?);
    issue(ctx, &t, key, Some(&ca))
}

fn gen_signed_cert_with_key(ctx: &mut Ctx, a: &[Value]) -> FuncResult {
    let t = template(a, false)?;
    let ca = certificate_arg(a, 4)?;
    issue(ctx, &t, with_key(a, 5)?, Some(&ca))
}

/// `buildCustomCert BASE64_CERT BASE64_KEY`.
fn build_custom_cert(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let cert = base64_decode(string(a, 0)?).map_err(|_| "unable to decode base64 certificate")?;
    let key = base64_decode(string(a, 1)?).map_err(|_| "unable to decode base64 private key")?;
    let cert = String::from_utf8_lossy(&cert).into_owned();
    let key = String::from_utf8_lossy(&key).into_owned();
    let (_, der) = pem_decode(&cert).ok_or("unable to decode certificate")?;
    parse_issuer(&der)
        .ok_or("error parsing certificate: decodedCert.Bytes: x509: malformed certificate")?;
    parse_key_pem(&key).map_err(|e| format!("error parsing private key: {e}"))?;
    Ok(Value::Object(Rc::new(Certificate { cert, key })))
}

/// A new RSA key of `bits` bits as PKCS#1 PEM.
pub(super) fn rsa_key_pem(ctx: &mut Ctx, bits: usize) -> Result<String, String> {
    key_pem(&generate_key(ctx, bits)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small_key(ctx: &mut Ctx) -> Key {
        Key::Rsa(generate_key(ctx, 512).unwrap())
    }

    #[test]
    fn certificates_chain_and_parse_back() {
        let mut ctx = Ctx::new([3; 32], 1_796_389_148);
        let ca_t = Template {
            cn: "my-ca".into(),
            ips: vec![],
            dns: vec![],
            days: 365,
            ca: true,
        };
        let ca_key = small_key(&mut ctx);
        let ca = issue(&mut ctx, &ca_t, ca_key, None).unwrap();
        let Value::Object(ca_obj) = &ca else {
            panic!("a certificate")
        };
        let ca_cert = certificate_arg(std::slice::from_ref(&ca), 0).unwrap();
        assert!(ca_cert.cert.starts_with("-----BEGIN CERTIFICATE-----\n"));
        assert!(ca_cert.key.starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
        assert!(ca_obj.display().starts_with("{-----BEGIN CERTIFICATE-----"));
        let (_, der) = pem_decode(&ca_cert.cert).unwrap();
        let issuer = parse_issuer(&der).unwrap();
        assert_eq!(issuer.subject, name("my-ca"));
        assert_eq!(issuer.key_id.as_ref().map(Vec::len), Some(20));

        let leaf_t = Template {
            cn: "svc".into(),
            ips: vec![parse_ip("10.0.0.1").unwrap()],
            dns: vec!["svc.ns.svc".into()],
            days: 30,
            ca: false,
        };
        let leaf_key = small_key(&mut ctx);
        let leaf = issue(&mut ctx, &leaf_t, leaf_key, Some(&ca_cert)).unwrap();
        let leaf = certificate_arg(&[leaf], 0).unwrap();
        let (_, der) = pem_decode(&leaf.cert).unwrap();
        let parsed = parse_issuer(&der).unwrap();
        assert_eq!(parsed.subject, name("svc"));
        assert!(
            parsed.key_id.is_none(),
            "leaf certificates carry no subject key id"
        );
        let aki = issuer.key_id.unwrap();
        assert!(
            der.windows(aki.len()).any(|w| w == aki.as_slice()),
            "the CA's key id is the authority key id"
        );
        parse_key_pem(&leaf.key).unwrap();
    }

    /// The TBS bytes and the signature value of a certificate.
    fn tbs_and_signature(der: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let (_, body, _) = read_tlv(der).unwrap();
        let tbs_len = body.len() - read_tlv(body).unwrap().2.len();
        let (_, _, rest) = read_tlv(&body[tbs_len..]).unwrap();
        let (_, bits, _) = read_tlv(rest).unwrap();
        (body[..tbs_len].to_vec(), bits[1..].to_vec())
    }

    #[test]
    fn ecdsa_keys_sign_and_are_certified() {
        let mut ctx = Ctx::new([8; 32], 1_796_389_148);
        let ec = EcKey::generate(&mut ctx);
        let ca = gen_ca_with_key(
            &mut ctx,
            &[Value::str("ec-ca"), Value::Int(10), Value::from(ec.pem())],
        )
        .unwrap();
        let ca_cert = certificate_arg(std::slice::from_ref(&ca), 0).unwrap();
        assert_eq!(ca_cert.key, ec.pem());
        let (_, der) = pem_decode(&ca_cert.cert).unwrap();
        let (tbs, sig) = tbs_and_signature(&der);
        assert!(
            ec.verify(&Sha256::digest(&tbs), &sig),
            "the CA signs itself with ECDSA"
        );

        let Key::Rsa(rsa_key) = small_key(&mut ctx) else {
            unreachable!("an RSA key")
        };
        let leaf = gen_signed_cert_with_key(
            &mut ctx,
            &[
                Value::str("leaf"),
                Value::Nil,
                Value::list(vec![Value::str("leaf.ns")]),
                Value::Int(1),
                ca,
                Value::from(key_pem(&rsa_key).unwrap()),
            ],
        )
        .unwrap();
        let leaf = certificate_arg(&[leaf], 0).unwrap();
        let (_, der) = pem_decode(&leaf.cert).unwrap();
        let (tbs, sig) = tbs_and_signature(&der);
        assert!(
            ec.verify(&Sha256::digest(&tbs), &sig),
            "the EC CA signs the RSA leaf"
        );
        assert!(leaf.key.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    }

    #[test]
    fn certificates_are_reproducible_per_seed() {
        let make = || {
            let mut ctx = Ctx::new([9; 32], 1_700_000_000);
            let t = Template {
                cn: "x".into(),
                ips: vec![],
                dns: vec!["a".into()],
                days: 1,
                ca: false,
            };
            let key = small_key(&mut ctx);
            issue(&mut ctx, &t, key, None).unwrap().to_string()
        };
        assert_eq!(make(), make());
    }

    #[test]
    fn arguments_are_checked_as_sprig_does() {
        let mut ctx = Ctx::default();
        let bad_ip = [
            Value::str("x"),
            Value::list(vec![Value::str("1.2.3")]),
            Value::Nil,
            Value::Int(1),
        ];
        assert_eq!(
            gen_self_signed_cert(&mut ctx, &bad_ip).unwrap_err(),
            "error parsing ip: 1.2.3"
        );
        let bad_dns = [
            Value::str("x"),
            Value::Nil,
            Value::list(vec![Value::Int(5)]),
            Value::Int(1),
        ];
        assert_eq!(
            gen_self_signed_cert(&mut ctx, &bad_dns).unwrap_err(),
            "error processing alternate dns name: 5 is not a string"
        );
        let not_ca = [
            Value::str("x"),
            Value::Nil,
            Value::Nil,
            Value::Int(1),
            Value::str("ca"),
        ];
        assert_eq!(
            gen_signed_cert(&mut ctx, &not_ca).unwrap_err(),
            "wrong type for value; expected sprig.certificate; got string"
        );
    }
}
