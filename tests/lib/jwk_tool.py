#!/usr/bin/python3
# JWKs as identity providers and libraries publish them, for tests/jwks_providers.test:
# the members come from PyJWT 2.6 (Debian's python3-jwt), which writes EC coordinates
# without their leading zero bytes, as authlib 1.2, Keycloak and jjwt do. Never a test itself.
import base64
import hashlib
import json
import sys

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

CURVES = {"P-256": (ec.SECP256R1, 32), "P-521": (ec.SECP521R1, 66)}


def usage():
    sys.exit("usage: jwk_tool.py jwk PEM KID [alg=A] [use=U] [x5c=CERT] [x5t] [no-members]\n"
             "       jwk_tool.py set JWKFILE...\n"
             "       jwk_tool.py shortec CURVE OUT.pem   (a private key whose x is short)")


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def cmd_jwk(pem_path, kid, opts):
    with open(pem_path, "rb") as f:
        data = f.read()
    try:
        key = serialization.load_pem_private_key(data, None).public_key()
    except ValueError:
        key = serialization.load_pem_public_key(data)
    algo = ECAlgorithm if isinstance(key, ec.EllipticCurvePublicKey) else RSAAlgorithm
    jwk = json.loads(algo.to_jwk(key))
    jwk["kid"] = kid
    for opt in opts:
        name, _, value = opt.partition("=")
        if name in ("alg", "use"):
            jwk[name] = value
        elif name == "x5c":
            with open(value, "rb") as f:
                der = x509.load_pem_x509_certificate(f.read()).public_bytes(
                    serialization.Encoding.DER)
            jwk["x5c"] = [base64.b64encode(der).decode()]
            jwk["_der"] = der
        elif name == "x5t":
            jwk["x5t"] = b64url(hashlib.sha1(jwk["_der"]).digest())
        elif name == "no-members":
            for m in ("n", "e", "x", "y"):
                jwk.pop(m, None)
        else:
            usage()
    jwk.pop("_der", None)
    print(json.dumps(jwk))


def cmd_set(paths):
    keys = []
    for p in paths:
        with open(p) as f:
            keys.append(json.load(f))
    print(json.dumps({"keys": keys}))


def cmd_shortec(crv, out):
    curve, width = CURVES[crv]
    for _ in range(4096):
        key = ec.generate_private_key(curve())
        if (key.public_key().public_numbers().x.bit_length() + 7) // 8 < width:
            with open(out, "wb") as f:
                f.write(key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
            return
    sys.exit("no key with a short x in 4096 tries")


def main(argv):
    if len(argv) >= 3 and argv[0] == "jwk":
        cmd_jwk(argv[1], argv[2], argv[3:])
    elif len(argv) >= 2 and argv[0] == "set":
        cmd_set(argv[1:])
    elif len(argv) == 3 and argv[0] == "shortec":
        cmd_shortec(argv[1], argv[2])
    else:
        usage()


main(sys.argv[1:])
