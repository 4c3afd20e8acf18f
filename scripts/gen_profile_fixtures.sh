#!/usr/bin/env bash
# Regenerates the certificate and signed-profile fixtures of ikelab-profile's tests:
#   harness/profile/tests/fixtures/{ca.der, id_*.p12, signed_*.mobileconfig}
# Low PBE iteration counts keep debug-build tests fast. Throwaway test keys: private keys live only in a temp dir (and inside the .p12 fixtures, which
# exist to test PKCS#12 decoding; their password is the public test value below).
# Needs OpenSSL 3 (legacy provider for the RC2 fixture). Rerun: bash scripts/gen_profile_fixtures.sh
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=harness/profile/tests/fixtures
mkdir -p "$OUT"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
PASS=p12-fixture-pass

# CA (RSA 2048), CN "Example Test CA".
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/ca.key" -out "$TMP/ca.pem" -days 36500 \
  -subj "/CN=Example Test CA" -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl x509 -in "$TMP/ca.pem" -outform DER -out "$OUT/ca.der"

leaf() { # name keyspec
  local name=$1; shift
  openssl req -new -newkey "$@" -nodes -keyout "$TMP/$name.key" -out "$TMP/$name.csr" \
    -subj "/CN=client.example.com" 2>/dev/null
  printf 'subjectAltName=email:client@example.com,DNS:client.example.com\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n' > "$TMP/ext"
  openssl x509 -req -in "$TMP/$name.csr" -CA "$TMP/ca.pem" -CAkey "$TMP/ca.key" -CAcreateserial \
    -days 36500 -extfile "$TMP/ext" -out "$TMP/$name.pem" 2>/dev/null
}
leaf rsa rsa:2048
leaf ec384 ec -pkeyopt ec_paramgen_curve:P-384
leaf rsa1024 rsa:1024

# RSA identity, legacy PBE-SHA1-3DES (what Apple's Keychain exports).
openssl pkcs12 -export -inkey "$TMP/rsa.key" -in "$TMP/rsa.pem" -certfile "$TMP/ca.pem" \
  -certpbe PBE-SHA1-3DES -keypbe PBE-SHA1-3DES -macalg sha1 -iter 64 -passout "pass:$PASS" -out "$OUT/id_rsa_3des.p12"
# P-384 identity, OpenSSL 3 defaults (PBES2 AES-256-CBC, SHA-256 MAC).
openssl pkcs12 -export -inkey "$TMP/ec384.key" -in "$TMP/ec384.pem" -certfile "$TMP/ca.pem" \
  -iter 64 -passout "pass:$PASS" -out "$OUT/id_ec384_pbes2.p12"
# RSA 1024 identity, RC2-40 certificates (OpenSSL 1.x default), legacy provider.
openssl pkcs12 -export -legacy -inkey "$TMP/rsa1024.key" -in "$TMP/rsa1024.pem" \
  -iter 64 -passout "pass:$PASS" -out "$OUT/id_rsa1024_rc2.p12"

# Signed profiles: an RSA signer issued by the CA, and a P-256 self-signed signer.
openssl req -new -newkey rsa:2048 -nodes -keyout "$TMP/signer.key" -out "$TMP/signer.csr" \
  -subj "/CN=Example Profile Signer" 2>/dev/null
printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n' > "$TMP/ext"
openssl x509 -req -in "$TMP/signer.csr" -CA "$TMP/ca.pem" -CAkey "$TMP/ca.key" -CAcreateserial \
  -days 36500 -extfile "$TMP/ext" -out "$TMP/signer.pem" 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$TMP/ecsigner.key" \
  -out "$TMP/ecsigner.pem" -days 36500 -subj "/CN=Example EC Signer" 2>/dev/null

PROFILE=harness/profile/tests/fixtures/signed_content.mobileconfig
openssl cms -sign -binary -nodetach -outform DER -in "$PROFILE" -signer "$TMP/signer.pem" \
  -inkey "$TMP/signer.key" -certfile "$TMP/ca.pem" -md sha256 -out "$OUT/signed_rsa.mobileconfig"
openssl cms -sign -binary -nodetach -outform DER -in "$PROFILE" -signer "$TMP/ecsigner.pem" \
  -inkey "$TMP/ecsigner.key" -md sha256 -out "$OUT/signed_ec.mobileconfig"
# BER with indefinite lengths (streaming), as some signing tools emit.
openssl cms -sign -binary -nodetach -stream -outform DER -in "$PROFILE" -signer "$TMP/signer.pem" \
  -inkey "$TMP/signer.key" -certfile "$TMP/ca.pem" -md sha256 -out "$OUT/signed_ber.mobileconfig"
# Signed without embedding the signer certificate.
openssl cms -sign -binary -nodetach -nocerts -outform DER -in "$PROFILE" -signer "$TMP/signer.pem" \
  -inkey "$TMP/signer.key" -md sha256 -out "$OUT/signed_nocerts.mobileconfig"
# Chain that does not verify: an embedded "CA" with the right name but another key.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/fake.key" -out "$TMP/fake.pem" -days 36500 \
  -subj "/CN=Example Test CA" 2>/dev/null
openssl cms -sign -binary -nodetach -outform DER -in "$PROFILE" -signer "$TMP/signer.pem" \
  -inkey "$TMP/signer.key" -certfile "$TMP/fake.pem" -md sha256 -out "$OUT/signed_badchain.mobileconfig"
# Detached signature (content not in the file).
openssl cms -sign -binary -outform DER -in "$PROFILE" -signer "$TMP/signer.pem" \
  -inkey "$TMP/signer.key" -md sha256 -out "$OUT/signed_detached.p7s"
# The same SignedData armoured as PEM and S/MIME text (SIG-05; tests/wild_forms.rs).
openssl cms -cmsout -inform DER -in "$OUT/signed_rsa.mobileconfig" -outform PEM \
  -out "$OUT/signed_rsa_pem.mobileconfig"
openssl cms -cmsout -inform DER -in "$OUT/signed_rsa.mobileconfig" -outform SMIME \
  -out "$OUT/signed_rsa_smime.mobileconfig"
chmod 644 "$OUT"/*
echo "fixtures written to $OUT"
