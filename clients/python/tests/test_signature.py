"""sluice.verify_signature against the reference receiver of the Datature guide (copied below as it is published)
and against signatures made by Sluice's Java WebhookSignature."""
import base64
import binascii
import hmac
import os
import random
import shutil
import subprocess
from pathlib import Path
from typing import Dict

import pytest

import sluice

REPO = Path(__file__).resolve().parents[3]


# ---- the reference snippet (seeds/000: "Inference Batch Jobs", Result Delivery Requirements), unchanged ----------
def reference_verify_signature(secret_key: str, headers: Dict[str, str], body: str) -> bool:
    secret_key_bytes = base64.b64decode(secret_key)
    received_signature = headers["datature-webhook-signature"].encode("ascii")
    request_id = headers["datature-webhook-request-id"]
    request_time = headers["datature-webhook-request-time"]
    message = (
        f"Datature-Webhook-Request-ID={request_id}&"
        f"Datature-Webhook-Request-Time={request_time}&"
        f"RawBody={body}"
    ).encode("utf-8")
    calculated_signature = binascii.hexlify(hmac.digest(secret_key_bytes, message, "sha256"))
    return hmac.compare_digest(calculated_signature, received_signature)
# -------------------------------------------------------------------------------------------------------------------


def sign(secret: str, request_id: str, request_time: str, body: str) -> str:
    message = f"Datature-Webhook-Request-ID={request_id}&Datature-Webhook-Request-Time={request_time}&RawBody={body}"
    return hmac.new(base64.b64decode(secret), message.encode("utf-8"), "sha256").hexdigest()


def cases(n=60, seed=7):
    rnd = random.Random(seed)
    bodies = ['{"jobId":"batchjob_1","prediction":{"classes":[]}}', "", "é ü 漢字 🙂 &RawBody=x", "a\nb\r\n", " "]
    for i in range(n):
        secret = base64.b64encode(rnd.randbytes(32)).decode()
        body = bodies[i % len(bodies)] + "".join(rnd.choice("ab{}\":,é🙂") for _ in range(rnd.randint(0, 40)))
        yield secret, f"req_{rnd.getrandbits(64):x}", str(1_700_000_000_000 + rnd.randint(0, 10 ** 9)), body


def lower(headers):
    return {k.lower(): v for k, v in headers.items()}


def headers_of(signature, request_id, request_time):
    return {"Datature-Webhook-Signature": signature, "Datature-Webhook-Request-ID": request_id,
            "Datature-Webhook-Request-Time": request_time}


def test_equalsTheReference_onGoodAndTamperedRequests():
    checked = 0
    for secret, rid, rtime, body in cases():
        good = sign(secret, rid, rtime, body)
        other_secret = base64.b64encode(b"x" * 32).decode()
        variants = [
            (secret, headers_of(good, rid, rtime), body),
            (secret, headers_of(good, rid, rtime), body + " "),                   # body changed
            (secret, headers_of(good, rid + "0", rtime), body),                   # id changed
            (secret, headers_of(good, rid, str(int(rtime) + 1)), body),           # time changed
            (other_secret, headers_of(good, rid, rtime), body),                   # other secret
            (secret, headers_of(good.upper(), rid, rtime), body),                 # hex case matters, as in the reference
            (secret, headers_of(good[:-1], rid, rtime), body),                    # truncated
        ]
        for s, h, b in variants:
            expected = reference_verify_signature(s, lower(h), b)
            assert sluice.verify_signature(s, lower(h), b) is expected
            assert sluice.verify_signature(s, h, b) is expected, "header names are case-insensitive"
            assert sluice.verify_signature(s, h, b.encode("utf-8")) is expected, "bytes body: the same answer"
            checked += 1
        assert reference_verify_signature(secret, lower(headers_of(good, rid, rtime)), body)
    assert checked == 60 * 7


def test_missingHeaders_areFalse_notAKeyError():
    secret = base64.b64encode(b"k" * 32).decode()
    assert sluice.verify_signature(secret, {}, "{}") is False
    assert sluice.verify_signature(secret, {"Datature-Webhook-Signature": "00"}, "{}") is False


def test_javaSignatures_verify():
    java_home = os.environ.get("JAVA_HOME")
    java = shutil.which("java", path=os.path.join(java_home, "bin")) if java_home else shutil.which("java")
    classes = REPO / "shared" / "core" / "target" / "classes"
    if not java or not (classes / "dev" / "sluice" / "core" / "webhook" / "WebhookSignature.class").exists():
        pytest.skip("needs a JDK 21+ (JAVA_HOME) and the built shared/core (mvn install -DskipTests)")
    all_cases = list(cases(n=25, seed=11))
    stdin = "".join(f"{s}\t{r}\t{t}\t{base64.b64encode(b.encode()).decode()}\n" for s, r, t, b in all_cases)
    out = subprocess.run([java, "-cp", str(classes), str(Path(__file__).with_name("JavaSign.java"))],
                         input=stdin.encode("utf-8"), capture_output=True, check=True, timeout=600).stdout.decode()
    signatures = out.split()
    assert len(signatures) == len(all_cases)
    for (secret, rid, rtime, body), signature in zip(all_cases, signatures):
        h = headers_of(signature, rid, rtime)
        assert sluice.verify_signature(secret, h, body)
        assert reference_verify_signature(secret, lower(h), body)
        assert not sluice.verify_signature(secret, h, body + "x")
