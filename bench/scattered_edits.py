#!/usr/bin/env python3
"""Scattered edits: N Priority edits on rows spread over the sheet, one signed
notification each, sent back to back; prints the milliseconds until every edit
shows in GET /issues/{number}, once per trial. The Priority field feeds the
weekly model, so each pull of these rows refreshes it: the figure shows how
the worker merges the ranges of one debounce window (ingest/worker.c).

  scattered_edits.py --url SERVE --emulator EMU --key KEY.json --secret-file F
                     [--rows 1000,2000,...] [--trials 3]

Only the standard library and the openssl command (to sign the service
account's RS256 assertion for the emulator's token endpoint)."""
import argparse, base64, hashlib, hmac, json, subprocess, tempfile, time, uuid
import urllib.parse, urllib.request


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=")


def call(method, url, data=None, headers=None):
    r = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    with urllib.request.urlopen(r) as f:
        return json.loads(f.read() or b"null")


def access_token(key):
    now = int(time.time())
    head = b64(json.dumps({"alg": "RS256", "typ": "JWT", "kid": key["private_key_id"]}).encode())
    claims = {"iss": key["client_email"], "aud": key["token_uri"], "iat": now, "exp": now + 3600,
              "scope": "https://www.googleapis.com/auth/spreadsheets"}
    body = head + b"." + b64(json.dumps(claims).encode())
    with tempfile.NamedTemporaryFile("w", suffix=".pem") as pem:
        pem.write(key["private_key"])
        pem.flush()
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", pem.name], input=body,
                             capture_output=True, check=True).stdout
    form = urllib.parse.urlencode({"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                                   "assertion": (body + b"." + b64(sig)).decode()}).encode()
    return call("POST", key["token_uri"], form)["access_token"]


def notification(secret, row):
    now = int(time.time())
    claims = {"aud": "sheetsync", "iat": now, "exp": now + 300, "jti": str(uuid.uuid4()),
              "spreadsheet_id": "demo-sheet", "sheet": "Issues", "event": "edit",
              "range": f"E{row}"}
    signed = b64(b'{"alg":"HS256","typ":"JWT"}') + b"." + b64(json.dumps(claims).encode())
    return signed + b"." + b64(hmac.new(secret, signed, hashlib.sha256).digest())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--emulator", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--secret-file", required=True)
    ap.add_argument("--rows", default=",".join(str(r) for r in range(1000, 10001, 1000)))
    ap.add_argument("--trials", type=int, default=3)
    a = ap.parse_args()
    secret = open(a.secret_file, "rb").read().strip()
    bearer = {"Authorization": "Bearer " + access_token(json.load(open(a.key)))}
    values = f"{a.emulator}/v4/spreadsheets/demo-sheet/values/Issues!"
    rows = [int(r) for r in a.rows.split(",")]
    number = {r: call("GET", f"{values}A{r}", headers=bearer)["values"][0][0] for r in rows}
    priorities = ["Critical", "Low", "High", "Medium"]
    for trial in range(a.trials):
        want = priorities[trial % len(priorities)]
        start = time.monotonic()
        for r in rows:
            call("PUT", f"{values}E{r}?valueInputOption=RAW",
                 json.dumps({"values": [[want]]}).encode(),
                 dict(bearer, **{"Content-Type": "application/json"}))
            call("POST", f"{a.url}/webhooks/sheets", notification(secret, r),
                 {"Content-Type": "application/jwt"})
        pending = set(rows)
        while pending:
            pending = {r for r in pending
                       if call("GET", f"{a.url}/issues/{number[r]}").get("priority") != want.lower()}
            time.sleep(0.001)
        print(f"{(time.monotonic() - start) * 1000:.1f}")


if __name__ == "__main__":
    main()
